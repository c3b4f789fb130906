// DurableState without FUSE: the undo bookkeeping applied to a plain temp directory.
#include "powercut/durable_state.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/falloc.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace waltune::powercut {
namespace {

// "m" + std::to_string(n) without the "literal" + std::string form that trips GCC 12's
// -Wrestrict false positive in Release builds (GCC bug 105329).
std::string Name(char prefix, long n) {
  std::string s(1, prefix);
  s += std::to_string(n);
  return s;
}

class DurableStateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "powercut-state-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    root_fd_ = open(dir_.c_str(), O_RDONLY | O_DIRECTORY);
    ASSERT_GE(root_fd_, 0);
    state_ = std::make_unique<DurableState>(root_fd_, DurableStateOptions());
  }
  void TearDown() override {
    state_.reset();
    if (root_fd_ >= 0) close(root_fd_);
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // Creates "name" with durable contents "data" and returns an open read-write fd.
  int Durable(const std::string& name, const std::string& data) {
    int fd = state_->Create(name, 0, 0644, getuid(), getgid());
    EXPECT_GE(fd, 0);
    EXPECT_EQ(Write(fd, data, 0), static_cast<ssize_t>(data.size()));
    EXPECT_EQ(state_->SyncFile(fd), 0);
    EXPECT_EQ(state_->SyncDirectory(), 0);
    return fd;
  }
  ssize_t Write(int fd, const std::string& data, off_t offset, bool synced = false) {
    return state_->Write(fd, "", data.data(), data.size(), offset, false, synced);
  }
  std::optional<std::string> Contents(const std::string& name) {
    int fd = openat(root_fd_, name.c_str(), O_RDONLY);
    if (fd < 0) return std::nullopt;
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = read(fd, buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
    close(fd);
    return out;
  }

  std::string dir_;
  int root_fd_ = -1;
  std::unique_ptr<DurableState> state_;
};

TEST_F(DurableStateTest, OverlappingOverwritesRestoreOriginalBytes) {
  int fd = Durable("f", "abcdefghijklmnop");
  Write(fd, "1111", 2);
  Write(fd, "22222222", 4);  // Overlaps the first write and extends past it.
  Write(fd, "3", 0);
  EXPECT_EQ(Contents("f"), "3b1122222222mnop");
  CutResult r = state_->Cut();
  EXPECT_EQ(Contents("f"), "abcdefghijklmnop");
  EXPECT_EQ(r.discarded_bytes, 11u);  // Bytes 0 and 2..11.
  close(fd);
}

TEST_F(DurableStateTest, SyncedWriteInsideUnsyncedRangeKeepsOnlyItsBytes) {
  int fd = Durable("f", std::string(100, 'a'));
  Write(fd, std::string(100, 'b'), 0);
  Write(fd, std::string(20, 'c'), 40, /*synced=*/true);
  state_->Cut();
  EXPECT_EQ(Contents("f"), std::string(40, 'a') + std::string(20, 'c') + std::string(40, 'a'));
  close(fd);
}

TEST_F(DurableStateTest, SyncedWritePastHoleZeroesTheUnsyncedGap) {
  int fd = Durable("f", "base");
  Write(fd, "gap!", 4);                  // Not durable...
  Write(fd, "end", 8, /*synced=*/true);  // ...but the size grows past it.
  state_->Cut();
  EXPECT_EQ(Contents("f"), std::string("base") + std::string(4, '\0') + "end");
  close(fd);
}

TEST_F(DurableStateTest, AppendUsesCurrentEndOfFile) {
  int fd = Durable("f", "0123");
  ASSERT_EQ(state_->Truncate(fd, "", 2), 0);
  ASSERT_EQ(state_->Write(fd, "", "XY", 2, 999, /*append=*/true, false), 2);
  EXPECT_EQ(Contents("f"), "01XY");
  state_->Cut();
  EXPECT_EQ(Contents("f"), "0123");
  close(fd);
}

TEST_F(DurableStateTest, ZeroRangeIsUndone) {
  int fd = Durable("f", std::string(64, 'z'));
  ASSERT_EQ(state_->Fallocate(fd, "", FALLOC_FL_ZERO_RANGE, 8, 8), 0);
  EXPECT_EQ(Contents("f"), std::string(8, 'z') + std::string(8, '\0') + std::string(48, 'z'));
  state_->Cut();
  EXPECT_EQ(Contents("f"), std::string(64, 'z'));
  EXPECT_EQ(state_->Fallocate(fd, "", FALLOC_FL_COLLAPSE_RANGE, 0, 4096), -EOPNOTSUPP);
  close(fd);
}

TEST_F(DurableStateTest, LargeRangesSpillToDiskAndRestore) {
  std::string original;
  for (int i = 0; i < 300000; ++i) original.push_back(static_cast<char>('a' + i % 26));
  int fd = Durable("big", original);
  Write(fd, std::string(200000, 'X'), 50000);                  // Spilled: 64 KiB and more.
  Write(fd, std::string(1000, 'Y'), 100000, /*synced=*/true);  // Splits the spilled range.
  ASSERT_EQ(state_->Truncate(fd, "", 10), 0);                  // The rest of the file spills too.
  CutResult r = state_->Cut();
  std::string expected = original;
  expected.replace(100000, 1000, std::string(1000, 'Y'));
  EXPECT_TRUE(Contents("big") == expected);
  EXPECT_EQ(r.discarded_bytes, 300000u - 10u);  // Everything the truncate cut off.
  close(fd);
}

// Random operations against a model that knows what must survive: after every cut the file
// must equal the model's durable contents byte for byte.
TEST_F(DurableStateTest, RandomOperationsMatchModel) {
  for (uint32_t seed = 1; seed <= 8; ++seed) {
    std::mt19937 rng(seed);
    auto rnd = [&](uint64_t n) { return static_cast<uint64_t>(rng() % n); };
    std::string name = Name('m', seed);
    std::string durable(rnd(200000), 'd');
    int fd = Durable(name, durable);
    std::string current = durable;
    for (int op = 0; op < 400; ++op) {
      uint64_t kind = rnd(100);
      uint64_t off = rnd(current.size() + 100000);
      uint64_t len = 1 + (rnd(4) == 0 ? rnd(150000) : rnd(9000));
      char c = static_cast<char>('a' + rnd(26));
      std::string data(len, c);
      if (kind < 45) {  // Plain write.
        ASSERT_EQ(Write(fd, data, static_cast<off_t>(off)), static_cast<ssize_t>(len));
        if (current.size() < off + len) current.resize(off + len, '\0');
        current.replace(off, len, data);
      } else if (kind < 55) {  // O_DSYNC write.
        ASSERT_EQ(Write(fd, data, static_cast<off_t>(off), /*synced=*/true),
                  static_cast<ssize_t>(len));
        if (current.size() < off + len) current.resize(off + len, '\0');
        current.replace(off, len, data);
        if (durable.size() < off + len) durable.resize(off + len, '\0');
        durable.replace(off, len, data);
      } else if (kind < 65) {  // Truncate (shrink or grow).
        uint64_t size = rnd(current.size() + 50000);
        ASSERT_EQ(state_->Truncate(fd, "", static_cast<off_t>(size)), 0);
        current.resize(size, '\0');
      } else if (kind < 72) {  // Punch a hole.
        ASSERT_EQ(state_->Fallocate(fd, "", FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                                    static_cast<off_t>(off), static_cast<off_t>(len)),
                  0);
        if (off < current.size()) {
          uint64_t n = std::min<uint64_t>(len, current.size() - off);
          current.replace(off, n, std::string(n, '\0'));
        }
      } else if (kind < 77) {  // Append.
        ASSERT_EQ(state_->Write(fd, "", data.data(), len, 0, /*append=*/true, false),
                  static_cast<ssize_t>(len));
        current += data;
      } else if (kind < 87) {  // fsync.
        ASSERT_EQ(state_->SyncFile(fd), 0);
        durable = current;
      } else if (kind < 92) {  // Cut.
        CutResult r = state_->Cut();
        ASSERT_EQ(r.errors, 0u);
        current = durable;
        ASSERT_TRUE(Contents(name) == current) << "seed " << seed << " op " << op;
      } else {  // Reads see the latest data.
        ASSERT_TRUE(Contents(name) == current) << "seed " << seed << " op " << op;
      }
    }
    state_->Cut();
    EXPECT_TRUE(Contents(name) == durable) << "seed " << seed;
    close(fd);
  }
}

TEST_F(DurableStateTest, RandomCutKeepsWholeOldOrNewBlocksOnly) {
  uint64_t kept_blocks = 0, restored_blocks = 0;
  for (uint32_t seed = 1; seed <= 10; ++seed) {
    std::string name = Name('r', seed);
    int fd = Durable(name, std::string(65536, 'a'));
    Write(fd, std::string(65536, 'b'), 0);
    Write(fd, std::string(10000, 'c'), 65536);  // Appended: never kept (sizes go back).
    CutPolicy policy;
    policy.random_seed = seed;
    CutResult r = state_->Cut(policy);
    std::string data = Contents(name).value_or("");
    ASSERT_EQ(data.size(), 65536u);
    uint64_t kept = 0;
    for (size_t b = 0; b < 16; ++b) {
      std::string block = data.substr(b * 4096, 4096);
      bool old_block = block == std::string(4096, 'a');
      bool new_block = block == std::string(4096, 'b');
      ASSERT_TRUE(old_block || new_block) << "seed " << seed << " block " << b << " is torn";
      kept += new_block ? 1 : 0;
    }
    EXPECT_EQ(r.kept_bytes, kept * 4096);
    EXPECT_EQ(r.discarded_bytes, (16 - kept) * 4096 + 10000);
    kept_blocks += kept;
    restored_blocks += 16 - kept;
    close(fd);
  }
  EXPECT_GT(kept_blocks, 0u);
  EXPECT_GT(restored_blocks, 0u);
}

TEST_F(DurableStateTest, RandomCutKeepsAPrefixOfPendingNames) {
  std::set<uint64_t> kept_counts;
  for (uint32_t seed = 1; seed <= 10; ++seed) {
    for (int i = 0; i < 8; ++i) {
      int fd = state_->Create(Name('n', i), 0, 0644, getuid(), getgid());
      ASSERT_GE(fd, 0);
      close(fd);
    }
    CutPolicy policy;
    policy.random_seed = seed;
    CutResult r = state_->Cut(policy);
    for (uint64_t i = 0; i < 8; ++i) {
      EXPECT_EQ(Contents(Name('n', i)).has_value(), i < r.names_kept)
          << "seed " << seed << " file " << i;
    }
    kept_counts.insert(r.names_kept);
    for (int i = 0; i < 8; ++i) unlinkat(root_fd_, (Name('n', i)).c_str(), 0);
  }
  EXPECT_GT(kept_counts.size(), 1u);
}

TEST_F(DurableStateTest, SyncFileForgetsUndoState) {
  int fd = Durable("f", "one");
  Write(fd, "two", 0);
  EXPECT_EQ(state_->Stats().dirty_files, 1u);
  ASSERT_EQ(state_->SyncFile(fd), 0);
  EXPECT_EQ(state_->Stats().dirty_files, 0u);
  CutResult r = state_->Cut();
  EXPECT_EQ(Contents("f"), "two");
  EXPECT_EQ(r.files_restored, 0u);
  close(fd);
}

TEST_F(DurableStateTest, JournalUndoesInReverseOrder) {
  close(Durable("a", "A"));
  ASSERT_EQ(state_->Mkdir("d", 0755, getuid(), getgid()), 0);
  ASSERT_EQ(state_->Rename("a", "d/a", 0), 0);
  ASSERT_EQ(state_->Link("d/a", "b"), 0);
  ASSERT_EQ(state_->Unlink("d/a"), 0);
  ASSERT_EQ(state_->Rename("b", "c", RENAME_NOREPLACE), 0);
  EXPECT_EQ(state_->Stats().pending_names, 5u);
  CutResult r = state_->Cut();
  EXPECT_EQ(r.errors, 0u);
  EXPECT_EQ(Contents("a"), "A");
  EXPECT_FALSE(Contents("b").has_value());
  EXPECT_FALSE(Contents("c").has_value());
  struct stat sb;
  EXPECT_NE(fstatat(root_fd_, "d", &sb, 0), 0);
}

TEST_F(DurableStateTest, ExchangeIsUndone) {
  close(Durable("a", "A"));
  close(Durable("b", "B"));
  ASSERT_EQ(state_->Rename("a", "b", RENAME_EXCHANGE), 0);
  EXPECT_EQ(Contents("a"), "B");
  state_->Cut();
  EXPECT_EQ(Contents("a"), "A");
  EXPECT_EQ(Contents("b"), "B");
}

TEST_F(DurableStateTest, RenameErrorsLeaveNoTrace) {
  close(Durable("f", "F"));
  ASSERT_EQ(state_->Mkdir("d", 0755, getuid(), getgid()), 0);
  close(Durable("d/x", "X"));
  EXPECT_EQ(state_->Rename("f", "d", 0), -EISDIR);
  ASSERT_EQ(state_->Mkdir("e", 0755, getuid(), getgid()), 0);
  EXPECT_EQ(state_->Rename("e", "d", 0), -ENOTEMPTY);
  EXPECT_EQ(state_->Rename("f", "d/x", RENAME_NOREPLACE), -EEXIST);
  EXPECT_EQ(state_->Stats().pending_names, 1u);  // Only mkdir e.
  EXPECT_EQ(Contents("d/x"), "X");
}

TEST_F(DurableStateTest, CommittedUnlinkFreesTheTrash) {
  close(Durable("f", "F"));
  ASSERT_EQ(state_->Unlink("f"), 0);
  ASSERT_EQ(state_->SyncDirectory(), 0);
  EXPECT_TRUE(std::filesystem::is_empty(dir_ + "/" + kTrashDirName));
  state_->Cut();
  EXPECT_FALSE(Contents("f").has_value());
}

TEST_F(DurableStateTest, CreateExclusiveOnExistingFails) {
  close(Durable("f", "F"));
  EXPECT_EQ(state_->Create("f", O_CREAT | O_EXCL, 0644, getuid(), getgid()), -EEXIST);
  int fd = state_->Create("f", O_CREAT, 0644, getuid(), getgid());
  ASSERT_GE(fd, 0);
  close(fd);
  EXPECT_EQ(state_->Stats().pending_names, 0u);  // Opening an existing file creates nothing.
}

// As the FUSE file system runs it: operations on several threads, each under the shared op
// guard, while another thread cuts the power and reads the stats. Run under ThreadSanitizer by
// scripts/test.sh (build-tsan). Afterwards the state still works: a synced file survives a cut
// and an unsynced overwrite of it is undone.
TEST_F(DurableStateTest, ConcurrentOperationsAndCuts) {
  constexpr int kWriters = 4;
  constexpr int kRounds = 150;
  std::vector<int> fds;
  for (int w = 0; w < kWriters; ++w) fds.push_back(Durable(Name('w', w), ""));
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([this, w, fd = fds[w]] {
      const std::string block(512, static_cast<char>('a' + w));
      for (int k = 0; k < kRounds; ++k) {
        auto guard = state_->OpGuard();
        EXPECT_EQ(
            state_->Write(fd, "", block.data(), block.size(), (k % 16) * 512, false, k % 8 == 0),
            512);
        if (k % 4 == 0) {
          EXPECT_EQ(state_->SyncFile(fd, k % 8 == 4), 0);
        }
        if (k % 16 == 0) {
          const std::string name = Name('w', w) + "-" + std::to_string(k);
          int nfd = state_->Create(name, 0, 0644, getuid(), getgid());
          EXPECT_GE(nfd, 0);
          if (nfd >= 0) close(nfd);
          if (k % 32 == 0) {
            EXPECT_EQ(state_->Unlink(name), 0);
          }
          EXPECT_EQ(state_->SyncDirectory(), 0);
        }
      }
    });
  }
  std::thread cutter([this] {
    for (int i = 0; i < 20; ++i) {
      EXPECT_EQ(state_->Cut().errors, 0u);
      (void)state_->Stats();
      std::this_thread::yield();
    }
  });
  for (auto& t : threads) t.join();
  cutter.join();

  for (int w = 0; w < kWriters; ++w) {
    const std::string name = Name('w', w);
    ASSERT_EQ(state_->SyncFile(fds[w]), 0);
    const auto synced = Contents(name);
    ASSERT_TRUE(synced.has_value());
    EXPECT_EQ(Write(fds[w], std::string(700, 'z'), 100), 700);
    EXPECT_EQ(state_->Cut().errors, 0u);
    EXPECT_EQ(Contents(name), synced) << name;
    close(fds[w]);
  }
}

}  // namespace
}  // namespace waltune::powercut
