// Checkpoint cycles seen in sampled distances from the last completed checkpoint's REDO point
// (verify --worst-case).
#ifndef WALTUNE_SRC_VERIFY_CHECKPOINT_CYCLES_H_
#define WALTUNE_SRC_VERIFY_CHECKPOINT_CYCLES_H_

#include <cstdint>

namespace waltune::verify {

// A cycle ends when a checkpoint shortens the replay: the distance falls to at most
// kCycleEndShareOfPeak of the highest distance of the cycle. A checkpoint that moves the REDO
// point a little does not end it. MariaDB writes one when its page cleaner frees buffer-pool
// pages from the LRU tail (buf_flush_page_cleaner, buf0flu.cc: after an LRU flush it calls
// log_checkpoint()), which moves the checkpoint LSN by bytes while the oldest dirty page still
// holds it: measured here at 409.6 MB, +990 bytes. Counted as a cycle, it made verify crash at
// that point instead of at the peak. The checkpoints that end a cycle drop it far below the
// share: PostgreSQL to c / (1 + c) of the peak (checkpoint_completion_target c <= 0.9: 0.47),
// MariaDB's async flush to near zero (buf_flush_ahead flushes up to the current LSN), SQLite's
// WAL restart to zero.
inline constexpr double kCycleEndShareOfPeak = 0.75;

class CheckpointCycles {
 public:
  explicit CheckpointCycles(uint64_t first_distance_bytes) : cycle_peak_(first_distance_bytes) {}

  // One sample. Returns true when it ended a cycle. After an end the distance may go on falling
  // for seconds: MariaDB's page cleaner moves the checkpoint in steps once a second while the
  // log grows in between (measured here, 10 s target: 428.6 -> 145.3, 129.5, 118.7, 112.0,
  // 72.6, 60.8, 45.2 MB, each step a little above the last sample before it). That is one
  // checkpoint, and one cycle: until the distance has climbed a third above the lowest sample
  // since the end (kCycleEndShareOfPeak of it is the low), a drop only lowers the start of the
  // next cycle. A real cycle climbs far more before its checkpoint: PostgreSQL from c / (1 + c)
  // of its peak (c <= 0.9: 0.47), MariaDB from near zero or from its adaptive-flushing mark
  // (45-101 MB measured) to the next LRU flush (190-247 MB), SQLite from zero.
  bool Add(uint64_t distance_bytes) {
    const double d = static_cast<double>(distance_bytes);
    if (falling_) {
      if (distance_bytes < low_) {
        low_ = distance_bytes;
        cycle_peak_ = distance_bytes;
        return false;
      }
      if (distance_bytes > cycle_peak_) cycle_peak_ = distance_bytes;
      if (d * kCycleEndShareOfPeak < static_cast<double>(low_)) return false;
      falling_ = false;
    }
    if (cycle_peak_ > 0 && d <= kCycleEndShareOfPeak * static_cast<double>(cycle_peak_)) {
      ++completed_;
      last_peak_ = cycle_peak_;
      cycle_peak_ = distance_bytes;
      low_ = distance_bytes;
      falling_ = true;
      return true;
    }
    if (distance_bytes > cycle_peak_) cycle_peak_ = distance_bytes;
    return false;
  }

  int completed() const { return completed_; }
  // The peak of the last completed cycle (0 before the first one ends): what the next cycle is
  // expected to reach. Not the highest: the first cycle after a load can climb far above the
  // steady state (MariaDB with a small buffer pool: 440 MB, then cycles of ~237 MB, as the
  // pool's free pages run out and LRU flushing moves the checkpoint). Unit: bytes.
  uint64_t last_peak_bytes() const { return last_peak_; }
  // The highest distance of the cycle in progress. Unit: bytes.
  uint64_t cycle_peak_bytes() const { return cycle_peak_; }

 private:
  uint64_t cycle_peak_ = 0;
  uint64_t last_peak_ = 0;
  int completed_ = 0;
  uint64_t low_ = 0;      // the lowest distance since the last end
  bool falling_ = false;  // since the last end, the distance has not climbed a third above low_
};

}  // namespace waltune::verify

#endif  // WALTUNE_SRC_VERIFY_CHECKPOINT_CYCLES_H_
