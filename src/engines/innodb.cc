// MySQL/InnoDB and MariaDB: every InnoDB-specific fact and parameter name lives in this file.
//
// Facts used:
//  - Crash recovery applies the redo between the last checkpoint LSN and the end of the log:
//    the checkpoint age. InnoDB keeps it below a fraction of the redo capacity C:
//      MySQL >= 8.0.30 (innodb_redo_log_capacity, 32 files): adaptive flushing near 78%,
//        sync flushing near 83%, aggressive checkpointing near 86% (log0chkp.cc,
//        log0files_capacity.cc) -> worst-case age ~0.86 C.
//      MySQL 5.7 / 8.0 < 8.0.30 (log_calc_max_ages): ~71/76/79/81% of
//        innodb_log_file_size x innodb_log_files_in_group -> worst-case age ~0.81 C.
//      MariaDB >= 10.5 (one ib_logfile0; log_t::set_capacity keeps 10% + 10% margins):
//        max_checkpoint_age ~0.81 x innodb_log_file_size.
//  - innodb_flush_log_at_trx_commit: 1 flushes at every commit; 2 writes at commit and flushes
//    once per innodb_flush_log_at_timeout (default 1 s), so a mysqld crash loses nothing but an
//    OS crash or power cut loses up to ~1 s; 0 can lose ~1 s even on a mysqld crash. The
//    once-per-timeout flush "is not 100% guaranteed ... sometimes less frequently due to
//    scheduling issues" (innodb-parameters.html#sysvar_innodb_flush_log_at_trx_commit;
//    srv_sync_log_buffer_in_background in srv0srv.cc runs from the master thread's loop).
//  - Binary logging: --log-bin[=base_name]; `log_bin = ON` names the binlog files "ON.000001".
//    MySQL 5.7 refuses to start with binary logging and no server_id; MySQL 8.0+ and MariaDB
//    default server_id to 1, and every server of a replication topology needs its own.
//  - With the binary log and sync_binlog=1 a commit group needs two flushes (redo prepare,
//    binlog). MySQL groups binlog flushes with binlog_group_commit_sync_delay (us) and
//    binlog_group_commit_sync_no_delay_count; MariaDB with binlog_commit_wait_usec and
//    binlog_commit_wait_count. innodb_flush_log_at_timeout is not a group-commit knob.
//  - Version differences: innodb_redo_log_capacity from MySQL 8.0.30 (log file size/count
//    deprecated); log_bin on by default from MySQL 8.0; innodb_log_buffer_size 16MB (5.7/8.0)
//    and 64MB (8.4); innodb_flush_method default fsync (8.0) and O_DIRECT (8.4). MariaDB: single
//    redo file from 10.5 (innodb_log_files_in_group ignored in 10.5, removed in 10.6), default
//    innodb_log_file_size 96MB, innodb_flush_method default O_DIRECT from 10.6 and deprecated in
//    11.0, binlog off and sync_binlog=0 by default.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "common.h"
#include "param_table.h"
#include "waltune/engine.h"
#include "waltune/units.h"

namespace waltune {
namespace {

using engines::AddEstimate;

constexpr double kInnodbPageBytes = 16384;
// Redo per transaction (RedoBytesPerTxn). *Measured here* (MariaDB 10.11.19, verify's insert,
// update and tpcb workloads at payloads of 20-1000 bytes, 4 clients, Innodb_lsn_current per
// commit; docs/wal-model.md "InnoDB redo per transaction"): an appended row costs 1.08 bytes of
// redo per byte of row (the record, its page directory slot, the page it fills) and an updated
// row 2.0 bytes per changed byte (the new value in the page, the old one in the undo record):
// tpcb's redo does not move with the filler it never changes (444-460 bytes at payloads 20-1000).
// The fixed parts: the commit (undo log header state, the rollback segment's history list:
// 128), an appended row's record and insert-undo framing (50; a second insert in one
// transaction added 64-71 bytes with its ~16 data bytes, by hand through the client), an
// updated row's framing (undo record header, DB_TRX_ID and DB_ROLL_PTR: 70, between the 74-80
// that update's points give and the 65 of tpcb's). Unit: bytes.
constexpr double kTxnRedoBytes = 128;
constexpr double kAppendedRowRedoBytes = 50;
constexpr double kAppendedRedoPerRowByte = 1.08;
constexpr double kUpdatedRowRedoBytes = 70;
constexpr double kUpdatedRedoPerChangedByte = 2;
// Redo apply speed and start-up. *Measured here*: MariaDB 10.11 restarted with 44 MB of redo in
// 1.0 s; MySQL is not runnable here and uses the same figures (lower confidence).
constexpr double kReplayBytesPerS = 100e6;
constexpr double kInnodbStartupS = 0.6;
// MariaDB's async flush point as a share of its sync point, the bound: log_t::set_capacity
// (log0log.cc, 10.11) sets max_modified_age_async = margin - margin / 8 and
// max_checkpoint_age = margin.
constexpr double kMariadbAsyncOfSync = 7.0 / 8.0;

// CPU of the server and the client per transaction and per group flush, *fitted here* on the
// strict group-commit sweep (docs/sweep-group-commit.md, MariaDB 10.11, 2 cores, native
// flushes): measured CPU per commit = kInnodbTxnCpuUs + statements x kInnodbStatementCpuUs +
// kInnodbFlushCpuUs / commits per redo sync (one-row INSERT: 114 us at 1.00, 60 us at 7.39,
// 53 us at 28 commits per sync; tpcb, 7 statements: 323 us at 3.22, 305 us at 12.8). Rows
// beyond one per statement keep the earlier per-row figure. Units: us.
constexpr double kInnodbTxnCpuUs = 7;
constexpr double kInnodbStatementCpuUs = 44;
constexpr double kInnodbFlushCpuUs = 63;
constexpr double kInnodbExtraRowCpuUs = 30;

struct Flavour {
  bool mariadb = false;
  EngineVersion v;
  bool capacity_variable() const {  // innodb_redo_log_capacity
    return !mariadb && v >= EngineVersion{8, 0, 30};
  }
  bool single_file() const { return mariadb; }
  double max_age_fraction() const { return capacity_variable() ? 0.86 : 0.81; }
  uint64_t default_capacity_bytes() const {
    if (mariadb) return 96 * kMiB;
    if (capacity_variable()) return 100 * kMiB;
    return 2 * 48 * kMiB;
  }
  uint64_t default_log_buffer_bytes() const {
    return (!mariadb && v.major == 8 && v.minor >= 4) || (!mariadb && v.major >= 9) ? 64 * kMiB
                                                                                    : 16 * kMiB;
  }
  bool binlog_default_on() const { return !mariadb && v.major >= 8; }
  bool flush_method_settable() const { return !(mariadb && v.major >= 11); }
  // MariaDB >= 10.5.9 with innodb_max_dirty_pages_pct_lwm = 0 (its default): the page cleaner
  // writes no flush-list pages in the background while the dirty share stays under
  // innodb_max_dirty_pages_pct and the buffer pool has free pages; it sleeps until the
  // checkpoint age reaches the async flush point (buf_flush_page_cleaner, buf0flu.cc:
  // "possibly_unemployed" -> set_idle, and the untimed wait; MDEV-24537, 10.5.9; MariaDB 10.5.7
  // and 10.5.8 flushed in the background). MySQL pre-flushes from 10% dirty
  // (innodb_max_dirty_pages_pct_lwm = 10 since 8.0, WL#9630).
  bool cleaner_idle_below_async() const { return mariadb && v >= EngineVersion{10, 5, 9}; }
  const char* name() const { return mariadb ? "MariaDB" : "MySQL"; }
};

class InnodbAdvisor : public EngineAdvisor {
 public:
  explicit InnodbAdvisor(bool mariadb) : mariadb_(mariadb) {}

  EngineVersion DefaultVersion() const override {
    return mariadb_ ? EngineVersion{11, 4, 0} : EngineVersion{8, 4, 0};
  }

  Status CheckVersion(const EngineVersion& v, std::vector<std::string>* warnings) const override {
    if (mariadb_) {
      if (v < EngineVersion{10, 5, 0}) {
        return Status::InvalidArgument("", "MariaDB " + v.ToString() +
                                               " is not modelled; waltune covers MariaDB 10.5 to "
                                               "11.x (single redo log file)");
      }
      if (v.major > 11) {
        warnings->push_back("MariaDB " + v.ToString() +
                            " is newer than the versions waltune models (10.5-11.x); advice "
                            "uses 11.x behaviour");
      }
      return Status::Ok();
    }
    const bool known = (v.major == 5 && v.minor == 7) || v.major == 8 || v.major == 9;
    if (!known) {
      return Status::InvalidArgument("", "MySQL " + v.ToString() +
                                             " is not modelled; waltune covers MySQL 5.7, 8.0 "
                                             "and 8.4");
    }
    if ((v.major == 8 && v.minor >= 1 && v.minor <= 3) || v.major == 9) {
      warnings->push_back("MySQL " + v.ToString() +
                          " is an innovation release; advice uses MySQL 8.4 LTS behaviour");
    }
    return Status::Ok();
  }

  // Server + client CPU without the flush wait. *Measured here* by verify (MariaDB 10.11):
  // 82-83 us per one-row autocommit INSERT with innodb_flush_log_at_trx_commit=2.
  CpuCosts Cpu() const override {
    CpuCosts c;
    c.per_txn_us = kInnodbTxnCpuUs;
    c.per_statement_us = kInnodbStatementCpuUs;
    c.per_extra_row_us = kInnodbExtraRowCpuUs;
    c.per_flush_us = kInnodbFlushCpuUs;
    return c;
  }

  Advice Advise(const Scenario& s) const override;

  std::optional<double> ExpectedRecoveryAtAgeS(const Scenario& s, double age_bytes) const override;

 private:
  bool mariadb_;
};

// Rows a transaction appends (a table or index tail) and their size: the workload's own when
// verify states them, else the share of rows_per_txn that is not written at random.
double AppendedRowsPerTxn(const Workload& w) {
  return w.appended_rows_per_txn >= 0 ? static_cast<double>(w.appended_rows_per_txn)
                                      : w.rows_per_txn * (1 - w.random_page_fraction);
}
double AppendedRowBytes(const Workload& w) {
  return static_cast<double>(w.appended_row_bytes > 0 ? w.appended_row_bytes : w.row_bytes);
}
// The other rows are updated, each changing updated_bytes_per_row (else the whole row).
double UpdatedRowsPerTxn(const Workload& w) {
  return std::max(0.0, w.rows_per_txn - AppendedRowsPerTxn(w));
}
uint64_t ChangedBytesPerUpdatedRow(const Workload& w) {
  return w.updated_bytes_per_row > 0 ? w.updated_bytes_per_row : w.row_bytes;
}

// kTxnRedoBytes + appended x (kAppendedRowRedoBytes + 1.08 x row bytes) + updated x
// (kUpdatedRowRedoBytes + 2 x changed bytes); updated = the rows that are not appended.
double RedoBytesPerTxn(const Scenario& s) {
  if (s.calibration.wal_bytes_per_txn) return *s.calibration.wal_bytes_per_txn;
  const Workload& w = s.workload;
  return kTxnRedoBytes +
         AppendedRowsPerTxn(w) *
             (kAppendedRowRedoBytes + kAppendedRedoPerRowByte * AppendedRowBytes(w)) +
         UpdatedRowsPerTxn(w) *
             (kUpdatedRowRedoBytes +
              kUpdatedRedoPerChangedByte * static_cast<double>(ChangedBytesPerUpdatedRow(w)));
}

// The formula of RedoBytesPerTxn with this workload's numbers, for the estimate's source.
std::string RedoPerTxnSource(const Workload& w) {
  return fmt::format(
      "{} (commit) + {:.2g} appended rows x ({} + {} x {:.0f} bytes) + {:.2g} updated rows x ({} "
      "+ {} x {} changed bytes{}) of redo (the record, its undo record, the page directory; "
      "constants measured on MariaDB 10.11)",
      kTxnRedoBytes, AppendedRowsPerTxn(w), kAppendedRowRedoBytes, kAppendedRedoPerRowByte,
      AppendedRowBytes(w), UpdatedRowsPerTxn(w), kUpdatedRowRedoBytes, kUpdatedRedoPerChangedByte,
      ChangedBytesPerUpdatedRow(w),
      w.updated_bytes_per_row > 0 ? "" : ": the whole row, as the request does not say");
}

// Page changes per transaction that land on pages recovery must read back: two pages (row and
// index) per random row write; appends fill the tail, two pages per page of data written.
double PageChangesPerTxn(const Workload& w) {
  return w.rows_per_txn * 2 * w.random_page_fraction + 2 * static_cast<double>(w.txn_write_bytes) /
                                                           kInnodbPageBytes *
                                                           (1 - w.random_page_fraction);
}

// MariaDB's recovery keeps the parsed redo records in buffer-pool blocks. When they fill a third
// of the pool it applies what it has parsed (reading every page those records touch), writes
// the recovered pages back (buf_flush_sync_batch), empties the pool and parses on: a
// multi-batch recovery (recv_sys_t::add_block, "redo log occupies more than 1/3 of buf_pool",
// and recv_sys_t::apply, log0recv.cc, 10.6-10.11; MariaDB knowledge base, "InnoDB Redo Log":
// "roughly, when it would occupy more than a third of the buffer pool"). A record takes at
// least its own redo bytes in memory, so the first batch holds at most a third of the pool of
// redo. *Measured here* (MariaDB 10.11.19, the batch LSNs of its error log, docs/verify.md):
// first batches of 1.09 (tpcb, 128 MiB pool), 1.30 (update, 128 MiB) and 1.33 (update,
// 256 MiB) thirds of the pool; the later batches held 0.96 (tpcb) and 1.18 (update) pools of
// redo, a mechanism the source read here does not establish. The model takes a third of the
// pool for the first batch and 0.95 of the pool for each later one (below every measured
// batch, so it counts at least as many batches as the engine needs). Unit: ratio.
constexpr double kFirstBatchShareOfPool = 1.0 / 3.0;
constexpr double kLaterBatchShareOfPool = 0.95;
// MariaDB's default innodb_buffer_pool_size (10.5-11.x). Unit: bytes.
constexpr double kMariadbDefaultBufferPoolBytes = 128.0 * kMiB;

// The buffer pool recovery runs with: the request's, or, not given, the smallest pool the rest
// of the model assumes (the working set cached, and never below the server's default).
double RecoveryBufferPoolBytes(const Workload& w) {
  if (w.buffer_pool_bytes > 0) return static_cast<double>(w.buffer_pool_bytes);
  return std::max(kMariadbDefaultBufferPoolBytes, static_cast<double>(w.working_set_bytes));
}

// MariaDB's page cleaner past the free list (buf0flu.cc, 10.11). Idle below the async point, it
// is woken when the free list falls under innodb_lru_scan_depth / 2 pages
// (buf_pool_t::need_LRU_eviction; innodb_lru_scan_depth = 1536 by default): an LRU flush, which
// refills the list to about innodb_lru_scan_depth (measured: 1 525-1 536 after each). Once
// awake it keeps flushing adaptively while the checkpoint age exceeds
// innodb_adaptive_flushing_lwm (10) % of log_sys.log_capacity (af_needed_for_redo), and goes
// idle below it. log_capacity is not the file size: log_t::set_capacity (log0log.cc) takes the
// file less its 12 KiB header, less a tenth ("smallest_capacity -= smallest_capacity / 10"),
// so the mark is 9% of innodb_log_file_size (54.4 MB of a 576 MiB file, not 60.4). Units:
// pages, ratios.
constexpr double kLruScanDepthPages = 1536;
constexpr double kAdaptiveFlushingLwm = 0.10;
constexpr double kMariadbLogCapacityOfFile = 0.9;
// New pages fill with appended rows to 15/16 (InnoDB keeps 1/16 of an index page free) less
// the page's headers; a compact record adds ~20 bytes (5 of header, DB_TRX_ID 6, DB_ROLL_PTR 7,
// lengths and null flags). Measured here: one new page per 395 `update` and per 315 `tpcb`
// transactions (their history rows, ~38 and ~48.5 bytes as stored: 15.0-15.3 KB per page);
// the update undo adds no net pages (purge frees it, cached undo segments reuse it).
constexpr double kAppendedPageBytes = kInnodbPageBytes * 15 / 16 - 200;
constexpr double kRecordOverheadBytes = 20;

// Whether MariaDB's page cleaner wakes before the async point: the pages a cycle up to that
// point allocates exceed the pool's free pages (less the LRU flush threshold). The pool holds
// the working set, or all the data when it is larger (then it is full: reads fill it).
struct CleanerWake {
  double free_pages = 0;           // free pages before the LRU flush threshold
  double pages_per_redo_byte = 0;  // new pages per byte of redo
  double wake_age_bytes = 0;       // checkpoint age at which the free list runs short
  bool before_async = false;
  // Once the free list has run short (in the first cycle when before_async, else after
  // wake_age_bytes of redo since the start, over several async-flush cycles), each cycle climbs
  // from about the adaptive-flushing mark to the next LRU flush: steady_peak_bytes, when that
  // is below the async point (steady).
  bool steady = false;
  double steady_peak_bytes = 0;
};

CleanerWake MariadbCleanerWake(const Workload& w, double redo_per_txn, double async_age_bytes) {
  CleanerWake c;
  c.wake_age_bytes = std::numeric_limits<double>::infinity();
  // Only for a pool the request states: an assumed one says nothing about its free pages, and
  // taking it as full would lower the expected peak on a guess.
  if (w.buffer_pool_bytes == 0) return c;
  const double pool_bytes = static_cast<double>(w.buffer_pool_bytes);
  const double pool_pages = pool_bytes / kInnodbPageBytes;
  const double resident_bytes =
      std::max(static_cast<double>(w.working_set_bytes), static_cast<double>(w.data_size_bytes));
  const double resident_pages = resident_bytes / kAppendedPageBytes;
  c.free_pages = std::max(0.0, pool_pages - resident_pages - kLruScanDepthPages / 2);
  const double rows = AppendedRowsPerTxn(w);
  const double row_bytes = AppendedRowBytes(w);
  const double pages_per_txn = rows * (row_bytes + kRecordOverheadBytes) / kAppendedPageBytes;
  c.pages_per_redo_byte = pages_per_txn / std::max(redo_per_txn, 1.0);
  c.wake_age_bytes = c.pages_per_redo_byte > 0 ? c.free_pages / c.pages_per_redo_byte
                                               : std::numeric_limits<double>::infinity();
  // Data larger than the pool: reads keep the free list at its threshold (measured: the age
  // stayed at 10-12 MB with 128 MB of data in a 128 MiB pool).
  if (resident_bytes >= pool_bytes) c.wake_age_bytes = 0;
  c.before_async = c.wake_age_bytes < async_age_bytes;
  return c;
}

// Redo per recovery batch: the first, and every later one. Zero = one batch (MySQL).
struct RecoveryBatches {
  double first_bytes = 0;
  double later_bytes = 0;
};

// Whether a batch's page reads add to its apply (the bound: no overlap assumed) or overlap it
// (the expected peak). MariaDB and MySQL read the pages a batch needs asynchronously, 32-page
// areas in page order (recv_read_in_area / buf_read_recv_pages, log0recv.cc), and apply a
// page's records when its read completes, so the reads run under the apply's CPU. *Measured
// here* (scripts/restart_io_poll.py, MariaDB 10.11, a 166.4 MB `update` window in 2 batches
// of 4 541 and 5 437 pages): the restart used 2.07 s of CPU in 2.13 s, about one core busy in
// every 100 ms, also while its 163 MB of pages were read; the sum of the terms gave 3.8 s.
enum class ReadOverlap { kNone, kUnderApply };

// Cold-start recovery of a checkpoint age of `age_bytes`, in batches (one when the age fits in
// the first, or for MySQL):
//   startup + age / seq_read (redo scan) + age / apply rate (CPU, measured warm)
//   + sum over batches of min(hot pages, page changes in the batch's redo) / random 16 KiB reads
//     (with ReadOverlap::kUnderApply only what exceeds the batch's apply: max(0, reads - apply))
//   + for every batch but the last: the sorted write of its pages, plus their doublewrite copy
// (log0recv.cc: recv_sys_t::apply reads each page the redo touches before applying it; after a
// power cut none is cached, and between batches the pool is emptied, so each batch reads its
// pages again). `batches` counts the last, partial batch by its share of a later batch.
struct RedoRecovery {
  double age_bytes = 0;
  double batches = 1;
  double pages_to_read = 0;
  double page_read_s = 0;
  double pages_written = 0;
  double page_write_s = 0;
  ColdRecoveryTerms terms;
  double startup_s = 0;
  double total_s = 0;
  // With a calibrated restart line: whether total_s is the line's, and the line's time when
  // the model's own terms were larger (the bound).
  bool from_line = false;
  double line_s = 0;
};
RedoRecovery RecoveryForAge(const Scenario& s, double age_bytes, double redo_per_txn,
                            double apply_bytes_per_s, double startup_s,
                            const RecoveryBatches& batching, ReadOverlap overlap) {
  RedoRecovery r;
  r.age_bytes = age_bytes;
  r.startup_s = startup_s;
  if (s.calibration.restart_fit_windows >= kMinRestartLineWindows) {
    // A line fitted over this host's whole cold restarts (verify --calibrate, FitRestartLine):
    // its slope holds the scan, the apply and the batches' page reads and writes per byte, its
    // fixed part the start-up and the first reads, so no term of the model is added to it.
    r.from_line = true;
    r.terms.apply_s = age_bytes / apply_bytes_per_s;
    r.terms.total_s = r.terms.apply_s;
    r.total_s = startup_s + r.terms.total_s;
    if (overlap == ReadOverlap::kUnderApply) return r;  // the expected peak: the host's line
    // The bound never falls below the model's own terms: a line through two restarts of one
    // host was exceeded 1.19x at its age by a third (docs/verify.md, session 26), and a line
    // raised by the spread of three or more is still a sample of the host's restarts.
    Scenario model_only = s;
    model_only.calibration.restart_fit_windows = 0;
    RedoRecovery m = RecoveryForAge(model_only, age_bytes, redo_per_txn, kReplayBytesPerS,
                                    kInnodbStartupS, batching, overlap);
    m.line_s = r.total_s;
    return m.total_s > r.total_s ? m : r;
  }
  const double hot_pages = engines::HotPages(s.workload, kInnodbPageBytes);
  const double changes_per_byte = PageChangesPerTxn(s.workload) / redo_per_txn;
  auto pages_of = [&](double redo_bytes) {
    return DistinctPagesBound(hot_pages, redo_bytes * changes_per_byte);
  };
  // A batch's page reads: all of them (the bound), or what the batch's apply does not hide.
  auto read_s = [&](double redo_bytes) {
    const double iops = s.storage.random_read_16k_iops;
    const double reads_s = iops > 0 ? pages_of(redo_bytes) / iops : 0;
    if (overlap == ReadOverlap::kNone) return reads_s;
    return std::max(0.0, reads_s - redo_bytes / apply_bytes_per_s);
  };
  auto write_s = [&](double pages) {
    return SortedPageWriteSeconds(pages, hot_pages, kInnodbPageBytes,
                                  s.storage.seq_write_bytes_per_s,
                                  s.storage.random_write_16k_iops) +
           pages * kInnodbPageBytes / s.storage.seq_write_bytes_per_s;
  };
  if (batching.first_bytes > 0 && age_bytes > batching.first_bytes) {
    // The first batch, `full_later` full later batches, and the rest.
    const double after_first = age_bytes - batching.first_bytes;
    double full_later = std::floor(after_first / batching.later_bytes);
    double rest = after_first - full_later * batching.later_bytes;
    if (rest <= 0) {  // the age ends exactly on a batch boundary: the last batch is full
      full_later -= 1;
      rest = batching.later_bytes;
    }
    r.batches = 1 + full_later + rest / batching.later_bytes;
    const double first_pages = pages_of(batching.first_bytes);
    const double later_pages = pages_of(batching.later_bytes);
    r.pages_to_read = first_pages + full_later * later_pages + pages_of(rest);
    r.page_read_s =
        read_s(batching.first_bytes) + full_later * read_s(batching.later_bytes) + read_s(rest);
    r.pages_written = first_pages + full_later * later_pages;
    r.page_write_s = write_s(first_pages) + full_later * write_s(later_pages);
  } else {
    r.pages_to_read = pages_of(age_bytes);
    r.page_read_s = read_s(age_bytes);
  }
  ColdRecoveryInputs in;
  in.log_bytes = age_bytes;
  in.seq_read_bytes_per_s = s.storage.seq_read_bytes_per_s;
  in.apply_s = age_bytes / apply_bytes_per_s;
  in.page_read_s = r.page_read_s;
  r.terms = ColdRecovery(in);
  r.startup_s = startup_s;
  r.total_s = startup_s + r.terms.total_s + r.page_write_s;
  return r;
}

struct RedoPlan {
  uint64_t capacity_bytes = 0;
  double max_age_bytes = 0;
  double recovery_s = 0;
  RedoRecovery recovery;
  double startup_s = 0;
  double replay_bytes_per_s = 0;
  // Redo per recovery batch (0: one batch, MySQL) and the buffer pool it derives from.
  RecoveryBatches batching;
  double buffer_pool_bytes = 0;
  bool target_met = true;
};

// The worst case's terms, as the rationale states them: the model's, or the line a calibration
// fitted over this host's whole cold restarts.
std::string BoundTermsText(const Scenario& s, const RedoPlan& p) {
  const RedoRecovery& r = p.recovery;
  if (r.from_line) {
    return fmt::format(
        "{:.1f} s + {:.1f} s at {:.0f} MB/s of redo, the line fitted over {} whole cold restarts "
        "of this host (verify --calibrate; its slope and fixed part hold the start-up, the redo "
        "scan, the page reads and the recovery batches' writes; its fixed part is raised by the "
        "restarts' spread about it, so no measured restart lies above it)",
        p.startup_s, r.terms.apply_s, p.replay_bytes_per_s / 1e6,
        s.calibration.restart_fit_windows);
  }
  return fmt::format(
      "{:.1f} s start-up + {:.1f} s reading the redo at {:.0f} MB/s + {:.1f} s applying it at "
      "~{:.0f} MB/s + {:.1f} s reading back the {:.0f} pages it touches (min(working set, pages "
      "changed), per recovery batch) at {:.0f} random 16 KiB reads/s{}{}",
      r.startup_s, r.terms.scan_s, s.storage.seq_read_bytes_per_s / 1e6, r.terms.apply_s,
      (r.line_s > 0 ? kReplayBytesPerS : p.replay_bytes_per_s) / 1e6, r.terms.page_read_s,
      r.pages_to_read, s.storage.random_read_16k_iops,
      r.page_write_s > 0
          ? fmt::format(" + {:.1f} s writing pages back between recovery batches", r.page_write_s)
          : std::string(),
      r.line_s > 0 ? fmt::format(" (the model's own terms: above the {:.1f} s of the line "
                                 "calibrated over {} cold restarts of this host, which bounds "
                                 "only the expected peak, as a later restart has exceeded such "
                                 "a line)",
                                 r.line_s, s.calibration.restart_fit_windows)
                   : std::string());
}

// What a recovery of any age costs here: start-up, apply rate (calibrated or the model's) and
// MariaDB's batches.
void SetRecoveryInputs(const Scenario& s, const Flavour& f, RedoPlan* p) {
  p->startup_s =
      s.calibration.restart_overhead_s ? *s.calibration.restart_overhead_s : kInnodbStartupS;
  p->replay_bytes_per_s =
      s.calibration.replay_bytes_per_s ? *s.calibration.replay_bytes_per_s : kReplayBytesPerS;
  if (f.mariadb) {
    p->buffer_pool_bytes = RecoveryBufferPoolBytes(s.workload);
    p->batching.first_bytes = kFirstBatchShareOfPool * p->buffer_pool_bytes;
    p->batching.later_bytes = kLaterBatchShareOfPool * p->buffer_pool_bytes;
  }
}

RedoPlan PlanRedo(const Scenario& s, const Flavour& f, double redo_per_txn,
                  double redo_rate_bytes_per_s, std::vector<std::string>* warnings) {
  RedoPlan p;
  SetRecoveryInputs(s, f, &p);
  auto recovery_for_capacity = [&](double capacity) {
    return RecoveryForAge(s, f.max_age_fraction() * capacity, redo_per_txn, p.replay_bytes_per_s,
                          p.startup_s, p.batching, ReadOverlap::kNone);
  };
  const uint64_t kMin = 8 * kMiB;
  // The cold recovery time only grows with the capacity: bisect for the largest that fits.
  double cap_for_target = LargestSatisfying(1.0 * kMiB, 1024.0 * kGiB, [&](double c) {
    return recovery_for_capacity(c).total_s <= s.recovery_target_s;
  });
  if (recovery_for_capacity(cap_for_target).total_s > s.recovery_target_s) cap_for_target = 0;
  // More than an hour of redo does not reduce page flushing further (MySQLTuner's sizing rule);
  // the engines' own maximum is 128 GB (MySQL 8.0.30+) / 512 GB.
  const double hour_of_redo =
      std::max<double>(redo_rate_bytes_per_s * 3600, f.default_capacity_bytes());
  const double engine_max = f.capacity_variable() ? 128.0 * kGiB : 512.0 * kGiB;
  double cap = std::min({cap_for_target, hour_of_redo, engine_max});
  if (cap < kMin) {
    p.target_met = false;
    cap = kMin;
  }
  p.capacity_bytes = FloorToNiceBytes(cap, kMin);
  if (!f.capacity_variable() && !f.single_file()) {
    // Two files of a nice size each.
    p.capacity_bytes = 2 * FloorToNiceBytes(cap / 2, 4 * kMiB);
  }
  p.max_age_bytes = f.max_age_fraction() * p.capacity_bytes;
  p.recovery = recovery_for_capacity(static_cast<double>(p.capacity_bytes));
  p.recovery_s = p.recovery.total_s;
  if (p.recovery_s > s.recovery_target_s) p.target_met = false;
  if (!p.target_met) {
    warnings->push_back(fmt::format(
        "the recovery target of {:.1f} s cannot be met: start-up alone takes ~{:.1f} s and the "
        "smallest sensible redo log ({}) needs {:.1f} s from a cold cache ({})",
        s.recovery_target_s, p.startup_s, FormatHumanBytes(p.capacity_bytes), p.recovery_s,
        BoundTermsText(s, p)));
  }
  return p;
}

std::string FlushMethodFor(const StorageSpec& st) {
  // A measured profile on which direct I/O was unavailable or slowest keeps plain fsync.
  if (st.measured && st.recommended_sync_method == "fsync") return "fsync";
  return "O_DIRECT";
}

// The numbers the steps of InnodbAdvisor::Advise share, in the order the steps fill them.
struct InnodbAnalysis {
  Flavour f;
  double tps_needed = 0;
  double redo_per_txn = 0;
  double redo_rate = 0;  // bytes/s at the required rate
  bool binlog = false;   // on by default or needed for replication
  // PlanInnodbRedo.
  RedoPlan plan;
  double page_write_ceiling_tps = 0;       // with the recommended redo capacity
  double base_page_write_ceiling_tps = 0;  // with the default capacity
  // ChooseInnodbCommitMode.
  GroupCommitParams p;
  GroupCommitParams base_p;
  ThroughputEstimate base_t;
  engines::CommitMode mode;
  // AddInnodbCheckpointSettings: page-cleaner pacing.
  double cycle_s = 0;
  double pages_per_s_needed = 0;
  double io_capacity = 0;
  double expected_cycle_s = 0;
  double expected_age_bytes = 0;
  RedoRecovery expected_rec;
  CleanerWake wake;  // MariaDB >= 10.5.9
};

// Redo capacity from the recovery target, and the rate at which the page cleaner keeps up with
// it and with the default capacity.
void PlanInnodbRedo(const Scenario& s, InnodbAnalysis* x, Advice* a) {
  RedoPlan plan = PlanRedo(s, x->f, x->redo_per_txn, x->redo_rate, &a->warnings);
  const double redo_minutes = plan.capacity_bytes / std::max(x->redo_rate, 1.0) / 60;
  if (redo_minutes < 5) {
    a->warnings.push_back(fmt::format(
        "the redo log holds only {:.1f} minutes of writes at {}: the page cleaner will have to "
        "flush aggressively (sync flushing stalls commits). A longer recovery target allows a "
        "larger redo log",
        redo_minutes, FormatTps(x->tps_needed)));
  }

  // The page cleaner must write the pages dirtied in one redo cycle (plus their doublewrite
  // copies, written sequentially) before the checkpoint age reaches the sync-flush point.
  const double hot_pages = engines::HotPages(s.workload, kInnodbPageBytes);
  auto cleaner_keeps_up = [&](double capacity_bytes, double tps) {
    const double cycle = x->f.max_age_fraction() * capacity_bytes / (x->redo_per_txn * tps);
    FpiInputs in;
    in.hot_pages = hot_pages;
    in.page_changes_per_s = tps * s.workload.rows_per_txn * 2 * s.workload.random_page_fraction;
    in.checkpoint_interval_s = cycle;
    const double pages = PagesImagedPerInterval(in);
    const double write_s =
        SortedPageWriteSeconds(pages, hot_pages, kInnodbPageBytes, s.storage.seq_write_bytes_per_s,
                               s.storage.random_write_16k_iops) +
        pages * kInnodbPageBytes / s.storage.seq_write_bytes_per_s;
    return write_s <= 0.9 * cycle;
  };
  const double page_write_ceiling_tps = LargestSatisfying(
      1, 1e7, [&](double tps) { return cleaner_keeps_up(plan.capacity_bytes, tps); }, 1e-3);
  const double base_page_write_ceiling_tps = LargestSatisfying(
      1, 1e7, [&](double tps) { return cleaner_keeps_up(x->f.default_capacity_bytes(), tps); },
      1e-3);
  x->plan = plan;
  x->page_write_ceiling_tps = page_write_ceiling_tps;
  x->base_page_write_ceiling_tps = base_page_write_ceiling_tps;
}

// The defaults' commit path (MySQL 8 has the binary log on with sync_binlog=1; MariaDB has it
// off) and the commit mode per durability level; with the binary log and 3+ clients a binlog
// group-commit wait of half a flush is tried and kept where the simulation shows it helps.
// The device time of one commit group: one redo flush, plus the binary log's with
// sync_binlog=1. MariaDB >= 10.8 writes the redo with O_DIRECT (innodb_log_file_buffering=OFF,
// MDEV-28766) and then calls fdatasync (log_t::flush -> os_file_flush, log0log.cc): a device
// write and a cache flush, as the measured flush (a buffered 8 KiB write + fdatasync) is.
// *Measured here* with scripts/idle_gap.cc (300 samples, p50): O_DIRECT 4 KiB write +
// fdatasync 90 us against write + fdatasync 97 us back to back, 271 us against 389 us after a
// 2 ms gap (docs/sweep-group-commit.md, sweep 6): one flush per group, not two.
void SetRedoGroup(bool binlog, GroupCommitParams* p) {
  p->flushes_per_group = 1 + (binlog ? 1 : 0);
}

void ChooseInnodbCommitMode(const Scenario& s, const engines::TxnCpu& cpu, InnodbAnalysis* x) {
  x->p = engines::CommitParams(s, cpu);
  x->base_p = x->p;
  SetRedoGroup(x->f.binlog_default_on(), &x->base_p);
  x->base_t = engines::CommitThroughput(s, x->base_p, true, x->redo_per_txn);
  engines::ApplyPageWriteCeiling(&x->base_t, x->base_page_write_ceiling_tps);

  SetRedoGroup(x->binlog, &x->p);
  GroupCommitParams delayed = x->p;
  const bool try_delay = x->binlog && s.workload.concurrency >= 3;
  if (try_delay) {
    delayed.leader_delay_us = engines::HalfFlushDelayUs(s);
    delayed.delay_until_batch = std::max(2, s.workload.concurrency / 2);
  }
  x->mode = engines::ChooseCommitMode(s, x->p, try_delay ? &delayed : nullptr, x->redo_per_txn,
                                      x->page_write_ceiling_tps);
}

// innodb_flush_log_at_trx_commit (and the flush timeout) and the loss window they give.
void AddInnodbCommitSettings(const Scenario& s, const InnodbAnalysis& x, Advice* a) {
  if (x.mode.flush_each_commit) {
    a->wal_config.push_back(Setting::Number(
        "innodb_flush_log_at_trx_commit", 1,
        s.durability == Durability::kStrict
            ? "strict: the redo log is flushed before every commit returns"
            : fmt::format("standard, but flushing every commit already sustains {} against the "
                          "required {}, so nothing acknowledged needs to be at risk",
                          FormatTps(x.mode.sync_t.tps), FormatTps(x.tps_needed))));
    engines::SetNoLossWindow(a);
  } else {
    a->wal_config.push_back(Setting::Number(
        "innodb_flush_log_at_trx_commit", 2,
        s.durability == Durability::kRelaxed
            ? "relaxed: commits are written to the OS at once and flushed once per second; a "
              "mysqld crash loses nothing, an OS crash or power cut up to ~1 s (0 would also "
              "lose on a mysqld crash for no real gain)"
            : fmt::format("standard: flushing every commit sustains only {} against the "
                          "required {}; 2 bounds the loss to ~1 s on an OS crash or power cut",
                          FormatTps(x.mode.sync_t.tps), FormatTps(x.tps_needed))));
    const double flush_timeout_s = 1;
    a->wal_config.push_back(Setting::Number(
        "innodb_flush_log_at_timeout", flush_timeout_s,
        "seconds between background redo flushes: this is the loss window, not a group-commit "
        "setting"));
    a->loss_window_ms = flush_timeout_s * 1000;
    a->loss_window = fmt::format(
        "about {:.0f} s of acknowledged commits (innodb_flush_log_at_timeout) on an OS crash or "
        "power cut, none on a crash of the server process alone; the background flush is not "
        "guaranteed to run on time, so under heavy load or CPU starvation the window can be "
        "longer (MySQL manual, innodb_flush_log_at_trx_commit){}",
        flush_timeout_s,
        x.binlog
            ? (s.durability == Durability::kRelaxed
                   ? ". The binary log is flushed by the OS (sync_binlog=0): a power cut can "
                     "lose binlog events the redo kept, so replicas may need rebuilding"
                   : ". The binary log is flushed every 1000 commit groups (sync_binlog=1000): "
                     "a power cut can lose up to that many groups of binlog events")
            : "");
  }
}

// Binary log, doublewrite, log buffer, redo size and flush method.
void AddInnodbLogSettings(const Scenario& s, const InnodbAnalysis& x, Advice* a) {
  if (x.binlog) {
    // --log-bin takes a file base name: "ON" would name the files ON.000001. MySQL 5.7 also
    // refuses to start with the binary log and no server_id.
    if (!x.f.binlog_default_on()) {
      a->wal_config.push_back(Setting::Text(
          "log_bin", "mysql-bin",
          "replication needs the binary log (off by default): files mysql-bin.000001, ..."));
    }
    if (s.replication != Replication::kNone || !x.f.binlog_default_on()) {
      a->wal_config.push_back(Setting::Number(
          "server_id", 1,
          x.f.mariadb || x.f.v.major >= 8
              ? "every server of a replication topology needs its own id: 1 here, 2, 3, ... on "
                "the replicas"
              : "MySQL 5.7 refuses to start with the binary log and no server_id; give each "
                "replica its own (2, 3, ...)"));
    }
    const int sync_binlog =
        x.mode.flush_each_commit ? 1 : (s.durability == Durability::kRelaxed ? 0 : 1000);
    a->wal_config.push_back(Setting::Number(
        "sync_binlog", sync_binlog,
        sync_binlog == 1   ? "flush the binary log at every commit group, so binlog and redo "
                             "agree after a crash (replicas never get ahead of the primary)"
        : sync_binlog == 0 ? "relaxed: the OS flushes the binary log; replicas may need "
                             "rebuilding after a power cut"
                           : "flush the binary log every 1000 commit groups: bounded loss, "
                             "matching innodb_flush_log_at_trx_commit=2"));
  }
  a->wal_config.push_back(Setting::Text("innodb_doublewrite", "ON",
                                        "never OFF: 16 kB pages can be torn on a power cut"));
  const uint64_t log_buffer = std::max<uint64_t>(
      x.f.default_log_buffer_bytes(),
      FloorToNiceBytes(4.0 * s.workload.txn_write_bytes * s.workload.concurrency, kMiB));
  a->wal_config.push_back(Setting::Text(
      "innodb_log_buffer_size", FormatMyCnfBytes(log_buffer),
      log_buffer == x.f.default_log_buffer_bytes()
          ? "the default holds many small transactions between flushes"
          : "large transactions: room for every client's redo without waiting for a flush"));
  if (x.f.capacity_variable()) {
    a->wal_config.push_back(
        Setting::Text("innodb_redo_log_capacity", FormatMyCnfBytes(x.plan.capacity_bytes),
                      "sized from the recovery target; see checkpoint_strategy"));
  } else if (x.f.single_file()) {
    a->wal_config.push_back(Setting::Text("innodb_log_file_size",
                                          FormatMyCnfBytes(x.plan.capacity_bytes),
                                          "the single redo file (MariaDB >= 10.5), sized from the "
                                          "recovery target"));
  } else {
    a->wal_config.push_back(
        Setting::Text("innodb_log_file_size", FormatMyCnfBytes(x.plan.capacity_bytes / 2),
                      "two files of this size, sized from the recovery target"));
    a->wal_config.push_back(Setting::Number("innodb_log_files_in_group", 2,
                                            "the default; total redo = 2 x innodb_log_file_size"));
  }
  if (x.f.flush_method_settable()) {
    a->wal_config.push_back(Setting::Text(
        "innodb_flush_method", FlushMethodFor(s.storage),
        "O_DIRECT avoids caching data pages twice; redo is still flushed with fsync"));
  }
}

// Why the checkpoint age settles where expected_peak_checkpoint_age_bytes says.
std::string ExpectedPeakReason(const Flavour& f, const CleanerWake& wake, double redo_rate) {
  if (f.cleaner_idle_below_async() && wake.steady) {
    return fmt::format(
        "the buffer pool's free list runs short (the pages the appended rows fill, against the "
        "pool's free pages: {}), which wakes the page cleaner; it then flushes while the age "
        "exceeds innodb_adaptive_flushing_lwm (10% of the log capacity, 0.9 x the redo file) and "
        "idles below it, so each later cycle climbs from about that mark until the next LRU "
        "flush,",
        wake.before_async
            ? std::string("in the first cycle after a start, which climbs to that wake point")
            : fmt::format("after ~{} of redo from a start, ~{:.0f} min at this rate; until then "
                          "each cycle climbs to the async flush point, 7/8 of the bound",
                          FormatHumanBytes(wake.wake_age_bytes),
                          wake.wake_age_bytes / std::max(redo_rate, 1.0) / 60));
  }
  return f.cleaner_idle_below_async()
             ? "the page cleaner writes no pages in the background below the async flush point "
               "(innodb_max_dirty_pages_pct_lwm = 0), so with the working set in the buffer "
               "pool the age climbs to that point, 7/8 of the bound, near"
             : "the page cleaner at innodb_io_capacity holds the age near";
}

// How long the checkpoint age is expected to climb before the page cleaner holds it: the
// expected peak is this many seconds of redo. Sets x->wake for MariaDB.
double ExpectedCycleSeconds(const Scenario& s, const FpiInputs& dirty, double io_capacity,
                            double cycle_s, InnodbAnalysis* x) {
  // Expected peak. MySQL: the cleaner writes at innodb_io_capacity in the background, so the
  // age settles where one cycle's distinct pages fit in that rate (CleanerCycleSeconds), far
  // below the bound at moderate rates. MariaDB: the cleaner is idle until the async flush
  // point, so with the working set cached the age climbs to it at any rate; log_t::set_capacity
  // (log0log.cc) puts it at margin - margin / 8 where the bound, the sync point, is the margin.
  // The bound (estimated_recovery_time_s) stays the worst case. MariaDB's free list: below
  // (docs/wal-model.md, docs/verify.md "The free-list checkpoint").
  double expected_cycle_s =
      x->f.cleaner_idle_below_async()
          ? cycle_s * kMariadbAsyncOfSync
          : CleanerCycleSeconds(dirty.hot_pages, dirty.page_changes_per_s, io_capacity, cycle_s);
  if (x->f.cleaner_idle_below_async()) {
    const double async_bytes = kMariadbAsyncOfSync * x->plan.max_age_bytes;
    x->wake = MariadbCleanerWake(s.workload, x->redo_per_txn, async_bytes);
    // The free list runs short whenever appended rows keep allocating pages: in the first cycle
    // when the wake comes before the async point, else in a later one (an async flush writes
    // pages but frees none, so the free pages go on falling). From then on each cycle starts
    // near the mark (the cleaner idles below it) and climbs until the pages an LRU flush freed
    // are allocated again: innodb_lru_scan_depth / 2 of them. Measured at the 10 s target: the
    // first cycle climbed to the wake (409.6 MB) and on to the async point (428.6 MB); the
    // checkpoint then stepped down to 45.2 MB and the next cycle climbed from there.
    // A pool smaller than the data is full from the start (wake age 0): reads keep the free list
    // at the threshold, and the age stays near the mark.
    const bool full_pool = x->wake.wake_age_bytes == 0;
    if (std::isfinite(x->wake.wake_age_bytes) && (x->wake.pages_per_redo_byte > 0 || full_pool)) {
      const double lru_interval_bytes = x->wake.pages_per_redo_byte > 0
                                            ? kLruScanDepthPages / 2 / x->wake.pages_per_redo_byte
                                            : 0;
      const double steady_peak_bytes =
          kAdaptiveFlushingLwm * kMariadbLogCapacityOfFile * x->plan.capacity_bytes +
          lru_interval_bytes;
      if (steady_peak_bytes < async_bytes) {
        x->wake.steady = true;
        x->wake.steady_peak_bytes = steady_peak_bytes;
        expected_cycle_s =
            std::min(expected_cycle_s, steady_peak_bytes / std::max(x->redo_rate, 1.0));
      }
    }
  }
  return expected_cycle_s;
}

// Page-cleaner pacing (innodb_io_capacity), the expected peak checkpoint age and the recovery
// rationale.
void AddInnodbCheckpointSettings(const Scenario& s, InnodbAnalysis* x, Advice* a) {
  // Checkpoint pacing: the page cleaner must write the pages dirtied in one redo cycle before
  // the log wraps.
  const double cycle_s = x->plan.max_age_bytes / std::max(x->redo_rate, 1.0);
  FpiInputs dirty;
  dirty.hot_pages = engines::HotPages(s.workload, kInnodbPageBytes);
  dirty.page_changes_per_s = x->tps_needed * s.workload.rows_per_txn * 2;
  dirty.checkpoint_interval_s = cycle_s;
  dirty.page_changes_per_s *= s.workload.random_page_fraction;
  const double pages_per_s_needed = PagesImagedPerInterval(dirty) / cycle_s;
  // innodb_io_capacity: twice the rate the cleaner needs, within half the device's random
  // 16 KiB write rate, but never below the needed rate itself (the answer relies on it);
  // innodb_io_capacity_max at least twice that.
  const double device_write_iops = s.storage.random_write_16k_iops;
  auto round_up_100 = [](double x) { return std::ceil(x / 100) * 100; };
  const double want = round_up_100(std::max(200.0, 2 * pages_per_s_needed));
  const double half_device = std::max(100.0, std::round(device_write_iops * 0.5 / 100) * 100);
  const double io_capacity =
      std::max(round_up_100(std::max(100.0, pages_per_s_needed)), std::min(want, half_device));
  const double io_capacity_max =
      std::max(io_capacity * 2, std::min(2000.0, std::round(device_write_iops / 100) * 100));
  a->checkpoint_settings.push_back(Setting::Number(
      "innodb_io_capacity", io_capacity,
      fmt::format("background flushing rate: at least the {:.0f} pages/s dirtied per redo cycle "
                  "(twice that when half the device's {:.0f} random 16 KiB writes/s allow)",
                  pages_per_s_needed, device_write_iops)));
  a->checkpoint_settings.push_back(
      Setting::Number("innodb_io_capacity_max", io_capacity_max,
                      "ceiling for adaptive flushing when the checkpoint age grows (at least twice "
                      "innodb_io_capacity)"));
  a->checkpoint_settings.push_back(
      Setting::Text("innodb_adaptive_flushing", "ON",
                    "flush faster as the checkpoint age approaches the redo capacity"));
  if (pages_per_s_needed > device_write_iops) {
    a->warnings.push_back(fmt::format(
        "the page cleaner must write ~{:.0f} pages/s at {}, more than the {:.0f} random 16 KiB "
        "writes/s this storage sustains ({}): innodb_io_capacity is set to the needed rate, but "
        "expect the checkpoint age to reach the sync-flush point and stall commits",
        pages_per_s_needed, FormatTps(x->tps_needed), device_write_iops, s.storage.source));
  }

  const double expected_cycle_s = ExpectedCycleSeconds(s, dirty, io_capacity, cycle_s, x);
  const double expected_age_bytes =
      std::min(x->plan.max_age_bytes, expected_cycle_s * x->redo_rate);
  const RedoRecovery expected_rec =
      RecoveryForAge(s, expected_age_bytes, x->redo_per_txn, x->plan.replay_bytes_per_s,
                     x->plan.startup_s, x->plan.batching, ReadOverlap::kUnderApply);

  a->estimated_recovery_time_s = std::round(x->plan.recovery_s * 10) / 10;
  const bool fitted = s.calibration.restart_fit_windows >= kMinRestartLineWindows;
  a->checkpoint_rationale = fmt::format(
      "InnoDB has no timed checkpoints: the checkpoint age (redo since the last checkpoint) is "
      "what recovery replays, and {} keeps it below ~{:.0f}% of the redo capacity. Worst case "
      "(the bound) {:.0f}% x {} = {} of redo from a cold cache: {} = {:.1f} s against a "
      "target of {:.0f} s. Expected peak at {}: {} {} ({:.1f} s to recover: {}). The redo log is "
      "the largest that meets the target (capped at about an hour of writes); a larger log lets "
      "the page cleaner write each hot page less often. At {} one redo cycle lasts ~{:.0f} s.",
      x->f.name(), 100 * x->f.max_age_fraction(), 100 * x->f.max_age_fraction(),
      FormatHumanBytes(x->plan.capacity_bytes), FormatHumanBytes(x->plan.max_age_bytes),
      BoundTermsText(s, x->plan), x->plan.recovery_s, s.recovery_target_s, FormatTps(x->tps_needed),
      ExpectedPeakReason(x->f, x->wake, x->redo_rate), FormatHumanBytes(expected_age_bytes),
      expected_rec.total_s,
      fitted ? "the line calibrated over this host's cold restarts"
             : "the same terms, but each batch's page reads run under its apply, as the engine "
               "reads them asynchronously; the bound adds them",
      FormatTps(x->tps_needed), cycle_s);
  if (x->plan.batching.first_bytes > 0 && !x->plan.recovery.from_line) {
    a->checkpoint_rationale += fmt::format(
        " MariaDB recovers in batches: the first parses redo until its records fill a third of "
        "the {} buffer pool ({} of redo at most), each later one ~{} (measured here); each batch "
        "reads its pages again, and every batch but the last writes them back: the bound takes "
        "{:.1f} batches, reading {:.0f} pages in all (counted above) and writing {:.0f} "
        "({:.1f} s, included).",
        FormatHumanBytes(x->plan.buffer_pool_bytes), FormatHumanBytes(x->plan.batching.first_bytes),
        FormatHumanBytes(x->plan.batching.later_bytes), x->plan.recovery.batches,
        x->plan.recovery.pages_to_read, x->plan.recovery.pages_written,
        x->plan.recovery.page_write_s);
  }
  x->cycle_s = cycle_s;
  x->pages_per_s_needed = pages_per_s_needed;
  x->io_capacity = io_capacity;
  x->expected_cycle_s = expected_cycle_s;
  x->expected_age_bytes = expected_age_bytes;
  x->expected_rec = expected_rec;
}

// Binlog group-commit wait and the group-commit gain.
void AddInnodbGroupCommit(const Scenario& s, const InnodbAnalysis& x, Advice* a) {
  a->group_commit_enabled = x.mode.flush_each_commit;
  // Without grouping, flushes are serialised and each carries one commit.
  const double single_flush_tps = std::min(x.mode.conf_t.cpu_ceiling_tps,
                                           1e6 / (x.p.flushes_per_group * s.storage.flush_p50_us));
  if (x.mode.flush_each_commit) {
    if (x.mode.use_delay) {
      const char* delay_name =
          x.f.mariadb ? "binlog_commit_wait_usec" : "binlog_group_commit_sync_delay";
      const char* count_name =
          x.f.mariadb ? "binlog_commit_wait_count" : "binlog_group_commit_sync_no_delay_count";
      a->group_commit_settings.push_back(Setting::Number(
          delay_name, x.mode.sync_p.leader_delay_us,
          fmt::format("wait up to half a flush ({:.0f} us) so more commits share the binlog "
                      "flush; simulated +{:.0f}% tps at {} clients",
                      s.storage.flush_p50_us,
                      100 * (x.mode.delayed_t.tps / x.mode.strict_t.tps - 1),
                      s.workload.concurrency)));
      a->group_commit_settings.push_back(
          Setting::Number(count_name, x.mode.sync_p.delay_until_batch,
                          "stop waiting once this many commits are queued"));
    }
    a->group_commit_gain =
        engines::GroupCommitGain(x.mode.conf_t, single_flush_tps, s.workload.concurrency);
    a->group_commit_rationale =
        x.binlog ? (x.mode.use_delay
                        ? "Redo and binary-log flushes are grouped; a short wait gathers "
                          "more commits per binlog flush."
                        : "Redo and binary-log flushes are grouped automatically; the "
                          "simulation shows under 5% gain from an extra wait, so none is set.")
                 : "InnoDB groups redo flushes by itself (one flush covers every commit queued "
                   "meanwhile); without the binary log there is no group-commit knob to set.";
  } else {
    a->group_commit_gain = "not needed: commits do not wait for a flush";
    a->group_commit_rationale =
        "With innodb_flush_log_at_trx_commit=2 the redo is flushed once per second in the "
        "background; there is nothing to group.";
  }
}

// Throughput and commit latency against the engine's defaults, and the warnings when the
// configuration is short of the required rate or slower than the defaults.
void CompareInnodbThroughput(const Scenario& s, const InnodbAnalysis& x, Advice* a) {
  const ThroughputEstimate& conf_t = x.mode.conf_t;
  const bool extra_binlog_flush = x.binlog && !x.f.binlog_default_on();
  engines::SetThroughputComparison(a, x.base_t, conf_t);
  std::vector<std::string> reasons;
  if (!x.mode.flush_each_commit) reasons.push_back("flush once per second instead of per commit");
  if (x.mode.use_delay) reasons.push_back("binlog group-commit wait");
  if (extra_binlog_flush) {
    reasons.push_back("binary log enabled for replication (a second flush per group)");
  }
  if (engines::RelievesPageWrites(x.base_t, conf_t)) {
    reasons.push_back(fmt::format("a redo log of {} instead of {}: the page cleaner keeps up",
                                  FormatHumanBytes(x.plan.capacity_bytes),
                                  FormatHumanBytes(x.f.default_capacity_bytes())));
  }
  a->improvement = engines::Improvement(x.base_t, conf_t, reasons);
  a->latency_impact =
      x.mode.flush_each_commit
          ? engines::FlushedLatencyImpact(x.base_t, conf_t)
          : fmt::format("commits no longer wait for a flush ({:.2f} ms saved on average)",
                        x.base_t.commit_latency_us / 1000);
  if (conf_t.tps < x.tps_needed) {
    a->warnings.push_back(engines::ShortfallWarning(x.tps_needed, conf_t, ""));
    if (s.durability == Durability::kStrict) {
      ThroughputEstimate bounded_t = engines::CommitThroughput(s, x.p, false, x.redo_per_txn);
      engines::ApplyPageWriteCeiling(&bounded_t, x.page_write_ceiling_tps);
      a->warnings.push_back(engines::StrictRateWarning(
          x.binlog ? "flushing redo and binary log at every commit group"
                   : "flushing the redo at every commit group",
          conf_t.tps, x.tps_needed,
          x.binlog ? "innodb_flush_log_at_trx_commit=2 and sync_binlog=1000"
                   : "innodb_flush_log_at_trx_commit=2",
          "about 1 s of acknowledged commits on an OS crash or power cut", bounded_t.tps));
    }
  }
  if (conf_t.tps < 0.95 * x.base_t.tps) {
    const RedoRecovery base_rec = RecoveryForAge(
        s, x.f.max_age_fraction() * x.f.default_capacity_bytes(), x.redo_per_txn,
        x.plan.replay_bytes_per_s, x.plan.startup_s, x.plan.batching, ReadOverlap::kNone);
    a->warnings.push_back(engines::SlowerThanDefaultsWarning(
        fmt::format("{}'s defaults", x.f.name()), conf_t, x.base_t,
        extra_binlog_flush
            ? ": the binary log needed for replication adds a flush per commit group"
            : fmt::format(": the default redo log ({}) can take {:.1f} s to recover against "
                          "the {:.0f} s target, and the smaller log the target allows makes the "
                          "page cleaner write more often",
                          FormatHumanBytes(x.f.default_capacity_bytes()), base_rec.total_s,
                          s.recovery_target_s)));
  }
}

// Every number the advice rests on, with its formula and inputs.
void AddInnodbEstimates(const Scenario& s, const InnodbAnalysis& x, Advice* a) {
  engines::AddFlushLatencyEstimates(a, s);
  AddEstimate(a, "flushes_per_commit_group", x.binlog ? 2 : 1, "flushes",
              x.binlog ? "1 for the redo + 1 for the binary log (sync_binlog=1)"
                       : "1 for the redo (its write and fdatasync: one measured write + flush)");
  AddEstimate(a, "clients", s.workload.concurrency, "clients", "constraints.concurrency");
  AddEstimate(a, "required_tps", x.tps_needed, "tps", "constraints.write_rate");
  AddEstimate(a, "wal_bytes_per_txn", x.redo_per_txn, "bytes",
              s.calibration.wal_bytes_per_txn ? "measured by verify --calibrate"
                                              : RedoPerTxnSource(s.workload));
  AddEstimate(a, "fpi_share", 0, "ratio",
              "InnoDB logs no page images in the redo; torn pages are repaired from the "
              "doublewrite buffer, which doubles data-page writes instead");
  AddEstimate(a, "wal_rate_bytes_per_s", x.redo_rate, "bytes/s",
              "wal_bytes_per_txn x required_tps");
  AddEstimate(a, "redo_capacity_bytes", x.plan.capacity_bytes, "bytes", "recommended redo size");
  AddEstimate(a, "checkpoint_age_limit_bytes", x.plan.max_age_bytes, "bytes",
              fmt::format("{:.0f}% of the redo capacity ({})", 100 * x.f.max_age_fraction(),
                          x.f.capacity_variable() ? "log0chkp.cc"
                          : x.f.mariadb           ? "log_t::set_capacity"
                                                  : "log_calc_max_ages"));
  AddEstimate(a, "checkpoint_interval_s", x.cycle_s, "s",
              "time to write the checkpoint-age limit at the required rate");
  AddEstimate(a, "wal_to_replay_bytes", x.plan.max_age_bytes, "bytes", "worst-case checkpoint age");
  AddEstimate(a, "replay_rate_bytes_per_s", x.plan.replay_bytes_per_s, "bytes/s",
              s.calibration.restart_fit_windows >= kMinRestartLineWindows
                  ? "calibrated: the slope of a line over whole cold restarts (scan, apply, page "
                    "reads and writes together)"
              : s.calibration.replay_bytes_per_s
                  ? "calibrated"
                  : "redo apply, MariaDB 10.11 measured here (warm)");
  AddEstimate(a, "startup_s", x.plan.startup_s, "s",
              s.calibration.restart_fit_windows >= kMinRestartLineWindows
                  ? "calibrated: the fixed part of that line, raised by its restarts' spread"
                  : "process start before redo apply");
  AddEstimate(a, "redo_scan_s", x.plan.recovery.terms.scan_s, "s",
              fmt::format("checkpoint age / sequential read bandwidth ({:.0f} MB/s)",
                          s.storage.seq_read_bytes_per_s / 1e6));
  AddEstimate(a, "recovery_pages_to_read", x.plan.recovery.pages_to_read, "pages",
              "min(working-set pages, page changes in the checkpoint age), per recovery batch");
  AddEstimate(a, "recovery_page_read_s", x.plan.recovery.terms.page_read_s, "s",
              fmt::format("pages to read / {:.0f} random 16 KiB reads/s ({})",
                          s.storage.random_read_16k_iops, s.storage.source));
  if (x.plan.batching.first_bytes > 0) {
    AddEstimate(a, "recovery_buffer_pool_bytes", x.plan.buffer_pool_bytes, "bytes",
                s.workload.buffer_pool_bytes > 0
                    ? "constraints.buffer_pool"
                    : "not given: the larger of MariaDB's default innodb_buffer_pool_size and the "
                      "working set");
    AddEstimate(a, "recovery_first_batch_bytes", x.plan.batching.first_bytes, "bytes",
                "redo whose parsed records fill a third of the buffer pool (recv_sys_t::add_block, "
                "log0recv.cc; a record takes at least its redo bytes)");
    AddEstimate(a, "recovery_later_batch_bytes", x.plan.batching.later_bytes, "bytes",
                "0.95 x the buffer pool: below the later batches measured here (0.96 and 1.18 "
                "pools of redo, MariaDB 10.11)");
    AddEstimate(a, "recovery_batches", x.plan.recovery.batches, "batches",
                "1 + (worst-case checkpoint age - first batch) / later batch, at least 1");
    AddEstimate(a, "recovery_pages_written", x.plan.recovery.pages_written, "pages",
                "pages of every batch but the last, written back before the pool is emptied "
                "(buf_flush_sync_batch)");
    AddEstimate(
        a, "recovery_page_write_s", x.plan.recovery.page_write_s, "s",
        fmt::format("sorted writes at {:.0f} random 16 KiB writes/s or a sweep at "
                    "{:.0f} MB/s, plus the doublewrite copy",
                    s.storage.random_write_16k_iops, s.storage.seq_write_bytes_per_s / 1e6));
  }
  AddEstimate(a, "estimated_recovery_time_s", x.plan.recovery_s, "s",
              x.plan.batching.first_bytes > 0
                  ? "bound: startup + redo scan + apply + page reads + page writes between "
                    "recovery batches, at the worst-case checkpoint age"
                  : "bound: startup + redo scan + apply + page reads, at the worst-case "
                    "checkpoint age");
  if (x.f.cleaner_idle_below_async() && std::isfinite(x.wake.wake_age_bytes)) {
    AddEstimate(a, "free_list_wake_checkpoint_age_bytes", x.wake.wake_age_bytes, "bytes",
                fmt::format("age at which the buffer pool's {:.0f} free pages (pool - data - "
                            "innodb_lru_scan_depth / 2) are allocated, at {:.2f} new pages per "
                            "MB of redo (appended rows at 15/16 of a page), counted from a start; "
                            "it wakes the page cleaner, in the first cycle when below the async "
                            "point",
                            x.wake.free_pages, x.wake.pages_per_redo_byte * 1e6));
  }
  AddEstimate(a, "expected_peak_checkpoint_age_bytes", x.expected_age_bytes, "bytes",
              x.f.cleaner_idle_below_async() && x.wake.steady
                  ? "innodb_adaptive_flushing_lwm (10%) of the log capacity (0.9 x the redo "
                    "file) plus the redo that allocates innodb_lru_scan_depth / 2 pages: once "
                    "the free list has run short (after free_list_wake_checkpoint_age_bytes of "
                    "redo from a start) each LRU flush wakes the page cleaner, which flushes "
                    "above that mark and idles below it until the next one; the cycles before "
                    "climb to the wake point or the async flush point (7/8 of the bound), "
                    "whichever comes first"
              : x.f.cleaner_idle_below_async()
                  ? "the async flush point, 7/8 of the bound (log_t::set_capacity): MariaDB's "
                    "page cleaner does not write below it while the working set is cached "
                    "and the buffer pool has free pages (innodb_max_dirty_pages_pct_lwm = 0)"
                  : fmt::format("age at which innodb_io_capacity ({:.0f} pages/s) writes one "
                                "cycle's distinct pages: {:.0f} s of redo at the required rate, "
                                "at most the bound",
                                x.io_capacity, x.expected_cycle_s));
  AddEstimate(a, "expected_peak_recovery_time_s", x.expected_rec.total_s, "s",
              "same cold-start terms at the expected peak checkpoint age, each recovery batch's "
              "page reads overlapping its apply (max(0, reads - apply) per batch)");
  AddEstimate(a, "page_flush_rate_needed_per_s", x.pages_per_s_needed, "pages/s",
              "distinct pages dirtied per redo cycle / cycle length");
  AddEstimate(a, "recovery_target_s", s.recovery_target_s, "s", "constraints.recovery_time_target");
  AddEstimate(a, "page_write_ceiling_tps", x.page_write_ceiling_tps, "tps",
              "highest rate at which the page cleaner writes each redo cycle's dirty pages "
              "(sorted, plus doublewrite) before the sync-flush point");
  engines::AddThroughputEstimates(a, x.mode.conf_t, x.mode.flush_each_commit ? x.mode.sync_p : x.p,
                                  x.redo_per_txn, s.storage.seq_write_bytes_per_s);
  AddEstimate(a, "strict_commit_tps", x.mode.sync_t.tps, "tps",
              "group-commit simulation with innodb_flush_log_at_trx_commit=1");
  AddEstimate(a, "data_loss_window_ms", a->loss_window_ms, "ms", a->loss_window);
}

std::string MyCnfLine(const Setting& st) { return st.name + " = " + st.ConfigText() + "\n"; }

Advice InnodbAdvisor::Advise(const Scenario& s) const {
  InnodbAnalysis x;
  x.f = Flavour{mariadb_, s.version};
  Advice a = engines::StartAdvice(s);
  a.config_target = "my.cnf, [mysqld] section";
  if (!mariadb_ && s.version.major == 8 && s.version.minor == 0 && s.version.patch == 0) {
    x.f.v.patch = 30;
    a.assumptions.push_back(Assumption{"constraints.engine_version", "8.0.30 or later",
                                       AssumptionSource::kDefault,
                                       "8.0 without a patch level: assumed a current 8.0 release "
                                       "(innodb_redo_log_capacity exists from 8.0.30)"});
  }
  if (mariadb_ && s.workload.buffer_pool_bytes == 0) {
    a.assumptions.push_back(Assumption{
        "constraints.buffer_pool", FormatHumanBytes(RecoveryBufferPoolBytes(s.workload)),
        AssumptionSource::kDefault,
        "not given; assumed the larger of MariaDB's default innodb_buffer_pool_size (128 MiB) "
        "and the working set: crash recovery applies the redo in batches of a third of it"});
  }
  const engines::TxnCpu cpu = engines::ResolveTxnCpu(s, Cpu(), &a);
  x.tps_needed = s.workload.write_rate_tps;
  x.redo_per_txn = RedoBytesPerTxn(s);
  x.redo_rate = x.redo_per_txn * x.tps_needed;
  x.binlog = x.f.binlog_default_on() || s.replication != Replication::kNone;
  PlanInnodbRedo(s, &x, &a);
  ChooseInnodbCommitMode(s, cpu, &x);
  AddInnodbCommitSettings(s, x, &a);
  AddInnodbLogSettings(s, x, &a);
  AddInnodbCheckpointSettings(s, &x, &a);
  AddInnodbGroupCommit(s, x, &a);
  CompareInnodbThroughput(s, x, &a);
  AddInnodbEstimates(s, x, &a);
  // MySQL cannot be started on these machines (not in Debian): its output is checked by golden
  // tests only, so it gets a little less confidence than MariaDB.
  a.confidence = engines::Confidence(s, x.plan.target_met, mariadb_ ? 0.0 : 0.05);
  // Every setting is checked against the parameter table for the version advised for.
  engines::FinalizeSettings(&a, x.f.v);
  a.config_snippet = engines::ConfigSnippet(
      a,
      fmt::format("{} {} WAL and checkpoint settings ({})", x.f.name(), x.f.v.ToString(),
                  DurabilityName(s.durability)),
      "#", "[mysqld]\n", {&a.wal_config, &a.checkpoint_settings, &a.group_commit_settings},
      MyCnfLine);
  return a;
}

// The expected peak's terms (each batch's page reads under its apply) at any checkpoint age:
// what the model gives for the age a crash really had.
std::optional<double> InnodbAdvisor::ExpectedRecoveryAtAgeS(const Scenario& s,
                                                            double age_bytes) const {
  if (!(age_bytes > 0)) return std::nullopt;
  RedoPlan p;
  SetRecoveryInputs(s, Flavour{mariadb_, s.version}, &p);
  return RecoveryForAge(s, age_bytes, RedoBytesPerTxn(s), p.replay_bytes_per_s, p.startup_s,
                        p.batching, ReadOverlap::kUnderApply)
      .total_s;
}
}  // namespace

const EngineAdvisor& MysqlAdvisorInstance() {
  static const InnodbAdvisor advisor(false);
  return advisor;
}
const EngineAdvisor& MariadbAdvisorInstance() {
  static const InnodbAdvisor advisor(true);
  return advisor;
}

}  // namespace waltune
