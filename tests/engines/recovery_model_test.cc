// Recovery-time and page-write side of the model, end to end through advise: cold-start
// recovery terms that depend on the device, the bound over the unknown full-page-image share,
// and the consistency of the page-write ceiling (issue 10 item 4, issue 12 items 3 and 4).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "test_util.h"
#include "waltune/engine.h"
#include "waltune/units.h"

namespace waltune {
namespace {

// "1536MB" or "2GB" (FormatPgBytes) in MB.
double MegabytesOf(const std::string& pg_bytes) {
  return std::stod(pg_bytes) * (pg_bytes.find("GB") != std::string::npos ? 1024 : 1);
}

using testing::AdviseOk;
using testing::Estimate;
using testing::Request;
using testing::Value;
using json = nlohmann::json;

bool HasWarning(const Advice& a, const std::string& needle) {
  for (const std::string& w : a.warnings) {
    if (w.find(needle) != std::string::npos) return true;
  }
  return false;
}

bool Reachable(const Advice& a, double tps) { return a.with_config_tps >= tps; }

// The profile of issue 12: this machine's virtio disk reports rotational=1 (class "hdd") and
// the flush latency was set to 8 ms; no read or random-write rates measured.
json Issue12Profile() {
  return {
      {"class", "hdd"},
      {"write_cache", "write back"},
      {"sync_methods", {{"fdatasync", {{"p50_us", 8000}, {"p99_us", 12000}, {"ops_per_s", 120}}}}},
      {"recommended_sync_method", "fdatasync"},
      {"seq_write_bytes_per_s", 300000000}};
}

json Issue12Request(double tps) {
  return Request({{"db_engine", "PostgreSQL"},
                  {"engine_version", "15"},
                  {"durability_requirement", "strict"},
                  {"concurrency", 32},
                  {"working_set", "750MB"},
                  {"recovery_time_target", "60s"},
                  {"write_rate", std::to_string(static_cast<int>(tps)) + " tps"},
                  {"storage_profile", Issue12Profile()}});
}

// Issue 12: 500 tps was judged infeasible ("exceeds the predicted 73.7 tps, limited by page
// writes") while 20000 tps got a configuration predicted at 2626 tps. Before the fix
// SortedPageWriteSeconds interpolated per page between a seek and streaming, which made a
// half-dirty hot set cost more than a fully dirty one, so the page-write ceiling was not
// monotone in the rate. Failed on 99a3228: with_config_tps(500) was 73.
TEST(PageWrites, Issue12LowerRateIsNotLessFeasibleThanAHigherOne) {
  const Advice low = AdviseOk(Issue12Request(500));
  const Advice high = AdviseOk(Issue12Request(20000));
  ASSERT_GE(high.with_config_tps, 500);  // the high answer's config would carry 500 tps ...
  EXPECT_TRUE(Reachable(low, 500)) << low.with_config_tps;  // ... so 500 must be reachable
  EXPECT_FALSE(HasWarning(low, "exceeds the predicted"));
  EXPECT_GE(low.with_config_tps, low.baseline_tps * 0.95);
}

struct GridPoint {
  std::string engine, version, storage;
  double target_s, tps;
};

json GridRequest(const GridPoint& g, const std::string& durability) {
  return Request({{"db_engine", g.engine},
                  {"engine_version", g.version},
                  {"durability_requirement", durability},
                  {"concurrency", 16},
                  {"working_set", "2GB"},
                  {"storage_type", g.storage},
                  {"recovery_time_target", std::to_string(static_cast<int>(g.target_s)) + "s"},
                  {"write_rate", std::to_string(static_cast<int>(g.tps)) + " tps"}});
}

const std::vector<std::pair<std::string, std::string>>& Engines() {
  static const std::vector<std::pair<std::string, std::string>> e = {
      {"PostgreSQL", "15"}, {"MariaDB", "10.11"}, {"MySQL", "8.4"}, {"SQLite", "3.46"}};
  return e;
}
const std::vector<std::string>& Storages() {
  static const std::vector<std::string> s = {"HDD", "SATA SSD", "NVMe",
                                             "NVMe with power-loss protection", "BBU"};
  return s;
}
const std::vector<double> kTargets = {15, 60, 300};
const std::vector<double> kRates = {50, 200, 1000, 5000, 20000};

// Feasibility is monotone: if a rate R is reachable, every lower rate is; and if the answer for
// a higher rate predicts at least R for its configuration, R itself is reachable.
// SQLite too: its wal_autocheckpoint grows with the rate (~10 s of writes), and on an HDD a
// larger checkpoint sweeps the file instead of seeking, so the answer for 200 tps (4000-page
// checkpoints) predicted 64 tps where the one for 50 tps (1000 pages) predicted 46 tps; now a
// writer short of its rate gets larger checkpoints when the recovery target allows them
// (WidenSqliteCheckpoints). Except SQLite standard: there the checkpoint interval is the loss
// window (synchronous=NORMAL syncs the WAL only at checkpoints), ~1 s of writes at the stated
// rate, so a higher stated rate gets larger checkpoints that a lower one may not borrow.
TEST(PageWrites, FeasibilityIsMonotoneOverEnginesStoragesTargetsAndRates) {
  for (const std::string durability : {"strict", "standard"}) {
    for (const auto& [engine, version] : Engines()) {
      for (const std::string& storage : Storages()) {
        for (double target : kTargets) {
          std::vector<Advice> answers;
          for (double tps : kRates) {
            answers.push_back(
                AdviseOk(GridRequest({engine, version, storage, target, tps}, durability)));
          }
          for (size_t lo = 0; lo < kRates.size(); ++lo) {
            for (size_t hi = lo + 1; hi < kRates.size(); ++hi) {
              const std::string where = durability + " " + engine + " " + storage + " " +
                                        std::to_string(target) +
                                        " s: " + std::to_string(kRates[lo]) + " vs " +
                                        std::to_string(kRates[hi]) + " tps";
              if (Reachable(answers[hi], kRates[hi])) {
                EXPECT_TRUE(Reachable(answers[lo], kRates[lo])) << where;
              }
              const bool loss_window_sized = engine == "SQLite" && durability == "standard";
              if (!loss_window_sized && answers[hi].with_config_tps >= kRates[lo]) {
                EXPECT_TRUE(Reachable(answers[lo], kRates[lo]))
                    << where << ": higher answer predicts " << answers[hi].with_config_tps
                    << ", lower " << answers[lo].with_config_tps;
              }
            }
          }
        }
      }
    }
  }
}

// Never slower than the defaults without saying why.
TEST(PageWrites, SlowerThanDefaultsIsAlwaysExplained) {
  for (const auto& [engine, version] : Engines()) {
    for (const std::string& storage : Storages()) {
      for (double target : kTargets) {
        for (double tps : kRates) {
          const Advice a = AdviseOk(GridRequest({engine, version, storage, target, tps}, "strict"));
          if (a.with_config_tps < 0.95 * a.baseline_tps) {
            EXPECT_TRUE(HasWarning(a, "predicted slower than"))
                << engine << " " << storage << " " << target << " s " << tps
                << " tps: " << a.with_config_tps << " vs " << a.baseline_tps;
          }
        }
      }
    }
  }
}

// innodb_io_capacity and _max are never below the page-flush rate the answer relies on.
TEST(PageWrites, InnodbIoCapacityNeverBelowTheNeededFlushRate) {
  for (const std::string& storage : Storages()) {
    for (double target : kTargets) {
      for (double tps : kRates) {
        const Advice a =
            AdviseOk(GridRequest({"MariaDB", "10.11", storage, target, tps}, "strict"));
        const double needed = Estimate(a, "page_flush_rate_needed_per_s");
        EXPECT_GE(std::stod(Value(a, "innodb_io_capacity")), needed) << storage << " " << tps;
        EXPECT_GE(std::stod(Value(a, "innodb_io_capacity_max")),
                  2 * std::stod(Value(a, "innodb_io_capacity")));
      }
    }
  }
}

// Issue 10: on an HDD the advised innodb_io_capacity_max (200) was below the 1023 pages/s the
// same answer said were needed; now the setting covers it and a warning names the device limit.
TEST(PageWrites, HddPageCleanerBeyondTheDeviceIsWarned) {
  const Advice a = AdviseOk(GridRequest({"MySQL", "8.4", "HDD", 60, 1000}, "strict"));
  const double needed = Estimate(a, "page_flush_rate_needed_per_s");
  ASSERT_GT(needed, 145);  // the HDD preset's random 16 KiB write rate
  EXPECT_GE(std::stod(Value(a, "innodb_io_capacity")), needed);
  EXPECT_TRUE(HasWarning(a, "random 16 KiB writes/s this storage sustains"));
}

// InnoDB cold recovery, HDD vs NVMe, hand-checked. MariaDB 10.11 at 10 tps, 4 rows of 100 bytes
// (redo 100 + 4 x (100 + 200) = 1300 bytes/txn), working set 160 MiB = 10,240 pages of 16 KiB,
// buffer pool 1 GiB (one recovery batch: its first holds up to 341 MiB of redo).
// An hour of redo (46.8 MB) is below the 96 MiB default, so the capacity is 96 MiB on both;
// the age bound is 0.81 x 96 MiB = 81,537,269.76 bytes = 62,721 txns x 8 page changes,
// far more than the 10,240 hot pages: all 10,240 are read back.
//   HDD:  0.6 + 81.54e6 / 150e6 (0.5436) + 81.54e6 / 100e6 (0.8154) + 10240 / 78 (131.28)
//         = 133.24 s
//   NVMe: 0.6 + 81.54e6 / 3e9 (0.0272) + 0.8154 + 10240 / 14000 (0.7314) = 2.174 s
TEST(Recovery, InnodbReadsBackTouchedPagesAtTheDevicesRandomReadRate) {
  auto ask = [](const std::string& storage) {
    return AdviseOk(Request({{"db_engine", "MariaDB"},
                             {"engine_version", "10.11"},
                             {"durability_requirement", "strict"},
                             {"write_rate", "10 tps"},
                             {"rows_per_txn", 4},
                             {"row_bytes", 100},
                             {"working_set", "160MiB"},
                             {"buffer_pool", "1GiB"},
                             {"storage_type", storage},
                             {"recovery_time_target", "10min"}}));
  };
  const Advice hdd = ask("HDD");
  const Advice nvme = ask("NVMe");
  const double age = 0.81 * 96 * 1048576.0;
  for (const Advice* a : {&hdd, &nvme}) {
    EXPECT_NEAR(Estimate(*a, "redo_capacity_bytes"), 96 * 1048576.0, 1);
    EXPECT_NEAR(Estimate(*a, "recovery_pages_to_read"), 10240, 1e-6);
  }
  EXPECT_NEAR(Estimate(hdd, "estimated_recovery_time_s"),
              0.6 + age / 150e6 + age / 100e6 + 10240.0 / 78, 1e-6);
  EXPECT_NEAR(Estimate(nvme, "estimated_recovery_time_s"),
              0.6 + age / 3e9 + age / 100e6 + 10240.0 / 14000, 1e-6);
  EXPECT_NEAR(Estimate(hdd, "estimated_recovery_time_s"), 133.24, 0.01);
  EXPECT_NEAR(Estimate(nvme, "estimated_recovery_time_s"), 2.174, 0.001);
  // The expected peak never exceeds the bound.
  EXPECT_LE(Estimate(hdd, "expected_peak_recovery_time_s"),
            Estimate(hdd, "estimated_recovery_time_s") + 1e-9);
}

// SQLite's WAL-index rebuild reads the WAL at the storage's sequential read bandwidth and
// indexes it at 1.28 GB/s (the rebuild with the WAL cached, measured here):
//   HDD  1 / (1 / 150e6 + 1 / 1.28e9) = 134.27 MB/s;   NVMe 1 / (1 / 3e9 + 1 / 1.28e9) = 897.2
//   MB/s.
TEST(Recovery, SqliteWalScanAtTheStoragesReadBandwidth) {
  auto rate = [](const std::string& storage) {
    return Estimate(AdviseOk(Request({{"db_engine", "SQLite"},
                                      {"durability_requirement", "strict"},
                                      {"write_rate", "100 tps"},
                                      {"storage_type", storage},
                                      {"recovery_time_target", "10s"}})),
                    "replay_rate_bytes_per_s");
  };
  EXPECT_NEAR(rate("HDD"), 1 / (1 / 150e6 + 1 / 1.28e9), 1);
  EXPECT_NEAR(rate("NVMe"), 1 / (1 / 3e9 + 1 / 1.28e9), 1);
}

// With a measured read through the page cache the expected WAL scan uses it (SQLite reads the
// WAL with read()); the bound reads the WAL at the device's sequential rate, as when it is in no
// cache (cold rebuilds measured here ran as slow as 0.54 GB/s, below the expected ~1.0 GB/s).
// The open costs 0.3 ms plus two uncached page reads at the measured random read rate. Profile:
// SSD (the SATA preset's 530 MB/s sequential read), fdatasync 200 us, 2 GB/s through the page
// cache, 5000 random 8 KiB reads/s:
//   expected scan  1 / (1 / 2e9 + 1 / 1.28e9)   = 780.5 MB/s
//   bound scan     1 / (1 / 530e6 + 1 / 1.28e9) = 374.8 MB/s
//   open  0.0003 + 2 / 5000                     = 0.0007 s
//   recovery = open + WAL at the checkpoint / scan, for each.
// Without the buffered rate the sequential read stands in for both: 374.8 MB/s, open 0.0003 +
// 2 / 10000 = 0.0005 s. A page-cache read slower than the device's caps the bound's read: with
// 400 MB/s through the page cache both read at 400 MB/s, 1 / (1 / 400e6 + 1 / 1.28e9) =
// 304.8 MB/s.
TEST(Recovery, SqliteWalScanReadsThroughThePageCacheWhenMeasured) {
  json profile = {
      {"class", "ssd"},
      {"write_cache", "write back"},
      {"sync_methods", {{"fdatasync", {{"p50_us", 200}, {"p99_us", 400}, {"ops_per_s", 5000}}}}},
      {"recommended_sync_method", "fdatasync"},
      {"seq_write_bytes_per_s", 300000000},
      {"random_read_8k_iops", 5000},
      {"buffered_read_bytes_per_s", 2000000000}};
  json constraints = {{"db_engine", "SQLite"},
                      {"durability_requirement", "strict"},
                      {"write_rate", "200 tps"},
                      {"recovery_time_target", "10s"},
                      {"storage_profile", profile}};
  const Advice measured = AdviseOk(Request(constraints));
  const double wal = Estimate(measured, "wal_to_replay_bytes");
  EXPECT_NEAR(Estimate(measured, "expected_replay_rate_bytes_per_s"), 780.5e6, 0.1e6);
  EXPECT_NEAR(Estimate(measured, "replay_rate_bytes_per_s"), 374.8e6, 0.1e6);
  EXPECT_NEAR(Estimate(measured, "open_time_s"), 0.0007, 1e-9);
  EXPECT_NEAR(Estimate(measured, "expected_peak_recovery_time_s"),
              0.0007 + wal * (1 / 2e9 + 1 / 1.28e9), 1e-9);
  EXPECT_NEAR(Estimate(measured, "estimated_recovery_time_s"),
              0.0007 + wal * (1 / 530e6 + 1 / 1.28e9), 1e-9);
  EXPECT_NE(measured.checkpoint_rationale.find("read from the device"), std::string::npos)
      << measured.checkpoint_rationale;

  profile["buffered_read_bytes_per_s"] = 400000000;
  constraints["storage_profile"] = profile;
  const Advice slow_cache = AdviseOk(Request(constraints));
  EXPECT_NEAR(Estimate(slow_cache, "replay_rate_bytes_per_s"), 304.8e6, 0.1e6);
  EXPECT_NEAR(Estimate(slow_cache, "expected_replay_rate_bytes_per_s"), 304.8e6, 0.1e6);

  constraints.erase("storage_profile");
  constraints["storage_type"] = "SATA SSD";
  const Advice preset = AdviseOk(Request(constraints));
  EXPECT_NEAR(Estimate(preset, "replay_rate_bytes_per_s"), 374.8e6, 0.1e6);
  EXPECT_NEAR(Estimate(preset, "expected_replay_rate_bytes_per_s"), 374.8e6, 0.1e6);
  EXPECT_NEAR(Estimate(preset, "open_time_s"), 0.0005, 1e-9);
  EXPECT_DOUBLE_EQ(Estimate(preset, "expected_peak_recovery_time_s"),
                   Estimate(preset, "estimated_recovery_time_s"));
}

// Issue 12 item 3: the PostgreSQL estimate is a bound over the image share: it is never below
// the same crash at the predicted share, and the rationale says which bound was used.
TEST(Recovery, PostgresBoundHoldsWhateverTheImageShare) {
  for (const std::string& storage : Storages()) {
    for (double target : kTargets) {
      for (double tps : kRates) {
        const Advice a =
            AdviseOk(GridRequest({"PostgreSQL", "15", storage, target, tps}, "strict"));
        EXPECT_GE(Estimate(a, "estimated_recovery_time_s"),
                  Estimate(a, "expected_recovery_time_s") - 1e-9)
            << storage << " " << target << " " << tps;
        EXPECT_TRUE(a.checkpoint_rationale.find("bounded") != std::string::npos);
        EXPECT_LE(Estimate(a, "wal_to_replay_record_bytes"),
                  Estimate(a, "wal_to_replay_bytes") + 1e-6);
      }
    }
  }
}

// PostgreSQL 15 strict at 1200 tps, 1 row of 100 bytes, on NVMe with PLP, the working set inside
// the buffers.
json OneRowNvmeRequest() {
  return Request({{"db_engine", "PostgreSQL"},
                  {"engine_version", "15"},
                  {"durability_requirement", "strict"},
                  {"write_rate", "1200 tps"},
                  {"rows_per_txn", 1},
                  {"row_bytes", 100},
                  {"working_set", "1GB"},
                  {"buffer_pool", "1GB"},  // no replay misses
                  {"storage_type", "NVMe with power-loss protection"},
                  {"recovery_time_target", "15s"}});
}

// Hand-checked bound, all plain records: PostgreSQL 15 strict at 1200 tps, 1 row of 100 bytes
// (base WAL 40 + 1 x (100 + 130) = 270 bytes/txn) on NVMe with PLP. In (1 + 0.9) x 300 s the
// workload writes 1200 x 570 x 270 = 184.7 MB of records; the bound replays
// min(max_wal_size, records + two images per hot page) with records at 38 MB/s.
TEST(Recovery, PostgresBoundReplaysRecordsAtTheSlowerRate) {
  const Advice a = AdviseOk(OneRowNvmeRequest());
  EXPECT_EQ(Estimate(a, "replay_buffer_miss_fraction"), 0);
  const double window = Estimate(a, "wal_to_replay_bytes");
  const double records = Estimate(a, "wal_to_replay_record_bytes");
  EXPECT_LE(records, 1200.0 * 1.9 * 3600 * 270 + 1);
  const double replay_s = records / 38e6 + (window - records) / (200e6 * 0.5);  // lz4 images
  // Before replay every file of the data directory is fsynced, one device flush (40 us on this
  // preset) each: 970 cluster files, WAL segments (twice the window, at most max_wal_size), 1
  // GiB of table data.
  const double wal_mb =
      std::min(MegabytesOf(Value(a, "max_wal_size")), 2 * window / (1024.0 * 1024));
  const double files = 970 + std::ceil(wal_mb / 16) + 1;
  EXPECT_NEAR(Estimate(a, "datadir_sync_s"), files * 40e-6, 1e-9);
  EXPECT_NEAR(
      Estimate(a, "estimated_recovery_time_s"),
      0.5 + files * 40e-6 + window / 3e9 + replay_s + Estimate(a, "end_of_recovery_checkpoint_s"),
      1e-6);
  EXPECT_LE(Estimate(a, "estimated_recovery_time_s"), 15 + 1e-9);
}

// Hand-checked replay misses: the same request with the 1 GB working set 4x a 256 MB
// shared_buffers, all writes random: 1 row x 2 pages (heap, index) = 2 random page changes per
// transaction, 0.75 of them outside the buffers. In the expected window, (1 + c) T of load, the
// first change to each page per checkpoint cycle carries an image and needs no read; the
// others miss at 0.75, 12.2 us each.
json MissRequest(const std::string& buffer_pool, int rows = 1, int row_bytes = 100,
                 const std::string& target = "15s") {
  json r = Request({{"db_engine", "PostgreSQL"},
                    {"engine_version", "15"},
                    {"durability_requirement", "strict"},
                    {"write_rate", "1200 tps"},
                    {"rows_per_txn", rows},
                    {"row_bytes", row_bytes},
                    {"working_set", "1GB"},
                    {"write_pattern", "random"},
                    {"storage_type", "NVMe with power-loss protection"},
                    {"recovery_time_target", target}});
  if (!buffer_pool.empty()) r["constraints"]["buffer_pool"] = buffer_pool;
  return r;
}

// The end-of-recovery checkpoint writes the dirty buffers: at most shared_buffers of them (128 MB
// = 16 384), whatever the window dirtied of the 1 GB working set (131 072 pages). By hand on
// NVMe with PLP (200 000 random 8 KiB writes/s, 2e9 B/s sequential, 40 us flushes):
// 16 384 x 28.5 us (0.466944) + min(16 384 / 200 000, 131 072 x 8192 / 2e9) (0.08192) + 2 x 40
// us = 0.548944 s. With 4 GB of buffers every page the window dirtied is written: more.
TEST(Recovery, PostgresEndOfRecoveryCheckpointWritesAtMostSharedBuffers) {
  const Advice small = AdviseOk(MissRequest("128MB"));
  EXPECT_NEAR(Estimate(small, "end_of_recovery_checkpoint_s"), 0.548944, 1e-6);
  const Advice large = AdviseOk(MissRequest("4GB"));
  EXPECT_GT(Estimate(large, "end_of_recovery_checkpoint_s"), 0.6);
}

TEST(Recovery, PostgresPricesReplayMissesBeyondSharedBuffers) {
  const Advice a = AdviseOk(MissRequest("256MB"));
  EXPECT_NEAR(Estimate(a, "replay_buffer_miss_fraction"), 0.75, 1e-12);
  const double t = Estimate(a, "checkpoint_interval_s");
  const double pages = 1024.0 * 1024 * 1024 / 8192, changes_per_s = 1200.0 * 2;
  const double images = pages * (1 - std::exp(-changes_per_s * t / pages)) +
                        pages * (1 - std::exp(-changes_per_s * 0.9 * t / pages));
  // 270 bytes of records per transaction, 0.5 x 6553.6 per lz4 image; a window larger than
  // max_wal_size is cut to it, records, images and changes alike.
  const double wal = 1200 * 1.9 * t * 270 + images * 3276.8;
  const double scale = std::min(1.0, MegabytesOf(Value(a, "max_wal_size")) * 1024 * 1024 / wal);
  const double misses = 0.75 * (changes_per_s * 1.9 * t - images) * scale;
  EXPECT_GT(misses, 0);
  EXPECT_NEAR(Estimate(a, "expected_replay_buffer_misses"), misses, misses * 1e-9);
  EXPECT_NEAR(Estimate(a, "replay_miss_s"), Estimate(a, "replay_buffer_misses") * 12.2e-6, 1e-12);
  EXPECT_NE(a.checkpoint_rationale.find("75% of the random page changes"), std::string::npos)
      << a.checkpoint_rationale;
  EXPECT_LE(a.estimated_recovery_time_s, 15);
  // With the working set inside the buffers there is nothing to read back.
  const Advice fits = AdviseOk(MissRequest("1GB"));
  EXPECT_EQ(Estimate(fits, "replay_buffer_miss_fraction"), 0);
  EXPECT_EQ(Estimate(fits, "replay_buffer_misses"), 0);
}

// Where each transaction changes many random pages for few bytes of WAL (4 rows of 10 bytes: 8
// changes per 600 bytes) and checkpoints are minutes apart, a window with the read-backs
// replays slower than the same WAL as plain records alone: the bound takes that window, over
// the share of the described changes.
TEST(Recovery, PostgresBoundTakesTheWindowWithItsReadBacksWhenSlower) {
  const Advice a = AdviseOk(MissRequest("256MB", 4, 10, "60s"));
  EXPECT_GT(Estimate(a, "replay_buffer_misses"), 0);
  EXPECT_GT(Estimate(a, "replay_s"), Estimate(a, "wal_to_replay_bytes") / 38e6);
  EXPECT_NE(a.checkpoint_rationale.find("unknown share of random page changes"), std::string::npos)
      << a.checkpoint_rationale;
  EXPECT_GE(Estimate(a, "estimated_recovery_time_s"),
            Estimate(a, "expected_recovery_time_s") - 1e-9);
  // The misses make the window that meets the same target smaller than in the buffers.
  const Advice fits = AdviseOk(MissRequest("1GB", 4, 10, "60s"));
  EXPECT_LT(MegabytesOf(Value(a, "max_wal_size")), MegabytesOf(Value(fits, "max_wal_size")));
}

// When the target allows checkpoints an hour or more apart, checkpoint_timeout (1h at most)
// sets the spacing, and max_wal_size holds (1 + c) cycles of an hour, not of the longer spacing
// the target would allow (an answer once said 224GB). By hand: 1 200 tps x 3 600 s x 180 bytes
// (40 + 10 + 130) = 777.6 MB of records, plus every page of the 512 MB working set imaged once
// (65 536 x 3 276.8 bytes = 214.7 MB): 992.3 MB a cycle, x 1.9 = 1 885 MB, rounded down.
TEST(Spacing, PostgresMaxWalSizeHoldsNoMoreThanHourLongCycles) {
  json r = MissRequest("512MB", 1, 10, "300s");
  r["constraints"]["working_set"] = "512MB";
  const Advice a = AdviseOk(r);
  EXPECT_EQ(Value(a, "checkpoint_timeout"), "1h");
  const double cycle =
      1200.0 * 3600 * 180 + 65536 * (1 - std::exp(-2400.0 * 3600 / 65536)) * 3276.8;
  const double max_wal = MegabytesOf(Value(a, "max_wal_size")) * 1024 * 1024;
  EXPECT_LE(max_wal, 1.9 * cycle);
  EXPECT_GE(max_wal, 1.9 * cycle * 0.875);  // FloorToNiceBytes loses at most 12.5%
}

// When the target cannot be met and the replay reads pages back, the warning names
// shared_buffers beside the other ways out (examples/upstream-only.json: 20 000 tps, a 2 GB
// working set against the default 128 MB).
TEST(Recovery, PostgresUnmetTargetNamesSharedBuffersWhenReadBacksCount) {
  const Advice a = AdviseOk(Request({{"db_engine", "PostgreSQL"},
                                     {"engine_version", "16"},
                                     {"durability_requirement", "strict"},
                                     {"write_rate", "20000 tps"},
                                     {"working_set", "2GB"},
                                     {"recovery_time_target", "30s"}}));
  ASSERT_GT(Estimate(a, "replay_miss_s"), 0);
  EXPECT_TRUE(HasWarning(a, "cannot be met"));
  EXPECT_TRUE(HasWarning(a, "or shared_buffers closer to it"));
  const Advice fits = AdviseOk(Request({{"db_engine", "PostgreSQL"},
                                        {"engine_version", "16"},
                                        {"durability_requirement", "strict"},
                                        {"write_rate", "20000 tps"},
                                        {"working_set", "2GB"},
                                        {"buffer_pool", "2GB"},
                                        {"recovery_time_target", "30s"}}));
  EXPECT_FALSE(HasWarning(fits, "shared_buffers closer"));
}

// Without constraints.buffer_pool the model takes PostgreSQL's default 128 MB (the most
// misses a server with default settings has) and says so; 0.875 of 1 GB is outside it.
TEST(Recovery, PostgresAssumesDefaultSharedBuffersAndSaysSo) {
  const Advice a = AdviseOk(MissRequest(""));
  EXPECT_NEAR(Estimate(a, "replay_buffer_miss_fraction"), 0.875, 1e-12);
  bool said = false;
  for (const Assumption& x : a.assumptions) {
    said = said || (x.field == "constraints.buffer_pool" && x.value == "128.0 MiB");
  }
  EXPECT_TRUE(said);
  for (const Assumption& x : AdviseOk(MissRequest("256MB")).assumptions) {
    EXPECT_NE(x.field, "constraints.buffer_pool");
  }
}

// A calibrated replay rate was measured with its run's own misses: the model adds only the
// share beyond them (0.75 - 0.5 here), and none when the calibration missed as often.
TEST(Recovery, PostgresCalibratedRateKeepsItsOwnMisses) {
  auto parsed = ParseRequest(MissRequest("256MB"));
  ASSERT_TRUE(parsed.ok());
  Scenario s = *parsed;
  s.calibration.present = true;
  s.calibration.replay_bytes_per_s = 30e6;
  s.calibration.replay_buffer_miss_fraction = 0.5;
  const Advice part = Solve(s);
  EXPECT_NEAR(Estimate(part, "replay_buffer_miss_fraction"), 0.25, 1e-12);
  EXPECT_GT(Estimate(part, "expected_replay_buffer_misses"), 0);
  s.calibration.replay_buffer_miss_fraction = 0.75;
  const Advice all = Solve(s);
  EXPECT_EQ(Estimate(all, "replay_buffer_miss_fraction"), 0);
  EXPECT_EQ(Estimate(all, "expected_replay_buffer_misses"), 0);
  EXPECT_EQ(Estimate(all, "replay_buffer_misses"), 0);
}

// A calibrated replay rate is blended over its run's records and images (PostgreSQL logs one
// redo time), so the bound prices the images of its window at it too, not at the model's 100
// MB/s per WAL byte for lz4 images: measured on 512 MB of `tpcb`, lz4 images of ~1 340 bytes
// replayed at about the records' rate (docs/verify.md, session 32). By hand, OneRowNvmeRequest
// (no misses: the working set fits the buffers) with 100 bytes of records per transaction, so
// that the window holds images, 47.1 MB/s and a calibrated restart overhead of 0.3 s (which
// holds the data-directory sync): 0.3 + window / 3e9 (the cold scan) + window / 47.1e6 + the
// end-of-recovery checkpoint.
TEST(Recovery, PostgresCalibratedRateReplaysImagesNoFaster) {
  auto parsed = ParseRequest(OneRowNvmeRequest());
  ASSERT_TRUE(parsed.ok());
  Scenario s = *parsed;
  s.calibration.present = true;
  s.calibration.replay_bytes_per_s = 47.1e6;
  s.calibration.wal_record_bytes_per_txn = 100;
  s.calibration.restart_overhead_s = 0.3;
  const Advice a = Solve(s);
  const double window = Estimate(a, "wal_to_replay_bytes");
  ASSERT_GT(window - Estimate(a, "wal_to_replay_record_bytes"), 1e6);  // images in the window
  EXPECT_NEAR(Estimate(a, "replay_rate_bytes_per_s"), 47.1e6, 1e-3);
  EXPECT_EQ(Estimate(a, "datadir_sync_s"), 0);
  EXPECT_NEAR(Estimate(a, "estimated_recovery_time_s"),
              0.3 + window / 3e9 + window / 47.1e6 + Estimate(a, "end_of_recovery_checkpoint_s"),
              1e-6);
  EXPECT_LE(Estimate(a, "estimated_recovery_time_s"), 15 + 1e-9);
  EXPECT_NE(a.checkpoint_rationale.find("bounded at the calibrated ~47 MB/s for every byte"),
            std::string::npos)
      << a.checkpoint_rationale;
}

// A calibration that read its crash windows back (session 34's `tpcb` one: 97 586 588 bytes of
// records, 112 142 images in 128 098 443 bytes, 194 067 commits, 4.91 s of redo, 46.8 MB/s
// blended) charges the whole replay to the records: 97 586 588 / 4.91 = 19.875 MB/s. The model
// takes the window's 502.85 bytes of records per transaction and its 1 142.3-byte lz4 images. By
// hand, MissRequest with 128 MB of buffers (1 GB working set, miss fraction 0.875, all of it the
// calibration's own: no misses added; the end-of-recovery checkpoint writes 16 384 buffers,
// 0.548944 s) and a restart overhead of 0.3 s: the bound is the window as records, 0.3 + W / 3e9
// + W / 19.875e6 + 0.548944. The expected peak is the same terms at the predicted mix, its
// records at 19.875 MB/s and only the images beyond 112 142 per 97 586 588 record bytes at the
// blended 46.8 MB/s; a window of few images (1 000) leaves more of them to price.
Calibration Session34Calibration(double images, double redo_s) {
  Calibration c;
  c.present = true;
  c.replay_bytes_per_s = 46.8e6;
  c.restart_overhead_s = 0.3;
  c.replay_buffer_miss_fraction = 0.875;
  c.wal_record_bytes_per_txn = 691;
  c.fpi_bytes = 2298.4;
  c.fpi_page_bytes = 7825.6;
  c.fpi_compression = "lz4";
  const double image_bytes = 128098443.0 / 112142 * images;
  c.replay_window = CalibrationReplayWindow{97586588, image_bytes, images, 194067, redo_s};
  return c;
}

TEST(Recovery, PostgresCalibrationWindowChargesTheReplayToItsRecords) {
  auto parsed = ParseRequest(MissRequest("128MB"));
  ASSERT_TRUE(parsed.ok());
  std::vector<double> priced;  // images beyond the calibration's, per calibration
  for (const double images : {112142.0, 1000.0}) {
    Scenario s = *parsed;
    s.calibration = Session34Calibration(images, 4.91);
    const Advice a = Solve(s);
    ASSERT_EQ(Value(a, "wal_compression"), "lz4");
    const double record_rate = 97586588 / 4.91;
    const double image = 128098443.0 / 112142;
    EXPECT_NEAR(Estimate(a, "wal_base_bytes_per_txn"), 97586588.0 / 194067, 1e-9);
    EXPECT_EQ(Estimate(a, "replay_buffer_misses"), 0);
    EXPECT_NEAR(Estimate(a, "end_of_recovery_checkpoint_s"), 0.548944, 1e-6);
    const double w = Estimate(a, "wal_to_replay_bytes");
    EXPECT_EQ(Estimate(a, "wal_to_replay_record_bytes"), w);
    EXPECT_NEAR(Estimate(a, "estimated_recovery_time_s"),
                0.3 + w / 3e9 + w / record_rate + 0.548944, 1e-6);
    EXPECT_LE(Estimate(a, "estimated_recovery_time_s"), 15 + 1e-9);
    EXPECT_NE(a.checkpoint_rationale.find("whole replay charged to its records"), std::string::npos)
        << a.checkpoint_rationale;

    const double e = Estimate(a, "expected_wal_to_replay_bytes");
    const double records = Estimate(a, "expected_wal_to_replay_record_bytes");
    const double beyond = std::max(0.0, (e - records) / image - records * images / 97586588);
    EXPECT_NEAR(Estimate(a, "expected_images_beyond_calibration"), beyond, 1e-6 * beyond + 1e-9);
    priced.push_back(beyond);
    EXPECT_NEAR(Estimate(a, "expected_peak_recovery_time_s"),
                0.3 + e / 3e9 + records / record_rate + beyond * image / 46.8e6 + 0.548944, 1e-6);
    EXPECT_EQ(Estimate(a, "expected_peak_recovery_time_s"),
              Estimate(a, "expected_recovery_time_s"));
    EXPECT_LT(Estimate(a, "expected_peak_recovery_time_s"),
              Estimate(a, "estimated_recovery_time_s"));
    // verify puts each crash beside the same terms for the WAL it left: at the expected
    // window, the expected peak; at half of it, the same mix halved (less the fixed terms).
    const EngineAdvisor& pg = AdvisorFor(Engine::kPostgreSQL);
    const auto at_peak = pg.ExpectedRecoveryAtAgeS(s, e);
    ASSERT_TRUE(at_peak.has_value());
    EXPECT_NEAR(*at_peak, Estimate(a, "expected_peak_recovery_time_s"), 1e-9);
    const auto at_half = pg.ExpectedRecoveryAtAgeS(s, e / 2);
    ASSERT_TRUE(at_half.has_value());
    EXPECT_NEAR(
        *at_half,
        0.3 + e / 2 / 3e9 + records / 2 / record_rate + beyond / 2 * image / 46.8e6 + 0.548944,
        1e-6);
  }
  // A calibration window with fewer images per record byte leaves more of them to price.
  ASSERT_EQ(priced.size(), 2u);
  EXPECT_GT(priced[1], priced[0]);
  // Without a window the answer has no expected peak, and so nothing at a distance.
  Scenario plain = *parsed;
  plain.calibration.present = true;
  plain.calibration.replay_bytes_per_s = 46.8e6;
  EXPECT_FALSE(AdvisorFor(Engine::kPostgreSQL).ExpectedRecoveryAtAgeS(plain, 1e8).has_value());
  bool expected_peak = false;
  for (const auto& est : Solve(plain).estimates) {
    expected_peak = expected_peak || est.name == "expected_peak_recovery_time_s";
  }
  EXPECT_FALSE(expected_peak);
}

// The recovery prefetcher (PostgreSQL 15+, on by default) priced apart from the records in the
// expected time. Session 36 replayed crash copies cold with it on and off: 20.3 us per image of
// the window (the median of three). By hand, for the calibration window of the test above
// (97 586 588 record bytes, 112 142 images, 4.91 s of redo) measured on PostgreSQL 15: its
// prefetcher took 112 142 x 20.3 us = 2.2764826 s (under half the redo), so its records
// replayed at 97 586 588 / (4.91 - 2.2764826) = 37.0556 MB/s, against 19.875 MB/s with the whole
// redo charged to them. The expected time then takes the records at 37.0556 MB/s, 20.3 us for
// each image up to the calibration's count per record byte (0.00114915 per byte), and the images
// beyond it at the blended rate, which holds their prefetcher. Where the window has more images
// per record byte than the calibration's, the prefetcher's share comes back exactly:
// r / 37.0556e6 + r x 0.00114915 x 20.3 us = r / 19.875e6. A calibration measured on 14 (no
// prefetcher) charges its whole redo to the records and prices every image's prefetcher; a
// scenario on 14 has none to price. The bound keeps the whole redo on the records in every case.
// A calibration of the same window replayed in 3.0 s has its prefetcher capped at half of it:
// 1.5 s, records at 97 586 588 / 1.5 = 65.0577 MB/s, and each image 1.5 s / 112 142 = 13.376 us,
// so that no window is priced above its whole redo on the records.
TEST(Recovery, PostgresExpectedTimePricesTheRecoveryPrefetcherPerImage) {
  constexpr double kRecords = 97586588, kImages = 112142, kRedo = 4.91;
  struct Case {
    int calibration_major;
    double redo_s, record_rate, prefetch_s_per_image;
  };
  const Case cases[] = {{15, kRedo, 37055607.83, 20.3e-6},
                        {14, kRedo, 19875068.84, 20.3e-6},
                        {15, 3.0, 65057725.33, 1.5 / kImages}};
  for (const std::string target : {"15s", "60s"}) {
    for (const bool scenario_15 : {true, false}) {
      for (const Case& k : cases) {
        const int calibration_major = k.calibration_major;
        SCOPED_TRACE(target + (scenario_15 ? " on 15" : " on 14") + ", calibrated on " +
                     std::to_string(calibration_major) + " in " + std::to_string(k.redo_s) + " s");
        json r = MissRequest("128MB", 1, 100, target);
        if (!scenario_15) r["constraints"]["engine_version"] = "14";
        auto parsed = ParseRequest(r);
        ASSERT_TRUE(parsed.ok());
        Scenario s = *parsed;
        s.calibration = Session34Calibration(kImages, k.redo_s);
        s.calibration.engine_major = calibration_major;
        const Advice a = Solve(s);
        const bool split = calibration_major >= 15;
        const double rate = k.record_rate, whole = kRecords / k.redo_s;
        // 15 compresses with lz4, as the calibration did: its windows' mean image. 14 has pglz:
        // the calibration's page without its hole x 0.55.
        const double image = scenario_15 ? 128098443.0 / kImages : 7825.6 * 0.55;
        EXPECT_NEAR(Estimate(a, "expected_record_replay_rate_bytes_per_s"), rate, 0.01);
        const double eoc = Estimate(a, "end_of_recovery_checkpoint_s");
        // The bound keeps the whole redo on the records: the same as with a calibration made
        // on 15, except that a calibration made on 14 prices the prefetcher of a 15 server's
        // images on top, so that the advice may space checkpoints closer. At 15 s and 4.91 s,
        // the whole window as records, by hand.
        Scenario on_15 = s;
        on_15.calibration.engine_major = 15;
        const Advice b = Solve(on_15);
        if (split || !scenario_15) {
          EXPECT_EQ(Estimate(a, "estimated_recovery_time_s"),
                    Estimate(b, "estimated_recovery_time_s"));
        } else {
          EXPECT_LE(MegabytesOf(Value(a, "max_wal_size")), MegabytesOf(Value(b, "max_wal_size")));
        }
        const double w = Estimate(a, "wal_to_replay_bytes");
        if (target == "15s" && k.redo_s == kRedo) {
          EXPECT_EQ(Estimate(a, "wal_to_replay_record_bytes"), w);
          EXPECT_NEAR(Estimate(a, "estimated_recovery_time_s"), 0.3 + w / 3e9 + w / whole + eoc,
                      1e-6);
        }
        // The expected time.
        const double e = Estimate(a, "expected_wal_to_replay_bytes");
        const double records = Estimate(a, "expected_wal_to_replay_record_bytes");
        const double images = (e - records) / image;
        const double within = std::min(images, records * kImages / kRecords);
        const double beyond = images - within;
        EXPECT_NEAR(Estimate(a, "expected_images_beyond_calibration"), beyond, 1e-6 * images);
        const double prefetched = !scenario_15 ? 0 : split ? within : images;
        EXPECT_NEAR(Estimate(a, "expected_replay_prefetch_s"), prefetched * k.prefetch_s_per_image,
                    1e-9);
        const double expected = 0.3 + e / 3e9 + records / rate + beyond * image / 46.8e6 +
                                prefetched * k.prefetch_s_per_image + eoc;
        EXPECT_NEAR(Estimate(a, "expected_peak_recovery_time_s"), expected, 1e-6);
        EXPECT_LE(Estimate(a, "expected_peak_recovery_time_s"),
                  Estimate(a, "estimated_recovery_time_s"));
        if (scenario_15 && split && beyond > 0) {
          // More images per record byte than the calibration's: the same as the whole redo
          // charged to the records.
          EXPECT_NEAR(expected, 0.3 + e / 3e9 + records / whole + beyond * image / 46.8e6 + eoc,
                      1e-6);
        }
      }
    }
  }
  // Both kinds of window are in the loop: a 15 s target checkpoints often (image-rich), 60 s
  // seldom (fewer images per record byte than the calibration's).
  for (const auto& [target, image_rich] : {std::pair{"15s", true}, std::pair{"60s", false}}) {
    auto parsed = ParseRequest(MissRequest("128MB", 1, 100, target));
    ASSERT_TRUE(parsed.ok());
    Scenario s = *parsed;
    s.calibration = Session34Calibration(kImages, kRedo);
    const Advice a = Solve(s);
    EXPECT_EQ(Estimate(a, "expected_images_beyond_calibration") > 0, image_rich) << target;
  }
}

// Images sized as verify --calibrate measured them: verify's `tpcb` pages made lz4 images of
// 1 339-2 296 bytes (docs/wal-model.md, "Bytes per full-page image"). By hand,
// OneRowNvmeRequest on a 64 MiB working set (8 192 hot pages) with 100 bytes of records per
// transaction: the bound's window is max_wal_size, or the records of (1 + 0.9) x checkpoint_timeout
// plus two images per hot page where less: 1200 x 1.9 x T x 100 + 2 x 8 192 x image bytes. Measured
// with lz4 and advised lz4: 1 340 bytes. Measured with zstd: the page's 7 000 bytes at the model's
// lz4 ratio 0.5. Not measured: the model's 6 553.6-byte page at 0.5.
TEST(Recovery, PostgresBoundSizesImagesAsCalibrated) {
  json request = OneRowNvmeRequest();
  request["constraints"]["working_set"] = "64MiB";
  auto parsed = ParseRequest(request);
  ASSERT_TRUE(parsed.ok());
  for (const auto& [method, image_bytes] :
       {std::pair<const char*, double>{"lz4", 1340}, {"zstd", 3500}, {"", 3276.8}}) {
    Scenario s = *parsed;
    s.calibration.present = true;
    s.calibration.replay_bytes_per_s = 47.1e6;
    s.calibration.wal_record_bytes_per_txn = 100;
    s.calibration.restart_overhead_s = 0.3;
    if (*method != '\0') {
      s.calibration.fpi_bytes = 1340;
      s.calibration.fpi_page_bytes = 7000;
      s.calibration.fpi_compression = method;
    }
    const Advice a = Solve(s);
    ASSERT_EQ(Value(a, "wal_compression"), "lz4") << method;
    auto timeout_s = ParseDurationS(Value(a, "checkpoint_timeout"), "checkpoint_timeout");
    ASSERT_TRUE(timeout_s.ok()) << method;
    const double cap = 1200 * 1.9 * *timeout_s * 100 + 2 * 8192 * image_bytes;
    const double max_wal_size = MegabytesOf(Value(a, "max_wal_size")) * 1024 * 1024;
    // The measured small images leave the window below max_wal_size.
    if (image_bytes == 1340) {
      EXPECT_LT(cap, max_wal_size);
    }
    EXPECT_NEAR(Estimate(a, "wal_to_replay_bytes"), std::min(cap, max_wal_size), 1e-3) << method;
    bool said = false;
    for (const auto& e : a.estimates) {
      if (e.name != "fpi_bytes_per_txn") continue;
      said =
          e.how.find(std::to_string(std::lround(image_bytes)) + " bytes each") != std::string::npos;
      EXPECT_TRUE(said) << e.how;
    }
    EXPECT_TRUE(said) << method;
  }
}

// Measured here (docs/wal-model.md): 3.6 s passed between "database system was interrupted" and
// "redo starts" for ~1,020 files at a 4.0 ms flush p50, the fsync of every file before replay.
// On an HDD (8.3 ms per flush) a 2 GiB data set and the WAL of max_wal_size cost seconds; a
// calibrated restart overhead, measured as restart minus redo, already holds them.
TEST(Recovery, PostgresSyncsEveryFileOfTheDataDirectoryBeforeReplay) {
  json request = Request({{"db_engine", "PostgreSQL"},
                          {"engine_version", "15"},
                          {"durability_requirement", "strict"},
                          {"write_rate", "100 tps"},
                          {"data_size", "2GiB"},
                          {"storage_type", "HDD"},
                          {"recovery_time_target", "60s"}});
  const Advice a = AdviseOk(request);
  const double wal_mb = std::min(MegabytesOf(Value(a, "max_wal_size")),
                                 2 * Estimate(a, "wal_to_replay_bytes") / (1024.0 * 1024));
  const double files = 970 + std::ceil(wal_mb / 16) + 2;
  EXPECT_NEAR(Estimate(a, "datadir_sync_s"), files * 8300e-6, 1e-9);
  EXPECT_GT(Estimate(a, "datadir_sync_s"), 8.0);  // at least 970 flushes of 8.3 ms
  EXPECT_NE(a.checkpoint_rationale.find("recovery_init_sync_method=syncfs"), std::string::npos);

  // Where verify measured what fsync of a clean file costs, that is the cost per file: 300 us
  // on the Linux 6.18 VM of 2026-12-02, whose flushes took 4 ms (0.3 s before "redo starts"
  // for 996 files).
  auto parsed = ParseRequest(request);
  ASSERT_TRUE(parsed.ok());
  Scenario scenario = *parsed;
  scenario.storage.clean_fsync_us = 300;
  const Advice measured = Solve(scenario);
  const double wal_mb_m = std::min(MegabytesOf(Value(measured, "max_wal_size")),
                                   2 * Estimate(measured, "wal_to_replay_bytes") / (1024.0 * 1024));
  const double files_m = 970 + std::ceil(wal_mb_m / 16) + 2;
  EXPECT_NEAR(Estimate(measured, "datadir_sync_s"), files_m * 300e-6, 1e-9);
  EXPECT_NE(measured.checkpoint_rationale.find("300 us each as measured"), std::string::npos);

  ParseOptions with;
  with.calibration = {{"waltune_calibration", 1},
                      {"machine", "test box"},
                      {"engines", {{"postgresql", {{"restart_overhead_s", 2.0}}}}}};
  auto calibrated = ParseRequest(request, with);
  ASSERT_TRUE(calibrated.ok()) << calibrated.status().message();
  const Advice b = Solve(*calibrated);
  EXPECT_EQ(Estimate(b, "datadir_sync_s"), 0);
  EXPECT_EQ(Estimate(b, "startup_s"), 2.0);

  // PostgreSQL 13 has no syncfs method: the rationale does not offer it.
  request["constraints"]["engine_version"] = "13";
  EXPECT_EQ(AdviseOk(request).checkpoint_rationale.find("syncfs"), std::string::npos);
}

// What verify sets beside a crash: the expected-peak terms at the age the crash had. MariaDB
// 10.11, one random 100-byte row per transaction, 64 MiB working set (4096 pages of 16 KiB),
// 384 MiB pool (first batch 128 MiB of redo, later ones 364.8 MiB), SATA SSD preset (530 MB/s
// read, 8500 random 16 KiB reads/s, 500 MB/s and 26000 16 KiB writes/s). Redo per transaction
// 128 + 70 + 2 x 100 = 398 B, two page changes each, so every batch touches all 4096 pages.
//   100 MiB (one batch): 0.6 + 104857600 / 530e6 (0.19784) + 104857600 / 100e6 (1.04858)
//     + max(0, 4096 / 8500 - 1.04858) (0) = 1.84642 s
//   200 MiB (the first batch and 72 MiB of a second): 0.6 + 0.39569 + 2.09715 + reads under
//     both applies (0) + the first batch's write: min(4096 / 26000, 4096 x 16384 / 500e6)
//     (0.13422) + its doublewrite copy (0.13422) = 3.36128 s
TEST(Recovery, InnodbExpectedRecoveryAtAnyAgeUsesTheExpectedPeaksTerms) {
  auto s = ParseRequest(Request({{"db_engine", "MariaDB"},
                                 {"engine_version", "10.11"},
                                 {"durability_requirement", "strict"},
                                 {"write_rate", "1000 tps"},
                                 {"rows_per_txn", 1},
                                 {"row_bytes", 100},
                                 {"write_pattern", "random"},
                                 {"working_set", "64MiB"},
                                 {"buffer_pool", "384MiB"},
                                 {"storage_type", "SATA SSD"},
                                 {"recovery_time_target", "30s"}}));
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  const EngineAdvisor& advisor = AdvisorFor(s->engine);
  const double mib = 1048576.0;
  const std::optional<double> one = advisor.ExpectedRecoveryAtAgeS(*s, 100 * mib);
  const std::optional<double> two = advisor.ExpectedRecoveryAtAgeS(*s, 200 * mib);
  ASSERT_TRUE(one && two);
  EXPECT_NEAR(*one, 1.84642, 1e-4);
  EXPECT_NEAR(*two, 3.36128, 1e-4);
  EXPECT_FALSE(advisor.ExpectedRecoveryAtAgeS(*s, 0));
  // PostgreSQL's answer has no expected peak: nothing to set beside a crash.
  auto pg = ParseRequest(Request({{"db_engine", "PostgreSQL"}, {"write_rate", "1000 tps"}}));
  ASSERT_TRUE(pg.ok());
  EXPECT_FALSE(AdvisorFor(pg->engine).ExpectedRecoveryAtAgeS(*pg, 100 * mib));
}

json PaymentsRequest(const std::string& target) {
  return Request({{"db_engine", "PostgreSQL"},
                  {"engine_version", "16"},
                  {"durability_requirement", "strict"},
                  {"write_rate", "5000 tps"},
                  {"recovery_time_target", target},
                  {"storage_type", "NVMe with power-loss protection"},
                  {"concurrency", 32},
                  {"data_size", "400GB"},
                  {"working_set", "40GB"},
                  {"buffer_pool", "40GB"},  // no replay misses: the spacing alone
                  {"write_pattern", "mixed"}});
}

// examples/postgres-strict-payments.json (5,000 tps, a 60 s target, power-loss protected NVMe,
// 40 GB working set) got 3584MB, a bound of 89.7 s and "the target cannot be met": no spacing
// of 30 s or more meets it. Yet PostgreSQL's defaults, which checkpoint every few seconds at
// that rate, were bounded at 30.0 s in the same answer. Now the solver goes closer when only
// that meets the target, and the configuration must still carry the rate. (The request here
// gives shared_buffers as large as the working set, as the model had no replay misses then.)
TEST(Spacing, PostgresGoesBelowThirtySecondsWhenOnlyThatMeetsTheTarget) {
  const Advice a = AdviseOk(PaymentsRequest("60s"));
  EXPECT_FALSE(HasWarning(a, "cannot be met"));
  EXPECT_LE(a.estimated_recovery_time_s, 60);
  EXPECT_LE(Estimate(a, "baseline_recovery_time_s"), 60);  // why closer is worth it here
  const double interval = Estimate(a, "checkpoint_interval_s");
  EXPECT_LT(interval, 30);
  EXPECT_GE(a.with_config_tps, 5000);
  EXPECT_NE(a.checkpoint_rationale.find("no spacing of 30 s or more does"), std::string::npos)
      << a.checkpoint_rationale;
  // The log would flag every checkpoint at the default checkpoint_warning of 30 s.
  const std::string warn = Value(a, "checkpoint_warning");
  EXPECT_EQ(std::stod(warn), std::floor(interval / 2)) << warn;
  // A larger target that 30 s spacing meets keeps the usual floor, and no checkpoint_warning.
  const Advice relaxed = AdviseOk(PaymentsRequest("300s"));
  EXPECT_GE(Estimate(relaxed, "checkpoint_interval_s"), 29);
  EXPECT_EQ(relaxed.Find("checkpoint_warning"), nullptr);
  EXPECT_GE(MegabytesOf(Value(relaxed, "max_wal_size")), MegabytesOf(Value(a, "max_wal_size")));
}

// When even the closest spacing that carries the rate misses the target, the answer says why
// it went no closer, and the configuration still carries the rate.
TEST(Spacing, PostgresClosestSpacingStillCarriesTheRate) {
  for (const char* target : {"2s", "5s", "10s", "20s"}) {
    const Advice a = AdviseOk(PaymentsRequest(target));
    EXPECT_GE(a.with_config_tps, 5000) << target;
    if (a.estimated_recovery_time_s > std::stod(target)) {
      EXPECT_TRUE(HasWarning(a, "closer ones would no longer carry") ||
                  HasWarning(a, "no closer than"))
          << target;
    }
  }
}

// Property: where PostgreSQL's defaults meet the recovery target and carry the rate, the
// answer meets the target too (only the PostgreSQL answer reports the defaults' recovery).
// Failed while it spaced checkpoints no closer than 30 s, then no closer than 5 s: at 5,000
// tps the defaults checkpoint every 2.1 s and were bounded at 30.0 s against a 30 s target,
// the answer at 34.5 s.
TEST(Spacing, NeverMissesATargetTheDefaultsMeetAtTheRate) {
  for (const std::string version : {"12", "15"}) {
    const std::string engine = "PostgreSQL";
    for (const std::string durability : {"strict", "relaxed"}) {
      for (const std::string& storage : Storages()) {
        for (double target : {5.0, 10.0, 30.0, 60.0}) {
          for (double tps : {500.0, 5000.0, 20000.0}) {
            for (const char* working_set : {"1GB", "40GB"}) {
              json request = GridRequest({engine, version, storage, target, tps}, durability);
              request["constraints"]["working_set"] = working_set;
              const Advice a = AdviseOk(request);
              const double defaults_s = Estimate(a, "baseline_recovery_time_s");
              if (defaults_s > target || a.baseline_tps < tps) continue;
              EXPECT_LE(a.estimated_recovery_time_s, target)
                  << durability << " " << engine << " " << storage << " " << target << " s " << tps
                  << " tps " << working_set << ": defaults " << defaults_s;
            }
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace waltune
