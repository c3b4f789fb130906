// PostgreSQL: every PostgreSQL-specific fact and parameter name lives in this file.
//
// Facts used (checked against the PostgreSQL sources and docs):
//  - Checkpoints start when checkpoint_timeout elapses or when the WAL written since the last
//    checkpoint's REDO point reaches max_wal_size / (1 + checkpoint_completion_target)
//    (xlog.c CalculateCheckpointSegments / XLogCheckpointNeeded, PG >= 11).
//  - Crash recovery replays from the REDO point of the last *completed* checkpoint, so with D
//    bytes of WAL per cycle the worst case (crash just before a checkpoint completes) replays
//    (1 + c) * D: one full cycle plus the c-fraction during which the next checkpoint ran.
//  - After replay, crash recovery performs an end-of-recovery checkpoint before accepting
//    connections (xlog.c PerformRecoveryXLogAction: CHECKPOINT_END_OF_RECOVERY | IMMEDIATE).
//  - Before replay, crash recovery opens and fsyncs every file of the data directory, WAL
//    included (xlog.c StartupXLOG -> SyncDataDirectory, recovery_init_sync_method=fsync, the
//    default; "syncfs" from PostgreSQL 14 syncs each file system once instead).
//  - The first change to a page after a checkpoint writes a full-page image
//    (full_page_writes); wal_compression compresses only those images. pglz as `on` from 9.5,
//    lz4/zstd from 15. checkpoint_completion_target default 0.9 from 14 (0.5 before).
//  - synchronous_commit=off can lose at most 3 x wal_writer_delay of commits and never
//    corrupts (https://www.postgresql.org/docs/current/wal-async-commit.html: "the actual
//    maximum duration of the risk window is three times wal_writer_delay because the WAL
//    writer is designed to favor writing whole pages at a time during busy periods";
//    walwriter.c sleeps wal_writer_delay between rounds, XLogBackgroundFlush). commit_delay makes
//    the flushing leader sleep, only when at least commit_siblings other transactions are active
//    (xlog.c XLogFlush); the docs suggest half the single 8 kB flush time as a starting point.
//  - wal_buffers=-1 picks shared_buffers/32, capped at one 16 MB segment.
//  - The checkpointer logs "checkpoints are occurring too frequently (N seconds apart)" for a
//    checkpoint started by WAL volume (CHECKPOINT_CAUSE_XLOG) less than checkpoint_warning
//    (default 30 s, 0 turns it off, reloadable) after the previous one (checkpointer.c
//    CheckpointerMain).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>

#include "common.h"
#include "param_table.h"
#include "waltune/engine.h"
#include "waltune/units.h"

namespace waltune {
namespace {

using engines::AddEstimate;

constexpr double kPageBytes = 8192;
// Heap insert record (XLogRecord 24 + block ref 12 + xl_heap_insert/header ~8 + tuple header 23)
// plus one btree leaf insert (~60 bytes) per row; commit record ~40 bytes.
constexpr double kRowOverheadBytes = 130;
constexpr double kCommitRecordBytes = 40;
// A full-page image with the free-space hole removed, for pages ~80% full.
constexpr double kFpiBytes = 0.8 * kPageBytes;
// Replay speed, *measured here* (docs/wal-model.md, "Checkpoints and recovery"): FPI-heavy WAL ~200
// MB/s; WAL without images ~38 MB/s with a cold cache (Vondra, pgsql-hackers 2020: 38-45 MB/s on
// NVMe).
constexpr double kFpiReplayBytesPerS = 200e6;
// The plain-record rate is the one *inside* shared_buffers: the slowest window measured on a
// VM of this kind with the working set inside the buffers replayed its records at ~43 MB/s
// (docs/verify.md, session 15's 946.8 MB `update` window); others 48-81 MB/s.
constexpr double kRecordReplayBytesPerS = 38e6;
// PostgreSQL's default shared_buffers (16384 buffers of 8 kB), what a request without
// constraints.buffer_pool is taken to run with. Unit: bytes.
constexpr double kDefaultSharedBuffersBytes = 128.0 * kMiB;
// Replay cost of a random page change whose page is not in shared_buffers: the buffer it
// needs evicts a dirty page (a write into the page cache) and the page is read back (a full
// -page image restores the first change after the REDO point without a read; bufmgr.c
// BufferAlloc/FlushBuffer, xlogutils.c XLogReadBufferForRedo). *Measured here* on fresh
// `tpcb` windows at 2-8x the buffers against the same load inside them: the extra replay time
// over the misses as the model counts them (miss share x (page changes - images), two page
// changes per random row: heap and index) is 8.3, 11.7 and 12.2 us on one VM, 7.5 us on
// another (docs/verify.md, "Replay misses priced"). The largest. Unit: us.
constexpr double kReplayMissUs = 12.2;
// What the recovery prefetcher adds to a cold replay, per full-page image of the window.
// PostgreSQL 15 and later run it by default (recovery_prefetch = try; xlogprefetcher.c reads
// ahead in the WAL and asks the kernel to read each referenced block that is not in
// shared_buffers). *Measured here*: the crash copies of three `tpcb` windows (512 MB working
// set, 128 MB of buffers; 115, 230 and 517 MB of WAL) each replayed cold with it on and off,
// medians of three to six replays: it added 1.04, 2.12 and 3.15 s, 20.6, 18.9 and 20.3 us per
// image, where per transaction it varied fourfold (23.8, 10.9 and 5.9 us; docs/verify.md,
// "One 30 s window replayed again and again", session 36). The median, for an expected time.
// One `update` window, replayed the same way, cost 27.2 us per image (session 37, "The
// prefetcher priced per image"): the figure is the workload's too. Unit: us.
constexpr double kReplayPrefetchUsPerImage = 20.3;
// The end-of-recovery checkpoint's write phase per dirty buffer: BufferSync locks each buffer,
// copies it and write()s it into the page cache before the fsyncs that follow. *Measured here*
// from its own log line (write=, buffers) after four cold `tpcb` restarts, 128 MB of buffers,
// 16 094-16 190 buffers each: 0.43-0.46 s, 26.7-28.4 us per buffer, rounded up (a fifth, after:
// 29.3 us; docs/verify.md, "The calibrated path beyond the buffers, and the end-of-recovery
// checkpoint", session 26). Unit: us.
constexpr double kEndCheckpointBufferWriteUs = 28.5;
constexpr double kStartupS = 0.5;
// Files of a new PostgreSQL 15 cluster, counted here: three databases of 298 catalog files, 61
// in global/, ~15 more (pg_xact, pg_multixact, ...). Plus the WAL segments and one file per GiB
// of table data (relations are split in 1 GiB segments); each table and index adds 1-3 more,
// which the request does not tell.
constexpr double kClusterFiles = 970;
constexpr double kWalSegmentBytes = 16.0 * kMiB;
constexpr double kRelationSegmentBytes = 1.0 * kGiB;
constexpr uint64_t kMaxWalSizeUnit = 64 * kMiB;
constexpr double kTimeoutMinS = 300, kTimeoutMaxS = 3600;
// Closest checkpoint spacing waltune recommends (checkpoint_warning's default).
constexpr double kMinIntervalS = 30;

// CPU of the server and the client per transaction and per group flush, *fitted here* on the
// strict group-commit sweep (docs/sweep-group-commit.md, PostgreSQL 15, 2 cores, native flushes):
// measured CPU per commit = statements x kPgStatementCpuUs + kPgFlushCpuUs / commits per WAL
// sync (one-row INSERT: 99 us at 1.00, 69 us at 5.15 commits per sync; tpcb, 7 statements:
// 479 us at 1.07, 458 us at 1.52). A statement is a client round trip (parse, plan, execute,
// two wake-ups); rows beyond one per statement (multi-row statements) are not in the sweep and
// keep the earlier per-row figure. Units: us.
constexpr double kPgStatementCpuUs = 62;
constexpr double kPgFlushCpuUs = 37;
constexpr double kPgExtraRowCpuUs = 30;

double CompressionRatio(const std::string& method) {
  if (method == "lz4") return 0.5;  // assumption: typical OLTP pages
  if (method == "zstd") return 0.4;
  if (method == "on" || method == "pglz") return 0.55;
  return 1.0;
}

// A wal_compression value by the name the server reports (PostgreSQL 15 guc_tables.c
// wal_compression_options: "on" is pglz); nullopt for a name it does not have.
std::optional<std::string> CompressionMethod(const std::string& value) {
  if (value == "on" || value == "pglz") return std::string("pglz");
  if (value == "lz4" || value == "zstd" || value == "off") return value;
  return std::nullopt;
}

// WAL bytes of one full-page image under wal_compression `method`. Measured by verify
// --calibrate (pg_walinspect's image bytes and holes over the measured range): under the
// method they were measured with, their mean size; under another, their page bytes before
// compression (the block less its hole) at the model's ratio for that method. Otherwise the
// model's page ~80% full at that ratio. How well a page compresses is the data's: lz4 made
// verify's `tpcb` images 1 339 bytes in a 180 s fresh window and 2 296 bytes in its 5 s measured
// phase, where the model takes 3 277 (docs/wal-model.md, "Bytes per full-page image").
struct PgImageSize {
  double bytes = 0;
  std::string source;  // where the size came from, for the estimates
};
PgImageSize ImageSizeFor(const Calibration& c, const std::string& method) {
  if (c.fpi_bytes && c.fpi_page_bytes) {
    const bool same_method = CompressionMethod(c.fpi_compression) == CompressionMethod(method);
    // The crash windows' own images, written under the same setting as the phase's: a steady
    // window's pages have free space, a hole the image leaves out (1 142-1 478 bytes against
    // the phase's 2 182-2 298, lz4; docs/verify.md, session 34).
    if (same_method && c.replay_window) {
      return {c.replay_window->fpi_bytes / c.replay_window->fpi_count,
              "measured by verify --calibrate in its crash windows (mean image, " +
                  c.fpi_compression + ")"};
    }
    if (same_method) {
      return {*c.fpi_bytes,
              "measured by verify --calibrate (mean image, " + c.fpi_compression + ")"};
    }
    return {*c.fpi_page_bytes * CompressionRatio(method),
            fmt::format("measured page {:.0f} bytes without its hole x ratio {} for {}",
                        *c.fpi_page_bytes, CompressionRatio(method), method)};
  }
  return {kFpiBytes * CompressionRatio(method),
          fmt::format("model: {:.0f}-byte page without its hole x ratio {} for {}", kFpiBytes,
                      CompressionRatio(method), method)};
}

// The WAL arithmetic of one PostgreSQL scenario at a given commit rate.
class PgWal {
 public:
  // `tps` 0 means the scenario's required write rate; `compression` a wal_compression value.
  PgWal(const Scenario& s, const std::string& compression, double tps = 0)
      : s_(&s), fpi_ratio_(CompressionRatio(compression)) {
    const Workload& w = s.workload;
    // The calibration's records alone: its wal_bytes_per_txn includes the full-page images of
    // its own run, which this class adds for the scenario's interval. Where it read its crash
    // windows back, their records per transaction: a steady cycle's (371-503 bytes where the
    // phase after the load's checkpoint measured 1.17-1.37x that; docs/verify.md, session 34).
    const Calibration& c = s.calibration;
    base_bytes_ = c.replay_window ? c.replay_window->record_bytes / c.replay_window->transactions
                  : c.wal_record_bytes_per_txn
                      ? *c.wal_record_bytes_per_txn
                      : kCommitRecordBytes + w.rows_per_txn * (w.row_bytes + kRowOverheadBytes);
    fpi_.hot_pages = engines::HotPages(w, kPageBytes);
    tps_ = tps > 0 ? tps : w.write_rate_tps;
    // A heap page and an index page per row, on random pages for the random share of writes.
    fpi_.page_changes_per_s = tps_ * w.rows_per_txn * 2 * w.random_page_fraction;
    fpi_.fpi_bytes = ImageSizeFor(s.calibration, compression).bytes;
  }

  double base_bytes_per_txn() const { return base_bytes_; }
  double ImageBytes() const { return fpi_.fpi_bytes; }
  double tps() const { return tps_; }

  double PagesImaged(double interval_s) const {
    FpiInputs in = fpi_;
    in.checkpoint_interval_s = interval_s;
    return PagesImagedPerInterval(in);
  }
  double FpiBytesPerTxnAt(double interval_s) const {
    FpiInputs in = fpi_;
    in.checkpoint_interval_s = interval_s;
    return FpiBytesPerTxn(in, tps_);
  }
  double BytesPerTxnAt(double interval_s) const {
    return base_bytes_ + FpiBytesPerTxnAt(interval_s);
  }
  // WAL written in one checkpoint cycle of `interval_s`.
  double CycleBytes(double interval_s) const {
    return tps_ * interval_s * base_bytes_ + PagesImaged(interval_s) * fpi_.fpi_bytes;
  }
  // Interval at which one cycle writes `cycle_bytes` (inverse of CycleBytes).
  double IntervalForCycleBytes(double cycle_bytes) const {
    return LargestSatisfying(1e-3, 1e7, [&](double t) { return CycleBytes(t) <= cycle_bytes; });
  }

  struct Recovery {
    double wal_bytes = 0;
    // Of wal_bytes: plain records and full-page images (for the bound, the slowest mix).
    double record_bytes = 0;
    double image_bytes = 0;
    bool all_records = false;   // bound: the whole window taken as plain records
    bool images_first = false;  // bound: images the slower kind per WAL byte, filled first
    // Bound: the slowest mix had this share of the stated random page changes (0: the bound
    // over the image share alone, without misses).
    double random_changes_share = 0;
    // Expected: the images whose replay is priced (ImagesBeyondCalibration).
    double priced_images = 0;
    // The images whose recovery-prefetcher cost is added (PrefetchedImages) and that cost,
    // inside replay_s.
    double prefetched_images = 0;
    double prefetch_s = 0;
    double misses = 0;  // random page changes read back into shared_buffers
    double miss_s = 0;  // their replay time, inside replay_s
    double scan_s = 0;  // reading the WAL back from a cold cache
    double replay_s = 0;
    double end_checkpoint_s = 0;
    double startup_s = 0;
    double datadir_files = 0;
    double datadir_sync_s = 0;  // fsync of every file before replay
    double total_s = 0;
    double effective_replay_bytes_per_s = 0;
  };
  // Plain records replayed with their pages in shared_buffers: the calibrated rate (measured
  // with the calibration run's own misses, taken off in ReplayMissFraction), else the model's.
  // The misses are priced apart (ReplayMisses). Where the calibration read its crash windows
  // back, the whole replay it measured is charged to their records (record bytes / redo
  // time), a ceiling on a record byte's cost: the blended rate prices records ~1.5x too fast
  // in a window with fewer images than the calibration's (a 30 s `tpcb` window 28% images
  // replayed at 0.68 of the rate a 10 s one 57% images measured; docs/verify.md, session 34).
  double RecordReplayRate() const {
    const Calibration& c = s_->calibration;
    if (c.replay_window) return c.replay_window->record_bytes / c.replay_window->redo_s;
    return c.replay_bytes_per_s ? *c.replay_bytes_per_s : kRecordReplayBytesPerS;
  }
  bool HasReplayWindow() const { return s_->calibration.replay_window.has_value(); }
  // Whether the scenario's server runs the recovery prefetcher (PostgreSQL 15+, by default),
  // and whether the calibration's measured replay did: the server it was measured on, or the
  // scenario's when the file does not say.
  bool ScenarioPrefetches() const { return s_->version.major >= 15; }
  bool CalibrationPrefetched() const {
    const int major =
        s_->calibration.engine_major > 0 ? s_->calibration.engine_major : s_->version.major;
    return major >= 15;
  }
  // Of the calibration windows' redo time, the prefetcher's: their images at
  // kReplayPrefetchUsPerImage, at most half of it (the three windows split by hand: 0.29-0.46).
  double CalibrationPrefetchS() const {
    const auto& w = s_->calibration.replay_window;
    if (!w || !CalibrationPrefetched()) return 0;
    return std::min(w->fpi_count * kReplayPrefetchUsPerImage / 1e6, w->redo_s / 2);
  }
  // The records' rate for the expected time: the calibration windows' record bytes over their
  // redo time less the prefetcher's part, which the expected time prices per image instead
  // (PrefetchedImages). The bound keeps the whole redo on the records (RecordReplayRate).
  double ExpectedRecordReplayRate() const {
    const auto& w = s_->calibration.replay_window;
    if (!w) return RecordReplayRate();
    return w->record_bytes / (w->redo_s - CalibrationPrefetchS());
  }
  // Of `images` in a window, those whose prefetcher cost the replay pays for beyond what the
  // rates already hold (only with a calibration window; the model's own rates were measured
  // warm, where the prefetcher adds little). With `expected` the records' rate leaves the
  // prefetcher out, so every image not priced at the blended rate (which holds it) pays;
  // otherwise the rates hold it, unless the calibration's server had no prefetcher.
  double PrefetchedImages(double images, double priced_images, bool expected) const {
    if (!HasReplayWindow() || !ScenarioPrefetches()) return 0;
    if (!CalibrationPrefetched()) return images;
    return expected ? std::max(0.0, images - priced_images) : 0;
  }
  // What each of those images pays: the part taken out of the calibration's redo per image
  // (kReplayPrefetchUsPerImage, less where that part was capped at half the redo, so that a
  // window of the calibration's mix is never priced above its whole redo on the records), or,
  // where the calibration's server had no prefetcher, kReplayPrefetchUsPerImage. Unit: s.
  double PrefetchSPerImage() const {
    const auto& w = s_->calibration.replay_window;
    if (w && CalibrationPrefetched()) return CalibrationPrefetchS() / w->fpi_count;
    return kReplayPrefetchUsPerImage / 1e6;
  }
  // Of `images` in a window of `record_bytes` of records, those the replay pays for beyond
  // the record rate: with a calibration window, whose replay the record rate already holds
  // with its images, only the images beyond its count per record byte; else all of them.
  double ImagesBeyondCalibration(double record_bytes, double images) const {
    const auto& w = s_->calibration.replay_window;
    if (!w) return images;
    return std::max(0.0, images - record_bytes * w->fpi_count / w->record_bytes);
  }
  double SharedBuffersBytes() const {
    return s_->workload.buffer_pool_bytes > 0 ? static_cast<double>(s_->workload.buffer_pool_bytes)
                                              : kDefaultSharedBuffersBytes;
  }
  // Share of the random page changes that miss shared_buffers during replay, beyond the share
  // a calibrated rate already holds.
  double ReplayMissFraction() const {
    const double f = CacheMissFraction(SharedBuffersBytes(), WorkingSetBytes());
    return std::max(0.0, f - s_->calibration.replay_buffer_miss_fraction.value_or(0.0));
  }
  double PageChangesPerTxn() const { return tps_ > 0 ? fpi_.page_changes_per_s / tps_ : 0; }
  double WorkingSetBytes() const { return fpi_.hot_pages * kPageBytes; }
  // Buffer misses of a replay window of `txns` transactions whose first changes to `images`
  // pages carry an image: the other random page changes find their page outside
  // shared_buffers at ReplayMissFraction (an image restores its page without a read).
  double ReplayMisses(double txns, double images) const {
    return ReplayMissFraction() * std::max(0.0, txns * PageChangesPerTxn() - images);
  }
  // The same workload with `share` of its random page changes (the description's write
  // pattern is a guess): fewer changes, fewer images, fewer misses.
  PgWal WithRandomChangesScaled(double share) const {
    PgWal w = *this;
    w.fpi_.page_changes_per_s *= share;
    return w;
  }
  // Replay rate per WAL byte of images: an image costs what restoring its uncompressed page
  // costs, so compressed images replay at 200 MB/s x ratio per WAL byte. A calibrated rate is
  // blended: WAL bytes per second of replay over the calibration workload's records and images
  // together, at the compression its pages got (PostgreSQL 15 logs one redo time for both), so
  // no image is taken faster than it. Measured: `tpcb` on 512 MB, lz4 images of ~1 340 bytes,
  // replayed 229.7 MB at 47.1 MB/s (the calibration) and a window 40% images at 48.3 MB/s,
  // where the model's 3 277-byte images would replay at 100 MB/s (docs/verify.md, "The
  // calibrated grid at 512 MB", session 32). Images of a measured size without a measured
  // rate: none faster per image than the model's page (kFpiBytes at 200 MB/s).
  double ImageReplayRate() const {
    const double model = kFpiReplayBytesPerS * fpi_ratio_;
    if (HasCalibratedRate()) return std::min(model, *s_->calibration.replay_bytes_per_s);
    return std::min(model, kFpiReplayBytesPerS * fpi_.fpi_bytes / kFpiBytes);
  }
  bool HasCalibratedRate() const { return s_->calibration.replay_bytes_per_s.has_value(); }
  // The end-of-recovery checkpoint writes the dirty buffers: the pages the replay dirtied, but
  // at most shared_buffers of them, as a dirty page evicted during replay was written then (its
  // cost is in the replay misses) and the checkpoint writes only what is still in the buffers
  // (bufmgr.c BufferSync scans the NBuffers headers). Measured at 128 MB (16 384 buffers) with
  // working sets of 512 MB and 1 GB: 16 091-16 190 buffers written (docs/verify.md, session
  // 26). Its cost: the write phase (kEndCheckpointBufferWriteUs per buffer), the device writing
  // the pages out on the fsyncs (sorted), and two flushes.
  double EndCheckpointS(double pages_dirtied) const {
    const double pages = std::min(pages_dirtied, SharedBuffersBytes() / kPageBytes);
    return pages * kEndCheckpointBufferWriteUs / 1e6 +
           SortedPageWriteSeconds(pages, fpi_.hot_pages, kPageBytes,
                                  s_->storage.seq_write_bytes_per_s,
                                  s_->storage.random_write_iops) +
           2 * s_->storage.flush_p50_us / 1e6;
  }
  double StartupS() const {
    return s_->calibration.restart_overhead_s ? *s_->calibration.restart_overhead_s : kStartupS;
  }
  // Files SyncDataDirectory fsyncs: the cluster's, the WAL segments and the table data's 1 GiB
  // segments. pg_wal holds the replay window plus the segments recycled for the next cycle
  // (xlog.c RemoveOldXlogFiles keeps about one cycle's estimate): at most twice the window,
  // at most max_wal_size.
  double DataDirFiles(double window_bytes, double max_wal_size_bytes) const {
    const double data =
        static_cast<double>(std::max(s_->workload.data_size_bytes, s_->workload.working_set_bytes));
    const double wal = std::min(max_wal_size_bytes, 2 * window_bytes);
    return kClusterFiles + std::ceil(wal / kWalSegmentBytes) +
           std::ceil(data / kRelationSegmentBytes);
  }
  // An fsync of a clean file can cost one device cache flush: measured on one VM 3.1-3.7 ms per
  // clean file against 3.96 ms per 8 KiB write + fdatasync, and 3.6 s before "redo starts" for
  // ~1,020 files at a 4.0 ms flush p50; on another (Linux 6.18) 0.3 s for 996 files at the
  // same flush p50. Where verify or `waltune probe` measured it (StorageSpec::clean_fsync_us)
  // that is the cost, else one flush. A calibrated restart overhead (restart minus redo) already
  // holds it.
  double CleanFsyncUs() const {
    return s_->storage.clean_fsync_us > 0 ? s_->storage.clean_fsync_us : s_->storage.flush_p50_us;
  }
  double DataDirSyncS(double files) const {
    if (s_->calibration.restart_overhead_s) return 0;
    return files * CleanFsyncUs() / 1e6;
  }
  // Expected worst case at the *predicted* image share, for checkpoint interval T and
  // completion target c: replay (1+c)*T of WAL, but never more than max_wal_size: a checkpoint
  // is paced by WAL as well as time (checkpointer.c IsCheckpointOnSchedule), so it completes
  // by the time c x max_wal_size / (1 + c) more WAL has been written.
  // `at_bytes` > 0: the same mix, for a crash that left that much WAL to replay instead.
  // `pricing` kExpected: the records at ExpectedRecordReplayRate and the prefetcher per image;
  // kCeiling (the bound's windows): the records at RecordReplayRate, which holds both.
  enum class Pricing { kExpected, kCeiling };
  Recovery ExpectedFor(double interval_s, double target_c, double max_wal_size_bytes,
                       double at_bytes = 0, Pricing pricing = Pricing::kExpected) const {
    Recovery r;
    const double window_s = (1 + target_c) * interval_s;
    const double images = PagesImaged(interval_s) + PagesImaged(target_c * interval_s);
    const double total = tps_ * window_s * base_bytes_ + images * fpi_.fpi_bytes;
    const double scale = at_bytes > 0                 ? at_bytes / total
                         : total > max_wal_size_bytes ? max_wal_size_bytes / total
                                                      : 1;
    r.record_bytes = tps_ * window_s * base_bytes_ * scale;
    r.image_bytes = images * fpi_.fpi_bytes * scale;
    r.wal_bytes = r.record_bytes + r.image_bytes;
    r.misses = ReplayMisses(tps_ * window_s * scale, images * scale);
    r.miss_s = r.misses * kReplayMissUs / 1e6;
    r.priced_images = ImagesBeyondCalibration(r.record_bytes, images * scale);
    const bool expected = pricing == Pricing::kExpected;
    r.prefetched_images = PrefetchedImages(images * scale, r.priced_images, expected);
    r.prefetch_s = r.prefetched_images * PrefetchSPerImage();
    r.replay_s = r.record_bytes / (expected ? ExpectedRecordReplayRate() : RecordReplayRate()) +
                 r.priced_images * fpi_.fpi_bytes / ImageReplayRate() + r.prefetch_s + r.miss_s;
    Finish(PagesImaged(window_s), max_wal_size_bytes, &r);
    return r;
  }
  // Bound for a configuration, whatever share of the WAL turns out to be images: checkpoints
  // start after max_wal_size / (1 + c), so the window from the previous REDO point holds at
  // most max_wal_size; of it at most tps x (1+c) x checkpoint_timeout x base bytes are plain
  // records, and images are at most two per hot page (one per cycle the window spans). The
  // slowest mix (BoundReplayOverImageShare) is as much of the slower kind per WAL byte as
  // possible: plain records at the model's rates; images where a calibrated (blended) rate is
  // faster than the image rate.
  Recovery BoundFor(double max_wal_size_bytes, double timeout_s, double target_c) const {
    Recovery r;
    const double max_record_bytes = tps_ * (1 + target_c) * timeout_s * base_bytes_;
    const double max_image_bytes = 2 * fpi_.hot_pages * fpi_.fpi_bytes;
    const double window = std::min(max_wal_size_bytes, max_record_bytes + max_image_bytes);
    const ReplayBound b = BoundReplayOverImageShare(window, max_record_bytes, max_image_bytes,
                                                    RecordReplayRate(), ImageReplayRate());
    r.wal_bytes = window;
    r.record_bytes = b.record_bytes;
    r.image_bytes = b.image_bytes;
    r.all_records = b.all_records;
    r.images_first = b.images_first;
    r.prefetched_images = PrefetchedImages(b.image_bytes / fpi_.fpi_bytes, 0, false);
    r.prefetch_s = r.prefetched_images * PrefetchSPerImage();
    r.replay_s = b.seconds + r.prefetch_s;
    // Pages the window dirtied: at most the hot set, at most the changes of (1+c) intervals.
    const double interval =
        std::min(timeout_s, IntervalForCycleBytes(max_wal_size_bytes / (1 + target_c)));
    if (ReplayMissFraction() > 0) SlowestWithMisses(max_wal_size_bytes, timeout_s, target_c, &r);
    Finish(DistinctPagesBound(fpi_.hot_pages, fpi_.page_changes_per_s * (1 + target_c) * interval),
           max_wal_size_bytes, &r);
    return r;
  }

 private:
  // Misses come with random page changes, and so do images: the window the bound over the image
  // share fills with plain records has no random changes, hence no misses. A window with them
  // holds the images their first changes carry, which fill max_wal_size sooner. So the bound
  // also takes, over shares of the stated random page changes (1, 2^-1/2, ..., 2^-20), the
  // crash just before a checkpoint completes at the spacing that share gives (max_wal_size or
  // checkpoint_timeout), with its misses, and keeps the slowest replay.
  void SlowestWithMisses(double max_wal_size_bytes, double timeout_s, double target_c,
                         Recovery* r) const {
    for (int step = 0; step <= 40; ++step) {
      const double share = std::pow(2.0, -step / 2.0);
      const PgWal w = WithRandomChangesScaled(share);
      const double interval =
          std::min(timeout_s, w.IntervalForCycleBytes(max_wal_size_bytes / (1 + target_c)));
      const Recovery e =
          w.ExpectedFor(interval, target_c, max_wal_size_bytes, 0, Pricing::kCeiling);
      if (e.replay_s <= r->replay_s) continue;
      r->wal_bytes = e.wal_bytes;
      r->record_bytes = e.record_bytes;
      r->image_bytes = e.image_bytes;
      r->all_records = false;
      r->images_first = false;
      r->random_changes_share = share;
      r->misses = e.misses;
      r->miss_s = e.miss_s;
      r->prefetched_images = e.prefetched_images;
      r->prefetch_s = e.prefetch_s;
      r->replay_s = e.replay_s;
    }
  }

  // Adds the cold WAL scan, the end-of-recovery checkpoint and start-up. Data pages are not
  // read from the device: with full_page_writes=on (never turned off by waltune) the first
  // record for each page after the REDO point carries its image (xlogrecovery.c /
  // XLogReadBufferForRedo restores it without reading the page); pages evicted during replay
  // are read back from the page cache, the misses in replay_s.
  void Finish(double pages_dirtied, double max_wal_size_bytes, Recovery* r) const {
    ColdRecoveryInputs in;
    in.log_bytes = r->wal_bytes;
    in.seq_read_bytes_per_s = s_->storage.seq_read_bytes_per_s;
    in.apply_s = r->replay_s;
    const ColdRecoveryTerms t = ColdRecovery(in);
    r->scan_s = t.scan_s;
    r->end_checkpoint_s = EndCheckpointS(pages_dirtied);
    r->startup_s = StartupS();
    r->datadir_files = DataDirFiles(r->wal_bytes, max_wal_size_bytes);
    r->datadir_sync_s = DataDirSyncS(r->datadir_files);
    r->total_s = r->startup_s + r->datadir_sync_s + t.total_s + r->end_checkpoint_s;
    r->effective_replay_bytes_per_s =
        r->replay_s > 0 ? r->wal_bytes / r->replay_s : RecordReplayRate();
  }

  const Scenario* s_;
  double fpi_ratio_;
  double base_bytes_ = 0;
  double tps_ = 0;
  FpiInputs fpi_;
};

double RecordReplayMBps(const PgWal& wal) { return wal.RecordReplayRate() / 1e6; }

// The data-directory sync of the rationale; where it takes a second or more, the faster method
// of PostgreSQL 14+ (syncfs(2) per file system; Linux reports its write errors from 5.8 on).
std::string DataDirSyncText(const Scenario& s, const PgWal::Recovery& r) {
  if (s.calibration.restart_overhead_s) return "the data-directory sync inside it";
  std::string text =
      fmt::format("{:.1f} s syncing the data directory first (~{:.0f} files, {})", r.datadir_sync_s,
                  r.datadir_files,
                  s.storage.clean_fsync_us > 0
                      ? fmt::format("{:.0f} us each as measured", s.storage.clean_fsync_us)
                      : std::string("one device flush each"));
  if (s.version.major >= 14 && r.datadir_sync_s >= 1.0) {
    text +=
        ", which recovery_init_sync_method=syncfs would make one sync per file system (Linux "
        "5.8+; it also flushes other programs' files there),";
  }
  return text;
}

struct PgAnalysis;  // the numbers the steps of PostgresAdvisor::Advise share (below)

class PostgresAdvisor : public EngineAdvisor {
 public:
  EngineVersion DefaultVersion() const override { return {17, 0, 0}; }

  Status CheckVersion(const EngineVersion& v, std::vector<std::string>* warnings) const override {
    if (v.major < 12) {
      return Status::InvalidArgument("", "PostgreSQL " + v.ToString() +
                                             " is not modelled (end of life); waltune covers "
                                             "PostgreSQL 12 to 17");
    }
    if (v.major > 17) {
      warnings->push_back("PostgreSQL " + v.ToString() +
                          " is newer than the versions waltune models (12-17); advice uses "
                          "PostgreSQL 17's behaviour, check the release notes for WAL changes");
    }
    return Status::Ok();
  }

  CpuCosts Cpu() const override {
    CpuCosts c;
    c.per_statement_us = kPgStatementCpuUs;
    c.per_extra_row_us = kPgExtraRowCpuUs;
    c.per_flush_us = kPgFlushCpuUs;
    return c;
  }

  Status CheckImageCalibration(const Calibration& c, const std::string& where) const override {
    // The largest block PostgreSQL builds with is 32 kB (configure --with-blocksize; BLCKSZ in
    // pg_config.h), and an image is never stored larger than its page: XLogCompressBackupBlock
    // in xloginsert.c keeps the compressed copy only when it is shorter than the page.
    constexpr double kMaxBlockBytes = 32768;
    if (c.replay_window &&
        c.replay_window->fpi_bytes > kMaxBlockBytes * c.replay_window->fpi_count) {
      return Status::InvalidArgument(where + ".replay_window_fpi_bytes",
                                     "must be at most 32768 bytes per image of "
                                     "replay_window_fpi_count (PostgreSQL's largest block)");
    }
    if (!c.fpi_bytes && !c.fpi_page_bytes) return Status::Ok();
    for (const auto& [name, value] :
         {std::pair<const char*, std::optional<double>>{"fpi_bytes", c.fpi_bytes},
          {"fpi_page_bytes", c.fpi_page_bytes}}) {
      if (value && *value > kMaxBlockBytes) {
        return Status::InvalidArgument(where + "." + name,
                                       "must be at most 32768 bytes (PostgreSQL's largest block)");
      }
    }
    if (c.fpi_bytes && c.fpi_page_bytes && *c.fpi_bytes > *c.fpi_page_bytes) {
      return Status::InvalidArgument(where + ".fpi_bytes",
                                     "must not exceed fpi_page_bytes (an image is never stored "
                                     "larger than its page)");
    }
    if (!CompressionMethod(c.fpi_compression)) {
      return Status::InvalidArgument(where + ".fpi_compression",
                                     "must be the wal_compression the images were measured with "
                                     "(pglz, lz4, zstd, on or off)");
    }
    return Status::Ok();
  }

  Advice Advise(const Scenario& s) const override;
  std::optional<double> ExpectedRecoveryAtAgeS(const Scenario& s,
                                               double distance_bytes) const override;

 private:
  void Analyse(const Scenario& s, Advice* a, PgAnalysis* x) const;
};

struct PgPlan {
  std::string compression = "off";  // wal_compression value
  double target_c = 0.9;
  uint64_t max_wal_size_bytes = 0;
  double timeout_s = 0;
  double interval_s = 0;  // expected checkpoint spacing at the write rate
  bool target_met = true;
  // Closer than kMinIntervalS: no spacing of 30 s or more met the target, and the
  // configuration still carries the required rate at this one (PlanCheckpoints).
  bool closer_than_usual = false;
};

std::string CompressionFor(const EngineVersion& v) { return v.major >= 15 ? "lz4" : "on"; }

// The configuration for a target spacing t: max_wal_size holds (1 + c) cycles of t, and
// checkpoint_timeout is t rounded down (never below 5 min: below that max_wal_size triggers).
// Beyond the longest checkpoint_timeout waltune sets (1 h) the checkpoints come by time, so
// max_wal_size holds the cycles of that: more would only let a burst above the rate write WAL
// that crash recovery then replays (an answer once said 224GB).
struct PgConfig {
  uint64_t max_wal_size_bytes = 0;
  double timeout_s = 0;
};
PgConfig ConfigForSpacing(const PgWal& wal, double t, double target_c) {
  PgConfig c;
  c.max_wal_size_bytes =
      FloorToNiceBytes(wal.CycleBytes(std::min(t, kTimeoutMaxS)) * (1 + target_c), kMaxWalSizeUnit);
  c.timeout_s = t >= kTimeoutMinS ? std::min(FloorToNiceSeconds(t), kTimeoutMaxS) : kTimeoutMinS;
  return c;
}

// Checkpoint spacing at the write rate for a configuration: by time or by WAL volume.
double IntervalForConfig(const PgWal& wal, const PgConfig& c, double target_c) {
  return std::min(c.timeout_s, wal.IntervalForCycleBytes(static_cast<double>(c.max_wal_size_bytes) /
                                                         (1 + target_c)));
}

// Highest commit rate at which the checkpointer can write each interval's dirty pages within
// c x interval, for a given max_wal_size and checkpoint_timeout.
double PgPageWriteCeilingTps(const Scenario& s, const std::string& compression,
                             double max_wal_size_bytes, double timeout_s, double target_c) {
  const double hot = engines::HotPages(s.workload, kPageBytes);
  auto keeps_up = [&](double tps) {
    PgWal w(s, compression, tps);
    const double interval =
        std::min(timeout_s, w.IntervalForCycleBytes(max_wal_size_bytes / (1 + target_c)));
    const double write_s =
        SortedPageWriteSeconds(w.PagesImaged(interval), hot, kPageBytes,
                               s.storage.seq_write_bytes_per_s, s.storage.random_write_iops);
    return write_s <= target_c * interval;
  };
  return LargestSatisfying(1, 1e7, keeps_up, 1e-3);
}

// Closest spacing the search below kMinIntervalS goes to: 5 s, or as close as PostgreSQL's
// defaults checkpoint at the rate (never below 1 s). Below a few seconds the fixed work of
// every checkpoint (flushing the SLRU buffers, fsyncing each file it wrote, the checkpoint
// record) is not small against the interval, and the model has no term for it; but an answer
// that stops short of where the defaults already are could miss a target the defaults meet.
constexpr double kClosestIntervalS = 5;
constexpr double kClosestEverIntervalS = 1;

// PostgreSQL's defaults: checkpoint_timeout 5min, max_wal_size 1GB, no wal_compression, and
// checkpoint_completion_target 0.9 from 14 (0.5 before).
double PgDefaultCompletionTarget(const EngineVersion& v) { return v.major >= 14 ? 0.9 : 0.5; }
double PgDefaultsIntervalS(const PgWal& uncompressed, double default_c) {
  return std::min(300.0, uncompressed.IntervalForCycleBytes(1.0 * kGiB / (1 + default_c)));
}

// What the configuration for spacing t is predicted to carry: the commit path at that
// spacing's WAL per transaction (flushing each commit for strict; without waiting for the
// flush otherwise, the most a standard answer can choose), capped by the checkpointer's
// page-write ceiling. Never above what the answer then predicts for the configuration:
// ChooseCommitMode adds commit_delay only where it gains, and a standard answer flushes each
// commit only with headroom over the rate.
double PgTpsAtSpacing(const Scenario& s, const GroupCommitParams& p, const PgWal& wal,
                      const std::string& compression, double t, double target_c) {
  const PgConfig c = ConfigForSpacing(wal, t, target_c);
  ThroughputEstimate est =
      engines::CommitThroughput(s, p, s.durability == Durability::kStrict,
                                wal.BytesPerTxnAt(IntervalForConfig(wal, c, target_c)));
  engines::ApplyPageWriteCeiling(
      &est, PgPageWriteCeilingTps(s, compression, static_cast<double>(c.max_wal_size_bytes),
                                  c.timeout_s, target_c));
  return est.tps;
}

// Largest checkpoint spacing whose worst-case recovery *bound* (whatever share of the WAL is
// full-page images, PgWal::BoundFor) stays within the target. The bound only grows with
// max_wal_size and checkpoint_timeout, which only grow with the spacing, so bisection applies.
// Spacings of 30 s or more first (checkpoint_warning's default: closer checkpoints multiply
// the full-page images). When none meets the target, closer ones, down to the closest whose
// configuration still carries the required rate (PgTpsAtSpacing, which only falls as the
// spacing closes): the defaults may checkpoint every few seconds at a high rate and meet a
// target no 30 s spacing can. Both stay monotone: a larger target never gets a closer spacing,
// and a lower rate can go at least as close as a higher one.
PgPlan PlanCheckpoints(const Scenario& s, const std::string& compression,
                       const GroupCommitParams& p, std::vector<std::string>* warnings) {
  PgPlan plan;
  plan.compression = compression;
  PgWal wal(s, compression);
  auto bound_at = [&](double t) {
    const PgConfig c = ConfigForSpacing(wal, t, plan.target_c);
    return wal.BoundFor(static_cast<double>(c.max_wal_size_bytes), c.timeout_s, plan.target_c);
  };
  auto meets = [&](double t) { return bound_at(t).total_s <= s.recovery_target_s; };
  double t_max = LargestSatisfying(kMinIntervalS, 7 * 86400.0, meets);
  double closest = kMinIntervalS;
  std::string why_no_closer;
  if (!meets(t_max)) {
    auto carries = [&](double t) {
      return PgTpsAtSpacing(s, p, wal, compression, t, plan.target_c) >= s.workload.write_rate_tps;
    };
    if (carries(kMinIntervalS)) {
      const double defaults_s =
          PgDefaultsIntervalS(PgWal(s, "off"), PgDefaultCompletionTarget(s.version));
      const double floor_s = std::clamp(defaults_s, kClosestEverIntervalS, kClosestIntervalS);
      closest = SmallestSatisfying(floor_s, kMinIntervalS, carries);
      t_max = meets(closest) ? LargestSatisfying(closest, kMinIntervalS, meets) : closest;
      plan.closer_than_usual = t_max < kMinIntervalS;
      why_no_closer =
          closest > floor_s
              ? fmt::format(
                    "closer ones would no longer carry {}: more full-page images and "
                    "checkpoint writes",
                    FormatTps(s.workload.write_rate_tps))
              : fmt::format(
                    "waltune spaces them no closer than {}: the fixed work of each checkpoint "
                    "is not modelled",
                    floor_s < kClosestIntervalS
                        ? fmt::format("PostgreSQL's defaults already do at this rate ({:.1f} s)",
                                      floor_s)
                        : fmt::format("{:.0f} s", floor_s));
    } else {
      why_no_closer = fmt::format(
          "waltune spaces them no closer: at 30 s the configuration is already predicted below "
          "{}, and closer checkpoints add full-page images and checkpoint writes",
          FormatTps(s.workload.write_rate_tps));
    }
  }
  if (!meets(t_max)) {
    plan.target_met = false;
    const PgWal::Recovery r = bound_at(t_max);
    warnings->push_back(fmt::format(
        "the recovery target of {:.0f} s cannot be met at {} on this storage: even with "
        "checkpoints every {:.0f} s ({}), start-up ({:.1f} s) + syncing the data directory "
        "({:.1f} s) + reading the WAL ({:.1f} s) + replay ({:.1f} s) + the end-of-recovery "
        "checkpoint ({:.1f} s) can take {:.1f} s. Faster storage (random writes), a smaller "
        "working set{}, or a longer target is needed",
        s.recovery_target_s, FormatTps(s.workload.write_rate_tps), closest, why_no_closer,
        r.startup_s, r.datadir_sync_s, r.scan_s, r.replay_s, r.end_checkpoint_s, r.total_s,
        r.miss_s > 0 ? fmt::format(" or shared_buffers closer to it (of the replay, {:.1f} s "
                                   "reads back pages outside the buffers)",
                                   r.miss_s)
                     : ""));
  }
  const PgConfig c = ConfigForSpacing(wal, t_max, plan.target_c);
  plan.max_wal_size_bytes = c.max_wal_size_bytes;
  plan.timeout_s = c.timeout_s;
  plan.interval_s = IntervalForConfig(wal, c, plan.target_c);
  return plan;
}

std::string SyncMethodFor(const StorageSpec& st) {
  const std::string& m = st.recommended_sync_method;
  if (m == "open_datasync_direct") return "open_datasync";
  if (m == "fdatasync" || m == "fsync" || m == "open_datasync" || m == "open_sync") return m;
  return "";
}

// The numbers the steps of PostgresAdvisor::Advise share, in the order the steps fill them.
struct PgAnalysis {
  explicit PgAnalysis(const Scenario& s) : raw_wal(s, "off"), wal(s, "off"), base_wal(s, "off") {}
  double tps_needed = 0;
  GroupCommitParams p;  // the commit path, without commit_delay
  // PlanPgCheckpoints: the spacing, and the recovery it allows.
  PgPlan plan;
  PgWal raw_wal;                 // no compression
  PgWal wal;                     // the recommended compression
  PgWal::Recovery rec;           // the bound
  PgWal::Recovery expected_rec;  // at the predicted image share
  double wal_per_txn = 0;
  // PgBaseline: PostgreSQL's defaults on the same storage and workload.
  PgWal base_wal;
  double base_interval = 0;
  double base_wal_per_txn = 0;
  PgWal::Recovery base_rec;
  ThroughputEstimate base_t;
  double page_write_ceiling_tps = 0;  // of the recommended checkpoint settings
  // ChoosePgCommitMode.
  engines::CommitMode mode;
};

// Checkpoint spacing, first without compression; compress images when they matter.
void PlanPgCheckpoints(const Scenario& s, PgAnalysis* x, Advice* a) {
  std::vector<std::string> plan_warnings;
  PgPlan plan = PlanCheckpoints(s, "off", x->p, &plan_warnings);
  const double raw_fpi_share =
      x->raw_wal.FpiBytesPerTxnAt(plan.interval_s) / x->raw_wal.BytesPerTxnAt(plan.interval_s);
  if (raw_fpi_share > 0.10) {
    plan_warnings.clear();
    plan = PlanCheckpoints(s, CompressionFor(s.version), x->p, &plan_warnings);
  }
  a->warnings.insert(a->warnings.end(), plan_warnings.begin(), plan_warnings.end());
  x->plan = plan;
  x->wal = PgWal(s, plan.compression);
  x->rec =
      x->wal.BoundFor(static_cast<double>(plan.max_wal_size_bytes), plan.timeout_s, plan.target_c);
  x->expected_rec = x->wal.ExpectedFor(plan.interval_s, plan.target_c,
                                       static_cast<double>(plan.max_wal_size_bytes));
  x->wal_per_txn = x->wal.BytesPerTxnAt(plan.interval_s);
}

// PostgreSQL's defaults (checkpoint_timeout 5min, max_wal_size 1GB, no compression) on the same
// storage and workload, and the page-write ceiling of the recommended checkpoints.
void PgBaseline(const Scenario& s, PgAnalysis* x) {
  const double base_c = PgDefaultCompletionTarget(s.version);
  x->base_interval = PgDefaultsIntervalS(x->base_wal, base_c);
  x->base_wal_per_txn = x->base_wal.BytesPerTxnAt(x->base_interval);
  x->base_rec = x->base_wal.BoundFor(1.0 * kGiB, 300, base_c);
  x->base_t = engines::CommitThroughput(s, x->p, true, x->base_wal_per_txn);
  engines::ApplyPageWriteCeiling(&x->base_t,
                                 PgPageWriteCeilingTps(s, "off", 1.0 * kGiB, 300, base_c));
  x->page_write_ceiling_tps =
      PgPageWriteCeilingTps(s, x->plan.compression, static_cast<double>(x->plan.max_wal_size_bytes),
                            x->plan.timeout_s, x->plan.target_c);
}

// Where in its CPU phase a transaction gets its transaction id, the point from which
// commit_siblings counts it (MinimumActiveBackends in procarray.c counts backends with an xid;
// the xid is assigned at the first write, GetCurrentTransactionId from heap_insert/heap_update,
// and cleared by ProcArrayEndTransaction right after the commit's flush, xact.c). One statement
// (autocommit): halfway, after parse and plan. Several: BEGIN first, then the first write
// statement halfway: (1 + 0.5) / S. An estimate from the code path, not fitted.
double XidFromCpuFraction(const Workload& w) {
  const int statements = engines::StatementsPerTxn(w);
  return statements == 1 ? 0.5 : 1.5 / statements;
}

// Commit mode per durability level; commit_delay (half a flush, commit_siblings 5) is tried
// only with more clients than commit_siblings and kept only where the simulation shows it helps.
// The simulation applies commit_siblings as PostgreSQL does, when the leader takes the flush:
// right after a flush that covered every waiter few others hold an xid, so that leader flushes
// without the delay.
void ChoosePgCommitMode(const Scenario& s, PgAnalysis* x) {
  GroupCommitParams delayed = x->p;
  delayed.leader_delay_us = engines::HalfFlushDelayUs(s);
  delayed.delay_min_siblings = 5;
  delayed.active_from_cpu_fraction = XidFromCpuFraction(s.workload);
  const bool try_delay = s.workload.concurrency > delayed.delay_min_siblings;
  x->mode = engines::ChooseCommitMode(s, x->p, try_delay ? &delayed : nullptr, x->wal_per_txn,
                                      x->page_write_ceiling_tps);
}

// wal_level, fsync, full_page_writes, synchronous_commit, WAL sizes and sync method.
void AddPgWalSettings(const Scenario& s, const PgAnalysis& x, Advice* a) {
  const double wal_writer_delay_ms = 200;
  a->wal_config.push_back(Setting::Text(
      "wal_level", s.replication == Replication::kLogical ? "logical" : "replica",
      s.replication == Replication::kLogical
          ? "logical decoding needs wal_level=logical"
          : "the default; keeps base backups and physical replicas possible (minimal saves little "
            "WAL for small transactions)"));
  a->wal_config.push_back(
      Setting::Text("fsync", "on", "never off: a crash could corrupt the cluster"));
  a->wal_config.push_back(Setting::Text(
      "full_page_writes", "on",
      s.storage.atomic_page_writes
          ? "kept on: the storage claims atomic 8 kB writes, but turning this off is only safe "
            "when that is proven for the whole I/O stack"
          : "required: 8 kB pages can be torn on this storage"));
  if (x.mode.flush_each_commit) {
    a->wal_config.push_back(Setting::Text(
        "synchronous_commit", "on",
        s.durability == Durability::kStrict
            ? "strict: a commit returns only after its WAL is flushed"
            : fmt::format("standard, but the flushed commit already sustains {} ({} of the "
                          "required {}), so no acknowledged commit needs to be at risk",
                          FormatTps(x.mode.sync_t.tps),
                          engines::Ratio(x.mode.sync_t.tps / x.tps_needed),
                          FormatTps(x.tps_needed))));
    engines::SetNoLossWindow(a);
  } else {
    a->wal_config.push_back(Setting::Text(
        "synchronous_commit", "off",
        s.durability == Durability::kRelaxed
            ? "relaxed: commits return before the flush; a crash loses at most the last "
              "3 x wal_writer_delay of commits and never corrupts data"
            : fmt::format("standard: flushing every commit sustains only {} against the required "
                          "{}; asynchronous commit bounds the loss to 3 x wal_writer_delay",
                          FormatTps(x.mode.sync_t.tps), FormatTps(x.tps_needed))));
    a->wal_config.push_back(Setting::Text("wal_writer_delay", "200ms",
                                          "WAL writer flushes every 200 ms: the loss window is "
                                          "at most 3 x 200 ms"));
    a->loss_window_ms = 3 * wal_writer_delay_ms;
    a->loss_window = fmt::format(
        "at most {:.0f} ms of acknowledged commits (3 x wal_writer_delay {:.0f} ms: the WAL "
        "writer favours whole pages when busy, PostgreSQL docs 'Asynchronous Commit') on a crash "
        "of the server, OS or power; the database stays consistent",
        3 * wal_writer_delay_ms, wal_writer_delay_ms);
  }
  a->wal_config.push_back(Setting::Text(
      "wal_buffers", "16MB",
      "what -1 picks for shared_buffers >= 512MB; with the 128MB default shared_buffers -1 "
      "gives only 4MB. Raise further only if pg_stat_wal.wal_buffers_full keeps climbing"));
  if (x.plan.compression != "off") {
    a->wal_config.push_back(Setting::Text(
        "wal_compression", x.plan.compression,
        fmt::format("full-page images are {:.0f}% of the WAL at this checkpoint spacing; "
                    "compressing them ({}) costs a little CPU per image and cuts WAL volume",
                    100 * x.raw_wal.FpiBytesPerTxnAt(x.plan.interval_s) /
                        x.raw_wal.BytesPerTxnAt(x.plan.interval_s),
                    s.version.major >= 15 ? "lz4, available from PostgreSQL 15" : "pglz")));
  } else {
    a->wal_config.push_back(Setting::Text(
        "wal_compression", "off",
        "full-page images are under 10% of the WAL at this checkpoint spacing; compression "
        "would cost CPU for little gain"));
  }
  a->wal_config.push_back(Setting::Text("max_wal_size", FormatPgBytes(x.plan.max_wal_size_bytes),
                                        "sized from the recovery target; see checkpoint_strategy"));
  const uint64_t min_wal =
      std::max<uint64_t>(80 * kMiB, FloorToNiceBytes(x.plan.max_wal_size_bytes / 4.0, 16 * kMiB));
  a->wal_config.push_back(Setting::Text(
      "min_wal_size", FormatPgBytes(std::min(min_wal, x.plan.max_wal_size_bytes)),
      "keeps a quarter of max_wal_size of segments for recycling instead of creating new files"));
  const std::string sync_method = SyncMethodFor(s.storage);
  if (!sync_method.empty()) {
    a->wal_config.push_back(
        Setting::Text("wal_sync_method", sync_method,
                      "fastest safe method measured by `waltune probe` on " + s.storage.source));
  }
}

// How the bound took the window's mix of plain records and images (the rationale's words).
std::string PgBoundHow(const PgAnalysis& x) {
  return x.rec.random_changes_share > 0
             ? fmt::format(
                   "bounded over the unknown share of random page changes, the slowest at {:.0f}% "
                   "of the described ones: {} of plain records at ~{:.0f} MB/s, {} of images at "
                   "~{:.0f} MB/s and the pages read back into shared_buffers (below)",
                   100 * x.rec.random_changes_share, FormatHumanBytes(x.rec.record_bytes),
                   RecordReplayMBps(x.wal), FormatHumanBytes(x.rec.image_bytes),
                   x.wal.ImageReplayRate() / 1e6)
         : x.wal.HasReplayWindow()
             ? fmt::format(
                   "bounded over the unknown image share with the calibration's whole replay "
                   "charged to its records: {} of plain records at ~{:.1f} MB/s (its windows' "
                   "record bytes / redo time){}",
                   FormatHumanBytes(x.rec.record_bytes), RecordReplayMBps(x.wal),
                   x.rec.all_records ? std::string(", the whole window, whatever share "
                                                   "turns out to be images")
                                     : fmt::format(", the remaining {} as images at the blended "
                                                   "~{:.0f} MB/s",
                                                   FormatHumanBytes(x.rec.image_bytes),
                                                   x.wal.ImageReplayRate() / 1e6))
         : x.wal.HasCalibratedRate() && !x.rec.all_records &&
                 x.wal.ImageReplayRate() >= x.wal.RecordReplayRate()
             ? fmt::format(
                   "bounded at the calibrated ~{:.0f} MB/s for every byte, {} of plain records "
                   "and {} of images alike: the rate is blended over the calibration run's records "
                   "and images, so no image share replays faster",
                   x.wal.ImageReplayRate() / 1e6, FormatHumanBytes(x.rec.record_bytes),
                   FormatHumanBytes(x.rec.image_bytes))
         : x.rec.images_first
             ? fmt::format(
                   "bounded over the unknown image share: images replay slower per byte of WAL "
                   "(~{:.0f} MB/s) than the records' ~{:.0f} MB/s, so at most {} of images (two "
                   "per page of the working set) and the remaining {} as plain records",
                   x.wal.ImageReplayRate() / 1e6, RecordReplayMBps(x.wal),
                   FormatHumanBytes(x.rec.image_bytes), FormatHumanBytes(x.rec.record_bytes))
         : x.rec.all_records
             ? fmt::format(
                   "bounded as if all {} were plain records, replayed at the slower "
                   "~{:.0f} MB/s (cold cache), whatever share turns out to be full-page "
                   "images",
                   FormatHumanBytes(x.rec.wal_bytes), RecordReplayMBps(x.wal))
             : fmt::format(
                   "bounded over the unknown image share: at most {} of plain records "
                   "(what {} writes in (1 + {:.1f}) x checkpoint_timeout) at ~{:.0f} MB/s, "
                   "the remaining {} as images at ~{:.0f} MB/s",
                   FormatHumanBytes(x.rec.record_bytes), FormatTps(x.tps_needed), x.plan.target_c,
                   RecordReplayMBps(x.wal), FormatHumanBytes(x.rec.image_bytes),
                   x.wal.ImageReplayRate() / 1e6);
}

// checkpoint_timeout and completion target, the recovery bound and its rationale.
void AddPgCheckpointSettings(const Scenario& s, const PgAnalysis& x, Advice* a) {
  a->checkpoint_settings.push_back(Setting::Text(
      "checkpoint_timeout", FormatPgDuration(x.plan.timeout_s),
      x.plan.target_met
          ? fmt::format("at {} a checkpoint every {:.0f} s keeps worst-case recovery within the "
                        "target",
                        FormatTps(x.tps_needed), x.plan.interval_s)
          : fmt::format("at {} checkpoints come every {:.0f} s (triggered by max_wal_size); the "
                        "target cannot be met, see warnings",
                        FormatTps(x.tps_needed), x.plan.interval_s)));
  a->checkpoint_settings.push_back(Setting::Number(
      "checkpoint_completion_target", x.plan.target_c,
      "spread checkpoint writes over 90% of the interval (default from PostgreSQL 14)"));
  Setting trigger = Setting::Text(
      "max_wal_size_trigger", FormatPgBytes(x.plan.max_wal_size_bytes),
      fmt::format("a checkpoint starts after max_wal_size / (1 + {:.1f}) = {} of WAL",
                  x.plan.target_c,
                  FormatHumanBytes(x.plan.max_wal_size_bytes / (1 + x.plan.target_c))));
  trigger.informational = true;
  a->checkpoint_settings.push_back(trigger);
  a->estimated_recovery_time_s = std::round(x.rec.total_s * 10) / 10;
  const std::string bound_how = PgBoundHow(x);
  a->checkpoint_rationale = fmt::format(
      "Worst case is a crash just before a checkpoint completes: replay starts at the previous "
      "checkpoint's REDO point, so up to max_wal_size = {} of WAL is replayed, {} ({:.1f} s), "
      "plus {:.1f} s reading the WAL back from a cold cache, {:.1f} s start-up, {} and {:.1f} s "
      "for the end-of-recovery checkpoint: {:.1f} s against a target of {:.0f} s (at the predicted "
      "{:.0f}% image share it would be {:.1f} s). {}; longer spacing means fewer full-page "
      "images ({:.0f} bytes/txn now vs {:.0f} with the defaults) and smoother I/O.",
      FormatHumanBytes(x.rec.wal_bytes), bound_how, x.rec.replay_s, x.rec.scan_s, x.rec.startup_s,
      DataDirSyncText(s, x.rec), x.rec.end_checkpoint_s, x.rec.total_s, s.recovery_target_s,
      100 * x.expected_rec.image_bytes / std::max(1.0, x.expected_rec.wal_bytes),
      x.expected_rec.total_s,
      !x.plan.target_met ? "The target cannot be met (see warnings); this is the closest spacing "
                           "waltune recommends"
      : x.plan.closer_than_usual
          ? "This is the largest spacing that meets the target; no spacing of 30 s or more does, "
            "and at this one the configuration is still predicted to carry the required rate"
          : "This is the largest spacing that meets the target",
      x.wal_per_txn, x.base_wal_per_txn);
  if (x.wal.ReplayMissFraction() > 0) {
    a->checkpoint_rationale += fmt::format(
        " With the {} working set beyond the {} of shared_buffers{}, {:.0f}% of the random page "
        "changes whose first change in the window carried no image find their page outside the "
        "buffers and evict a dirty one to read it back, ~{:.1f} us each: {:.0f} such reads "
        "({:.1f} s) are in the replay above.",
        FormatHumanBytes(x.wal.WorkingSetBytes()), FormatHumanBytes(x.wal.SharedBuffersBytes()),
        s.workload.buffer_pool_bytes > 0 ? "" : " assumed (PostgreSQL's default)",
        100 * x.wal.ReplayMissFraction(), kReplayMissUs, x.rec.misses, x.rec.miss_s);
  }
  std::string closer_note;
  if (x.plan.interval_s < kMinIntervalS) {
    // The server logs every checkpoint the WAL volume starts closer than checkpoint_warning
    // (checkpointer.c); at half the planned spacing it flags only a rate about twice the plan's.
    const double warn_s = std::max(1.0, std::floor(x.plan.interval_s / 2));
    a->checkpoint_settings.push_back(Setting::Text(
        "checkpoint_warning", FormatPgDuration(warn_s),
        fmt::format("checkpoints are planned about every {:.0f} s, closer than the default 30 s "
                    "at which the server logs 'checkpoints are occurring too frequently' for "
                    "each; at half the plan the log flags only a write rate about twice {}",
                    x.plan.interval_s, FormatTps(x.tps_needed))));
    closer_note = fmt::format(
        "; checkpoint_warning is lowered to {:.0f} s so the server log does "
        "not flag every one",
        warn_s);
  }
  if (x.plan.interval_s < 60) {
    a->warnings.push_back(fmt::format(
        "checkpoints about every {:.0f} s: the recovery target is tight for {}; full-page "
        "images inflate the WAL{}",
        x.plan.interval_s, FormatTps(x.tps_needed), closer_note));
  }
  // The checkpointer must write the pages dirtied in one interval within c x interval.
  const double ckpt_write_s = SortedPageWriteSeconds(
      x.wal.PagesImaged(x.plan.interval_s), engines::HotPages(s.workload, kPageBytes), kPageBytes,
      s.storage.seq_write_bytes_per_s, s.storage.random_write_iops);
  AddEstimate(a, "checkpoint_write_s", ckpt_write_s, "s",
              "time to write one interval's dirty pages, sorted (must fit in c x interval)");
  if (ckpt_write_s > x.plan.target_c * x.plan.interval_s) {
    a->warnings.push_back(fmt::format(
        "each checkpoint must write ~{:.0f} pages, which takes ~{:.0f} s on this storage but "
        "must finish within {:.0f} s: checkpoints will fall behind and the WAL will exceed "
        "max_wal_size. The write rate is beyond what this storage can checkpoint",
        x.wal.PagesImaged(x.plan.interval_s), ckpt_write_s, x.plan.target_c * x.plan.interval_s));
  }
}

// commit_delay / commit_siblings and the group-commit gain.
void AddPgGroupCommit(const Scenario& s, const PgAnalysis& x, Advice* a) {
  a->group_commit_enabled = x.mode.flush_each_commit;
  // Without grouping, flushes are serialised and each carries one commit.
  const double single_flush_tps =
      std::min(x.mode.conf_t.cpu_ceiling_tps, 1e6 / s.storage.flush_p50_us);
  if (x.mode.flush_each_commit) {
    if (x.mode.use_delay) {
      a->group_commit_settings.push_back(Setting::Number(
          "commit_delay", x.mode.sync_p.leader_delay_us,
          fmt::format("half a flush ({:.0f} us): the leader waits so more commits share its "
                      "flush; simulated +{:.0f}% tps at {} clients",
                      s.storage.flush_p50_us,
                      100 * (x.mode.delayed_t.tps / x.mode.strict_t.tps - 1),
                      s.workload.concurrency)));
      a->group_commit_settings.push_back(Setting::Number(
          "commit_siblings", 5, "delay only when at least 5 other transactions are active"));
    } else {
      a->group_commit_settings.push_back(Setting::Number(
          "commit_delay", 0,
          s.workload.concurrency > 5
              ? "PostgreSQL already groups commits behind WALWriteLock; the simulation shows "
                "under 5% gain from a delay, so it would only add latency"
              : "too few concurrent committers for a delay to gather followers"));
    }
    a->group_commit_gain =
        engines::GroupCommitGain(x.mode.conf_t, single_flush_tps, s.workload.concurrency);
    a->group_commit_rationale =
        "Flushes are shared: a commit waits for the flush in progress, then rides the next one "
        "together with every commit that queued meanwhile. The gain grows with concurrency and "
        "flush latency.";
  } else {
    a->group_commit_gain = "not needed: asynchronous commit does not wait for a flush";
    a->group_commit_rationale =
        "With synchronous_commit=off the WAL writer flushes in the background; commits never "
        "wait for a flush, so there is nothing to group.";
  }
}

// Throughput and commit latency against PostgreSQL's defaults, and the warnings when the
// configuration is short of the required rate or slower than the defaults.
void ComparePgThroughput(const Scenario& s, const PgAnalysis& x, Advice* a) {
  const ThroughputEstimate& conf_t = x.mode.conf_t;
  engines::SetThroughputComparison(a, x.base_t, conf_t);
  std::vector<std::string> reasons;
  if (!x.mode.flush_each_commit) reasons.push_back("asynchronous commit");
  if (x.mode.flush_each_commit && x.mode.use_delay) reasons.push_back("commit_delay");
  if (x.plan.compression != "off") reasons.push_back("wal_compression");
  if (x.wal_per_txn < 0.95 * x.base_wal_per_txn) reasons.push_back("fewer full-page images");
  if (engines::RelievesPageWrites(x.base_t, conf_t)) {
    reasons.push_back("checkpoints that write each hot page less often");
  }
  a->improvement = engines::Improvement(x.base_t, conf_t, reasons);
  a->latency_impact = x.mode.flush_each_commit
                          ? engines::FlushedLatencyImpact(x.base_t, conf_t)
                          : fmt::format(
                                "commits no longer wait for the flush ({:.2f} ms saved per "
                                "commit on average)",
                                x.base_t.commit_latency_us / 1000);
  if (conf_t.tps < x.tps_needed) {
    a->warnings.push_back(engines::ShortfallWarning(
        x.tps_needed, conf_t,
        ": more concurrent clients, storage with power-loss protection, or a relaxed durability "
        "level would help"));
    if (s.durability == Durability::kStrict) {
      // Strict never switches to asynchronous commit; say what the bounded-loss mode would give.
      ThroughputEstimate async_t = engines::CommitThroughput(s, x.p, false, x.wal_per_txn);
      engines::ApplyPageWriteCeiling(&async_t, x.page_write_ceiling_tps);
      a->warnings.push_back(engines::StrictRateWarning(
          "flushing every commit (synchronous_commit=on) with group commit", conf_t.tps,
          x.tps_needed, "synchronous_commit=off with wal_writer_delay=200ms",
          "up to 600 ms of acknowledged commits (3 x wal_writer_delay) on a crash", async_t.tps));
    }
  }
  if (conf_t.tps < 0.95 * x.base_t.tps) {
    a->warnings.push_back(engines::SlowerThanDefaultsWarning(
        "PostgreSQL's defaults", conf_t, x.base_t,
        fmt::format(": the defaults (checkpoint_timeout 5min, max_wal_size 1GB) can take up to "
                    "{:.1f} s to recover against the {:.0f} s target, so checkpoints must come "
                    "every {:.0f} s{}",
                    x.base_rec.total_s, s.recovery_target_s, x.plan.interval_s,
                    x.base_rec.total_s <= s.recovery_target_s
                        ? "; the defaults would also meet the target, so keep them if throughput "
                          "matters more than the checkpoint spacing"
                        : "")));
  }
}

// With a calibration that read its crash windows back, the answer's expected peak: the crash
// just before a checkpoint completes at the predicted spacing and the workload's own mix,
// records at the windows' charged rate and only the images beyond their count per record
// byte priced apart. The bound (estimated_recovery_time_s) takes every byte as records where
// the records of the window could fill it; a workload that always writes images stays below it
// (the 10 s calibration windows of session 34 were 57-61% images), so verify judges the band on
// this and the bound stays the ceiling no crash may exceed, as for InnoDB's page cleaner.
void AddPgExpectedPeak(const PgAnalysis& x, Advice* a) {
  const PgWal::Recovery& e = x.expected_rec;
  AddEstimate(a, "expected_wal_to_replay_bytes", e.wal_bytes, "bytes",
              "(1 + c) x checkpoint_interval_s of WAL at the predicted image share, at most "
              "max_wal_size");
  AddEstimate(a, "expected_wal_to_replay_record_bytes", e.record_bytes, "bytes",
              "of it, plain records: required_tps x window x wal_base_bytes_per_txn");
  AddEstimate(a, "expected_images_beyond_calibration", e.priced_images, "images",
              "images of the window less its record bytes x the calibration windows' images per "
              "record byte (those the record rate already holds), at least 0");
  AddEstimate(a, "expected_record_replay_rate_bytes_per_s", x.wal.ExpectedRecordReplayRate(),
              "bytes/s",
              fmt::format("the calibration windows' record bytes / (their redo time - their "
                          "images x {:g} us of the recovery prefetcher{})",
                          kReplayPrefetchUsPerImage,
                          x.wal.CalibrationPrefetched()
                              ? ", at most half the redo time"
                              : ": none, their server had no prefetcher (before 15)"));
  AddEstimate(
      a, "expected_replay_prefetch_s", e.prefetch_s, "s",
      fmt::format("{:.0f} images x {:.1f} us (the recovery prefetcher on a cold start, "
                  "recovery_prefetch = try, PostgreSQL 15's default; measured){}",
                  e.prefetched_images, 1e6 * x.wal.PrefetchSPerImage(),
                  x.wal.ScenarioPrefetches() ? "" : ": none, PostgreSQL before 15 has none"));
  AddEstimate(a, "expected_peak_recovery_time_s", e.total_s, "s",
              fmt::format("expected_recovery_time_s: {} of records at ~{:.1f} MB/s, {:.0f} "
                          "images of which {:.0f} beyond the calibration windows' count per "
                          "record byte at ~{:.0f} MB/s, the prefetcher's {:.1f} s for the "
                          "others, {:.0f} pages read back, plus the same start-up, WAL scan and "
                          "end-of-recovery checkpoint as the bound",
                          FormatHumanBytes(e.record_bytes), x.wal.ExpectedRecordReplayRate() / 1e6,
                          e.image_bytes / std::max(1.0, x.wal.ImageBytes()), e.priced_images,
                          x.wal.ImageReplayRate() / 1e6, e.prefetch_s, e.misses));
}

// Every number the advice rests on, with its formula and inputs.
void AddPgEstimates(const Scenario& s, const PgAnalysis& x, Advice* a) {
  engines::AddFlushLatencyEstimates(a, s);
  AddEstimate(a, "clients", s.workload.concurrency, "clients", "constraints.concurrency");
  AddEstimate(a, "required_tps", x.tps_needed, "tps", "constraints.write_rate");
  AddEstimate(a, "wal_base_bytes_per_txn", x.wal.base_bytes_per_txn(), "bytes",
              s.calibration.replay_window
                  ? "measured by verify --calibrate in its crash windows (record bytes without "
                    "full-page images / commit records)"
              : s.calibration.wal_record_bytes_per_txn
                  ? "measured by verify --calibrate (records without full-page images)"
                  : fmt::format("{} + {} rows x ({} + {}) bytes (heap + btree records, commit)",
                                kCommitRecordBytes, s.workload.rows_per_txn, s.workload.row_bytes,
                                kRowOverheadBytes));
  AddEstimate(a, "fpi_bytes_per_txn", x.wal.FpiBytesPerTxnAt(x.plan.interval_s), "bytes",
              fmt::format("hot pages {:.0f} x (1 - exp(-r T / P)) images per {:.0f} s interval, "
                          "{:.0f} bytes each ({})",
                          engines::HotPages(s.workload, kPageBytes), x.plan.interval_s,
                          ImageSizeFor(s.calibration, x.plan.compression).bytes,
                          ImageSizeFor(s.calibration, x.plan.compression).source));
  AddEstimate(a, "wal_bytes_per_txn", x.wal_per_txn, "bytes", "base + full-page images");
  AddEstimate(a, "fpi_share", x.wal.FpiBytesPerTxnAt(x.plan.interval_s) / x.wal_per_txn, "ratio",
              "full-page image bytes / all WAL bytes at the recommended spacing");
  AddEstimate(a, "baseline_wal_bytes_per_txn", x.base_wal_per_txn, "bytes",
              fmt::format("defaults: checkpoint every {:.0f} s, no compression", x.base_interval));
  AddEstimate(a, "wal_rate_bytes_per_s", x.wal_per_txn * x.tps_needed, "bytes/s",
              "wal_bytes_per_txn x required_tps");
  AddEstimate(a, "checkpoint_interval_s", x.plan.interval_s, "s",
              "min(checkpoint_timeout, time to write max_wal_size / (1 + target))");
  AddEstimate(a, "baseline_checkpoint_interval_s", x.base_interval, "s",
              "PostgreSQL defaults: 5min, max_wal_size 1GB");
  AddEstimate(a, "wal_to_replay_bytes", x.rec.wal_bytes, "bytes",
              "worst-case replay window: max_wal_size, or less when the plain records of "
              "(1 + c) x checkpoint_timeout plus two images per hot page are less");
  AddEstimate(a, "wal_to_replay_record_bytes", x.rec.record_bytes, "bytes",
              "of the window, bytes taken as plain records for the bound (the slowest mix)");
  AddEstimate(a, "replay_rate_bytes_per_s", x.rec.effective_replay_bytes_per_s, "bytes/s",
              s.calibration.replay_window
                  ? "records at the calibration windows' record bytes / redo time (their whole "
                    "replay charged to the records), images at the blended calibrated rate or "
                    "200 MB/s x compression where slower, and the pages read back; the bound's "
                    "mix"
              : s.calibration.replay_bytes_per_s
                  ? "records at the calibrated rate, images at it too (it is blended: PostgreSQL "
                    "logs one redo time for both) or at 200 MB/s x compression where slower, "
                    "and the pages read back"
                  : "records ~38 MB/s (inside shared_buffers, cold, measured), full-page images "
                    "~200 MB/s (measured), and the pages read back; the bound's mix");
  AddEstimate(a, "replay_buffer_miss_fraction", x.wal.ReplayMissFraction(), "fraction",
              fmt::format("random page changes whose page is not in shared_buffers ({}) during "
                          "replay: 1 - shared_buffers / working set ({}){}; each costs {:.1f} us "
                          "(a dirty page evicted and the page read back, measured)",
                          FormatHumanBytes(x.wal.SharedBuffersBytes()),
                          FormatHumanBytes(x.wal.WorkingSetBytes()),
                          s.calibration.replay_buffer_miss_fraction
                              ? fmt::format(", less the calibration run's own {:.2f}",
                                            *s.calibration.replay_buffer_miss_fraction)
                              : "",
                          kReplayMissUs));
  AddEstimate(a, "replay_buffer_misses", x.rec.misses, "pages",
              "in the bound's window: miss fraction x (random page changes - pages imaged)");
  AddEstimate(a, "expected_replay_buffer_misses", x.expected_rec.misses, "pages",
              "the same at the predicted spacing and image share (expected_recovery_time_s)");
  AddEstimate(a, "replay_miss_s", x.rec.miss_s, "s",
              fmt::format("replay_buffer_misses x {:.1f} us (inside replay_s)", kReplayMissUs));
  AddEstimate(a, "replay_s", x.rec.replay_s, "s",
              "the bound's replay: wal_to_replay_record_bytes at the record rate + the rest at "
              "the image rate + replay_miss_s (wal_to_replay_bytes / replay_rate_bytes_per_s)");
  AddEstimate(a, "wal_scan_s", x.rec.scan_s, "s",
              fmt::format("window / sequential read bandwidth ({:.0f} MB/s, {})",
                          s.storage.seq_read_bytes_per_s / 1e6, s.storage.source));
  AddEstimate(a, "startup_s", x.rec.startup_s, "s",
              s.calibration.restart_overhead_s
                  ? "calibrated restart overhead (restart minus redo, measured by verify)"
                  : "process start and control-file read");
  AddEstimate(a, "datadir_sync_s", x.rec.datadir_sync_s, "s",
              s.calibration.restart_overhead_s
                  ? "inside the calibrated restart overhead"
                  : fmt::format("before replay every file of the data directory is fsynced: "
                                "~{:.0f} files x {:.0f} us {} ({})",
                                x.rec.datadir_files, x.wal.CleanFsyncUs(),
                                s.storage.clean_fsync_us > 0 ? "per fsync of a clean file, measured"
                                                             : "flush p50 (one device flush each)",
                                s.storage.source));
  AddEstimate(a, "end_of_recovery_checkpoint_s", x.rec.end_checkpoint_s, "s",
              fmt::format("pages dirtied by replay (at most the hot set and shared_buffers): "
                          "{:g} us each to write into the page cache (measured), then written "
                          "out sorted: min(pages / random-write IOPS, hot set / sequential "
                          "bandwidth), plus two flushes",
                          kEndCheckpointBufferWriteUs));
  AddEstimate(a, "estimated_recovery_time_s", x.rec.total_s, "s",
              x.rec.all_records ? "bound: startup + data-directory sync + WAL scan + window "
                                  "replayed as plain records (slower rate) + end-of-recovery "
                                  "checkpoint"
                                : "bound: startup + data-directory sync + WAL scan + slowest "
                                  "record/image/read-back mix + end-of-recovery checkpoint");
  AddEstimate(
      a, "expected_recovery_time_s", x.expected_rec.total_s, "s",
      fmt::format("same crash at the predicted {:.0f}% full-page-image share of (1 + c) "
                  "x {:.0f} s of WAL ({})",
                  100 * x.expected_rec.image_bytes / std::max(1.0, x.expected_rec.wal_bytes),
                  x.plan.interval_s, FormatHumanBytes(x.expected_rec.wal_bytes)));
  if (x.wal.HasReplayWindow()) AddPgExpectedPeak(x, a);
  AddEstimate(a, "baseline_recovery_time_s", x.base_rec.total_s, "s", "with PostgreSQL defaults");
  AddEstimate(a, "recovery_target_s", s.recovery_target_s, "s", "constraints.recovery_time_target");
  engines::AddThroughputEstimates(a, x.mode.conf_t, x.mode.flush_each_commit ? x.mode.sync_p : x.p,
                                  x.wal_per_txn, s.storage.seq_write_bytes_per_s);
  AddEstimate(a, "strict_commit_tps", x.mode.sync_t.tps, "tps",
              "group-commit simulation with synchronous_commit=on");
  AddEstimate(a, "page_write_ceiling_tps", x.page_write_ceiling_tps, "tps",
              "highest rate at which each checkpoint can write its dirty pages (sorted) within "
              "checkpoint_completion_target x interval");
  AddEstimate(a, "data_loss_window_ms", a->loss_window_ms, "ms", a->loss_window);
}

std::string PgConfLine(const Setting& st) {
  const std::string value = st.ConfigText();
  const bool quote = st.kind == Setting::Kind::kText;
  return st.name + " = " + (quote ? "'" + value + "'" : value) + "\n";
}

// The commit path and the checkpoint plan: what the answer and ExpectedRecoveryAtAgeS share.
void PostgresAdvisor::Analyse(const Scenario& s, Advice* a, PgAnalysis* x) const {
  const engines::TxnCpu cpu = engines::ResolveTxnCpu(s, Cpu(), a);
  x->tps_needed = s.workload.write_rate_tps;
  x->p = engines::CommitParams(s, cpu);
  x->p.locks_held_through_flush = true;
  PlanPgCheckpoints(s, x, a);
}

// With a calibration window (the answer's expected peak): the expected peak's terms, its mix of
// records and images kept, for the WAL a crash really left.
std::optional<double> PostgresAdvisor::ExpectedRecoveryAtAgeS(const Scenario& s,
                                                              double distance_bytes) const {
  if (!s.calibration.replay_window || !(distance_bytes > 0)) return std::nullopt;
  Advice scratch = engines::StartAdvice(s);
  PgAnalysis x(s);
  Analyse(s, &scratch, &x);
  return x.wal
      .ExpectedFor(x.plan.interval_s, x.plan.target_c,
                   static_cast<double>(x.plan.max_wal_size_bytes), distance_bytes)
      .total_s;
}

Advice PostgresAdvisor::Advise(const Scenario& s) const {
  Advice a = engines::StartAdvice(s);
  a.config_target =
      "postgresql.conf (or ALTER SYSTEM SET ...; then SELECT pg_reload_conf(), and restart the "
      "server for the settings `apply` marks restart)";
  PgAnalysis x(s);
  Analyse(s, &a, &x);
  PgBaseline(s, &x);
  ChoosePgCommitMode(s, &x);
  AddPgWalSettings(s, x, &a);
  AddPgCheckpointSettings(s, x, &a);
  AddPgGroupCommit(s, x, &a);
  ComparePgThroughput(s, x, &a);
  AddPgEstimates(s, x, &a);
  if (s.workload.buffer_pool_bytes == 0 && x.wal.PageChangesPerTxn() > 0 &&
      CacheMissFraction(x.wal.SharedBuffersBytes(), x.wal.WorkingSetBytes()) > 0) {
    a.assumptions.push_back(Assumption{
        "constraints.buffer_pool", FormatHumanBytes(kDefaultSharedBuffersBytes),
        AssumptionSource::kDefault,
        "not given; assumed PostgreSQL's default shared_buffers: crash recovery reads back the "
        "pages of the working set that do not fit in it, which the recovery estimate prices "
        "(replay_buffer_miss_fraction); give your shared_buffers as constraints.buffer_pool"});
  }
  if (s.calibration.wal_bytes_per_txn && !s.calibration.wal_record_bytes_per_txn) {
    a.warnings.push_back(fmt::format(
        "the calibration's wal_bytes_per_txn ({:.0f} bytes) is not used: it includes the "
        "full-page images of the run that measured it, and the model adds images for this "
        "checkpoint spacing itself; the records per transaction come from the workload shape. "
        "Re-run `waltune verify --calibrate` to measure wal_record_bytes_per_txn",
        *s.calibration.wal_bytes_per_txn));
  }
  a.confidence = engines::Confidence(s, x.plan.target_met, 0.0);
  // The snippet, after every setting is checked against the parameter table.
  engines::FinalizeSettings(&a, s.version);
  a.config_snippet = engines::ConfigSnippet(
      a,
      fmt::format("PostgreSQL {} WAL and checkpoint settings ({})", s.version.ToString(),
                  DurabilityName(s.durability)),
      "#", "", {&a.wal_config, &a.checkpoint_settings, &a.group_commit_settings}, PgConfLine);
  return a;
}

}  // namespace

const EngineAdvisor& PostgresAdvisorInstance() {
  static const PostgresAdvisor advisor;
  return advisor;
}

}  // namespace waltune
