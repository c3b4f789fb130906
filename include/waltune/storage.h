// Storage characteristics the model needs, from a preset or from `waltune probe`.
#ifndef WALTUNE_STORAGE_H_
#define WALTUNE_STORAGE_H_

#include <cstdint>
#include <string>
#include <vector>

namespace waltune {

enum class StorageClass {
  kHdd,
  kSataSsd,
  kConsumerNvme,
  kEnterpriseFlash,
  kBatteryBackedCache,
  // tmpfs / ramfs: nothing survives a power cut or OS crash.
  kMemory
};

// What one flush of a small WAL write costs, and what the device can stream.
struct StorageSpec {
  StorageClass storage_class = StorageClass::kSataSsd;
  // Human name shown in output ("SATA SSD (consumer, no power-loss protection)").
  std::string name;
  // Median and 99th percentile of write(8 KiB) + fdatasync. Unit: us.
  double flush_p50_us = 0;
  double flush_p99_us = 0;
  // Mean of the same samples where they were measured (verify); 0: unknown. A few slow
  // samples make a lognormal through p50 and p99 far heavier than the device (issue 12: p50
  // ~80 us, p99 7.7 ms gave a mean 6.7x the median), so the model keeps its mean at or below
  // this one. Unit: us.
  double flush_mean_us = 0;
  // The part of flush_p50_us / flush_p99_us that is an emulated delay, added to each
  // fsync/fdatasync (and O_DSYNC write) call only: `verify --flush-latency-us`. Device round
  // trips that are not flush calls (an O_DIRECT write) do not pay it. Unit: us. 0: real storage.
  double emulated_flush_delay_us = 0;
  // What a sleep of that delay takes beyond it, measured by verify (`clock_nanosleep` overshoot:
  // timer slack and the wake-up); each emulated flush pays it too. Unit: us. 0: not measured.
  double emulated_delay_overshoot_us = 0;
  // The flush after the device sat idle (`waltune probe`, verify): the median of write(8 KiB) +
  // fdatasync issued `idle_us` after the previous flush ended, for a few gaps, idle_us
  // ascending. On the virtio disk this was measured on, a flush 2 ms after the last one took
  // 3-4x a back-to-back one (docs/sweep-group-commit.md). flush_p50_us is the back-to-back
  // median. Empty: not measured (presets), no idle term.
  struct IdleFlushPoint {
    double idle_us = 0;
    double flush_p50_us = 0;
    int samples = 0;
  };
  std::vector<IdleFlushPoint> flush_after_idle;
  // Sequential write bandwidth. Unit: bytes per second.
  double seq_write_bytes_per_s = 0;
  // Random 8 KiB writes the device sustains without a flush after each (page flushing at
  // checkpoints and by InnoDB's page cleaner, which flush once per batch). Unit: ops per second.
  double random_write_iops = 0;
  // Random 16 KiB writes without a flush after each (InnoDB pages). Unit: ops per second.
  double random_write_16k_iops = 0;
  // Random 8 KiB / 16 KiB writes each followed by fdatasync (a page that must be durable on its
  // own, e.g. SQLite's rollback-journal commits). Unit: ops per second.
  double random_write_flushed_iops = 0;
  double random_write_flushed_16k_iops = 0;
  // Random reads of one uncached page, one at a time (queue depth 1): what crash recovery pays
  // for every page the redo touches that is not restored from a full-page image.
  // Unit: ops per second.
  double random_read_iops = 0;      // 8 KiB (PostgreSQL pages)
  double random_read_16k_iops = 0;  // 16 KiB (InnoDB pages)
  // Sequential read bandwidth of uncached data (scanning the WAL / redo after a restart).
  // Unit: bytes per second.
  double seq_read_bytes_per_s = 0;
  // Sequential read of uncached data through the page cache: read() in order after the file's
  // pages were dropped (fdatasync + POSIX_FADV_DONTNEED), the kernel's readahead keeping the
  // device busy ahead of the reader, as SQLite reads its WAL to rebuild the WAL index after a
  // crash. `waltune probe` and verify measure it; 0 (presets): not measured, seq_read_bytes_per_s
  // stands in. Unit: bytes per second.
  double buffered_read_bytes_per_s = 0;
  // fsync() of a file with nothing dirty (open, fsync, close: MeasureCleanFsyncUs), what
  // PostgreSQL's crash recovery pays per file of the data directory before replay. Measured by
  // verify and by `waltune probe` (its profile's clean_fsync_us); 0 (presets, older profiles):
  // not measured, one device flush (flush_p50_us) stands in. Unit: us.
  double clean_fsync_us = 0;
  // Which of the read/write rates above were measured by `waltune probe` (the rest come from
  // the preset of storage_class), e.g. "random_read_iops, seq_read_bytes_per_s". Empty for
  // presets.
  std::string measured_rates;
  // True when acknowledged writes can sit in a cache that a power cut loses unless flushed.
  bool volatile_write_cache = true;
  // True when a page write can never be torn (makes full_page_writes / doublewrite optional).
  bool atomic_page_writes = false;
  // True when the numbers come from `waltune probe` on the user's device.
  bool measured = false;
  // Where the numbers come from (preset citation or the probe's path).
  std::string source;
  // From a probe: fastest safe sync method ("fdatasync", "open_datasync", ...). Empty otherwise.
  std::string recommended_sync_method;
  // From a probe: measured commits per second by number of writers (leader/follower batching).
  struct CurvePoint {
    int writers = 0;
    double commits_per_s = 0;
    double mean_batch = 0;
  };
  std::vector<CurvePoint> group_commit_curve;
};

// Preset numbers for a storage class; each number's source is in docs/wal-model.md and in the
// comment next to it in storage.cc.
StorageSpec StoragePreset(StorageClass storage_class);
const char* StorageClassName(StorageClass storage_class);
// The class in words for messages: "HDD", "NVMe", "battery-backed write cache".
const char* StorageClassWord(StorageClass storage_class);

}  // namespace waltune

#endif  // WALTUNE_STORAGE_H_
