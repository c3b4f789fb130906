// Advise on typical requests, in-process: parse + model + render.
#include <benchmark/benchmark.h>

#include <string>

#include "waltune/engine.h"
#include "waltune/model.h"
#include "waltune/render.h"
#include "waltune/request.h"

namespace {

const char* kRequests[] = {
    R"({"query": "payments service, no data loss",
        "constraints": {"db_engine": "PostgreSQL", "engine_version": "16",
                        "durability_requirement": "fsync every commit", "write_rate": "5000 tps",
                        "recovery_time_target": "60s", "storage_type": "NVMe",
                        "concurrency": 32}})",
    R"({"constraints": {"db_engine": "mysql 8.0.36", "durability_requirement": "group commit",
                        "write_rate": "20k tps", "recovery_time_target": "2min",
                        "storage_type": "SSD", "replication": "physical"}})",
    R"({"constraints": {"db_engine": "sqlite3", "durability_requirement": "relaxed",
                        "write_rate": 300, "storage_type": "HDD"}})",
};

void BM_Advise(benchmark::State& state) {
  const std::string request = kRequests[state.range(0)];
  for (auto _ : state) {
    auto scenario = waltune::ParseRequestText(request);
    if (!scenario.ok()) {
      state.SkipWithError(scenario.status().ToString().c_str());
      return;
    }
    waltune::Advice advice = waltune::Solve(*scenario);
    std::string out = waltune::AdviceToJson(advice).dump();
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_Advise)->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);

void BM_GroupCommitSimulation(benchmark::State& state) {
  waltune::GroupCommitParams p;
  p.clients = static_cast<int>(state.range(0));
  p.flush_p50_us = 1000;
  p.flush_p99_us = 3000;
  for (auto _ : state) {
    benchmark::DoNotOptimize(waltune::SimulateGroupCommit(p));
  }
}
BENCHMARK(BM_GroupCommitSimulation)->Arg(1)->Arg(16)->Arg(256)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
