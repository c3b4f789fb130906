#include "load.h"

#include <sys/mman.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <new>

#include "posix/posix_error.h"

namespace waltune::verify {

int64_t MonotonicMicros() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

int LatencyBucket(double us) {
  if (us < 1) return 0;
  int b = static_cast<int>(std::floor(std::log2(us) * 8));
  return b >= kLatencyBuckets ? kLatencyBuckets - 1 : b;
}

double HistogramQuantileUs(const std::vector<uint64_t>& hist, double q) {
  uint64_t total = 0;
  for (uint64_t n : hist) total += n;
  if (total == 0) return 0;
  const double want = q * static_cast<double>(total);
  uint64_t seen = 0;
  for (size_t b = 0; b < hist.size(); ++b) {
    seen += hist[b];
    if (static_cast<double>(seen) >= want) return std::exp2((static_cast<double>(b) + 0.5) / 8);
  }
  return std::exp2(static_cast<double>(hist.size()) / 8);
}

std::vector<double> WalSyncSamplesUs(const LoadHeader& h, uint64_t from, uint64_t to) {
  std::vector<double> us;
  if (to <= from) return us;
  if (to - from > kWalSyncRing) from = to - kWalSyncRing;
  us.reserve(to - from);
  for (uint64_t i = from; i < to; ++i) {
    us.push_back(static_cast<double>(h.wal_sync_ns[i % kWalSyncRing].load()) / 1000.0);
  }
  return us;
}

Result<std::unique_ptr<SharedLoad>> SharedLoad::Create(int clients) {
  size_t bytes = sizeof(LoadHeader) + sizeof(ClientSlot) * static_cast<size_t>(clients);
  void* base = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED) return posix::PosixError("mmap", errno);
  return std::unique_ptr<SharedLoad>(new SharedLoad(base, bytes, clients));
}

SharedLoad::SharedLoad(void* base, size_t bytes, int clients)
    : base_(base), bytes_(bytes), clients_(clients) {
  // The mapping is zero-filled, which is every atomic's initial state; construct anyway.
  header_ = new (base) LoadHeader();
  slots_ = reinterpret_cast<ClientSlot*>(static_cast<char*>(base) + sizeof(LoadHeader));
  for (int i = 0; i < clients; ++i) new (slots_ + i) ClientSlot();
}

SharedLoad::~SharedLoad() { munmap(base_, bytes_); }

uint64_t SharedLoad::TotalCommits() const {
  uint64_t total = 0;
  for (int i = 0; i < clients_; ++i) total += slots_[i].commits.load();
  return total;
}

std::vector<uint64_t> SharedLoad::MergedHistogram() const {
  std::vector<uint64_t> hist(kLatencyBuckets, 0);
  for (int i = 0; i < clients_; ++i) {
    for (int b = 0; b < kLatencyBuckets; ++b) hist[b] += slots_[i].latency_hist[b].load();
  }
  return hist;
}

ThreadLoad::ThreadLoad(SharedLoad* shared, SessionFactory factory, uint64_t payload_bytes,
                       double rate_tps)
    : shared_(shared), factory_(std::move(factory)), rate_tps_(rate_tps) {
  payload_.resize(payload_bytes);
  for (uint64_t i = 0; i < payload_bytes; ++i) payload_[i] = static_cast<char>('a' + i % 26);
}

ThreadLoad::~ThreadLoad() { Join(); }

void ThreadLoad::Start() {
  for (int i = 0; i < shared_->clients(); ++i) {
    threads_.emplace_back([this, i] { RunClient(i); });
  }
}

void ThreadLoad::Join() {
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

bool ThreadLoad::WaitUntil(int64_t at_us) const {
  constexpr int64_t kSliceUs = 20000;
  const LoadHeader& header = *shared_->header();
  for (int64_t now = MonotonicMicros(); now < at_us; now = MonotonicMicros()) {
    if (header.stop.load(std::memory_order_relaxed)) return false;
    const int64_t us = std::min(at_us - now, kSliceUs);
    struct timespec d = {static_cast<time_t>(us / 1000000), static_cast<long>(us % 1000000) * 1000};
    nanosleep(&d, nullptr);
  }
  return true;
}

void ThreadLoad::RunClient(int client) {
  ClientSlot& slot = *shared_->slot(client);
  LoadHeader& header = *shared_->header();
  slot.state.store(ClientSlot::kConnecting);
  Result<std::unique_ptr<Session>> session = factory_(client);
  if (!session.ok()) {
    std::snprintf(slot.error, sizeof(slot.error), "%s", session.status().ToString().c_str());
    slot.state.store(ClientSlot::kFailed);
    header.ready_clients.fetch_add(1);
    return;
  }
  slot.state.store(ClientSlot::kRunning);
  header.ready_clients.fetch_add(1);
  uint64_t seq = slot.attempted.load() + 1;
  // Paced: this client's turns are interval_us apart, the clients' turns spread evenly.
  const double interval_us = rate_tps_ > 0 ? shared_->clients() * 1e6 / rate_tps_ : 0;
  int64_t turn_us =
      MonotonicMicros() + static_cast<int64_t>(interval_us * client / shared_->clients());
  while (!header.stop.load(std::memory_order_relaxed)) {
    if (interval_us > 0) {
      if (!WaitUntil(turn_us)) break;
      turn_us = std::max(turn_us + static_cast<int64_t>(interval_us), MonotonicMicros());
    }
    slot.attempted.store(seq);
    const int64_t t0 = MonotonicMicros();
    bool retry = false;
    Status s = session.value()->Commit(client + 1, seq, payload_, &retry);
    if (s.ok()) {
      const int64_t t1 = MonotonicMicros();
      slot.ack_time_us[seq % kAckRing].store(t1);
      slot.acked.store(seq);
      slot.commits.fetch_add(1);
      slot.latency_hist[LatencyBucket(static_cast<double>(t1 - t0))].fetch_add(1);
      ++seq;
    } else if (!retry) {
      std::snprintf(slot.error, sizeof(slot.error), "%s", s.ToString().c_str());
      slot.state.store(ClientSlot::kFailed);
      return;
    }
  }
  slot.state.store(ClientSlot::kStopped);
}

}  // namespace waltune::verify
