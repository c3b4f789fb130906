#include "waltune/model.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "waltune/storage.h"

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
  EXPECT_DOUBLE_EQ(e.cpu_ceiling_tps, 4000);            // 2 cores x 1e6 / 500
  EXPECT_DOUBLE_EQ(e.flush_ceiling_tps, 8 * 1e6 / 10);  // clients / flush
  EXPECT_DOUBLE_EQ(e.bandwidth_ceiling_tps, 1e6);       // 1e9 / 1000
  EXPECT_EQ(e.limited_by, LimitingFactor::kCpu);
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
  EXPECT_EQ(e.limited_by, LimitingFactor::kBandwidth);
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

// commit_siblings is checked when the leader takes the flush (PostgreSQL's
// MinimumActiveBackends), counting only clients past active_from_cpu_fraction of their CPU.
// Hand-checked with 16 clients on 1 core, CPU 100 us, flush 8000 us, delay 4000 us, siblings 5,
// active from half the CPU: after a flush that covered everyone, the 16 queue for the core; the
// first finishes 100 us later while the second has not reached its half, so it flushes alone,
// undelayed (8000 us). The other 15 wait for it; then 14 others are active: the next leader
// delays, and its flush takes all 16 (the first one is back by then). Cycle ~ 100 + 2F + d =
// 20100 us for 17 commits: ~846 tps (CPU jitter moves it a little). Without the siblings test
// every leader delays: 16 per F + d + 100 = 12100 us, ~1322 tps.
TEST(GroupCommit, SiblingsAreCountedWhenTheLeaderFlushes) {
  GroupCommitParams p;
  p.clients = 16;
  p.cpu_cores = 1;
  p.txn_cpu_us = 100;
  p.flush_p50_us = 8000;
  p.flush_p99_us = 8000;
  p.leader_delay_us = 4000;
  p.delay_min_siblings = 5;
  p.active_from_cpu_fraction = 0.5;
  GroupCommitResult gated = SimulateGroupCommit(p);
  EXPECT_NEAR(gated.tps, 846, 0.05 * 846);
  EXPECT_NEAR(gated.mean_batch, 8.5, 0.5);  // alternately 1 and 16
  p.delay_min_siblings = 0;
  GroupCommitResult always = SimulateGroupCommit(p);
  EXPECT_NEAR(always.tps, 1322, 0.05 * 1322);
  EXPECT_NEAR(always.mean_batch, 16, 0.5);
}

// Clients on cores with a fixed CPU time per transaction and flushes of exactly flush_us.
GroupCommitParams FixedParams(int clients, int cores, double cpu_us, double flush_us) {
  GroupCommitParams p;
  p.clients = clients;
  p.cpu_cores = cores;
  p.txn_cpu_us = cpu_us;
  p.flush_p50_us = flush_us;
  p.flush_p99_us = flush_us;
  return p;
}

// Hand-checked, 4 clients on 4 cores, 2 us of CPU, flushes of exactly 1000 us, all four updating
// one hot row. Released at the append (InnoDB), the lock does not hold anyone up: groups
// alternate, N/2 = 2 commits per 1000 us flush, 2000 tps. Held through the flush (PostgreSQL),
// the next holder can only append once the holder's flush is done, so no two commits share a
// flush: 1 commit per flush, 1000 tps.
TEST(GroupCommit, RowLocksHeldThroughTheFlushSerialiseCommits) {
  GroupCommitParams p = FixedParams(4, 4, 2, 1000);
  p.hot_rows = 1;
  p.lock_at_cpu_fraction = 0.5;
  GroupCommitResult released = SimulateGroupCommit(p);
  EXPECT_NEAR(released.tps, 2000, 0.03 * 2000);
  EXPECT_NEAR(released.mean_batch, 2, 0.05);
  p.locks_held_through_flush = true;
  GroupCommitResult held = SimulateGroupCommit(p);
  EXPECT_NEAR(held.tps, 1000, 0.03 * 1000);
  EXPECT_NEAR(held.mean_batch, 1, 0.01);
  // Enough rows that conflicts are rare: back to the unlocked 2000 tps.
  p.hot_rows = 100000;
  EXPECT_NEAR(SimulateGroupCommit(p).tps, 2000, 0.05 * 2000);
}

// Hand-checked, CPU-bound: 2 clients on 1 core, 100 us of CPU per transaction, 1 us flushes.
// Every commit flushes alone (the other client is still computing), so a flush's CPU is paid
// per commit: 1e6 / 100 = 10000 tps without flush CPU, 1e6 / (100 + 100) = 5000 tps with 100 us
// of it. It delays the clients' CPU, not the flush: with 1 client and 1000 us flushes the cycle
// stays 100 + 1000 us (909 tps), the flush CPU overlapping the device round trip.
TEST(GroupCommit, FlushCpuIsTakenFromTheCores) {
  GroupCommitParams p = FixedParams(2, 1, 100, 1);
  EXPECT_NEAR(SimulateGroupCommit(p).tps, 10000, 0.03 * 10000);
  p.flush_cpu_us = 100;
  EXPECT_NEAR(SimulateGroupCommit(p).tps, 5000, 0.05 * 5000);
  p.clients = 1;
  p.flush_p50_us = 1000;
  p.flush_p99_us = 1000;
  EXPECT_NEAR(SimulateGroupCommit(p).tps, 1e6 / 1100, 0.03 * 1e6 / 1100);
}

// Hand-checked, 2 clients on 1 core, 100 us of CPU per transaction, fixed 20 us flushes. Without
// the term the core never idles (each flush overlaps the other client's CPU): 10000 tps. When
// the host takes the whole core while a flush is in flight (share 1), each 20 us flush costs
// 20 us of the only core: 1e6 / (100 + 20) = 8333 tps. A flush that is all emulated sleep
// leaves the device idle and stalls nothing: 10000 tps again. One client with 1000 us flushes
// waits out the stall behind its own flush: 1e6 / 1100 = 909 tps with or without it.
TEST(GroupCommit, RealFlushInFlightStallsTheCores) {
  GroupCommitParams p = FixedParams(2, 1, 100, 20);
  EXPECT_NEAR(SimulateGroupCommit(p).tps, 10000, 0.03 * 10000);
  p.flush_core_stall_share = 1;
  EXPECT_NEAR(SimulateGroupCommit(p).tps, 1e6 / 120, 0.03 * 1e6 / 120);
  p.emulated_delay_us = 20;
  EXPECT_NEAR(SimulateGroupCommit(p).tps, 10000, 0.03 * 10000);
  GroupCommitParams one = FixedParams(1, 1, 100, 1000);
  const double plain_tps = SimulateGroupCommit(one).tps;
  EXPECT_NEAR(plain_tps, 1e6 / 1100, 0.03 * 1e6 / 1100);
  one.flush_core_stall_share = 0.5;
  EXPECT_DOUBLE_EQ(SimulateGroupCommit(one).tps, plain_tps);
}

// Hand-checked, 2 clients on 1 core, 100 us of CPU, 1 us flushes: the core is never idle, so both
// ways give 10000 tps with one commit per flush. A completion that is instant acknowledges a
// commit 1 us after its append; one that waits for the core waits for the other client's 100 us
// of CPU queued before it: 100 us from append to acknowledgement.
TEST(GroupCommit, CompletionWaitsForACoreBehindQueuedCpu) {
  GroupCommitParams p = FixedParams(2, 1, 100, 1);
  GroupCommitResult instant = SimulateGroupCommit(p);
  EXPECT_NEAR(instant.tps, 10000, 0.03 * 10000);
  EXPECT_NEAR(instant.mean_latency_us, 1, 0.01);
  p.completion_waits_for_core = true;
  GroupCommitResult queued = SimulateGroupCommit(p);
  EXPECT_NEAR(queued.tps, 10000, 0.03 * 10000);
  EXPECT_NEAR(queued.mean_batch, 1, 0.01);
  EXPECT_NEAR(queued.mean_latency_us, 100, 0.1 * 100);
}

// Hand-checked, 4 clients on 4 cores, 2 us of CPU, 1000 us flushes: groups of 2 alternate, 2000
// tps (as in HandOffToTheNextLeaderLetsTheGroupGrow). With 50 us per follower woken, each
// completion runs 50 us on a free core before the followers and the next leader go on: 2
// commits per 1050 us, 1904.8 tps. Without completion_waits_for_core the wake-ups are not
// modelled: 2000 tps.
TEST(GroupCommit, LeaderWakesItsFollowersBeforeTheNextFlush) {
  GroupCommitParams p = FixedParams(4, 4, 2, 1000);
  p.follower_wake_us = 50;
  EXPECT_NEAR(SimulateGroupCommit(p).tps, 2000, 0.03 * 2000);
  p.completion_waits_for_core = true;
  GroupCommitResult woken = SimulateGroupCommit(p);
  EXPECT_NEAR(woken.tps, 2e6 / 1050, 0.02 * 2e6 / 1050);
  EXPECT_NEAR(woken.mean_batch, 2, 0.05);
}

// Hand-checked: one client on 2 cores always starts on an idle core and pays the wake-up of each
// of its 7 statements but the one that waits for the flush: 100 + 6 x 36 = 316 us of CPU, plus a
// 1000 us flush: 1e6 / 1316 = 760 tps.
// Saturated (8 clients, 1 core, 1 us flushes) no core is ever idle when a transaction starts:
// 1e6 / 100 = 10000 tps, as without the term.
TEST(GroupCommit, IdleWakeUpsCostOnlyOnAnIdleMachine) {
  GroupCommitParams p = FixedParams(1, 2, 100, 1000);
  p.statements = 7;
  p.idle_wake_cpu_us = 36;
  EXPECT_NEAR(SimulateGroupCommit(p).tps, 1e6 / 1316, 0.03 * 1e6 / 1316);
  p.clients = 8;
  p.cpu_cores = 1;
  p.flush_p50_us = 1;
  p.flush_p99_us = 1;
  EXPECT_NEAR(SimulateGroupCommit(p).tps, 10000, 0.05 * 10000);
}

// Hand-checked, 4 clients on 4 cores, 2 us of CPU, 1000 us flushes. Without a hand-off the groups
// alternate (2 commits per flush, 2000 tps). When the next leader needs 100 us to wake, a client
// just acknowledged appends again 2 us after the flush and joins the next one: a flush of 1
// (the first to append after a flush that covered everyone, nobody waiting: no hand-off), then,
// 100 us after it, one of all 4; 5 commits per 1000 + 100 + 1000 us, 2381 tps, 2.5 per flush.
TEST(GroupCommit, HandOffToTheNextLeaderLetsTheGroupGrow) {
  GroupCommitParams p = FixedParams(4, 4, 2, 1000);
  GroupCommitResult direct = SimulateGroupCommit(p);
  EXPECT_NEAR(direct.tps, 2000, 0.03 * 2000);
  EXPECT_NEAR(direct.mean_batch, 2, 0.05);
  p.handoff_us = 100;
  GroupCommitResult woken = SimulateGroupCommit(p);
  EXPECT_NEAR(woken.tps, 5e6 / 2100, 0.03 * 5e6 / 2100);
  EXPECT_NEAR(woken.mean_batch, 2.5, 0.05);
}

// Hand-checked: P = 1000 pages, r = 10 changes/s, T = 100 s:
// imaged = 1000 (1 - e^-1) = 632.12; per txn at 5 tps with 8192-byte images:
// 632.12 x 8192 / (5 x 100) = 10356.7 bytes.
// Hand-checked, one client, 1 us of CPU, flushes with p50 100 us and p99 10,000 us: the
// lognormal through them has sigma ln(100) / 2.3263 = 1.98 and mean 100 e^(1.98^2 / 2) = 709 us,
// so ~1,410 tps. The measured mean of those samples, 200 us, caps sigma at sqrt(2 ln 2) = 1.18:
// mean 200 us, ~4,975 tps (1 us of CPU + 200 us).
TEST(GroupCommit, MeasuredMeanFlushCapsTheLognormalTail) {
  EXPECT_NEAR(LognormalSigmaForMean(100, 200), std::sqrt(2 * std::log(2.0)), 1e-12);
  EXPECT_EQ(LognormalSigmaForMean(100, 90), 0);
  GroupCommitParams p = FixedParams(1, 1, 1, 100);
  p.flush_p99_us = 10000;
  p.commits = 200000;
  const double tail_tps = SimulateGroupCommit(p).tps;
  const double sigma = std::log(100.0) / 2.3263;
  EXPECT_NEAR(tail_tps, 1e6 / (1 + 100 * std::exp(sigma * sigma / 2)), 0.05 * 1410);
  p.flush_mean_us = 200;
  EXPECT_NEAR(SimulateGroupCommit(p).tps, 1e6 / 201, 0.05 * 4975);
  p.flush_mean_us = 5000;  // a mean above the p99's lognormal: the p99 decides
  EXPECT_DOUBLE_EQ(SimulateGroupCommit(p).tps, tail_tps);
}

// Hand-checked interpolation through points (200 us, +40), (2000, +400), (8000, +550): from 0 at
// idle 0 to 40 at 200 (100 -> 20), 40 + 900 / 1800 x 360 = 220 at 1100, 400 + 3000 / 6000 x 150
// = 475 at 5000, the last point's 550 past 8000; negative idle counts as 0, no points as 0.
TEST(FlushAfterIdle, LinearBetweenPointsAndFlatPastTheLast) {
  const std::vector<FlushIdleExtra> points = {{200, 40}, {2000, 400}, {8000, 550}};
  EXPECT_DOUBLE_EQ(FlushIdleExtraUs(points, 0), 0);
  EXPECT_DOUBLE_EQ(FlushIdleExtraUs(points, -5), 0);
  EXPECT_DOUBLE_EQ(FlushIdleExtraUs(points, 100), 20);
  EXPECT_DOUBLE_EQ(FlushIdleExtraUs(points, 200), 40);
  EXPECT_DOUBLE_EQ(FlushIdleExtraUs(points, 1100), 220);
  EXPECT_DOUBLE_EQ(FlushIdleExtraUs(points, 5000), 475);
  EXPECT_DOUBLE_EQ(FlushIdleExtraUs(points, 20000), 550);
  EXPECT_DOUBLE_EQ(FlushIdleExtraUs({}, 5000), 0);
}

// Hand-checked, one client, 200 us of CPU (mean), a fixed 2100 us flush of which 2000 us is an
// emulated sleep that oversleeps by 100 us, and a device that pays +300 us after any idle time
// of 2 ms or more. Each flush follows at least the 2000 + 100 us of sleep: it pays the 300, and
// the cycle is 200 + 2100 + 100 + 300 = 2700 us: 370.4 tps. Without the points and the
// overshoot: 1e6 / 2300 = 434.8 tps.
TEST(FlushAfterIdle, EmulatedDelayIsIdleTimeAndItsOvershootIsPaid) {
  GroupCommitParams p = FixedParams(1, 2, 200, 2100);
  const double plain_tps = SimulateGroupCommit(p).tps;
  EXPECT_NEAR(plain_tps, 1e6 / 2300, 0.02 * 1e6 / 2300);
  p.emulated_delay_us = 2000;
  p.emulated_delay_overshoot_us = 100;
  p.flush_idle_extra = {{2000, 300}, {8000, 300}};
  EXPECT_NEAR(SimulateGroupCommit(p).tps, 1e6 / 2700, 0.02 * 1e6 / 2700);
  // The overshoot belongs to the emulated sleep: without one it is not paid.
  p.emulated_delay_us = 0;
  p.flush_idle_extra.clear();
  EXPECT_DOUBLE_EQ(SimulateGroupCommit(p).tps, plain_tps);
}

// Hand-checked, 16 clients on 16 cores with 1 us of CPU and 1000 us flushes: a client is back
// 1 us after its flush, so every flush starts the instant the previous one ends (no hand-off
// delay): idle 0, extra 0, the same run as without the points. One client with 500 us of CPU
// (mean) instead finds the device idle ~500 us: +50 us per flush on a line from (0, 0) to
// (1000, +100), a cycle of 500 + 1000 + 50 us: 645 tps where it was 1e6 / 1500 = 667.
TEST(FlushAfterIdle, BackToBackFlushesPayNothing) {
  GroupCommitParams p = FixedParams(16, 16, 1, 1000);
  const GroupCommitResult plain = SimulateGroupCommit(p);
  p.flush_idle_extra = {{1000, 100}};
  const GroupCommitResult with_points = SimulateGroupCommit(p);
  EXPECT_DOUBLE_EQ(with_points.tps, plain.tps);
  EXPECT_DOUBLE_EQ(with_points.mean_batch, plain.mean_batch);
  GroupCommitParams one = FixedParams(1, 2, 500, 1000);
  EXPECT_NEAR(SimulateGroupCommit(one).tps, 1e6 / 1500, 0.02 * 1e6 / 1500);
  one.flush_idle_extra = {{1000, 100}};
  EXPECT_NEAR(SimulateGroupCommit(one).tps, 1e6 / 1550, 0.02 * 1e6 / 1550);
}

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

// Hand-checked (min of seeking per page and sweeping the hot region):
//   all 1000 of 1000 dirty: min(1000 / 200 = 5 s, 1000 x 8192 / 100e6 = 0.08192 s) = 0.08192 s;
//   10 of 1000 dirty:       min(10 / 200 = 0.05 s, 0.08192 s) = 0.05 s;
//   5 of 1000 dirty:        min(5 / 200 = 0.025 s, 0.08192 s) = 0.025 s.
// The old per-page interpolation d x page/seq + (1 - d)/iops charged 500 of 1000 dirty pages
// 500 x (0.5 x 81.92 us + 0.5 / 200) = 1.27 s, more than writing all 1000 (0.08 s): a lower
// rate could be judged infeasible while a higher one was not (issue 12).
TEST(SortedWrites, SeekPerPageOrSweepTheRegion) {
  EXPECT_NEAR(SortedPageWriteSeconds(1000, 1000, 8192, 100e6, 200), 0.08192, 1e-12);
  EXPECT_NEAR(SortedPageWriteSeconds(10, 1000, 8192, 100e6, 200), 0.05, 1e-12);
  EXPECT_NEAR(SortedPageWriteSeconds(5, 1000, 8192, 100e6, 200), 0.025, 1e-12);
  EXPECT_EQ(SortedPageWriteSeconds(0, 1000, 8192, 100e6, 200), 0);
}

TEST(SortedWrites, MorePagesNeverTakeLess) {
  for (double iops : {79.0, 150.0, 40000.0}) {
    double previous = 0;
    for (double dirty = 0; dirty <= 50000; dirty += 250) {
      const double t = SortedPageWriteSeconds(dirty, 48000, 8192, 150e6, iops);
      EXPECT_GE(t, previous) << "dirty " << dirty << " iops " << iops;
      previous = t;
    }
  }
}

// min(hot, changes): 300 changes in 1000 pages touch at most 300; 5000 at most all 1000.
TEST(Recovery, DistinctPagesBoundedByWorkingSetAndChanges) {
  EXPECT_EQ(DistinctPagesBound(1000, 300), 300);
  EXPECT_EQ(DistinctPagesBound(1000, 5000), 1000);
  EXPECT_EQ(DistinctPagesBound(1000, -1), 0);
}

// Window 1000 MB, at most 400 MB of plain records: 400e6 / 38e6 = 10.526 s of records plus
// 600e6 / 200e6 = 3 s of images = 13.526 s. Window 300 MB (< 400 MB of records possible): all
// records, 300e6 / 38e6 = 7.895 s. Any other mix of a 1000 MB window is faster: all images
// would be 5 s, the predicted 90% images 100e6/38e6 + 900e6/200e6 = 7.13 s.
TEST(Recovery, ReplayBoundTakesTheSlowestImageShare) {
  ReplayBound b = BoundReplayOverImageShare(1000e6, 400e6, 1000e6, 38e6, 200e6);
  EXPECT_NEAR(b.record_bytes, 400e6, 1);
  EXPECT_NEAR(b.image_bytes, 600e6, 1);
  EXPECT_NEAR(b.seconds, 400.0 / 38 + 3, 1e-9);
  EXPECT_FALSE(b.all_records);
  b = BoundReplayOverImageShare(300e6, 400e6, 1000e6, 38e6, 200e6);
  EXPECT_NEAR(b.seconds, 300.0 / 38, 1e-9);
  EXPECT_TRUE(b.all_records);
  for (double share = 0; share <= 1.0; share += 0.05) {
    const double records = std::min(400e6, (1 - share) * 1000e6);
    const double mix_s = records / 38e6 + (1000e6 - records) / 200e6;
    EXPECT_LE(mix_s, BoundReplayOverImageShare(1000e6, 400e6, 1000e6, 38e6, 200e6).seconds + 1e-9);
  }
}

// A calibrated (blended) record rate of 150 MB/s, above the image rate of 100 MB/s per WAL
// byte (lz4 at 0.5): images are the slower kind. Window 1000 MB, at most 800 MB of records and
// 300 MB of images: 300e6 / 100e6 = 3 s of images + 700e6 / 150e6 = 4.667 s of records =
// 7.667 s; records first would give 800e6 / 150e6 + 200e6 / 100e6 = 7.333 s. Any share of
// images from 20% (the records' limit) to 30% (the images') is at most the bound.
TEST(Recovery, ReplayBoundFillsTheSlowerKindFirstWhenImagesAreSlower) {
  const ReplayBound b = BoundReplayOverImageShare(1000e6, 800e6, 300e6, 150e6, 100e6);
  EXPECT_TRUE(b.images_first);
  EXPECT_FALSE(b.all_records);
  EXPECT_NEAR(b.image_bytes, 300e6, 1);
  EXPECT_NEAR(b.record_bytes, 700e6, 1);
  EXPECT_NEAR(b.seconds, 3 + 700.0 / 150, 1e-9);
  for (double share = 0.2; share <= 0.3 + 1e-9; share += 0.01) {
    const double mix_s = (1 - share) * 1000e6 / 150e6 + share * 1000e6 / 100e6;
    EXPECT_LE(mix_s, b.seconds + 1e-9) << share;
  }
  EXPECT_FALSE(BoundReplayOverImageShare(1000e6, 800e6, 300e6, 38e6, 100e6).images_first);
}

// The MariaDB point of issue 12: 276 MB of checkpoint age, 15,000 pages read back.
// scan 276e6 / 1e9 = 0.276 s, apply 276e6 / 100e6 = 2.76 s (given), reads 15000 / 3750 = 4 s:
// 7.036 s. HDD (150 MB/s, 78 reads/s): 1.84 + 2.76 + 192.3 = 196.9 s.
TEST(Recovery, ColdTermsAreScanApplyAndPageReads) {
  ColdRecoveryInputs in;
  in.log_bytes = 276e6;
  in.seq_read_bytes_per_s = 1e9;
  in.apply_s = 2.76;
  in.page_read_s = 15000.0 / 3750;
  ColdRecoveryTerms t = ColdRecovery(in);
  EXPECT_NEAR(t.scan_s, 0.276, 1e-12);
  EXPECT_NEAR(t.page_read_s, 4.0, 1e-12);
  EXPECT_NEAR(t.total_s, 7.036, 1e-12);
  in.seq_read_bytes_per_s = 150e6;
  in.page_read_s = 15000.0 / 78;
  t = ColdRecovery(in);
  EXPECT_NEAR(t.total_s, 1.84 + 2.76 + 15000.0 / 78, 1e-9);
}

// P = 48,000 pages, r = 12,000 changes/s, F = 600 pages/s: with x = r T / P the balance
// P (1 - e^-x) = F T reads 1 - e^-x = (F / r) x = 0.05 x, so x = 20 (e^-20 ~ 2e-9) and
// T = 20 x 48000 / 12000 = 80 s. A cleaner at least as fast as the changes keeps T ~ 0.
TEST(Recovery, CleanerCycleBalancesDistinctPagesAndFlushRate) {
  EXPECT_NEAR(CleanerCycleSeconds(48000, 12000, 600, 1e6), 80, 80 * 1e-5);
  EXPECT_EQ(CleanerCycleSeconds(48000, 12000, 12000, 1e6), 0);
  EXPECT_EQ(CleanerCycleSeconds(48000, 12000, 600, 10), 10);  // capped at max_s
}

TEST(Solve, LargestSatisfyingFindsTheBoundary) {
  double x = LargestSatisfying(1, 1e6, [](double v) { return v * v <= 2500; });
  EXPECT_NEAR(x, 50, 50 * 1e-3);
  EXPECT_EQ(LargestSatisfying(10, 100, [](double) { return false; }), 10);
  EXPECT_EQ(LargestSatisfying(10, 100, [](double) { return true; }), 100);
}

TEST(Solve, SmallestSatisfyingFindsTheBoundaryFromAbove) {
  const auto at_least_50 = [](double v) { return v * v >= 2500; };
  const double x = SmallestSatisfying(1, 1e6, at_least_50);
  EXPECT_NEAR(x, 50, 50 * 1e-3);
  EXPECT_TRUE(at_least_50(x));  // the answer itself satisfies
  EXPECT_EQ(SmallestSatisfying(10, 100, [](double) { return true; }), 10);
  EXPECT_EQ(SmallestSatisfying(10, 100, [](double) { return false; }), 100);
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
  EXPECT_EQ(FloorToNiceBytes(10, mb64), mb64);  // never below the unit
  EXPECT_EQ(FloorToNiceSeconds(20), 30);
  EXPECT_EQ(FloorToNiceSeconds(100), 90);
  EXPECT_EQ(FloorToNiceSeconds(1000), 960);
}

// Three restarts (100 MB, 1.8 s), (200 MB, 2.6 s), (300 MB, 3.7 s), by hand: means 200 MB and
// 2.7 s; Sxy = (-100)(-0.9) + 0 + (100)(1.0) = 190 MB s, Sxx = 20000 MB^2, slope 0.0095 s/MB,
// fixed part 2.7 - 1.9 = 0.8 s; residuals +0.05, -0.1, +0.05: the highest 0.05 s, the standard
// deviation sqrt(0.015 / 1) = 0.122474 s, so the fixed part is raised by twice that, to
// 1.044949 s, and no restart lies above the line.
TEST(FitRestartLine, LeastSquaresThenRaisedByTheSpread) {
  const double mb = 1e6;
  const RestartLine line = FitRestartLine({{100 * mb, 1.8}, {200 * mb, 2.6}, {300 * mb, 3.7}});
  ASSERT_TRUE(line.fitted);
  EXPECT_NEAR(line.s_per_byte * mb, 0.0095, 1e-12);
  EXPECT_NEAR(line.least_squares_fixed_s, 0.8, 1e-9);
  EXPECT_NEAR(line.highest_residual_s, 0.05, 1e-9);
  EXPECT_NEAR(line.residual_sd_s, std::sqrt(0.015), 1e-9);
  EXPECT_NEAR(line.fixed_s, 1.044949, 1e-6);
  for (auto [x, y] : {std::pair{100 * mb, 1.8}, {200 * mb, 2.6}, {300 * mb, 3.7}}) {
    EXPECT_LE(y, line.fixed_s + line.s_per_byte * x + 1e-12) << x;
  }
  // Session 26's `update` restarts (93.4 MB, 1.73 s), (256.8 MB, 3.05 s), (273.1 MB, 3.79 s):
  // slope 199.3107 / 19752.45 = 0.0100904 s/MB (99.1 MB/s), least squares 0.760212 s,
  // residuals +0.0273, -0.3014, +0.2741, standard deviation 0.408334 s: fixed part 1.576879 s.
  const RestartLine update =
      FitRestartLine({{93.4 * mb, 1.73}, {256.8 * mb, 3.05}, {273.1 * mb, 3.79}});
  ASSERT_TRUE(update.fitted);
  EXPECT_NEAR(1 / update.s_per_byte / mb, 99.1038, 1e-4);
  EXPECT_NEAR(update.least_squares_fixed_s, 0.760212, 1e-6);
  EXPECT_NEAR(update.residual_sd_s, 0.408334, 1e-6);
  EXPECT_NEAR(update.fixed_s, 1.576879, 1e-6);
  // Eight restarts, 0.01 s/MB from 100 to 450 MB, the one at 250 MB 1 s above: means 275 MB and
  // 2.875 s, Sxx 105000 MB^2, Sxy 1025 MB s, slope 0.0097619 s/MB, least squares 0.190476 s;
  // the outlier's residual 3.5 - (0.190476 + 2.440476) = 0.869048 s is more than twice the
  // deviation (0.380580 s), so the fixed part is raised by it, to 1.059524 s.
  const RestartLine outlier = FitRestartLine({{100 * mb, 1.0},
                                              {150 * mb, 1.5},
                                              {200 * mb, 2.0},
                                              {250 * mb, 3.5},
                                              {300 * mb, 3.0},
                                              {350 * mb, 3.5},
                                              {400 * mb, 4.0},
                                              {450 * mb, 4.5}});
  ASSERT_TRUE(outlier.fitted);
  EXPECT_NEAR(outlier.s_per_byte * mb, 1025.0 / 105000, 1e-12);
  EXPECT_NEAR(outlier.least_squares_fixed_s, 0.190476, 1e-6);
  EXPECT_NEAR(outlier.highest_residual_s, 0.869048, 1e-6);
  EXPECT_NEAR(outlier.residual_sd_s, 0.380580, 1e-6);
  EXPECT_NEAR(outlier.fixed_s, 1.059524, 1e-6);
}

TEST(FitRestartLine, NeedsThreeRestartsApartAndATimeThatGrows) {
  const double mb = 1e6;
  EXPECT_FALSE(FitRestartLine({}).fitted);
  EXPECT_FALSE(FitRestartLine({{100 * mb, 1.8}}).fitted);
  // Two restarts give a line but not the spread about it (session 26: a third exceeded such a
  // line 1.19x).
  EXPECT_FALSE(FitRestartLine({{92.9 * mb, 1.66}, {205.3 * mb, 2.79}}).fitted);
  // Less than 1.5x apart in redo: the slope would be mostly noise.
  EXPECT_FALSE(FitRestartLine({{100 * mb, 1.8}, {120 * mb, 2.0}, {149 * mb, 2.3}}).fitted);
  EXPECT_TRUE(FitRestartLine({{100 * mb, 1.8}, {120 * mb, 2.0}, {150 * mb, 2.3}}).fitted);
  // A larger window that restarted faster: no slope to trust.
  EXPECT_FALSE(FitRestartLine({{100 * mb, 1.8}, {200 * mb, 1.8}, {300 * mb, 1.7}}).fitted);
  EXPECT_FALSE(FitRestartLine({{100 * mb, 1.8}, {200 * mb, 1.8}, {300 * mb, 1.8}}).fitted);
  // A steep line through small windows: the fixed part is never below zero.
  const RestartLine steep = FitRestartLine({{10 * mb, 0.1}, {15 * mb, 0.3}, {20 * mb, 0.5}});
  ASSERT_TRUE(steep.fitted);
  EXPECT_LT(steep.least_squares_fixed_s, 0);
  EXPECT_EQ(steep.fixed_s, 0);
}

TEST(StorageClassText, NameForTheContractWordForMessages) {
  EXPECT_STREQ(StorageClassName(StorageClass::kConsumerNvme), "consumer_nvme");
  EXPECT_STREQ(StorageClassWord(StorageClass::kConsumerNvme), "NVMe");
  EXPECT_STREQ(StorageClassName(StorageClass::kMemory), "memory");
  EXPECT_STREQ(StorageClassWord(StorageClass::kMemory), "memory (tmpfs)");
  EXPECT_STREQ(StorageClassName(static_cast<StorageClass>(99)), "unknown");
  EXPECT_STREQ(StorageClassWord(static_cast<StorageClass>(99)), "?");
}

}  // namespace
}  // namespace waltune
