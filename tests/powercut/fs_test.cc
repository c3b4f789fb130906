// The file system alone: what survives a power cut and what does not (docs/powercut.md).
#include <fcntl.h>
#include <linux/falloc.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "mount_fixture.h"

namespace waltune::powercut::testing {
namespace {

// "m" + std::to_string(n) without the "literal" + std::string form that trips GCC 12's
// -Wrestrict false positive in Release builds (GCC bug 105329).
std::string Name(char prefix, long n) {
  std::string s(1, prefix);
  s += std::to_string(n);
  return s;
}

using PowercutFsTest = MountTest;

TEST_F(PowercutFsTest, UnflushedOverwriteIsGoneAfterCut) {
  MakeDurableFile("f", "durable data");
  ASSERT_TRUE(WriteAt(P("f"), "CHANGED", 0));
  EXPECT_EQ(ReadAll(P("f")), "CHANGED data");  // Reads see unflushed data.
  CutStats stats = Cut();
  EXPECT_EQ(ReadAll(P("f")), "durable data");
  EXPECT_EQ(stats.discarded_bytes, 7u);
  EXPECT_EQ(stats.files_restored, 1u);
}

TEST_F(PowercutFsTest, UnflushedAppendIsTruncatedAfterCut) {
  MakeDurableFile("f", "head");
  ASSERT_TRUE(Append(P("f"), "+tail"));
  EXPECT_EQ(ReadAll(P("f")), "head+tail");
  CutStats stats = Cut();
  EXPECT_EQ(ReadAll(P("f")), "head");
  EXPECT_EQ(stats.discarded_bytes, 5u);
}

TEST_F(PowercutFsTest, FsyncedWriteSurvivesCut) {
  MakeDurableFile("f", "old old old");
  ASSERT_TRUE(WriteAt(P("f"), "new", 4, 0, /*sync=*/true));
  ASSERT_TRUE(Append(P("f"), " appended", /*sync=*/true));
  CutStats stats = Cut();
  EXPECT_EQ(ReadAll(P("f")), "old new old appended");
  EXPECT_EQ(stats.discarded_bytes, 0u);
}

TEST_F(PowercutFsTest, FdatasyncedWriteSurvivesCut) {
  MakeDurableFile("f", "");
  int fd = open(P("f").c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, "kept", 4), 4);
  ASSERT_EQ(fdatasync(fd), 0);
  ASSERT_EQ(write(fd, "lost", 4), 4);
  close(fd);
  Cut();
  EXPECT_EQ(ReadAll(P("f")), "kept");
}

TEST_F(PowercutFsTest, WritesAfterLastFsyncAreLostEvenWithEarlierFsync) {
  MakeDurableFile("f", std::string(8192, 'a'));
  ASSERT_TRUE(WriteAt(P("f"), std::string(4096, 'b'), 0, 0, /*sync=*/true));
  ASSERT_TRUE(WriteAt(P("f"), std::string(4096, 'c'), 2048));
  CutStats stats = Cut();
  EXPECT_EQ(ReadAll(P("f")), std::string(4096, 'b') + std::string(4096, 'a'));
  EXPECT_EQ(stats.discarded_bytes, 4096u);
}

TEST_F(PowercutFsTest, ODsyncWriteSurvivesCut) {
  MakeDurableFile("f", "0123456789");
  ASSERT_TRUE(WriteAt(P("f"), "dsync", 2, O_DSYNC));
  ASSERT_TRUE(WriteAt(P("f"), "SYNC", 12, O_SYNC));  // Extends the file past a hole.
  ASSERT_TRUE(WriteAt(P("f"), "xx", 0));             // Plain write: lost.
  Cut();
  EXPECT_EQ(ReadAll(P("f")), std::string("01dsync789") + std::string(2, '\0') + "SYNC");
}

TEST_F(PowercutFsTest, ODirectWriteWithoutFsyncIsLost) {
  MakeDurableFile("f", std::string(4096, 'd'));
  int fd = open(P("f").c_str(), O_WRONLY | O_DIRECT);
  ASSERT_GE(fd, 0) << std::strerror(errno);
  void* buf = nullptr;
  ASSERT_EQ(posix_memalign(&buf, 4096, 4096), 0);
  std::memset(buf, 'o', 4096);
  ASSERT_EQ(pwrite(fd, buf, 4096, 0), 4096);
  ASSERT_EQ(pwrite(fd, buf, 4096, 4096), 4096);
  free(buf);
  close(fd);
  EXPECT_EQ(ReadAll(P("f")), std::string(8192, 'o'));
  Cut();
  EXPECT_EQ(ReadAll(P("f")), std::string(4096, 'd'));
}

TEST_F(PowercutFsTest, CreatedFileWithoutDirectoryFsyncIsGone) {
  ASSERT_TRUE(WriteAt(P("new"), "synced data", 0, 0, /*sync=*/true));
  ASSERT_TRUE(Exists(P("new")));
  CutStats stats = Cut();
  EXPECT_FALSE(Exists(P("new")));
  EXPECT_FALSE(Exists(backing_ + "/new"));
  EXPECT_EQ(stats.names_undone, 1u);
}

TEST_F(PowercutFsTest, CreatedFileWithDirectoryFsyncSurvives) {
  ASSERT_TRUE(WriteAt(P("new"), "synced data", 0, 0, /*sync=*/true));
  ASSERT_TRUE(SyncPath(mnt_));
  Cut();
  EXPECT_EQ(ReadAll(P("new")), "synced data");
}

TEST_F(PowercutFsTest, DirectoryFsyncKeepsNameButNotUnsyncedData) {
  ASSERT_TRUE(WriteAt(P("new"), "never synced", 0));
  ASSERT_TRUE(SyncPath(mnt_));
  Cut();
  EXPECT_EQ(ReadAll(P("new")), "");
}

TEST_F(PowercutFsTest, FileSyncCommitsNamesWhenAskedTo) {
  MountOptions options;
  options.file_sync_commits_names = true;
  Remount(options);
  ASSERT_TRUE(WriteAt(P("new"), "synced data", 0, 0, /*sync=*/true));
  ASSERT_TRUE(WriteAt(P("other"), "unsynced", 0));
  Cut();
  EXPECT_EQ(ReadAll(P("new")), "synced data");
  EXPECT_EQ(ReadAll(P("other")), std::nullopt);
}

TEST_F(PowercutFsTest, MkdirAndItsFilesWithoutFsyncAreGone) {
  ASSERT_EQ(mkdir(P("d").c_str(), 0755), 0);
  ASSERT_EQ(mkdir(P("d/e").c_str(), 0755), 0);
  ASSERT_TRUE(WriteAt(P("d/e/f"), "x", 0, 0, /*sync=*/true));
  Cut();
  EXPECT_FALSE(Exists(P("d")));
}

TEST_F(PowercutFsTest, NestedNamesSurviveOneDirectoryFsync) {
  ASSERT_EQ(mkdir(P("d").c_str(), 0755), 0);
  ASSERT_TRUE(WriteAt(P("d/f"), "x", 0, 0, /*sync=*/true));
  // One journal, as in ext4/XFS: a directory fsync commits every earlier namespace change.
  ASSERT_TRUE(SyncPath(P("d")));
  Cut();
  EXPECT_EQ(ReadAll(P("d/f")), "x");
}

TEST_F(PowercutFsTest, UnlinkWithoutDirectoryFsyncIsUndone) {
  MakeDurableFile("f", "still here");
  ASSERT_EQ(unlink(P("f").c_str()), 0);
  EXPECT_FALSE(Exists(P("f")));
  CutStats stats = Cut();
  EXPECT_EQ(ReadAll(P("f")), "still here");
  EXPECT_EQ(stats.names_undone, 1u);
}

TEST_F(PowercutFsTest, UnlinkWithDirectoryFsyncIsDurable) {
  MakeDurableFile("f", "gone");
  ASSERT_EQ(unlink(P("f").c_str()), 0);
  ASSERT_TRUE(SyncPath(mnt_));
  Cut();
  EXPECT_FALSE(Exists(P("f")));
}

TEST_F(PowercutFsTest, UnlinkOfOpenFileKeepsDescriptorUsable) {
  MakeDurableFile("f", "abc");
  int fd = open(P("f").c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(unlink(P("f").c_str()), 0);
  ASSERT_EQ(pwrite(fd, "XYZ", 3, 0), 3);
  char buf[4] = {};
  ASSERT_EQ(pread(fd, buf, 3, 0), 3);
  EXPECT_STREQ(buf, "XYZ");
  close(fd);
  Cut();
  EXPECT_EQ(ReadAll(P("f")), "abc");
}

TEST_F(PowercutFsTest, RmdirWithoutDirectoryFsyncIsUndone) {
  ASSERT_EQ(mkdir(P("d").c_str(), 0700), 0);
  ASSERT_TRUE(SyncPath(mnt_));
  ASSERT_EQ(rmdir(P("d").c_str()), 0);
  Cut();
  struct stat sb;
  ASSERT_EQ(stat(P("d").c_str(), &sb), 0);
  EXPECT_TRUE(S_ISDIR(sb.st_mode));
  EXPECT_EQ(sb.st_mode & 0777, 0700u);
}

TEST_F(PowercutFsTest, RmdirOfNonEmptyDirectoryFails) {
  ASSERT_EQ(mkdir(P("d").c_str(), 0755), 0);
  ASSERT_TRUE(WriteAt(P("d/f"), "x", 0));
  EXPECT_EQ(rmdir(P("d").c_str()), -1);
  EXPECT_EQ(errno, ENOTEMPTY);
}

TEST_F(PowercutFsTest, RenameWithoutDirectoryFsyncIsUndone) {
  MakeDurableFile("src", "source");
  MakeDurableFile("dst", "replaced");
  ASSERT_EQ(rename(P("src").c_str(), P("dst").c_str()), 0);
  EXPECT_EQ(ReadAll(P("dst")), "source");
  EXPECT_FALSE(Exists(P("src")));
  CutStats stats = Cut();
  EXPECT_EQ(ReadAll(P("src")), "source");
  EXPECT_EQ(ReadAll(P("dst")), "replaced");
  EXPECT_EQ(stats.names_undone, 2u);  // The rename and the replaced entry.
}

TEST_F(PowercutFsTest, RenameWithDirectoryFsyncSurvives) {
  MakeDurableFile("src", "source");
  MakeDurableFile("dst", "replaced");
  ASSERT_EQ(rename(P("src").c_str(), P("dst").c_str()), 0);
  ASSERT_TRUE(SyncPath(mnt_));
  Cut();
  EXPECT_FALSE(Exists(P("src")));
  EXPECT_EQ(ReadAll(P("dst")), "source");
}

TEST_F(PowercutFsTest, WriteTempFsyncRenameIsAtomicAcrossCut) {
  // The classic durable replace: without the final directory fsync the old file comes back
  // whole, never a mix.
  MakeDurableFile("config", "version 1");
  ASSERT_TRUE(WriteAt(P("config.tmp"), "version 2", 0, 0, /*sync=*/true));
  ASSERT_EQ(rename(P("config.tmp").c_str(), P("config").c_str()), 0);
  Cut();
  EXPECT_EQ(ReadAll(P("config")), "version 1");
  EXPECT_FALSE(Exists(P("config.tmp")));
}

TEST_F(PowercutFsTest, RenameOfDirectoryOverEmptyDirectoryIsUndone) {
  ASSERT_EQ(mkdir(P("a").c_str(), 0755), 0);
  ASSERT_EQ(mkdir(P("b").c_str(), 0755), 0);
  MakeDurableFile("a/f", "in a");
  ASSERT_EQ(rename(P("a").c_str(), P("b").c_str()), 0);
  EXPECT_EQ(ReadAll(P("b/f")), "in a");
  Cut();
  EXPECT_EQ(ReadAll(P("a/f")), "in a");
  EXPECT_TRUE(Exists(P("b")));
  EXPECT_FALSE(Exists(P("b/f")));
}

TEST_F(PowercutFsTest, HardLinkAndSymlinkWithoutFsyncAreGone) {
  MakeDurableFile("f", "data");
  ASSERT_EQ(link(P("f").c_str(), P("hard").c_str()), 0);
  ASSERT_EQ(symlink("f", P("soft").c_str()), 0);
  EXPECT_EQ(ReadAll(P("soft")), "data");
  Cut();
  EXPECT_FALSE(Exists(P("hard")));
  EXPECT_FALSE(Exists(P("soft")));
  EXPECT_EQ(ReadAll(P("f")), "data");
}

TEST_F(PowercutFsTest, TruncateWithoutFsyncIsUndone) {
  MakeDurableFile("f", "0123456789");
  ASSERT_EQ(truncate(P("f").c_str(), 3), 0);
  ASSERT_EQ(truncate(P("f").c_str(), 6), 0);
  EXPECT_EQ(ReadAll(P("f")), std::string("012") + std::string(3, '\0'));
  Cut();
  EXPECT_EQ(ReadAll(P("f")), "0123456789");
}

TEST_F(PowercutFsTest, OTruncOpenWithoutFsyncIsUndone) {
  MakeDurableFile("f", "keep me");
  ASSERT_TRUE(WriteAt(P("f"), "new", 0, O_TRUNC));
  EXPECT_EQ(ReadAll(P("f")), "new");
  Cut();
  EXPECT_EQ(ReadAll(P("f")), "keep me");
}

TEST_F(PowercutFsTest, FallocateExtendsAndPunchHoleIsUndone) {
  MakeDurableFile("f", std::string(8192, 'p'));
  int fd = open(P("f").c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 4096), 0);
  ASSERT_EQ(posix_fallocate(fd, 0, 16384), 0);
  close(fd);
  EXPECT_EQ(ReadAll(P("f")),
            std::string(4096, '\0') + std::string(4096, 'p') + std::string(8192, '\0'));
  Cut();
  EXPECT_EQ(ReadAll(P("f")), std::string(8192, 'p'));
}

TEST_F(PowercutFsTest, DescriptorKeptOpenAcrossCutReadsDurableData) {
  MakeDurableFile("f", "durable");
  int fd = open(P("f").c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(pwrite(fd, "VOLATILE", 8, 0), 8);
  char buf[16] = {};
  ASSERT_EQ(pread(fd, buf, sizeof(buf), 0), 8);
  Cut();
  std::memset(buf, 0, sizeof(buf));
  EXPECT_EQ(pread(fd, buf, sizeof(buf), 0), 7);
  EXPECT_STREQ(buf, "durable");
  close(fd);
}

TEST_F(PowercutFsTest, SyncCommandMakesEverythingDurable) {
  ASSERT_EQ(mkdir(P("d").c_str(), 0755), 0);
  ASSERT_TRUE(WriteAt(P("d/f"), "set up", 0));
  ASSERT_TRUE(mount_->Sync().ok());
  auto pending = mount_->Pending();
  ASSERT_TRUE(pending.ok());
  EXPECT_EQ(pending->dirty_files, 0u);
  EXPECT_EQ(pending->pending_names, 0u);
  Cut();
  EXPECT_EQ(ReadAll(P("d/f")), "set up");
}

TEST_F(PowercutFsTest, PendingCountsWhatACutWouldDiscard) {
  MakeDurableFile("f", std::string(100, 'a'));
  ASSERT_TRUE(WriteAt(P("f"), std::string(10, 'b'), 50));
  ASSERT_TRUE(WriteAt(P("g"), "new", 0));
  auto pending = mount_->Pending();
  ASSERT_TRUE(pending.ok());
  EXPECT_EQ(pending->dirty_files, 2u);
  EXPECT_EQ(pending->undo_bytes, 10u);
  EXPECT_EQ(pending->pending_names, 1u);
}

TEST_F(PowercutFsTest, CutsAreNumberedAndRepeatable) {
  MakeDurableFile("f", "base");
  for (uint64_t i = 1; i <= 3; ++i) {
    ASSERT_TRUE(Append(P("f"), "+more"));
    CutStats stats = Cut();
    EXPECT_EQ(stats.cut_number, i);
    EXPECT_EQ(ReadAll(P("f")), "base");
  }
}

TEST_F(PowercutFsTest, TrashIsInvisibleAndRemovedAtUnmount) {
  MakeDurableFile("f", "x");
  ASSERT_EQ(unlink(P("f").c_str()), 0);
  for (const auto& entry : std::filesystem::directory_iterator(mnt_)) {
    EXPECT_NE(entry.path().filename(), ".powercut-trash");
  }
  EXPECT_FALSE(Exists(P(".powercut-trash")));
  ASSERT_TRUE(mount_->Unmount().ok());
  mount_.reset();
  EXPECT_FALSE(Exists(backing_ + "/.powercut-trash"));
  EXPECT_FALSE(Exists(backing_ + "/f"));  // A clean unmount keeps the latest state.
}

TEST_F(PowercutFsTest, OtherUsersKeepOwnershipAndModes) {
  passwd* pw = getpwnam("postgres");
  if (pw == nullptr) GTEST_SKIP() << "no postgres user";
  ASSERT_EQ(mkdir(P("pg").c_str(), 0700), 0);
  ASSERT_EQ(chown(P("pg").c_str(), pw->pw_uid, pw->pw_gid), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {  // As postgres: create a file, mode 0600, in its own directory.
    if (setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0) _exit(2);
    umask(077);
    int fd = open((mnt_ + "/pg/owned").c_str(), O_CREAT | O_WRONLY, 0666);
    if (fd < 0 || write(fd, "pg", 2) != 2 || fsync(fd) != 0) _exit(3);
    close(fd);
    // default_permissions: root's directory stays closed to postgres.
    if (open((mnt_ + "/forbidden").c_str(), O_CREAT | O_WRONLY, 0600) >= 0) _exit(4);
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);
  struct stat sb;
  ASSERT_EQ(stat(P("pg/owned").c_str(), &sb), 0);
  EXPECT_EQ(sb.st_uid, pw->pw_uid);
  EXPECT_EQ(sb.st_gid, pw->pw_gid);
  EXPECT_EQ(sb.st_mode & 0777, 0600u);
  ASSERT_EQ(stat((backing_ + "/pg/owned").c_str(), &sb), 0);
  EXPECT_EQ(sb.st_uid, pw->pw_uid);
}

TEST_F(PowercutFsTest, ConcurrentWritersKeepExactlyWhatTheyFlushed) {
  constexpr int kThreads = 4;
  constexpr int kRecords = 600;
  constexpr size_t kRecordBytes = 1000;
  std::vector<size_t> synced_bytes(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) MakeDurableFile(Name('f', t), "");
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      int fd = open(P(Name('f', t)).c_str(), O_WRONLY | O_APPEND);
      for (int i = 0; i < kRecords; ++i) {
        std::string record(kRecordBytes, static_cast<char>('a' + (i + t) % 26));
        if (write(fd, record.data(), record.size()) != static_cast<ssize_t>(record.size())) {
          break;
        }
        if (i % 7 == 3 && fdatasync(fd) == 0) synced_bytes[t] = (i + 1) * kRecordBytes;
      }
      close(fd);
    });
  }
  std::thread dir_syncer([&] {  // Directory fsyncs and stats in between.
    for (int i = 0; i < 50; ++i) {
      SyncPath(mnt_);
      (void)mount_->Pending();
    }
  });
  for (auto& th : threads) th.join();
  dir_syncer.join();
  Cut();
  for (int t = 0; t < kThreads; ++t) {
    auto data = ReadAll(P(Name('f', t)));
    ASSERT_TRUE(data.has_value());
    ASSERT_EQ(data->size(), synced_bytes[t]) << "file " << t;
    for (size_t r = 0; r < data->size() / kRecordBytes; ++r) {
      ASSERT_EQ((*data)[r * kRecordBytes], static_cast<char>('a' + (r + t) % 26));
    }
  }
}

TEST_F(PowercutFsTest, ConcurrentBlockWritersOnOneFile) {
  constexpr int kThreads = 4;
  constexpr size_t kBlock = 4096;
  MakeDurableFile("shared", std::string(kThreads * kBlock, '.'));
  auto run_writers = [&](bool sync, int rounds) {
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        int fd = open(P("shared").c_str(), O_WRONLY);
        for (int i = 0; i < rounds; ++i) {
          std::string block(kBlock, sync ? static_cast<char>('A' + t) : 'Z');
          block[0] = static_cast<char>('0' + i % 10);
          if (pwrite(fd, block.data(), kBlock, t * kBlock) != static_cast<ssize_t>(kBlock) ||
              (sync && fsync(fd) != 0)) {
            break;
          }
        }
        close(fd);
      });
    }
    for (auto& th : threads) th.join();
  };
  run_writers(/*sync=*/true, 200);  // Each fsync also covers the others' earlier writes.
  run_writers(/*sync=*/false, 50);  // Nobody flushes these.
  Cut();
  auto data = ReadAll(P("shared"));
  ASSERT_TRUE(data.has_value());
  ASSERT_EQ(data->size(), kThreads * kBlock);
  for (int t = 0; t < kThreads; ++t) {
    std::string expected(kBlock, static_cast<char>('A' + t));
    expected[0] = '9';
    EXPECT_TRUE(data->substr(t * kBlock, kBlock) == expected)
        << "block " << t << " starts " << data->substr(t * kBlock, 8);
  }
}

}  // namespace
}  // namespace waltune::powercut::testing
