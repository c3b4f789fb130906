// The FUSE 3 file system of waltune-powercut: a pass-through to a backing directory whose
// durability bookkeeping lives in DurableState.
#ifndef WALTUNE_SRC_POWERCUT_POWERCUT_FS_H_
#define WALTUNE_SRC_POWERCUT_POWERCUT_FS_H_

#include <string>
#include <vector>

namespace waltune::powercut {

struct FsOptions {
  std::string backing_dir;
  std::string mountpoint;
  // Unix socket for the control commands. Default: none (no control channel).
  std::string control_socket;
  // fsync of a file also commits all namespace changes (ext4-like). Default: false.
  bool file_sync_commits_names = false;
  // Also flush the backing file system on every fsync (real flush latency). Default: false.
  bool sync_backing = false;
  // Kernel attribute/entry cache lifetime. Unit: seconds. Default: 0, so that the kernel sees
  // a cut at once; larger values are faster but may show pre-cut sizes for that long.
  double cache_timeout_sec = 0;
  // Extra arguments for libfuse (e.g. "-d", "-o", "auto_unmount").
  std::vector<std::string> fuse_args;
};

// Mounts and serves until unmounted or signalled. Returns the process exit code.
int RunPowercutFs(const FsOptions& options);

}  // namespace waltune::powercut

#endif  // WALTUNE_SRC_POWERCUT_POWERCUT_FS_H_
