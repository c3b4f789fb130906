// Power-loss simulation for callers: mount waltune-powercut over a backing directory, cut the
// power (everything not yet flushed is forgotten), unmount. See docs/powercut.md for which
// operations count as durable.
//
// Typical use (verify --power-loss):
//   auto mount = waltune::powercut::PowercutMount::Mount(backing, mountpoint, {});
//   if (!mount.ok()) return mount.status();
//   ... run the engine with its data directory (and WAL) under mountpoint ...
//   KillProcessTree(engine_pid, std::chrono::seconds(30));  // the power goes: no survivors
//   auto cut = (*mount)->Cut();     // synchronous: the durable state is in place on return
//   ... restart the engine on the same directory, count what survived ...
//   // ~PowercutMount unmounts (or call Unmount() to see errors).
#ifndef WALTUNE_POWERCUT_H_
#define WALTUNE_POWERCUT_H_

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "waltune/status.h"

namespace waltune::powercut {

struct MountOptions {
  // Path of the waltune-powercut binary. Default: "" = $WALTUNE_POWERCUT_BIN, else
  // waltune-powercut next to the running executable, else the build-time location, else $PATH.
  std::string binary_path;
  // Let other users (postgres, mysql) use the mount. Default: true.
  bool allow_other = true;
  // ext4-like: fsync of any file also commits every pending namespace change (create, rename,
  // unlink). Default: false, so only an fsync of a directory commits names (POSIX).
  bool file_sync_commits_names = false;
  // Pass every fsync/fdatasync through to the backing disk too, so that commit latency and
  // group-commit behaviour resemble the real storage. Default: false (flushes cost nothing,
  // which makes a run through the simulator faster than native for flush-bound workloads).
  bool sync_backing = false;
  // Kernel attribute/entry cache lifetime inside the mount. Unit: seconds. Default: 0 (a cut is
  // visible at once; costs one GETATTR round trip per stat/lookup). With larger values, names
  // and sizes from before a cut may still be seen for that long.
  double cache_timeout_sec = 0;
  // How long Mount() waits for the file system to come up. Default: 10 s.
  std::chrono::milliseconds mount_timeout{10000};
  // Where the file system's stderr goes. Default: "" = a temporary file next to the control
  // socket, quoted in Mount() errors and removed by a clean Unmount() (kept if a cut failed).
  std::string log_path;
};

// Outcome of one power cut.
struct CutStats {
  uint64_t cut_number = 0;       // 1 for the first cut of a mount.
  uint64_t discarded_bytes = 0;  // Written-but-unflushed bytes rolled back or truncated away.
  uint64_t files_restored = 0;   // Files whose data was rolled back.
  uint64_t names_undone = 0;     // Namespace changes undone (create, rename, unlink, ...).
  uint64_t kept_bytes = 0;       // Random cuts only: unflushed bytes that survived by chance.
  uint64_t names_kept = 0;       // Random cuts only: pending namespace changes that survived.
  uint64_t errors = 0;           // Undo steps that failed; nonzero means a simulator problem.
};

// What is not durable right now.
struct PendingStats {
  uint64_t cuts = 0;
  uint64_t dirty_files = 0;    // Files with unflushed data or size.
  uint64_t undo_bytes = 0;     // Bytes overwritten since their last flush.
  uint64_t pending_names = 0;  // Namespace changes not yet committed by a directory fsync.
};

// One mounted waltune-powercut file system, owned by this object: the destructor always
// unmounts and reaps the server, lazily if the mount is busy. Not thread-safe; Cut() may be
// called from any one thread at a time. The server gets SIGTERM (and unmounts) if the thread
// that called Mount() exits, so mount from a thread that outlives the mount.
class PowercutMount {
 public:
  // Spawns waltune-powercut serving "backing_dir" at "mountpoint" (both must exist and be
  // directories) and returns once the mount answers. The caller keeps both directories.
  static Result<std::unique_ptr<PowercutMount>> Mount(const std::string& backing_dir,
                                                      const std::string& mountpoint,
                                                      const MountOptions& options);
  ~PowercutMount();
  PowercutMount(const PowercutMount&) = delete;
  PowercutMount& operator=(const PowercutMount&) = delete;

  // Simulates a power loss: discards everything not durable. Returns when the mount shows the
  // durable state. Processes using the mount should be killed first (as the power would);
  // descriptors kept open across a cut still work and see the durable data.
  // "random_seed" 0 (default): strict, everything not durable is lost. Otherwise a "lucky"
  // cut, closer to a real disk: each unflushed 4 KiB block that overwrote durable data is kept
  // with probability 1/2 (pages larger than 4 KiB may come back torn), and a random prefix of
  // the pending namespace changes is kept. Either way nothing durable is ever lost.
  Result<CutStats> Cut(uint32_t random_seed = 0);
  // Makes everything written so far durable, as sync(2) would on a real machine (FUSE never
  // sees sync(2)). Useful after setting up a database, before the measured run.
  Status Sync();
  Result<PendingStats> Pending();
  // Unmounts and waits for the server to exit. Idempotent; the destructor calls it.
  Status Unmount();

  const std::string& mountpoint() const { return mountpoint_; }
  const std::string& backing_dir() const { return backing_dir_; }
  const std::string& control_socket() const { return control_socket_; }
  const std::string& log_path() const { return log_path_; }
  pid_t server_pid() const { return pid_; }

 private:
  PowercutMount(std::string backing_dir, std::string mountpoint, std::string control_socket,
                std::string log_path, bool own_log, pid_t pid)
      : backing_dir_(std::move(backing_dir)),
        mountpoint_(std::move(mountpoint)),
        control_socket_(std::move(control_socket)),
        log_path_(std::move(log_path)),
        own_log_(own_log),
        pid_(pid) {}

  std::string backing_dir_;
  std::string mountpoint_;
  std::string control_socket_;
  std::string log_path_;
  bool own_log_ = false;  // Remove log_path_ at a clean Unmount().
  bool cut_failed_ = false;
  pid_t pid_ = -1;  // -1 once reaped.
};

// Sends one control command ("cut", "sync", "stats", "ping") to a running waltune-powercut and
// returns its reply line (e.g. "ok cut=1 discarded_bytes=..."). Blocks until the command ran.
Result<std::string> SendControlCommand(const std::string& control_socket,
                                       const std::string& command);

// Parses a "cut" reply.
Result<CutStats> ParseCutReply(const std::string& reply);

// True if "path" is a mount point according to /proc/self/mountinfo.
bool IsMounted(const std::string& path);

// The mount that holds "path" (after resolving symlinks): its mount point and file-system type
// ("fuse.waltune-powercut", "ext4", ...) from /proc/self/mountinfo; empty when not found.
struct MountOf {
  std::string mount_point;
  std::string fs_type;
};
MountOf MountHolding(const std::string& path);

// What the power does to processes, done before a Cut(): SIGSTOP "root" (no new children),
// SIGKILL it, its process group and every descendant, reap "root" if it is our child, and
// wait until none of them is left (zombies count as gone: they hold no memory or files).
// Killing the process group alone is not enough: PostgreSQL backends call setsid() and would
// keep writing to the mount during and after the cut. Unavailable if some survive "timeout".
Status KillProcessTree(pid_t root, std::chrono::milliseconds timeout);

// In-process alternative for SQLite where FUSE is unavailable: a shim VFS over SQLite's
// default (unix) VFS that writes through at once and forgets, on Cut(), every write and
// truncate not followed by xSync, and every delete not made with a directory sync.
// Names: the first xSync of a handle that created its file, or of any journal/WAL handle opened
// with SQLITE_OPEN_CREATE, commits every earlier create/delete (one directory journal), as the
// unix VFS fsyncs the directory there (for a new main database file this is more lenient than
// POSIX); so does a delete with dirSync. Files SQLite opens without a name (temp files) and
// the -shm file (never durable by design) are not tracked. See docs/powercut.md.
//
// Crash procedure: Cut(), then sqlite3_close_v2() every connection opened before the cut (all
// their I/O fails from the cut on, so closing writes nothing), then open new connections:
// SQLite's own recovery runs as after a real power loss.
// Thread-safety: Cut() and the VFS methods may run concurrently from several threads.
class SqlitePowercutVfs {
 public:
  // Registers a VFS called "vfs_name" (use it with sqlite3_open_v2(..., vfs_name) or a
  // "file:...?vfs=NAME" URI), wrapping the current default VFS. Not made the default.
  static Result<std::unique_ptr<SqlitePowercutVfs>> Register(const std::string& vfs_name);
  // Unregisters. REQUIRES: no connection uses the VFS any more.
  ~SqlitePowercutVfs();
  SqlitePowercutVfs(const SqlitePowercutVfs&) = delete;
  SqlitePowercutVfs& operator=(const SqlitePowercutVfs&) = delete;

  // Simulates a power loss of the files written through this VFS. Synchronous.
  Result<CutStats> Cut();
  const std::string& name() const;

  struct Impl;  // Internal; public only so that the VFS callbacks can reach it.

 private:
  explicit SqlitePowercutVfs(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace waltune::powercut

#endif  // WALTUNE_POWERCUT_H_
