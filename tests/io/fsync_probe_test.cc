// RunProbe end to end on a FakeEnv whose clock advances by scripted costs, so every number the
// probe reports can be predicted exactly.
#include <gtest/gtest.h>

#include "fake_env.h"
#include "waltune/probe.h"

namespace waltune {
namespace {

using testing::FakeEnv;
using testing::FakeOp;

constexpr uint64_t kUs = 1000;
constexpr uint64_t kMiB64 = 64ull * 1024 * 1024;

// A SATA SSD with a volatile cache, with these costs:
//   fdatasync 100 us, fsync 150 us, +50 us when the file grew since the last flush,
//   +2 ns per dirty byte beyond 1 MiB (the sequential phase's final flush);
//   O_DSYNC write 70 us + 20 us per 8 KiB, O_DIRECT|O_DSYNC write 80 us, +50 us when growing;
//   buffered writes of 1 MiB 100 us, smaller ones free;
//   uncached reads: 8 KiB 100 us, 16 KiB 120 us, 1 MiB 500 us (O_DIRECT) or 250 us through the
//   page cache (readahead); dropping the cache is free.
uint64_t SsdCost(const FakeOp& op) {
  const uint64_t grow = op.grew_file ? 50 * kUs : 0;
  switch (op.kind) {
    case FakeOp::Kind::kFdatasync:
      return 100 * kUs + grow + (op.bytes > (1u << 20) ? op.bytes * 2 : 0);
    case FakeOp::Kind::kFsync:
      return 150 * kUs + grow;
    case FakeOp::Kind::kAllocate:
      return 0;
    case FakeOp::Kind::kWrite:
      if (op.direct) return 80 * kUs + grow;
      if (op.dsync) return 70 * kUs + op.bytes / 8192 * 20 * kUs + grow;
      return op.bytes >= (1u << 20) ? 100 * kUs : 0;
    case FakeOp::Kind::kRead:
      if (op.bytes >= (1u << 20)) return op.direct ? 500 * kUs : 250 * kUs;
      return op.bytes >= 16384 ? 120 * kUs : 100 * kUs;
    case FakeOp::Kind::kDropCache:
    case FakeOp::Kind::kSyncFileSystem:
    case FakeOp::Kind::kSleep:  // no overshoot
      return 0;
  }
  return 0;
}

class FsyncProbeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_.cost_ns = SsdCost;
    env_.AddDirectory("/data/pg");
    env_.SetText("/proc/mounts", "/dev/sda1 /data ext4 rw,relatime 0 0\n");
    env_.SetDevice("/data/pg", {8, 1});
    const std::string sda =
        "/sys/devices/pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0/block/sda";
    env_.SetRealPath("/sys/dev/block/8:1", sda + "/sda1");
    env_.SetText(sda + "/sda1/partition", "1\n");
    env_.SetText("/sys/block/sda/queue/rotational", "0\n");
    env_.SetText("/sys/block/sda/queue/write_cache", "write back\n");
    // 0.1 s per budget unit: the weights add up to 15.2 with one group-commit point
    // (4 x (1 + 0.5) sync methods, 6 x 0.4 write sizes, 3 x 0.2 flushes after idle,
    // 1.5 sequential, 0.8 group commit, 6 x 0.4 random page writes/reads, 0.5 sequential read,
    // 0.5 read through the page cache, 0.5 fsync of clean files).
    options_.path = "/data/pg";
    options_.budget_s = 1.52;
    options_.max_ops_per_phase = 50;
    options_.seq_max_bytes = kMiB64;
    options_.group_commit_writers = {1};
  }

  const SyncMethodResult& Method(const std::vector<SyncMethodResult>& all,
                                 const std::string& name) {
    for (const SyncMethodResult& m : all) {
      if (m.method == name) return m;
    }
    ADD_FAILURE() << "no method " << name;
    return all.front();
  }

  FakeEnv env_;
  ProbeOptions options_;
};

TEST_F(FsyncProbeTest, OverwriteLatenciesPerMethodAreExact) {
  auto p = RunProbe(&env_, options_);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ASSERT_EQ(p->sync_methods.size(), 4u);
  const struct {
    const char* method;
    double us;
  } expected[] = {{kFdatasync, 100}, {kFsync, 150}, {kOpenDatasync, 90}, {kOpenDatasyncDirect, 80}};
  for (const auto& e : expected) {
    const SyncMethodResult& m = Method(p->sync_methods, e.method);
    SCOPED_TRACE(e.method);
    EXPECT_TRUE(m.supported);
    EXPECT_EQ(m.stats.ops, 50u);  // max_ops_per_phase reached before the 0.1 s phase ends
    EXPECT_DOUBLE_EQ(m.stats.p50_us, e.us);
    EXPECT_DOUBLE_EQ(m.stats.p99_us, e.us);
    EXPECT_DOUBLE_EQ(m.stats.max_us, e.us);
    EXPECT_DOUBLE_EQ(m.stats.ops_per_s, 1e6 / e.us);
  }
}

TEST_F(FsyncProbeTest, AppendsPayForGrowingTheFile) {
  auto p = RunProbe(&env_, options_);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_DOUBLE_EQ(Method(p->append_sync_methods, kFdatasync).stats.p50_us, 150);
  EXPECT_DOUBLE_EQ(Method(p->append_sync_methods, kFsync).stats.p50_us, 200);
  EXPECT_DOUBLE_EQ(Method(p->append_sync_methods, kOpenDatasync).stats.p50_us, 140);
  EXPECT_DOUBLE_EQ(Method(p->append_sync_methods, kOpenDatasyncDirect).stats.p50_us, 130);
  // Appends go to fresh files, each growing by 8 KiB per op, never into the segment (the
  // clean-fsync phase's 100 one-page files grow once each too).
  int appends_growing = 0;
  for (const FakeOp& op : env_.ops()) {
    if (op.kind == FakeOp::Kind::kWrite && op.grew_file && op.bytes == 8192) ++appends_growing;
  }
  EXPECT_EQ(appends_growing, 4 * 50 + 100);
}

TEST_F(FsyncProbeTest, WriteSizesCompareOneAndTwoBlocksPerFlush) {
  auto p = RunProbe(&env_, options_);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ASSERT_EQ(p->write_sizes.size(), 6u);
  const struct {
    const char* method;
    int writes;
    uint64_t bytes;
    double us;
  } expected[] = {{kFdatasync, 1, 8192, 100},    {kFdatasync, 2, 8192, 100},
                  {kFdatasync, 1, 16384, 100},   {kOpenDatasync, 1, 8192, 90},
                  {kOpenDatasync, 2, 8192, 180}, {kOpenDatasync, 1, 16384, 110}};
  for (size_t i = 0; i < 6; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(p->write_sizes[i].method, expected[i].method);
    EXPECT_EQ(p->write_sizes[i].writes_per_flush, expected[i].writes);
    EXPECT_EQ(p->write_sizes[i].write_bytes, expected[i].bytes);
    EXPECT_DOUBLE_EQ(p->write_sizes[i].stats.p50_us, expected[i].us);
  }
}

TEST_F(FsyncProbeTest, SequentialBandwidthIncludesTheFinalFlush) {
  auto p = RunProbe(&env_, options_);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->seq_write_bytes, kMiB64);
  // 64 writes of 1 MiB at 100 us, then fdatasync: 100 us, +50 us as the file grew, + 2 ns per
  // dirty byte.
  const double elapsed_ns = 64 * 100e3 + 100e3 + 50e3 + 2.0 * kMiB64;
  EXPECT_DOUBLE_EQ(p->seq_write_bytes_per_s, kMiB64 * 1e9 / elapsed_ns);
}

// Random pages on the 64 MiB sequential file, 50 ops per phase (max_ops_per_phase):
//   8 KiB writes, no flush each: 50 free buffered writes + one fdatasync of 409,600 dirty bytes
//     (100 us, under the 1 MiB threshold) -> 50 / 100 us = 500,000 ops/s;
//   8 KiB writes + fdatasync each: 100 us per op -> 10,000 ops/s (16 KiB the same);
//   uncached reads (O_DIRECT): 8 KiB 100 us -> 10,000/s, 16 KiB 120 us -> 8,333.3/s;
//   sequential read: 64 x 1 MiB at 500 us = 32 ms -> 64 MiB / 0.032 s = 2,097,152,000 B/s;
//   through the page cache: 64 x 1 MiB at 250 us = 16 ms -> 4,194,304,000 B/s.
TEST_F(FsyncProbeTest, RandomPageWritesAndColdReadsAreExact) {
  auto p = RunProbe(&env_, options_);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ASSERT_EQ(p->random_io.size(), 6u);
  struct Expected {
    bool read;
    uint64_t bytes;
    bool flush_each;
    double ops_per_s;
  };
  const Expected expected[] = {{false, 8192, false, 500000},  {false, 8192, true, 10000},
                               {false, 16384, false, 500000}, {false, 16384, true, 10000},
                               {true, 8192, false, 10000},    {true, 16384, false, 1e6 / 120}};
  for (size_t i = 0; i < 6; ++i) {
    const RandomIoResult& r = p->random_io[i];
    EXPECT_EQ(r.read, expected[i].read) << i;
    EXPECT_EQ(r.block_bytes, expected[i].bytes) << i;
    EXPECT_EQ(r.flush_each, expected[i].flush_each) << i;
    EXPECT_EQ(r.stats.ops, 50u) << i;
    EXPECT_NEAR(r.ops_per_s, expected[i].ops_per_s, 1e-6 * expected[i].ops_per_s) << i;
  }
  EXPECT_EQ(p->random_io[4].cache, "O_DIRECT");
  EXPECT_EQ(p->seq_read_bytes, kMiB64);
  EXPECT_DOUBLE_EQ(p->seq_read_bytes_per_s, kMiB64 / 0.032);
  EXPECT_EQ(p->buffered_read_bytes, kMiB64);
  EXPECT_DOUBLE_EQ(p->buffered_read_bytes_per_s, kMiB64 / 0.016);
  // Every read went to a file opened for reading, at a block-aligned offset inside it, after
  // the cache was dropped.
  int reads = 0, drops = 0;
  for (const FakeOp& op : env_.ops()) {
    if (op.kind == FakeOp::Kind::kDropCache) ++drops;
    if (op.kind != FakeOp::Kind::kRead) continue;
    ++reads;
    EXPECT_EQ(op.offset_bytes % op.bytes, 0u);
    EXPECT_LE(op.offset_bytes + op.bytes, kMiB64);
  }
  EXPECT_EQ(reads, 50 + 50 + 64 + 64);
  EXPECT_EQ(drops, 4);
  nlohmann::json j = ProfileToJson(*p);
  EXPECT_EQ(j["random_write_8k_iops"], 500000.0);
  EXPECT_EQ(j["random_write_8k_fdatasync_iops"], 10000.0);
  EXPECT_EQ(j["random_read_16k_iops"], 8333.3);
  EXPECT_EQ(j["seq_read_bytes_per_s"], 2097152000.0);
  EXPECT_EQ(j["buffered_read_bytes_per_s"], 4194304000.0);
  EXPECT_EQ(j["buffered_read_bytes"], kMiB64);
  EXPECT_EQ(j["random_io"].size(), 6u);
}

// The fsyncs of files with nothing dirty in the last phase (after the last read).
int CleanFsyncsOfTheLastPhase(const std::vector<FakeOp>& ops) {
  size_t last_read = 0;
  for (size_t i = 0; i < ops.size(); ++i) {
    if (ops[i].kind == FakeOp::Kind::kRead) last_read = i;
  }
  int n = 0;
  for (size_t i = last_read; i < ops.size(); ++i) {
    if (ops[i].kind == FakeOp::Kind::kFsync && !ops[i].grew_file) ++n;
  }
  return n;
}

// fsync of files with nothing dirty, on files of the probe's own (0.05 s phase): 100 one-page
// files written and fsynced (150 us + 50 us as each grew: 20 ms), then passes of 100 x 150 us
// = 15 ms; the second ends at the 50 ms deadline, so there is no third. Every pass: 150 us a
// file.
TEST_F(FsyncProbeTest, CleanFsyncIsTimedOnFilesOfItsOwn) {
  auto p = RunProbe(&env_, options_);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_DOUBLE_EQ(p->clean_fsync_us, 150);
  EXPECT_EQ(p->clean_fsync_files, 100);
  EXPECT_EQ(CleanFsyncsOfTheLastPhase(env_.ops()), 2 * 100);
  EXPECT_TRUE(env_.ExistingFiles().empty());
  nlohmann::json j = ProfileToJson(*p);
  EXPECT_EQ(j["clean_fsync_us"], 150.0);
  EXPECT_EQ(j["clean_fsync_files"], 100);
  EXPECT_NE(ProfileToText(*p).find("fsync of a file with nothing dirty: 150"), std::string::npos);
}

// With a fifth of the budget (a 10 ms phase) the phase stops creating files at its deadline
// (ceil(10 ms / 200 us) = 50 files) and makes a single pass.
TEST_F(FsyncProbeTest, CleanFsyncStopsCreatingFilesAtItsDeadline) {
  options_.budget_s = 0.304;
  auto p = RunProbe(&env_, options_);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->clean_fsync_files, 50);
  EXPECT_DOUBLE_EQ(p->clean_fsync_us, 150);
  EXPECT_EQ(CleanFsyncsOfTheLastPhase(env_.ops()), 50);
  for (int bad : {7, 101}) {
    options_.clean_fsync_files = bad;
    EXPECT_EQ(RunProbe(&env_, options_).status().field(), "clean_fsync_files") << bad;
  }
}

// Without O_DIRECT the reads drop the cache first and say so.
TEST_F(FsyncProbeTest, ColdReadsFallBackToDroppingTheCache) {
  env_.refuse_direct = true;
  auto p = RunProbe(&env_, options_);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->random_io[4].cache, "fadvise DONTNEED");
  EXPECT_EQ(p->seq_read_cache, "fadvise DONTNEED");
  EXPECT_NEAR(p->random_io[4].ops_per_s, 10000, 1e-6);
}

TEST_F(FsyncProbeTest, SequentialWriteNeverTakesMoreThanATenthOfFreeSpace) {
  env_.SetFreeBytes(100ull * 1024 * 1024);  // 100 MiB free -> at most 10 MiB
  auto p = RunProbe(&env_, options_);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->seq_write_bytes, 10ull * 1024 * 1024);
}

TEST_F(FsyncProbeTest, RecommendsFastestSafeMethodAndUsesItForGroupCommit) {
  auto p = RunProbe(&env_, options_);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->recommended_sync_method, kOpenDatasyncDirect);
  EXPECT_EQ(p->group_commit_method, kOpenDatasyncDirect);
  ASSERT_EQ(p->group_commit_curve.size(), 1u);
  const GroupCommitPoint& g = p->group_commit_curve[0];
  // 0.08 s phase, one O_DIRECT|O_DSYNC page write of 80 us per commit -> 1000 commits.
  EXPECT_EQ(g.writers, 1);
  EXPECT_EQ(g.commits, 1000u);
  EXPECT_EQ(g.flushes, 1000u);
  EXPECT_DOUBLE_EQ(g.mean_batch, 1.0);
  EXPECT_DOUBLE_EQ(g.commits_per_s, 12500);
  EXPECT_DOUBLE_EQ(g.commit_p50_us, 80);
}

// The flush after an idle device, with the recommended method (open_datasync_direct: an 80 us
// O_DIRECT|O_DSYNC write). Scripted: a sleep overshoots by 50 us, and the first write or flush
// after a sleep costs 200 us more. Per gap: idle = gap + 50 us, write 80 + 200 = 280 us; each
// phase has 0.2 units = 0.02 s: 200 us gap -> ceil(20000 / 530) = 38 samples, 2000 us ->
// ceil(20000 / 2330) = 9, 8000 us -> ceil(20000 / 8330) = 3.
TEST_F(FsyncProbeTest, FlushAfterIdleWithTheRecommendedMethod) {
  bool slept = false;
  env_.cost_ns = [&slept](const FakeOp& op) -> uint64_t {
    if (op.kind == FakeOp::Kind::kSleep) {
      slept = true;
      return 50 * kUs;
    }
    uint64_t cost = SsdCost(op);
    if (slept && (op.kind == FakeOp::Kind::kWrite || op.kind == FakeOp::Kind::kFdatasync ||
                  op.kind == FakeOp::Kind::kFsync)) {
      slept = false;
      cost += 200 * kUs;
    }
    return cost;
  };
  auto p = RunProbe(&env_, options_);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->flush_after_idle_method, kOpenDatasyncDirect);
  ASSERT_EQ(p->flush_after_idle.size(), 3u);
  const uint64_t gaps[] = {200, 2000, 8000};
  const uint64_t ops[] = {38, 9, 3};
  for (int i = 0; i < 3; ++i) {
    const IdleFlushResult& r = p->flush_after_idle[i];
    EXPECT_EQ(r.gap_us, gaps[i]);
    EXPECT_DOUBLE_EQ(r.idle_p50_us, static_cast<double>(gaps[i]) + 50);
    EXPECT_DOUBLE_EQ(r.stats.p50_us, 280);
    EXPECT_EQ(r.stats.ops, ops[i]) << gaps[i];
  }
  nlohmann::json j = ProfileToJson(*p);
  ASSERT_EQ(j["flush_after_idle"].size(), 3u);
  EXPECT_EQ(j["flush_after_idle"][1]["idle_us"], 2050.0);
  EXPECT_EQ(j["flush_after_idle"][1]["p50_us"], 280.0);
  EXPECT_EQ(j["flush_after_idle"][1]["samples"], 9);
  EXPECT_EQ(j["flush_after_idle_method"], "open_datasync_direct");
}

TEST_F(FsyncProbeTest, PhasesEndAtTheirShareOfTheBudget) {
  options_.max_ops_per_phase = 1000000;
  auto p = RunProbe(&env_, options_);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  // 1 budget unit = 0.1 s; an overwrite phase runs until its op crosses 0.1 s.
  EXPECT_EQ(Method(p->sync_methods, kFdatasync).stats.ops, 1000u);
  EXPECT_EQ(Method(p->sync_methods, kFsync).stats.ops, 667u);          // ceil(100 ms / 150 us)
  EXPECT_EQ(Method(p->sync_methods, kOpenDatasync).stats.ops, 1112u);  // ceil(100 ms / 90 us)
  EXPECT_EQ(Method(p->sync_methods, kOpenDatasyncDirect).stats.ops, 1250u);
  EXPECT_EQ(Method(p->append_sync_methods, kFdatasync).stats.ops, 334u);  // 50 ms / 150 us
  EXPECT_DOUBLE_EQ(Method(p->sync_methods, kFdatasync).stats.ops_per_s, 10000);
  // The whole run: the 1.52 s budget less the unused half of the sequential phase and the
  // unused part of the random-I/O and read phases (they stop at one op per block of the
  // 64 MiB file), plus the setup and the last op of each phase.
  EXPECT_LT(p->elapsed_s, 1.52 + 0.2);
  EXPECT_GT(p->elapsed_s, 1.18 - 0.15);
}

TEST_F(FsyncProbeTest, ElapsedIsTheVirtualTimeTheRunTook) {
  const uint64_t before = env_.now_ns();
  auto p = RunProbe(&env_, options_);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_DOUBLE_EQ(p->elapsed_s, static_cast<double>(env_.now_ns() - before) / 1e9);
}

TEST_F(FsyncProbeTest, DirectIoRefusedIsReportedNotFatal) {
  env_.refuse_direct = true;
  auto p = RunProbe(&env_, options_);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  const SyncMethodResult& direct = Method(p->sync_methods, kOpenDatasyncDirect);
  EXPECT_FALSE(direct.supported);
  EXPECT_FALSE(direct.safe);
  EXPECT_NE(direct.note.find("O_DIRECT refused"), std::string::npos);
  EXPECT_FALSE(Method(p->append_sync_methods, kOpenDatasyncDirect).supported);
  // open_datasync (90 us) is now the fastest; fdatasync (100 us) is more than 10% slower.
  EXPECT_EQ(p->recommended_sync_method, kOpenDatasync);
  ASSERT_EQ(p->group_commit_curve.size(), 1u);
  EXPECT_EQ(p->group_commit_curve[0].commits, 889u);  // ceil(80 ms / 90 us)
  EXPECT_NEAR(p->group_commit_curve[0].commits_per_s, 1e6 / 90, 1e-6);
  nlohmann::json j = ProfileToJson(*p);
  EXPECT_TRUE(j["sync_methods"]["open_datasync_direct"]["p50_us"].is_null());
  EXPECT_EQ(j["sync_methods"]["open_datasync_direct"]["supported"], false);
}

TEST_F(FsyncProbeTest, DirectWriteRefusedAfterOpenIsReportedNotFatal) {
  env_.refuse_direct_writes = true;
  auto p = RunProbe(&env_, options_);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  const SyncMethodResult& direct = Method(p->sync_methods, kOpenDatasyncDirect);
  EXPECT_FALSE(direct.supported);
  EXPECT_EQ(direct.stats.ops, 0u);
  EXPECT_NE(direct.note.find("O_DIRECT write refused"), std::string::npos);
  EXPECT_EQ(p->recommended_sync_method, kOpenDatasync);
  EXPECT_TRUE(env_.ExistingFiles().empty());
}

TEST_F(FsyncProbeTest, WritesOnlyItsOwnFilesInTheDirectoryAndRemovesThem) {
  auto p = RunProbe(&env_, options_);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  std::set<std::string> created = env_.CreatedFiles();
  // the segment, 4 append files, the sequential file, 100 files of the clean-fsync phase
  EXPECT_EQ(created.size(), 106u);
  for (const std::string& path : created) {
    EXPECT_EQ(path.rfind("/data/pg/.waltune-probe-4242-", 0), 0u) << path;
  }
  for (const FakeOp& op : env_.ops()) {
    if (op.kind != FakeOp::Kind::kSleep) {
      EXPECT_TRUE(created.count(op.path)) << op.path;
    }
  }
  EXPECT_TRUE(env_.ExistingFiles().empty());
}

TEST_F(FsyncProbeTest, WriteErrorMidwayFailsAndStillRemovesFiles) {
  env_.fail_write_number = 100;
  auto p = RunProbe(&env_, options_);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), Status::Code::kIOError);
  EXPECT_NE(p.status().message().find("No space left"), std::string::npos);
  EXPECT_TRUE(env_.ExistingFiles().empty());
}

TEST_F(FsyncProbeTest, MissingDirectoryIsBadInputNamingPath) {
  options_.path = "/data/missing";
  auto p = RunProbe(&env_, options_);
  ASSERT_FALSE(p.ok());
  EXPECT_TRUE(p.status().IsInvalidArgument());
  EXPECT_EQ(p.status().field(), "--path");
  EXPECT_TRUE(env_.CreatedFiles().empty());
}

TEST_F(FsyncProbeTest, UnwritableDirectoryIsBadInputNamingPath) {
  env_.refuse_create = true;
  auto p = RunProbe(&env_, options_);
  ASSERT_FALSE(p.ok());
  EXPECT_TRUE(p.status().IsInvalidArgument());
  EXPECT_EQ(p.status().field(), "--path");
  EXPECT_NE(p.status().message().find("Permission denied"), std::string::npos);
}

TEST_F(FsyncProbeTest, BadBudgetIsRejected) {
  options_.budget_s = 0;
  auto p = RunProbe(&env_, options_);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().field(), "--seconds");
}

TEST_F(FsyncProbeTest, ProgressReportsEveryPhaseInOrder) {
  options_.group_commit_writers = {1, 2};
  std::vector<ProbeProgress> seen;
  options_.progress = [&seen](const ProbeProgress& p) { seen.push_back(p); };
  auto p = RunProbe(&env_, options_);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  // setup + 4 overwrite + 4 append + 6 write sizes + 3 flushes after idle + 2 group-commit
  // points + sequential write + 6 random page writes/reads + sequential read + the read through
  // the page cache + fsync of clean files
  ASSERT_EQ(seen.size(), 30u);
  for (size_t i = 0; i < seen.size(); ++i) {
    EXPECT_EQ(seen[i].phase, static_cast<int>(i) + 1);
    EXPECT_EQ(seen[i].phase_count, 30);
  }
  EXPECT_EQ(seen.back().label, "fsync of files with nothing dirty");
  EXPECT_EQ(seen[1].label, "fdatasync, 8 KiB overwrites");
  EXPECT_EQ(seen[15].label, "open_datasync_direct, 8 KiB overwrite after 200 us idle");
  EXPECT_EQ(seen[17].label, "open_datasync_direct, 8 KiB overwrite after 8000 us idle");
  EXPECT_EQ(seen[19].label, "group commit, 2 writers");
  // After every latency phase: its write-back is heavy.
  EXPECT_EQ(seen[20].label, "sequential write bandwidth");
  EXPECT_EQ(seen[21].label, "random 8 KiB writes");
  EXPECT_EQ(seen[24].label, "random 16 KiB writes + fdatasync");
  EXPECT_EQ(seen[25].label, "random 8 KiB reads (uncached)");
  EXPECT_EQ(seen[27].label, "sequential read bandwidth (uncached)");
  EXPECT_EQ(seen[28].label, "sequential read through the page cache (uncached)");
}

TEST_F(FsyncProbeTest, ClassifiesAndWarnsFromDeviceAndMeasurement) {
  auto p = RunProbe(&env_, options_);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->classification.storage_class, "ssd");
  EXPECT_EQ(p->device.device_chain, std::vector<std::string>({"sda1", "sda"}));
  // fdatasync at 100 us is at the plausibility limit: only the volatile-cache warning.
  ASSERT_EQ(p->warnings.size(), 1u);
  EXPECT_NE(p->warnings[0].find("write back"), std::string::npos);
}

TEST_F(FsyncProbeTest, ConcurrentWritersBatch) {
  options_.group_commit_writers = {4};
  env_.on_flush = [] {};
  auto p = RunProbe(&env_, options_);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  const GroupCommitPoint& g = p->group_commit_curve[0];
  EXPECT_EQ(g.writers, 4);
  EXPECT_GE(g.mean_batch, 1.0);
  EXPECT_LE(g.mean_batch, 4.0);
  EXPECT_DOUBLE_EQ(g.mean_batch, static_cast<double>(g.commits) / g.flushes);
}

TEST_F(FsyncProbeTest, JsonCarriesTheContractFields) {
  auto p = RunProbe(&env_, options_);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  nlohmann::json j = ProfileToJson(*p);
  EXPECT_EQ(j["path"], "/data/pg");
  EXPECT_EQ(j["filesystem"], "ext4");
  EXPECT_EQ(j["device"], "sda");
  EXPECT_EQ(j["rotational"], false);
  EXPECT_EQ(j["write_cache"], "write back");
  EXPECT_EQ(j["class"], "ssd");
  for (const char* m : {"fdatasync", "fsync", "open_datasync", "open_datasync_direct"}) {
    for (const char* f : {"p50_us", "p99_us", "ops_per_s"}) {
      EXPECT_TRUE(j["sync_methods"][m][f].is_number()) << m << "." << f;
    }
  }
  EXPECT_EQ(j["sync_methods"]["fdatasync"]["p50_us"], 100.0);
  EXPECT_EQ(j["sync_methods"]["fsync"]["ops_per_s"], 6666.7);
  EXPECT_EQ(j["recommended_sync_method"], "open_datasync_direct");
  EXPECT_TRUE(j["seq_write_bytes_per_s"].is_number());
  ASSERT_EQ(j["group_commit_curve"].size(), 1u);
  EXPECT_EQ(j["group_commit_curve"][0]["writers"], 1);
  EXPECT_EQ(j["group_commit_curve"][0]["commits_per_s"], 12500.0);
  EXPECT_EQ(j["group_commit_curve"][0]["mean_batch"], 1.0);
  EXPECT_TRUE(j["warnings"].is_array());
  std::string text = ProfileToText(*p);
  EXPECT_NE(text.find("open_datasync_direct"), std::string::npos);
  EXPECT_NE(text.find("class        ssd"), std::string::npos);
}

}  // namespace
}  // namespace waltune
