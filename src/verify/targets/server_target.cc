// The server target shared by PostgreSQL and MariaDB: process start/stop, power-loss rig,
// client threads, the redo read from the server log after each restart.
#include "targets/server_target.h"

#include <sys/resource.h>

#include <cstdio>

#include "process.h"

namespace waltune::verify {

namespace {

double SelfCpuSeconds() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}

}  // namespace

Status CutPower(PowerLossRig* rig, std::optional<powercut::CutStats>* last_cut) {
  if (rig == nullptr) return Status::Ok();
  Result<powercut::CutStats> cut = rig->Cut();
  if (!cut.ok()) return cut.status();
  *last_cut = *cut;
  return Status::Ok();
}

Status CheckOnPowerLossMount(const std::string& data_dir, const PowerLossRig& rig) {
  powercut::MountOf holder = powercut::MountHolding(data_dir);
  powercut::MountOf mount = powercut::MountHolding(rig.mountpoint());
  if (holder.fs_type.rfind("fuse", 0) != 0 || holder.mount_point != mount.mount_point ||
      mount.mount_point.empty()) {
    return Status::Unavailable("--power-loss",
                               "the data directory " + data_dir + " is on " + holder.fs_type +
                                   " mounted at " + holder.mount_point +
                                   ", not on the power-loss FUSE mount " + rig.mountpoint() +
                                   ": cuts would not be in force");
  }
  return Status::Ok();
}

void ResetStop(SharedLoad* shared) {
  shared->header()->stop.store(false);
  shared->header()->ready_clients.store(0);
}

ServerTarget::~ServerTarget() {
  if (shared_) shared_->header()->stop.store(true);
  if (instance_) {
    Status s = instance_->Kill();  // clients then fail fast and are joined below
    (void)s;
  }
  load_.reset();
}

Status ServerTarget::Setup(const SettingList& settings) {
  settings_ = settings;
  InstanceOptions io;
  io.parent_dir = options_.parent_dir;
  io.preload_library = options_.preload_library;
  io.flush_latency_us = options_.flush_latency_us;
  io.keep_dir = options_.keep_dir;
  if (options_.power_loss) {
    if (options_.power_loss_mechanism == "sqlite-vfs") {
      return Status::InvalidArgument("--power-loss-mechanism",
                                     "sqlite-vfs simulates power loss for SQLite only; servers "
                                     "need the FUSE file system (fuse or auto)");
    }
    Result<std::unique_ptr<PowerLossRig>> rig = PowerLossRig::Create(options_);
    if (!rig.ok()) return rig.status();
    rig_ = std::move(rig).value();
    io.data_parent_dir = rig_->mountpoint();
  }
  instance_ = NewInstance(io);
  WALTUNE_RETURN_IF_ERROR(instance_->Create());
  if (rig_) WALTUNE_RETURN_IF_ERROR(CheckOnPowerLossMount(instance_->data_dir(), *rig_));
  WALTUNE_RETURN_IF_ERROR(instance_->Start(settings_));
  WALTUNE_RETURN_IF_ERROR(ConnectAdmin());
  WALTUNE_RETURN_IF_ERROR(CheckSettingsApplied());
  WALTUNE_RETURN_IF_ERROR(CreateSchema());
  if (options_.flush_latency_us > 0) WALTUNE_RETURN_IF_ERROR(ProveFlushDelay());
  layout_ = LayoutFor(options_.workload, options_.working_set_bytes, options_.payload_bytes,
                      options_.clients);
  if (layout_.workload != VerifyWorkload::kInsert) WALTUNE_RETURN_IF_ERROR(PrepareWorkload());
  // initdb --no-sync and the bootstrap left unflushed files: a machine that ran for a while
  // would have written them back, so the power-loss runs start from a durable cluster.
  return rig_ ? rig_->Sync() : Status::Ok();
}

std::string ServerTarget::CrashMechanism() const {
  return rig_ ? rig_->Describe() : std::string("sigkill");
}

Status ServerTarget::BeforeCrashLoad() { return rig_ ? rig_->Sync() : Status::Ok(); }

Status ServerTarget::StartLoad(SharedLoad* shared) {
  shared_ = shared;
  ResetStop(shared);
  load_ = std::make_unique<ThreadLoad>(
      shared,
      [this](int) {
        return layout_.workload == VerifyWorkload::kInsert ? OpenSession() : OpenWorkloadSession();
      },
      options_.payload_bytes, options_.rate_tps);
  load_->Start();
  return Status::Ok();
}

Status ServerTarget::StopLoad() {
  shared_->header()->stop.store(true);
  load_.reset();
  return Status::Ok();
}

Status ServerTarget::Crash() {
  last_cut_.reset();
  CloseAdmin();
  Status s = instance_->Kill();
  shared_->header()->stop.store(true);
  load_.reset();
  WALTUNE_RETURN_IF_ERROR(s);
  // Every server process is gone (Kill waits for them): now the power goes.
  return CutPower(rig_.get(), &last_cut_);
}

Result<RecoveryInfo> ServerTarget::Restart() {
  uint64_t offset = instance_->LogSize();
  WALTUNE_RETURN_IF_ERROR(instance_->Start(settings_));
  RecoveryInfo info;
  info.recovery_s = instance_->last_start_s();
  const std::string log = instance_->LogSince(offset);
  ParseRedo(log, &info);
  const std::string before = instance_->LogSince(0);
  info.log_tail = RecoveryLogTail(before.substr(0, offset), log);
  log_after_restart_ = instance_->LogSize();
  WALTUNE_RETURN_IF_ERROR(ConnectAdmin());
  return info;
}

std::string ServerTarget::LogSinceRestart(size_t max_bytes) const {
  if (!instance_) return "";
  const uint64_t size = instance_->LogSize();
  const uint64_t from =
      size > log_after_restart_ + max_bytes ? size - max_bytes : log_after_restart_;
  return instance_->LogSince(from);
}

Status ServerTarget::Shutdown() {
  CloseAdmin();
  if (shared_) shared_->header()->stop.store(true);
  load_.reset();
  return instance_ ? instance_->Stop() : Status::Ok();
}

double ServerTarget::CpuSeconds() const {
  return GroupCpuSeconds(instance_->pid()) + SelfCpuSeconds();
}

// Two proofs, both needed: the library counted delayed flushes during synchronous commits (a
// timing alone passes a library that delays nothing on a disk whose own flushes are that slow,
// as happened beside two builds), and the fastest commit took at least half the delay.
Status ServerTarget::ProveFlushDelay() {
  Result<uint64_t> before = instance_->DelayedFlushes();
  if (!before.ok()) return before.status();
  double fastest_us = -1;
  for (int i = 0; i < 3; ++i) {
    Result<double> us = TimedSyncCommitUs();
    if (!us.ok()) return us.status();
    if (fastest_us < 0 || *us < fastest_us) fastest_us = *us;
  }
  Result<uint64_t> after = instance_->DelayedFlushes();
  if (!after.ok()) return after.status();
  if (*after <= *before) {
    return Status::Unavailable(
        "--flush-latency-us",
        "not in force: the flush-delay library delayed no flush during three synchronous "
        "commits in the server (is --preload the flush-delay library, and does the engine "
        "flush, e.g. fsync not off?)");
  }
  const double need_us = 0.5 * static_cast<double>(options_.flush_latency_us);
  if (fastest_us < need_us) {
    char buf[320];
    std::snprintf(buf, sizeof(buf),
                  "not in force: a synchronous commit in the server took %.0f us, less than "
                  "half of the emulated %llu us (is --preload the flush-delay library, and "
                  "does the engine flush, e.g. fsync not off?)",
                  fastest_us, static_cast<unsigned long long>(options_.flush_latency_us));
    return Status::Unavailable("--flush-latency-us", buf);
  }
  return Status::Ok();
}

}  // namespace waltune::verify
