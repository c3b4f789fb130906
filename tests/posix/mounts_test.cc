#include "posix/mounts.h"

#include <gtest/gtest.h>

namespace waltune::posix {
namespace {

TEST(UnescapeMountFieldTest, UndoesTheKernelsOctalEscapes) {
  EXPECT_EQ(UnescapeMountField("/mnt/my\\040disk"), "/mnt/my disk");
  EXPECT_EQ(UnescapeMountField("/a\\011b\\012c\\134d"), "/a\tb\nc\\d");
  EXPECT_EQ(UnescapeMountField("\\040"), " ");
  EXPECT_EQ(UnescapeMountField("/plain"), "/plain");
}

TEST(UnescapeMountFieldTest, KeepsWhatIsNotAnEscape) {
  EXPECT_EQ(UnescapeMountField("/a\\04"), "/a\\04");    // cut short
  EXPECT_EQ(UnescapeMountField("/a\\089"), "/a\\089");  // not octal
  EXPECT_EQ(UnescapeMountField("/a\\+12"), "/a\\+12");  // a sign is not a digit
  EXPECT_EQ(UnescapeMountField("/a\\777"), "/a\\777");  // beyond a byte
  EXPECT_EQ(UnescapeMountField("/a\\"), "/a\\");
}

TEST(ParseProcMountsTest, ReadsSourceMountPointAndType) {
  std::vector<MountEntry> m = ParseProcMounts(
      "/dev/sda1 / ext4 rw,relatime 0 0\n"
      "tmpfs /run/my\\040dir tmpfs rw 0 0\n"
      "garbage\n");
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].source, "/dev/sda1");
  EXPECT_EQ(m[0].mount_point, "/");
  EXPECT_EQ(m[0].fs_type, "ext4");
  EXPECT_EQ(m[1].mount_point, "/run/my dir");
  EXPECT_EQ(m[1].fs_type, "tmpfs");
}

TEST(ParseMountInfoTest, ReadsAroundTheOptionalFields) {
  std::vector<MountEntry> m = ParseMountInfo(
      "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
      "90 22 0:50 / /tmp/a\\040b\\134c rw,nosuid master:3 shared:7 - fuse.waltune-powercut "
      "waltune-powercut rw,user_id=0\n"
      "91 22 0:51 / /no-separator rw\n");
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].mount_point, "/");
  EXPECT_EQ(m[0].fs_type, "ext4");
  EXPECT_EQ(m[0].source, "/dev/sda1");
  EXPECT_EQ(m[1].mount_point, "/tmp/a b\\c");
  EXPECT_EQ(m[1].fs_type, "fuse.waltune-powercut");
  EXPECT_EQ(m[1].source, "waltune-powercut");
}

TEST(FindMountHoldingTest, LongestMountPointThenLastListed) {
  std::vector<MountEntry> m = ParseMountInfo(
      "1 0 8:1 / / rw - ext4 /dev/sda1 rw\n"
      "2 1 0:2 / /data rw - xfs /dev/sdb1 rw\n"
      "3 1 0:3 / /data/pg\\040wal rw - tmpfs tmpfs rw\n"
      "4 1 0:4 / /data rw - fuse.waltune-powercut waltune-powercut rw\n");
  EXPECT_EQ(FindMountHolding(m, "/data/pg wal/000001")->fs_type, "tmpfs");
  EXPECT_EQ(FindMountHolding(m, "/data/pg")->fs_type, "fuse.waltune-powercut");  // on top
  EXPECT_EQ(FindMountHolding(m, "/data")->fs_type, "fuse.waltune-powercut");
  EXPECT_EQ(FindMountHolding(m, "/database")->fs_type, "ext4");  // not under /data
  EXPECT_EQ(FindMountHolding({}, "/x"), nullptr);
}

TEST(ReadSelfMountInfoTest, HasTheRoot) {
  std::vector<MountEntry> m = ReadSelfMountInfo();
  ASSERT_NE(FindMountHolding(m, "/"), nullptr);
  EXPECT_EQ(FindMountHolding(m, "/")->mount_point, "/");
}

}  // namespace
}  // namespace waltune::posix
