// From advice to the settings verify applies and the numbers it compares against.
#include <gtest/gtest.h>

#include <cmath>

#include "waltune/engine.h"
#include "waltune/request.h"
#include "waltune/units.h"
#include "waltune/verify.h"
#include "workloads.h"

namespace waltune {
namespace {

RunConditions Conditions(Engine e) {
  RunConditions r;
  r.engine = e;
  r.clients = 4;
  r.cpu_cores = 2;
  r.memory_bytes = 8 * kGiB;
  r.native_flush_p50_us = 150;
  r.native_flush_p99_us = 400;
  return r;
}

TEST(ScaleMemorySetting, KeepsSizesThatFit) {
  std::vector<std::string> notes;
  EXPECT_EQ(ScaleMemorySetting("shared_buffers", "2GB", 8 * kGiB, &notes), "2GB");
  EXPECT_TRUE(notes.empty());
}

TEST(ScaleMemorySetting, ScalesToAQuarterOfMemoryAndSaysSo) {
  std::vector<std::string> notes;
  EXPECT_EQ(ScaleMemorySetting("shared_buffers", "64GB", 8 * kGiB, &notes), "2048MB");
  EXPECT_EQ(ScaleMemorySetting("innodb_buffer_pool_size", "48G", 8 * kGiB, &notes), "2048M");
  EXPECT_EQ(ScaleMemorySetting("innodb_buffer_pool_size", "51539607552", 8 * kGiB, &notes),
            "2147483648");
  EXPECT_EQ(ScaleMemorySetting("cache_size", "-4000000", 8 * kGiB, &notes), "-2097152");
  EXPECT_EQ(notes.size(), 4u);
}

TEST(ScaleMemorySetting, LeavesDiskSizesAndPgPageCountsAlone) {
  std::vector<std::string> notes;
  EXPECT_EQ(ScaleMemorySetting("max_wal_size", "64GB", 8 * kGiB, &notes), "64GB");
  EXPECT_EQ(ScaleMemorySetting("innodb_log_file_size", "64G", 8 * kGiB, &notes), "64G");
  // PostgreSQL reads a bare shared_buffers in 8 kB pages; not rescaled.
  EXPECT_EQ(ScaleMemorySetting("shared_buffers", "100000000", 8 * kGiB, &notes), "100000000");
  EXPECT_TRUE(notes.empty());
}

TEST(RunStorage, EmulatedLatencyAddsToTheNativeFlush) {
  RunConditions r = Conditions(Engine::kPostgreSQL);
  r.flush_latency_emulated_us = 8000;
  StorageSpec s = RunStorage(r);
  EXPECT_EQ(s.flush_p50_us, 8150);
  EXPECT_EQ(s.flush_p99_us, 8400);
  EXPECT_EQ(s.storage_class, StorageClass::kSataSsd);  // the device's IOPS stay an SSD's
  EXPECT_TRUE(s.measured);
  r.flush_latency_emulated_us = 0;
  EXPECT_EQ(RunStorage(r).flush_p50_us, 150);
  EXPECT_EQ(RunStorage(r).storage_class, StorageClass::kSataSsd);
}

// The measured flush after idle and the sleep's overshoot reach the model's storage; the
// overshoot only with an emulated delay (it is the emulated sleep's).
TEST(RunStorage, CarriesTheFlushAfterIdleAndTheOvershoot) {
  FlushMeasurement m;
  m.p50_us = 97;
  m.p99_us = 211;
  m.mean_us = 119;
  m.samples = 100;
  m.after_idle = {{262, 132, 20}, {2083, 389, 20}, {8120, 551, 20}};
  m.emulated_delay_overshoot_us = 82;
  RunConditions r = Conditions(Engine::kMariaDB);
  r.flush_latency_emulated_us = 2000;
  SetRunFlush(m, &r);
  StorageSpec s = RunStorage(r);
  EXPECT_EQ(s.flush_p50_us, 2097);
  EXPECT_EQ(s.flush_mean_us, 2119);
  EXPECT_EQ(s.emulated_delay_overshoot_us, 82);
  ASSERT_EQ(s.flush_after_idle.size(), 3u);
  EXPECT_EQ(s.flush_after_idle[1].idle_us, 2083);
  EXPECT_EQ(s.flush_after_idle[1].flush_p50_us, 389);
  r.flush_latency_emulated_us = 0;
  s = RunStorage(r);
  EXPECT_EQ(s.emulated_delay_overshoot_us, 0);
  EXPECT_EQ(s.flush_after_idle.size(), 3u);
}

// fsync of a clean file, measured natively: the emulated delay is added (the preload delays
// every fsync call); not measured: left 0, so the model takes one flush per file.
TEST(RunStorage, CarriesTheCleanFsyncWithTheEmulatedDelay) {
  RunConditions r = Conditions(Engine::kPostgreSQL);
  EXPECT_EQ(RunStorage(r).clean_fsync_us, 0);
  r.clean_fsync_us = 300;
  StorageSpec s = RunStorage(r);
  EXPECT_EQ(s.clean_fsync_us, 300);
  EXPECT_NE(s.measured_rates.find("clean_fsync_us"), std::string::npos);
  EXPECT_NE(s.source.find("fsync of a clean file"), std::string::npos);
  r.flush_latency_emulated_us = 2000;
  EXPECT_EQ(RunStorage(r).clean_fsync_us, 2300);
}

TEST(AdaptScenarioToRun, UsesTheRunsClientsCoresAndStorage) {
  Scenario s;
  s.workload.concurrency = 64;
  s.cpu_cores = 32;
  AdaptScenarioToRun(Conditions(Engine::kPostgreSQL), &s);
  EXPECT_EQ(s.workload.concurrency, 4);
  EXPECT_EQ(s.cpu_cores, 2);
  EXPECT_EQ(s.workload.rows_per_txn, 1);
  EXPECT_EQ(s.workload.txn_write_bytes, 100u);
  EXPECT_EQ(s.storage.flush_p50_us, 150);
  EXPECT_EQ(s.workload.memory_bytes, 8 * kGiB);
  ASSERT_FALSE(s.assumptions.empty());
  EXPECT_EQ(s.assumptions.front().source, AssumptionSource::kVerify);
}

// tpcb: the branches table has one row per client (LayoutFor) and statement 5 updates it.
TEST(AdaptScenarioToRun, TpcbHasOneHotBranchRowPerClient) {
  RunConditions r = Conditions(Engine::kPostgreSQL);
  r.workload = VerifyWorkload::kTpcb;
  r.clients = 16;
  Scenario s;
  AdaptScenarioToRun(r, &s);
  EXPECT_EQ(s.workload.hot_rows, 16);
  EXPECT_EQ(s.workload.hot_row_statement, 5);
  r.workload = VerifyWorkload::kUpdate;
  Scenario u;
  AdaptScenarioToRun(r, &u);
  EXPECT_EQ(u.workload.hot_rows, 0);
}

// MariaDB's redo per transaction for verify's three shapes (payload 100, 16 MiB working set),
// hand-checked: 128 (commit) + appended x (50 + 1.08 x row bytes) + updated x (64 + 2 x changed
// bytes). insert appends its 12-byte key and the payload: 128 + 50 + 1.08 x 112 = 298.96.
// update appends a history row of H bytes and changes the payload and the counter: 128 + 50 +
// 1.08 H + 70 + 2 x 108 = 464 + 1.08 H. tpcb appends its history row and changes three 8-byte
// balances: 128 + 50 + 1.08 H + 3 x (70 + 16) = 436 + 1.08 H.
TEST(AdaptScenarioToRun, MariadbRedoPerTxnOfEachWorkload) {
  auto redo = [](VerifyWorkload workload) {
    RunConditions r = Conditions(Engine::kMariaDB);
    r.workload = workload;
    r.working_set_bytes = 16 * kMiB;
    auto scenario = ParseRequest(
        {{"constraints", {{"db_engine", "mariadb"}, {"durability_requirement", "strict"}}}});
    EXPECT_TRUE(scenario.ok());
    Scenario s = *scenario;
    AdaptScenarioToRun(r, &s);
    const Advice a = Solve(s);
    for (const Estimate& e : a.estimates) {
      if (e.name == "wal_bytes_per_txn") return e.value;
    }
    ADD_FAILURE() << "no wal_bytes_per_txn";
    return 0.0;
  };
  auto history_bytes = [](VerifyWorkload workload) {
    return static_cast<double>(std::llround(
        verify::kHistoryKeyBytes +
        verify::MeanHistoryPayloadBytes(verify::LayoutFor(workload, 16 * kMiB, 100, 4))));
  };
  EXPECT_NEAR(redo(VerifyWorkload::kInsert), 298.96, 1e-9);
  const double h_update = history_bytes(VerifyWorkload::kUpdate);
  const double h_tpcb = history_bytes(VerifyWorkload::kTpcb);
  EXPECT_GT(h_update, verify::kHistoryKeyBytes);
  EXPECT_GT(h_tpcb, h_update);
  EXPECT_NEAR(redo(VerifyWorkload::kUpdate), 464 + 1.08 * h_update, 1e-9);
  EXPECT_NEAR(redo(VerifyWorkload::kTpcb), 436 + 1.08 * h_tpcb, 1e-9);
}

Advice PgAdvice() {
  Advice a;
  a.engine = Engine::kPostgreSQL;
  a.durability = Durability::kStrict;
  a.wal_config = {Setting::Text("synchronous_commit", "on", ""),
                  Setting::Text("shared_buffers", "32GB", "")};
  a.checkpoint_settings = {Setting::Text("checkpoint_timeout", "10min", ""),
                           Setting::Number("checkpoint_completion_target", 0.9, ""),
                           Setting::Text("max_wal_size_trigger", "4GB", "")};
  a.group_commit_settings = {Setting::Number("commit_delay", 100, "")};
  a.with_config_tps = 2500;
  a.estimated_recovery_time_s = 12.5;
  a.loss_window_ms = 0;
  return a;
}

TEST(PlanFromAdvice, AppliesEverySectionScaledAndSkipsReportFields) {
  Result<VerifyPlan> p = PlanFromAdvice(PgAdvice(), Conditions(Engine::kPostgreSQL));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  SettingList want = {{"synchronous_commit", "on"},
                      {"shared_buffers", "2048MB"},
                      {"checkpoint_timeout", "10min"},
                      {"checkpoint_completion_target", "0.9"},
                      {"commit_delay", "100"}};
  EXPECT_EQ(p->settings, want);
  EXPECT_EQ(p->durability, Durability::kStrict);
  EXPECT_EQ(*p->predicted_tps, 2500);
  EXPECT_EQ(*p->predicted_recovery_time_s, 12.5);
  EXPECT_EQ(*p->predicted_loss_window_ms, 0);
  EXPECT_EQ(p->notes.size(), 2u);  // shared_buffers scaled, max_wal_size_trigger skipped
}

TEST(PlanFromAdvice, RefusesAnotherEngine) {
  Advice a = PgAdvice();
  a.engine = Engine::kMySQL;
  Result<VerifyPlan> p = PlanFromAdvice(a, Conditions(Engine::kMariaDB));
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("MySQL"), std::string::npos);
  EXPECT_FALSE(PlanFromAdvice(PgAdvice(), Conditions(Engine::kSQLite)).ok());
}

TEST(PlanFromAdviceJson, ReadsTheContractResponse) {
  auto j = nlohmann::json::parse(R"({
    "wal_config": {"engine": "MariaDB", "engine_version": "10.11",
                   "innodb_flush_log_at_trx_commit": 1.0, "innodb_log_file_size": "1G"},
    "checkpoint_strategy": {"innodb_io_capacity": 900, "estimated_recovery_time_s": 44.1,
                            "rationale": "..."},
    "group_commit": {"enabled": true, "delay_us": 0, "expected_throughput_gain": "x",
                     "rationale": "..."},
    "durability_level": "strict",
    "throughput_impact": {"baseline_tps": 100, "with_config_tps": 3300},
    "estimates": {"data_loss_window_ms": {"value": 0, "unit": "ms", "how": ""}},
    "confidence": 0.5})");
  Result<VerifyPlan> p = PlanFromAdviceJson(j, Conditions(Engine::kMariaDB));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  SettingList want = {{"innodb_flush_log_at_trx_commit", "1"},
                      {"innodb_log_file_size", "1G"},
                      {"innodb_io_capacity", "900"}};
  EXPECT_EQ(p->settings, want);
  EXPECT_EQ(*p->predicted_tps, 3300);
  EXPECT_EQ(*p->predicted_recovery_time_s, 44.1);
  EXPECT_EQ(*p->predicted_loss_window_ms, 0);
  EXPECT_FALSE(PlanFromAdviceJson(nlohmann::json::object(), Conditions(Engine::kMariaDB)).ok());
}

// The advice loader checks every field before reading it (issue: a numeric durability_level
// aborted verify with an uncaught type_error; a missing checkpoint_strategy was read anyway).
TEST(PlanFromAdviceJson, NamesTheFieldOfEveryDefect) {
  const nlohmann::json good = nlohmann::json::parse(R"({
    "wal_config": {"engine": "MariaDB", "innodb_flush_log_at_trx_commit": 1},
    "checkpoint_strategy": {"innodb_io_capacity": 900, "estimated_recovery_time_s": 44.1},
    "group_commit": {"enabled": true},
    "durability_level": "strict",
    "throughput_impact": {"with_config_tps": 3300}})");
  const RunConditions run = Conditions(Engine::kMariaDB);
  ASSERT_TRUE(PlanFromAdviceJson(good, run).ok());
  auto field_of = [&](const nlohmann::json& j) {
    Result<VerifyPlan> p = PlanFromAdviceJson(j, run);
    EXPECT_FALSE(p.ok());
    EXPECT_TRUE(p.ok() || p.status().IsInvalidArgument());
    return p.ok() ? std::string("(accepted)") : p.status().field();
  };
  nlohmann::json j = good;
  j["durability_level"] = 2;
  EXPECT_EQ(field_of(j), "durability_level");
  j = good;
  j.erase("durability_level");
  EXPECT_EQ(field_of(j), "durability_level");  // no silent "standard"
  j = good;
  j.erase("checkpoint_strategy");
  EXPECT_EQ(field_of(j), "checkpoint_strategy");
  j = good;
  j["group_commit"] = "yes";
  EXPECT_EQ(field_of(j), "group_commit");
  j = good;
  j["wal_config"]["engine"] = nullptr;
  EXPECT_EQ(field_of(j), "wal_config.engine");
  j = good;
  j["checkpoint_strategy"]["innodb_io_capacity"] = nlohmann::json::array();
  EXPECT_EQ(field_of(j), "checkpoint_strategy.innodb_io_capacity");
  j = good;
  j["checkpoint_strategy"]["innodb_io_capacity"] = 1e300;
  EXPECT_EQ(field_of(j), "checkpoint_strategy.innodb_io_capacity");
  j = good;
  j["checkpoint_strategy"]["estimated_recovery_time_s"] = -1;
  EXPECT_EQ(field_of(j), "checkpoint_strategy.estimated_recovery_time_s");
  j = good;
  j["throughput_impact"]["with_config_tps"] = "many";
  EXPECT_EQ(field_of(j), "throughput_impact.with_config_tps");
  j = good;
  j["estimates"] = {{"data_loss_window_ms", {{"value", "0"}}}};
  EXPECT_EQ(field_of(j), "estimates.data_loss_window_ms.value");
  j = good;
  j["estimates"] = {{"expected_peak_recovery_time_s", {{"value", -2}}}};
  EXPECT_EQ(field_of(j), "estimates.expected_peak_recovery_time_s.value");
  j = good;
  j["estimates"] = {{"required_tps", "500"}};
  EXPECT_EQ(field_of(j), "estimates.required_tps");
  EXPECT_EQ(field_of(nlohmann::json::array()), "--advice");
}

// InnoDB's expected peak and the rate it is for come into the plan, from an advice file and
// from the advice verify computes itself; an engine without one leaves them empty.
TEST(PlanFromAdviceJson, CarriesTheExpectedPeakAndItsRate) {
  auto j = nlohmann::json::parse(R"({
    "wal_config": {"engine": "MariaDB", "innodb_flush_log_at_trx_commit": 1},
    "checkpoint_strategy": {"estimated_recovery_time_s": 10.0},
    "group_commit": {"enabled": true},
    "durability_level": "strict",
    "estimates": {"expected_peak_recovery_time_s": {"value": 1.88, "unit": "s", "how": ""},
                  "required_tps": {"value": 500, "unit": "tps", "how": ""}}})");
  Result<VerifyPlan> p = PlanFromAdviceJson(j, Conditions(Engine::kMariaDB));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(*p->predicted_recovery_time_s, 10.0);
  EXPECT_EQ(*p->expected_peak_recovery_time_s, 1.88);
  EXPECT_EQ(*p->required_tps, 500);
  j["estimates"].erase("expected_peak_recovery_time_s");
  p = PlanFromAdviceJson(j, Conditions(Engine::kMariaDB));
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(p->expected_peak_recovery_time_s.has_value());

  Advice a = PgAdvice();
  a.estimates.push_back({"expected_peak_recovery_time_s", 3.5, "s", "test"});
  a.estimates.push_back({"required_tps", 750, "tps", "test"});
  Result<VerifyPlan> q = PlanFromAdvice(a, Conditions(Engine::kPostgreSQL));
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ(*q->expected_peak_recovery_time_s, 3.5);
  EXPECT_EQ(*q->required_tps, 750);
  q = PlanFromAdvice(PgAdvice(), Conditions(Engine::kPostgreSQL));
  ASSERT_TRUE(q.ok());
  EXPECT_FALSE(q->expected_peak_recovery_time_s.has_value());
}

TEST(ParseVerifyEngine, AcceptsAliasesAndRefusesMysql) {
  EXPECT_EQ(*ParseVerifyEngine("PG"), Engine::kPostgreSQL);
  EXPECT_EQ(*ParseVerifyEngine("sqlite3"), Engine::kSQLite);
  EXPECT_EQ(*ParseVerifyEngine("MariaDB"), Engine::kMariaDB);
  EXPECT_TRUE(ParseVerifyEngine("mysql").status().IsInvalidArgument());
  EXPECT_TRUE(ParseVerifyEngine("oracle").status().IsInvalidArgument());
}

}  // namespace
}  // namespace waltune
