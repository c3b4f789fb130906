// The kernel's mount tables: /proc/mounts (fstab(5) format) for the probe, and
// /proc/self/mountinfo (proc(5)) for the power-loss simulator, with their octal escapes undone.
#ifndef WALTUNE_SRC_POSIX_MOUNTS_H_
#define WALTUNE_SRC_POSIX_MOUNTS_H_

#include <string>
#include <string_view>
#include <vector>

namespace waltune::posix {

struct MountEntry {
  std::string source;       // "/dev/sda1", "tmpfs", "waltune-powercut", ...
  std::string mount_point;  // unescaped absolute path
  std::string fs_type;      // "ext4", "fuse.waltune-powercut", ...
};

// Both tables write a space, tab, newline and backslash inside a path as \040, \011, \012 and
// \134 (the kernel's seq_file escaping). Undoes every backslash followed by three octal digits
// of a byte value; any other backslash stays as it is.
std::string UnescapeMountField(std::string_view field);

// /proc/mounts: "source mount_point fs_type options 0 0" a line. Lines with fewer than three
// fields are skipped.
std::vector<MountEntry> ParseProcMounts(const std::string& text);

// /proc/PID/mountinfo: "id parent major:minor root mount_point options [optional fields...] -
// fs_type source super_options" a line. Lines without the " - " separator are skipped.
std::vector<MountEntry> ParseMountInfo(const std::string& text);

// ParseMountInfo of /proc/self/mountinfo (empty when it cannot be read).
std::vector<MountEntry> ReadSelfMountInfo();

// The mount holding the absolute path `path`: the longest mount point that is `path` or one of
// its parent directories; of equal ones the last listed (mounted on top) wins. Null when none.
const MountEntry* FindMountHolding(const std::vector<MountEntry>& mounts, const std::string& path);

}  // namespace waltune::posix

#endif  // WALTUNE_SRC_POSIX_MOUNTS_H_
