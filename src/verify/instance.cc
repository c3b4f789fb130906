// ServerInstance: the engine-independent half (temp dir, spawn, readiness, kill, stop, logs).
#include "waltune/instance.h"

#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>

#include "posix/posix_error.h"
#include "process.h"

namespace waltune {

namespace {

void SleepUs(long us) {
  struct timespec ts {
    us / 1000000, (us % 1000000) * 1000
  };
  nanosleep(&ts, nullptr);
}

// Whether `who` may enter every directory from / down to `dir` (execute permission by owner,
// primary group or other; supplementary groups are not counted, so this can refuse a path
// that would work, never accept one that cannot).
Status CheckUserCanReach(const std::string& dir, const verify::RunAs& who) {
  std::filesystem::path walk;
  for (const auto& part : std::filesystem::path(dir)) {
    walk /= part;
    struct stat st;
    if (stat(walk.c_str(), &st) != 0) return Status::IOError("stat " + walk.string(), "failed");
    const bool can = (st.st_mode & S_IXOTH) != 0 ||
                     (st.st_uid == who.uid && (st.st_mode & S_IXUSR) != 0) ||
                     (st.st_gid == who.gid && (st.st_mode & S_IXGRP) != 0);
    if (!can) {
      char mode[8];
      std::snprintf(mode, sizeof(mode), "%04o", static_cast<unsigned>(st.st_mode & 07777));
      return Status::InvalidArgument(
          "--workdir", "the server runs as user '" + who.name + "', which cannot enter '" +
                           walk.string() + "' (mode " + mode +
                           "): choose a --workdir (or TMPDIR) below directories it can enter");
    }
  }
  return Status::Ok();
}

// Where the flush-delay library is copied: the instance's own dir, which the server user owns
// (the build dir may sit below a directory the server user cannot enter, and the dynamic
// loader then skips LD_PRELOAD with only a warning).
std::string PlacedPreloadPath(const std::string& instance_dir) {
  return instance_dir + "/libwaltune_flushdelay.so";
}

// The count of flushes the library delayed (WALTUNE_FLUSH_DELAY_COUNTER): 8 zero bytes, owned
// by the server user, which the library maps shared and adds to.
std::string DelayCounterPath(const std::string& instance_dir) {
  return instance_dir + "/flushdelay.count";
}

Status PlaceDelayCounter(const std::string& path, const std::optional<verify::RunAs>& owner) {
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    const char zeros[sizeof(uint64_t)] = {};
    out.write(zeros, sizeof(zeros));
    if (!out) return Status::IOError("create " + path, "write failed");
  }
  if (chmod(path.c_str(), 0600) != 0) return posix::PosixError("chmod " + path, errno);
  if (owner.has_value() && chown(path.c_str(), owner->uid, owner->gid) != 0) {
    return posix::PosixError("chown " + path, errno);
  }
  return Status::Ok();
}

Status PlacePreload(const std::string& source, const std::string& target,
                    const std::optional<verify::RunAs>& owner) {
  std::ifstream in(source, std::ios::binary);
  if (source.empty() || !in) {
    return Status::InvalidArgument("--preload",
                                   "cannot read the flush-delay library '" + source + "'");
  }
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (bytes.size() < 4 || bytes.compare(0, 4,
                                        "\x7f"
                                        "ELF") != 0) {
    return Status::InvalidArgument("--preload", "'" + source + "' is not a shared library");
  }
  {
    std::ofstream out(target, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) return Status::IOError("copy " + source + " to " + target, "write failed");
  }
  if (chmod(target.c_str(), 0644) != 0) {
    return posix::PosixError("chmod " + target, errno);
  }
  if (owner.has_value() && chown(target.c_str(), owner->uid, owner->gid) != 0) {
    return posix::PosixError("chown " + target, errno);
  }
  return Status::Ok();
}

}  // namespace

Result<std::string> MakeTempDir(const std::string& parent, const std::string& tag,
                                const char* owner) {
  std::string base = parent;
  if (base.empty()) {
    const char* tmp = getenv("TMPDIR");
    base = (tmp && *tmp) ? tmp : "/tmp";
  }
  std::string templ = base + "/waltune-" + tag + "-XXXXXX";
  if (mkdtemp(templ.data()) == nullptr) {
    return posix::PosixError("mkdtemp " + templ, errno);
  }
  if (owner != nullptr) {
    Result<std::optional<verify::RunAs>> cred = verify::CredentialsFor(owner);
    if (!cred.ok()) {
      rmdir(templ.c_str());
      return cred.status();
    }
    if (cred->has_value() && chown(templ.c_str(), (*cred)->uid, (*cred)->gid) != 0) {
      int err = errno;
      rmdir(templ.c_str());
      return posix::PosixError("chown " + templ, err);
    }
    if (cred->has_value()) {
      Status reach = CheckUserCanReach(templ, **cred);
      if (!reach.ok()) {
        rmdir(templ.c_str());
        return reach;
      }
    }
  }
  return templ;
}

ServerInstance::ServerInstance(InstanceOptions options) : options_(std::move(options)) {}

ServerInstance::~ServerInstance() {
  if (running()) {
    Status s = verify::KillGroupAndReap(pid_, 30);
    (void)s;  // nothing more can be done in a destructor; the dir goes anyway
    pid_ = -1;
  }
  if (!dir_.empty() && !options_.keep_dir) {
    std::error_code ec;
    if (!options_.data_parent_dir.empty() && !data_dir_.empty()) {
      std::filesystem::remove_all(data_dir_, ec);
    }
    std::filesystem::remove_all(dir_, ec);
  }
}

Status ServerInstance::Create() {
  if (!dir_.empty()) return Status::Internal("instance already created in " + dir_);
  Result<std::string> dir = MakeTempDir(options_.parent_dir, ServerUser(), ServerUser());
  if (!dir.ok()) return dir.status();
  dir_ = *dir;
  log_path_ = dir_ + "/server.log";
  { std::ofstream touch(log_path_); }
  Result<std::optional<verify::RunAs>> cred = verify::CredentialsFor(ServerUser());
  if (!cred.ok()) return cred.status();
  if (cred->has_value() && chown(log_path_.c_str(), (*cred)->uid, (*cred)->gid) != 0) {
    return posix::PosixError("chown " + log_path_, errno);
  }
  if (options_.data_parent_dir.empty()) {
    data_dir_ = dir_ + "/data";
  } else {
    data_dir_ = options_.data_parent_dir + "/" + ServerUser() + "-data";
    if (mkdir(data_dir_.c_str(), 0700) != 0) {
      const int err = errno;
      data_dir_.clear();  // not ours: never remove it
      return posix::PosixError("mkdir " + options_.data_parent_dir + "/" + ServerUser() + "-data",
                               err);
    }
    if (cred->has_value() && chown(data_dir_.c_str(), (*cred)->uid, (*cred)->gid) != 0) {
      return posix::PosixError("chown " + data_dir_, errno);
    }
  }
  Status s = Initialize();
  if (!s.ok())
    return Status(s.code() == Status::Code::kIOError
                      ? Status::IOError(s.field(), s.message() + LogTail())
                      : s);
  return Status::Ok();
}

Status ServerInstance::RunTool(const std::vector<std::string>& argv, double timeout_s) const {
  Result<std::optional<verify::RunAs>> cred = verify::CredentialsFor(ServerUser());
  if (!cred.ok()) return cred.status();
  verify::SpawnOptions spawn;
  spawn.argv = argv;
  spawn.cwd = dir_;
  spawn.log_path = log_path_;
  spawn.run_as = *cred;
  return verify::RunAndWait(spawn, timeout_s);
}

Status ServerInstance::Start(const SettingList& settings) {
  if (dir_.empty()) return Status::Internal("Start before Create");
  if (running()) return Status::Internal("server already running");
  for (const auto& [name, value] : settings) {
    if (IsForbiddenSetting(name)) {
      return Status::InvalidArgument(name, "would open TCP or move the socket; not applied");
    }
  }
  Result<std::optional<verify::RunAs>> cred = verify::CredentialsFor(ServerUser());
  if (!cred.ok()) return cred.status();
  verify::SpawnOptions spawn;
  spawn.argv = ServerArgv(settings);
  spawn.cwd = dir_;
  spawn.log_path = log_path_;
  spawn.run_as = *cred;
  const std::string preload = PlacedPreloadPath(dir_);
  if (options_.flush_latency_us > 0) {
    WALTUNE_RETURN_IF_ERROR(PlacePreload(options_.preload_library, preload, *cred));
    // LD_PRELOAD splits its list at spaces and colons (ld.so(8)): a --workdir with either
    // is named relative to the server's working directory, which is dir_.
    const bool plain = preload.find_first_of(" :") == std::string::npos;
    spawn.extra_env.push_back(
        "LD_PRELOAD=" +
        (plain ? preload : "./" + std::filesystem::path(preload).filename().string()));
    spawn.extra_env.push_back("WALTUNE_FLUSH_DELAY_US=" +
                              std::to_string(options_.flush_latency_us));
    WALTUNE_RETURN_IF_ERROR(PlaceDelayCounter(DelayCounterPath(dir_), *cred));
    spawn.extra_env.push_back("WALTUNE_FLUSH_DELAY_COUNTER=" + DelayCounterPath(dir_));
  }
  const double t0 = verify::NowSeconds();
  Result<pid_t> pid = verify::Spawn(spawn);
  if (!pid.ok()) return pid.status();
  pid_ = *pid;
  while (true) {
    if (TryConnect().ok()) break;
    int st = 0;
    if (verify::ChildExited(pid_, &st)) {
      // The group may still hold helpers; make sure none survives.
      pid_t old = pid_;
      pid_ = -1;
      if (verify::GroupAlive(old)) kill(-old, SIGKILL);
      verify::UnregisterGroup(old);
      return Status::IOError(std::string(engine_name()) + " start",
                             "server exited (" + verify::DescribeWaitStatus(st) + ")" + LogTail());
    }
    if (Interrupted()) {
      Status k = Kill();
      (void)k;
      return Status::Unavailable("verify", "interrupted");
    }
    if (verify::NowSeconds() - t0 > options_.start_timeout_s) {
      Status k = Kill();
      (void)k;
      return Status::Unavailable(std::string(engine_name()) + " start",
                                 "no connection accepted within " +
                                     std::to_string(static_cast<int>(options_.start_timeout_s)) +
                                     " s" + LogTail());
    }
    SleepUs(2000);
  }
  last_start_s_ = verify::NowSeconds() - t0;
  // The emulation is claimed only when it is in force: the library must be mapped in the
  // server (the loader ignores an unreadable LD_PRELOAD with a warning). Whether it delays
  // flushes is timed by the caller through the engine (verify's targets).
  if (options_.flush_latency_us > 0 && !posix::IsMapped(pid_, preload)) {
    Status k = Kill();
    (void)k;
    return Status::Unavailable(
        "--flush-latency-us",
        "the flush-delay library " + preload + " is not mapped in the " + engine_name() +
            " server: the emulated latency would not be in force" + LogTail());
  }
  return Status::Ok();
}

Status ServerInstance::Kill() {
  if (!running()) return Status::Ok();
  Status s = verify::KillGroupAndReap(pid_, 30);
  pid_ = -1;
  return s;
}

Status ServerInstance::Stop() {
  if (!running()) return Status::Ok();
  kill(pid_, ShutdownSignal());
  int st = 0;
  if (!verify::WaitChild(pid_, 60, &st)) return Kill();
  // Workers exit with the server; give them a moment, then make sure.
  const double deadline = verify::NowSeconds() + 10;
  while (verify::GroupAlive(pid_) && verify::NowSeconds() < deadline) SleepUs(5000);
  if (verify::GroupAlive(pid_)) kill(-pid_, SIGKILL);
  verify::UnregisterGroup(pid_);
  pid_ = -1;
  return Status::Ok();
}

Status ServerInstance::ConnectCheck() const {
  if (!running()) return Status::Unavailable(engine_name(), "server not running");
  return TryConnect();
}

Result<uint64_t> ServerInstance::DelayedFlushes() const {
  const std::string path = DelayCounterPath(dir_);
  std::ifstream in(path, std::ios::binary);
  uint64_t count = 0;
  if (!in.read(reinterpret_cast<char*>(&count), sizeof(count))) {
    return Status::IOError("--flush-latency-us", "cannot read the delay count " + path);
  }
  return count;
}

uint64_t ServerInstance::LogSize() const {
  struct stat st;
  if (stat(log_path_.c_str(), &st) != 0) return 0;
  return static_cast<uint64_t>(st.st_size);
}

std::string ServerInstance::LogSince(uint64_t offset) const {
  std::ifstream in(log_path_, std::ios::binary);
  if (!in) return "";
  in.seekg(static_cast<std::streamoff>(offset));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return text;
}

std::string ServerInstance::LogTail() const {
  uint64_t size = LogSize();
  std::string tail = LogSince(size > 1500 ? size - 1500 : 0);
  if (tail.empty()) return "";
  return "; server log (" + log_path_ + ") ends with:\n" + tail;
}

}  // namespace waltune
