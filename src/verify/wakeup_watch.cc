#include "wakeup_watch.h"

namespace waltune::verify {

WakeupWatch::WakeupWatch(std::chrono::microseconds period)
    : period_(period), thread_([this] { Run(); }) {}

WakeupWatch::~WakeupWatch() { Stop(); }

void WakeupWatch::Stop() {
  stop_.store(true, std::memory_order_relaxed);
  if (thread_.joinable()) thread_.join();
}

double WakeupWatch::max_late_ms() const {
  return static_cast<double>(max_late_ns_.load(std::memory_order_relaxed)) / 1e6;
}

void WakeupWatch::Run() {
  using Clock = std::chrono::steady_clock;
  while (!stop_.load(std::memory_order_relaxed)) {
    const Clock::time_point start = Clock::now();
    std::this_thread::sleep_for(period_);
    const int64_t late_ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start - period_)
            .count();
    if (late_ns > max_late_ns_.load(std::memory_order_relaxed)) {
      max_late_ns_.store(late_ns, std::memory_order_relaxed);  // only this thread writes
    }
    samples_.fetch_add(1, std::memory_order_relaxed);
  }
}

}  // namespace waltune::verify
