// The POSIX Env: the only file of the probe and verify that flushes files itself (fsync,
// fdatasync, syncfs) or opens with O_DSYNC/O_DIRECT; waltune/env.h lists the flush calls
// elsewhere in src/ (the power-loss daemon, the LD_PRELOAD shim) and why.
//
// Why each flush call is what it is:
//  - Fdatasync() is fdatasync(2): on Linux it writes the data plus the metadata needed to read
//    it back (the file size when it grew) and issues a cache flush to the device. PostgreSQL's
//    default wal_sync_method on Linux.
//  - Fsync() is fsync(2): also writes inode metadata such as mtime, so it can cost an extra
//    journal commit; Linux issues the same device cache flush.
//  - FileOptions::dsync is O_DSYNC: each write(2) returns after the equivalent of fdatasync;
//    with O_DIRECT the kernel sends the write with FUA (or write + flush) instead of going
//    through the page cache.
// None of these is F_FULLFSYNC-style: on Linux, fsync and fdatasync already flush the device's
// volatile cache when the block layer knows it has one (queue/write_cache = "write back").
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>

#include "posix/posix_error.h"
#include "waltune/env.h"

namespace waltune {

using posix::PosixError;

namespace {

// --- Files removed on SIGINT/SIGTERM/SIGHUP -------------------------------------------------
// A fixed table, because the signal handler may only read plain memory and call unlink(). A
// probe holds at most 106 files at once (its clean-fsync phase's 100 and six others).
constexpr int kMaxTrackedFiles = 128;
constexpr size_t kMaxTrackedPathBytes = 4096;
struct TrackedFile {
  std::atomic<bool> in_use{false};
  char path[kMaxTrackedPathBytes];
};
TrackedFile g_tracked[kMaxTrackedFiles];
std::atomic<bool> g_handlers_installed{false};

extern "C" void RemoveTrackedFilesAndDie(int signal_number) {
  for (auto& slot : g_tracked) {
    if (slot.in_use.load(std::memory_order_acquire)) ::unlink(slot.path);
  }
  // Die of the same signal, so the parent sees the usual status (130 for Ctrl-C).
  std::signal(signal_number, SIG_DFL);
  std::raise(signal_number);
}

void InstallCleanupHandlers() {
  bool expected = false;
  if (!g_handlers_installed.compare_exchange_strong(expected, true)) return;
  struct sigaction action;
  std::memset(&action, 0, sizeof(action));
  action.sa_handler = RemoveTrackedFilesAndDie;
  sigemptyset(&action.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(sig, &action, nullptr);
}

bool TrackFile(const std::string& path) {
  if (path.size() >= kMaxTrackedPathBytes) return false;
  InstallCleanupHandlers();
  for (auto& slot : g_tracked) {
    if (slot.in_use.load(std::memory_order_acquire)) continue;
    std::memcpy(slot.path, path.c_str(), path.size() + 1);
    slot.in_use.store(true, std::memory_order_release);
    return true;
  }
  return false;
}

void UntrackFile(const std::string& path) {
  for (auto& slot : g_tracked) {
    if (slot.in_use.load(std::memory_order_acquire) && path == slot.path) {
      slot.in_use.store(false, std::memory_order_release);
    }
  }
}

// --- Files ------------------------------------------------------------------------------------
class PosixProbeFile final : public ProbeFile {
 public:
  PosixProbeFile(std::string path, int fd, bool direct)
      : path_(std::move(path)), fd_(fd), direct_(direct) {}
  ~PosixProbeFile() override { ::close(fd_); }

  Status WriteAt(uint64_t offset_bytes, const char* data, size_t n) override {
    return Transfer("write", path_, offset_bytes, n, [&](size_t at, size_t left, off_t offset) {
      return ::pwrite(fd_, data + at, left, offset);
    });
  }

  Status Fdatasync() override {
    if (::fdatasync(fd_) != 0) return PosixError(path_ + ": fdatasync", errno);
    return Status::Ok();
  }

  Status Fsync() override {
    if (::fsync(fd_) != 0) return PosixError(path_ + ": fsync", errno);
    return Status::Ok();
  }

  Status ReadAt(uint64_t offset_bytes, char* data, size_t n) override {
    return Transfer("read", path_ + ": pread", offset_bytes, n,
                    [&](size_t at, size_t left, off_t offset) {
                      return ::pread(fd_, data + at, left, offset);
                    });
  }

  Status DropCache() override {
    if (::fdatasync(fd_) != 0) return PosixError(path_ + ": fdatasync", errno);
    int rc = ::posix_fadvise(fd_, 0, 0, POSIX_FADV_DONTNEED);
    if (rc != 0) return PosixError(path_ + ": posix_fadvise", rc);
    return Status::Ok();
  }

  Status Allocate(uint64_t length_bytes) override {
    int rc = ::posix_fallocate(fd_, 0, static_cast<off_t>(length_bytes));
    // Some file systems cannot preallocate; the zero fill that follows allocates anyway.
    if (rc != 0 && rc != EOPNOTSUPP && rc != EINVAL) return PosixError(path_ + ": fallocate", rc);
    return Status::Ok();
  }

 private:
  // Calls `io(bytes_done, bytes_left, offset)` (one pwrite or pread) until `n` bytes moved at
  // `offset_bytes`: retries EINTR and short transfers. A read that reaches the end of the file
  // first is an IOError; `context` names the file (and call) in errno errors.
  template <typename Io>
  Status Transfer(const char* verb, const std::string& context, uint64_t offset_bytes, size_t n,
                  Io io) {
    size_t at = 0;
    while (at < n) {
      ssize_t done = io(at, n - at, static_cast<off_t>(offset_bytes + at));
      if (done < 0) {
        if (errno == EINTR) continue;
        if (direct_ && errno == EINVAL) {
          return Status::Unavailable(
              path_, std::string("O_DIRECT ") + verb + " refused by the file system (EINVAL)");
        }
        return PosixError(context, errno);
      }
      if (done == 0) {
        return Status::IOError(path_ + ": p" + verb,
                               std::string("short ") + verb + " past the end of the file");
      }
      at += static_cast<size_t>(done);
    }
    return Status::Ok();
  }

  const std::string path_;
  const int fd_;
  const bool direct_;
};

class PosixEnv final : public Env {
 public:
  Result<std::unique_ptr<ProbeFile>> OpenFile(const std::string& path,
                                              const FileOptions& options) override {
    int flags = (options.read ? O_RDWR : O_WRONLY) | O_CLOEXEC;
    if (options.create_exclusive) flags |= O_CREAT | O_EXCL;
    if (options.create_truncate) flags |= O_CREAT | O_TRUNC;
    if (options.dsync) flags |= O_DSYNC;
    if (options.direct) flags |= O_DIRECT;
    int fd = ::open(path.c_str(), flags, 0600);
    if (fd < 0) {
      int err = errno;
      if (options.direct && err == EINVAL) {
        return Status::Unavailable(path, "O_DIRECT refused by the file system (EINVAL)");
      }
      return PosixError(path, err);
    }
    if (options.create_exclusive && !TrackFile(path)) {
      ::close(fd);
      ::unlink(path.c_str());
      return Status::Internal("too many probe files to track for cleanup");
    }
    return std::unique_ptr<ProbeFile>(new PosixProbeFile(path, fd, options.direct));
  }

  Status RemoveFile(const std::string& path) override {
    int rc = ::unlink(path.c_str());
    int err = errno;
    UntrackFile(path);
    if (rc != 0 && err != ENOENT) return PosixError(path, err);
    return Status::Ok();
  }

  Status CheckDirectory(const std::string& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) {
      return Status::InvalidArgument("--path", path + ": " + std::strerror(errno));
    }
    if (!S_ISDIR(st.st_mode)) {
      return Status::InvalidArgument("--path", path + ": not a directory");
    }
    return Status::Ok();
  }

  Result<uint64_t> FreeBytes(const std::string& path) override {
    struct statvfs st;
    if (::statvfs(path.c_str(), &st) != 0) return PosixError(path, errno);
    return static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
  }

  Status SyncFileSystem(const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return PosixError(path, errno);
    const int rc = ::syncfs(fd);
    const int err = errno;
    ::close(fd);
    if (rc != 0) return PosixError(path + ": syncfs", err);
    return Status::Ok();
  }

  Result<std::string> ReadTextFile(const std::string& path) override {
    std::ifstream in(path);
    if (!in) return PosixError(path, errno == 0 ? ENOENT : errno);
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) return PosixError(path, EIO);
    return text.str();
  }

  Result<std::string> RealPath(const std::string& path) override {
    char* resolved = ::realpath(path.c_str(), nullptr);
    if (resolved == nullptr) return PosixError(path, errno);
    std::string result(resolved);
    std::free(resolved);
    return result;
  }

  Result<std::vector<std::string>> ListDirectory(const std::string& path) override {
    DIR* dir = ::opendir(path.c_str());
    if (dir == nullptr) return PosixError(path, errno);
    std::vector<std::string> names;
    while (struct dirent* entry = ::readdir(dir)) {
      std::string name = entry->d_name;
      if (name != "." && name != "..") names.push_back(name);
    }
    ::closedir(dir);
    return names;
  }

  bool FileExists(const std::string& path) override { return ::access(path.c_str(), F_OK) == 0; }

  Result<DeviceNumber> DeviceOf(const std::string& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return PosixError(path, errno);
    return DeviceNumber{major(st.st_dev), minor(st.st_dev)};
  }

  uint64_t NowNanos() override {
    struct timespec ts;
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
  }

  void SleepMicros(uint64_t us) override {
    struct timespec left;
    left.tv_sec = static_cast<time_t>(us / 1000000);
    left.tv_nsec = static_cast<long>(us % 1000000) * 1000;
    while (::clock_nanosleep(CLOCK_MONOTONIC, 0, &left, &left) == EINTR) {
    }
  }

  int ProcessId() override { return static_cast<int>(::getpid()); }

  bool StderrIsTerminal() override { return ::isatty(STDERR_FILENO) == 1; }
};

}  // namespace

Env* Env::Default() {
  static PosixEnv* env = new PosixEnv;
  return env;
}

}  // namespace waltune
