// RunVerify: measurement phase, then the crash loop, then verdicts.
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <numeric>
#include <optional>
#include <random>
#include <thread>
#include <tuple>

#include "checkpoint_cycles.h"
#include "flush_sampling.h"
#include "load.h"
#include "process.h"
#include "targets.h"
#include "waltune/engine.h"
#include "waltune/powercut.h"
#include "waltune/probe.h"
#include "waltune/verify.h"

namespace waltune {

namespace {

using verify::ClientSlot;
using verify::SharedLoad;
using verify::Target;

constexpr const char* kScopeNote =
    "A SIGKILL of the engine process keeps the OS page cache: data the engine had written but "
    "not flushed still reaches the disk. This run therefore tests the engine's WAL and recovery "
    "logic and whether commits are acknowledged before their WAL is handed to the OS; it does "
    "not show what a power loss or OS crash loses (flush-per-second and no-flush settings lose "
    "more there).";

constexpr const char* kPowerLossScopeNote =
    "Each crash killed every engine process and then cut the power of a simulated disk "
    "(docs/powercut.md): whatever the engine had written but not flushed (fsync, fdatasync, "
    "O_SYNC/O_DSYNC) was forgotten, as on a power loss with a volatile disk cache. The simulator "
    "has no background writeback: settings that never flush lose everything since the last "
    "flush, where a real kernel would have written dirty pages back after ~30 s. Everything "
    "written is made durable before each crash's load (as sync(2) would), so each cut loses "
    "only what that load left unflushed. Throughput through the simulator is not comparable "
    "with a native run (flushes cost nothing there unless --sync-backing) and is reported "
    "apart, without a verdict.";

void SleepS(double s) {
  std::this_thread::sleep_for(std::chrono::microseconds(static_cast<int64_t>(s * 1e6)));
}

class Progress {
 public:
  explicit Progress(bool on) : on_(on) {}
  ~Progress() { Done(); }
  void Show(const std::string& phase, double elapsed_s, double tps) {
    if (!on_) return;
    std::fprintf(stderr, "\r\033[K[verify] %-26s %6.1f s %9.0f tps", phase.c_str(), elapsed_s, tps);
    std::fflush(stderr);
    shown_ = true;
  }
  void Done() {
    if (shown_) std::fprintf(stderr, "\r\033[K");
    shown_ = false;
  }

 private:
  bool on_;
  bool shown_ = false;
};

Status ClientFailure(const SharedLoad& shared) {
  for (int i = 0; i < shared.clients(); ++i) {
    const ClientSlot& slot = *shared.slot(i);
    if (slot.state.load() == ClientSlot::kFailed) {
      return Status::IOError("client " + std::to_string(i + 1), slot.error);
    }
  }
  return Status::Ok();
}

// Waits until every client has connected. Fails with the first client's error.
Status WaitClientsReady(const SharedLoad& shared) {
  const double deadline = verify::NowSeconds() + 60;
  while (shared.header()->ready_clients.load() < shared.clients()) {
    if (Interrupted()) return Status::Unavailable("verify", "interrupted");
    if (verify::NowSeconds() > deadline) return Status::Unavailable("verify", "clients not ready");
    SleepS(0.005);
  }
  return ClientFailure(shared);
}

// Acknowledged seq of every client, sampled while the load runs: bounds the age of a lost
// commit whose exact acknowledgement time has left the ring (kAckRing).
class AckTimeline {
 public:
  void Sample(const SharedLoad& shared) {
    Point p;
    p.time_us = verify::MonotonicMicros();
    for (int i = 0; i < shared.clients(); ++i) p.acked.push_back(shared.slot(i)->acked.load());
    points_.push_back(std::move(p));
  }
  // Time of the first sample at which `client` had `seq` acknowledged: the commit was
  // acknowledged at or before it. Nullopt when no sample saw it.
  std::optional<int64_t> AckedBy(int client, uint64_t seq) const {
    auto it = std::partition_point(points_.begin(), points_.end(), [&](const Point& p) {
      return p.acked[static_cast<size_t>(client)] < seq;
    });
    if (it == points_.end()) return std::nullopt;
    return it->time_us;
  }

 private:
  struct Point {
    int64_t time_us = 0;
    std::vector<uint64_t> acked;
  };
  std::vector<Point> points_;
};

// Runs the load for `seconds`, showing progress; fails early on a client error or Ctrl-C.
Status RunFor(const SharedLoad& shared, double seconds, const std::string& phase,
              Progress* progress, AckTimeline* timeline) {
  const double t0 = verify::NowSeconds();
  uint64_t last_commits = shared.TotalCommits();
  double last_t = t0;
  while (true) {
    double now = verify::NowSeconds();
    timeline->Sample(shared);
    if (now - t0 >= seconds) return Status::Ok();
    if (Interrupted()) return Status::Unavailable("verify", "interrupted");
    WALTUNE_RETURN_IF_ERROR(ClientFailure(shared));
    SleepS(std::min(0.05, seconds - (now - t0)));
    uint64_t c = shared.TotalCommits();
    double t = verify::NowSeconds();
    const double tps = static_cast<double>(c - last_commits) / std::max(t - last_t, 1e-6);
    progress->Show(phase, t - t0, tps);
    last_commits = c;
    last_t = t;
  }
}

// --worst-case: runs the load until at least opt.worst_case_min_cycles checkpoint cycles
// completed (CheckpointCycles: a checkpoint that shortens the replay to at most 3/4 of the
// cycle's peak) and the distance from the last completed checkpoint's REDO point reached
// opt.worst_case_fraction of the last completed cycle's peak (the distance just before its
// checkpoint completed), or until opt.worst_case_timeout_s. Sampled every 20 ms, so a
// cycle's peak is low by at most 20 ms of WAL.
Status RunUntilPeak(Target* target, const SharedLoad& shared, const VerifyOptions& opt,
                    const std::string& phase, Progress* progress, AckTimeline* timeline,
                    CrashResult::WorstCase* wc, double* load_s) {
  wc->fraction_wanted = opt.worst_case_fraction;
  wc->distance_source = target->DistanceSource();
  const double t0 = verify::NowSeconds();
  Result<verify::CheckpointDistance> d = target->Distance();
  if (!d.ok()) return d.status();
  verify::CheckpointCycles cycles(d->distance_bytes);
  while (true) {
    timeline->Sample(shared);
    if (Interrupted()) return Status::Unavailable("verify", "interrupted");
    WALTUNE_RETURN_IF_ERROR(ClientFailure(shared));
    SleepS(0.02);
    d = target->Distance();
    if (!d.ok()) return d.status();
    cycles.Add(d->distance_bytes);
    const uint64_t best_peak = cycles.last_peak_bytes();
    wc->checkpoint_cycles = cycles.completed();
    wc->distance_bytes = d->distance_bytes;
    wc->expected_peak_bytes = best_peak;
    const double elapsed = verify::NowSeconds() - t0;
    *load_s = elapsed;
    if (cycles.completed() >= opt.worst_case_min_cycles && best_peak > 0 &&
        static_cast<double>(d->distance_bytes) >=
            opt.worst_case_fraction * static_cast<double>(best_peak)) {
      wc->reached = true;
      break;
    }
    if (elapsed >= opt.worst_case_timeout_s) break;
    char what[96];
    std::snprintf(what, sizeof(what), "%s %d ckpt %.0f MB", phase.c_str(), cycles.completed(),
                  static_cast<double>(d->distance_bytes) / 1e6);
    progress->Show(what, elapsed, 0);
  }
  const uint64_t best_peak = cycles.last_peak_bytes();
  wc->fraction_of_peak =
      best_peak > 0 ? static_cast<double>(wc->distance_bytes) / static_cast<double>(best_peak) : 0;
  return Status::Ok();
}

// After the clients ended (stop or crash): each client's unacknowledged in-flight seq is in
// doubt from now on.
void CloseEpoch(const SharedLoad& shared, std::vector<ClientLedger>* ledgers) {
  for (int i = 0; i < shared.clients(); ++i) {
    const ClientSlot& slot = *shared.slot(i);
    ClientLedger& l = (*ledgers)[i];
    uint64_t attempted = slot.attempted.load(), acked = slot.acked.load();
    if (attempted > acked && attempted > l.attempted_through) l.in_doubt.push_back(attempted);
    l.attempted_through = attempted;
  }
}

std::pair<double, double> P50P99(std::vector<double> us) {
  std::sort(us.begin(), us.end());
  size_t i99 = std::min(us.size() - 1, static_cast<size_t>(std::ceil(0.99 * us.size())) - 1);
  return {Median(us), us[i99]};
}

struct MeasureResult {
  double tps = 0;
  uint64_t commits = 0;
  double p50_ms = 0, p99_ms = 0;
  std::optional<double> wal_bytes_per_txn;
  // Of wal_bytes_per_txn, the records without full-page images (PostgreSQL), and why not when
  // the engine could not split them.
  std::optional<double> wal_record_bytes_per_txn;
  std::string wal_mix_problem;
  // The full-page images of the measured range (PostgreSQL): how many, their mean WAL bytes
  // and page bytes before compression, and the wal_compression they were written with.
  uint64_t fpi_count = 0;
  std::optional<double> fpi_bytes;
  std::optional<double> fpi_page_bytes;
  std::string fpi_compression;
  std::optional<uint64_t> checkpoints;
  std::optional<double> txn_cpu_us;
  std::optional<double> commits_per_wal_sync;
  // The SQLite load's own WAL syncs: how many, and the durations the ring still held (the
  // last kWalSyncRing). 0 and empty for the servers.
  uint64_t wal_syncs = 0;
  std::vector<double> wal_sync_us;
};

// The record share of the measured WAL (the engine's own reader's count of records against
// images) applied to the LSN advance: the WAL per transaction without full-page images. The
// share, not the reader's byte sum, keeps the WAL's page headers and alignment in proportion.
void SplitWalPerTxn(Target* target, uint64_t from, uint64_t to, MeasureResult* m) {
  Result<std::optional<verify::WalMix>> mix = target->MixOfWal(from, to);
  if (!mix.ok()) {
    m->wal_mix_problem = mix.status().ToString();
    return;
  }
  if (!mix->has_value()) return;
  const double all = static_cast<double>((*mix)->record_bytes + (*mix)->image_bytes);
  if (all <= 0) {
    m->wal_mix_problem = "the engine's WAL reader found no records in the measured range";
    return;
  }
  m->wal_record_bytes_per_txn =
      *m->wal_bytes_per_txn * static_cast<double>((*mix)->record_bytes) / all;
  m->fpi_count = (*mix)->images;
  m->fpi_compression = (*mix)->compression;
  if ((*mix)->images > 0) {
    const double n = static_cast<double>((*mix)->images);
    m->fpi_bytes = static_cast<double>((*mix)->image_bytes) / n;
    m->fpi_page_bytes = static_cast<double>((*mix)->image_page_bytes) / n;
  }
}

Result<MeasureResult> MeasurePhase(Target* target, SharedLoad* shared, const VerifyOptions& opt,
                                   std::vector<ClientLedger>* ledgers, Progress* progress,
                                   AckTimeline* timeline) {
  WALTUNE_RETURN_IF_ERROR(target->StartLoad(shared));
  Status s = WaitClientsReady(*shared);
  if (s.ok()) s = RunFor(*shared, std::min(1.0, opt.seconds * 0.1), "warm-up", progress, timeline);
  if (!s.ok()) {
    Status stop = target->StopLoad();
    (void)stop;
    return s;
  }
  Result<verify::EngineSample> a = target->Sample();
  const uint64_t c0 = shared->TotalCommits();
  const std::vector<uint64_t> h0 = shared->MergedHistogram();
  const uint64_t syncs0 = shared->header()->wal_syncs.load();
  const double t0 = verify::NowSeconds();
  s = RunFor(*shared, opt.seconds, "measuring throughput", progress, timeline);
  Result<verify::EngineSample> b = target->Sample();
  const uint64_t c1 = shared->TotalCommits();
  const std::vector<uint64_t> h1 = shared->MergedHistogram();
  const uint64_t syncs1 = shared->header()->wal_syncs.load();
  const double t1 = verify::NowSeconds();
  Status stop = target->StopLoad();
  CloseEpoch(*shared, ledgers);
  WALTUNE_RETURN_IF_ERROR(s);
  WALTUNE_RETURN_IF_ERROR(stop);

  MeasureResult m;
  m.commits = c1 - c0;
  m.tps = static_cast<double>(m.commits) / (t1 - t0);
  std::vector<uint64_t> h(h1.size());
  for (size_t i = 0; i < h.size(); ++i) h[i] = h1[i] - h0[i];
  m.p50_ms = verify::HistogramQuantileUs(h, 0.50) / 1000;
  m.p99_ms = verify::HistogramQuantileUs(h, 0.99) / 1000;
  m.wal_syncs = syncs1 - syncs0;
  m.wal_sync_us = verify::WalSyncSamplesUs(*shared->header(), syncs0, syncs1);
  if (a.ok() && b.ok() && m.commits > 0) {
    if (a->wal_bytes && b->wal_bytes) {
      m.wal_bytes_per_txn =
          static_cast<double>(*b->wal_bytes - *a->wal_bytes) / static_cast<double>(m.commits);
      SplitWalPerTxn(target, *a->wal_bytes, *b->wal_bytes, &m);
    }
    if (a->checkpoints && b->checkpoints) m.checkpoints = *b->checkpoints - *a->checkpoints;
    if (b->cpu_s > a->cpu_s) {
      m.txn_cpu_us = (b->cpu_s - a->cpu_s) * 1e6 / static_cast<double>(m.commits);
    }
    if (a->wal_syncs && b->wal_syncs && *b->wal_syncs > *a->wal_syncs) {
      m.commits_per_wal_sync =
          static_cast<double>(m.commits) / static_cast<double>(*b->wal_syncs - *a->wal_syncs);
    }
  }
  return m;
}

// After a recovery: which acknowledged commits are missing (newly lost, with their age at the
// kill), which unacknowledged ones survived, and rows nobody sent.
void CountSurvivors(const verify::PresentRows& present, const SharedLoad& shared, int64_t kill_us,
                    const AckTimeline& timeline, std::vector<ClientLedger>* ledgers,
                    CrashResult* crash) {
  uint64_t unexpected = 0;
  for (const auto& [client, rows] : present) {
    if (client < 1 || client > shared.clients()) unexpected += rows.size();
  }
  for (int i = 0; i < shared.clients(); ++i) {
    ClientLedger& l = (*ledgers)[i];
    const ClientSlot& slot = *shared.slot(i);
    auto it = present.find(i + 1);
    static const std::vector<uint64_t> kNone;
    const std::vector<uint64_t>& rows = it == present.end() ? kNone : it->second;
    // The in-doubt seq of this crash is the last one; survived if present.
    if (!l.in_doubt.empty() && l.in_doubt.back() == l.attempted_through &&
        std::binary_search(rows.begin(), rows.end(), l.attempted_through)) {
      ++crash->unacked_survived;
    }
    LossCount c = CountClientLoss(l, rows);
    unexpected += c.unexpected;
    if (getenv("WALTUNE_VERIFY_DEBUG")) {
      for (uint64_t seq : c.newly_lost) {
        std::fprintf(stderr, "client %d lost seq %llu (attempted %llu, acked %llu, rows %zu)\n",
                     i + 1, (unsigned long long)seq, (unsigned long long)l.attempted_through,
                     (unsigned long long)slot.acked.load(), rows.size());
      }
    }
    crash->acked_commits += c.acked;
    crash->lost_commits += c.newly_lost.size();
    for (uint64_t seq : c.newly_lost) {
      double age_ms = 0;
      if (seq + verify::kAckRing > l.attempted_through) {
        // Acks racing the kill by microseconds count as age 0.
        const int64_t acked_us = slot.ack_time_us[seq % verify::kAckRing].load();
        age_ms = static_cast<double>(std::max<int64_t>(0, kill_us - acked_us)) / 1000;
      } else if (std::optional<int64_t> by_us = timeline.AckedBy(i, seq)) {
        // Its slot in the ring was reused: it was acknowledged at or before this sample.
        age_ms = static_cast<double>(std::max<int64_t>(0, kill_us - *by_us)) / 1000;
        crash->lost_age_is_lower_bound = true;
      } else {
        crash->lost_age_unknown = true;
        continue;
      }
      if (!crash->oldest_lost_age_ms || age_ms > *crash->oldest_lost_age_ms) {
        crash->oldest_lost_age_ms = age_ms;
      }
    }
    l.known_lost.insert(l.known_lost.end(), c.newly_lost.begin(), c.newly_lost.end());
    std::sort(l.known_lost.begin(), l.known_lost.end());
  }
  if (unexpected > 0) {
    crash->integrity_problems.push_back(std::to_string(unexpected) +
                                        " rows present that no client ever sent");
  }
}

// Copies the killed instance's directory (`cp -a`: owners and modes kept, so the engine's own
// user can start it) into crash_copy_dir/crash<index>. The copy is then written out and dropped
// from the page cache (EvictFromPageCache syncs first), so that its writeback does not run
// beside the timed restart.
Result<std::string> CopyCrashedInstance(const std::string& from, const std::string& into,
                                        int index) {
  const std::string to = into + "/crash" + std::to_string(index);
  verify::SpawnOptions cp;
  cp.argv = {"/bin/cp", "-a", "--", from, to};
  Status s = verify::RunAndWait(cp, 3600);
  if (!s.ok()) return Status::IOError("--crash-copy", "copying " + from + ": " + s.ToString());
  Result<uint64_t> written = verify::EvictFromPageCache(to);
  if (!written.ok()) return written.status();
  return to;
}

// One crash: load for a random time, SIGKILL (and cut the power), restart, check, count what
// survived. A restart that fails is recorded in the result (recovery_error), not returned as
// an error: it is a finding of the run.
// `worst_case` (non-null: --worst-case) replaces the fixed load time by RunUntilPeak and makes
// the restart cold.
Result<CrashResult> CrashOnce(Target* target, SharedLoad* shared, double load_s,
                              std::vector<ClientLedger>* ledgers, Progress* progress, int index,
                              AckTimeline* timeline, const VerifyOptions* worst_case = nullptr) {
  CrashResult crash;
  crash.load_s = load_s;
  WALTUNE_RETURN_IF_ERROR(target->BeforeCrashLoad());
  WALTUNE_RETURN_IF_ERROR(target->StartLoad(shared));
  Status s = WaitClientsReady(*shared);
  const std::string phase = "crash " + std::to_string(index) + ": load";
  if (s.ok() && worst_case != nullptr) {
    crash.worst_case.emplace();
    s = RunUntilPeak(target, *shared, *worst_case, phase, progress, timeline, &*crash.worst_case,
                     &crash.load_s);
  } else if (s.ok()) {
    s = RunFor(*shared, load_s, phase, progress, timeline);
  }
  if (!s.ok()) {
    Status k = target->Crash();
    (void)k;
    if (index > 1 && !Interrupted()) {
      // The engine came back from the previous crash but cannot take writes: that recovery was
      // not clean (e.g. a damaged database). A finding for the report, not a run error.
      crash.recovery_error = "writes failed after the recovery from crash " +
                             std::to_string(index - 1) + ": " + s.ToString();
      CloseEpoch(*shared, ledgers);
      return crash;
    }
    return s;
  }
  const int64_t kill_us = verify::MonotonicMicros();
  WALTUNE_RETURN_IF_ERROR(target->Crash());
  CloseEpoch(*shared, ledgers);
  if (std::optional<powercut::CutStats> cut = target->last_cut()) {
    crash.kind = "power_cut";
    crash.discarded_bytes = cut->discarded_bytes;
    crash.files_restored = cut->files_restored;
    crash.names_undone = cut->names_undone;
    if (cut->kept_bytes > 0) crash.kept_bytes = cut->kept_bytes;
  }
  if (crash.worst_case) {
    // What the restart will replay, records and images apart (read before the eviction: the
    // reads bring the WAL into the page cache). Not reading it is noted, not a run error.
    progress->Show("crash " + std::to_string(index) + ": reading the WAL to replay", 0, 0);
    Result<std::optional<CrashWindowMix>> window = target->MixOfCrashWindow();
    if (window.ok()) {
      crash.worst_case->window = *window;
    } else {
      crash.worst_case->window_error = window.status().ToString();
    }
    if (worst_case != nullptr && !worst_case->crash_copy_dir.empty()) {
      progress->Show("crash " + std::to_string(index) + ": copying the instance", 0, 0);
      Result<std::string> copy =
          CopyCrashedInstance(target->dir(), worst_case->crash_copy_dir, index);
      if (!copy.ok()) return copy.status();
      crash.worst_case->copy_dir = *copy;
    }
    // A cold start, as after a power cut: nothing of the data directory in the page cache.
    Result<uint64_t> evicted = verify::EvictFromPageCache(target->dir());
    if (!evicted.ok()) return evicted.status();
    crash.worst_case->cold_cache = true;
    crash.worst_case->evicted_files = *evicted;
  }
  progress->Show("crash " + std::to_string(index) + ": recovering", 0, 0);
  Result<verify::RecoveryInfo> info = target->Restart();
  if (!info.ok()) {
    crash.recovery_error = info.status().ToString();
    return crash;
  }
  crash.recovery_time_s = info->recovery_s;
  crash.recovery_cpu_wait_s = info->cpu_wait_s;
  crash.redo_bytes = info->redo_bytes;
  crash.redo_s = info->redo_s;
  crash.phases = info->phases;
  crash.recovery_log_tail = info->log_tail;
  if (crash.worst_case && crash.worst_case->reached && crash.redo_bytes &&
      static_cast<double>(*crash.redo_bytes) <
          0.5 * static_cast<double>(crash.worst_case->distance_bytes)) {
    // The replay starts at the last completed checkpoint's REDO point and runs to the end of
    // the WAL, so it is at least the distance read before the kill, unless a checkpoint
    // completed in between (SQLite: right at the autocheckpoint size, the peak).
    crash.worst_case->missed_peak = true;
  }
  Result<std::vector<std::string>> problems = target->CheckIntegrity(&crash.integrity_check);
  if (!problems.ok()) {
    crash.integrity_problems.push_back("the check could not run: " + problems.status().ToString());
  } else {
    crash.integrity_problems = *problems;
  }
  Result<verify::PresentRows> present = target->ReadPresent();
  if (!present.ok()) {
    crash.integrity_problems.push_back("the load table cannot be read: " +
                                       present.status().ToString());
  } else {
    CountSurvivors(*present, *shared, kill_us, *timeline, ledgers, &crash);
  }
  if (!crash.integrity_problems.empty()) {
    // The server's own account of the check and the read (e.g. InnoDB's reason for "Corrupt").
    const std::string during = target->LogSinceRestart(verify::kRecoveryLogTailBytes);
    if (!during.empty()) crash.recovery_log_tail += "\nlogged during the checks:\n" + during;
  }
  return crash;
}

}  // namespace

Result<Engine> ParseVerifyEngine(const std::string& text) {
  std::optional<Engine> engine = EngineByName(text);
  if (!engine) {
    return Status::InvalidArgument(
        "--engine", "unknown engine '" + text + "' (" + VerifyEngineKeyList(" or ") + ")");
  }
  if (!TraitsOf(*engine).verify_supported) {
    return Status::InvalidArgument("--engine", NoVerifyMessage(*engine, "use "));
  }
  return *engine;
}

namespace {
// 8 KiB overwrite + fdatasync of a preallocated file in `dir`, `flushes` times, through the
// Env (waltune/probe.h). Unit: us.
Result<std::vector<double>> FlushSamplesUs(const std::string& dir, int flushes) {
  return MeasureOverwriteFlushesUs(Env::Default(), dir, flushes);
}
}  // namespace

Result<std::pair<double, double>> MeasureFlushLatencyUs(const std::string& dir, int flushes) {
  Result<std::vector<double>> us = FlushSamplesUs(dir, flushes);
  if (!us.ok()) return us.status();
  return P50P99(*us);
}

Result<FlushMeasurement> MeasureRunFlushes(const std::string& dir, uint64_t emulated_delay_us) {
  verify::FlushSampler sampler(Env::Default(), emulated_delay_us);
  WALTUNE_RETURN_IF_ERROR(sampler.Sample(dir, 50, 10, 20));
  return sampler.Summary();
}

namespace {

Status CheckWorstCaseOptions(const VerifyOptions& options) {
  if (options.power_loss) {
    return Status::InvalidArgument("--worst-case",
                                   "not with --power-loss: restarts through the simulator are "
                                   "not this storage's recovery time");
  }
  if (!(options.worst_case_fraction > 0 && options.worst_case_fraction <= 1)) {
    return Status::InvalidArgument("--worst-case-fraction", "must be in (0, 1]");
  }
  if (options.worst_case_min_cycles < 1 || options.worst_case_min_cycles > 100) {
    return Status::InvalidArgument("--worst-case-cycles", "must be between 1 and 100");
  }
  if (!(options.worst_case_timeout_s > 0)) {
    return Status::InvalidArgument("--worst-case-timeout", "must be positive");
  }
  return Status::Ok();
}

// --crash-copy: only with --worst-case, into an existing empty directory (nothing overwritten).
Status CheckCrashCopyDir(const VerifyOptions& options) {
  if (options.crash_copy_dir.empty()) return Status::Ok();
  if (!options.worst_case) return Status::InvalidArgument("--crash-copy", "needs --worst-case");
  std::error_code ec;
  if (!std::filesystem::is_directory(options.crash_copy_dir, ec)) {
    return Status::InvalidArgument("--crash-copy",
                                   "'" + options.crash_copy_dir + "' is not a directory");
  }
  if (!std::filesystem::is_empty(options.crash_copy_dir, ec) || ec) {
    return Status::InvalidArgument("--crash-copy", "'" + options.crash_copy_dir +
                                                       "' is not empty: nothing is "
                                                       "overwritten");
  }
  return Status::Ok();
}

// Option values RunVerify refuses (InvalidArgument naming the option).
Status CheckVerifyOptions(const VerifyOptions& options) {
  if (options.clients < 1 || options.clients > 256) {
    return Status::InvalidArgument("--clients", "must be between 1 and 256");
  }
  if (!(options.rate_tps >= 0 && options.rate_tps <= 1e6)) {
    return Status::InvalidArgument("--rate", "must be between 0 (not paced) and 1000000 tps");
  }
  if (!(options.seconds > 0)) return Status::InvalidArgument("--seconds", "must be positive");
  if (options.crashes < 0) return Status::InvalidArgument("--crashes", "must be >= 0");
  if (options.crash_after_min_s <= 0 || options.crash_after_max_s < options.crash_after_min_s) {
    return Status::InvalidArgument("--crash-after", "needs 0 < min <= max");
  }
  const std::string& mech = options.power_loss_mechanism;
  if (mech != "auto" && mech != "fuse" && mech != "sqlite-vfs") {
    return Status::InvalidArgument("--power-loss-mechanism",
                                   "unknown '" + mech + "' (auto, fuse or sqlite-vfs)");
  }
  if (!options.power_loss && mech != "auto") {
    return Status::InvalidArgument("--power-loss-mechanism", "needs --power-loss");
  }
  if (mech == "sqlite-vfs" && options.engine != Engine::kSQLite) {
    return Status::InvalidArgument("--power-loss-mechanism",
                                   "sqlite-vfs works for --engine sqlite only");
  }
  if (options.worst_case) WALTUNE_RETURN_IF_ERROR(CheckWorstCaseOptions(options));
  WALTUNE_RETURN_IF_ERROR(CheckCrashCopyDir(options));
  if (options.workload != VerifyWorkload::kInsert &&
      (options.working_set_bytes < (1u << 20) || options.working_set_bytes > (1ull << 40))) {
    return Status::InvalidArgument("--working-set", "must be between 1MB and 1TB");
  }
  if ((options.random_cuts || options.powercut_sync_backing) &&
      (!options.power_loss || mech == "sqlite-vfs")) {
    return Status::InvalidArgument(options.random_cuts ? "--random-cuts" : "--sync-backing",
                                   "needs --power-loss on the FUSE file system");
  }
  return Status::Ok();
}

// The report's header: what runs, with which plan, and the scope of what a crash can show.
VerifyReport NewReport(const VerifyOptions& options, const VerifyPlan& plan) {
  VerifyReport report;
  report.engine = EngineKey(options.engine);
  report.durability_level = plan.durability;
  report.clients = options.clients;
  report.seconds = options.seconds;
  if (options.flush_latency_us > 0) report.flush_latency_emulated_us = options.flush_latency_us;
  report.workload = VerifyWorkloadName(options.workload);
  if (options.workload != VerifyWorkload::kInsert) {
    report.working_set_bytes = options.working_set_bytes;
  }
  report.plan = plan;
  report.applied_settings = plan.settings;
  report.scope_note = options.power_loss ? kPowerLossScopeNote : kScopeNote;
  report.throughput_through_simulator = options.power_loss;
  if (options.rate_tps > 0) {
    report.paced_rate_tps = options.rate_tps;
    char note[160];
    std::snprintf(note, sizeof(note),
                  "the load was paced at %.0f tps (--rate): the throughput is reported, not "
                  "judged against the prediction",
                  options.rate_tps);
    report.plan.notes.push_back(note);
  }
  return report;
}

// After Setup: the engine version and how crashes happen, with what that means for the report.
void DescribeTarget(const VerifyOptions& options, const Target& target, VerifyReport* report) {
  report->engine_version = target.version();
  report->crash_mechanism = target.CrashMechanism();
  if (target.ThroughFuse()) {
    report->plan.notes.push_back(
        "recovery times were measured through the FUSE simulator (every read and write of the "
        "restart crosses it), so they are reported but not judged against the predicted worst "
        "case; the recovery target is still checked");
  }
  if (options.power_loss && !target.ThroughFuse()) {
    // The SQLite VFS writes through at once: the throughput is the native disk's (plus the
    // VFS's undo copies), but still not a clean native measurement.
    report->scope_note +=
        " With the SQLite VFS the writes reach the real disk at once, but each "
        "overwrite also saves its old bytes for the undo.";
  }
}

void RecordMeasurement(const MeasureResult& m, VerifyReport* report) {
  report->measured_tps = m.tps;
  report->commits_measured = m.commits;
  report->commit_latency_p50_ms = m.p50_ms;
  report->commit_latency_p99_ms = m.p99_ms;
  report->wal_bytes_per_txn = m.wal_bytes_per_txn;
  report->wal_record_bytes_per_txn = m.wal_record_bytes_per_txn;
  report->fpi_count = m.fpi_count;
  report->fpi_bytes = m.fpi_bytes;
  report->fpi_page_bytes = m.fpi_page_bytes;
  report->fpi_compression = m.fpi_compression;
  if (!m.wal_mix_problem.empty()) {
    report->plan.notes.push_back(
        "the WAL per transaction could not be split into records and full-page images, so a "
        "calibration from this run carries no wal_record_bytes_per_txn: " +
        m.wal_mix_problem);
  }
  report->checkpoints = m.checkpoints;
  report->txn_cpu_us = m.txn_cpu_us;
  report->commits_per_wal_sync = m.commits_per_wal_sync;
}

// SQLite's own WAL syncs during the measurement, into the report. Returned as the flush
// measurement to predict with when they are the commits' flushes: a sync for at least every
// other commit (synchronous=FULL; NORMAL syncs only at checkpoints, whole WALs at a time),
// native flushes (an emulated delay is added outside the timed sync, and the sample measures
// its overshoot), not through the power-cut simulator, and at least 20 of them. Only SQLite's
// load times its syncs (the servers' flushes carry groups and queue, which the model predicts):
// its writers commit one at a time, so each of these syncs ran alone on the device, as the
// model's flush does; the flushes sampled around the load drift with this disk (docs/verify.md,
// "SQLite with one writer at fast flushes"). The idle-gap points stay the sample's.
std::optional<FlushMeasurement> RecordWalSyncs(const VerifyOptions& options, const MeasureResult& m,
                                               const FlushMeasurement& around,
                                               VerifyReport* report) {
  if (m.wal_sync_us.empty()) return std::nullopt;
  report->wal_syncs = m.wal_syncs;
  const auto [p50, p99] = P50P99(m.wal_sync_us);
  report->wal_sync_p50_us = p50;
  report->wal_sync_p99_us = p99;
  const bool per_commit = 2 * m.wal_syncs >= m.commits;
  if (options.power_loss || options.flush_latency_us > 0 || m.wal_sync_us.size() < 20 ||
      !per_commit) {
    return std::nullopt;
  }
  FlushMeasurement own = around;
  own.p50_us = p50;
  own.p99_us = std::max(p99, p50);
  own.mean_us = std::accumulate(m.wal_sync_us.begin(), m.wal_sync_us.end(), 0.0) /
                static_cast<double>(m.wal_sync_us.size());
  own.samples = static_cast<int>(m.wal_sync_us.size());
  return own;
}

// The CPU per statement the run implies. Not with an emulated flush delay (the engines'
// background work is then spread over far fewer commits: 2-3.5x the CPU per commit in
// docs/sweep-group-commit.md), nor for a paced load (the same, and idle cores between
// transactions), nor through the power-cut simulator (FUSE's CPU is counted), nor without the
// plan's workload shape (an --advice plan), nor when the commits waited on the native flushes
// sampled around the load more than twice as long as they ran on the CPU
// (FlushBoundMeasurement; a note says so, as `verify --calibrate` then keeps the file's earlier
// figure).
std::optional<double> MeasuredStatementCpuUs(const VerifyOptions& options, const VerifyPlan& plan,
                                             VerifyReport* report) {
  const VerifyReport& r = *report;
  const CpuCosts costs = AdvisorFor(options.engine).Cpu();
  if (costs.per_statement_us <= 0 || options.flush_latency_us > 0 || options.power_loss ||
      options.rate_tps > 0 || !plan.predicted_workload || !r.txn_cpu_us ||
      !r.commits_per_wal_sync) {
    return std::nullopt;  // SQLite is modelled per row: it has no statement figure to set aside
  }
  if (r.native_flush_samples > 0 &&
      FlushBoundMeasurement(*r.txn_cpu_us, r.native_flush_p50_us, *r.commits_per_wal_sync)) {
    report->plan.notes.push_back(fmt::format(
        "no CPU per statement from this run: its commits waited on the flush (p50 {:.0f} us "
        "around the load over {:.2f} commits per sync = {:.0f} us per commit) more than twice as "
        "long as they ran on the CPU ({:.0f} us per commit), so the engine's background work, "
        "its wake-ups after each flush and any slow spell of the host weigh in its CPU per "
        "commit (calibrate with more clients, with a transaction of more statements such as "
        "--workload tpcb, or when the disk flushes faster)",
        r.native_flush_p50_us, *r.commits_per_wal_sync,
        r.native_flush_p50_us / *r.commits_per_wal_sync, *r.txn_cpu_us));
    return std::nullopt;
  }
  return StatementCpuFromMeasurement(costs, *plan.predicted_workload, *r.txn_cpu_us,
                                     *r.commits_per_wal_sync);
}

// The predictions again for the flush latency measured (options.repredict): around the load,
// or SQLite's own WAL syncs during it. `basis` says which, for the note.
void Repredict(const VerifyOptions& options, const FlushMeasurement& flush,
               const std::string& basis, VerifyReport* report) {
  Result<VerifyPlan> again = options.repredict(flush);
  if (!again.ok()) {
    report->plan.notes.push_back("re-prediction failed: " + again.status().ToString());
    return;
  }
  report->plan.notes.push_back(
      fmt::format("predictions recomputed for {}; before the run they were tps {:.0f}, recovery "
                  "{:.2f} s",
                  basis, report->plan.predicted_tps.value_or(0),
                  report->plan.predicted_recovery_time_s.value_or(0)));
  report->plan.predicted_tps = again->predicted_tps;
  report->plan.predicted_recovery_time_s = again->predicted_recovery_time_s;
  report->plan.expected_peak_recovery_time_s = again->expected_peak_recovery_time_s;
  report->plan.expected_recovery_at_distance_s = again->expected_recovery_at_distance_s;
  report->plan.recovery_terms_s = again->recovery_terms_s;
  report->plan.predicted_loss_window_ms = again->predicted_loss_window_ms;
  if (!again->prediction_source.empty()) {
    report->plan.prediction_source = again->prediction_source;
  }
}

// --worst-case: each recovered crash's replay rate and its recovery against the estimate.
void RateWorstCaseCrashes(VerifyReport* report) {
  for (CrashResult& c : report->crashes) {
    if (!c.worst_case || !c.recovery_error.empty()) continue;
    // PostgreSQL logs its replay time; for the others the whole restart is the replay time,
    // so their rate is a lower bound (docs/verify.md).
    const double replay_s = c.redo_s.value_or(c.recovery_time_s);
    if (c.redo_bytes && *c.redo_bytes > 0 && replay_s > 0) {
      c.worst_case->replay_bytes_per_s = static_cast<double>(*c.redo_bytes) / replay_s;
    }
    if (report->plan.predicted_recovery_time_s && *report->plan.predicted_recovery_time_s > 0) {
      c.worst_case->recovery_to_estimate =
          c.recovery_time_s / *report->plan.predicted_recovery_time_s;
    }
    const std::optional<double>& peak = report->plan.expected_peak_recovery_time_s;
    if (peak && *peak > 0) c.worst_case->recovery_to_expected_peak = c.recovery_time_s / *peak;
    const auto& at_distance = report->plan.expected_recovery_at_distance_s;
    if (at_distance && c.redo_bytes && *c.redo_bytes > 0) {
      c.worst_case->expected_at_distance_s = at_distance(static_cast<double>(*c.redo_bytes));
      const std::optional<double>& e = c.worst_case->expected_at_distance_s;
      if (e && *e > 0) c.worst_case->recovery_to_expected_at_distance = c.recovery_time_s / *e;
    }
  }
}

// What JudgeClaims needs from the finished report.
ClaimInputs ClaimInputsOf(const VerifyReport& report, const VerifyOptions& options,
                          bool through_fuse, bool peak_follows_rate) {
  ClaimInputs in;
  in.durability = report.plan.durability;
  in.predicted_tps = report.plan.predicted_tps;
  in.predicted_recovery_time_s = report.plan.predicted_recovery_time_s;
  in.expected_peak_recovery_time_s = report.plan.expected_peak_recovery_time_s;
  // A rate for the expected peak only where the peak depends on it
  // (Target::ExpectedPeakFollowsRate).
  if (peak_follows_rate) in.required_tps = report.plan.required_tps;
  in.predicted_loss_window_ms = report.plan.predicted_loss_window_ms;
  in.recovery_target_s = report.plan.recovery_target_s;
  in.measured_tps = report.measured_tps;
  in.judge_tps = !report.throughput_through_simulator && !(options.rate_tps > 0);
  in.judge_recovery_time = !through_fuse;
  in.power_loss = options.power_loss;
  in.worst_case = options.worst_case;
  in.crashes = static_cast<int>(report.crashes.size());
  for (size_t k = 0; k < report.crashes.size(); ++k) {
    const CrashResult& c = report.crashes[k];
    for (const std::string& p : c.integrity_problems) {
      in.integrity_problems.push_back("crash " + std::to_string(k + 1) + ": " + p);
    }
    if (!c.recovery_error.empty()) {
      ++in.failed_recoveries;
      continue;  // no recovery time, no row count
    }
    in.recovery_times_s.push_back(c.recovery_time_s);
    in.recovery_cpu_waits_s.push_back(c.recovery_cpu_wait_s.value_or(0));
    if (c.worst_case && c.worst_case->reached && !c.worst_case->missed_peak) {
      in.peak_recovery_times_s.push_back(c.recovery_time_s);
      in.peak_recovery_cpu_waits_s.push_back(c.recovery_cpu_wait_s.value_or(0));
    }
    in.lost_commits += c.lost_commits;
    in.lost_age_unknown = in.lost_age_unknown || c.lost_age_unknown;
    if (c.oldest_lost_age_ms &&
        (!in.oldest_lost_age_ms || *c.oldest_lost_age_ms > *in.oldest_lost_age_ms)) {
      in.oldest_lost_age_ms = c.oldest_lost_age_ms;
    }
  }
  return in;
}

}  // namespace

Result<VerifyReport> RunVerify(const VerifyOptions& options, const VerifyPlan& plan) {
  WALTUNE_RETURN_IF_ERROR(CheckVerifyOptions(options));
  Progress progress(options.progress);
  VerifyReport report = NewReport(options, plan);

  // The shared counters must outlive the target: its destructor stops the clients through them.
  Result<std::unique_ptr<SharedLoad>> shared = SharedLoad::Create(options.clients);
  if (!shared.ok()) return shared.status();
  Result<std::unique_ptr<Target>> made = verify::MakeTarget(options);
  if (!made.ok()) return made.status();
  std::unique_ptr<Target> target = std::move(made).value();
  progress.Show("setting up " + report.engine, 0, 0);
  WALTUNE_RETURN_IF_ERROR(target->Setup(plan.settings));
  DescribeTarget(options, *target, &report);
  const bool through_fuse = target->ThroughFuse();
  const bool peak_follows_rate = target->ExpectedPeakFollowsRate();
  // Flush latency around the throughput phase (before and after, not during it: during the
  // load the probe would queue behind the engine's own flushes, which the model accounts for).
  // A failed round leaves fewer samples (none: the plan's predictions stand).
  verify::FlushSampler flush(Env::Default(), options.flush_latency_us);
  (void)flush.Sample(target->dir(), 50, 10, 20);
  std::vector<ClientLedger> ledgers(options.clients);
  AckTimeline timeline;

  Result<MeasureResult> m =
      MeasurePhase(target.get(), shared->get(), options, &ledgers, &progress, &timeline);
  if (!m.ok()) return m.status();
  RecordMeasurement(*m, &report);
  (void)flush.Sample(target->dir(), 50, 10, 0);
  FlushMeasurement around;
  if (!flush.empty()) {
    around = flush.Summary();
    report.native_flush_p50_us = around.p50_us;
    report.native_flush_p99_us = around.p99_us;
    report.native_flush_mean_us = around.mean_us;
    report.native_flush_samples = around.samples;
    report.native_flush_after_idle = around.after_idle;
    if (options.flush_latency_us > 0) {
      report.emulated_delay_overshoot_us = around.emulated_delay_overshoot_us;
    }
  }
  report.statement_cpu_us = MeasuredStatementCpuUs(options, plan, &report);
  const std::optional<FlushMeasurement> own = RecordWalSyncs(options, *m, around, &report);
  if (options.repredict && own) {
    report.predicted_from_wal_syncs = true;
    Repredict(options, *own,
              fmt::format(
                  "the WAL syncs the writer made during the load (p50 {:.0f} us over {} "
                  "syncs; {})",
                  own->p50_us, own->samples,
                  flush.empty()
                      ? std::string("no flushes sampled around it")
                      : fmt::format("the flushes sampled around it: p50 {:.0f} us", around.p50_us)),
              &report);
  } else if (options.repredict && !flush.empty()) {
    Repredict(options, around,
              fmt::format("the flush latency measured around the load (p50 {:.0f} us over {} "
                          "samples)",
                          around.p50_us, around.samples),
              &report);
  }

  std::mt19937_64 rng(options.seed);
  std::uniform_real_distribution<double> pick(options.crash_after_min_s, options.crash_after_max_s);
  bool recovered = true;
  int missed_left = kMaxMissedPeaks;
  for (int k = 1, done = 0; done < options.crashes && recovered; ++k) {
    Result<CrashResult> c = CrashOnce(target.get(), shared->get(), pick(rng), &ledgers, &progress,
                                      k, &timeline, options.worst_case ? &options : nullptr);
    if (!c.ok()) return c.status();
    report.crashes.push_back(*c);
    recovered = c->recovery_error.empty();
    const bool missed = c->worst_case && c->worst_case->missed_peak;
    if (missed && missed_left > 0) {
      --missed_left;  // crash again: this one is kept in the report, marked missed_peak
    } else {
      ++done;
    }
  }
  progress.Show("shutting down", 0, 0);
  // After a failed recovery there is no server to shut down; the target cleans up.
  if (recovered) WALTUNE_RETURN_IF_ERROR(target->Shutdown());
  target.reset();  // removes the temp dir
  progress.Done();

  RateWorstCaseCrashes(&report);
  report.verdicts = JudgeClaims(ClaimInputsOf(report, options, through_fuse, peak_follows_rate));
  return report;
}

}  // namespace waltune
