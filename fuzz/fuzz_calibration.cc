// libFuzzer target: the calibration reader (`--calibration FILE`, written by `waltune verify
// --calibrate`), through ParseRequest as `waltune advise --calibration` uses it, for each engine
// whose entry the file may carry. See docs/fuzzing.md.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string_view>

#include "waltune/engine.h"
#include "waltune/json_input.h"
#include "waltune/request.h"

namespace {
const nlohmann::json& Requests() {
  static const nlohmann::json requests = nlohmann::json::parse(R"([
    {"constraints": {"db_engine": "PostgreSQL", "durability_requirement": "strict",
                     "write_rate": "500 tps", "concurrency": 4}},
    {"constraints": {"db_engine": "MariaDB", "durability_requirement": "standard",
                     "write_rate": "800 tps", "concurrency": 4}},
    {"constraints": {"db_engine": "SQLite", "durability_requirement": "relaxed",
                     "write_rate": "50 tps", "concurrency": 1}}
  ])");
  return requests;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  waltune::ParseOptions options;
  // As the CLI reads the file: text that is not usable JSON is rejected naming the option.
  auto parsed = waltune::ParseJsonInput(std::string_view(reinterpret_cast<const char*>(data), size),
                                        "--calibration");
  if (!parsed.ok()) return 0;
  options.calibration = *parsed;
  for (const auto& request : Requests()) {
    auto scenario = waltune::ParseRequest(request, options);
    if (!scenario.ok()) {
      // Only the calibration can be at fault: the requests themselves are valid.
      if (scenario.status().field().rfind("--calibration", 0) != 0) std::abort();
      continue;
    }
    // Calibrated numbers feed the model: solve to check they cannot break it.
    (void)waltune::Solve(*scenario);
  }
  return 0;
}
