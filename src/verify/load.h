// The write load: N client threads, each inserting (client_id, seq, payload) one transaction at
// a time and recording which seq was acknowledged and when. The counters live in a shared
// anonymous mapping so that a forked SQLite writer process can update them and the parent can
// still read them after SIGKILLing it.
#ifndef WALTUNE_VERIFY_LOAD_H_
#define WALTUNE_VERIFY_LOAD_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "waltune/status.h"

namespace waltune::verify {

// Commit latency histogram: 8 buckets per doubling from 1 us (bucket b covers
// [2^(b/8), 2^((b+1)/8)) us), up to about 2^25 us.
constexpr int kLatencyBuckets = 200;
// Acknowledgement times kept per client (by seq modulo this), for the age of lost commits.
constexpr uint64_t kAckRing = 16384;
// WAL sync durations kept (by sync number modulo this): a 10 s run at 6 500 commits/s fits.
constexpr uint64_t kWalSyncRing = 65536;

struct ClientSlot {
  std::atomic<uint64_t> attempted{0};  // highest seq sent (set before the commit is sent)
  std::atomic<uint64_t> acked{0};      // highest seq whose commit returned success
  std::atomic<uint64_t> commits{0};
  std::atomic<int> state{0};  // kIdle .. kFailed
  std::atomic<uint64_t> latency_hist[kLatencyBuckets];
  std::atomic<int64_t> ack_time_us[kAckRing];  // CLOCK_MONOTONIC
  char error[256];

  static constexpr int kIdle = 0, kConnecting = 1, kRunning = 2, kStopped = 3, kFailed = 4;
};

struct LoadHeader {
  std::atomic<bool> stop{false};
  // Filled by the SQLite writer's WAL hook: frames appended and WAL restarts (checkpoints).
  std::atomic<uint64_t> wal_frames{0};
  std::atomic<uint64_t> checkpoints{0};
  std::atomic<uint64_t> wal_frames_now{0};
  // Filled by the SQLite load's VFS (sessions.cc): every xSync of the WAL file, numbered from 0,
  // with its duration in ns at wal_sync_ns[number % kWalSyncRing] (the real sync only, not an
  // emulated delay before it).
  std::atomic<uint64_t> wal_syncs{0};
  std::atomic<uint32_t> wal_sync_ns[kWalSyncRing];
  std::atomic<int> ready_clients{0};
  // Power cut of the SQLite VFS mechanism, done inside the forked writer: the parent sets
  // cut_request, the writer cuts, fills the cut_* counters, sets cut_done and exits at once.
  std::atomic<int> cut_request{0};
  std::atomic<int> cut_done{0};  // 1 = cut done, 2 = the cut failed (see cut_error)
  std::atomic<uint64_t> cut_discarded_bytes{0};
  std::atomic<uint64_t> cut_files_restored{0};
  std::atomic<uint64_t> cut_names_undone{0};
  std::atomic<uint64_t> cut_errors{0};
  char cut_error[256];
};

// Durations of the WAL syncs numbered [from, to) that the ring still holds (the last
// kWalSyncRing of them), in us.
std::vector<double> WalSyncSamplesUs(const LoadHeader& h, uint64_t from, uint64_t to);

// One shared mapping: a header and `clients` slots. Survives fork (MAP_SHARED).
class SharedLoad {
 public:
  static Result<std::unique_ptr<SharedLoad>> Create(int clients);
  ~SharedLoad();
  SharedLoad(const SharedLoad&) = delete;
  SharedLoad& operator=(const SharedLoad&) = delete;

  LoadHeader* header() const { return header_; }
  ClientSlot* slot(int i) const { return slots_ + i; }
  int clients() const { return clients_; }
  uint64_t TotalCommits() const;
  std::vector<uint64_t> MergedHistogram() const;

 private:
  SharedLoad(void* base, size_t bytes, int clients);
  void* base_;
  size_t bytes_;
  int clients_;
  LoadHeader* header_;
  ClientSlot* slots_;
};

int LatencyBucket(double us);
// Quantile q in (0,1] of a histogram, as the geometric middle of its bucket. Unit: us.
double HistogramQuantileUs(const std::vector<uint64_t>& hist, double q);
int64_t MonotonicMicros();

// A connection that commits one insert per call.
class Session {
 public:
  virtual ~Session() = default;
  // Inserts (client, seq, payload) in its own transaction and commits it. Ok means the commit
  // was acknowledged. *retry is set when the transaction certainly did not commit and may be
  // tried again (SQLite busy, InnoDB deadlock).
  virtual Status Commit(int client, uint64_t seq, const std::string& payload, bool* retry) = 0;
};
using SessionFactory = std::function<Result<std::unique_ptr<Session>>(int client)>;

// Client threads writing until header()->stop is set or their session fails. With rate_tps > 0
// the load is paced: each client starts a transaction at most every clients / rate_tps seconds
// (staggered, never catching up after a slow one), so all together commit at most rate_tps.
class ThreadLoad {
 public:
  ThreadLoad(SharedLoad* shared, SessionFactory factory, uint64_t payload_bytes,
             double rate_tps = 0);
  ~ThreadLoad();  // joins
  void Start();
  void Join();

 private:
  void RunClient(int client);
  // Sleeps until `at_us` (MonotonicMicros) in slices that watch the stop flag; false if stopped.
  bool WaitUntil(int64_t at_us) const;
  SharedLoad* shared_;
  SessionFactory factory_;
  std::string payload_;
  double rate_tps_ = 0;
  std::vector<std::thread> threads_;
};

}  // namespace waltune::verify

#endif  // WALTUNE_VERIFY_LOAD_H_
