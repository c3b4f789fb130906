// Discrete-event simulation of leader/follower group commit on virtual time.
#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdint>
#include <deque>
#include <queue>
#include <random>
#include <vector>

#include "waltune/model.h"

namespace waltune {
namespace {

// Deterministic normal and lognormal draws: mt19937_64's output sequence is fixed by the
// standard; the transforms are ours, so results do not depend on the standard library.
class Rng {
 public:
  explicit Rng(uint64_t seed) : engine_(seed) {}
  double Uniform() {  // (0, 1)
    return (static_cast<double>(engine_() >> 11) + 0.5) * (1.0 / 9007199254740992.0);
  }
  double Normal() {  // Box-Muller
    double u1 = Uniform(), u2 = Uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
  }
  // Lognormal with the given median and 99th percentile (p99 >= median), and a mean at most
  // `mean` when that is given (> 0).
  double Lognormal(double median, double p99, double mean = 0) {
    if (median <= 0) return 0;
    double sigma = p99 > median ? std::log(p99 / median) / 2.3263 : 0.0;
    if (mean > 0) sigma = std::min(sigma, LognormalSigmaForMean(median, mean));
    return median * std::exp(sigma * Normal());
  }

 private:
  std::mt19937_64 engine_;
};

enum class EventKind { kCpuDone, kLockPoint, kDelayDone, kFlushDone, kCompletion, kHandOff };
struct Event {
  double time_us;
  EventKind kind;
  int client;
  uint64_t order;  // tie-break for determinism
  bool operator>(const Event& o) const {
    return time_us != o.time_us ? time_us > o.time_us : order > o.order;
  }
};

class Simulation {
 public:
  // Separate random streams for CPU and flush times ("common random numbers"): two runs that
  // differ only in flush latency see the same CPU jitter, so comparisons are not noise.
  explicit Simulation(const GroupCommitParams& p)
      : p_(p), cpu_rng_(p.seed), flush_rng_(p.seed ^ 0x9e3779b97f4a7c15ULL) {
    core_free_us_.assign(std::max(1, p.cpu_cores), 0.0);
    active_from_us_.assign(std::max(1, p.clients), 0.0);
    after_lock_cpu_us_.assign(std::max(1, p.clients), 0.0);
    held_row_.assign(std::max(1, p.clients), -1);
    lock_blocked_.assign(std::max(1, p.clients), false);
    if (p.hot_rows > 0) {
      row_holder_.assign(p.hot_rows, -1);
      row_waiters_.resize(p.hot_rows);
    }
  }

  GroupCommitResult Run() {
    const int warmup = std::max(200, p_.commits / 10);
    for (int c = 0; c < p_.clients; ++c) StartCpu(c, 0.0);
    while (completed_ < warmup + p_.commits && !events_.empty()) {
      Event e = events_.top();
      events_.pop();
      now_ = e.time_us;
      switch (e.kind) {
        case EventKind::kCpuDone:
          OnAppend(e.client);
          break;
        case EventKind::kLockPoint:
          OnLockPoint(e.client);
          break;
        case EventKind::kDelayDone:
          // Ignore a delay that an early start (delay_until_batch) already ended.
          if (delaying_ && e.client == static_cast<int>(delay_generation_)) StartFlush();
          break;
        case EventKind::kFlushDone:
          device_idle_since_us_ = now_;
          if (p_.completion_waits_for_core) {
            // The leader's wake-up loop, on the first free core after the CPU queued before it.
            const double wakes_us = std::max(0, flushing_ - 1) * p_.follower_wake_us;
            Push(RunOnCore(now_, wakes_us), EventKind::kCompletion, -1);
          } else {
            OnFlushDone(warmup);
          }
          break;
        case EventKind::kCompletion:
          OnFlushDone(warmup);
          break;
        case EventKind::kHandOff:
          handing_off_ = false;
          if (!busy_ && !waiting_.empty()) BeginLeader();
          break;
      }
    }
    GroupCommitResult r;
    double span_us = now_ - measure_start_us_;
    if (span_us <= 0 || measured_commits_ == 0) return r;
    r.tps = measured_commits_ * 1e6 / span_us;
    r.flushes_per_s = measured_flushes_ * 1e6 / span_us;
    r.mean_batch =
        measured_flushes_ ? static_cast<double>(measured_commits_) / measured_flushes_ : 0;
    double sum = 0;
    for (double l : latencies_us_) sum += l;
    r.mean_latency_us = sum / latencies_us_.size();
    std::sort(latencies_us_.begin(), latencies_us_.end());
    r.p99_latency_us = latencies_us_[static_cast<size_t>(0.99 * (latencies_us_.size() - 1))];
    return r;
  }

 private:
  void Push(double t, EventKind kind, int client) {
    events_.push(Event{t, kind, client, order_++});
  }

  // A job of `cpu_us` on the first free core (FIFO); returns its end.
  double RunOnCore(double t, double cpu_us, double* start_us = nullptr) {
    auto core = std::min_element(core_free_us_.begin(), core_free_us_.end());
    double start = std::max(t, *core);
    *core = start + cpu_us;
    if (start_us != nullptr) *start_us = start;
    return *core;
  }

  // CPU phase on the first free core (FIFO), jittered around txn_cpu_us. With hot rows it stops
  // at the row lock (kLockPoint) and the rest runs once the row is held.
  void StartCpu(int client, double t) {
    double cpu = p_.txn_cpu_us * std::exp(0.25 * cpu_rng_.Normal() - 0.03125);  // mean-preserving
    if (*std::min_element(core_free_us_.begin(), core_free_us_.end()) <= t) {
      cpu += (std::max(1, p_.statements) - 1) * p_.idle_wake_cpu_us;
    }
    double start = 0;
    if (p_.hot_rows > 0) {
      const double before = p_.lock_at_cpu_fraction * cpu;
      after_lock_cpu_us_[client] = cpu - before;
      Push(RunOnCore(t, before, &start), EventKind::kLockPoint, client);
    } else {
      Push(RunOnCore(t, cpu, &start), EventKind::kCpuDone, client);
    }
    active_from_us_[client] = start + p_.active_from_cpu_fraction * cpu;
  }

  void OnLockPoint(int client) {
    const int row = std::min(p_.hot_rows - 1, static_cast<int>(cpu_rng_.Uniform() * p_.hot_rows));
    if (row_holder_[row] >= 0) {
      lock_blocked_[client] = true;
      row_waiters_[row].push_back(client);
      return;
    }
    row_holder_[row] = client;
    held_row_[client] = row;
    Push(RunOnCore(now_, after_lock_cpu_us_[client]), EventKind::kCpuDone, client);
  }

  // The client's row lock passes to the first waiter, which then runs the rest of its CPU.
  void ReleaseRow(int client) {
    const int row = held_row_[client];
    if (row < 0) return;
    held_row_[client] = -1;
    if (row_waiters_[row].empty()) {
      row_holder_[row] = -1;
      return;
    }
    const int next = row_waiters_[row].front();
    row_waiters_[row].pop_front();
    row_holder_[row] = next;
    held_row_[next] = row;
    lock_blocked_[next] = false;
    Push(RunOnCore(now_, after_lock_cpu_us_[next]), EventKind::kCpuDone, next);
  }

  // Other clients active now (delay_min_siblings): all waiting but the leader, and those in
  // their CPU phase past active_from_cpu_fraction. Clients in waiting_ have active_from_us_ in
  // the past, so one pass over all clients counts both.
  // A client waiting for a row lock does not count (MinimumActiveBackends skips backends with
  // a lock wait).
  int ActiveSiblings() const {
    int active = 0;
    for (size_t c = 0; c < active_from_us_.size(); ++c) {
      active += active_from_us_[c] <= now_ && !lock_blocked_[c] ? 1 : 0;
    }
    return active - 1;  // the leader itself
  }

  void OnAppend(int client) {
    if (!p_.locks_held_through_flush) ReleaseRow(client);
    waiting_.push_back({client, now_});
    if (handing_off_) return;  // the woken next leader takes it
    if (delaying_ && p_.delay_until_batch > 0 &&
        static_cast<int>(waiting_.size()) >= p_.delay_until_batch) {
      delaying_ = false;
      ++delay_generation_;
      StartFlush();
      return;
    }
    if (!busy_) BeginLeader();
  }

  // A leader takes the flush: optionally sleeps first so that followers can join.
  void BeginLeader() {
    assert(!busy_);
    busy_ = true;
    const bool siblings_ok =
        p_.delay_min_siblings <= 0 ||
        (p_.clients - 1 >= p_.delay_min_siblings && ActiveSiblings() >= p_.delay_min_siblings);
    if (p_.leader_delay_us > 0 && siblings_ok &&
        !(p_.delay_until_batch > 0 && static_cast<int>(waiting_.size()) >= p_.delay_until_batch)) {
      delaying_ = true;
      Push(now_ + p_.leader_delay_us, EventKind::kDelayDone, static_cast<int>(delay_generation_));
      return;
    }
    StartFlush();
  }

  // The flush covers everything appended so far. Its CPU is taken from the cores' queue, but the
  // leader issues it at once: a woken leader is scheduled ahead of runnable clients.
  void StartFlush() {
    delaying_ = false;
    in_flush_ = true;
    if (p_.flush_cpu_us > 0) RunOnCore(now_, p_.flush_cpu_us);
    flushing_ = static_cast<int>(waiting_.size());
    double duration = 0;
    const int flushes = std::max(1, p_.flushes_per_group);
    for (int i = 0; i < flushes; ++i) {
      duration += flush_rng_.Lognormal(p_.flush_p50_us, p_.flush_p99_us, p_.flush_mean_us);
    }
    const double overshoot_us = p_.emulated_delay_us > 0 ? p_.emulated_delay_overshoot_us : 0;
    duration += flushes * overshoot_us;
    // Only the first flush follows an idle device; the group's others come back to back.
    const double idle_us = now_ - device_idle_since_us_ + p_.emulated_delay_us + overshoot_us;
    duration += FlushIdleExtraUs(p_.flush_idle_extra, idle_us);
    if (p_.flush_core_stall_share > 0) {
      const double real_us =
          std::max(0.0, duration - flushes * (p_.emulated_delay_us + overshoot_us));
      for (double& core : core_free_us_) {
        core = std::max(core, now_) + p_.flush_core_stall_share * real_us;
      }
    }
    Push(now_ + duration, EventKind::kFlushDone, -1);
  }

  void OnFlushDone(int warmup) {
    for (int i = 0; i < flushing_; ++i) {
      Waiter w = waiting_.front();
      waiting_.pop_front();
      ++completed_;
      if (completed_ == warmup) measure_start_us_ = now_;
      if (completed_ > warmup) {
        ++measured_commits_;
        latencies_us_.push_back(now_ - w.append_us);
      }
      if (p_.locks_held_through_flush) ReleaseRow(w.client);
      StartCpu(w.client, now_);
    }
    if (completed_ > warmup) ++measured_flushes_;
    in_flush_ = false;
    busy_ = false;
    if (waiting_.empty()) return;
    if (p_.handoff_us > 0) {
      // The next leader is another client, asleep: it must be woken before it can flush.
      handing_off_ = true;
      Push(now_ + p_.handoff_us, EventKind::kHandOff, -1);
      return;
    }
    BeginLeader();
  }

  struct Waiter {
    int client;
    double append_us;
  };

  const GroupCommitParams p_;
  Rng cpu_rng_;
  Rng flush_rng_;
  std::priority_queue<Event, std::vector<Event>, std::greater<Event>> events_;
  std::vector<double> core_free_us_;
  std::vector<double> active_from_us_;     // per client: when it holds a transaction id
  std::vector<double> after_lock_cpu_us_;  // per client: CPU left once its row is locked
  std::vector<int> held_row_;              // per client: the hot row it holds, -1 none
  std::vector<bool> lock_blocked_;         // per client: waiting for a row lock
  std::vector<int> row_holder_;            // per hot row: the client holding it, -1 none
  std::vector<std::deque<int>> row_waiters_;
  std::deque<Waiter> waiting_;
  std::vector<double> latencies_us_;
  double now_ = 0;
  double measure_start_us_ = 0;
  double device_idle_since_us_ = 0;  // end of the last flush
  uint64_t order_ = 0;
  uint64_t delay_generation_ = 0;
  bool busy_ = false;      // a leader holds the flush (delaying or flushing)
  bool delaying_ = false;  // leader is sleeping before its flush
  bool in_flush_ = false;
  bool handing_off_ = false;  // a flush ended with waiters left: the next leader is waking
  int flushing_ = 0;          // commits covered by the flush in progress
  int completed_ = 0;
  int64_t measured_commits_ = 0;
  int64_t measured_flushes_ = 0;
};

}  // namespace

double FlushIdleExtraUs(const std::vector<FlushIdleExtra>& points, double idle_us) {
  double prev_idle_us = 0, prev_extra_us = 0;
  for (const FlushIdleExtra& p : points) {
    if (idle_us <= p.idle_us) {
      const double span_us = p.idle_us - prev_idle_us;
      if (span_us <= 0) return p.extra_us;
      const double t = std::max(0.0, idle_us - prev_idle_us) / span_us;
      return prev_extra_us + t * (p.extra_us - prev_extra_us);
    }
    prev_idle_us = p.idle_us;
    prev_extra_us = p.extra_us;
  }
  return prev_extra_us;
}

double LognormalSigmaForMean(double median, double mean) {
  return mean > median && median > 0 ? std::sqrt(2 * std::log(mean / median)) : 0.0;
}

GroupCommitResult SimulateGroupCommit(const GroupCommitParams& params) {
  assert(params.clients >= 1);
  assert(params.txn_cpu_us > 0);
  return Simulation(params).Run();
}

}  // namespace waltune
