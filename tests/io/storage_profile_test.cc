// StorageSpecFromProfile: the probe's JSON read back into the model's StorageSpec.
#include <gtest/gtest.h>

#include "fake_env.h"
#include "waltune/probe.h"
#include "waltune/request.h"

namespace waltune {
namespace {

using nlohmann::json;

// The example from docs/contract.md, with the fields `waltune probe` adds.
json ContractProfile() {
  return json::parse(R"({
    "path": "/var/lib/postgresql", "filesystem": "ext4", "device": "nvme0n1",
    "rotational": false, "write_cache": "write back", "class": "nvme",
    "sync_methods": {
      "fdatasync":            {"p50_us": 95.0, "p99_us": 180.0, "ops_per_s": 10100},
      "fsync":                {"p50_us": 98.0, "p99_us": 190.0, "ops_per_s": 9900},
      "open_datasync":        {"p50_us": 90.0, "p99_us": 170.0, "ops_per_s": 10500},
      "open_datasync_direct": {"p50_us": 85.0, "p99_us": 160.0, "ops_per_s": 11000}
    },
    "recommended_sync_method": "fdatasync",
    "seq_write_bytes_per_s": 380000000,
    "group_commit_curve": [{"writers": 1, "commits_per_s": 9800, "mean_batch": 1.0},
                           {"writers": 8, "commits_per_s": 41000, "mean_batch": 4.5}],
    "warnings": []
  })");
}

const char* kField = "constraints.storage_profile";

TEST(StorageProfileTest, ContractExampleMapsToMeasuredSpec) {
  auto spec = StorageSpecFromProfile(ContractProfile(), kField);
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_TRUE(spec->measured);
  EXPECT_EQ(spec->storage_class, StorageClass::kConsumerNvme);  // NVMe with a volatile cache
  EXPECT_DOUBLE_EQ(spec->flush_p50_us, 95.0);                   // the recommended method's numbers
  EXPECT_DOUBLE_EQ(spec->flush_p99_us, 180.0);
  EXPECT_DOUBLE_EQ(spec->seq_write_bytes_per_s, 380000000);
  EXPECT_EQ(spec->recommended_sync_method, "fdatasync");
  EXPECT_EQ(spec->source, "/var/lib/postgresql");
  EXPECT_TRUE(spec->volatile_write_cache);
  EXPECT_EQ(spec->name, "measured nvme storage (nvme0n1, ext4) at /var/lib/postgresql");
  ASSERT_EQ(spec->group_commit_curve.size(), 2u);
  EXPECT_EQ(spec->group_commit_curve[1].writers, 8);
  EXPECT_DOUBLE_EQ(spec->group_commit_curve[1].commits_per_s, 41000);
  EXPECT_DOUBLE_EQ(spec->group_commit_curve[1].mean_batch, 4.5);
  EXPECT_DOUBLE_EQ(spec->random_write_iops,
                   StoragePreset(StorageClass::kConsumerNvme).random_write_iops);
}

// A probe that measured page writes and cold reads: its numbers replace the preset's, which
// still fill the ones it did not measure (null or absent).
TEST(StorageProfileTest, MeasuredRatesReplaceThePresetsRates) {
  json p = ContractProfile();
  p["class"] = "hdd";  // a virtio disk that reports rotational=1
  p["random_write_8k_iops"] = 5200.5;
  p["random_write_16k_iops"] = 4100;
  p["random_write_8k_fdatasync_iops"] = 310;
  p["random_write_16k_fdatasync_iops"] = nullptr;
  p["random_read_8k_iops"] = 2600;
  p["random_read_16k_iops"] = 2300;
  p["seq_read_bytes_per_s"] = 900000000;
  p["buffered_read_bytes_per_s"] = 1500000000;
  p["clean_fsync_us"] = 92.5;
  auto spec = StorageSpecFromProfile(p, kField);
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->storage_class, StorageClass::kHdd);
  EXPECT_DOUBLE_EQ(spec->random_write_iops, 5200.5);  // not the HDD preset's 150
  EXPECT_DOUBLE_EQ(spec->random_write_16k_iops, 4100);
  EXPECT_DOUBLE_EQ(spec->random_write_flushed_iops, 310);
  EXPECT_DOUBLE_EQ(spec->random_write_flushed_16k_iops,
                   StoragePreset(StorageClass::kHdd).random_write_flushed_16k_iops);
  EXPECT_DOUBLE_EQ(spec->random_read_iops, 2600);
  EXPECT_DOUBLE_EQ(spec->random_read_16k_iops, 2300);
  EXPECT_DOUBLE_EQ(spec->seq_read_bytes_per_s, 9e8);
  EXPECT_DOUBLE_EQ(spec->buffered_read_bytes_per_s, 1.5e9);
  EXPECT_DOUBLE_EQ(spec->clean_fsync_us, 92.5);
  EXPECT_NE(spec->measured_rates.find("random_read_16k_iops"), std::string::npos);
  EXPECT_EQ(spec->measured_rates.find("random_write_16k_fdatasync_iops"), std::string::npos);
}

// The flush after an idle device: points read in order; absent or null means not measured.
TEST(StorageProfileTest, FlushAfterIdlePointsAreRead) {
  json p = ContractProfile();
  auto plain = StorageSpecFromProfile(p, kField);
  ASSERT_TRUE(plain.ok());
  EXPECT_TRUE(plain->flush_after_idle.empty());
  p["flush_after_idle"] = nullptr;
  ASSERT_TRUE(StorageSpecFromProfile(p, kField).ok());
  p["flush_after_idle"] = json::parse(R"([
    {"gap_us": 200, "idle_us": 262.5, "p50_us": 132.4, "p99_us": 293.8, "samples": 300},
    {"gap_us": 2000, "idle_us": 2082.5, "p50_us": 388.9, "p99_us": 933.8, "samples": 200},
    {"gap_us": 8000, "idle_us": 8119.8, "p50_us": 550.8, "p99_us": 1287.5, "samples": 60}])");
  auto spec = StorageSpecFromProfile(p, kField);
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  ASSERT_EQ(spec->flush_after_idle.size(), 3u);
  EXPECT_DOUBLE_EQ(spec->flush_after_idle[0].idle_us, 262.5);
  EXPECT_DOUBLE_EQ(spec->flush_after_idle[1].flush_p50_us, 388.9);
  EXPECT_EQ(spec->flush_after_idle[2].samples, 60);
}

TEST(StorageProfileTest, BadFlushAfterIdleNamesTheSubField) {
  auto error = [](const json& points) {
    json p = ContractProfile();
    p["flush_after_idle"] = points;
    auto spec = StorageSpecFromProfile(p, kField);
    return spec.ok() ? std::string("ok") : spec.status().field();
  };
  const json good = {{"idle_us", 200}, {"p50_us", 130}, {"samples", 10}};
  EXPECT_EQ(error(json::object()), "constraints.storage_profile.flush_after_idle");
  EXPECT_EQ(error(json::array({1})), "constraints.storage_profile.flush_after_idle[0]");
  json no_idle = good;
  no_idle.erase("idle_us");
  EXPECT_EQ(error(json::array({no_idle})),
            "constraints.storage_profile.flush_after_idle[0].idle_us");
  json zero_p50 = good;
  zero_p50["p50_us"] = 0;
  EXPECT_EQ(error(json::array({zero_p50})),
            "constraints.storage_profile.flush_after_idle[0].p50_us");
  json huge_p50 = good;
  huge_p50["p50_us"] = 1e300;
  EXPECT_EQ(error(json::array({huge_p50})),
            "constraints.storage_profile.flush_after_idle[0].p50_us");
  json fractional = good;
  fractional["samples"] = 2.5;
  EXPECT_EQ(error(json::array({fractional})),
            "constraints.storage_profile.flush_after_idle[0].samples");
  // Not ascending: the second point's idle time must exceed the first's.
  EXPECT_EQ(error(json::array({good, good})),
            "constraints.storage_profile.flush_after_idle[1].idle_us");
  EXPECT_EQ(error(json::array({good})), "ok");
}

TEST(StorageProfileTest, BadMeasuredRateNamesTheField) {
  for (const std::string key : {"random_read_16k_iops", "clean_fsync_us"}) {
    for (const json& bad : {json("fast"), json(0), json(-3), json(true)}) {
      json p = ContractProfile();
      p[key] = bad;
      auto spec = StorageSpecFromProfile(p, kField);
      ASSERT_FALSE(spec.ok()) << key << " " << bad.dump();
      EXPECT_EQ(spec.status().code(), Status::Code::kInvalidArgument);
      EXPECT_EQ(spec.status().field(), "constraints.storage_profile." + key);
    }
  }
}

TEST(StorageProfileTest, RecommendedMethodChoosesTheFlushNumbers) {
  json p = ContractProfile();
  p["recommended_sync_method"] = "open_datasync_direct";
  auto spec = StorageSpecFromProfile(p, kField);
  ASSERT_TRUE(spec.ok());
  EXPECT_DOUBLE_EQ(spec->flush_p50_us, 85.0);
  EXPECT_DOUBLE_EQ(spec->flush_p99_us, 160.0);
}

TEST(StorageProfileTest, ClassAndCacheMapToModelClasses) {
  const struct {
    const char* cls;
    const char* cache;  // nullptr: JSON null
    double p50_us;
    StorageClass expected;
    bool volatile_cache;
  } cases[] = {
      {"hdd", "write back", 8000, StorageClass::kHdd, true},
      {"ssd", "write back", 900, StorageClass::kSataSsd, true},
      {"ssd", "write through", 40, StorageClass::kEnterpriseFlash, false},
      {"nvme", "write through", 30, StorageClass::kEnterpriseFlash, false},
      {"nvme", nullptr, 1500, StorageClass::kConsumerNvme, true},
      {"memory", nullptr, 3, StorageClass::kMemory, true},  // tmpfs has its own preset now
      {"unknown", "write back", 99, StorageClass::kEnterpriseFlash, true},
      {"unknown", "write back", 100, StorageClass::kSataSsd, true},
      {"unknown", "write back", 2999, StorageClass::kSataSsd, true},
      {"unknown", "write through", 3000, StorageClass::kHdd, false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.cls) + " " + std::to_string(c.p50_us));
    json p = ContractProfile();
    p["class"] = c.cls;
    p["write_cache"] = c.cache ? json(c.cache) : json(nullptr);
    p["sync_methods"]["fdatasync"]["p50_us"] = c.p50_us;
    p["sync_methods"]["fdatasync"]["p99_us"] = c.p50_us * 2;
    auto spec = StorageSpecFromProfile(p, kField);
    ASSERT_TRUE(spec.ok()) << spec.status().ToString();
    EXPECT_EQ(spec->storage_class, c.expected);
    EXPECT_EQ(spec->volatile_write_cache, c.volatile_cache);
  }
}

TEST(StorageProfileTest, UnsupportedMethodWithNullNumbersIsAccepted) {
  json p = ContractProfile();
  p["sync_methods"]["open_datasync_direct"] = {
      {"supported", false}, {"p50_us", nullptr}, {"p99_us", nullptr}, {"ops_per_s", nullptr}};
  auto spec = StorageSpecFromProfile(p, kField);
  EXPECT_TRUE(spec.ok()) << spec.status().ToString();
}

void ExpectRejected(const json& profile, const std::string& field, const std::string& needle) {
  auto spec = StorageSpecFromProfile(profile, kField);
  ASSERT_FALSE(spec.ok()) << "accepted; expected an error at " << field;
  EXPECT_TRUE(spec.status().IsInvalidArgument());
  EXPECT_EQ(spec.status().field(), field);
  EXPECT_NE(spec.status().message().find(needle), std::string::npos) << spec.status().message();
}

TEST(StorageProfileTest, MalformedProfilesNameTheSubField) {
  ExpectRejected(json::array(), "constraints.storage_profile", "JSON object");
  {
    json p = ContractProfile();
    p["sync_methods"]["fdatasync"]["p50_us"] = "fast";
    ExpectRejected(p, "constraints.storage_profile.sync_methods.fdatasync.p50_us", "number");
  }
  {
    json p = ContractProfile();
    p["sync_methods"]["fsync"].erase("p99_us");
    ExpectRejected(p, "constraints.storage_profile.sync_methods.fsync.p99_us", "missing");
  }
  {
    json p = ContractProfile();
    p["sync_methods"]["fdatasync"]["p50_us"] = -1;
    ExpectRejected(p, "constraints.storage_profile.sync_methods.fdatasync.p50_us", "more than 0");
  }
  {
    json p = ContractProfile();
    p["sync_methods"]["fdatasync"]["p99_us"] = 10;
    ExpectRejected(p, "constraints.storage_profile.sync_methods.fdatasync.p99_us", "below p50");
  }
  {
    json p = ContractProfile();
    p["sync_methods"]["fdatasync"]["supported"] = "yes";
    ExpectRejected(p, "constraints.storage_profile.sync_methods.fdatasync.supported",
                   "true or false");
  }
  {
    json p = ContractProfile();
    p.erase("sync_methods");
    ExpectRejected(p, "constraints.storage_profile.sync_methods", "missing");
  }
  {
    json p = ContractProfile();
    p["class"] = "floppy";
    ExpectRejected(p, "constraints.storage_profile.class", "'floppy' is not one of");
  }
  {
    json p = ContractProfile();
    p["recommended_sync_method"] = "fsync_writethrough";
    ExpectRejected(p, "constraints.storage_profile.recommended_sync_method",
                   "not one of sync_methods");
  }
  {
    json p = ContractProfile();
    p["sync_methods"]["fdatasync"] = {{"supported", false}};
    ExpectRejected(p, "constraints.storage_profile.recommended_sync_method", "unsupported");
  }
  {
    json p = ContractProfile();
    p["seq_write_bytes_per_s"] = 0;
    ExpectRejected(p, "constraints.storage_profile.seq_write_bytes_per_s", "more than 0");
  }
  {
    json p = ContractProfile();
    p["group_commit_curve"][1]["writers"] = 0;
    ExpectRejected(p, "constraints.storage_profile.group_commit_curve[1].writers", "positive");
  }
  {
    json p = ContractProfile();
    p["group_commit_curve"][0]["mean_batch"] = 0.5;
    ExpectRejected(p, "constraints.storage_profile.group_commit_curve[0].mean_batch", "at least 1");
  }
  {
    json p = ContractProfile();
    p["path"] = 7;
    ExpectRejected(p, "constraints.storage_profile.path", "string");
  }
}

TEST(StorageProfileTest, FieldPrefixComesFromTheCaller) {
  json p = ContractProfile();
  p.erase("class");
  auto spec = StorageSpecFromProfile(p, "--storage-profile");
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.status().field(), "--storage-profile.class");
}

// What the probe prints is what advise reads: a run on the fake env round-trips.
TEST(StorageProfileTest, ProbeOutputRoundTrips) {
  testing::FakeEnv env;
  env.cost_ns = [](const testing::FakeOp& op) -> uint64_t {
    switch (op.kind) {
      case testing::FakeOp::Kind::kFdatasync:
        return 1'500'000;
      case testing::FakeOp::Kind::kFsync:
        return 1'600'000;
      case testing::FakeOp::Kind::kWrite:
        return op.dsync ? 1'700'000 : 1000;
      default:
        return 0;
    }
  };
  env.AddDirectory("/wal");
  env.SetText("/proc/mounts", "/dev/nvme0n1 /wal xfs rw 0 0\n");
  env.SetDevice("/wal", {259, 0});
  env.SetRealPath("/sys/dev/block/259:0", "/sys/devices/pci0000:00/nvme/nvme0/nvme0n1");
  env.SetText("/sys/block/nvme0n1/queue/rotational", "0\n");
  env.SetText("/sys/block/nvme0n1/queue/write_cache", "write back\n");
  ProbeOptions options = ProbeOptions::Quick("/wal");
  options.max_ops_per_phase = 20;
  options.group_commit_writers = {1, 2};
  auto profile = RunProbe(&env, options);
  ASSERT_TRUE(profile.ok()) << profile.status().ToString();
  auto spec = StorageSpecFromProfile(ProfileToJson(*profile), kField);
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->storage_class, StorageClass::kConsumerNvme);
  EXPECT_EQ(spec->recommended_sync_method, "fdatasync");
  EXPECT_DOUBLE_EQ(spec->flush_p50_us, 1501.0);  // 1 us write + 1500 us fdatasync
  EXPECT_EQ(spec->source, "/wal");
  EXPECT_EQ(spec->group_commit_curve.size(), 2u);
}

}  // namespace
}  // namespace waltune
