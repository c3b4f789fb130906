// Power-loss rig of `verify --power-loss`: a waltune-powercut FUSE mount that holds the engine's
// data directory, so that a crash can forget everything the engine had not flushed.
#ifndef WALTUNE_VERIFY_POWERLOSS_H_
#define WALTUNE_VERIFY_POWERLOSS_H_

#include <memory>
#include <string>

#include "waltune/powercut.h"
#include "waltune/verify.h"

namespace waltune::verify {

// "<parent>/waltune-powerloss-XXXXXX/{backing,mnt}" with waltune-powercut serving backing at
// mnt. The destructor unmounts and removes the whole directory (unless keep_dir), so whoever
// uses the mount must be gone first. Create() from a thread that outlives the rig (the file
// system gets SIGTERM when the mounting thread exits).
class PowerLossRig {
 public:
  static Result<std::unique_ptr<PowerLossRig>> Create(const VerifyOptions& options);
  ~PowerLossRig();
  PowerLossRig(const PowerLossRig&) = delete;
  PowerLossRig& operator=(const PowerLossRig&) = delete;

  // Where the engine's files go (the mount point).
  const std::string& mountpoint() const { return mount_->mountpoint(); }
  // Everything written so far becomes durable (sync(2) on a real machine).
  Status Sync();
  // The power goes: everything not durable is forgotten. REQUIRES: no process uses the mount.
  Result<powercut::CutStats> Cut();
  // "waltune-powercut FUSE file system (strict cut)" and the like, for the report.
  std::string Describe() const;

 private:
  PowerLossRig(std::string root, const VerifyOptions& options)
      : root_(std::move(root)), options_(options) {}
  std::string root_;
  VerifyOptions options_;
  uint32_t cuts_ = 0;
  std::unique_ptr<powercut::PowercutMount> mount_;
};

// True when /dev/fuse can be opened for reading and writing and we are root (allow_other
// mounts and chowning the data directory to the server user need it).
bool FuseUsable(std::string* why_not);

}  // namespace waltune::verify

#endif  // WALTUNE_VERIFY_POWERLOSS_H_
