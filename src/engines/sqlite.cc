// SQLite: every SQLite-specific fact and PRAGMA name lives in this file.
//
// Facts used (sqlite.org wal.html, pragma.html#pragma_synchronous):
//  - In WAL mode a commit appends every page it modified as a frame (24-byte header + page);
//    with synchronous=FULL the WAL is synced at every commit; with NORMAL only before each
//    checkpoint, so commits since the last sync may roll back after a power cut or OS crash
//    (never after an application crash), and the database stays consistent; with OFF nothing
//    is synced and an OS crash or power cut can corrupt the database.
//  - Loss window of NORMAL: the WAL is synced only when a checkpoint runs (wal.html "Performance
//    Considerations"; pager.c syncs the WAL in sqlite3WalCheckpoint / walCheckpoint), and the
//    autocheckpoint runs when a commit leaves >= N frames in the WAL. So up to N / (frames per
//    transaction) commits are unsynced; at R tps that is N / (frames x R) s, longer at a lower
//    or bursty rate: after a pause the last commits wait for the next checkpoint or for the
//    OS to write the WAL back (Linux vm.dirty_expire_centisecs, 30 s by default).
//  - wal_autocheckpoint=N runs a PASSIVE checkpoint when a commit leaves the WAL at >= N pages
//    (default 1000). Readers that never pause can starve checkpoints and grow the WAL.
//  - journal_size_limit truncates the WAL file after a checkpoint resets it.
//  - One writer at a time: no group commit; batch work into fewer transactions instead.
//  - Crash recovery rebuilds the WAL index by reading the WAL (wal.c walIndexRecover reads
//    every frame and checks its checksum). *Measured here*: ~0.8 s per GB warm (the CPU part);
//    the page copy moves to the next checkpoint. Cold, the read comes on top. Expected: WAL /
//    (read through the page cache, readahead on: StorageSpec::buffered_read_bytes_per_s, else
//    the sequential read) + WAL / 1.28 GB/s. The bound reads the WAL at the device's sequential
//    rate instead, as when it misses every cache: cold rebuilds here ran 0.54-1.56 GB/s, and
//    the slow end is below what the page-cache read plus the indexing gives (~1.0 GB/s).
//  - The default journal_mode is DELETE (rollback journal): about three flushes per commit
//    (journal, database, journal header/delete) with synchronous=FULL.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "common.h"
#include "param_table.h"
#include "waltune/engine.h"
#include "waltune/units.h"

namespace waltune {
namespace {

using engines::AddEstimate;

constexpr double kSqlitePageBytes = 4096;
constexpr double kFrameHeaderBytes = 24;
// CPU part of the WAL-index rebuild (a read() per frame from the page cache, its checksum, the
// hash insert): the rebuild with the WAL cached. Measured here (scripts/sqlite_wal_rebuild.py,
// SQLite 3.40.1, medians of 11 per size): 1.21, 1.51, 1.27, 1.29 GB/s for WALs of 4.4, 17.8,
// 44.7, 112 MB. An earlier VM of this kind measured 2.5 GB/s: it is CPU speed; `verify
// --calibrate` records the rate of the machine at hand.
constexpr double kWalIndexCpuBytesPerS = 1.28e9;
// Opening the database after a crash, besides the WAL scan: the library's open and schema read,
// 0.3 ms warm, plus two uncached page reads (page 1 with the header and schema, the WAL header)
// at the storage's random read rate. Measured here (scripts/sqlite_open_cost.py, SQLite 3.40.1,
// medians of 21): warm 0.28-0.30 ms, cold 0.55-0.57 ms; the model gives 0.3 + 2 / 6730 reads/s
// (this disk's probe) = 0.60 ms.
constexpr double kOpenCpuS = 0.0003;
constexpr double kOpenPageReads = 2;
constexpr double kRollbackJournalFlushesPerCommit = 3;
constexpr int kDefaultAutocheckpointPages = 1000;

class SqliteAdvisor : public EngineAdvisor {
 public:
  EngineVersion DefaultVersion() const override { return {3, 46, 0}; }

  Status CheckVersion(const EngineVersion& v, std::vector<std::string>* warnings) const override {
    if (v.major != 3) {
      return Status::InvalidArgument(
          "", "SQLite " + v.ToString() + " is not modelled; waltune covers SQLite 3");
    }
    if (v.minor != 0 && v.minor < 7) {
      return Status::InvalidArgument("", "SQLite " + v.ToString() + " predates WAL mode (3.7.0)");
    }
    (void)warnings;
    return Status::Ok();
  }

  // Embedded: no round trips. Per row ~8 us plus the commit bookkeeping. No CPU per flush: the
  // one writer's fdatasync spends its CPU inside the call, whose wall time is the flush
  // latency `probe` measures, and nothing else runs while it waits. *Measured here* (verify, one
  // writer, one-row inserts, 5 s runs): synchronous=FULL costs 47-49 us of CPU per commit
  // against 22-26 us with NORMAL, yet a commit took the sampled fdatasync p50 plus a median
  // 31 us of wall time (eight runs), not plus the 23-25 us of CPU again (docs/wal-model.md).
  CpuCosts Cpu() const override {
    CpuCosts c;
    c.per_txn_us = 20;
    c.per_row_us = 8;
    return c;
  }

  Advice Advise(const Scenario& s) const override;
};

// The cold open beside the WAL scan (kOpenCpuS, kOpenPageReads).
double SqliteOpenSeconds(const StorageSpec& st) {
  return kOpenCpuS + (st.random_read_iops > 0 ? kOpenPageReads / st.random_read_iops : 0);
}

// SQLite reads the WAL with read() (unix VFS, no O_DIRECT): through the page cache.
double SqliteWalReadBytesPerS(const StorageSpec& st) {
  return st.buffered_read_bytes_per_s > 0 ? st.buffered_read_bytes_per_s : st.seq_read_bytes_per_s;
}

// The cold WAL-index rebuild, the read and the indexing one after the other. Expected: the read
// through the page cache (what `probe` and verify measure after evicting a file: on a virtual
// disk the host's cache can serve it). The bound: the read at the device's sequential rate, as
// after a power cut with no cache left anywhere. Measured here (docs/verify.md, SQLite): cold
// rebuilds of the same WAL ran 0.54-1.56 GB/s (scripts/sqlite_wal_rebuild.py, medians of 11 per
// size, and verify --worst-case), where the expected rate is ~1.0 GB/s with this disk's 3.7-5.2
// GB/s page-cache read; one worst-case restart reached 1.004x it at 0.9 of the peak.
double SqliteExpectedScanBytesPerS(const StorageSpec& st) {
  return 1.0 / (1.0 / SqliteWalReadBytesPerS(st) + 1.0 / kWalIndexCpuBytesPerS);
}
// The bound's read: the device's sequential rate, never above the read through the page cache.
double SqliteBoundReadBytesPerS(const StorageSpec& st) {
  const double cached = SqliteWalReadBytesPerS(st);
  return st.seq_read_bytes_per_s > 0 ? std::min(st.seq_read_bytes_per_s, cached) : cached;
}
double SqliteBoundScanBytesPerS(const StorageSpec& st) {
  return 1.0 / (1.0 / SqliteBoundReadBytesPerS(st) + 1.0 / kWalIndexCpuBytesPerS);
}

// Pages one transaction modifies: table leaf pages for its bytes, plus one index page.
double FramesPerTxn(const Workload& w) {
  return std::ceil(1.2 * static_cast<double>(w.txn_write_bytes) / kSqlitePageBytes) + 1;
}

struct SqlitePlan {
  int autocheckpoint_pages = kDefaultAutocheckpointPages;
  double wal_bytes_at_checkpoint = 0;
  double recovery_s = 0;           // the bound (scan_rate)
  double expected_recovery_s = 0;  // the same WAL at expected_scan_rate
  bool target_met = true;
  bool widened = false;  // larger than ~10 s of writes, for throughput (WidenSqliteCheckpoints)
};

// The numbers the steps of SqliteAdvisor::Advise share, in the order the steps fill them.
struct SqliteAnalysis {
  // The inputs (Advise).
  double cpu_us = 0;
  double tps_needed = 0;
  double frames = 0;  // WAL frames per transaction
  double frame_bytes = kSqlitePageBytes + kFrameHeaderBytes;
  double wal_per_txn = 0;
  double frames_per_s = 0;
  double open_s = 0;
  double scan_rate = 0;           // cold WAL-index rebuild, the bound, bytes/s
  double expected_scan_rate = 0;  // the same, the read through the page cache, bytes/s
  // PlanSqliteCheckpoints.
  SqlitePlan plan;
  double checkpoint_interval_s = 0;
  // EstimateSqliteThroughput.
  double hot_pages = 0;
  double pages_per_checkpoint = 0;
  double checkpoint_write_s = 0;
  double txns_per_checkpoint = 0;
  bool sync_off = false;  // synchronous=OFF
  const char* synchronous = "NORMAL";
  double commit_flushes = 0;
  double conf_us = 0;
  double wal_frames_per_txn = 0;
  double unsynced_txns = 0;  // NORMAL: commits since the last checkpoint are unsynced
  double base_us = 0;
  double conf_tps = 0;
  double base_tps = 0;
};

// wal_autocheckpoint: checkpoint about every 10 s of writes (fewer, larger checkpoints write
// each hot page once), never above the recovery target, and for standard (synchronous=NORMAL)
// never more than ~1 s of commits between WAL syncs.
// The largest wal_autocheckpoint the recovery target allows, and never above 65536 pages (keeps
// the WAL index small, ~256 MB of WAL).
double MaxSqliteCheckpointPages(const Scenario& s, const SqliteAnalysis& x) {
  const double target_pages =
      std::max(0.0, (s.recovery_target_s - x.open_s) * x.scan_rate / x.frame_bytes);
  return std::min(65536.0, target_pages);
}

// The plan for a checkpoint every `pages` WAL pages (rounded down to 100 above 1000; at least
// 10, else the target is not met).
SqlitePlan SqlitePlanForPages(const Scenario& s, const SqliteAnalysis& x, double pages) {
  SqlitePlan plan;
  if (pages < 10) {
    plan.target_met = false;
    pages = 10;
  }
  plan.autocheckpoint_pages =
      static_cast<int>(pages >= 1000 ? std::floor(pages / 100) * 100 : std::floor(pages));
  // Worst case: a crash with the WAL just below the threshold plus one transaction.
  plan.wal_bytes_at_checkpoint = plan.autocheckpoint_pages * x.frame_bytes + x.wal_per_txn;
  plan.recovery_s = x.open_s + plan.wal_bytes_at_checkpoint / x.scan_rate;
  plan.expected_recovery_s = x.open_s + plan.wal_bytes_at_checkpoint / x.expected_scan_rate;
  if (plan.recovery_s > s.recovery_target_s) plan.target_met = false;
  return plan;
}

void PlanSqliteCheckpoints(const Scenario& s, SqliteAnalysis* x, Advice* a) {
  double pages = std::max<double>(kDefaultAutocheckpointPages, x->frames_per_s * 10);
  if (s.durability == Durability::kStandard)
    pages = std::min(pages, std::max(10.0, x->frames_per_s));
  pages = std::min(pages, MaxSqliteCheckpointPages(s, *x));
  const SqlitePlan plan = SqlitePlanForPages(s, *x, pages);
  if (!plan.target_met) {
    a->warnings.push_back(
        fmt::format("the recovery target of {:.2f} s is below what opening the "
                    "database and scanning even a tiny WAL takes ({:.2f} s)",
                    s.recovery_target_s, plan.recovery_s));
  }
  const double checkpoint_interval_s = plan.autocheckpoint_pages / std::max(x->frames_per_s, 1e-9);
  x->plan = plan;
  x->checkpoint_interval_s = checkpoint_interval_s;
}

// One writer waits for each of its flushes in turn, so its rate follows the mean flush, which a
// few slow flushes pull above the median: the measured mean where there is one (verify measures
// it; a probe profile or preset gives only p50 and p99), else the median. Unit: us.
double SerialFlushUs(const StorageSpec& st) {
  return st.flush_mean_us > 0 ? st.flush_mean_us : st.flush_p50_us;
}

// One writer: CPU, the commit's flushes, the WAL append, and its share of each checkpoint
// (copying the distinct pages, plus two syncs, WAL and database, unless synchronous=OFF).
// Unit: us per transaction.
double SqlitePerTxnUs(const Scenario& s, const SqliteAnalysis& x, double commit_flushes,
                      bool sync_checkpoint) {
  double us = x.cpu_us + commit_flushes * SerialFlushUs(s.storage) +
              x.wal_per_txn / s.storage.seq_write_bytes_per_s * 1e6;
  us += x.checkpoint_write_s * 1e6 / x.txns_per_checkpoint;
  if (sync_checkpoint) us += 2 * SerialFlushUs(s.storage) / x.txns_per_checkpoint;
  return us;
}

// Throughput of the configuration and of the defaults (rollback journal, synchronous=FULL).
void EstimateSqliteThroughput(const Scenario& s, SqliteAnalysis* x) {
  FpiInputs dirty;
  dirty.hot_pages = engines::HotPages(s.workload, kSqlitePageBytes);
  // Appends keep rewriting the same tail pages; random writes spread over the working set.
  dirty.page_changes_per_s = x->tps_needed * x->frames * s.workload.random_page_fraction;
  dirty.checkpoint_interval_s = x->checkpoint_interval_s;
  x->hot_pages = dirty.hot_pages;
  x->pages_per_checkpoint = PagesImagedPerInterval(dirty);
  x->checkpoint_write_s =
      SortedPageWriteSeconds(x->pages_per_checkpoint, dirty.hot_pages, kSqlitePageBytes,
                             s.storage.seq_write_bytes_per_s, s.storage.random_write_iops);
  x->txns_per_checkpoint = std::max(1.0, x->checkpoint_interval_s * x->tps_needed);
  // Relaxed uses NORMAL too: OFF gains only the checkpoint syncs and can corrupt the file on
  // power loss, so it is used only when the user said they accept that risk.
  x->sync_off = s.durability == Durability::kRelaxed && s.accepts_corruption_risk;
  x->synchronous = s.durability == Durability::kStrict ? "FULL" : x->sync_off ? "OFF" : "NORMAL";
  x->commit_flushes = s.durability == Durability::kStrict ? 1 : 0;
  x->conf_us = SqlitePerTxnUs(s, *x, x->commit_flushes, !x->sync_off);
  x->wal_frames_per_txn = x->wal_per_txn / x->frame_bytes;
  x->unsynced_txns = x->plan.autocheckpoint_pages / x->wal_frames_per_txn;
  // Defaults: every commit writes its pages to the journal and in place (random writes of
  // `frames` pages each).
  x->base_us =
      x->cpu_us + kRollbackJournalFlushesPerCommit * SerialFlushUs(s.storage) +
      2 *
          SortedPageWriteSeconds(x->frames, dirty.hot_pages, kSqlitePageBytes,
                                 s.storage.seq_write_bytes_per_s, s.storage.random_write_iops) *
          1e6;
  x->conf_tps = 1e6 / x->conf_us;
  x->base_tps = 1e6 / x->base_us;
}

// journal_mode, synchronous, wal_autocheckpoint, journal_size_limit, and the warnings about
// synchronous=OFF, several writers and replication.
void AddSqliteSettings(const Scenario& s, const SqliteAnalysis& x, Advice* a) {
  const char* synchronous = x.synchronous;
  a->wal_config.push_back(Setting::Text("journal_mode", "WAL",
                                        "one WAL append per commit instead of a rollback journal "
                                        "and in-place writes; readers do not block the writer"));
  a->wal_config.push_back(Setting::Text(
      "synchronous", synchronous,
      s.durability == Durability::kStrict
          ? "strict: the WAL is synced at every commit, so no acknowledged commit is lost on "
            "power loss"
      : s.durability == Durability::kStandard
          ? "standard: the WAL is synced only at checkpoints; an application crash loses "
            "nothing, a power cut or OS crash may roll back commits since the last sync, and "
            "the database stays consistent"
      : x.sync_off
          ? "relaxed, corruption risk accepted: nothing is synced; an OS crash or power cut may "
            "lose recent commits and can corrupt the database"
          : "relaxed: the WAL is synced only at checkpoints, which come less often than for "
            "standard; a power cut may roll back recent commits but the database stays "
            "consistent (OFF would risk corruption for little gain; waltune uses it only when "
            "the request accepts corruption risk)"));
  a->checkpoint_settings.push_back(Setting::Number(
      "wal_autocheckpoint", x.plan.autocheckpoint_pages,
      s.durability == Durability::kStandard
          ? fmt::format("checkpoint (and sync the WAL) about every {:.1f} s of writes, which "
                        "bounds the NORMAL loss window",
                        x.checkpoint_interval_s)
          : fmt::format("checkpoint about every {:.1f} s of writes: fewer, larger checkpoints "
                        "write each hot page once{}",
                        x.checkpoint_interval_s,
                        x.plan.widened ? " (more than the usual ~10 s: smaller checkpoints "
                                         "would cost the required rate more, and the recovery "
                                         "target allows these)"
                                       : "")));
  const uint64_t size_limit =
      FloorToNiceBytes(std::max(4.0 * kMiB, 1.5 * x.plan.wal_bytes_at_checkpoint), kMiB);
  a->wal_config.push_back(Setting::Number(
      "journal_size_limit", static_cast<double>(size_limit),
      "truncate the WAL file back to this size after a checkpoint resets it (bytes)"));
  if (x.sync_off) {
    a->warnings.push_back(
        "synchronous=OFF: an operating-system crash or power cut can corrupt "
        "the database, not only lose recent commits (sqlite.org pragma "
        "synchronous). Use NORMAL if the file must always open cleanly");
  }
  if (s.workload.concurrency > 1) {
    a->warnings.push_back(fmt::format(
        "SQLite has one writer at a time: {} concurrent writers queue behind each other "
        "(set a busy_timeout; its sleeps cost throughput) and, when some connection is always "
        "active, PASSIVE checkpoints cannot reset the WAL, so it grows past wal_autocheckpoint "
        "(verify measured ~290 MB with 4 writers) and recovery scans more. Prefer one writer "
        "thread, or run PRAGMA wal_checkpoint(RESTART) periodically",
        s.workload.concurrency));
  }
  if (s.replication != Replication::kNone) {
    a->out_of_scope.push_back(
        "SQLite has no built-in replication; replicating it (e.g. with an "
        "external WAL shipper) is out of scope");
  }
}

// The recovery rationale, group commit (none: one writer) and the loss window.
void AddSqliteRecoveryAndLoss(const Scenario& s, const SqliteAnalysis& x, Advice* a) {
  a->estimated_recovery_time_s = std::round(x.plan.recovery_s * 100) / 100;
  // Two readings only where the read through the page cache is faster than the device's.
  const std::string times =
      s.calibration.replay_bytes_per_s
          ? fmt::format("{:.3f} s at the calibrated restart rate (~{:.2f} GB/s)", x.plan.recovery_s,
                        x.scan_rate / 1e9)
      : x.expected_scan_rate > x.scan_rate
          ? fmt::format(
                "{:.3f} s in the worst case (the WAL read from the device, then "
                "indexed: ~{:.2f} GB/s), {:.3f} s expected (the read through the page "
                "cache: ~{:.2f} GB/s)",
                x.plan.recovery_s, x.scan_rate / 1e9, x.plan.expected_recovery_s,
                x.expected_scan_rate / 1e9)
          : fmt::format("{:.3f} s (the WAL read, then indexed: ~{:.2f} GB/s)", x.plan.recovery_s,
                        x.scan_rate / 1e9);
  a->checkpoint_rationale = fmt::format(
      "SQLite replays nothing at start-up: it rebuilds the WAL index by scanning at most "
      "{} of WAL ({} pages plus one transaction): {}, against a target of {:.0f} s; the page "
      "copy moves to the next checkpoint. The threshold aims for a checkpoint about every {:.1f} "
      "s at {}. Checkpoints are PASSIVE: readers that never pause can starve them, so run "
      "`PRAGMA wal_checkpoint(TRUNCATE)` from a maintenance job if the WAL keeps growing.",
      FormatHumanBytes(x.plan.wal_bytes_at_checkpoint), x.plan.autocheckpoint_pages, times,
      s.recovery_target_s, x.checkpoint_interval_s, FormatTps(x.tps_needed));

  a->group_commit_enabled = false;
  a->group_commit_gain = "none: SQLite has a single writer";
  a->group_commit_rationale =
      "SQLite serialises writers, so commits cannot share a flush. To get the effect of group "
      "commit, batch several logical writes into one BEGIN ... COMMIT in the application (one "
      "flush per batch), and keep one writer thread feeding it.";

  if (s.durability == Durability::kStrict) {
    a->loss_window_ms = 0;
    a->loss_window = "none: every acknowledged commit is synced";
  } else if (!x.sync_off) {
    // NORMAL: bounded by the autocheckpoint interval at the stated rate.
    a->loss_window_ms = std::round(x.checkpoint_interval_s * 1000);
    a->loss_window = fmt::format(
        "on a power cut or OS crash, the commits since the last checkpoint (the only time "
        "NORMAL syncs the WAL): up to wal_autocheckpoint {} pages / {:.3g} pages per transaction "
        "= {:.0f} transactions, i.e. {:.1f} s at the stated {}. At a lower or bursty rate the "
        "same transactions span longer, and after writes pause the last commits stay unsynced "
        "until the next checkpoint or until the OS writes the WAL back (Linux: ~30 s, "
        "vm.dirty_expire_centisecs). None on an application crash; the database stays "
        "consistent",
        x.plan.autocheckpoint_pages, x.wal_frames_per_txn, x.unsynced_txns, x.checkpoint_interval_s,
        FormatTps(x.tps_needed));
    AddEstimate(a, "unsynced_txns_max", x.unsynced_txns, "txns",
                "wal_autocheckpoint pages / WAL pages per transaction: commits a power cut may "
                "roll back with synchronous=NORMAL");
  } else {
    a->loss_window_ms = 30000;
    a->loss_window =
        "whatever the OS had not written back (Linux: up to ~30 s, "
        "vm.dirty_expire_centisecs); an OS crash or power cut may corrupt the file";
  }
}

// Throughput and commit latency against the defaults, and the warnings when one writer is
// short of the required rate.
// When the checkpoints sized by time (~10 s of writes) leave the writer short of the required
// rate, larger ones may not: each checkpoint copies the distinct pages changed since the last
// (once per hot page however often it changed) and pays two syncs, so fewer, larger
// checkpoints cost less per transaction, and on a disk that seeks a large one sweeps the file
// instead. Tries doubling sizes up to the recovery target's limit and keeps the fastest. Not for
// standard: there the checkpoint interval is the loss window (synchronous=NORMAL syncs the WAL
// only at checkpoints). Without this, a lower required rate got smaller checkpoints and could
// be judged unreachable where a higher one was not.
void WidenSqliteCheckpoints(const Scenario& s, SqliteAnalysis* x) {
  if (s.durability == Durability::kStandard || x->conf_tps >= x->tps_needed) return;
  const double max_pages = MaxSqliteCheckpointPages(s, *x);
  SqliteAnalysis best = *x;
  for (double pages = 2.0 * x->plan.autocheckpoint_pages;; pages *= 2) {
    SqliteAnalysis trial = *x;
    trial.plan = SqlitePlanForPages(s, trial, std::min(pages, max_pages));
    if (!trial.plan.target_met || trial.plan.autocheckpoint_pages <= x->plan.autocheckpoint_pages)
      break;
    trial.plan.widened = true;
    trial.checkpoint_interval_s =
        trial.plan.autocheckpoint_pages / std::max(trial.frames_per_s, 1e-9);
    EstimateSqliteThroughput(s, &trial);
    if (trial.conf_tps > 1.01 * best.conf_tps) best = trial;
    if (pages >= max_pages || best.conf_tps >= best.tps_needed) break;
  }
  *x = best;
}

void CompareSqliteThroughput(const Scenario& s, const SqliteAnalysis& x, Advice* a) {
  a->baseline_tps = std::round(x.base_tps);
  a->with_config_tps = std::round(x.conf_tps);
  a->baseline_commit_latency_us = x.base_us;
  a->with_config_commit_latency_us = x.conf_us;
  a->improvement = fmt::format(
      "{} (WAL mode: {} flush(es) per commit instead of ~{:.0f} with the rollback journal)",
      engines::Ratio(x.conf_tps / x.base_tps), x.commit_flushes, kRollbackJournalFlushesPerCommit);
  a->latency_impact =
      fmt::format("{} per commit ({:.3f} ms vs {:.3f} ms with the defaults)",
                  engines::LatencyDelta(x.base_us, x.conf_us), x.conf_us / 1000, x.base_us / 1000);
  if (x.conf_tps < x.tps_needed) {
    a->warnings.push_back(
        fmt::format("the required {} exceeds the predicted {} for one writer{}",
                    FormatTps(x.tps_needed), FormatTps(x.conf_tps),
                    s.durability == Durability::kStrict
                        ? ": each commit waits for a flush; batch several writes per transaction"
                        : ""));
    if (s.durability == Durability::kStrict) {
      // Standard's wal_autocheckpoint aims at ~1 s of writes (never under 10 pages).
      const double standard_interval_s = std::max(10.0, x.frames_per_s) / x.frames_per_s;
      a->warnings.push_back(engines::StrictRateWarning(
          "one writer syncing the WAL at every commit (synchronous=FULL)", x.conf_tps, x.tps_needed,
          "synchronous=NORMAL",
          fmt::format("commits since the last checkpoint, ~{:.1f} s at "
                      "this rate, on a power cut or OS crash",
                      standard_interval_s),
          1e6 / SqlitePerTxnUs(s, x, 0, true)));
    }
  }
}

// Every number the advice rests on, with its formula and inputs.
void AddSqliteEstimates(const Scenario& s, const SqliteAnalysis& x, Advice* a) {
  engines::AddFlushLatencyEstimates(a, s);
  AddEstimate(a, "required_tps", x.tps_needed, "tps", "constraints.write_rate");
  AddEstimate(a, "wal_frames_per_txn", x.frames, "pages",
              "ceil(1.2 x txn_write_bytes / 4096) table pages + 1 index page");
  AddEstimate(a, "wal_bytes_per_txn", x.wal_per_txn, "bytes", "frames x (4096 + 24)");
  AddEstimate(a, "fpi_share", 1, "ratio", "SQLite's WAL holds whole pages only");
  AddEstimate(a, "wal_rate_bytes_per_s", x.wal_per_txn * x.tps_needed, "bytes/s",
              "wal_bytes_per_txn x required_tps");
  AddEstimate(a, "checkpoint_interval_s", x.checkpoint_interval_s, "s",
              "wal_autocheckpoint pages / WAL frames per second");
  AddEstimate(a, "pages_per_checkpoint", x.pages_per_checkpoint, "pages",
              "distinct hot pages modified between checkpoints");
  AddEstimate(a, "wal_to_replay_bytes", x.plan.wal_bytes_at_checkpoint, "bytes",
              "WAL index rebuilt at start-up: autocheckpoint pages + one transaction");
  const bool calibrated = s.calibration.replay_bytes_per_s.has_value();
  const double bound_read = SqliteBoundReadBytesPerS(s.storage);
  AddEstimate(a, "replay_rate_bytes_per_s", x.scan_rate, "bytes/s",
              calibrated
                  ? "calibrated"
                  : fmt::format("cold WAL-index rebuild in the worst case, the read and the "
                                "indexing one after the other: 1 / (1 / {:.0f} MB/s {} + 1 / "
                                "{:.0f} MB/s indexing, measured here)",
                                bound_read / 1e6,
                                bound_read < SqliteWalReadBytesPerS(s.storage)
                                    ? "the device's sequential read (the WAL in no cache)"
                                    : "sequential read",
                                kWalIndexCpuBytesPerS / 1e6));
  AddEstimate(a, "expected_replay_rate_bytes_per_s", x.expected_scan_rate, "bytes/s",
              calibrated
                  ? "calibrated"
                  : fmt::format("the same rebuild with the read through the page cache: 1 / "
                                "(1 / {:.0f} MB/s {} + 1 / {:.0f} MB/s indexing)",
                                SqliteWalReadBytesPerS(s.storage) / 1e6,
                                s.storage.buffered_read_bytes_per_s > 0
                                    ? "read through the page cache (measured)"
                                    : "sequential read (no read through the page cache measured)",
                                kWalIndexCpuBytesPerS / 1e6));
  AddEstimate(a, "open_time_s", x.open_s, "s",
              s.calibration.restart_overhead_s
                  ? "calibrated restart_overhead_s"
                  : fmt::format("open and schema read {:.1f} ms (measured here) + {:.0f} "
                                "uncached page reads at {:.0f} random reads/s",
                                kOpenCpuS * 1e3, kOpenPageReads, s.storage.random_read_iops));
  AddEstimate(a, "estimated_recovery_time_s", x.plan.recovery_s, "s",
              "bound: open_time_s + wal_to_replay_bytes / replay_rate_bytes_per_s");
  AddEstimate(a, "expected_peak_recovery_time_s", x.plan.expected_recovery_s, "s",
              "open_time_s + wal_to_replay_bytes / expected_replay_rate_bytes_per_s: the crash "
              "at the autocheckpoint peak, whatever the rate");
  AddEstimate(a, "recovery_target_s", s.recovery_target_s, "s", "constraints.recovery_time_target");
  AddEstimate(a, "cpu_ceiling_tps", 1e6 / x.cpu_us, "tps", "one writer: 1e6 / txn_cpu_us");
  if (x.commit_flushes > 0) {
    AddEstimate(a, "flush_ceiling_tps", 1e6 / SerialFlushUs(s.storage), "tps",
                s.storage.flush_mean_us > 0
                    ? "one writer / measured mean flush latency: each commit waits for its own "
                      "flush"
                    : "one writer / flush latency (p50; no mean measured): each commit waits "
                      "for its own flush");
  }
  AddEstimate(a, "bandwidth_ceiling_tps", s.storage.seq_write_bytes_per_s / x.wal_per_txn, "tps",
              "sequential write bandwidth / WAL bytes per transaction");
  AddEstimate(a, "data_loss_window_ms", a->loss_window_ms, "ms", a->loss_window);
}

std::string PragmaLine(const Setting& st) {
  return "PRAGMA " + st.name + " = " + st.ConfigText() + ";\n";
}

Advice SqliteAdvisor::Advise(const Scenario& s) const {
  Advice a = engines::StartAdvice(s);
  a.config_target =
      "PRAGMA statements: journal_mode once (stored in the database file), the others on every "
      "connection that writes";
  SqliteAnalysis x;
  const engines::TxnCpu cpu = engines::ResolveTxnCpu(s, Cpu(), &a);
  x.cpu_us = cpu.txn_us;
  x.tps_needed = s.workload.write_rate_tps;
  x.frames = FramesPerTxn(s.workload);
  x.wal_per_txn =
      s.calibration.wal_bytes_per_txn ? *s.calibration.wal_bytes_per_txn : x.frames * x.frame_bytes;
  x.frames_per_s = x.tps_needed * x.wal_per_txn / x.frame_bytes;
  x.open_s = s.calibration.restart_overhead_s ? *s.calibration.restart_overhead_s
                                              : SqliteOpenSeconds(s.storage);
  // Cold rebuild: read the WAL, then index it. A calibration's measured restart rate stands for
  // both.
  x.scan_rate = SqliteBoundScanBytesPerS(s.storage);
  x.expected_scan_rate = SqliteExpectedScanBytesPerS(s.storage);
  if (s.calibration.replay_bytes_per_s) {
    x.scan_rate = *s.calibration.replay_bytes_per_s;
    x.expected_scan_rate = *s.calibration.replay_bytes_per_s;
  }
  PlanSqliteCheckpoints(s, &x, &a);
  EstimateSqliteThroughput(s, &x);
  WidenSqliteCheckpoints(s, &x);
  AddSqliteSettings(s, x, &a);
  AddSqliteRecoveryAndLoss(s, x, &a);
  CompareSqliteThroughput(s, x, &a);
  AddSqliteEstimates(s, x, &a);
  a.confidence = engines::Confidence(s, x.plan.target_met, 0.0);
  // "SQLite 3" without a minor version: checked against 3.7.0, the first with WAL mode (what is
  // valid there is valid in every later 3.x).
  engines::FinalizeSettings(&a, std::max(s.version, EngineVersion{3, 7, 0}));
  a.config_snippet = engines::ConfigSnippet(
      a, fmt::format("SQLite WAL settings ({})", DurabilityName(s.durability)), "--", "",
      {&a.wal_config, &a.checkpoint_settings}, PragmaLine);
  return a;
}

}  // namespace

const EngineAdvisor& SqliteAdvisorInstance() {
  static const SqliteAdvisor advisor;
  return advisor;
}

}  // namespace waltune
