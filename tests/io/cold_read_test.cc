// MeasureColdBufferedReadBytesPerS / ReadFileColdBuffered (verify's and the probe's read through
// the page cache) on a FakeEnv with a scripted clock.
#include <gtest/gtest.h>

#include <map>

#include "fake_env.h"
#include "waltune/probe.h"

namespace waltune {
namespace {

using testing::FakeEnv;
using testing::FakeOp;

constexpr uint64_t kMiB = 1 << 20;

// Writes are free; a 1 MiB read costs 250 us in the first round, 500 us in the second and 100 us
// in the third (rounds counted by the cache drops before them).
TEST(ColdReadTest, WritesSyncsThenReadsBackEachRoundAfterADropAndTakesTheMedian) {
  FakeEnv env;
  int drops = 0;
  env.cost_ns = [&drops](const FakeOp& op) -> uint64_t {
    if (op.kind == FakeOp::Kind::kDropCache) ++drops;
    if (op.kind != FakeOp::Kind::kRead) return 0;
    const uint64_t per_round_us[] = {250, 500, 100};
    return per_round_us[(drops - 1) % 3] * 1000;
  };
  env.AddDirectory("/run/sqlite");
  Result<double> rate = MeasureColdBufferedReadBytesPerS(&env, "/run/sqlite", 4 * kMiB, 3);
  ASSERT_TRUE(rate.ok()) << rate.status().ToString();
  // Rounds: 4 MiB in 1 ms, 2 ms, 0.4 ms -> 4.194, 2.097, 10.486 GB/s; the median is the first.
  EXPECT_DOUBLE_EQ(*rate, 4.0 * kMiB / 0.001);

  int writes = 0, syncs = 0, reads = 0;
  for (const FakeOp& op : env.ops()) {
    if (op.kind == FakeOp::Kind::kWrite) {
      EXPECT_EQ(reads, 0);  // all written before the first read
      EXPECT_EQ(op.offset_bytes, static_cast<uint64_t>(writes) * kMiB);
      ++writes;
    }
    if (op.kind == FakeOp::Kind::kFdatasync) ++syncs;
    if (op.kind == FakeOp::Kind::kRead) {
      EXPECT_FALSE(op.direct);  // through the page cache
      EXPECT_EQ(op.bytes, kMiB);
      EXPECT_EQ(op.offset_bytes, static_cast<uint64_t>(reads % 4) * kMiB);  // in order
      EXPECT_EQ(op.path, "/run/sqlite/read-probe.tmp");
      ++reads;
    }
  }
  EXPECT_EQ(writes, 4);
  EXPECT_GE(syncs, 1);
  EXPECT_EQ(reads, 12);
  EXPECT_EQ(drops, 3);
  EXPECT_TRUE(env.ExistingFiles().empty());  // the scratch file is removed
}

TEST(ColdReadTest, ReadStopsAtTheDeadlineAfterOneBlock) {
  FakeEnv env;
  env.cost_ns = [](const FakeOp& op) -> uint64_t {
    return op.kind == FakeOp::Kind::kRead ? 1'000'000 : 0;  // 1 ms a block
  };
  env.AddDirectory("/d");
  FileOptions create;
  create.create_truncate = true;
  auto file = env.OpenFile("/d/f", create);
  ASSERT_TRUE(file.ok());
  std::vector<char> block(kMiB, 'x');
  for (int i = 0; i < 8; ++i) ASSERT_TRUE((*file)->WriteAt(i * kMiB, block.data(), kMiB).ok());
  file.value().reset();
  const uint64_t deadline_ns = env.NowNanos() + 2'500'000;
  Result<ColdReadSample> r = ReadFileColdBuffered(&env, "/d/f", 8 * kMiB, kMiB, deadline_ns);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->bytes, 3 * kMiB);  // blocks end at 1, 2, 3 ms: the third crosses 2.5 ms
  EXPECT_DOUBLE_EQ(r->BytesPerS(), 3.0 * kMiB / 0.003);
}

TEST(ColdReadTest, ErrorsNameTheScratchFileAndRemoveIt) {
  FakeEnv env;
  env.AddDirectory("/run/sqlite");
  env.fail_write_number = 2;
  Result<double> rate = MeasureColdBufferedReadBytesPerS(&env, "/run/sqlite", 4 * kMiB, 3);
  ASSERT_FALSE(rate.ok());
  EXPECT_EQ(rate.status().ToString(),
            "read probe /run/sqlite/read-probe.tmp: No space left on device");
  EXPECT_TRUE(env.ExistingFiles().empty());
}

TEST(ColdReadTest, NoRoundIsBadInput) {
  FakeEnv env;
  env.AddDirectory("/run/sqlite");
  Result<double> rate = MeasureColdBufferedReadBytesPerS(&env, "/run/sqlite", kMiB, 0);
  ASSERT_FALSE(rate.ok());
  EXPECT_EQ(rate.status().field(), "rounds");
}

// PostgreSQL's SyncDataDirectory cost per file: files written and fsynced once, then each
// pass fsyncs every one again with nothing dirty; the median pass's time per file. The fake
// charges the first fsync of a file 4 ms (it carries the write) and a clean one 300, 900 and
// 200 us in the three passes: the median is 300 us.
TEST(CleanFsyncTest, TimesFsyncOfFilesWithNothingDirtyAndTakesTheMedianPass) {
  FakeEnv env;
  std::map<std::string, int> fsyncs;
  env.cost_ns = [&fsyncs](const FakeOp& op) -> uint64_t {
    if (op.kind != FakeOp::Kind::kFsync) return 0;
    const int n = fsyncs[op.path]++;
    const uint64_t per_pass_us[] = {4000, 300, 900, 200};
    return per_pass_us[n] * 1000;
  };
  env.AddDirectory("/pg");
  Result<double> us = MeasureCleanFsyncUs(&env, "/pg", 10, 3);
  ASSERT_TRUE(us.ok()) << us.status().ToString();
  EXPECT_DOUBLE_EQ(*us, 300);
  EXPECT_EQ(fsyncs.size(), 10u);
  for (const auto& [path, n] : fsyncs) EXPECT_EQ(n, 4) << path;  // once dirty, three passes
  EXPECT_TRUE(env.ExistingFiles().empty());
}

TEST(CleanFsyncTest, ErrorsNameTheDirectoryAndRemoveTheFiles) {
  FakeEnv env;
  env.AddDirectory("/pg");
  env.fail_write_number = 3;
  Result<double> us = MeasureCleanFsyncUs(&env, "/pg", 10, 3);
  ASSERT_FALSE(us.ok());
  EXPECT_EQ(us.status().ToString(), "clean fsync probe in /pg: No space left on device");
  EXPECT_TRUE(env.ExistingFiles().empty());
  EXPECT_EQ(MeasureCleanFsyncUs(&env, "/pg", 0, 3).status().field(), "files");
  EXPECT_EQ(MeasureCleanFsyncUs(&env, "/pg", 10, 0).status().field(), "rounds");
}

}  // namespace
}  // namespace waltune
