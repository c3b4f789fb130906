// FakeEnv: an in-memory Env with a virtual clock. Each file operation advances the clock by the
// cost a test scripts for it, so the probe's statistics can be checked to the nanosecond.
// Thread-safe; the clock is shared by all threads.
#ifndef WALTUNE_TESTS_IO_FAKE_ENV_H_
#define WALTUNE_TESTS_IO_FAKE_ENV_H_

#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "waltune/env.h"

namespace waltune::testing {

struct FakeOp {
  enum class Kind {
    kWrite,
    kFdatasync,
    kFsync,
    kAllocate,
    kRead,
    kDropCache,
    kSyncFileSystem,
    kSleep
  };
  Kind kind = Kind::kWrite;
  std::string path;
  uint64_t offset_bytes = 0;
  uint64_t bytes = 0;      // write length; for flushes, bytes written since the last flush
  bool dsync = false;      // the file was opened with O_DSYNC
  bool direct = false;     // ... with O_DIRECT
  bool grew_file = false;  // a write past the end, or a flush after one
  uint64_t sleep_us = 0;   // kSleep: the time asked for (the clock advances by it + cost_ns)
};

class FakeEnv : public Env {
 public:
  // Cost of each operation in virtual nanoseconds. Default: everything is free.
  std::function<uint64_t(const FakeOp&)> cost_ns = [](const FakeOp&) { return 0; };
  // Called (without the env's lock) at the start of every fdatasync/fsync.
  std::function<void()> on_flush;
  // Error returned by the N-th (1-based) write of the run; 0 = never.
  int fail_write_number = 0;
  // O_DIRECT opens fail with Unavailable, as tmpfs did before Linux 6.6.
  bool refuse_direct = false;
  // O_DIRECT opens succeed but writes fail with Unavailable (file systems that check late).
  bool refuse_direct_writes = false;
  // Creating files fails with "Permission denied" (a directory the user cannot write).
  bool refuse_create = false;
  // Store file contents (for checking what the group-commit log wrote).
  bool keep_content = false;

  // --- setting up the visible system ---
  void AddDirectory(const std::string& path) { directories_.insert(path); }
  void SetText(const std::string& path, const std::string& text) { texts_[path] = text; }
  void SetRealPath(const std::string& path, const std::string& real) { real_paths_[path] = real; }
  void SetListing(const std::string& dir, std::vector<std::string> names) {
    listings_[dir] = std::move(names);
  }
  void SetDevice(const std::string& path, DeviceNumber dev) { devices_[path] = dev; }
  void SetFreeBytes(uint64_t bytes) { free_bytes_ = bytes; }

  // --- inspection ---
  std::vector<FakeOp> ops() const;
  int CountOps(FakeOp::Kind kind) const;
  std::set<std::string> ExistingFiles() const;
  std::set<std::string> CreatedFiles() const;
  std::string Content(const std::string& path) const;
  uint64_t now_ns() const;

  // --- Env ---
  Result<std::unique_ptr<ProbeFile>> OpenFile(const std::string& path,
                                              const FileOptions& options) override;
  Status RemoveFile(const std::string& path) override;
  Status CheckDirectory(const std::string& path) override;
  Result<uint64_t> FreeBytes(const std::string& path) override;
  Status SyncFileSystem(const std::string& path) override;
  Result<std::string> ReadTextFile(const std::string& path) override;
  Result<std::string> RealPath(const std::string& path) override;
  Result<std::vector<std::string>> ListDirectory(const std::string& path) override;
  bool FileExists(const std::string& path) override;
  Result<DeviceNumber> DeviceOf(const std::string& path) override;
  uint64_t NowNanos() override;
  void SleepMicros(uint64_t us) override;
  int ProcessId() override { return 4242; }
  bool StderrIsTerminal() override { return false; }

 private:
  friend class FakeFile;
  struct FileState {
    uint64_t size_bytes = 0;
    uint64_t dirty_bytes = 0;
    bool grew_since_flush = false;
    std::string content;
  };
  Status DoWrite(const std::string& path, const FileOptions& o, uint64_t offset, const char* data,
                 size_t n);
  Status DoFlush(const std::string& path, const FileOptions& o, FakeOp::Kind kind);
  Status DoAllocate(const std::string& path, uint64_t length);
  Status DoRead(const std::string& path, const FileOptions& o, uint64_t offset, char* data,
                size_t n);
  Status DoDropCache(const std::string& path, const FileOptions& o);

  mutable std::mutex mu_;
  uint64_t now_ns_ = 1000000000;  // arbitrary, non-zero start
  int writes_ = 0;
  uint64_t free_bytes_ = 100ull * 1024 * 1024 * 1024;
  std::vector<FakeOp> ops_;
  std::map<std::string, FileState> files_;
  std::set<std::string> created_;
  std::set<std::string> directories_;
  std::map<std::string, std::string> texts_;
  std::map<std::string, std::string> real_paths_;
  std::map<std::string, std::vector<std::string>> listings_;
  std::map<std::string, DeviceNumber> devices_;
};

}  // namespace waltune::testing

#endif  // WALTUNE_TESTS_IO_FAKE_ENV_H_
