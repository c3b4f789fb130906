// The client library without a mount: reply parsing, process-tree kill, argument errors.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>

#include "waltune/powercut.h"

namespace waltune::powercut {
namespace {

TEST(PowercutLibraryTest, ParsesCutReply) {
  auto stats =
      ParseCutReply("ok cut=3 discarded_bytes=4096 files_restored=2 names_undone=5 errors=0");
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->cut_number, 3u);
  EXPECT_EQ(stats->discarded_bytes, 4096u);
  EXPECT_EQ(stats->files_restored, 2u);
  EXPECT_EQ(stats->names_undone, 5u);
  EXPECT_EQ(stats->errors, 0u);
}

TEST(PowercutLibraryTest, RejectsErrorAndMalformedReplies) {
  EXPECT_FALSE(ParseCutReply("error unknown command 'cutt'").ok());
  EXPECT_FALSE(ParseCutReply("ok files_restored=2").ok());
}

// Numbers that are not numbers or do not fit 64 bits count as missing (never thrown, never 0).
TEST(PowercutLibraryTest, MalformedNumbersInACutReplyAreMissing) {
  EXPECT_FALSE(ParseCutReply("ok cut=x discarded_bytes=4096").ok());
  EXPECT_FALSE(ParseCutReply("ok cut=1 discarded_bytes=18446744073709551616").ok());
  EXPECT_FALSE(ParseCutReply("ok cut=1 discarded_bytes=-1").ok());
  EXPECT_FALSE(ParseCutReply("ok cut= discarded_bytes=").ok());
}

// Which mount holds a path, from /proc/self/mountinfo (the power-loss check of verify).
TEST(PowercutLibraryTest, MountHoldingFindsTheInnermostMount) {
  MountOf proc = MountHolding("/proc/self/status");
  EXPECT_EQ(proc.mount_point, "/proc");
  EXPECT_EQ(proc.fs_type, "proc");
  MountOf root = MountHolding("/");
  EXPECT_EQ(root.mount_point, "/");
  EXPECT_FALSE(root.fs_type.empty());
  // A sibling whose name starts like a mount point is not under it.
  EXPECT_NE(MountHolding("/procfoo").mount_point, "/proc");
}

TEST(PowercutLibraryTest, ControlCommandWithoutServerIsUnavailable) {
  auto reply = SendControlCommand("/nonexistent/waltune-powercut.sock", "cut");
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.status().code(), Status::Code::kUnavailable);
}

TEST(PowercutLibraryTest, MountRejectsMissingDirectories) {
  auto m = PowercutMount::Mount("/nonexistent/backing", "/nonexistent/mnt", MountOptions());
  EXPECT_FALSE(m.ok());
}

TEST(PowercutLibraryTest, RootIsMounted) { EXPECT_TRUE(IsMounted("/")); }

bool Alive(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return false;
  char state = line[line.rfind(')') + 2];
  return state != 'Z' && state != 'X';
}

TEST(PowercutLibraryTest, KillProcessTreeReachesChildrenInOtherSessions) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {  // Like a postmaster: its child leaves the process group with setsid().
    setpgid(0, 0);
    pid_t grandchild = fork();
    if (grandchild == 0) {
      setsid();
      pause();
      _exit(0);
    }
    if (write(fds[1], &grandchild, sizeof(grandchild)) != sizeof(grandchild)) _exit(1);
    pause();
    _exit(0);
  }
  pid_t grandchild = 0;
  ASSERT_EQ(read(fds[0], &grandchild, sizeof(grandchild)),
            static_cast<ssize_t>(sizeof(grandchild)));
  close(fds[0]);
  close(fds[1]);
  for (int i = 0; i < 1000 && getsid(grandchild) != grandchild; ++i) usleep(1000);
  ASSERT_EQ(getsid(grandchild), grandchild);
  ASSERT_TRUE(KillProcessTree(child, std::chrono::seconds(10)).ok());
  EXPECT_FALSE(Alive(child));
  EXPECT_FALSE(Alive(grandchild));
}

}  // namespace
}  // namespace waltune::powercut
