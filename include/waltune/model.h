// The quantitative WAL model: pure functions, no I/O, no wall clock.
// Equations and their sources: docs/wal-model.md.
#ifndef WALTUNE_MODEL_H_
#define WALTUNE_MODEL_H_

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace waltune {

// ---------------------------------------------------------------------------------------------
// Group commit: a discrete-event simulation on virtual time.

// What a flush costs beyond a back-to-back one when the device sat idle before it: `extra_us`
// after `idle_us` of idleness (measured: the flush's median after that gap minus the median
// back to back). Unit: us.
struct FlushIdleExtra {
  double idle_us = 0;
  double extra_us = 0;
};

// The extra latency of a flush issued `idle_us` after the device's previous flush ended: linear
// between the points (sorted by idle_us; from 0 at idle 0) and the last point's extra past it.
// Empty points: 0. Negative idle counts as 0. Unit: us.
double FlushIdleExtraUs(const std::vector<FlushIdleExtra>& points, double idle_us);
//
// N clients loop: spend txn_cpu_us of CPU (on cpu_cores cores), append a commit record, wait
// until a flush covers it. One flush runs at a time; when it ends, a waiting committer becomes
// the leader and flushes every record appended so far (leader/follower batching, as in
// PostgreSQL's XLogFlush and InnoDB's log_write_up_to). An optional leader delay (PostgreSQL
// commit_delay, MySQL binlog_group_commit_sync_delay) lets more followers join first.
struct GroupCommitParams {
  int clients = 1;
  int cpu_cores = 8;
  // Per-transaction CPU time (parse, execute, WAL insert, client round trips). Unit: us.
  double txn_cpu_us = 200;
  // Client round trips per transaction and the CPU each costs when it wakes a process on an idle
  // core (idle exit, cross-core wake-up); charged for every statement but the committing one
  // when a transaction starts on an idle core, so a lightly loaded machine pays it and a
  // saturated one does not. Unit: us.
  int statements = 1;
  double idle_wake_cpu_us = 0;
  // When a flush ends with commits still waiting, the next leader is another client asleep on
  // the flush lock: the next flush starts this much later (its wake-up). Unit: us. 0: at once.
  double handoff_us = 0;
  // CPU of one group flush: the leader's write and sync system calls and its wake-up of the
  // followers it covered, taken from the cores (it delays the clients' CPU, not the flush).
  // Unit: us.
  double flush_cpu_us = 0;
  // Contended rows: each transaction updates one of `hot_rows` rows (uniform; 0 = no row
  // conflicts) after `lock_at_cpu_fraction` of its CPU phase; a client that finds the row
  // locked waits for the holder. The holder releases it at its commit's append (InnoDB releases
  // record locks before the redo flush) or, with `locks_held_through_flush`, when its flush
  // completes (PostgreSQL releases locks after the commit record is flushed).
  int hot_rows = 0;
  double lock_at_cpu_fraction = 0.5;
  bool locks_held_through_flush = false;
  // Flush latency distribution (lognormal through p50 and p99). Unit: us.
  double flush_p50_us = 100;
  double flush_p99_us = 200;
  // Measured mean of the flush samples, 0: unknown. When given, the lognormal's sigma is at
  // most sqrt(2 ln(mean / p50)), so that its mean (p50 x e^(sigma^2 / 2)) does not exceed it:
  // throughput depends on the mean flush time, which a p99 from few samples overstates.
  // Unit: us.
  double flush_mean_us = 0;
  // Flushes each group needs (2 for MySQL with binlog and sync_binlog=1: redo prepare + binlog).
  int flushes_per_group = 1;
  // The flush after an idle device (FlushIdleExtraUs): a group's first flush pays the extra for
  // the time since the previous group's flushes ended, plus the emulated delay slept before the
  // real flush call. The flush distribution above is that of back-to-back flushes. Empty: no
  // extra.
  std::vector<FlushIdleExtra> flush_idle_extra;
  // The part of flush_p50_us / flush_p99_us that is a sleep before each real flush call
  // (`verify --flush-latency-us`): the device is idle during it. Unit: us.
  double emulated_delay_us = 0;
  // What that sleep takes beyond its nominal length (timer slack, the wake-up), added to each
  // flush that has an emulated delay. Unit: us.
  double emulated_delay_overshoot_us = 0;
  // While a real flush is in flight (the emulated sleep excluded), the host takes this share of
  // every core from the guest: a virtual machine's device emulation runs on the same host CPUs as
  // its cores. Charged when the flush starts, share x its real duration on each core, as the
  // flush CPU above. Unit: fraction 0-1. 0: none (bare metal).
  double flush_core_stall_share = 0;
  // The completion of a flush — the leader's return from the sync call, its release of the
  // flush lock and its wake-ups of the followers it covered (follower_wake_us each, one after
  // another) — runs on a core. With completion_waits_for_core it queues FIFO behind the
  // clients' CPU already queued, and the followers and the next leader go on when it ends; a
  // saturated machine thus lets the next group grow while the leader waits for a core. Without,
  // the completion is instant and the leader is scheduled ahead of runnable clients.
  bool completion_waits_for_core = false;
  double follower_wake_us = 0;  // Unit: us per follower.
  // Leader sleeps this long before flushing. Unit: us. Default: 0 (no delay).
  double leader_delay_us = 0;
  // Delay only when at least this many other clients are active (PostgreSQL commit_siblings).
  // Counted when the leader takes the flush, as PostgreSQL's MinimumActiveBackends does: the
  // other clients waiting for a flush, plus those in their CPU phase that already hold a
  // transaction id, i.e. that are past `active_from_cpu_fraction` of it (PostgreSQL assigns the
  // id at the first write and clears it right after the commit's flush).
  int delay_min_siblings = 0;
  // Fraction of its CPU phase after which a client counts as active; a client still queued for a
  // core has not started its transaction and does not count. Unit: fraction 0-1. Default: 0.
  double active_from_cpu_fraction = 0;
  // Stop delaying as soon as this many commits wait (MySQL ..._no_delay_count). 0 = never.
  int delay_until_batch = 0;
  // Commits to simulate after warm-up; more gives a steadier estimate.
  int commits = 20000;
  uint64_t seed = 42;
};

struct GroupCommitResult {
  double tps = 0;
  double mean_batch = 0;       // commits per flush
  double mean_latency_us = 0;  // append -> acknowledged
  double p99_latency_us = 0;
  double flushes_per_s = 0;
};

// Deterministic for equal params (own RNG and distributions, no std:: distribution objects).
GroupCommitResult SimulateGroupCommit(const GroupCommitParams& params);

// The sigma of a lognormal with the given median and mean: sqrt(2 ln(mean / median)), 0 when
// mean <= median.
double LognormalSigmaForMean(double median, double mean);

// ---------------------------------------------------------------------------------------------
// Commit throughput with its ceilings, for one durability mode.
struct ThroughputInputs {
  GroupCommitParams commit;      // clients, cores, CPU, flush latency, delays
  bool waits_for_flush = true;   // false for asynchronous commit (relaxed/standard-async)
  double wal_bytes_per_txn = 0;  // Unit: bytes
  double seq_write_bytes_per_s = 0;
};

// The ceiling that binds a throughput estimate.
enum class LimitingFactor { kCpu, kFlush, kBandwidth, kPageWrites };
const char* LimitingFactorName(LimitingFactor f);  // "cpu", "flush", "bandwidth", "page writes"

struct ThroughputEstimate {
  double tps = 0;
  // Each ceiling on its own, so the output can show which one binds. Unit: tps.
  double cpu_ceiling_tps = 0;        // cpu_cores * 1e6 / txn_cpu_us, or clients * 1e6 / txn_cpu_us
  double flush_ceiling_tps = 0;      // clients / flush latency (every client waits one flush)
  double bandwidth_ceiling_tps = 0;  // seq_write_bytes_per_s / wal_bytes_per_txn
  double commit_latency_us = 0;      // mean, from acknowledgement point of view
  double commit_latency_p99_us = 0;
  double mean_batch = 1;
  LimitingFactor limited_by = LimitingFactor::kCpu;
};

ThroughputEstimate EstimateThroughput(const ThroughputInputs& in);

// ---------------------------------------------------------------------------------------------
// Full-page images. After a checkpoint the first change to each page logs the whole page, so
// over an interval of T seconds the pages imaged are P * (1 - exp(-r*T/P)), where P is the number
// of hot pages and r page changes per second.
struct FpiInputs {
  double hot_pages = 0;
  double page_changes_per_s = 0;
  double checkpoint_interval_s = 0;
  double fpi_bytes = 0;  // bytes one image adds to the WAL (after hole removal / compression)
};
// Pages that receive an image during one interval.
double PagesImagedPerInterval(const FpiInputs& in);
// Average image bytes per transaction over the interval, given the commit rate (tps > 0).
double FpiBytesPerTxn(const FpiInputs& in, double tps);

// Time to write `dirty_pages` of a region of `hot_pages` in sorted order (checkpoints and the
// page cleaner sort their writes). Each page either costs a random write (1 / iops) or the
// writer sweeps the whole region at sequential bandwidth, whichever is faster:
//   min(dirty / iops, hot * page / seq).
// Monotone in dirty_pages: writing more pages never takes less time. Unit: s.
double SortedPageWriteSeconds(double dirty_pages, double hot_pages, double page_bytes,
                              double seq_write_bytes_per_s, double random_write_iops);

// Upper bound on the distinct pages `page_changes` changes can touch in a set of `hot_pages`:
// min(hot_pages, page_changes). (P (1 - exp(-n/P)) is the expectation for uniform changes.)
double DistinctPagesBound(double hot_pages, double page_changes);

// Share of the changes to a uniformly accessed working set of `working_set_bytes` whose page is
// not in a page cache of `cache_bytes` once the cache is full: 1 - cache / working set, and 0
// when the working set fits (or either size is unknown, 0). In [0, 1).
double CacheMissFraction(double cache_bytes, double working_set_bytes);

// A whole cold restart as a line in the redo it replayed, fitted to restarts measured on one
// host: seconds = fixed_s + bytes * s_per_byte. Least squares over the (bytes, seconds) pairs,
// then the fixed part raised by the restarts' spread about that line: the larger of the highest
// residual (no measured restart lies above the line) and twice the residuals' standard
// deviation, sqrt(sum r^2 / (n - 2)) (were the spread normal and that deviation exact, a further
// restart of the same host would land above the line about once in 44; estimated from a few
// restarts the deviation can come out low, so the bound keeps the model's own terms beside the
// line, RecoveryForAge in innodb.cc). The estimate it feeds is a worst case: a line
// through only two restarts has no spread to go by, and one was exceeded 1.19x by a third
// (docs/verify.md, session 26), so `fitted` needs kMinRestartLineWindows restarts whose bytes
// span kMinRestartLineSpread or more, and a slope above zero; otherwise the fields stay 0.
// `fixed_s` is at least 0.
inline constexpr int kMinRestartLineWindows = 3;
inline constexpr double kMinRestartLineSpread = 1.5;
inline constexpr double kRestartLineSpreadSigmas = 2;
struct RestartLine {
  bool fitted = false;
  double fixed_s = 0;                // the line's fixed part, raised by the spread
  double s_per_byte = 0;             // its slope. Unit: s per byte
  double least_squares_fixed_s = 0;  // before the raise
  double highest_residual_s = 0;     // the largest restart minus the least-squares line
  double residual_sd_s = 0;          // sqrt(sum r^2 / (n - 2))
};
RestartLine FitRestartLine(const std::vector<std::pair<double, double>>& bytes_and_seconds);

// ---------------------------------------------------------------------------------------------
// Crash recovery from a cold cache (after a power cut nothing is cached).
//
// A replay window of `window_bytes` holds plain records and page images in unknown shares.
// Plain records replay at `record_bytes_per_s`, images at `image_bytes_per_s` per byte of WAL
// (usually faster: an image restores a page without reading it). With at most
// `max_record_bytes` of plain records (what the workload writes in the longest possible
// window) and at most `max_image_bytes` of images, the slowest mix fills the window with the
// slower kind first and the rest with the other:
//   records slower: records = min(window, max_record_bytes), images = window - records;
//   images slower (a calibrated record rate above the image rate, or images that compress
//   well): images = min(window, max_image_bytes), records = window - images;
//   seconds = records / record_rate + images / image_rate.
// REQUIRES: window_bytes <= max_record_bytes + max_image_bytes (the window cannot hold more).
struct ReplayBound {
  double record_bytes = 0;
  double image_bytes = 0;
  double seconds = 0;
  // True when the whole window was taken as plain records (the slower rate alone).
  bool all_records = false;
  // True when images were the slower kind and filled the window first.
  bool images_first = false;
};
ReplayBound BoundReplayOverImageShare(double window_bytes, double max_record_bytes,
                                      double max_image_bytes, double record_bytes_per_s,
                                      double image_bytes_per_s);

// The terms of a cold restart, summed:
//   scan_s      = log_bytes / seq_read_bytes_per_s   (reading the WAL / redo back)
// and, as given, apply_s (the CPU time of applying the records) and page_read_s (reading the
// data pages the records apply to that are not restored from an image). The caller decides
// what page_read_s counts: InnoDB's bound takes every read (pages / random 16 KiB reads per
// second), its expected peak only what a batch's apply does not overlap.
struct ColdRecoveryInputs {
  double log_bytes = 0;
  double seq_read_bytes_per_s = 0;
  double apply_s = 0;
  double page_read_s = 0;
};
struct ColdRecoveryTerms {
  double scan_s = 0;
  double apply_s = 0;
  double page_read_s = 0;
  double total_s = 0;  // scan_s + apply_s + page_read_s
};
ColdRecoveryTerms ColdRecovery(const ColdRecoveryInputs& in);

// Shortest cycle (seconds of writes between two checkpoints of the same page) at which a
// background writer flushing `flush_pages_per_s` keeps up with the distinct pages dirtied:
// the smallest T with P (1 - exp(-r T / P)) <= F T. With F >= r that is ~0 (every change can
// be written at once); otherwise the root of the equation. `max_s` is returned when even
// max_s is too short. Unit: s.
double CleanerCycleSeconds(double hot_pages, double page_changes_per_s, double flush_pages_per_s,
                           double max_s);

// ---------------------------------------------------------------------------------------------
// Solving helpers.

// Largest x in [lo, hi] with ok(x), assuming ok is true up to some point and false after it.
// Returns lo when even lo fails (the caller warns). `relative_tolerance` bounds the search.
double LargestSatisfying(double lo, double hi, const std::function<bool(double)>& ok,
                         double relative_tolerance = 1e-4);

// Smallest x in [lo, hi] with ok(x), assuming ok is false up to some point and true after it.
// Returns hi when even hi fails (the caller checks). Always returns a point where ok holds if
// any does: the search keeps the upper end on the satisfying side.
double SmallestSatisfying(double lo, double hi, const std::function<bool(double)>& ok,
                          double relative_tolerance = 1e-4);

// Rounds down to a "nice" configuration value: a multiple of the largest power-of-two multiple
// of `unit` that is at most bytes/8 (so at most 12.5% is lost), never below `unit`.
// Monotone: more bytes never give a smaller result.
uint64_t FloorToNiceBytes(double bytes, uint64_t unit);
// Rounds down to a nice duration: whole minutes from 2 min, 30 s steps below. Never below 30 s.
double FloorToNiceSeconds(double seconds);

}  // namespace waltune

#endif  // WALTUNE_MODEL_H_
