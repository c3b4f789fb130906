// Env: every system call `waltune probe` makes goes through this interface, so the probe's
// statistics, batching and classification can be tested against a scripted fake
// (tests/io/fake_env.h). src/io/env_posix.cc is the only implementation that touches the
// operating system. Every flush that waltune times goes through it (fsync, fdatasync, syncfs,
// O_DSYNC / O_DIRECT opens): the probe's, and verify's native flush latency
// (MeasureOverwriteFlushesUs in waltune/probe.h).
//
// Every other flush call in src/ (none of them timed) and why it is not an Env call:
//  - src/powercut/durable_state.cc (SyncFile, SyncDirectory): the waltune-powercut FUSE daemon
//    passes an engine's fsync/fdatasync on to the backing file system (--sync-backing). It
//    flushes descriptors that FUSE hands it, next to the openat/renameat/... calls that are the
//    file system's whole job, and the daemon links neither waltune_io nor anything above it.
//  - src/preload/flush_delay.c: the LD_PRELOAD shim *is* fsync/fdatasync inside the engine's
//    server process (a C library without waltune's code); it delays, then calls the real one.
//  - src/verify/targets.cc EvictFromPageCache: sync(2), then fdatasync + posix_fadvise
//    (DONTNEED) of each file of an engine's data directory before a cold restart, so that the
//    dropped pages are clean; files the engine wrote, walked recursively, nothing measured.
//  - SQLite's own unix VFS syncs (src/powercut/sqlite_vfs.cc calls xSync of the wrapped VFS,
//    never fsync itself).
#ifndef WALTUNE_ENV_H_
#define WALTUNE_ENV_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "waltune/status.h"

namespace waltune {

// How a probe file is opened.
struct FileOptions {
  // Create the file; fail if it already exists (O_CREAT|O_EXCL). The file is registered for
  // removal on SIGINT/SIGTERM/SIGHUP until Env::RemoveFile is called for it.
  // Default: false (open an existing file).
  bool create_exclusive = false;
  // Create the file, or empty it when it exists (O_CREAT|O_TRUNC). Not registered for signal
  // cleanup: for callers that install their own SIGINT/SIGTERM handlers (verify) and remove the
  // file themselves. Default: false.
  bool create_truncate = false;
  // Every write returns only once the data (not necessarily the metadata) is on stable storage
  // (O_DSYNC; PostgreSQL's wal_sync_method=open_datasync). Default: false.
  bool dsync = false;
  // Bypass the page cache (O_DIRECT). Buffers, offsets and lengths must be multiples of
  // kDirectIoAlignmentBytes. An Env may refuse it (tmpfs before Linux 6.6 does): the open then
  // fails with Status::Unavailable. Default: false.
  bool direct = false;
  // Open for reading as well as writing (O_RDWR instead of O_WRONLY). Default: false.
  bool read = false;
};

// Alignment that satisfies O_DIRECT on every Linux file system waltune meets. Unit: bytes.
inline constexpr size_t kDirectIoAlignmentBytes = 4096;

// An open file the probe writes to. Not thread-safe: callers serialise access (the group-commit
// log does, through its mutex).
class ProbeFile {
 public:
  ProbeFile() = default;
  ProbeFile(const ProbeFile&) = delete;
  ProbeFile& operator=(const ProbeFile&) = delete;
  virtual ~ProbeFile() = default;  // closes the file; never removes it

  // Writes exactly `n` bytes at `offset_bytes` (pwrite). REQUIRES: for direct files, `data`,
  // `offset_bytes` and `n` aligned to kDirectIoAlignmentBytes.
  virtual Status WriteAt(uint64_t offset_bytes, const char* data, size_t n) = 0;
  // write() + fdatasync(): flushes the data and only the metadata needed to read it back.
  virtual Status Fdatasync() = 0;
  // fsync(): flushes data and all metadata (timestamps included).
  virtual Status Fsync() = 0;
  // Reads exactly `n` bytes at `offset_bytes` (pread); IOError on a short read. REQUIRES: the
  // file was opened with FileOptions::read; for direct files the same alignment as WriteAt.
  virtual Status ReadAt(uint64_t offset_bytes, char* data, size_t n) = 0;
  // fdatasync(), then posix_fadvise(POSIX_FADV_DONTNEED) over the whole file: the next reads
  // come from the device, as after a restart (the probe's cold-read phases).
  virtual Status DropCache() = 0;
  // Reserves `length_bytes` from offset 0 (posix_fallocate). The probe still writes zeros over
  // it afterwards, as PostgreSQL does for a new WAL segment, so later overwrites do not have
  // to convert unwritten extents.
  virtual Status Allocate(uint64_t length_bytes) = 0;
};

// Identifies a block device (st_dev of a file).
struct DeviceNumber {
  unsigned major = 0;
  unsigned minor = 0;
};

class Env {
 public:
  Env() = default;
  Env(const Env&) = delete;
  Env& operator=(const Env&) = delete;
  virtual ~Env() = default;

  // The process-wide POSIX environment. Never deleted.
  static Env* Default();

  virtual Result<std::unique_ptr<ProbeFile>> OpenFile(const std::string& path,
                                                      const FileOptions& options) = 0;
  // Removes a file this process created and stops tracking it for signal cleanup.
  virtual Status RemoveFile(const std::string& path) = 0;
  // Succeeds when `path` is an existing directory; InvalidArgument naming "--path" otherwise.
  virtual Status CheckDirectory(const std::string& path) = 0;
  // Free space of the file system holding `path`, for a non-root user. Unit: bytes.
  virtual Result<uint64_t> FreeBytes(const std::string& path) = 0;
  // syncfs(2) of the file system holding the directory `path`: writes back everything dirty
  // there, whoever wrote it.
  virtual Status SyncFileSystem(const std::string& path) = 0;

  // Read-only inspection used to describe the storage (/proc/mounts, /sys/...).
  virtual Result<std::string> ReadTextFile(const std::string& path) = 0;
  // Canonical absolute path with every symlink resolved (realpath).
  virtual Result<std::string> RealPath(const std::string& path) = 0;
  // Names in a directory, without "." and "..". Missing directory -> IOError.
  virtual Result<std::vector<std::string>> ListDirectory(const std::string& path) = 0;
  virtual bool FileExists(const std::string& path) = 0;
  // The device holding `path` (stat st_dev).
  virtual Result<DeviceNumber> DeviceOf(const std::string& path) = 0;

  // Monotonic clock. Unit: ns. Thread-safe.
  virtual uint64_t NowNanos() = 0;
  // Sleeps at least `us` on the monotonic clock (clock_nanosleep, resumed after a signal).
  virtual void SleepMicros(uint64_t us) = 0;
  // Identifies this process in probe file names.
  virtual int ProcessId() = 0;
  // True when standard error is a terminal (progress lines are shown only then).
  virtual bool StderrIsTerminal() = 0;
};

}  // namespace waltune

#endif  // WALTUNE_ENV_H_
