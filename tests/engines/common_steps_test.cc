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

TEST(CommonSteps, CommitModeFollowsTheDurabilityLevel) {
  Scenario s;
  s.workload.concurrency = 8;
  s.workload.write_rate_tps = 100;
  s.storage.flush_p50_us = 1000;
  s.storage.flush_p99_us = 2000;
  s.storage.seq_write_bytes_per_s = 500e6;
  const GroupCommitParams p = CommitParams(s, 50, 30);
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
