// The pieces the engine targets share: the server target (a PostgreSQL or MariaDB server
// process started in a temp dir, its admin connection, its log read after each restart, clients
// as threads of this process) and the power-loss and load helpers the SQLite target uses too.
#ifndef WALTUNE_VERIFY_TARGETS_SERVER_TARGET_H_
#define WALTUNE_VERIFY_TARGETS_SERVER_TARGET_H_

#include <memory>
#include <optional>
#include <string>

#include "load.h"
#include "powerloss.h"
#include "targets.h"
#include "waltune/instance.h"
#include "waltune/powercut.h"
#include "workloads.h"

namespace waltune::verify {

// After the engine's processes are gone: cuts the power of `rig` (no-op when null, i.e. a
// plain SIGKILL run) and records what it forgot.
Status CutPower(PowerLossRig* rig, std::optional<powercut::CutStats>* last_cut);

// A power cut forgets only what lives on the FUSE mount: the data directory must be there
// (checked in /proc/self/mountinfo, not assumed from the path).
Status CheckOnPowerLossMount(const std::string& data_dir, const PowerLossRig& rig);

// Clears the stop flag and the ready count before a load starts.
void ResetStop(SharedLoad* shared);

// ---------------------------------------------------------------------------------------------
// Server targets: clients are threads of this process.

class ServerTarget : public Target {
 public:
  explicit ServerTarget(const VerifyOptions& options) : options_(options) {}
  ~ServerTarget() override;

  std::string dir() const override { return instance_ ? instance_->dir() : ""; }
  std::string version() const override { return instance_ ? instance_->version() : ""; }

  Status Setup(const SettingList& settings) override;
  bool ThroughFuse() const override { return rig_ != nullptr; }
  std::string CrashMechanism() const override;
  Status BeforeCrashLoad() override;
  Status StartLoad(SharedLoad* shared) override;
  Status StopLoad() override;
  Status Crash() override;
  Result<RecoveryInfo> Restart() override;
  std::string LogSinceRestart(size_t max_bytes) const override;
  Status Shutdown() override;

 protected:
  virtual std::unique_ptr<ServerInstance> NewInstance(const InstanceOptions& io) = 0;
  virtual Status ConnectAdmin() = 0;
  virtual void CloseAdmin() = 0;
  virtual Status CreateSchema() = 0;
  virtual Result<std::unique_ptr<Session>> OpenSession() = 0;
  virtual void ParseRedo(const std::string& log, RecoveryInfo* info) = 0;
  // update/tpcb: creates and fills the prepared tables, then checkpoints.
  virtual Status PrepareWorkload() = 0;
  virtual Result<std::unique_ptr<Session>> OpenWorkloadSession() = 0;

  // CPU of the server's process group and of this process (the client threads). Unit: s.
  double CpuSeconds() const;

  // Microseconds of one small committed write that waits for its flush (whatever the applied
  // settings say about commits), in the running server.
  virtual Result<double> TimedSyncCommitUs() = 0;

  // Reads the applied settings back from the running server: each must be in force from the
  // command line verify gave (not overridden, not ignored); Unavailable naming the setting
  // otherwise.
  virtual Status CheckSettingsApplied() = 0;

  // The flush-latency emulation is in force only if a flush inside the server takes at least
  // about the emulated time: the fastest of three synchronous commits must take >= half of it
  // (a busy machine only makes commits slower, so this cannot fail from load).
  Status ProveFlushDelay();

  VerifyOptions options_;
  SettingList settings_;
  // Declared before instance_: the instance (and its data dir on the mount) goes first.
  std::unique_ptr<PowerLossRig> rig_;
  std::unique_ptr<ServerInstance> instance_;
  SharedLoad* shared_ = nullptr;
  std::unique_ptr<ThreadLoad> load_;
  WorkloadLayout layout_;
  // The server log's size when the last Restart() returned (LogSinceRestart).
  uint64_t log_after_restart_ = 0;
};

}  // namespace waltune::verify

#endif  // WALTUNE_VERIFY_TARGETS_SERVER_TARGET_H_
