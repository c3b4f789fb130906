#include <gtest/gtest.h>

#include "fake_env.h"
#include "waltune/probe.h"

namespace waltune {
namespace {

using testing::FakeEnv;

class DeviceInfoTest : public ::testing::Test {
 protected:
  // A block device whose canonical /sys directory is `sys_dir`, with its queue attributes.
  void AddDisk(const std::string& name, const std::string& sys_dir, const std::string& rotational,
               const std::string& write_cache) {
    env_.SetRealPath("/sys/class/block/" + name, sys_dir);
    env_.SetText("/sys/block/" + name + "/queue/rotational", rotational + "\n");
    env_.SetText("/sys/block/" + name + "/queue/write_cache", write_cache + "\n");
  }
  void AddPartition(const std::string& name, const std::string& sys_dir) {
    env_.SetRealPath("/sys/class/block/" + name, sys_dir);
    env_.SetText(sys_dir + "/partition", "2\n");
  }

  FakeEnv env_;
};

TEST_F(DeviceInfoTest, VirtioDiskFromStDev) {
  env_.AddDirectory("/work/data");
  env_.SetText("/proc/mounts",
               "proc /proc proc rw 0 0\n/dev/vda / ext4 rw,relatime 0 0\n"
               "tmpfs /dev/shm tmpfs rw 0 0\n");
  env_.SetDevice("/work/data", {254, 0});
  const std::string sys = "/sys/devices/pci0000:00/0000:00:02.0/virtio1/block/vda";
  env_.SetRealPath("/sys/dev/block/254:0", sys);
  AddDisk("vda", sys, "1", "write back");

  auto info = ReadDeviceInfo(&env_, "/work/data");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->mount_point, "/");
  EXPECT_EQ(info->filesystem, "ext4");
  EXPECT_EQ(info->mount_source, "/dev/vda");
  EXPECT_EQ(info->device_chain, std::vector<std::string>({"vda"}));
  EXPECT_EQ(info->disks, std::vector<std::string>({"vda"}));
  EXPECT_EQ(info->transport, "virtio");
  ASSERT_TRUE(info->rotational.has_value());
  EXPECT_TRUE(*info->rotational);
  EXPECT_EQ(info->write_cache, "write back");
  EXPECT_NE(std::find(info->evidence.begin(), info->evidence.end(),
                      "/sys/block/vda/queue/write_cache = write back"),
            info->evidence.end());
}

TEST_F(DeviceInfoTest, NvmePartitionResolvesToItsDisk) {
  env_.AddDirectory("/var/lib/postgresql");
  env_.SetText("/proc/mounts",
               "/dev/nvme0n1p1 / ext4 rw 0 0\n/dev/nvme0n1p2 /var/lib/postgresql xfs rw 0 0\n");
  env_.SetDevice("/var/lib/postgresql", {259, 2});
  const std::string disk = "/sys/devices/pci0000:00/0000:00:1d.0/nvme/nvme0/nvme0n1";
  env_.SetRealPath("/sys/dev/block/259:2", disk + "/nvme0n1p2");
  env_.SetText(disk + "/nvme0n1p2/partition", "2\n");
  AddDisk("nvme0n1", disk, "0", "write through");
  env_.SetText("/sys/block/nvme0n1/device/model", "Micron_7400_MTFDKBG1T9TDZ     \n");

  auto info = ReadDeviceInfo(&env_, "/var/lib/postgresql");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->filesystem, "xfs");
  EXPECT_EQ(info->mount_point, "/var/lib/postgresql");
  EXPECT_EQ(info->device_chain, std::vector<std::string>({"nvme0n1p2", "nvme0n1"}));
  EXPECT_EQ(info->disks, std::vector<std::string>({"nvme0n1"}));
  EXPECT_EQ(info->transport, "nvme");
  EXPECT_FALSE(*info->rotational);
  EXPECT_EQ(info->write_cache, "write through");
  EXPECT_EQ(info->model, "Micron_7400_MTFDKBG1T9TDZ");
  EXPECT_EQ(ClassifyStorage(*info, 25).storage_class, "nvme");
}

TEST_F(DeviceInfoTest, DeviceMapperOverPartitionReachesTheSataDisk) {
  env_.AddDirectory("/srv/db");
  env_.SetText("/proc/mounts", "/dev/mapper/vg-db /srv ext4 rw 0 0\n/dev/sda1 / ext4 rw 0 0\n");
  env_.SetDevice("/srv/db", {253, 0});
  env_.SetRealPath("/sys/dev/block/253:0", "/sys/devices/virtual/block/dm-0");
  env_.SetListing("/sys/devices/virtual/block/dm-0/slaves", {"sda2"});
  const std::string sda =
      "/sys/devices/pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0/block/sda";
  AddPartition("sda2", sda + "/sda2");
  AddDisk("sda", sda, "0", "write back");

  auto info = ReadDeviceInfo(&env_, "/srv/db");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->mount_point, "/srv");
  EXPECT_EQ(info->device_chain, std::vector<std::string>({"dm-0", "sda2", "sda"}));
  EXPECT_EQ(info->disks, std::vector<std::string>({"sda"}));
  EXPECT_EQ(info->transport, "ata");
  EXPECT_FALSE(*info->rotational);
  EXPECT_EQ(info->write_cache, "write back");
  EXPECT_EQ(ClassifyStorage(*info, 800).storage_class, "ssd");
}

TEST_F(DeviceInfoTest, RaidOverMixedDisksIsRotationalAndWriteBack) {
  env_.AddDirectory("/data");
  env_.SetText("/proc/mounts", "/dev/md0 /data ext4 rw 0 0\n");
  env_.SetDevice("/data", {9, 0});
  env_.SetRealPath("/sys/dev/block/9:0", "/sys/devices/virtual/block/md0");
  env_.SetListing("/sys/devices/virtual/block/md0/slaves", {"sdc", "sdb"});
  AddDisk("sdb", "/sys/devices/pci0000:00/host1/target1:0:0/1:0:0:0/block/sdb", "0",
          "write through");
  AddDisk("sdc", "/sys/devices/pci0000:00/host2/target2:0:0/2:0:0:0/block/sdc", "1", "write back");

  auto info = ReadDeviceInfo(&env_, "/data");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->device_chain, std::vector<std::string>({"md0", "sdb", "sdc"}));
  EXPECT_EQ(info->disks, std::vector<std::string>({"sdb", "sdc"}));
  EXPECT_EQ(info->transport, "scsi");
  EXPECT_TRUE(*info->rotational);
  EXPECT_EQ(info->write_cache, "write back");
  EXPECT_EQ(ClassifyStorage(*info, 9000).storage_class, "hdd");
}

TEST_F(DeviceInfoTest, AnonymousDeviceFallsBackToMountSource) {
  env_.AddDirectory("/btr/pg");
  env_.SetText("/proc/mounts", "/dev/sda1 / ext4 rw 0 0\n/dev/sdb /btr btrfs rw 0 0\n");
  env_.SetDevice("/btr/pg", {0, 45});
  env_.SetRealPath("/dev/sdb", "/dev/sdb");
  AddDisk("sdb", "/sys/devices/pci0000:00/ata2/host1/target1:0:0/1:0:0:0/block/sdb", "1",
          "write through");

  auto info = ReadDeviceInfo(&env_, "/btr/pg");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->filesystem, "btrfs");
  EXPECT_EQ(info->disks, std::vector<std::string>({"sdb"}));
  EXPECT_TRUE(*info->rotational);
}

TEST_F(DeviceInfoTest, TmpfsHasNoBlockDevice) {
  env_.AddDirectory("/dev/shm");
  env_.SetText("/proc/mounts", "/dev/vda / ext4 rw 0 0\ntmpfs /dev/shm tmpfs rw,relatime 0 0\n");
  auto info = ReadDeviceInfo(&env_, "/dev/shm");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->filesystem, "tmpfs");
  EXPECT_TRUE(info->device_chain.empty());
  EXPECT_FALSE(info->rotational.has_value());
  EXPECT_EQ(ClassifyStorage(*info, 2).storage_class, "memory");
}

TEST_F(DeviceInfoTest, MountPointPrefixMustEndAtAPathComponent) {
  env_.AddDirectory("/database/x");
  env_.SetText("/proc/mounts", "/dev/vda / ext4 rw 0 0\n/dev/vdb /data xfs rw 0 0\n");
  auto info = ReadDeviceInfo(&env_, "/database/x");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->mount_point, "/");
  EXPECT_EQ(info->filesystem, "ext4");
}

TEST_F(DeviceInfoTest, LaterMountOverTheSamePointWins) {
  env_.AddDirectory("/mnt/wal");
  env_.SetText("/proc/mounts",
               "/dev/vda / ext4 rw 0 0\n/dev/vdb /mnt ext4 rw 0 0\ntmpfs /mnt tmpfs rw 0 0\n");
  auto info = ReadDeviceInfo(&env_, "/mnt/wal");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->filesystem, "tmpfs");
}

TEST_F(DeviceInfoTest, EscapedSpacesInMountPoints) {
  env_.AddDirectory("/mnt/my disk/wal");
  env_.SetText("/proc/mounts", "/dev/vda / ext4 rw 0 0\n/dev/sdz /mnt/my\\040disk xfs rw 0 0\n");
  auto info = ReadDeviceInfo(&env_, "/mnt/my disk/wal");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->mount_point, "/mnt/my disk");
  EXPECT_EQ(info->filesystem, "xfs");
}

TEST_F(DeviceInfoTest, SymlinkedPathIsResolvedFirst) {
  env_.AddDirectory("/real/wal");
  env_.SetRealPath("/pg_wal", "/real/wal");
  env_.SetText("/proc/mounts", "/dev/vda / ext4 rw 0 0\ntmpfs /real tmpfs rw 0 0\n");
  auto info = ReadDeviceInfo(&env_, "/pg_wal");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->path, "/real/wal");
  EXPECT_EQ(info->filesystem, "tmpfs");
}

TEST_F(DeviceInfoTest, MissingPathIsAnErrorNamingPathFlag) {
  auto info = ReadDeviceInfo(&env_, "/nope");
  ASSERT_FALSE(info.ok());
  EXPECT_TRUE(info.status().IsInvalidArgument());
  EXPECT_EQ(info.status().field(), "--path");
}

TEST_F(DeviceInfoTest, UnreadableSysfsLeavesFieldsEmpty) {
  env_.AddDirectory("/d");
  env_.SetText("/proc/mounts", "/dev/sdq / ext4 rw 0 0\n");
  env_.SetDevice("/d", {8, 0});
  env_.SetRealPath("/sys/dev/block/8:0",
                   "/sys/devices/pci0000:00/host0/target0:0:0/0:0:0:0/block/sdq");
  auto info = ReadDeviceInfo(&env_, "/d");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->disks, std::vector<std::string>({"sdq"}));
  EXPECT_FALSE(info->rotational.has_value());
  EXPECT_EQ(info->write_cache, "");
  EXPECT_EQ(ClassifyStorage(*info, 100).storage_class, "unknown");
}

}  // namespace
}  // namespace waltune
