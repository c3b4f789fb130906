// libFuzzer target: the advice loader of verify (`waltune verify --advice FILE`):
// PlanFromAdviceJson on any JSON document, for each engine verify runs. See docs/fuzzing.md.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "waltune/verify.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  nlohmann::json j = nlohmann::json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return 0;
  for (auto engine : {waltune::VerifyEngine::kSQLite, waltune::VerifyEngine::kPostgreSQL,
                      waltune::VerifyEngine::kMariaDB}) {
    waltune::RunConditions run;
    run.engine = engine;
    run.memory_bytes = uint64_t{2} << 30;  // fixed, so that runs are reproducible
    run.native_flush_p50_us = 200;
    run.native_flush_p99_us = 900;
    auto plan = waltune::PlanFromAdviceJson(j, run);
    if (!plan.ok() && plan.status().field().empty()) std::abort();
  }
  return 0;
}
