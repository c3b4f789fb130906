#include "powerloss.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "fmt/format.h"

namespace waltune::verify {

bool FuseUsable(std::string* why_not) {
  int fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    *why_not = "/dev/fuse cannot be opened";
    return false;
  }
  close(fd);
  if (geteuid() != 0) {
    *why_not = "not running as root (the mount must be usable by the server user)";
    return false;
  }
  return true;
}

Result<std::unique_ptr<PowerLossRig>> PowerLossRig::Create(const VerifyOptions& options) {
  std::string why;
  if (!FuseUsable(&why)) return Status::Unavailable("--power-loss", "FUSE is not usable: " + why);
  Result<std::string> root = MakeTempDir(options.parent_dir, "powerloss", nullptr);
  if (!root.ok()) return root.status();
  std::unique_ptr<PowerLossRig> rig(new PowerLossRig(*root, options));
  const std::string backing = *root + "/backing", mnt = *root + "/mnt";
  std::error_code ec;
  std::filesystem::create_directory(backing, ec);
  if (!ec) std::filesystem::create_directory(mnt, ec);
  if (ec) return Status::IOError("mkdir " + *root, ec.message());
  // The mount point must let the server users in: the directories below it are theirs.
  chmod(backing.c_str(), 0755);
  chmod(mnt.c_str(), 0755);
  chmod(root->c_str(), 0755);
  powercut::MountOptions mo;
  mo.sync_backing = options.powercut_sync_backing;
  auto mount = powercut::PowercutMount::Mount(backing, mnt, mo);
  if (!mount.ok()) return mount.status();
  rig->mount_ = std::move(mount).value();
  return rig;
}

PowerLossRig::~PowerLossRig() {
  if (mount_) {
    Status s = mount_->Unmount();
    (void)s;  // a busy mount is detached lazily by the library
    mount_.reset();
  }
  if (!options_.keep_dir) {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }
}

Status PowerLossRig::Sync() { return mount_->Sync(); }

Result<powercut::CutStats> PowerLossRig::Cut() {
  ++cuts_;
  // Random ("lucky") cuts keep each unflushed 4 KiB block with probability 1/2 and tear pages.
  const uint32_t seed =
      options_.random_cuts ? static_cast<uint32_t>(options_.seed * 7919 + cuts_) | 1u : 0;
  return mount_->Cut(seed);
}

std::string PowerLossRig::Describe() const {
  return fmt::format(
      "waltune-powercut FUSE file system holding the data directory and WAL ({}{}; see "
      "docs/powercut.md)",
      options_.random_cuts ? "random cuts: each unflushed 4 KiB block kept with probability 1/2, "
                             "pages may tear"
                           : "strict cuts: everything not flushed is lost",
      options_.powercut_sync_backing ? ", flushes also reach the real disk" : "");
}

}  // namespace waltune::verify
