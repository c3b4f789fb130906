// MeasureOverwriteFlushesUs (verify's native flush latency) on a FakeEnv with a scripted clock.
#include <gtest/gtest.h>

#include "fake_env.h"
#include "waltune/probe.h"

namespace waltune {
namespace {

using testing::FakeEnv;
using testing::FakeOp;

constexpr uint64_t kOneUsNs = 1000;

// Overwrites cost 10 us, fdatasync 100 us plus 1 us per 8 KiB dirty, fsync 500 us.
uint64_t Cost(const FakeOp& op) {
  switch (op.kind) {
    case FakeOp::Kind::kWrite:
      return 10 * kOneUsNs;
    case FakeOp::Kind::kFdatasync:
      return 100 * kOneUsNs + op.bytes / 8192 * kOneUsNs;
    case FakeOp::Kind::kFsync:
      return 500 * kOneUsNs;
    default:
      return 0;
  }
}

TEST(OverwriteFlushesTest, SyncsPreallocatesThenTimesEachOverwriteAndFlush) {
  FakeEnv env;
  env.cost_ns = Cost;
  env.AddDirectory("/run/pg");
  Result<std::vector<double>> us = MeasureOverwriteFlushesUs(&env, "/run/pg", 20);
  ASSERT_TRUE(us.ok()) << us.status().ToString();
  // Each sample: one 8 KiB overwrite (10 us) and its fdatasync (100 + 1 us); the preallocation
  // and its fsync are not timed.
  ASSERT_EQ(us->size(), 20u);
  for (double v : *us) EXPECT_DOUBLE_EQ(v, 111);

  std::vector<FakeOp> ops = env.ops();
  ASSERT_EQ(ops.size(), 1u + 16 + 1 + 2 * 20);
  EXPECT_EQ(ops[0].kind, FakeOp::Kind::kSyncFileSystem);
  EXPECT_EQ(ops[0].path, "/run/pg");
  for (int i = 1; i <= 16; ++i) {
    EXPECT_EQ(ops[i].kind, FakeOp::Kind::kWrite);
    EXPECT_EQ(ops[i].offset_bytes, static_cast<uint64_t>(i - 1) * 8192);
    EXPECT_EQ(ops[i].bytes, 8192u);
  }
  EXPECT_EQ(ops[17].kind, FakeOp::Kind::kFsync);
  for (int i = 0; i < 20; ++i) {
    const FakeOp& w = ops[18 + 2 * i];
    EXPECT_EQ(w.kind, FakeOp::Kind::kWrite);
    EXPECT_EQ(w.path, "/run/pg/flush-probe.tmp");
    EXPECT_EQ(w.offset_bytes, static_cast<uint64_t>(i % 16) * 8192);  // overwrites, never grows
    EXPECT_FALSE(w.grew_file);
    EXPECT_EQ(ops[19 + 2 * i].kind, FakeOp::Kind::kFdatasync);
  }
  EXPECT_TRUE(env.ExistingFiles().empty());  // the scratch file is removed
}

TEST(OverwriteFlushesTest, ReusesAScratchFileLeftBehind) {
  FakeEnv env;
  env.AddDirectory("/run/pg");
  ASSERT_TRUE(MeasureOverwriteFlushesUs(&env, "/run/pg", 1).ok());
  FileOptions create;
  create.create_exclusive = true;
  ASSERT_TRUE(env.OpenFile("/run/pg/flush-probe.tmp", create).ok());  // a crashed run's
  Result<std::vector<double>> us = MeasureOverwriteFlushesUs(&env, "/run/pg", 3);
  ASSERT_TRUE(us.ok()) << us.status().ToString();
  EXPECT_EQ(us->size(), 3u);
  EXPECT_TRUE(env.ExistingFiles().empty());
}

TEST(OverwriteFlushesTest, ErrorsNameTheScratchFile) {
  FakeEnv env;
  env.AddDirectory("/run/pg");
  env.fail_write_number = 3;
  Result<std::vector<double>> us = MeasureOverwriteFlushesUs(&env, "/run/pg", 5);
  ASSERT_FALSE(us.ok());
  EXPECT_EQ(us.status().ToString(), "flush probe /run/pg/flush-probe.tmp: No space left on device");
  EXPECT_TRUE(env.ExistingFiles().empty());

  Result<std::vector<double>> missing = MeasureOverwriteFlushesUs(&env, "/nowhere", 5);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().ToString(),
            "open /nowhere/flush-probe.tmp: No such file or directory");
}

// After a gap: each timed write + fdatasync follows a sleep of the gap. Scripted: sleeps overshoot
// by 60 us; writes and flushes cost as in Cost. Each sample: idle 2000 + 60 = 2060 us (the first
// one too: the clock is read after the preallocation's fsync), flush 10 + 101 = 111 us.
TEST(OverwriteFlushesTest, AfterAnIdleGapTimesTheIdleAndTheFlush) {
  FakeEnv env;
  env.AddDirectory("/run/pg");
  env.cost_ns = [](const FakeOp& op) -> uint64_t {
    return op.kind == FakeOp::Kind::kSleep ? 60 * kOneUsNs : Cost(op);
  };
  Result<IdleFlushSamples> s = MeasureFlushesAfterIdleUs(&env, "/run/pg", 4, 2000);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->gap_us, 2000u);
  ASSERT_EQ(s->idle_us.size(), 4u);
  ASSERT_EQ(s->flush_us.size(), 4u);
  for (double v : s->idle_us) EXPECT_DOUBLE_EQ(v, 2060);
  for (double v : s->flush_us) EXPECT_DOUBLE_EQ(v, 111);
  EXPECT_EQ(env.CountOps(FakeOp::Kind::kSleep), 4);
  // The sleep comes before each timed write.
  std::vector<FakeOp> ops = env.ops();
  ASSERT_GE(ops.size(), 4u * 3);
  const size_t first = ops.size() - 4 * 3;
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(ops[first + 3 * i].kind, FakeOp::Kind::kSleep);
    EXPECT_EQ(ops[first + 3 * i].sleep_us, 2000u);
    EXPECT_EQ(ops[first + 3 * i + 1].kind, FakeOp::Kind::kWrite);
    EXPECT_EQ(ops[first + 3 * i + 2].kind, FakeOp::Kind::kFdatasync);
  }
  EXPECT_TRUE(env.ExistingFiles().empty());
}

// Scripted overshoots of 50, 70 and 90 us over a 2000 us sleep.
TEST(OverwriteFlushesTest, SleepOvershootIsTheTimeBeyondTheAsk) {
  FakeEnv env;
  int n = 0;
  env.cost_ns = [&n](const FakeOp& op) -> uint64_t {
    return op.kind == FakeOp::Kind::kSleep ? (50 + 20 * n++) * kOneUsNs : 0;
  };
  std::vector<double> over = MeasureSleepOvershootUs(&env, 2000, 3);
  ASSERT_EQ(over.size(), 3u);
  EXPECT_DOUBLE_EQ(over[0], 50);
  EXPECT_DOUBLE_EQ(over[1], 70);
  EXPECT_DOUBLE_EQ(over[2], 90);
}

}  // namespace
}  // namespace waltune
