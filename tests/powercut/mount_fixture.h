// Test helpers: a throwaway waltune-powercut mount and small file helpers that read like a
// script (write, flush, cut, look).
#ifndef WALTUNE_TESTS_POWERCUT_MOUNT_FIXTURE_H_
#define WALTUNE_TESTS_POWERCUT_MOUNT_FIXTURE_H_

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "waltune/powercut.h"

namespace waltune::powercut::testing {

// Writes "data" at "offset" through a fresh descriptor opened with "extra_flags" (plus
// O_WRONLY|O_CREAT); fsyncs it when "sync". Returns false on any error.
inline bool WriteAt(const std::string& path, const std::string& data, off_t offset,
                    int extra_flags = 0, bool sync = false) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | extra_flags, 0644);
  if (fd < 0) return false;
  bool ok = pwrite(fd, data.data(), data.size(), offset) == static_cast<ssize_t>(data.size());
  if (sync) ok = ok && fsync(fd) == 0;
  return close(fd) == 0 && ok;
}

inline bool Append(const std::string& path, const std::string& data, bool sync = false) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd < 0) return false;
  bool ok = write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size());
  if (sync) ok = ok && fsync(fd) == 0;
  return close(fd) == 0 && ok;
}

// fsync of a file or directory by path.
inline bool SyncPath(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY);
  if (fd < 0) return false;
  bool ok = fsync(fd) == 0;
  return close(fd) == 0 && ok;
}

// Whole file contents, or nullopt when the file does not exist.
inline std::optional<std::string> ReadAll(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY);
  if (fd < 0) return std::nullopt;
  std::string out;
  char buf[65536];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  close(fd);
  return out;
}

inline bool Exists(const std::string& path) {
  struct stat sb;
  return lstat(path.c_str(), &sb) == 0;
}

inline bool FuseAvailable() { return access("/dev/fuse", R_OK | W_OK) == 0; }

// Fixture: backing dir + mount point under a fresh temp dir, mounted before each test and
// always unmounted afterwards (the PowercutMount destructor unmounts even when a test fails).
class MountTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!FuseAvailable()) GTEST_SKIP() << "/dev/fuse is not usable here";
    if (geteuid() != 0) GTEST_SKIP() << "needs root (allow_other mounts, chown to server users)";
    std::string tmpl = (std::filesystem::temp_directory_path() / "powercut-test-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    root_ = tmpl;
    backing_ = root_ + "/backing";
    mnt_ = root_ + "/mnt";
    std::filesystem::create_directories(backing_);
    std::filesystem::create_directories(mnt_);
    chmod(root_.c_str(), 0755);
    chmod(backing_.c_str(), 0755);
    Mount(MountOptions());
  }

  void Mount(MountOptions options) {
    options.binary_path = WALTUNE_POWERCUT_TEST_BIN;
    options.log_path = root_ + "/powercut.log";
    auto m = PowercutMount::Mount(backing_, mnt_, options);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    mount_ = std::move(m).value();
  }

  void Remount(MountOptions options) {
    Status s = mount_->Unmount();
    ASSERT_TRUE(s.ok()) << s.ToString();
    mount_.reset();
    Mount(options);
  }

  void TearDown() override {
    if (HasFailure() && !root_.empty()) DumpLogs();
    if (mount_ != nullptr) {
      Status s = mount_->Unmount();
      EXPECT_TRUE(s.ok()) << s.ToString();
      mount_.reset();
    }
    if (!root_.empty()) {
      EXPECT_FALSE(IsMounted(mnt_));
      if (!IsMounted(mnt_)) {
        std::error_code ec;
        std::filesystem::remove_all(root_, ec);
      }
    }
  }

  // On failure: the last lines of every log in the test's temp dir, before it is removed.
  void DumpLogs() {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(root_, ec)) {
      if (entry.path().extension() != ".log") continue;
      std::string text = ReadAll(entry.path().string()).value_or("");
      size_t start = text.size() > 6000 ? text.size() - 6000 : 0;
      std::fprintf(stderr, "---- %s (tail)\n%s\n", entry.path().c_str(), text.c_str() + start);
    }
  }

  CutStats Cut() {
    auto r = mount_->Cut();
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok()) return CutStats();
    EXPECT_EQ(r->errors, 0u);
    return *r;
  }

  std::string P(const std::string& name) const { return mnt_ + "/" + name; }

  // A file whose contents and name are durable.
  void MakeDurableFile(const std::string& name, const std::string& data) {
    ASSERT_TRUE(WriteAt(P(name), data, 0, O_TRUNC, /*sync=*/true));
    ASSERT_TRUE(SyncPath(mnt_));
  }

  std::string root_, backing_, mnt_;
  std::unique_ptr<PowercutMount> mount_;
};

}  // namespace waltune::powercut::testing

#endif  // WALTUNE_TESTS_POWERCUT_MOUNT_FIXTURE_H_
