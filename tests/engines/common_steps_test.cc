// The steps shared by the engine advisors (src/engines/common.cc), with hand-checked numbers.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common.h"

namespace waltune::engines {
namespace {

ThroughputEstimate Estimate(double tps, double latency_us, LimitingFactor limited_by) {
  ThroughputEstimate t;
  t.tps = tps;
  t.commit_latency_us = latency_us;
  t.limited_by = limited_by;
  return t;
}

TEST(CommonSteps, ImprovementJoinsReasonsAndNamesTheLimit) {
  const ThroughputEstimate base = Estimate(1000, 2000, LimitingFactor::kFlush);
  const ThroughputEstimate conf = Estimate(2900, 1500, LimitingFactor::kCpu);
  // 2900 / 1000 = 2.9x.
  EXPECT_EQ(Improvement(base, conf, {"commit_delay", "wal_compression"}),
            "2.9x (commit_delay + wal_compression); limited by cpu");
  EXPECT_EQ(Improvement(base, conf, {}), "2.9x (same commit path as the defaults); limited by cpu");
}

TEST(CommonSteps, FlushedLatencyImpactIsTheDifferenceInMilliseconds) {
  // 1500 us - 2000 us = -0.50 ms.
  EXPECT_EQ(FlushedLatencyImpact(Estimate(1000, 2000, LimitingFactor::kFlush),
                                 Estimate(1200, 1500, LimitingFactor::kFlush)),
            "-0.50 ms average per commit (1.50 ms vs 2.00 ms with the defaults)");
}

TEST(CommonSteps, ShortfallWarningAddsTheHintOnlyWhenTheFlushBinds) {
  EXPECT_EQ(ShortfallWarning(5000, Estimate(1234, 0, LimitingFactor::kFlush), ": hint"),
            "the required 5000 tps exceeds the predicted 1234 tps (limited by flush): hint");
  EXPECT_EQ(ShortfallWarning(5000, Estimate(1234, 0, LimitingFactor::kCpu), ": hint"),
            "the required 5000 tps exceeds the predicted 1234 tps (limited by cpu)");
}

TEST(CommonSteps, PageWriteCeilingBindsOnlyBelowTheEstimate) {
  ThroughputEstimate t = Estimate(1000, 0, LimitingFactor::kFlush);
  ApplyPageWriteCeiling(&t, 1500);
  EXPECT_EQ(t.tps, 1000);
  EXPECT_EQ(LimitedBy(t), "flush");
  ApplyPageWriteCeiling(&t, 400);
  EXPECT_EQ(t.tps, 400);
  EXPECT_EQ(LimitedBy(t), "page writes");
  // Relieved only when the configuration gains more than 5% over a page-write-bound default.
  EXPECT_TRUE(RelievesPageWrites(t, Estimate(421, 0, LimitingFactor::kFlush)));
  EXPECT_FALSE(RelievesPageWrites(t, Estimate(420, 0, LimitingFactor::kFlush)));
  EXPECT_FALSE(RelievesPageWrites(Estimate(400, 0, LimitingFactor::kFlush),
                                  Estimate(1000, 0, LimitingFactor::kCpu)));
}

TEST(CommonSteps, HalfFlushDelayIsRoundedAndClamped) {
  Scenario s;
  s.storage.flush_p50_us = 1001;  // 500.5 rounds to 501
  EXPECT_EQ(HalfFlushDelayUs(s), 501);
  s.storage.flush_p50_us = 4;  // 2 us, raised to 10
  EXPECT_EQ(HalfFlushDelayUs(s), 10);
  s.storage.flush_p50_us = 1e6;  // 500 ms, capped at 100 ms
  EXPECT_EQ(HalfFlushDelayUs(s), 100000);
}

// PostgreSQL-like costs: 62 us per statement, 37 us per group flush.
CpuCosts PerStatementCosts() {
  CpuCosts c;
  c.per_txn_us = 7;
  c.per_statement_us = 62;
  c.per_extra_row_us = 30;
  c.per_flush_us = 37;
  return c;
}

TEST(CpuCostsTest, TxnCpuSumsTheParts) {
  Workload w;
  w.rows_per_txn = 5;  // BEGIN + 5 statements + COMMIT = 7 statements, no extra rows
  // 7 + 7 x 100 = 707.
  EXPECT_DOUBLE_EQ(TxnCpuUs(PerStatementCosts(), w, 100), 707);
  w.statements_per_txn = 3;  // 5 rows in 3 statements: 2 extra rows
  // 7 + 3 x 100 + 2 x 30 = 367.
  EXPECT_DOUBLE_EQ(TxnCpuUs(PerStatementCosts(), w, 100), 367);
  CpuCosts per_row;
  per_row.per_txn_us = 20;
  per_row.per_row_us = 8;
  // SQLite-like: 20 + 5 x 8 = 60.
  EXPECT_DOUBLE_EQ(TxnCpuUs(per_row, w, 0), 60);
}

TEST(CpuCostsTest, StatementCpuFromAMeasurement) {
  Workload tpcb;
  tpcb.rows_per_txn = 4;
  tpcb.statements_per_txn = 7;
  // Sweep 4's PostgreSQL tpcb point at 4 clients: 1023 us per commit at 1.08 commits per sync.
  // (1023 - 7 - 37 / 1.08) / 7 = (1023 - 7 - 34.26) / 7 = 140.25.
  auto per = StatementCpuFromMeasurement(PerStatementCosts(), tpcb, 1023, 1.08);
  ASSERT_TRUE(per.has_value());
  EXPECT_NEAR(*per, 140.25, 0.01);
  // Back again: the statement figure reproduces the measured CPU per commit.
  EXPECT_NEAR(TxnCpuUs(PerStatementCosts(), tpcb, *per) + 37 / 1.08, 1023, 1e-9);
  Workload insert;
  insert.rows_per_txn = 1;  // one autocommit statement
  // (149 - 7 - 37) / 1 = 105.
  EXPECT_NEAR(*StatementCpuFromMeasurement(PerStatementCosts(), insert, 149, 1), 105, 1e-9);
  // Less CPU than the fixed and flush parts: no statement figure, never a negative one.
  EXPECT_FALSE(StatementCpuFromMeasurement(PerStatementCosts(), insert, 40, 1).has_value());
  EXPECT_FALSE(StatementCpuFromMeasurement(PerStatementCosts(), insert, 149, 0).has_value());
  CpuCosts per_row;
  per_row.per_row_us = 8;  // not modelled per statement
  EXPECT_FALSE(StatementCpuFromMeasurement(per_row, insert, 149, 1).has_value());
}

// Sweep 12's PostgreSQL calibration runs (docs/sweep-group-commit.md): CPU per commit, native
// fdatasync p50 around the load, commits per WAL sync. Set aside above 2 x the CPU per commit.
TEST(CpuCostsTest, FlushBoundMeasurementsDoNotCalibrate) {
  // One client during 4 ms flushes: 3996.4 / 1.00 = 3996 us of flush per commit > 2 x 1434.8.
  EXPECT_TRUE(FlushBoundMeasurement(1434.8, 3996.4, 1.0));
  // Sixteen clients in the same spell: 3997.2 / 2.59 = 1543 us < 2 x 1169.1 = 2338: kept.
  EXPECT_FALSE(FlushBoundMeasurement(1169.1, 3997.2, 2.59));
  // One client a minute before: 210.3 / 0.92 = 228.6 us < 880.2 us, a CPU-bound run.
  EXPECT_FALSE(FlushBoundMeasurement(440.1, 210.3, 0.92));
  // A one-row MariaDB insert with one client (session 40): 130.4 us < 2 x 87.4 = 174.8: kept.
  EXPECT_FALSE(FlushBoundMeasurement(87.4, 130.4, 1));
  // PostgreSQL's (session 40's sweep 16): 136.7 / 0.96 = 142.4 us > 2 x 70.6 = 141.2: set aside.
  EXPECT_TRUE(FlushBoundMeasurement(70.6, 136.7, 0.96));
  // The limit: 400 / 2 = 200 us = 2 x 100 is not above; 401 / 2 is.
  EXPECT_FALSE(FlushBoundMeasurement(100, 400, 2));
  EXPECT_TRUE(FlushBoundMeasurement(100, 401, 2));
  // Nothing to judge by: no flush latency, no batch, no CPU.
  EXPECT_FALSE(FlushBoundMeasurement(440, 0, 1));
  EXPECT_FALSE(FlushBoundMeasurement(440, 4000, 0));
  EXPECT_FALSE(FlushBoundMeasurement(0, 4000, 1));
}

double EstimateValue(const Advice& a, const std::string& name) {
  for (const auto& e : a.estimates) {
    if (e.name == name) return e.value;
  }
  return -1;
}

TEST(CpuCostsTest, CalibratedStatementCpuForTheRequestsRegime) {
  Scenario s;
  s.workload.rows_per_txn = 4;
  s.workload.statements_per_txn = 7;
  s.calibration.present = true;
  s.calibration.source = "test box";
  s.calibration.statement_cpu_one_client_us = 100;
  s.calibration.statement_cpu_concurrent_us = 150;
  s.calibration.statement_cpu_clients = 16;
  s.calibration.txn_cpu_us = 999;

  s.workload.concurrency = 1;
  Advice a;
  TxnCpu one = ResolveTxnCpu(s, PerStatementCosts(), &a);
  EXPECT_DOUBLE_EQ(one.txn_us, 7 + 7 * 100);  // 707
  EXPECT_DOUBLE_EQ(one.flush_us, 37);
  EXPECT_TRUE(one.includes_idle_wakes);
  EXPECT_DOUBLE_EQ(EstimateValue(a, "txn_cpu_us"), 707);
  // Measured with one client, the wake-ups on idle cores are in the figure already.
  EXPECT_EQ(CommitParams(s, one).idle_wake_cpu_us, 0);

  s.workload.concurrency = 4;
  Advice b;
  TxnCpu several = ResolveTxnCpu(s, PerStatementCosts(), &b);
  EXPECT_DOUBLE_EQ(several.txn_us, 7 + 7 * 150);  // 1057
  EXPECT_FALSE(several.includes_idle_wakes);
  EXPECT_EQ(CommitParams(s, several).idle_wake_cpu_us, kIdleWakeCpuUs);
  EXPECT_TRUE(b.warnings.empty());

  // Only the other regime calibrated: the whole-transaction figure, with a warning.
  s.calibration.statement_cpu_concurrent_us.reset();
  Advice c;
  EXPECT_DOUBLE_EQ(ResolveTxnCpu(s, PerStatementCosts(), &c).txn_us, 999);
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_NE(c.warnings[0].find("only with one client"), std::string::npos) << c.warnings[0];
  EXPECT_NE(c.warnings[0].find("calibrated CPU per transaction"), std::string::npos)
      << c.warnings[0];

  // Nothing calibrated: the model, 7 + 7 x 62 = 441.
  s.calibration = Calibration{};
  Advice d;
  TxnCpu model = ResolveTxnCpu(s, PerStatementCosts(), &d);
  EXPECT_DOUBLE_EQ(model.txn_us, 441);
  EXPECT_FALSE(model.includes_idle_wakes);
}

// Several client counts calibrated: a request takes the smallest count at or above its own,
// the largest count (and says it may understate) above them all.
TEST(CpuCostsTest, ConcurrentStatementCpuFromTheNextCalibratedCount) {
  Scenario s;
  s.workload.rows_per_txn = 4;
  s.workload.statements_per_txn = 7;
  s.calibration.present = true;
  s.calibration.source = "test box";
  s.calibration.statement_cpu_one_client_us = 100;
  s.calibration.statement_cpu_by_clients = {{16, 150}, {64, 200}};
  auto txn_at = [&](int clients, std::string* source) {
    s.workload.concurrency = clients;
    Advice a;
    const double us = ResolveTxnCpu(s, PerStatementCosts(), &a).txn_us;
    EXPECT_TRUE(a.warnings.empty()) << clients;
    for (const auto& e : a.estimates) {
      if (e.name == "txn_cpu_us" && source != nullptr) *source = e.how;
    }
    return us;
  };
  std::string source;
  EXPECT_DOUBLE_EQ(txn_at(4, &source), 7 + 7 * 150);  // 1057: 16 is the next count
  EXPECT_NE(source.find("with 16 clients (test box)"), std::string::npos) << source;
  EXPECT_DOUBLE_EQ(txn_at(16, nullptr), 1057);
  EXPECT_DOUBLE_EQ(txn_at(17, &source), 7 + 7 * 200);  // 1407: 64 is the next count
  EXPECT_NE(source.find("with 64 clients (test box)"), std::string::npos) << source;
  EXPECT_DOUBLE_EQ(txn_at(64, nullptr), 1407);
  // Above every count: the largest, and the answer says it may understate.
  EXPECT_DOUBLE_EQ(txn_at(200, &source), 1407);
  EXPECT_NE(source.find("64 clients, fewer than this request's 200"), std::string::npos) << source;
  EXPECT_NE(source.find("--clients 200"), std::string::npos) << source;
  // One client still takes the one-client figure: 7 + 7 x 100.
  EXPECT_DOUBLE_EQ(txn_at(1, nullptr), 707);
}

// The line through the CPU of the statements at two or more statement counts, by hand:
// {1: 150, 7: 840}: per statement (840 - 150) / 6 = 115, per commit 150 - 115 = 35.
TEST(CpuCostsTest, FitStatementCommitCpuIsTheLineThroughTheShapes) {
  std::optional<StatementCommitCpu> fit = FitStatementCommitCpu({{1, 150}, {7, 840}});
  ASSERT_TRUE(fit.has_value());
  EXPECT_DOUBLE_EQ(fit->per_statement_us, 115);
  EXPECT_DOUBLE_EQ(fit->per_commit_us, 35);
  // Three shapes on a line: 50 per statement, 50 per commit (100, 250, 400).
  fit = FitStatementCommitCpu({{1, 100}, {4, 250}, {7, 400}});
  ASSERT_TRUE(fit.has_value());
  EXPECT_DOUBLE_EQ(fit->per_statement_us, 50);
  EXPECT_DOUBLE_EQ(fit->per_commit_us, 50);
  // Off the line, least squares: k 1, 4, 7 (mean 4), us 100, 280, 400 (mean 260):
  // slope (-3 x -160 + 0 + 3 x 140) / 18 = 900 / 18 = 50, intercept 260 - 200 = 60.
  fit = FitStatementCommitCpu({{1, 100}, {4, 280}, {7, 400}});
  ASSERT_TRUE(fit.has_value());
  EXPECT_DOUBLE_EQ(fit->per_statement_us, 50);
  EXPECT_DOUBLE_EQ(fit->per_commit_us, 60);
  // A commit at exactly no CPU is a line too: {1: 100, 7: 700}.
  fit = FitStatementCommitCpu({{1, 100}, {7, 700}});
  ASSERT_TRUE(fit.has_value());
  EXPECT_DOUBLE_EQ(fit->per_commit_us, 0);
  // Nothing beyond a CPU per statement: one shape, a negative commit (1: 50, 7: 700 gives
  // 108.3 per statement and -58.3 per commit), a CPU per statement that falls with statements.
  EXPECT_FALSE(FitStatementCommitCpu({}).has_value());
  EXPECT_FALSE(FitStatementCommitCpu({{7, 840}}).has_value());
  EXPECT_FALSE(FitStatementCommitCpu({{1, 50}, {7, 700}}).has_value());
  EXPECT_FALSE(FitStatementCommitCpu({{1, 200}, {7, 100}}).has_value());
  EXPECT_FALSE(FitStatementCommitCpu({{1, 200}, {7, 200}}).has_value());
}

// Two shapes at the request's calibrated count: the line prices a one-statement transaction
// with its commit's CPU, which the per-statement figure of `tpcb` alone spread over seven.
TEST(CpuCostsTest, TwoShapesAtACountGiveTheCommitItsOwnCpu) {
  Scenario s;
  s.workload.rows_per_txn = 1;
  s.workload.statements_per_txn = 1;
  s.workload.concurrency = 4;
  s.calibration.present = true;
  s.calibration.source = "test box";
  s.calibration.statement_cpu_one_client_us = 60;
  s.calibration.statement_cpu_by_clients = {{16, 120}, {64, 160}};
  s.calibration.statements_cpu_us_by_clients = {{16, {{1, 150}, {7, 840}}}, {64, {{7, 1120}}}};
  auto txn = [&](int clients, int statements, int rows, std::string* how) {
    s.workload.concurrency = clients;
    s.workload.statements_per_txn = statements;
    s.workload.rows_per_txn = rows;
    Advice a;
    const double us = ResolveTxnCpu(s, PerStatementCosts(), &a).txn_us;
    for (const auto& e : a.estimates) {
      if (e.name == "txn_cpu_us" && how != nullptr) *how = e.how;
    }
    return us;
  };
  std::string how;
  // 4 clients take 16's line: 7 fixed + 1 x 115 + 35 per commit = 157 (127 from 120 alone).
  EXPECT_DOUBLE_EQ(txn(4, 1, 1, &how), 157);
  EXPECT_NE(how.find("115.0 us per statement + 35.0 us per commit"), std::string::npos) << how;
  EXPECT_NE(how.find("150.0 us at 1 statement(s), 840.0 us at 7 statement(s)"), std::string::npos)
      << how;
  // The shape the figure was measured on keeps its CPU: 7 + 7 x 115 + 35 = 847 = 7 + 7 x 120.
  EXPECT_DOUBLE_EQ(txn(16, 7, 4, nullptr), 847);
  // 64 has one shape: its figure per statement, 7 + 160.
  EXPECT_DOUBLE_EQ(txn(64, 1, 1, &how), 167);
  EXPECT_EQ(how.find("per commit"), std::string::npos) << how;
  // One client has no shapes: the one-client figure, 7 + 60.
  EXPECT_DOUBLE_EQ(txn(1, 1, 1, nullptr), 67);
  // A line with a negative commit says nothing more: 16's figure per statement, 7 + 120.
  s.calibration.statements_cpu_us_by_clients[16] = {{1, 100}, {7, 840}};
  EXPECT_DOUBLE_EQ(txn(4, 1, 1, nullptr), 127);
}

TEST(CommonSteps, CommitModeFollowsTheDurabilityLevel) {
  Scenario s;
  s.workload.concurrency = 8;
  s.workload.write_rate_tps = 100;
  s.storage.flush_p50_us = 1000;
  s.storage.flush_p99_us = 2000;
  s.storage.seq_write_bytes_per_s = 500e6;
  const GroupCommitParams p = CommitParams(s, TxnCpu{50, 30, false});
  for (Durability d : {Durability::kStrict, Durability::kStandard, Durability::kRelaxed}) {
    s.durability = d;
    const CommitMode m = ChooseCommitMode(s, p, nullptr, 500, 1e9);
    EXPECT_FALSE(m.use_delay);  // none tried
    // 100 tps needed: a flushed commit path at 1 ms flushes has far more than 1.5x headroom, so
    // only relaxed gives up the flush per commit.
    EXPECT_EQ(m.flush_each_commit, d != Durability::kRelaxed);
    EXPECT_GE(m.sync_t.tps, kStandardHeadroom * 100);
    if (d != Durability::kRelaxed) {
      EXPECT_EQ(m.conf_t.tps, m.sync_t.tps);
    }
  }
  // A page-write ceiling below every path caps the chosen mode and becomes its limit.
  s.durability = Durability::kStrict;
  const CommitMode capped = ChooseCommitMode(s, p, nullptr, 500, 50);
  EXPECT_EQ(capped.conf_t.tps, 50);
  EXPECT_EQ(LimitedBy(capped.conf_t), "page writes");
  // Standard without the headroom (1.5 x 100 tps > the 50 tps ceiling) uses the bounded-loss
  // mode.
  s.durability = Durability::kStandard;
  EXPECT_FALSE(ChooseCommitMode(s, p, nullptr, 500, 50).flush_each_commit);
}

std::string Line(const Setting& st) { return st.name + "=" + st.ConfigText() + "\n"; }

TEST(CommonSteps, ConfigSnippetSkipsInformationalSettings) {
  Advice a;
  a.engine = Engine::kMariaDB;
  std::vector<Setting> wal = {Setting::Text("a", "1", "why")};
  std::vector<Setting> ckpt = {Setting::Text("derived", "2", "why"), Setting::Text("b", "3", "")};
  ckpt[0].informational = true;
  const std::string snippet = ConfigSnippet(a, "title", "#", "[section]\n", {&wal, &ckpt}, Line);
  EXPECT_EQ(snippet.rfind("# waltune: title\n", 0), 0u) << snippet;
  EXPECT_NE(snippet.find("[section]\na=1\nb=3\n"), std::string::npos) << snippet;
  EXPECT_EQ(snippet.find("derived"), std::string::npos) << snippet;
}

}  // namespace
}  // namespace waltune::engines
