// CheckpointCycles: which checkpoints end a --worst-case cycle, fed by hand with the distance
// shapes the engines produce.
#include "checkpoint_cycles.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace waltune::verify {
namespace {

constexpr uint64_t kMB = 1000 * 1000;

TEST(CheckpointCycles, PostgresCheckpointEndsACycleAtItsPeak) {
  // checkpoint_completion_target 0.9: the distance climbs to (1 + 0.9) x the interval's WAL,
  // then the checkpoint completes and the REDO point it started at leaves 0.9 / 1.9 of it.
  CheckpointCycles c(0);
  for (uint64_t d = 10; d <= 190; d += 10) EXPECT_FALSE(c.Add(d * kMB));
  EXPECT_EQ(c.completed(), 0);
  EXPECT_EQ(c.last_peak_bytes(), 0u);
  EXPECT_TRUE(c.Add(90 * kMB));  // 90 / 190 = 0.47 <= 0.75
  EXPECT_EQ(c.completed(), 1);
  EXPECT_EQ(c.last_peak_bytes(), 190 * kMB);
  EXPECT_EQ(c.cycle_peak_bytes(), 90 * kMB);
}

TEST(CheckpointCycles, AMariadbCheckpointThatMovesBytesDoesNotEndTheCycle) {
  // Measured here: after an LRU flush MariaDB wrote a checkpoint 990 bytes past the last one at
  // a 409.6 MB age; the age went on climbing. Then the async flush empties the flush list.
  CheckpointCycles c(3 * kMB);
  EXPECT_FALSE(c.Add(409'616'000));
  EXPECT_FALSE(c.Add(409'615'010));  // the checkpoint LSN moved by 990 bytes
  EXPECT_FALSE(c.Add(420 * kMB));
  EXPECT_FALSE(c.Add(428 * kMB));
  EXPECT_EQ(c.completed(), 0);
  EXPECT_TRUE(c.Add(2 * kMB));
  EXPECT_EQ(c.completed(), 1);
  EXPECT_EQ(c.last_peak_bytes(), 428 * kMB);
}

TEST(CheckpointCycles, SmallStepsEndACycleOnceTheyAddUpToAQuarter) {
  CheckpointCycles c(100);
  EXPECT_FALSE(c.Add(90));
  EXPECT_FALSE(c.Add(80));
  EXPECT_FALSE(c.Add(76));  // 0.76 of the peak
  EXPECT_TRUE(c.Add(75));   // 0.75: ends it
  EXPECT_EQ(c.last_peak_bytes(), 100u);
}

TEST(CheckpointCycles, MariadbWarmUpCycleThenLruFlushCycles) {
  // Polled here (64 MB working set, 128 MiB pool, 30 s target): the first cycle after the load
  // climbed to 437 MB; then the free list ran short every ~137 MB of redo and LRU flushing moved
  // the checkpoint in steps: 236.6 MB, then 193.4, 179.7, 183.2, 194.9, 162.2.
  CheckpointCycles c(0);
  for (uint64_t d : {200u, 409u, 437u, 101u, 236u}) c.Add(d * kMB);
  EXPECT_EQ(c.completed(), 1);
  EXPECT_EQ(c.last_peak_bytes(), 437 * kMB);
  for (uint64_t d : {193u, 180u, 183u, 195u}) EXPECT_FALSE(c.Add(d * kMB));  // > 177 = 3/4 x 236
  EXPECT_TRUE(c.Add(162 * kMB));
  EXPECT_EQ(c.last_peak_bytes(), 236 * kMB);  // the next crash aims at 0.9 x 236, reachable
}

TEST(CheckpointCycles, ThePeakIsTheLastCompletedCycles) {
  // SQLite's WAL restarts at each autocheckpoint: the frame count falls to zero.
  CheckpointCycles c(0);
  for (uint64_t d : {40u, 80u, 0u, 50u, 60u, 0u, 70u, 95u}) c.Add(d * kMB);
  EXPECT_EQ(c.completed(), 2);
  EXPECT_EQ(c.last_peak_bytes(), 60 * kMB);  // not the first cycle's 80; 95 is still running
  EXPECT_EQ(c.cycle_peak_bytes(), 95 * kMB);
}

TEST(CheckpointCycles, ACheckpointInStepsEndsOneCycle) {
  // MariaDB tpcb, 10 s target (polled here): the age hovered at 125.7-138.0 MB while adaptive
  // flushing moved the checkpoint, then fell to 102.6 and 54.8 MB in two steps, and climbed.
  CheckpointCycles c(45 * kMB);
  for (uint64_t d : {90u, 137u, 125u, 130u, 138u, 136u}) EXPECT_FALSE(c.Add(d * kMB));
  EXPECT_TRUE(c.Add(102 * kMB));  // 102 <= 3/4 x 138
  EXPECT_FALSE(c.Add(54 * kMB));  // still falling: the same checkpoint, not a second cycle
  EXPECT_FALSE(c.Add(58 * kMB));
  EXPECT_EQ(c.completed(), 1);
  EXPECT_EQ(c.last_peak_bytes(), 138 * kMB);
  EXPECT_EQ(c.cycle_peak_bytes(), 58 * kMB);
}

TEST(CheckpointCycles, ACheckpointThatStepsDownForSecondsEndsOneCycle) {
  // Polled here every second (MariaDB 10.11, `update` at 2 500 tps, 10 s target, 576 MiB redo):
  // the first cycle climbed to 428.6 MB, then the page cleaner moved the checkpoint once a second
  // while ~1.1 MB/s of redo was appended between the steps. Sampled every 20 ms, each step
  // follows a small rise. Counted as cycles, the steps made verify crash at 0.9 x 61.7 MB, a
  // step of the descent, not a cycle's peak.
  CheckpointCycles c(0);
  for (uint64_t d : {100u, 300u, 428u, 427u, 428u}) EXPECT_FALSE(c.Add(d * kMB));
  EXPECT_TRUE(c.Add(145 * kMB));
  for (uint64_t d :
       {146u, 129u, 130u, 118u, 119u, 112u, 113u, 72u, 73u, 60u, 61u, 45u, 46u, 47u, 55u, 59u}) {
    EXPECT_FALSE(c.Add(d * kMB)) << d;
  }
  EXPECT_EQ(c.completed(), 1);
  EXPECT_EQ(c.last_peak_bytes(), 428 * kMB);
  // Once it has climbed a third above its low (45 MB), the next checkpoint ends a cycle.
  for (uint64_t d : {61u, 120u, 187u}) EXPECT_FALSE(c.Add(d * kMB));
  EXPECT_TRUE(c.Add(60 * kMB));
  EXPECT_EQ(c.completed(), 2);
  EXPECT_EQ(c.last_peak_bytes(), 187 * kMB);
}

TEST(CheckpointCycles, AnIdleStartEndsNoCycle) {
  CheckpointCycles c(0);
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(c.Add(0));
  EXPECT_EQ(c.completed(), 0);
}

}  // namespace
}  // namespace waltune::verify
