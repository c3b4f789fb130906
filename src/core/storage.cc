#include "waltune/storage.h"

namespace waltune {

// Preset numbers. A flush here is write(8 KiB) + fdatasync, as pg_test_fsync measures it.
// Sources (also in docs/wal-model.md):
//  [GS]  Greg Smith, "PostgreSQL 9.0 High Performance" (2010), ch. 2: a 7200 rpm drive that
//        honours cache flushes commits ~120 times per second per client (one rotation ~8.3 ms).
//  [TP]  Tanel Poder, "Using pg_test_fsync for testing low latency writes" (2025-05-27):
//        Samsung 990 Pro (consumer NVMe, volatile write-back cache): fdatasync 1643 us/op;
//        Micron 7400 (enterprise NVMe, power-loss protection, write through): tens of us.
//  [PC]  Percona blog 2018, Samsung 960 Pro fsync ~3.5 ms (consumer NVMe, no PLP).
//  [BW]  vendor sequential-write figures: HDD 80-250 MB/s, SATA III SSD ~520-550 MB/s,
//        PCIe 3/4 NVMe 3-7 GB/s (we take the low end: WAL writes are small and synchronous).
//  [HD]  7200 rpm drive mechanics (Seagate Exos 7E8 / BarraCuda datasheets): average seek
//        ~8.5 ms, average rotational latency 4.16 ms (half a turn), so an uncached random read
//        costs ~12.7 ms plus the transfer (8 KiB at 150 MB/s: 0.05 ms; 16 KiB: 0.11 ms):
//        1 / 12.7 ms = 79/s (8 KiB), 1 / 12.8 ms = 78/s (16 KiB). A random write followed by a
//        cache flush adds about one rotation (8.3 ms, [GS]): 1 / 21 ms = 48/s.
//  [SE]  Samsung 870 EVO (SATA) datasheet: 4 KiB QD1 random read up to 13,000 IOPS, sequential
//        read 560 MB/s; QD1 random write up to 36,000 IOPS.
//  [S9]  Samsung 990 Pro (PCIe 4 NVMe) datasheet: 4 KiB QD1 random read up to 22,000 IOPS,
//        sequential read 7,450 MB/s (we take 3 GB/s, a PCIe 3 drive).
//  [MI]  Micron 7400 (enterprise NVMe, PLP) datasheet: read latency ~70-80 us at QD1,
//        sequential read up to 6,600 MB/s.
//  [RD]  QD1 rates of a larger block: the 4 KiB figure scaled by the transfer time it adds,
//        ~20% per doubling on flash (8 KiB ~ 0.8x, 16 KiB ~ 0.65x of the 4 KiB QD1 rate).
//  [FL]  A random write followed by a flush costs the write plus one flush: 1 / (flush_p50 +
//        write time); for flash the flush dominates.
//  [TM]  tmpfs measured here with `waltune probe --quick` on /dev/shm (2-core VM): flushes are
//        no-ops (~1-2 us), page copies ~1-3 us; we take round, conservative numbers.
// Consumer SATA SSDs without power-loss protection flush their DRAM/SLC cache on every
// FLUSH CACHE; reports cluster around 0.5-2 ms, between the HDD and NVMe figures above. That
// preset is the least certain and says so in its source string.
StorageSpec StoragePreset(StorageClass storage_class) {
  StorageSpec s;
  s.storage_class = storage_class;
  switch (storage_class) {
    case StorageClass::kHdd:
      s.name = "HDD (7200 rpm, write cache flushed on fsync)";
      s.flush_p50_us = 8300;            // [GS]: one rotation at 7200 rpm
      s.flush_p99_us = 16700;           // two rotations plus a seek
      s.seq_write_bytes_per_s = 150e6;  // [BW]
      s.random_write_iops = 150;        // elevator-sorted writes with the drive's write cache on
      s.random_write_16k_iops = 145;
      s.random_write_flushed_iops = 48;  // [HD] seek + rotation + one rotation to flush
      s.random_write_flushed_16k_iops = 47;
      s.random_read_iops = 79;         // [HD] 1 / (8.5 + 4.16 + 0.05 ms)
      s.random_read_16k_iops = 78;     // [HD] 1 / (8.5 + 4.16 + 0.11 ms)
      s.seq_read_bytes_per_s = 150e6;  // [BW] same as the write figure
      s.volatile_write_cache = true;
      s.source =
          "preset: 7200 rpm HDD, ~120 flushes/s (Greg Smith, PostgreSQL 9.0 High Performance)";
      break;
    case StorageClass::kSataSsd:
      s.name = "SATA SSD (consumer, no power-loss protection)";
      s.flush_p50_us = 1000;
      s.flush_p99_us = 3000;
      s.seq_write_bytes_per_s = 500e6;  // [BW]
      s.random_write_iops = 40000;
      s.random_write_16k_iops = 26000;    // [RD]
      s.random_write_flushed_iops = 950;  // [FL] 1 / (1000 + 50 us)
      s.random_write_flushed_16k_iops = 930;
      s.random_read_iops = 10000;      // [SE] 13,000 x 0.8 [RD]
      s.random_read_16k_iops = 8500;   // [SE] 13,000 x 0.65 [RD]
      s.seq_read_bytes_per_s = 530e6;  // [SE] 560 MB/s, SATA III ceiling ~550
      s.volatile_write_cache = true;
      s.source =
          "preset: consumer SATA SSD, flush 0.5-2 ms reported; least certain preset, "
          "run `waltune probe`";
      break;
    case StorageClass::kConsumerNvme:
      s.name = "NVMe SSD (consumer, no power-loss protection)";
      s.flush_p50_us = 1650;  // [TP] 990 Pro fdatasync 1643 us/op
      s.flush_p99_us = 3500;  // [PC] 960 Pro ~3.5 ms
      s.seq_write_bytes_per_s = 2e9;
      s.random_write_iops = 200000;
      s.random_write_16k_iops = 130000;   // [RD]
      s.random_write_flushed_iops = 600;  // [FL] 1 / (1650 + 20 us)
      s.random_write_flushed_16k_iops = 590;
      s.random_read_iops = 17000;      // [S9] 22,000 x 0.8 [RD]
      s.random_read_16k_iops = 14000;  // [S9] 22,000 x 0.65 [RD]
      s.seq_read_bytes_per_s = 3e9;    // [S9] low end, as for writes
      s.volatile_write_cache = true;
      s.source =
          "preset: consumer NVMe, fdatasync 1.6 ms (Poder 2025, 990 Pro), "
          "3.5 ms (Percona 2018, 960 Pro)";
      break;
    case StorageClass::kEnterpriseFlash:
      s.name = "enterprise SSD/NVMe with power-loss protection";
      s.flush_p50_us = 40;  // [TP] write-through PLP drives: tens of us
      s.flush_p99_us = 100;
      s.seq_write_bytes_per_s = 2e9;
      s.random_write_iops = 200000;
      s.random_write_16k_iops = 130000;     // [RD]
      s.random_write_flushed_iops = 16000;  // [FL] 1 / (40 + 20 us)
      s.random_write_flushed_16k_iops = 14000;
      s.random_read_iops = 11000;     // [MI] 1 / ~90 us (80 us + 8 KiB transfer)
      s.random_read_16k_iops = 9000;  // [MI] 1 / ~110 us
      s.seq_read_bytes_per_s = 3e9;   // [MI] 6.6 GB/s; low end taken
      s.volatile_write_cache = false;
      s.source = "preset: PLP flash, flush 10-60 us (Poder 2025, Micron 7400)";
      break;
    case StorageClass::kBatteryBackedCache:
      s.name = "RAID controller with battery-backed write cache";
      s.flush_p50_us = 60;
      s.flush_p99_us = 200;
      s.seq_write_bytes_per_s = 800e6;
      s.random_write_iops = 20000;
      s.random_write_16k_iops = 15000;
      s.random_write_flushed_iops = 10000;  // [FL] 1 / (60 + 40 us): the flush ends in cache
      s.random_write_flushed_16k_iops = 9000;
      // Reads miss the cache and go to the disks behind it: four 7200 rpm drives [HD].
      s.random_read_iops = 4 * 79;
      s.random_read_16k_iops = 4 * 78;
      s.seq_read_bytes_per_s = 600e6;  // [BW] four disks x 150 MB/s
      s.volatile_write_cache = false;
      s.source =
          "preset: BBU/flash-backed controller cache, flush acknowledged from cache "
          "(10-60 us plus controller overhead)";
      break;
    case StorageClass::kMemory:
      s.name = "memory (tmpfs: nothing survives a power cut or OS crash)";
      s.flush_p50_us = 2;  // [TM] fdatasync on tmpfs returns at once
      s.flush_p99_us = 10;
      s.seq_write_bytes_per_s = 2e9;  // [TM]
      s.random_write_iops = 300000;
      s.random_write_16k_iops = 200000;
      s.random_write_flushed_iops = 250000;
      s.random_write_flushed_16k_iops = 170000;
      s.random_read_iops = 300000;
      s.random_read_16k_iops = 200000;
      s.seq_read_bytes_per_s = 3e9;
      s.volatile_write_cache = true;
      s.source = "preset: tmpfs (memory), page copies of a few us (measured here on /dev/shm)";
      break;
  }
  return s;
}

namespace {
// Each storage class's name in the contract and its word in messages: one row per class.
struct StorageClassText {
  StorageClass storage_class;
  const char* name;
  const char* word;
};
constexpr StorageClassText kStorageClassTexts[] = {
    {StorageClass::kHdd, "hdd", "HDD"},
    {StorageClass::kSataSsd, "sata_ssd", "SATA SSD"},
    {StorageClass::kConsumerNvme, "consumer_nvme", "NVMe"},
    {StorageClass::kEnterpriseFlash, "enterprise_flash", "flash with power-loss protection"},
    {StorageClass::kBatteryBackedCache, "battery_backed_cache", "battery-backed write cache"},
    {StorageClass::kMemory, "memory", "memory (tmpfs)"},
};
const StorageClassText* FindStorageClassText(StorageClass storage_class) {
  for (const StorageClassText& t : kStorageClassTexts) {
    if (t.storage_class == storage_class) return &t;
  }
  return nullptr;
}
}  // namespace

const char* StorageClassName(StorageClass storage_class) {
  const StorageClassText* t = FindStorageClassText(storage_class);
  return t != nullptr ? t->name : "unknown";
}

const char* StorageClassWord(StorageClass storage_class) {
  const StorageClassText* t = FindStorageClassText(storage_class);
  return t != nullptr ? t->word : "?";
}

}  // namespace waltune
