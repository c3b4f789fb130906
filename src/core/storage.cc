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
// Consumer SATA SSDs without power-loss protection flush their DRAM/SLC cache on every
// FLUSH CACHE; reports cluster around 0.5-2 ms, between the HDD and NVMe figures above. That
// preset is the least certain and says so in its source string.
StorageSpec StoragePreset(StorageClass storage_class) {
  StorageSpec s;
  s.storage_class = storage_class;
  switch (storage_class) {
    case StorageClass::kHdd:
      s.name = "HDD (7200 rpm, write cache flushed on fsync)";
      s.flush_p50_us = 8300;      // [GS]: one rotation at 7200 rpm
      s.flush_p99_us = 16700;     // two rotations plus a seek
      s.seq_write_bytes_per_s = 150e6;  // [BW]
      s.random_write_iops = 150;
      s.volatile_write_cache = true;
      s.source = "preset: 7200 rpm HDD, ~120 flushes/s (Greg Smith, PostgreSQL 9.0 High Performance)";
      break;
    case StorageClass::kSataSsd:
      s.name = "SATA SSD (consumer, no power-loss protection)";
      s.flush_p50_us = 1000;
      s.flush_p99_us = 3000;
      s.seq_write_bytes_per_s = 500e6;  // [BW]
      s.random_write_iops = 40000;
      s.volatile_write_cache = true;
      s.source = "preset: consumer SATA SSD, flush 0.5-2 ms reported; least certain preset, "
                 "run `waltune probe`";
      break;
    case StorageClass::kConsumerNvme:
      s.name = "NVMe SSD (consumer, no power-loss protection)";
      s.flush_p50_us = 1650;      // [TP] 990 Pro fdatasync 1643 us/op
      s.flush_p99_us = 3500;      // [PC] 960 Pro ~3.5 ms
      s.seq_write_bytes_per_s = 2e9;
      s.random_write_iops = 200000;
      s.volatile_write_cache = true;
      s.source = "preset: consumer NVMe, fdatasync 1.6 ms (Poder 2025, 990 Pro), "
                 "3.5 ms (Percona 2018, 960 Pro)";
      break;
    case StorageClass::kEnterpriseFlash:
      s.name = "enterprise SSD/NVMe with power-loss protection";
      s.flush_p50_us = 40;        // [TP] write-through PLP drives: tens of us
      s.flush_p99_us = 100;
      s.seq_write_bytes_per_s = 2e9;
      s.random_write_iops = 200000;
      s.volatile_write_cache = false;
      s.source = "preset: PLP flash, flush 10-60 us (Poder 2025, Micron 7400)";
      break;
    case StorageClass::kBatteryBackedCache:
      s.name = "RAID controller with battery-backed write cache";
      s.flush_p50_us = 60;
      s.flush_p99_us = 200;
      s.seq_write_bytes_per_s = 800e6;
      s.random_write_iops = 20000;
      s.volatile_write_cache = false;
      s.source = "preset: BBU/flash-backed controller cache, flush acknowledged from cache "
                 "(10-60 us plus controller overhead)";
      break;
  }
  return s;
}

const char* StorageClassName(StorageClass storage_class) {
  switch (storage_class) {
    case StorageClass::kHdd: return "hdd";
    case StorageClass::kSataSsd: return "sata_ssd";
    case StorageClass::kConsumerNvme: return "consumer_nvme";
    case StorageClass::kEnterpriseFlash: return "enterprise_flash";
    case StorageClass::kBatteryBackedCache: return "battery_backed_cache";
  }
  return "unknown";
}

}  // namespace waltune
