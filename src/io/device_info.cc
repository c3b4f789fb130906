// Finds the file system and the disks under a directory from /proc/mounts and /sys.
#include <algorithm>

#include "posix/mounts.h"
#include "waltune/probe.h"

namespace waltune {
namespace {

using posix::MountEntry;

std::string Basename(const std::string& path) {
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string Dirname(const std::string& path) {
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos || slash == 0 ? "/" : path.substr(0, slash);
}

std::string Trim(const std::string& text) {
  size_t begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return "";
  size_t end = text.find_last_not_of(" \t\r\n");
  return text.substr(begin, end - begin + 1);
}

std::string TransportFromSysPath(const std::string& sys_path) {
  if (sys_path.find("/nvme") != std::string::npos) return "nvme";
  if (sys_path.find("/virtio") != std::string::npos) return "virtio";
  if (sys_path.find("/xen") != std::string::npos || sys_path.find("vbd-") != std::string::npos) {
    return "xen";
  }
  if (sys_path.find("/usb") != std::string::npos) return "usb";
  if (sys_path.find("/mmc") != std::string::npos) return "mmc";
  if (sys_path.find("/ata") != std::string::npos) return "ata";
  if (sys_path.find("/devices/virtual/") != std::string::npos) return "virtual";
  if (sys_path.find("/host") != std::string::npos ||
      sys_path.find("/target") != std::string::npos) {
    return "scsi";
  }
  return "";
}

// Walks from one block device (its canonical /sys/devices/... directory) down to the disks:
// a partition goes to its parent disk, a dm/md device to each of its slaves.
class DeviceWalker {
 public:
  DeviceWalker(Env* env, DeviceInfo* info) : env_(env), info_(info) {}

  void Walk(const std::string& sys_dir, int depth) {
    if (depth > 8) return;  // a slave loop would be a kernel bug; stay bounded anyway
    const std::string name = Basename(sys_dir);
    info_->device_chain.push_back(name);
    if (env_->FileExists(sys_dir + "/partition")) {
      info_->evidence.push_back("/sys: " + name + " is a partition of " +
                                Basename(Dirname(sys_dir)));
      Walk(Dirname(sys_dir), depth + 1);
      return;
    }
    auto slaves = env_->ListDirectory(sys_dir + "/slaves");
    if (slaves.ok() && !slaves->empty()) {
      std::vector<std::string> names = *slaves;
      std::sort(names.begin(), names.end());
      std::string joined;
      for (const std::string& s : names) joined += (joined.empty() ? "" : ", ") + s;
      info_->evidence.push_back("/sys/block/" + name + "/slaves: " + joined);
      for (const std::string& slave : names) {
        auto slave_dir = env_->RealPath("/sys/class/block/" + slave);
        if (slave_dir.ok()) Walk(*slave_dir, depth + 1);
      }
      return;
    }
    AddDisk(sys_dir);
  }

 private:
  void AddDisk(const std::string& sys_dir) {
    const std::string name = Basename(sys_dir);
    info_->disks.push_back(name);
    std::string transport = TransportFromSysPath(sys_dir);
    if (name.rfind("nvme", 0) == 0) transport = "nvme";
    if (!transport.empty() && info_->transport.empty()) info_->transport = transport;
    info_->evidence.push_back("/sys/dev/block -> " + sys_dir +
                              " (transport: " + (transport.empty() ? "unknown" : transport) + ")");
    const std::string queue = "/sys/block/" + name + "/queue/";
    auto rotational = env_->ReadTextFile(queue + "rotational");
    if (rotational.ok()) {
      bool rot = Trim(*rotational) == "1";
      info_->rotational = info_->rotational.value_or(false) || rot;
      info_->evidence.push_back(queue + "rotational = " + Trim(*rotational));
    } else {
      info_->evidence.push_back(queue + "rotational unreadable");
    }
    auto cache = env_->ReadTextFile(queue + "write_cache");
    if (cache.ok()) {
      std::string mode = Trim(*cache);
      if (info_->write_cache.empty() || mode == "write back") info_->write_cache = mode;
      info_->evidence.push_back(queue + "write_cache = " + mode);
    } else {
      info_->evidence.push_back(queue + "write_cache unreadable");
    }
    auto model = env_->ReadTextFile("/sys/block/" + name + "/device/model");
    if (model.ok() && info_->model.empty()) info_->model = Trim(*model);
  }

  Env* const env_;
  DeviceInfo* const info_;
};

// The /sys/devices directory of the block device the file system sits on: from st_dev when it
// names a real device, else from the mount source (btrfs and overlay report anonymous devices).
std::string FindSysDir(Env* env, const std::string& path, const MountEntry* mount,
                       DeviceInfo* info) {
  auto dev = env->DeviceOf(path);
  if (dev.ok() && dev->major != 0) {
    std::string link =
        "/sys/dev/block/" + std::to_string(dev->major) + ":" + std::to_string(dev->minor);
    auto sys_dir = env->RealPath(link);
    if (sys_dir.ok()) {
      info->evidence.push_back("stat: st_dev " + std::to_string(dev->major) + ":" +
                               std::to_string(dev->minor) + " -> " + Basename(*sys_dir));
      return *sys_dir;
    }
  }
  if (mount != nullptr && mount->source.rfind("/dev/", 0) == 0) {
    auto dev_node = env->RealPath(mount->source);
    if (dev_node.ok()) {
      auto sys_dir = env->RealPath("/sys/class/block/" + Basename(*dev_node));
      if (sys_dir.ok()) {
        info->evidence.push_back("mount source " + mount->source + " -> " + Basename(*sys_dir));
        return *sys_dir;
      }
    }
  }
  info->evidence.push_back("no block device found for " + path);
  return "";
}

}  // namespace

bool IsMemoryFilesystem(const std::string& fs_type) {
  return fs_type == "tmpfs" || fs_type == "ramfs" || fs_type == "hugetlbfs" ||
         fs_type == "devtmpfs";
}

Result<DeviceInfo> ReadDeviceInfo(Env* env, const std::string& path) {
  DeviceInfo info;
  auto real = env->RealPath(path);
  if (!real.ok()) return Status::InvalidArgument("--path", real.status().ToString());
  info.path = *real;

  auto mounts_text = env->ReadTextFile("/proc/mounts");
  const MountEntry* mount = nullptr;
  std::vector<MountEntry> mounts;
  if (mounts_text.ok()) {
    mounts = posix::ParseProcMounts(*mounts_text);
    mount = posix::FindMountHolding(mounts, info.path);
  }
  if (mount != nullptr) {
    info.mount_point = mount->mount_point;
    info.filesystem = mount->fs_type;
    info.mount_source = mount->source;
    info.evidence.push_back("/proc/mounts: " + info.path + " is on " + mount->mount_point + " (" +
                            mount->fs_type + " from " + mount->source + ")");
  } else {
    info.evidence.push_back("/proc/mounts: no entry for " + info.path);
  }
  if (IsMemoryFilesystem(info.filesystem)) return info;  // no block device behind RAM

  std::string sys_dir = FindSysDir(env, info.path, mount, &info);
  if (!sys_dir.empty()) DeviceWalker(env, &info).Walk(sys_dir, 0);
  return info;
}

}  // namespace waltune
