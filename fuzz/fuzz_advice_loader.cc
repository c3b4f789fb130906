// libFuzzer target: the advice loader of verify (`waltune verify --advice FILE`):
// PlanFromAdviceJson on any JSON document, for each engine verify runs. See docs/fuzzing.md.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string_view>

#include "waltune/json_input.h"
#include "waltune/verify.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // As the CLI reads the file: text that is not usable JSON is rejected naming the option.
  auto parsed = waltune::ParseJsonInput(std::string_view(reinterpret_cast<const char*>(data), size),
                                        "--file");
  if (!parsed.ok()) return 0;
  const nlohmann::json& j = *parsed;
  for (auto engine :
       {waltune::Engine::kSQLite, waltune::Engine::kPostgreSQL, waltune::Engine::kMariaDB}) {
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
