// WakeupWatch: how late a sleeping thread wakes up while a load runs.
//
// A loss window is a promise about an engine's timer: PostgreSQL's WAL writer flushes every
// wal_writer_delay, InnoDB's master thread once a second. On a loaded machine such a timer
// fires late by as much as any other sleeper's wake-up, and the window stretches by that much:
// a verdict that ignores it fails on a busy host for reasons that are not the engine's. The
// watch sleeps `period` again and again on its own thread and keeps the largest overshoot, so
// verify can state (and allow) the scheduling delay it measured beside the window.
#ifndef WALTUNE_VERIFY_WAKEUP_WATCH_H_
#define WALTUNE_VERIFY_WAKEUP_WATCH_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>

namespace waltune::verify {

class WakeupWatch {
 public:
  // Starts the watching thread. REQUIRES: period > 0.
  explicit WakeupWatch(std::chrono::microseconds period = std::chrono::milliseconds(5));
  ~WakeupWatch();
  WakeupWatch(const WakeupWatch&) = delete;
  WakeupWatch& operator=(const WakeupWatch&) = delete;

  // Stops the thread (idempotent).
  void Stop();
  // Largest wake-up delay beyond the requested sleep seen so far. Unit: ms.
  double max_late_ms() const;
  // Sleeps completed so far.
  uint64_t samples() const { return samples_.load(std::memory_order_relaxed); }

 private:
  void Run();

  const std::chrono::microseconds period_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> max_late_ns_{0};
  std::atomic<uint64_t> samples_{0};
  std::thread thread_;
};

}  // namespace waltune::verify

#endif  // WALTUNE_VERIFY_WAKEUP_WATCH_H_
