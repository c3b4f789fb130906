// `verify --workload update|tpcb` and `verify --worst-case` on the three engines, short runs:
// commits are accounted exactly (strict loses none), and a worst-case crash happens after at
// least two checkpoint cycles at the chosen fraction of the peak, with the WAL replayed read
// from the engine. No throughput or timing asserts (the machine is shared).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "our_children.h"
#include "process.h"
#include "waltune/engine.h"
#include "waltune/request.h"
#include "waltune/verify.h"

namespace waltune {
namespace {

namespace fs = std::filesystem;

using testing::OurChildren;

class WorkloadRun : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/waltune-wtest-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    parent_ = tmpl;
    chmod(parent_.c_str(), 0755);  // the servers' own users must reach their dirs
    InstallCleanupSignalHandlers();
  }
  void TearDown() override {
    if (KeepDir()) return;
    EXPECT_TRUE(verify::ProcessesMentioning(parent_).empty());
    EXPECT_TRUE(OurChildren().empty());
    EXPECT_TRUE(fs::is_empty(parent_)) << "left in " << parent_;
    std::error_code ec;
    fs::remove_all(parent_, ec);
  }

  // Strict advice for this run and this workload's shape, as `verify --request` computes it.
  VerifyPlan PlanFor(Engine engine, VerifyWorkload workload, int clients) {
    RunConditions run;
    run.engine = engine;
    run.clients = clients;
    run.workload = workload;
    run.working_set_bytes = kWorkingSet;
    run = WithThisMachine(run);
    auto flush = MeasureFlushLatencyUs(parent_, 20);
    EXPECT_TRUE(flush.ok());
    run.native_flush_p50_us = flush->first;
    run.native_flush_p99_us = flush->second;
    nlohmann::json req = {
        {"constraints", {{"db_engine", EngineKey(engine)}, {"durability_requirement", "strict"}}}};
    auto scenario = ParseRequest(req);
    EXPECT_TRUE(scenario.ok()) << scenario.status().ToString();
    Scenario s = *scenario;
    AdaptScenarioToRun(run, &s);
    auto plan = PlanFromAdvice(Solve(s), run);
    EXPECT_TRUE(plan.ok()) << plan.status().ToString();
    VerifyPlan p = *plan;
    p.recovery_target_s = s.recovery_target_s;
    p.predicted_workload = s.workload;
    SetExpectedRecoveryAtDistance(s, &p);
    return p;
  }

  VerifyOptions Options(Engine engine, VerifyWorkload workload) {
    VerifyOptions o;
    o.engine = engine;
    o.workload = workload;
    o.working_set_bytes = kWorkingSet;
    o.clients = 4;
    o.seconds = 1.5;
    o.crashes = 1;
    o.crash_after_min_s = 0.5;
    o.crash_after_max_s = 1.0;
    o.parent_dir = parent_;
    o.preload_library = WALTUNE_PRELOAD_PATH;
    o.keep_dir = KeepDir();
    return o;
  }

  static void Set(VerifyPlan* plan, const std::string& name, const std::string& value) {
    for (auto& [n, v] : plan->settings) {
      if (n == name) {
        v = value;
        return;
      }
    }
    plan->settings.emplace_back(name, value);
  }

  static void ExpectExactAndIntact(const VerifyReport& r) {
    ASSERT_FALSE(r.crashes.empty());
    for (const CrashResult& c : r.crashes) {
      EXPECT_TRUE(c.recovery_error.empty()) << c.recovery_error;
      EXPECT_GT(c.acked_commits, 0u);
      // On a failure, the server's own account of the restart comes with it.
      EXPECT_EQ(c.lost_commits, 0u) << "server log of the restart:\n" << c.recovery_log_tail;
      EXPECT_TRUE(c.integrity_problems.empty())
          << ::testing::PrintToString(c.integrity_problems) << "\nserver log:\n"
          << c.recovery_log_tail;
    }
    for (const Verdict& v : r.verdicts) {
      if (v.claim == "no acknowledged commit lost" ||
          v.claim == "database intact after every crash" ||
          v.claim == "engine recovers after every crash") {
        EXPECT_TRUE(v.holds) << v.claim << ": " << v.detail;
      }
    }
  }

  // Runs one workload briefly with one SIGKILL: the accounting is exact and strict loses none.
  void ExpectWorkloadAccountsExactly(Engine engine, VerifyWorkload workload) {
    VerifyPlan plan = PlanFor(engine, workload, 4);
    auto r = RunVerify(Options(engine, workload), plan);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->workload, VerifyWorkloadName(workload));
    ASSERT_TRUE(r->working_set_bytes.has_value());
    EXPECT_GT(r->commits_measured, 0u);
    ExpectExactAndIntact(*r);
    auto j = ReportToJson(*r);
    EXPECT_EQ(j["workload"]["predicted_for"]["statements_per_txn"],
              workload == VerifyWorkload::kTpcb ? 7 : 4);
    // PostgreSQL splits its WAL into records and full-page images (pg_walinspect); the others'
    // logs carry no separate images.
    ASSERT_TRUE(r->wal_bytes_per_txn.has_value());
    if (engine == Engine::kPostgreSQL) {
      ASSERT_TRUE(r->wal_record_bytes_per_txn.has_value())
          << ::testing::PrintToString(r->plan.notes);
      EXPECT_GT(*r->wal_record_bytes_per_txn, 34);  // at least a commit record
      EXPECT_LE(*r->wal_record_bytes_per_txn, *r->wal_bytes_per_txn);
      EXPECT_TRUE(j["measured"]["wal_record_bytes_per_txn"].is_number());
      // The run's full-page images (after the load's checkpoint every first change writes one):
      // a mean of at most the page they hold, at most a block; the compression the run applied.
      ASSERT_TRUE(r->fpi_bytes.has_value()) << r->fpi_count;
      EXPECT_GT(r->fpi_count, 0u);
      EXPECT_GT(*r->fpi_bytes, 0);
      EXPECT_LE(*r->fpi_bytes, *r->fpi_page_bytes);
      EXPECT_LE(*r->fpi_page_bytes, 8192);
      EXPECT_FALSE(r->fpi_compression.empty());
      for (const auto& [name, value] : r->applied_settings) {
        if (name == "wal_compression") {
          EXPECT_EQ(r->fpi_compression, value);
        }
      }
    } else {
      EXPECT_FALSE(r->wal_record_bytes_per_txn.has_value());
    }
    // The CPU per statement the run implies (native flushes): positive, below the CPU of the
    // whole transaction; SQLite is modelled per row and has none. A run whose commits waited
    // on the flush more than twice as long as on the CPU (a slow spell of the disk) gives none,
    // and says so.
    const bool noted = std::any_of(r->plan.notes.begin(), r->plan.notes.end(), [](auto& n) {
      return n.find("no CPU per statement from this run") != std::string::npos;
    });
    if (engine == Engine::kSQLite) {
      EXPECT_FALSE(r->statement_cpu_us.has_value());
      EXPECT_FALSE(noted) << "SQLite has no statement figure to set aside";
    } else {
      ASSERT_TRUE(r->txn_cpu_us.has_value());
      ASSERT_TRUE(r->commits_per_wal_sync.has_value());
      EXPECT_EQ(noted, !r->statement_cpu_us.has_value());
      if (r->native_flush_samples > 0 &&
          FlushBoundMeasurement(*r->txn_cpu_us, r->native_flush_p50_us, *r->commits_per_wal_sync)) {
        EXPECT_TRUE(noted) << ::testing::PrintToString(r->plan.notes);
        return;
      }
      ASSERT_TRUE(r->statement_cpu_us.has_value());
      EXPECT_GT(*r->statement_cpu_us, 0);
      EXPECT_LT(*r->statement_cpu_us, *r->txn_cpu_us);
      EXPECT_TRUE(j["measured"]["statement_cpu_us"].is_number());
      // --calibrate files the CPU of the run's statements by its clients and its shape.
      const auto cal = UpdateCalibration(nullptr, *r)["engines"][r->engine];
      const int k = workload == VerifyWorkload::kTpcb ? 7 : 4;
      const auto& shape =
          cal["statements_cpu_us_by_clients"][std::to_string(r->clients)][std::to_string(k)];
      ASSERT_TRUE(shape.is_number()) << cal.dump();
      EXPECT_NEAR(shape.get<double>(), *r->statement_cpu_us * k, 0.05 * k);
    }
  }

  // SQLite: the band is judged on the expected peak, and never set aside for the load's rate.
  static void ExpectBandOnTheExpectedPeakAtAnyRate(const VerifyReport& r) {
    int bands = 0;
    for (const Verdict& v : r.verdicts) {
      if (v.kind != VerdictKind::kWorstCaseRecoveryBand) continue;
      ++bands;
      EXPECT_NE(v.detail.find("expected peak"), std::string::npos) << v.detail;
      EXPECT_EQ(v.detail.find("not judged"), std::string::npos) << v.detail;
    }
    EXPECT_EQ(bands, 1);
  }

  // One worst-case crash: after >= 2 checkpoint cycles, at >= the fraction of the peak, WAL
  // replayed read from the engine, a cold restart, nothing acknowledged lost.
  // `copy_dir` non-empty: --crash-copy into it (an empty directory the test made).
  void ExpectWorstCase(Engine engine, VerifyWorkload workload, int clients, const VerifyPlan& plan,
                       const std::string& copy_dir = "") {
    VerifyOptions o = Options(engine, workload);
    o.clients = clients;
    o.worst_case = true;
    o.worst_case_fraction = 0.9;
    o.worst_case_timeout_s = 200;
    o.crash_copy_dir = copy_dir;
    auto r = RunVerify(o, plan);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    if (!copy_dir.empty()) ExpectCrashCopies(*r, copy_dir);
    if (engine == Engine::kSQLite) ExpectBandOnTheExpectedPeakAtAnyRate(*r);
    ExpectExactAndIntact(*r);
    // One crash at the peak; a crash that a checkpoint beat to it is kept, marked, and retried.
    ASSERT_GE(r->crashes.size(), 1u);
    ASSERT_LE(r->crashes.size(), 1u + kMaxMissedPeaks);
    for (size_t k = 0; k + 1 < r->crashes.size(); ++k) {
      ASSERT_TRUE(r->crashes[k].worst_case.has_value());
      EXPECT_TRUE(r->crashes[k].worst_case->missed_peak) << "crash " << k + 1;
    }
    const size_t last = r->crashes.size() - 1;
    const CrashResult& c = r->crashes[last];
    ASSERT_TRUE(c.worst_case.has_value());
    const CrashResult::WorstCase& w = *c.worst_case;
    EXPECT_FALSE(w.missed_peak) << "replayed " << c.redo_bytes.value_or(0) << " of distance "
                                << w.distance_bytes;
    EXPECT_TRUE(w.reached) << "distance " << w.distance_bytes << " of peak "
                           << w.expected_peak_bytes << " after " << w.checkpoint_cycles
                           << " cycles";
    EXPECT_GE(w.checkpoint_cycles, 2);
    EXPECT_GT(w.expected_peak_bytes, 0u);
    EXPECT_GE(static_cast<double>(w.distance_bytes),
              0.9 * static_cast<double>(w.expected_peak_bytes));
    EXPECT_GE(w.fraction_of_peak, 0.9);
    EXPECT_TRUE(w.cold_cache);
    EXPECT_GT(w.evicted_files, 0u);
    ASSERT_TRUE(c.redo_bytes.has_value());
    EXPECT_GT(*c.redo_bytes, 0u);
    EXPECT_TRUE(w.replay_bytes_per_s.has_value());
    EXPECT_TRUE(w.recovery_to_estimate.has_value());
    // InnoDB: the model's expected recovery for the distance this crash replayed, beside it.
    auto j = ReportToJson(*r);
    const auto& jw = j["crashes"][last]["worst_case"];
    if (engine == Engine::kMariaDB) {
      ASSERT_TRUE(w.expected_at_distance_s.has_value());
      EXPECT_GT(*w.expected_at_distance_s, 0);
      ASSERT_TRUE(w.recovery_to_expected_at_distance.has_value());
      EXPECT_DOUBLE_EQ(*w.recovery_to_expected_at_distance,
                       c.recovery_time_s / *w.expected_at_distance_s);
      EXPECT_TRUE(jw["expected_at_distance_s"].is_number());
    } else {
      EXPECT_FALSE(w.expected_at_distance_s.has_value());
      EXPECT_TRUE(jw["expected_at_distance_s"].is_null());
    }
    EXPECT_TRUE(j["crashes"][last]["worst_case"]["wal_replayed_bytes"].is_number());
    EXPECT_EQ(j["crashes"][last]["worst_case"]["missed_peak"], false);
    // PostgreSQL: where the restart's time went, from its log, beside the model's terms.
    if (engine == Engine::kPostgreSQL) {
      ASSERT_TRUE(c.phases.before_redo_s && c.phases.redo_cpu_s && c.phases.after_redo_s);
      EXPECT_LE(*c.phases.before_redo_s + *c.redo_s + *c.phases.after_redo_s,
                c.recovery_time_s + 0.02);
      EXPECT_TRUE(c.phases.end_checkpoint_s.has_value());
      EXPECT_TRUE(j["crashes"][last]["phases"]["redo_cpu_s"].is_number());
      EXPECT_TRUE(j["predicted"]["recovery_terms_s"]["replay_s"].is_number());
      EXPECT_TRUE(j["predicted"]["recovery_terms_s"]["datadir_sync_s"].is_number());
      // The window read back before the restart: from the REDO point the replay started at to
      // where the replay ended (the engine's own account), records and images summing to its
      // length less the page headers and alignment (a few %); a window of an update load
      // holds images.
      ASSERT_TRUE(w.window.has_value()) << w.window_error;
      const CrashWindowMix& m = *w.window;
      const double length = static_cast<double>(m.end_lsn - m.start_lsn);
      EXPECT_LE(static_cast<double>(m.record_bytes + m.fpi_bytes), length);
      EXPECT_GE(static_cast<double>(m.record_bytes + m.fpi_bytes), 0.9 * length);
      EXPECT_NEAR(length, static_cast<double>(*c.redo_bytes),
                  0.02 * static_cast<double>(*c.redo_bytes) + 65536);
      EXPECT_GT(m.fpi_count, 0u);
      EXPECT_LE(m.fpi_pages, m.fpi_count);
      EXPECT_GT(m.fpi_pages, 0u);
      EXPECT_LE(m.fpi_bytes, m.fpi_count * 8192);
      EXPECT_TRUE(jw["window"]["fpi_count"].is_number());
      EXPECT_GT(m.xact_records, 0u);
      // --calibrate keeps the window beside the replay it timed; advise reads it back and gives
      // the expected peak beside the bound.
      // (Summed over the crashes, a retried one that missed the peak included.)
      double records = 0, images = 0, txns = 0, redo_s = 0;
      for (const CrashResult& each : r->crashes) {
        ASSERT_TRUE(each.worst_case && each.worst_case->window && each.redo_s);
        records += static_cast<double>(each.worst_case->window->record_bytes);
        images += static_cast<double>(each.worst_case->window->fpi_count);
        txns += static_cast<double>(each.worst_case->window->xact_records);
        redo_s += *each.redo_s;
      }
      const nlohmann::json cal = UpdateCalibration(nullptr, *r);
      const auto& e = cal["engines"]["postgresql"];
      EXPECT_EQ(e["replay_window_record_bytes"], records);
      EXPECT_EQ(e["replay_window_fpi_count"], images);
      EXPECT_EQ(e["replay_window_transactions"], txns);
      EXPECT_NEAR(e["replay_window_redo_s"].get<double>(), redo_s, 1e-4);
      ParseOptions with;
      with.calibration = cal;
      auto calibrated = ParseRequest(
          {{"constraints", {{"db_engine", "postgresql"}, {"durability_requirement", "strict"}}}},
          with);
      ASSERT_TRUE(calibrated.ok()) << calibrated.status().ToString();
      ASSERT_TRUE(calibrated->calibration.replay_window.has_value());
      const Advice advice = Solve(*calibrated);
      bool expected_peak = false;
      for (const auto& est : advice.estimates) {
        expected_peak = expected_peak || est.name == "expected_peak_recovery_time_s";
      }
      EXPECT_TRUE(expected_peak);
    } else {
      EXPECT_FALSE(w.window.has_value());
      EXPECT_TRUE(w.window_error.empty()) << w.window_error;
      EXPECT_FALSE(j["crashes"][last].contains("phases"));
    }
  }

  // Each crash's copy is the killed instance as it was before its restart: the data directory
  // with its control file, and the server's log without that restart's replay. Removed after.
  static void ExpectCrashCopies(const VerifyReport& r, const std::string& copy_dir) {
    const nlohmann::json j = ReportToJson(r);
    for (size_t k = 0; k < r.crashes.size(); ++k) {
      const std::string crash = copy_dir + "/crash" + std::to_string(k + 1);
      ASSERT_TRUE(r.crashes[k].worst_case.has_value());
      EXPECT_EQ(r.crashes[k].worst_case->copy_dir, crash);
      EXPECT_EQ(j["crashes"][k]["worst_case"]["copy_dir"], crash);
      EXPECT_TRUE(fs::exists(crash + "/data/global/pg_control")) << crash;
    }
    std::ifstream log(copy_dir + "/crash1/server.log");
    std::stringstream text;
    text << log.rdbuf();
    EXPECT_NE(text.str().find("ready to accept connections"), std::string::npos) << text.str();
    EXPECT_EQ(text.str().find("redo done"), std::string::npos) << text.str();
    std::error_code ec;
    fs::remove_all(copy_dir, ec);
    EXPECT_FALSE(ec) << ec.message();
  }

  // WALTUNE_TEST_KEEP_DIR=1 keeps the servers' directories (and their logs) for inspection.
  static bool KeepDir() { return getenv("WALTUNE_TEST_KEEP_DIR") != nullptr; }

  static constexpr uint64_t kWorkingSet = 4ull << 20;
  std::string parent_;
};

TEST_F(WorkloadRun, SqliteUpdateAccountsExactly) {
  ExpectWorkloadAccountsExactly(Engine::kSQLite, VerifyWorkload::kUpdate);
}
TEST_F(WorkloadRun, SqliteTpcbAccountsExactly) {
  ExpectWorkloadAccountsExactly(Engine::kSQLite, VerifyWorkload::kTpcb);
}
TEST_F(WorkloadRun, PostgresUpdateAccountsExactly) {
  ExpectWorkloadAccountsExactly(Engine::kPostgreSQL, VerifyWorkload::kUpdate);
}
TEST_F(WorkloadRun, PostgresTpcbAccountsExactly) {
  ExpectWorkloadAccountsExactly(Engine::kPostgreSQL, VerifyWorkload::kTpcb);
}
TEST_F(WorkloadRun, MariadbUpdateAccountsExactly) {
  ExpectWorkloadAccountsExactly(Engine::kMariaDB, VerifyWorkload::kUpdate);
}
TEST_F(WorkloadRun, MariadbTpcbAccountsExactly) {
  ExpectWorkloadAccountsExactly(Engine::kMariaDB, VerifyWorkload::kTpcb);
}

// Short checkpoint cycles so that two complete within seconds: the smallest max_wal_size
// (2 x 16 MB segments) and the shortest checkpoint_timeout.
TEST_F(WorkloadRun, PostgresWorstCase) {
  VerifyPlan plan = PlanFor(Engine::kPostgreSQL, VerifyWorkload::kUpdate, 4);
  Set(&plan, "max_wal_size", "32MB");
  Set(&plan, "min_wal_size", "32MB");
  Set(&plan, "checkpoint_timeout", "30s");
  Set(&plan, "checkpoint_completion_target", "0.9");
  // With --crash-copy: the killed instance is kept for replays offline.
  const std::string copy_dir = parent_ + "/copy";
  ASSERT_TRUE(fs::create_directory(copy_dir));
  ExpectWorstCase(Engine::kPostgreSQL, VerifyWorkload::kUpdate, 4, plan, copy_dir);
}

// A small redo log: InnoDB's page cleaner moves the checkpoint as the age approaches it.
TEST_F(WorkloadRun, MariadbWorstCase) {
  VerifyPlan plan = PlanFor(Engine::kMariaDB, VerifyWorkload::kTpcb, 4);
  Set(&plan, "innodb_log_file_size", "32M");
  ExpectWorstCase(Engine::kMariaDB, VerifyWorkload::kTpcb, 4, plan);
}

// One writer, so PASSIVE checkpoints can restart the WAL (with several, the WAL can keep
// growing: see the advice's warning); a small wal_autocheckpoint makes cycles short.
// The advice's expected peak is its wal_autocheckpoint at any rate, so the band is judged on it
// at whatever rate the unpaced load ran (the required rate is the request's default).
TEST_F(WorkloadRun, SqliteWorstCase) {
  VerifyPlan plan = PlanFor(Engine::kSQLite, VerifyWorkload::kUpdate, 1);
  Set(&plan, "wal_autocheckpoint", "200");
  ASSERT_TRUE(plan.expected_peak_recovery_time_s.has_value());
  ASSERT_TRUE(plan.predicted_recovery_time_s.has_value());
  EXPECT_LE(*plan.expected_peak_recovery_time_s, *plan.predicted_recovery_time_s);
  ExpectWorstCase(Engine::kSQLite, VerifyWorkload::kUpdate, 1, plan);
}

}  // namespace
}  // namespace waltune
