// Client side of waltune-powercut: spawn, control and unmount the file system.
#include "waltune/powercut.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "posix/mounts.h"
#include "posix/posix_error.h"
#include "posix/proc.h"
#include "waltune/helpers.h"
#include "waltune/parse_number.h"

namespace waltune::powercut {

namespace {

using posix::PosixError;

Result<std::string> RealPath(const std::string& path) {
  char buf[PATH_MAX];
  if (realpath(path.c_str(), buf) == nullptr) return PosixError(path, errno);
  struct stat sb;
  if (stat(buf, &sb) != 0) return PosixError(path, errno);
  if (!S_ISDIR(sb.st_mode)) return Status::InvalidArgument(path, "not a directory");
  return std::string(buf);
}

bool IsExecutable(const std::string& path) { return access(path.c_str(), X_OK) == 0; }

std::string FindBinary(const MountOptions& options) {
  if (!options.binary_path.empty()) return options.binary_path;
  if (const char* env = std::getenv("WALTUNE_POWERCUT_BIN"); env != nullptr && *env != '\0') {
    return env;
  }
  // Next to the executable (build tree), then the install layout (waltune/helpers.h).
  if (std::string p = FindHelper("waltune-powercut"); !p.empty() && IsExecutable(p)) return p;
#ifdef WALTUNE_POWERCUT_BUILD_BINARY
  if (IsExecutable(WALTUNE_POWERCUT_BUILD_BINARY)) return WALTUNE_POWERCUT_BUILD_BINARY;
#endif
  return "waltune-powercut";  // execvp searches $PATH.
}

std::string NewSocketPath() {
  static std::atomic<int> counter{0};
  const char* tmp = std::getenv("TMPDIR");
  std::string dir = (tmp != nullptr && *tmp != '\0' && std::strlen(tmp) < 60) ? tmp : "/tmp";
  return dir + "/waltune-powercut-" + std::to_string(getpid()) + "-" + std::to_string(counter++) +
         ".sock";
}

// Runs a helper program and waits for it; returns its exit status or -1.
int RunQuiet(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    int devnull = open("/dev/null", O_WRONLY);
    if (devnull >= 0) {
      dup2(devnull, 1);
      dup2(devnull, 2);
    }
    execvp(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Waits up to "timeout" for "pid" to exit; true if it did (and was reaped).
bool WaitForExit(pid_t pid, std::chrono::milliseconds timeout, int* status) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    pid_t r = waitpid(pid, status, WNOHANG);
    if (r == pid || (r < 0 && errno == ECHILD)) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

bool WaitUntilUnmounted(const std::string& path, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (IsMounted(path)) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

// The last "max_bytes" of a log file, for error messages.
std::string LogTail(const std::string& path, size_t max_bytes = 1500) {
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (text.size() > max_bytes) text = "..." + text.substr(text.size() - max_bytes);
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text.empty() ? "" : " [log: " + text + "]";
}

}  // namespace

Status KillProcessTree(pid_t root, std::chrono::milliseconds timeout) {
  return posix::KillProcessTree(root, std::chrono::duration<double>(timeout).count());
}

bool IsMounted(const std::string& path) {
  for (const posix::MountEntry& m : posix::ReadSelfMountInfo()) {
    if (m.mount_point == path) return true;
  }
  return false;
}

MountOf MountHolding(const std::string& path) {
  std::error_code ec;
  const std::string canonical = std::filesystem::weakly_canonical(path, ec).string();
  const std::vector<posix::MountEntry> mounts = posix::ReadSelfMountInfo();
  const posix::MountEntry* holder = posix::FindMountHolding(mounts, ec ? path : canonical);
  return holder == nullptr ? MountOf{} : MountOf{holder->mount_point, holder->fs_type};
}

Result<std::string> SendControlCommand(const std::string& control_socket,
                                       const std::string& command) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (control_socket.size() >= sizeof(addr.sun_path)) {
    return Status::InvalidArgument(control_socket, "socket path too long");
  }
  std::memcpy(addr.sun_path, control_socket.c_str(), control_socket.size() + 1);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return PosixError("socket", errno);
  timeval timeout{300, 0};  // A cut of a big dirty set takes a while; never hang forever.
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    int err = errno;
    close(fd);
    return Status::Unavailable(control_socket, std::strerror(err));
  }
  std::string request = command + "\n";
  if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    int err = errno;
    close(fd);
    return PosixError(control_socket, err);
  }
  std::string reply;
  char buf[512];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      close(fd);
      return PosixError(control_socket, err);
    }
    if (n == 0) break;
    reply.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  if (!reply.empty() && reply.back() == '\n') reply.pop_back();
  if (reply.empty()) return Status::Unavailable(control_socket, "no reply to " + command);
  if (reply.rfind("ok", 0) != 0) return Status::IOError(control_socket, reply);
  return reply;
}

namespace {

std::map<std::string, uint64_t> ParseFields(const std::string& reply) {
  std::map<std::string, uint64_t> fields;
  std::istringstream in(reply);
  std::string token;
  while (in >> token) {
    size_t eq = token.find('=');
    if (eq == std::string::npos) continue;
    std::optional<uint64_t> v = ParseInteger<uint64_t>(std::string_view(token).substr(eq + 1));
    if (v) fields[token.substr(0, eq)] = *v;  // a malformed number counts as missing
  }
  return fields;
}

}  // namespace

Result<CutStats> ParseCutReply(const std::string& reply) {
  if (reply.rfind("ok ", 0) != 0) return Status::IOError("cut", reply);
  auto f = ParseFields(reply);
  if (f.count("cut") == 0 || f.count("discarded_bytes") == 0) {
    return Status::IOError("cut", "malformed reply: " + reply);
  }
  CutStats stats;
  stats.cut_number = f["cut"];
  stats.discarded_bytes = f["discarded_bytes"];
  stats.files_restored = f["files_restored"];
  stats.names_undone = f["names_undone"];
  stats.kept_bytes = f["kept_bytes"];
  stats.names_kept = f["names_kept"];
  stats.errors = f["errors"];
  return stats;
}

Result<std::unique_ptr<PowercutMount>> PowercutMount::Mount(const std::string& backing_dir,
                                                            const std::string& mountpoint,
                                                            const MountOptions& options) {
  auto backing = RealPath(backing_dir);
  if (!backing.ok()) return backing.status();
  auto mnt = RealPath(mountpoint);
  if (!mnt.ok()) return mnt.status();
  if (*backing == *mnt) return Status::InvalidArgument(mountpoint, "same as the backing dir");
  if (IsMounted(*mnt)) return Status::InvalidArgument(*mnt, "already a mount point");

  std::string socket_path = NewSocketPath();
  const bool own_log = options.log_path.empty();
  const std::string log_path = own_log ? socket_path + ".log" : options.log_path;
  std::vector<std::string> args = {FindBinary(options),        *backing, *mnt,          "-f",
                                   "--control=" + socket_path, "-o",     "auto_unmount"};
  if (options.allow_other) {
    args.push_back("-o");
    args.push_back("allow_other,default_permissions");
  }
  if (options.file_sync_commits_names) args.push_back("--file-sync-commits-names");
  if (options.sync_backing) args.push_back("--sync-backing");
  args.push_back("--cache-timeout=" + std::to_string(options.cache_timeout_sec));
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) return PosixError("fork", errno);
  if (pid == 0) {
    // Only async-signal-safe calls from here on.
    {
      int log = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
      if (log >= 0) {
        dup2(log, 1);
        dup2(log, 2);
      }
    }
    prctl(PR_SET_PDEATHSIG, SIGTERM);  // Never outlive the caller's thread.
    if (getppid() != parent) _exit(1);
    execvp(argv[0], argv.data());
    _exit(127);
  }

  std::unique_ptr<PowercutMount> m(
      new PowercutMount(*backing, *mnt, socket_path, log_path, own_log, pid));
  auto deadline = std::chrono::steady_clock::now() + options.mount_timeout;
  for (;;) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      m->pid_ = -1;
      std::string tail = LogTail(log_path);
      if (own_log) unlink(log_path.c_str());
      return Status::Unavailable(
          args[0], "exited before mounting (status " +
                       std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : 128) + ")" + tail);
    }
    if (SendControlCommand(socket_path, "ping").ok() && IsMounted(*mnt)) return m;
    if (std::chrono::steady_clock::now() >= deadline) {
      std::string tail = LogTail(log_path);
      Status s = m->Unmount();
      return Status::Unavailable(*mnt, "waltune-powercut did not mount in time" +
                                           (s.ok() ? "" : "; " + s.ToString()) + tail);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

PowercutMount::~PowercutMount() {
  Status s = Unmount();
  if (!s.ok()) std::fprintf(stderr, "waltune: powercut unmount: %s\n", s.ToString().c_str());
}

Result<CutStats> PowercutMount::Cut(uint32_t random_seed) {
  if (pid_ < 0) return Status::Unavailable(mountpoint_, "not mounted");
  auto reply = SendControlCommand(
      control_socket_, random_seed == 0 ? "cut" : "cut random " + std::to_string(random_seed));
  if (!reply.ok()) return reply.status();
  auto stats = ParseCutReply(*reply);
  if (!stats.ok() || stats->errors != 0) cut_failed_ = true;  // Keep the log for the details.
  return stats;
}

Status PowercutMount::Sync() {
  if (pid_ < 0) return Status::Unavailable(mountpoint_, "not mounted");
  auto reply = SendControlCommand(control_socket_, "sync");
  return reply.ok() ? Status::Ok() : reply.status();
}

Result<PendingStats> PowercutMount::Pending() {
  if (pid_ < 0) return Status::Unavailable(mountpoint_, "not mounted");
  auto reply = SendControlCommand(control_socket_, "stats");
  if (!reply.ok()) return reply.status();
  auto f = ParseFields(*reply);
  PendingStats stats;
  stats.cuts = f["cuts"];
  stats.dirty_files = f["dirty_files"];
  stats.undo_bytes = f["undo_bytes"];
  stats.pending_names = f["pending_names"];
  return stats;
}

Status PowercutMount::Unmount() {
  if (pid_ < 0) return Status::Ok();
  int status = 0;
  kill(pid_, SIGTERM);  // libfuse unmounts and exits.
  if (!WaitForExit(pid_, std::chrono::seconds(10), &status)) {
    RunQuiet({"fusermount3", "-u", "-z", mountpoint_});
    kill(pid_, SIGKILL);
    WaitForExit(pid_, std::chrono::seconds(10), &status);
  }
  pid_ = -1;
  unlink(control_socket_.c_str());
  if (own_log_ && !cut_failed_) unlink(log_path_.c_str());
  // auto_unmount's helper may take a moment after the server exits.
  if (!WaitUntilUnmounted(mountpoint_, std::chrono::seconds(2))) {
    RunQuiet({"fusermount3", "-u", "-z", mountpoint_});
    if (IsMounted(mountpoint_)) umount2(mountpoint_.c_str(), MNT_DETACH);
    if (!WaitUntilUnmounted(mountpoint_, std::chrono::seconds(2))) {
      return Status::IOError(mountpoint_, "still mounted after unmount attempts");
    }
  }
  // Done only when no helper of the mount is left either.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!posix::ProcessesMentioning(mountpoint_, posix::Mention::kCommandLine).empty() &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return Status::Ok();
}

}  // namespace waltune::powercut
