// `waltune probe`: measures the storage a WAL will live on and describes it.
//
// RunProbe writes only to files it creates (O_EXCL) in the probed directory, named
// ".waltune-probe-<pid>-<n>", and removes them before returning; Env::Default() also removes
// them when the process is stopped by SIGINT, SIGTERM or SIGHUP. The JSON it prints is
// documented in docs/probe.md ("Storage profile schema").
#ifndef WALTUNE_PROBE_H_
#define WALTUNE_PROBE_H_

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "waltune/env.h"
#include "waltune/status.h"

namespace waltune {

// ---------------------------------------------------------------------------------------------
// Statistics

// Summary of one measured phase. Percentiles are nearest-rank: the value at 1-based position
// ceil(q * n) of the sorted samples (p50 of {1,2,3,4} is 2; p99 of 100 samples is the 99th).
struct LatencyStats {
  uint64_t ops = 0;
  double p50_us = 0;
  double p99_us = 0;
  double max_us = 0;
  double mean_us = 0;
  // ops divided by the phase's wall time (which includes loop overhead). Unit: ops per second.
  double ops_per_s = 0;
};

// REQUIRES: elapsed_ns > 0 when samples is not empty. Empty samples give all zeros.
LatencyStats ComputeLatencyStats(std::vector<uint64_t> samples_ns, uint64_t elapsed_ns);

// ---------------------------------------------------------------------------------------------
// What the operating system says about the directory

struct DeviceInfo {
  std::string path;          // canonical path of the probed directory
  std::string mount_point;   // from /proc/mounts, longest prefix of `path`
  std::string filesystem;    // "ext4", "xfs", "tmpfs", ...
  std::string mount_source;  // "/dev/vda", "/dev/mapper/vg-root", "tmpfs"
  // The block devices from the one the file system sits on down to the physical disks,
  // e.g. {"dm-0", "sda2", "sda"}. Empty for file systems without a block device.
  std::vector<std::string> device_chain;
  // The disks at the bottom of device_chain (more than one for md/dm over several disks).
  std::vector<std::string> disks;
  // "nvme", "virtio", "xen", "scsi", "ata", "usb", "mmc", "virtual" or "" (unknown), from the
  // disk's /sys/dev/block path.
  std::string transport;
  std::string model;  // /sys/block/<disk>/device/model, trimmed; often empty
  // /sys/block/<disk>/queue/rotational; true when any disk says 1. Unset when unreadable.
  std::optional<bool> rotational;
  // /sys/block/<disk>/queue/write_cache: "write back" (volatile cache) or "write through";
  // "write back" when any disk says so. Empty when unreadable.
  std::string write_cache;
  // How each value above was found, one line each ("/sys/block/vda/queue/rotational = 1").
  std::vector<std::string> evidence;
};

// Reads /proc/mounts and /sys through `env`. Fields that cannot be read stay empty (and the
// evidence says so); only a path that cannot be resolved at all is an error.
Result<DeviceInfo> ReadDeviceInfo(Env* env, const std::string& path);

// File systems whose "stable storage" is RAM: tmpfs, ramfs, hugetlbfs, devtmpfs.
bool IsMemoryFilesystem(const std::string& fs_type);

struct Classification {
  std::string storage_class;  // "hdd" | "ssd" | "nvme" | "memory" | "unknown"
  std::vector<std::string> evidence;
  std::vector<std::string> warnings;
};

// Thresholds below which a measured flush cannot have reached stable media. Unit: us.
// A 15k rpm disk needs ~2 ms per rotation; 1 ms is generous.
inline constexpr double kHddMinPlausibleFlushUs = 1000;
// Flash that honours FLUSH CACHE on a volatile cache measures 0.2-3.5 ms (docs/probe.md).
inline constexpr double kVolatileFlashMinPlausibleFlushUs = 100;

// Pure: classifies from what the OS said and the measured fdatasync median (0 = not measured).
Classification ClassifyStorage(const DeviceInfo& device, double fdatasync_p50_us);

// ---------------------------------------------------------------------------------------------
// Measurements

// Method names, as PostgreSQL's wal_sync_method spells the first three.
inline constexpr const char* kFdatasync = "fdatasync";
inline constexpr const char* kFsync = "fsync";
inline constexpr const char* kOpenDatasync = "open_datasync";
inline constexpr const char* kOpenDatasyncDirect = "open_datasync_direct";
// In measurement order, which is also the preference order between near-equal methods.
const std::vector<std::string>& SyncMethodNames();

struct SyncMethodResult {
  std::string method;
  bool supported = true;
  // Why the method is unsupported, or any remark ("O_DIRECT refused: Invalid argument").
  std::string note;
  // False when the numbers suggest the flush did not reach stable storage (see
  // RecommendSyncMethod).
  bool safe = true;
  LatencyStats stats;
};

// One flush pattern: `writes_per_flush` writes of `write_bytes` each, then the method's flush.
struct WriteSizeResult {
  std::string method;  // "fdatasync" or "open_datasync"
  int writes_per_flush = 1;
  uint64_t write_bytes = 0;
  std::string note;  // why it was not measured, if it was not
  LatencyStats stats;
};

// One point of the group-commit curve.
struct GroupCommitPoint {
  int writers = 0;
  uint64_t commits = 0;
  uint64_t flushes = 0;
  double commits_per_s = 0;
  // commits / flushes: records made durable by one flush.
  double mean_batch = 0;
  // Time from a writer handing its record over to the record being durable. Unit: us.
  double commit_p50_us = 0;
  double commit_p99_us = 0;
};

// One random-I/O phase on the file the sequential phase wrote (the model's page-write and
// recovery page-read rates).
struct RandomIoResult {
  bool read = false;         // false: writes
  uint64_t block_bytes = 0;  // 8 KiB (PostgreSQL pages) or 16 KiB (InnoDB pages)
  bool flush_each = false;   // writes: fdatasync after every write
  // Reads: how the page cache was bypassed: "O_DIRECT", or "fadvise DONTNEED" when the file
  // system refused O_DIRECT (the cache was dropped before the phase).
  std::string cache;
  std::string note;
  LatencyStats stats;  // per operation (a write without flush: the write call alone)
  // Operations per second over the whole phase, including the final fdatasync of writes
  // without a flush each: the sustained rate. Unit: ops per second.
  double ops_per_s = 0;
};

// The recommended method's 8 KiB overwrite + flush issued after the device sat idle.
struct IdleFlushResult {
  uint64_t gap_us = 0;     // the sleep before each timed write
  double idle_p50_us = 0;  // median measured idle time (the gap and the sleep's overshoot)
  LatencyStats stats;      // the write + flush
};

struct StorageProfile {
  DeviceInfo device;
  Classification classification;
  // Overwrites of a preallocated, zero-filled file (a recycled WAL segment), 8 KiB per flush,
  // in SyncMethodNames() order.
  std::vector<SyncMethodResult> sync_methods;
  // The same on a file that grows with every write (a fresh segment without preallocation).
  std::vector<SyncMethodResult> append_sync_methods;
  std::vector<WriteSizeResult> write_sizes;
  std::string recommended_sync_method;
  std::string recommendation_reason;
  // The recommended method's flush after an idle gap of 0.2, 2 and 8 ms (commits that come
  // apart find the device idle; a virtio disk took 3-4x longer after 2 ms).
  std::string flush_after_idle_method;
  std::vector<IdleFlushResult> flush_after_idle;
  // Large buffered writes followed by one fdatasync. Unit: bytes per second.
  double seq_write_bytes_per_s = 0;
  uint64_t seq_write_bytes = 0;
  // Random 8/16 KiB writes with and without a flush each, random reads of uncached 8/16 KiB
  // pages (queue depth 1), all within the sequential phase's file.
  std::vector<RandomIoResult> random_io;
  // Reading the sequential phase's file back from the device. Unit: bytes per second.
  double seq_read_bytes_per_s = 0;
  uint64_t seq_read_bytes = 0;
  std::string seq_read_cache;  // "O_DIRECT" or "fadvise DONTNEED"
  // The same file read again through the page cache after its pages were dropped (readahead
  // on): ReadFileColdBuffered. Unit: bytes per second; 0: not measured.
  double buffered_read_bytes_per_s = 0;
  uint64_t buffered_read_bytes = 0;
  // fsync() of a file with nothing dirty: open, fsync, close of `clean_fsync_files` one-page
  // files, the median of up to three passes (TimeCleanFsyncPassesUs). Unit: us; 0: not measured.
  double clean_fsync_us = 0;
  int clean_fsync_files = 0;
  std::string group_commit_method;
  uint64_t group_commit_record_bytes = 0;
  std::vector<GroupCommitPoint> group_commit_curve;
  std::vector<std::string> warnings;
  // How the run went.
  bool quick = false;
  double budget_s = 0;
  double elapsed_s = 0;
};

// Picks the fastest safe method: among supported, safe methods, those whose p50 is within
// 10% of the fastest p50, the first in SyncMethodNames() order. A method is marked unsafe when
// the disk has a volatile write-back cache and its p50 is below a quarter of fdatasync's:
// on Linux every method flushes the device cache, so such a gap means one of them did not.
// Sets `safe` on the methods and returns the name ("" when nothing is usable) and a reason.
std::string RecommendSyncMethod(std::vector<SyncMethodResult>* methods, const DeviceInfo& device,
                                std::string* reason);

struct ProbeProgress {
  int phase = 0;  // 1-based
  int phase_count = 0;
  std::string label;  // "fdatasync, 8 KiB overwrite"
  double elapsed_s = 0;
};

struct ProbeOptions {
  // Directory to probe. Required.
  std::string path;
  // Time the measuring phases may take together, split between them by fixed weights. Setup
  // (zero-filling the segment file) and cleanup come on top. Unit: s. Default: 45 (a full run
  // stays under 60 s); Quick(): 7 (under 10 s).
  double budget_s = 45;
  bool quick = false;
  // Size of the preallocated segment file the overwrites cycle through. Unit: bytes.
  // Default: 16 MiB, PostgreSQL's WAL segment.
  uint64_t segment_bytes = 16 * 1024 * 1024;
  // WAL block: the unit of overwrites and appends. Unit: bytes. Default: 8 KiB.
  uint64_t block_bytes = 8192;
  // Most ops one phase makes (bounds the append file's growth). Default: 8192 (64 MiB of
  // 8 KiB appends).
  uint64_t max_ops_per_phase = 8192;
  // Sequential-write phase: block size and the most it writes (never more than a tenth of the
  // free space). Unit: bytes. Default: 1 MiB blocks, up to 512 MiB (Quick(): 128 MiB).
  uint64_t seq_block_bytes = 1024 * 1024;
  uint64_t seq_max_bytes = 512ull * 1024 * 1024;
  // Group commit: record size each writer commits, and the writer counts of the curve.
  uint64_t record_bytes = 512;
  std::vector<int> group_commit_writers = {1, 2, 4, 8, 16};
  // Clean-fsync phase: how many one-page files it fsyncs per pass (fewer when its share of the
  // budget runs out while it creates them; at least 8). 8 to 100. Default: 100, as verify
  // measures (Quick(): 32).
  int clean_fsync_files = 100;
  // Called at the start of each phase from the calling thread. May be empty.
  std::function<void(const ProbeProgress&)> progress;

  static ProbeOptions Quick(std::string path);
};

// Runs every phase. InvalidArgument("--path", ...) when the directory is missing or cannot be
// written; IOError when a write or flush fails midway. Probe files are removed in every case.
Result<StorageProfile> RunProbe(Env* env, const ProbeOptions& options);

// verify's native flush latency (its report's native_flush_* numbers), in a scratch file
// `dir`/flush-probe.tmp: first a syncfs of `dir`'s file system (what initdb --no-sync, the
// engine's install or a load left dirty would otherwise ride on the timed flushes: ext4
// data=ordered commits it with them), then 16 x 8 KiB written and fsynced (preallocated, as WAL
// segments are, so the timed flushes carry data only), then `flushes` x (8 KiB overwrite +
// fdatasync), each timed. The file is removed. Unit: us, one sample per flush.
Result<std::vector<double>> MeasureOverwriteFlushesUs(Env* env, const std::string& dir,
                                                      int flushes);

// Idle gaps before a flush that probe and verify measure: between two commits of one client
// (~200 us of CPU and round trips), and sparse commits / emulated delays (2 and 8 ms). Unit: us.
inline constexpr uint64_t kFlushIdleGapsUs[] = {200, 2000, 8000};

// The same loop with a sleep of `gap_us` before each timed write + fdatasync: the flush after
// the device sat idle. Each sample's idle time is measured (from the previous flush's end to the
// write: the gap and the sleep's overshoot). Unit: us.
struct IdleFlushSamples {
  uint64_t gap_us = 0;          // the sleep asked for
  std::vector<double> idle_us;  // per flush: time since the previous flush ended
  std::vector<double> flush_us;
};
Result<IdleFlushSamples> MeasureFlushesAfterIdleUs(Env* env, const std::string& dir, int flushes,
                                                   uint64_t gap_us);

// Reads `path` from offset 0 in `block_bytes` read() calls through the page cache, after
// dropping its cached pages (fdatasync + POSIX_FADV_DONTNEED): a cold sequential read with the
// kernel's readahead, as an engine that reads its log with read() after a restart does. Stops
// after `max_bytes` or, once a block was read, at `deadline_ns` (Env clock; 0: none).
struct ColdReadSample {
  uint64_t bytes = 0;
  uint64_t elapsed_ns = 0;
  double BytesPerS() const;  // 0 when nothing was read
};
Result<ColdReadSample> ReadFileColdBuffered(Env* env, const std::string& path, uint64_t max_bytes,
                                            size_t block_bytes, uint64_t deadline_ns);

// verify's cold buffered read rate (StorageSpec::buffered_read_bytes_per_s) in a scratch file
// `dir`/read-probe.tmp: `bytes` written and fdatasynced, then `rounds` x ReadFileColdBuffered in
// 1 MiB reads. Returns the median rate; the file is removed. Unit: bytes per second.
Result<double> MeasureColdBufferedReadBytesPerS(Env* env, const std::string& dir, uint64_t bytes,
                                                int rounds);

// What fsync() of a file with nothing dirty costs, as PostgreSQL's crash recovery pays it for
// every file of the data directory before replay (SyncDataDirectory: open, fsync, close). In
// `dir`: `files` files of 8 KiB written and fsynced, then `rounds` passes that open each file,
// fsync and close it. Returns the median time per file over the passes; the files are
// removed. On one virtio disk this cost a device flush (3.1-3.7 ms); on another, 0.3 ms with
// flushes of 4 ms (docs/wal-model.md). Unit: us.
Result<double> MeasureCleanFsyncUs(Env* env, const std::string& dir, int files, int rounds);

// The size of each file MeasureCleanFsyncUs and probe's clean-fsync phase write (one page).
inline constexpr size_t kCleanFsyncFileBytes = 8192;

// The timed part of MeasureCleanFsyncUs, on files that exist and have nothing dirty: up to
// `rounds` passes that open, fsync and close each of `paths`, stopping early (after the first
// pass) once the Env clock passes `deadline_ns` (0: no deadline). Returns the median pass's
// time per file. Unit: us.
Result<double> TimeCleanFsyncPassesUs(Env* env, const std::vector<std::string>& paths, int rounds,
                                      uint64_t deadline_ns);

// How much longer than `sleep_us` each of `samples` sleeps takes (timer slack, the wake-up).
// Unit: us.
std::vector<double> MeasureSleepOvershootUs(Env* env, uint64_t sleep_us, int samples);

// The storage-profile JSON (docs/probe.md) and a human table.
nlohmann::json ProfileToJson(const StorageProfile& profile);
std::string ProfileToText(const StorageProfile& profile);

}  // namespace waltune

#endif  // WALTUNE_PROBE_H_
