// libFuzzer target: the calibration reader (`--calibration FILE`, written by `waltune verify
// --calibrate`), through ParseRequest as `waltune advise --calibration` uses it, for each engine
// whose entry the file may carry. See docs/fuzzing.md.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "waltune/engine.h"
#include "waltune/request.h"

namespace {
const nlohmann::json& Requests() {
  static const nlohmann::json requests = nlohmann::json::parse(R"([
    {"engine": "postgresql", "durability_level": "strict",
     "workload": {"write_rate": "500 tps", "avg_txn_size_bytes": 2000}},
    {"engine": "mariadb", "durability_level": "standard",
     "workload": {"write_rate": "800 tps", "avg_txn_size_bytes": 1000}},
    {"engine": "sqlite", "durability_level": "relaxed",
     "workload": {"write_rate": "50 tps", "avg_txn_size_bytes": 500}}
  ])");
  return requests;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  waltune::ParseOptions options;
  options.calibration =
      nlohmann::json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (options.calibration.is_discarded()) return 0;
  for (const auto& request : Requests()) {
    auto scenario = waltune::ParseRequest(request, options);
    if (!scenario.ok()) {
      if (scenario.status().field().empty()) std::abort();
      continue;
    }
    // Calibrated numbers feed the model: solve to check they cannot break it.
    (void)waltune::Solve(*scenario);
  }
  return 0;
}
