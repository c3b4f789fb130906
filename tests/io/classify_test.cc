#include <gtest/gtest.h>

#include "waltune/probe.h"

namespace waltune {
namespace {

DeviceInfo Disk(const std::string& name, const std::string& transport, std::optional<bool> rot,
                const std::string& cache) {
  DeviceInfo d;
  d.path = "/data";
  d.filesystem = "ext4";
  d.device_chain = {name};
  d.disks = {name};
  d.transport = transport;
  d.rotational = rot;
  d.write_cache = cache;
  return d;
}

bool AnyContains(const std::vector<std::string>& lines, const std::string& needle) {
  for (const std::string& l : lines) {
    if (l.find(needle) != std::string::npos) return true;
  }
  return false;
}

TEST(ClassifyTest, TmpfsIsMemoryAndWarns) {
  DeviceInfo d;
  d.path = "/dev/shm";
  d.filesystem = "tmpfs";
  Classification c = ClassifyStorage(d, 3.0);
  EXPECT_EQ(c.storage_class, "memory");
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_NE(c.warnings[0].find("memory, not stable storage"), std::string::npos);
  EXPECT_TRUE(AnyContains(c.evidence, "tmpfs keeps files in RAM"));
}

TEST(ClassifyTest, ZramBlockDeviceIsMemory) {
  Classification c = ClassifyStorage(Disk("zram0", "virtual", false, "write through"), 2.0);
  EXPECT_EQ(c.storage_class, "memory");
  EXPECT_EQ(c.warnings.size(), 1u);
}

TEST(ClassifyTest, NvmeWithWriteThroughCacheHasNoWarnings) {
  Classification c = ClassifyStorage(Disk("nvme0n1", "nvme", false, "write through"), 30.0);
  EXPECT_EQ(c.storage_class, "nvme");
  EXPECT_TRUE(c.warnings.empty());
  EXPECT_TRUE(AnyContains(c.evidence, "fdatasync of 8 KiB, median 30.0 us"));
}

TEST(ClassifyTest, NvmeWinsOverRotationalFlag) {
  Classification c = ClassifyStorage(Disk("nvme0n1", "nvme", true, "write through"), 900.0);
  EXPECT_EQ(c.storage_class, "nvme");
}

TEST(ClassifyTest, SsdWithVolatileCacheWarnsAboutPowerLossProtection) {
  Classification c = ClassifyStorage(Disk("sda", "ata", false, "write back"), 900.0);
  EXPECT_EQ(c.storage_class, "ssd");
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_NE(c.warnings[0].find("power-loss protection"), std::string::npos);
}

TEST(ClassifyTest, FlashFlushJustBelowPlausibleOnVolatileCacheWarns) {
  Classification c = ClassifyStorage(Disk("sda", "ata", false, "write back"), 99.0);
  EXPECT_EQ(c.storage_class, "ssd");
  EXPECT_EQ(c.warnings.size(), 2u);
  EXPECT_TRUE(AnyContains(c.warnings, "implausibly fast for a device with a volatile"));
}

TEST(ClassifyTest, FlashFlushAtPlausibleLimitDoesNotWarnAsImplausible) {
  Classification c = ClassifyStorage(Disk("sda", "ata", false, "write back"), 100.0);
  EXPECT_FALSE(AnyContains(c.warnings, "implausibly"));
}

TEST(ClassifyTest, FastFlushWithoutVolatileCacheIsPlausible) {
  Classification c = ClassifyStorage(Disk("sdb", "scsi", false, "write through"), 20.0);
  EXPECT_EQ(c.storage_class, "ssd");
  EXPECT_TRUE(c.warnings.empty());
}

TEST(ClassifyTest, SpinningDiskAtRotationSpeedOnlyWarnsAboutCache) {
  Classification c = ClassifyStorage(Disk("sda", "ata", true, "write back"), 8300.0);
  EXPECT_EQ(c.storage_class, "hdd");
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_NE(c.warnings[0].find("write back"), std::string::npos);
}

TEST(ClassifyTest, SpinningDiskFlushingInMicrosecondsIsImplausible) {
  Classification c = ClassifyStorage(Disk("sda", "scsi", true, "write through"), 999.0);
  EXPECT_EQ(c.storage_class, "hdd");
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_NE(c.warnings[0].find("implausibly fast for a rotating disk"), std::string::npos);
  EXPECT_TRUE(ClassifyStorage(Disk("sda", "scsi", true, "write through"), 1000.0).warnings.empty());
}

TEST(ClassifyTest, VirtioRotationalFlagIsNotTrusted) {
  Classification c = ClassifyStorage(Disk("vda", "virtio", true, "write back"), 140.0);
  EXPECT_EQ(c.storage_class, "unknown");
  EXPECT_TRUE(AnyContains(c.evidence, "virtio disks report rotational = 1 by default"));
  EXPECT_EQ(c.warnings.size(), 2u);
  EXPECT_TRUE(AnyContains(c.warnings, "virtual disk (virtio)"));
  EXPECT_TRUE(AnyContains(c.warnings, "power-loss protection"));
}

TEST(ClassifyTest, VirtioNonRotationalIsSsd) {
  Classification c = ClassifyStorage(Disk("vdb", "virtio", false, "write through"), 300.0);
  EXPECT_EQ(c.storage_class, "ssd");
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_TRUE(AnyContains(c.warnings, "virtual disk"));
}

TEST(ClassifyTest, NoBlockDeviceIsUnknownAndWarns) {
  DeviceInfo d;
  d.path = "/mnt/nfs";
  d.filesystem = "nfs4";
  Classification c = ClassifyStorage(d, 2000.0);
  EXPECT_EQ(c.storage_class, "unknown");
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_NE(c.warnings[0].find("no local block device"), std::string::npos);
}

TEST(ClassifyTest, UnreadableRotationalFlagIsUnknown) {
  Classification c = ClassifyStorage(Disk("sdc", "scsi", std::nullopt, ""), 500.0);
  EXPECT_EQ(c.storage_class, "unknown");
  EXPECT_TRUE(c.warnings.empty());
}

// --- RecommendSyncMethod ---

SyncMethodResult Method(const std::string& name, double p50_us) {
  SyncMethodResult m;
  m.method = name;
  m.stats.ops = 100;
  m.stats.p50_us = p50_us;
  return m;
}

SyncMethodResult Unsupported(const std::string& name) {
  SyncMethodResult m;
  m.method = name;
  m.supported = false;
  return m;
}

TEST(RecommendSyncMethodTest, ClearlyFastestWins) {
  std::vector<SyncMethodResult> m = {Method(kFdatasync, 100), Method(kFsync, 120),
                                     Method(kOpenDatasync, 89), Method(kOpenDatasyncDirect, 95)};
  std::string reason;
  EXPECT_EQ(RecommendSyncMethod(&m, Disk("sda", "ata", false, "write back"), &reason),
            kOpenDatasync);
  EXPECT_EQ(reason, "fastest safe method: median 89.0 us");
}

TEST(RecommendSyncMethodTest, WithinTenPercentPrefersEarlierMethod) {
  std::vector<SyncMethodResult> m = {Method(kFdatasync, 99), Method(kFsync, 120),
                                     Method(kOpenDatasync, 90), Method(kOpenDatasyncDirect, 95)};
  std::string reason;
  EXPECT_EQ(RecommendSyncMethod(&m, Disk("sda", "ata", false, "write back"), &reason), kFdatasync);
  EXPECT_NE(reason.find("within 10% of the fastest safe method (open_datasync at 90.0 us)"),
            std::string::npos);
}

TEST(RecommendSyncMethodTest, SuspiciouslyFastMethodOnVolatileCacheIsUnsafe) {
  std::vector<SyncMethodResult> m = {Method(kFdatasync, 1000), Method(kFsync, 1100),
                                     Method(kOpenDatasync, 1050), Method(kOpenDatasyncDirect, 240)};
  std::string reason;
  EXPECT_EQ(RecommendSyncMethod(&m, Disk("sda", "ata", false, "write back"), &reason), kFdatasync);
  EXPECT_FALSE(m[3].safe);
  EXPECT_TRUE(m[0].safe);
  EXPECT_NE(m[3].note.find("under a quarter of fdatasync's 1000.0 us"), std::string::npos);
}

TEST(RecommendSyncMethodTest, QuarterRuleOnlyAppliesToVolatileCaches) {
  std::vector<SyncMethodResult> m = {Method(kFdatasync, 1000), Method(kOpenDatasyncDirect, 240)};
  std::string reason;
  EXPECT_EQ(RecommendSyncMethod(&m, Disk("sda", "ata", false, "write through"), &reason),
            kOpenDatasyncDirect);
  EXPECT_TRUE(m[1].safe);
}

TEST(RecommendSyncMethodTest, UnsupportedMethodsAreSkipped) {
  std::vector<SyncMethodResult> m = {Method(kFdatasync, 10), Method(kFsync, 11),
                                     Method(kOpenDatasync, 12), Unsupported(kOpenDatasyncDirect)};
  std::string reason;
  EXPECT_EQ(RecommendSyncMethod(&m, DeviceInfo{}, &reason), kFdatasync);
  EXPECT_FALSE(m[3].safe);
}

TEST(RecommendSyncMethodTest, NothingUsableGivesEmpty) {
  std::vector<SyncMethodResult> m = {Unsupported(kOpenDatasyncDirect)};
  std::string reason;
  EXPECT_EQ(RecommendSyncMethod(&m, DeviceInfo{}, &reason), "");
  EXPECT_EQ(reason, "no sync method completed");
}

}  // namespace
}  // namespace waltune
