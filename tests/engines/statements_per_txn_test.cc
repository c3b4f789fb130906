// constraints.statements_per_txn: round trips per transaction (docs/verify.md).
#include <gtest/gtest.h>

#include "waltune/request.h"

namespace waltune {
namespace {

TEST(RequestStatementsPerTxn, ParsedCheckedAndDefaultsToDerive) {
  nlohmann::json req = {{"constraints", {{"db_engine", "postgresql"}}}};
  auto none = ParseRequest(req);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->workload.statements_per_txn, 0);  // derive from the shape
  req["constraints"]["statements_per_txn"] = 7;
  auto seven = ParseRequest(req);
  ASSERT_TRUE(seven.ok());
  EXPECT_EQ(seven->workload.statements_per_txn, 7);
  for (nlohmann::json bad : {nlohmann::json(0), nlohmann::json(2.5), nlohmann::json("many"),
                             nlohmann::json(-3), nlohmann::json(1e9)}) {
    req["constraints"]["statements_per_txn"] = bad;
    auto r = ParseRequest(req);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_TRUE(r.status().IsInvalidArgument());
    EXPECT_EQ(r.status().field(), "constraints.statements_per_txn");
  }
}

}  // namespace
}  // namespace waltune
