// The report's JSON (docs/contract.md fields) and text, and the calibration file.
#include <gtest/gtest.h>

#include "waltune/verify.h"

namespace waltune {
namespace {

VerifyReport Sample() {
  VerifyReport r;
  r.engine = "postgresql";
  r.engine_version = "15.20";
  r.durability_level = Durability::kStrict;
  r.clients = 4;
  r.seconds = 10;
  r.plan.predicted_tps = 2000;
  r.plan.predicted_recovery_time_s = 5;
  r.plan.predicted_loss_window_ms = 0;
  r.measured_tps = 2400;
  r.commit_latency_p50_ms = 1.5;
  r.commit_latency_p99_ms = 4;
  r.wal_bytes_per_txn = 300;
  r.wal_record_bytes_per_txn = 120;
  r.fpi_count = 50;
  r.fpi_bytes = 1340.04;
  r.fpi_page_bytes = 7000;
  r.fpi_compression = "lz4";
  r.txn_cpu_us = 80;
  CrashResult a;
  a.acked_commits = 5000;
  a.recovery_time_s = 0.4;
  a.redo_bytes = 4000000;
  a.redo_s = 0.1;
  CrashResult b = a;
  b.acked_commits = 9000;
  b.recovery_time_s = 0.8;
  b.redo_bytes = 6000000;
  b.redo_s = 0.3;
  r.crashes = {a, b};
  r.applied_settings = {{"synchronous_commit", "on"}};
  r.scope_note = "page cache survives";
  return r;
}

TEST(ReportToJson, HasTheContractFields) {
  auto j = ReportToJson(Sample());
  for (const char* k :
       {"engine", "engine_version", "durability_level", "clients", "seconds",
        "flush_latency_emulated_us", "predicted", "measured", "crashes", "verdicts"}) {
    EXPECT_TRUE(j.contains(k)) << k;
  }
  EXPECT_TRUE(j["flush_latency_emulated_us"].is_null());
  EXPECT_EQ(j["predicted"]["tps"], 2000.0);
  EXPECT_EQ(j["predicted"]["loss_window_ms"], 0.0);
  EXPECT_EQ(j["measured"]["tps"], 2400.0);
  EXPECT_EQ(j["measured"]["commit_latency_p99_ms"], 4.0);
  EXPECT_EQ(j["measured"]["fpi_count"], 50u);
  EXPECT_EQ(j["measured"]["fpi_bytes"], 1340.0);
  EXPECT_EQ(j["measured"]["fpi_page_bytes"], 7000.0);
  EXPECT_EQ(j["measured"]["fpi_compression"], "lz4");
  EXPECT_EQ(j["measured"]["recovery_time_s"]["median"], 0.6);
  EXPECT_EQ(j["measured"]["recovery_time_s"]["max"], 0.8);
  EXPECT_EQ(j["crashes"][1]["acked_commits"], 9000u);
  EXPECT_EQ(j["crashes"][0]["kind"], "sigkill");
  EXPECT_EQ(j["applied_settings"]["synchronous_commit"], "on");
  EXPECT_EQ(j["scope"], "page cache survives");
}

TEST(ReportToJson, PowerLossKeepsSimulatorThroughputApart) {
  VerifyReport r = Sample();
  r.throughput_through_simulator = true;
  r.crash_mechanism = "waltune-powercut FUSE file system";
  r.crashes[0].kind = "power_cut";
  r.crashes[0].discarded_bytes = 8192;
  r.crashes[0].files_restored = 1;
  r.crashes[0].names_undone = 0;
  r.crashes[0].integrity_check = "PRAGMA integrity_check";
  r.crashes[1].recovery_error = "server did not start";
  auto j = ReportToJson(r);
  EXPECT_TRUE(j["measured"]["tps"].is_null());
  EXPECT_TRUE(j["measured"]["commit_latency_p50_ms"].is_null());
  EXPECT_EQ(j["measured_through_simulator"]["tps"], 2400.0);
  EXPECT_EQ(j["crash_mechanism"], "waltune-powercut FUSE file system");
  EXPECT_EQ(j["crashes"][0]["power_cut"]["discarded_bytes"], 8192u);
  EXPECT_EQ(j["crashes"][0]["integrity"]["ok"], true);
  EXPECT_EQ(j["crashes"][1]["recovered"], false);
  EXPECT_EQ(j["crashes"][1]["recovery_error"], "server did not start");
  EXPECT_TRUE(j["crashes"][1]["integrity"].is_null());
  // The failed restart has no recovery time: only the first counts.
  EXPECT_EQ(j["measured"]["recovery_time_s"]["max"], 0.4);
  std::string t = ReportToText(r);
  EXPECT_NE(t.find("throughput (tps)                     2000            -\n"), std::string::npos)
      << t;
  EXPECT_NE(t.find("through the power-loss simulator (not comparable, not judged): 2400 tps"),
            std::string::npos)
      << t;
  EXPECT_NE(t.find("FAILED"), std::string::npos) << t;
}

// A damaged database comes with the server's log of its restart; an intact one does not.
TEST(ReportToJson, IntegrityProblemsCarryTheServerLogOfTheRestart) {
  VerifyReport r = Sample();
  r.crashes[0].integrity_check = "CHECK TABLE waltune.waltune_load EXTENDED";
  r.crashes[0].integrity_problems = {"CHECK TABLE error: Corrupt"};
  r.crashes[0].recovery_log_tail = "InnoDB: Starting crash recovery from checkpoint LSN=1";
  r.crashes[1].integrity_check = "CHECK TABLE waltune.waltune_load EXTENDED";
  r.crashes[1].recovery_log_tail = "InnoDB: 128 pages applied";
  auto j = ReportToJson(r);
  EXPECT_EQ(j["crashes"][0]["integrity"]["ok"], false);
  EXPECT_EQ(j["crashes"][0]["integrity"]["server_log_tail"],
            "InnoDB: Starting crash recovery from checkpoint LSN=1");
  EXPECT_EQ(j["crashes"][1]["integrity"]["ok"], true);
  EXPECT_FALSE(j["crashes"][1]["integrity"].contains("server_log_tail"));
  std::string t = ReportToText(r);
  EXPECT_NE(t.find(" crash 1: the server's log of the restart ends with:\n"
                   "InnoDB: Starting crash recovery from checkpoint LSN=1\n"),
            std::string::npos)
      << t;
  EXPECT_EQ(t.find("128 pages applied"), std::string::npos) << t;
}

TEST(ReportToText, ShowsPredictedNextToMeasured) {
  std::string t = ReportToText(Sample());
  EXPECT_NE(t.find("throughput (tps)                     2000         2400\n"), std::string::npos)
      << t;
  EXPECT_NE(t.find("recovery, worst (s)                 5.000        0.800\n"), std::string::npos)
      << t;
  EXPECT_NE(t.find("scope: page cache survives"), std::string::npos);
  EXPECT_NE(t.find("(records without full-page images 120; 50 images of 1340 bytes, pages of 7000 "
                   "before lz4 compression)"),
            std::string::npos)
      << t;
}

// SQLite's own WAL syncs: null for a server, numbers and a line saying what they were used for
// otherwise.
TEST(ReportToText, ShowsTheWalSyncsAndWhetherThePredictionUsedThem) {
  VerifyReport r = Sample();
  EXPECT_TRUE(ReportToJson(r)["measured"]["wal_syncs"].is_null());
  EXPECT_EQ(ReportToText(r).find("WAL syncs"), std::string::npos);
  r.wal_syncs = 12625;
  r.wal_sync_p50_us = 260.2;
  r.wal_sync_p99_us = 1902.0;
  r.predicted_from_wal_syncs = true;
  auto j = ReportToJson(r);
  EXPECT_EQ(j["measured"]["wal_syncs"], 12625u);
  EXPECT_EQ(j["measured"]["wal_sync_p50_us"], 260.2);
  EXPECT_EQ(j["measured"]["predicted_from_wal_syncs"], true);
  EXPECT_NE(ReportToText(r).find("WAL syncs during the load: 12625, p50 260 us, p99 1902 us (the "
                                 "prediction uses these)\n"),
            std::string::npos)
      << ReportToText(r);
  r.predicted_from_wal_syncs = false;
  r.flush_latency_emulated_us = 2000;
  EXPECT_NE(ReportToText(r).find("p99 1902 us (the real syncs, without the emulated delay)\n"),
            std::string::npos)
      << ReportToText(r);
  r.flush_latency_emulated_us.reset();
  r.throughput_through_simulator = true;
  EXPECT_NE(ReportToText(r).find("p99 1902 us (through the power-loss simulator)\n"),
            std::string::npos)
      << ReportToText(r);
}

TEST(UpdateCalibration, WritesThisEngineAndKeepsOthers) {
  auto existing = nlohmann::json::parse(
      R"({"waltune_calibration": 1, "engines": {"sqlite": {"txn_cpu_us": 30}}})");
  auto j = UpdateCalibration(existing, Sample());
  EXPECT_EQ(j["engines"]["sqlite"]["txn_cpu_us"], 30);
  const auto& pg = j["engines"]["postgresql"];
  EXPECT_EQ(pg["txn_cpu_us"], 80.0);
  EXPECT_EQ(pg["wal_bytes_per_txn"], 300.0);
  EXPECT_EQ(pg["wal_record_bytes_per_txn"], 120.0);
  // One full-page image of the run, and the compression it was measured with.
  EXPECT_EQ(pg["fpi_bytes"], 1340.0);
  EXPECT_EQ(pg["fpi_page_bytes"], 7000.0);
  EXPECT_EQ(pg["fpi_compression"], "lz4");
  // PostgreSQL logs its replay time: 10 MB in 0.4 s.
  EXPECT_EQ(pg["replay_bytes_per_s"], 25000000.0);
  EXPECT_EQ(pg["replay_rate_is_lower_bound"], false);
  // Restart overhead: median of (0.4 - 0.1, 0.8 - 0.3).
  EXPECT_NEAR(pg["restart_overhead_s"].get<double>(), 0.4, 1e-9);
  EXPECT_TRUE(j["machine"].is_string());
  // No plan's workload: the share of misses in that replay is unknown.
  EXPECT_TRUE(pg["replay_buffer_miss_fraction"].is_null());
}

// PostgreSQL's log times the end-of-recovery checkpoint, which grows with the pages the replay
// dirtied; the model prices it for the advised window, so the calibrated overhead leaves it
// out. Measured (session 26): 5.93 s restart, 4.65 s redo, 1.06 s end checkpoint -> 0.22 s.
TEST(UpdateCalibration, PostgresOverheadLeavesOutTheEndOfRecoveryCheckpoint) {
  VerifyReport r = Sample();
  CrashResult c = r.crashes[0];
  c.recovery_time_s = 5.93;
  c.redo_s = 4.65;
  c.phases.after_redo_s = 1.10;
  c.phases.end_checkpoint_s = 1.06;
  r.crashes = {c};
  EXPECT_NEAR(
      UpdateCalibration(nullptr, r)["engines"]["postgresql"]["restart_overhead_s"].get<double>(),
      0.22, 1e-9);
  // Without its own log line, the time after "redo done".
  r.crashes[0].phases.end_checkpoint_s.reset();
  EXPECT_NEAR(
      UpdateCalibration(nullptr, r)["engines"]["postgresql"]["restart_overhead_s"].get<double>(),
      0.18, 1e-9);
}

// The calibration records which share of the page changes missed the server's page cache in the
// replay it timed: 1 - 128 MiB / 512 MiB, and 0 when the working set fits.
TEST(UpdateCalibration, RecordsTheReplaysBufferMissFraction) {
  VerifyReport r = Sample();
  Workload w;
  w.buffer_pool_bytes = 128ull << 20;
  w.working_set_bytes = 512ull << 20;
  r.plan.predicted_workload = w;
  EXPECT_EQ(UpdateCalibration(nullptr, r)["engines"]["postgresql"]["replay_buffer_miss_fraction"],
            0.75);
  r.plan.predicted_workload->working_set_bytes = 64ull << 20;
  EXPECT_EQ(UpdateCalibration(nullptr, r)["engines"]["postgresql"]["replay_buffer_miss_fraction"],
            0.0);
}

// The crash windows read back after each kill (PostgreSQL), summed beside the replay time they
// took, so that advise can charge the replay to their records; none unless every timed crash
// had its window read.
TEST(UpdateCalibration, SumsTheCrashWindowsTheReplayWasTimedOn) {
  VerifyReport r = Sample();
  EXPECT_TRUE(
      UpdateCalibration(nullptr, r)["engines"]["postgresql"]["replay_window_redo_s"].is_null());
  for (CrashResult& c : r.crashes) {
    c.worst_case.emplace();
    CrashWindowMix w;
    w.record_bytes = 1000000;
    w.fpi_bytes = 2000000;
    w.fpi_count = 1500;
    w.xact_records = 2500;
    c.worst_case->window = w;
  }
  auto j = UpdateCalibration(nullptr, r);
  const auto& pg = j["engines"]["postgresql"];
  EXPECT_EQ(pg["replay_window_record_bytes"], 2000000.0);
  EXPECT_EQ(pg["replay_window_fpi_bytes"], 4000000.0);
  EXPECT_EQ(pg["replay_window_fpi_count"], 3000.0);
  EXPECT_EQ(pg["replay_window_transactions"], 5000.0);
  EXPECT_NEAR(pg["replay_window_redo_s"].get<double>(), 0.4, 1e-9);
  // Beside the rate they explain.
  EXPECT_EQ(pg["replay_bytes_per_s"], 25000000.0);

  r.crashes[1].worst_case->window.reset();
  EXPECT_TRUE(UpdateCalibration(nullptr, r)["engines"]["postgresql"]["replay_window_record_bytes"]
                  .is_null());
}

TEST(UpdateCalibration, StatementCpuGoesToTheRunsRegimeAndKeepsTheOther) {
  VerifyReport r = Sample();
  r.statement_cpu_us = 141.26;
  r.clients = 16;
  auto concurrent = UpdateCalibration(nullptr, r);
  const auto& pg = concurrent["engines"]["postgresql"];
  EXPECT_EQ(pg["statement_cpu_concurrent_us"], 141.3);
  EXPECT_EQ(pg["statement_cpu_clients"], 16);
  EXPECT_TRUE(pg["statement_cpu_one_client_us"].is_null());
  // A one-client run adds its own figure and keeps the several-clients one.
  r.clients = 1;
  r.statement_cpu_us = 99;
  auto both = UpdateCalibration(nlohmann::json::parse(concurrent.dump()), r);
  const auto& pg2 = both["engines"]["postgresql"];
  EXPECT_EQ(pg2["statement_cpu_one_client_us"], 99.0);
  EXPECT_EQ(pg2["statement_cpu_concurrent_us"], 141.3);
  EXPECT_EQ(pg2["statement_cpu_clients"], 16);
  // A run without a statement figure (emulated flushes) keeps both.
  r.statement_cpu_us.reset();
  auto kept = UpdateCalibration(nlohmann::json::parse(both.dump()), r);
  EXPECT_EQ(kept["engines"]["postgresql"]["statement_cpu_one_client_us"], 99.0);
  EXPECT_EQ(kept["engines"]["postgresql"]["statement_cpu_concurrent_us"], 141.3);
}

TEST(UpdateCalibration, StatementCpuKeepsEveryClientCount) {
  VerifyReport r = Sample();
  r.statement_cpu_us = 141.26;
  r.clients = 16;
  auto at16 = UpdateCalibration(nullptr, r);
  EXPECT_EQ(at16["engines"]["postgresql"]["statement_cpu_by_clients"]["16"], 141.3);
  // A 64-client run adds its count and keeps 16's; the pair names the latest run.
  r.clients = 64;
  r.statement_cpu_us = 190;
  auto both = UpdateCalibration(nlohmann::json::parse(at16.dump()), r);
  const auto& pg = both["engines"]["postgresql"];
  EXPECT_EQ(pg["statement_cpu_by_clients"]["16"], 141.3);
  EXPECT_EQ(pg["statement_cpu_by_clients"]["64"], 190.0);
  EXPECT_EQ(pg["statement_cpu_concurrent_us"], 190.0);
  EXPECT_EQ(pg["statement_cpu_clients"], 64);
  // A 16-client run again replaces its own count only.
  r.clients = 16;
  r.statement_cpu_us = 120;
  auto again = UpdateCalibration(nlohmann::json::parse(both.dump()), r);
  EXPECT_EQ(again["engines"]["postgresql"]["statement_cpu_by_clients"]["16"], 120.0);
  EXPECT_EQ(again["engines"]["postgresql"]["statement_cpu_by_clients"]["64"], 190.0);
  // A file from before the map: its pair becomes an entry at the count it names.
  nlohmann::json old = nlohmann::json::parse(at16.dump());
  old["engines"]["postgresql"].erase("statement_cpu_by_clients");
  r.clients = 1;
  r.statement_cpu_us = 99;
  auto upgraded = UpdateCalibration(old, r);
  EXPECT_EQ(upgraded["engines"]["postgresql"]["statement_cpu_by_clients"]["16"], 141.3);
  // Nothing for several clients measured: no map.
  EXPECT_TRUE(
      UpdateCalibration(nullptr, r)["engines"]["postgresql"]["statement_cpu_by_clients"].is_null());
}

// The CPU of the statements goes in by client count and shape: a one-statement `insert` run
// beside a seven-statement `tpcb` run at the same count gives advise a line through both.
TEST(UpdateCalibration, StatementsCpuKeepsEveryCountAndShape) {
  VerifyReport r = Sample();
  r.plan.predicted_workload = Workload{};
  r.plan.predicted_workload->statements_per_txn = 7;
  r.statement_cpu_us = 120.04;
  r.clients = 16;
  auto tpcb = UpdateCalibration(nullptr, r);
  EXPECT_EQ(tpcb["engines"]["postgresql"]["statements_cpu_us_by_clients"]["16"]["7"], 840.3);
  // An insert run at 16 adds its shape; one at 64 its count.
  r.plan.predicted_workload->statements_per_txn = 1;
  r.statement_cpu_us = 150;
  auto both = UpdateCalibration(nlohmann::json::parse(tpcb.dump()), r);
  r.clients = 64;
  r.statement_cpu_us = 230;
  auto three = UpdateCalibration(nlohmann::json::parse(both.dump()), r);
  const auto& by = three["engines"]["postgresql"]["statements_cpu_us_by_clients"];
  EXPECT_EQ(by["16"]["7"], 840.3);
  EXPECT_EQ(by["16"]["1"], 150.0);
  EXPECT_EQ(by["64"]["1"], 230.0);
  EXPECT_EQ(by.size(), 2u);
  // A run without a statement figure (flush-bound, or emulated flushes) keeps them all.
  r.statement_cpu_us.reset();
  auto kept = UpdateCalibration(nlohmann::json::parse(three.dump()), r);
  EXPECT_EQ(kept["engines"]["postgresql"]["statements_cpu_us_by_clients"], by);
  // Nothing measured: no map.
  EXPECT_TRUE(UpdateCalibration(nullptr, r)["engines"]["postgresql"]["statements_cpu_us_by_clients"]
                  .is_null());
}

TEST(UpdateCalibration, WithoutLoggedReplayTheRateIsALowerBound) {
  VerifyReport r = Sample();
  r.engine = "mariadb";
  for (auto& c : r.crashes) c.redo_s.reset();
  auto j = UpdateCalibration(nullptr, r);
  const auto& m = j["engines"]["mariadb"];
  EXPECT_EQ(m["replay_bytes_per_s"], std::round(10e6 / 1.2));
  EXPECT_EQ(m["replay_rate_is_lower_bound"], true);
  EXPECT_EQ(m["restart_overhead_s"], 0.4);
}

// MariaDB does not log its replay time: a calibration keeps its cold worst-case restarts and,
// once three of one workload span 1.5x in redo, fits a line (FitRestartLine) over them. Session
// 26's `update` restarts: (93.4 MB, 1.73 s) and (256.8 MB, 3.05 s) in the file, (273.1 MB,
// 3.79 s) from this run: Sxx 19752.45 MB^2, Sxy 199.3107 MB s, 99.1038 MB/s; least squares
// 0.760212 s, raised by twice the residuals' deviation (2 x 0.408334 s) to 1.576879 s. With
// `tpcb`'s (82.0 MB, 2.03 s), (205.3 MB, 2.79 s), (101.3 MB, 2.48 s), (201.5 MB, 3.27 s) beside
// them (140.85 MB/s, least squares 1.595097 s + 2 x 0.298185 s = 2.191467 s), the calibration
// keeps the envelope: the larger fixed part (tpcb's) and the steeper slope (update's).
TEST(UpdateCalibration, MariadbFitsALinePerWorkloadOverItsColdRestarts) {
  VerifyReport r = Sample();
  r.engine = "mariadb";
  r.workload = "update";
  CrashResult c;
  c.recovery_time_s = 3.79;
  c.redo_bytes = 273100000;
  c.worst_case.emplace();
  c.worst_case->cold_cache = true;
  CrashResult warm = c;  // a restart without --worst-case's eviction is not a window
  warm.worst_case.reset();
  r.crashes = {c, warm};
  auto existing = nlohmann::json::parse(R"({"engines": {"mariadb": {"recovery_windows": [
      {"redo_bytes": 93400000, "recovery_s": 1.73, "workload": "update"}]}}})");
  // Two restarts of a workload: no line yet (no spread to raise it by).
  auto two = UpdateCalibration(existing, r)["engines"]["mariadb"];
  EXPECT_EQ(two["recovery_windows"].size(), 2u);
  EXPECT_TRUE(two["restart_fit_windows"].is_null());
  EXPECT_EQ(two["replay_rate_is_lower_bound"], true);

  existing["engines"]["mariadb"]["recovery_windows"].push_back(
      {{"redo_bytes", 256800000}, {"recovery_s", 3.05}, {"workload", "update"}});
  ASSERT_TRUE(CheckCalibrationToUpdate(existing, "--calibrate").ok());
  auto j = UpdateCalibration(existing, r);
  const auto& m = j["engines"]["mariadb"];
  ASSERT_EQ(m["recovery_windows"].size(), 3u);
  EXPECT_EQ(m["recovery_windows"][2]["redo_bytes"], 273100000u);
  EXPECT_EQ(m["recovery_windows"][2]["workload"], "update");
  EXPECT_EQ(m["restart_fit_windows"], 3u);
  EXPECT_EQ(m["replay_rate_is_lower_bound"], false);
  EXPECT_NEAR(m["replay_bytes_per_s"].get<double>(), 99.1038e6, 100);
  EXPECT_NEAR(m["restart_overhead_s"].get<double>(), 1.5769, 1e-9);
  EXPECT_NE(m["restart_fit"].get<std::string>().find(
                "update: 1.577 s + redo / 99.1 MB/s over 3 restarts (least squares 0.760 s, "
                "raised 0.817 s: highest residual 0.274 s, standard deviation 0.408 s)"),
            std::string::npos)
      << m["restart_fit"];

  for (auto [redo, seconds] :
       {std::pair{82000000, 2.03}, {205300000, 2.79}, {101300000, 2.48}, {201500000, 3.27}}) {
    existing["engines"]["mariadb"]["recovery_windows"].push_back(
        {{"redo_bytes", redo}, {"recovery_s", seconds}, {"workload", "tpcb"}});
  }
  auto both = UpdateCalibration(existing, r)["engines"]["mariadb"];
  EXPECT_EQ(both["restart_fit_windows"], 7u);
  EXPECT_NEAR(both["restart_overhead_s"].get<double>(), 2.1915, 1e-9);
  EXPECT_NEAR(both["replay_bytes_per_s"].get<double>(), 99.1038e6, 100);

  // One window per workload: no line (a line through two workloads would tilt); the whole
  // restart gives a lower-bound rate, as before.
  auto mixed = nlohmann::json::parse(R"({"engines": {"mariadb": {"recovery_windows": [
      {"redo_bytes": 82000000, "recovery_s": 2.03, "workload": "tpcb"}]}}})");
  auto first = UpdateCalibration(mixed, r)["engines"]["mariadb"];
  EXPECT_EQ(first["recovery_windows"].size(), 2u);
  EXPECT_TRUE(first["restart_fit_windows"].is_null());
  EXPECT_EQ(first["replay_rate_is_lower_bound"], true);

  // Only the last eight restarts are kept.
  nlohmann::json many = {
      {"engines", {{"mariadb", {{"recovery_windows", nlohmann::json::array()}}}}}};
  for (int i = 1; i <= 9; ++i) {
    many["engines"]["mariadb"]["recovery_windows"].push_back(
        {{"redo_bytes", i * 10000000}, {"recovery_s", 0.5 + 0.01 * i}});
  }
  auto kept = UpdateCalibration(many, r)["engines"]["mariadb"]["recovery_windows"];
  ASSERT_EQ(kept.size(), 8u);
  EXPECT_EQ(kept[0]["redo_bytes"], 30000000);
  EXPECT_EQ(kept[7]["redo_bytes"], 273100000u);
}

TEST(CheckCalibrationToUpdate, NamesTheMalformedRestart) {
  auto bad = nlohmann::json::parse(R"({"engines": {"mariadb": {"recovery_windows": [
      {"redo_bytes": 92900000, "recovery_s": 1.66}, {"redo_bytes": "92MB", "recovery_s": 1}]}}})");
  Status s = CheckCalibrationToUpdate(bad, "--calibrate");
  ASSERT_TRUE(s.IsInvalidArgument());
  EXPECT_EQ(s.field(), "--calibrate.engines.mariadb.recovery_windows[1].redo_bytes");
  EXPECT_TRUE(CheckCalibrationToUpdate(nullptr, "--calibrate").ok());
}

}  // namespace
}  // namespace waltune
