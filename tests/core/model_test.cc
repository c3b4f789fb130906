#include "waltune/model.h"

#include <cmath>

#include <gtest/gtest.h>

namespace waltune {
namespace {

// One client, deterministic flush: each commit costs cpu + flush, so tps = 1e6 / (200 + 1000).
TEST(GroupCommit, SingleClientPaysCpuPlusFlush) {
  GroupCommitParams p;
  p.clients = 1;
  p.txn_cpu_us = 200;
  p.flush_p50_us = 1000;
  p.flush_p99_us = 1000;  // no spread
  GroupCommitResult r = SimulateGroupCommit(p);
  // CPU is jittered (mean-preserving lognormal), so allow 2%.
  EXPECT_NEAR(r.tps, 1e6 / 1200.0, 1e6 / 1200.0 * 0.02);
  EXPECT_DOUBLE_EQ(r.mean_batch, 1.0);
  EXPECT_NEAR(r.mean_latency_us, 1000, 1);
}

// Many clients with tiny CPU: every flush carries the commits that queued during the previous
// one. With N=16, cpu << flush, a client waits for the flush in progress and then its own:
// throughput approaches N / (2 x flush) from above and the batch approaches N/2.. N.
TEST(GroupCommit, ManyClientsShareFlushes) {
  GroupCommitParams p;
  p.clients = 16;
  p.cpu_cores = 16;
  p.txn_cpu_us = 10;
  p.flush_p50_us = 1000;
  p.flush_p99_us = 1000;
  GroupCommitResult r = SimulateGroupCommit(p);
  EXPECT_GT(r.tps, 16 / 2e-3 * 0.95);  // >= ~7600 tps
  EXPECT_LT(r.tps, 16 / 1e-3);         // < 16000 tps: cannot beat one flush per commit-cycle
  EXPECT_GT(r.mean_batch, 7);
  EXPECT_NEAR(r.flushes_per_s, 1000, 50);  // the device is always flushing
}

TEST(GroupCommit, DeterministicForEqualParams) {
  GroupCommitParams p;
  p.clients = 8;
  p.flush_p50_us = 300;
  p.flush_p99_us = 900;
  EXPECT_EQ(SimulateGroupCommit(p).tps, SimulateGroupCommit(p).tps);
}

TEST(GroupCommit, CpuCeilingBindsWithFastFlushes) {
  ThroughputInputs in;
  in.commit.clients = 8;
  in.commit.cpu_cores = 2;
  in.commit.txn_cpu_us = 500;
  in.commit.flush_p50_us = 10;
  in.commit.flush_p99_us = 20;
  in.wal_bytes_per_txn = 1000;
  in.seq_write_bytes_per_s = 1e9;
  ThroughputEstimate e = EstimateThroughput(in);
  EXPECT_DOUBLE_EQ(e.cpu_ceiling_tps, 4000);          // 2 cores x 1e6 / 500
  EXPECT_DOUBLE_EQ(e.flush_ceiling_tps, 8 * 1e6 / 10);  // clients / flush
  EXPECT_DOUBLE_EQ(e.bandwidth_ceiling_tps, 1e6);       // 1e9 / 1000
  EXPECT_EQ(e.limited_by, "cpu");
  EXPECT_NEAR(e.tps, 4000, 4000 * 0.05);
}

TEST(GroupCommit, BandwidthCeilingBinds) {
  ThroughputInputs in;
  in.commit.clients = 4;
  in.commit.txn_cpu_us = 50;
  in.waits_for_flush = false;
  in.wal_bytes_per_txn = 10000;
  in.seq_write_bytes_per_s = 10e6;  // 10 MB/s / 10 kB = 1000 tps
  ThroughputEstimate e = EstimateThroughput(in);
  EXPECT_DOUBLE_EQ(e.tps, 1000);
  EXPECT_EQ(e.limited_by, "bandwidth");
}

// A leader delay helps when flushes are long and the batch is small relative to clients.
TEST(GroupCommit, LeaderDelayOnlyWithEnoughSiblings) {
  GroupCommitParams p;
  p.clients = 4;
  p.txn_cpu_us = 100;
  p.flush_p50_us = 2000;
  p.flush_p99_us = 2000;
  p.leader_delay_us = 1000;
  p.delay_min_siblings = 5;  // 3 siblings < 5: no delay, same as without
  GroupCommitParams no_delay = p;
  no_delay.leader_delay_us = 0;
  EXPECT_EQ(SimulateGroupCommit(p).tps, SimulateGroupCommit(no_delay).tps);
}

// Hand-checked: P = 1000 pages, r = 10 changes/s, T = 100 s:
// imaged = 1000 (1 - e^-1) = 632.12; per txn at 5 tps with 8192-byte images:
// 632.12 x 8192 / (5 x 100) = 10356.7 bytes.
TEST(FullPageImages, ExponentialSaturation) {
  FpiInputs in{1000, 10, 100, 8192};
  EXPECT_NEAR(PagesImagedPerInterval(in), 632.1206, 1e-3);
  EXPECT_NEAR(FpiBytesPerTxn(in, 5), 10356.7, 0.1);
  // Longer intervals: fewer images per transaction.
  FpiInputs longer = in;
  longer.checkpoint_interval_s = 1000;
  EXPECT_LT(FpiBytesPerTxn(longer, 5), FpiBytesPerTxn(in, 5));
  EXPECT_NEAR(PagesImagedPerInterval(longer), 1000 * (1 - std::exp(-10.0)), 1e-6);
}

// Hand-checked: all 1000 hot pages dirty -> pure streaming: 1000 x 8192 / 100e6 = 0.08192 s.
// 10 of 1000 dirty -> d = 0.01: 10 x (0.01 x 8192 / 100e6 + 0.99 / 200) = 0.049508192 s.
TEST(SortedWrites, DenseStreamsSparseSeeks) {
  EXPECT_NEAR(SortedPageWriteSeconds(1000, 1000, 8192, 100e6, 200), 0.08192, 1e-12);
  EXPECT_NEAR(SortedPageWriteSeconds(10, 1000, 8192, 100e6, 200), 0.049508192, 1e-12);
  EXPECT_EQ(SortedPageWriteSeconds(0, 1000, 8192, 100e6, 200), 0);
}

TEST(Solve, LargestSatisfyingFindsTheBoundary) {
  double x = LargestSatisfying(1, 1e6, [](double v) { return v * v <= 2500; });
  EXPECT_NEAR(x, 50, 50 * 1e-3);
  EXPECT_EQ(LargestSatisfying(10, 100, [](double) { return false; }), 10);
  EXPECT_EQ(LargestSatisfying(10, 100, [](double) { return true; }), 100);
}

TEST(Solve, NiceRounding) {
  const uint64_t mb64 = 64ull << 20;
  EXPECT_EQ(FloorToNiceBytes(100.0 * (1 << 20), mb64), mb64);          // 100MB -> 64MB
  EXPECT_EQ(FloorToNiceBytes(700.0 * (1 << 20), mb64), 640ull << 20);  // step 64MB
  EXPECT_EQ(FloorToNiceBytes(5.1 * (1ull << 30), mb64), 5ull << 30);   // step 512MB
  EXPECT_EQ(FloorToNiceBytes(9.69 * (1ull << 30), mb64), 9ull << 30);  // step 1GB
  // Monotone across step changes.
  uint64_t previous = 0;
  for (double b = 1e6; b < 1e12; b *= 1.01) {
    uint64_t v = FloorToNiceBytes(b, mb64);
    EXPECT_GE(v, previous) << b;
    EXPECT_GE(static_cast<double>(v), std::min(b, static_cast<double>(mb64)) * 0.875 - 1);
    previous = v;
  }
  EXPECT_EQ(FloorToNiceBytes(10, mb64), mb64);                         // never below the unit
  EXPECT_EQ(FloorToNiceSeconds(20), 30);
  EXPECT_EQ(FloorToNiceSeconds(100), 90);
  EXPECT_EQ(FloorToNiceSeconds(1000), 960);
}

}  // namespace
}  // namespace waltune
