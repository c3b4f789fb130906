// Reading user JSON (ParseJsonInput) and printing errors about it (ErrorToJson): the bad-input
// families fuzzing found, each an InvalidArgument naming the field, never an exception.
#include "waltune/json_input.h"

#include <gtest/gtest.h>

#include <string>

#include "waltune/render.h"
#include "waltune/request.h"

namespace waltune {
namespace {

std::string Nested(int depth) {
  return std::string(static_cast<size_t>(depth), '[') +
         std::string(static_cast<size_t>(depth), ']');
}

TEST(ParseJsonInput, NestingUpToTheLimitIsAccepted) {
  auto j = ParseJsonInput(Nested(kMaxJsonDepth), "--advice");
  EXPECT_TRUE(j.ok()) << j.status().ToString();
}

TEST(ParseJsonInput, DeeperNestingIsRefusedNamingTheField) {
  for (int depth : {kMaxJsonDepth + 1, 100000}) {
    auto j = ParseJsonInput(Nested(depth), "--advice");
    ASSERT_FALSE(j.ok()) << depth;
    EXPECT_EQ(j.status().field(), "--advice");
    EXPECT_NE(j.status().message().find("nested deeper"), std::string::npos);
  }
}

TEST(ParseJsonInput, NumberOutOfRangeIsRefused) {
  auto j = ParseJsonInput(R"({"write_rate": 1e999})", "request");
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.status().field(), "request");
}

TEST(ParseJsonInput, EmptyAndNonUtf8AreRefused) {
  EXPECT_FALSE(ParseJsonInput("", "request").ok());
  EXPECT_FALSE(ParseJsonInput("{\"query\": \"caf\xe9\"}", "request").ok());
}

TEST(ParseRequestText, DeeplyNestedRequestIsAnError) {
  const std::string text =
      R"({"constraints": {"db_engine": "pg", "memory": )" + Nested(100000) + "}}";
  auto s = ParseRequestText(text);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().field(), "request");
}

TEST(ErrorToJson, NonUtf8InTheMessageIsReplacedNotThrown) {
  // The JSON parser quotes what it read last, invalid bytes included.
  auto s = ParseRequestText("{\"query\": \"fully\xe2 rebuildable\"}");
  ASSERT_FALSE(s.ok());
  std::string dumped;
  EXPECT_NO_THROW(dumped = ErrorToJson(s.status()).dump(2));
  EXPECT_NE(dumped.find("\"field\": \"request\""), std::string::npos);
  EXPECT_NE(dumped.find("\xef\xbf\xbd"), std::string::npos);  // U+FFFD
}

}  // namespace
}  // namespace waltune
