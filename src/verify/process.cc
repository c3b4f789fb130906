#include "process.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstring>

#include "posix/posix_error.h"
#include "waltune/instance.h"

extern char** environ;

namespace waltune::verify {

namespace {

constexpr int kMaxGroups = 64;
std::atomic<pid_t> g_groups[kMaxGroups];
std::atomic<int> g_signals_seen{0};
std::atomic<bool> g_handlers_installed{false};

using posix::PosixError;

void CleanupSignalHandler(int sig) {
  if (g_signals_seen.fetch_add(1) > 0) _exit(128 + sig);
  for (auto& slot : g_groups) {
    pid_t pgid = slot.load();
    if (pgid > 0) kill(-pgid, SIGKILL);
  }
}

}  // namespace

double NowSeconds() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

Result<std::optional<RunAs>> CredentialsFor(const char* user) {
  if (geteuid() != 0) return std::optional<RunAs>();
  struct passwd pw;
  struct passwd* found = nullptr;
  char buf[4096];
  if (getpwnam_r(user, &pw, buf, sizeof(buf), &found) != 0 || found == nullptr) {
    return Status::Unavailable(
        "user " + std::string(user),
        "running as root and there is no '" + std::string(user) +
            "' user to run the server as (install the engine's Debian package: scripts/setup.sh)");
  }
  return std::optional<RunAs>(RunAs{pw.pw_uid, pw.pw_gid, pw.pw_name, pw.pw_dir});
}

void RegisterGroup(pid_t pgid) {
  for (auto& slot : g_groups) {
    pid_t expected = 0;
    if (slot.compare_exchange_strong(expected, pgid)) return;
  }
}

void UnregisterGroup(pid_t pgid) {
  for (auto& slot : g_groups) {
    pid_t expected = pgid;
    slot.compare_exchange_strong(expected, 0);
  }
}

Result<pid_t> Spawn(const SpawnOptions& options) {
  if (options.argv.empty()) return Status::Internal("Spawn: empty argv");
  // Everything the child needs is prepared before fork: after it only syscalls are made.
  std::vector<char*> argv;
  for (const auto& a : options.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<std::string> env_storage;
  for (char** e = environ; *e; ++e) {
    std::string entry(*e);
    bool replaced = false;
    for (const auto& extra : options.extra_env) {
      std::string name = extra.substr(0, extra.find('=') + 1);
      if (entry.compare(0, name.size(), name) == 0) replaced = true;
    }
    if (!replaced) env_storage.push_back(entry);
  }
  for (const auto& extra : options.extra_env) env_storage.push_back(extra);
  if (options.run_as) {
    // Servers look at HOME/USER; keep them consistent with the user they run as.
    std::vector<std::string> kept;
    for (auto& e : env_storage) {
      if (e.rfind("HOME=", 0) != 0 && e.rfind("USER=", 0) != 0 && e.rfind("LOGNAME=", 0) != 0) {
        kept.push_back(e);
      }
    }
    kept.push_back("HOME=" + options.run_as->home);
    kept.push_back("USER=" + options.run_as->name);
    kept.push_back("LOGNAME=" + options.run_as->name);
    env_storage.swap(kept);
  }
  std::vector<char*> envp;
  for (auto& e : env_storage) envp.push_back(e.data());
  envp.push_back(nullptr);

  int out_fd = open(options.log_path.empty() ? "/dev/null" : options.log_path.c_str(),
                    O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (out_fd < 0) return PosixError("open " + options.log_path, errno);
  int in_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (in_fd < 0) {
    int err = errno;
    close(out_fd);
    return PosixError("open /dev/null", err);
  }
  const pid_t parent = getpid();
  const bool switch_user = options.run_as.has_value();
  const uid_t uid = switch_user ? options.run_as->uid : 0;
  const gid_t gid = switch_user ? options.run_as->gid : 0;
  const char* cwd = options.cwd.empty() ? nullptr : options.cwd.c_str();

  pid_t pid = fork();
  if (pid < 0) {
    int err = errno;
    close(out_fd);
    close(in_fd);
    return PosixError("fork", err);
  }
  if (pid == 0) {
    setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    dup2(in_fd, 0);
    dup2(out_fd, 1);
    dup2(out_fd, 2);
    syscall(SYS_close_range, 3u, ~0u, 0u);
    if (switch_user) {
      if (setgroups(0, nullptr) != 0 || setgid(gid) != 0 || setuid(uid) != 0) {
        static const char msg[] = "waltune: cannot switch user\n";
        (void)!write(2, msg, sizeof(msg) - 1);
        _exit(126);
      }
    }
    // After setuid: a credential change clears the parent-death signal.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(126);
    if (cwd && chdir(cwd) != 0) _exit(126);
    execve(argv[0], argv.data(), envp.data());
    static const char msg[] = "waltune: exec failed\n";
    (void)!write(2, msg, sizeof(msg) - 1);
    _exit(127);
  }
  setpgid(pid, pid);  // also in the parent, so the group exists before we signal it
  RegisterGroup(pid);
  close(out_fd);
  close(in_fd);
  return pid;
}

std::string DescribeWaitStatus(int wait_status) {
  if (WIFEXITED(wait_status)) return "exit " + std::to_string(WEXITSTATUS(wait_status));
  if (WIFSIGNALED(wait_status)) return "signal " + std::to_string(WTERMSIG(wait_status));
  return "status " + std::to_string(wait_status);
}

Status KillGroupAndReap(pid_t pgid, double timeout_s) {
  Status s = posix::KillProcessTree(pgid, timeout_s);
  UnregisterGroup(pgid);
  return s;
}

std::vector<pid_t> ProcessesMentioning(const std::string& path) {
  return posix::ProcessesMentioning(path, posix::Mention::kCommandLineOrCwd);
}

Result<int> RunForExitCode(const SpawnOptions& options, double timeout_s) {
  Result<pid_t> pid = Spawn(options);
  if (!pid.ok()) return pid.status();
  int st = 0;
  if (!WaitChild(*pid, timeout_s, &st)) {
    Status s = KillGroupAndReap(*pid, 10);
    (void)s;
    return Status::Unavailable(
        options.argv[0], "timed out after " + std::to_string(static_cast<int>(timeout_s)) + " s");
  }
  // Helpers such as mariadb-install-db's bootstrap server may leave group members behind.
  if (GroupAlive(*pid)) kill(-*pid, SIGKILL);
  UnregisterGroup(*pid);
  if (!WIFEXITED(st)) {
    return Status::IOError(options.argv[0], "failed (" + DescribeWaitStatus(st) + ")");
  }
  return WEXITSTATUS(st);
}

Status RunAndWait(const SpawnOptions& options, double timeout_s) {
  Result<int> code = RunForExitCode(options, timeout_s);
  if (!code.ok()) return code.status();
  if (*code != 0) {
    return Status::IOError(options.argv[0], "failed (exit " + std::to_string(*code) + ")");
  }
  return Status::Ok();
}

}  // namespace waltune::verify

namespace waltune {

void InstallCleanupSignalHandlers() {
  if (verify::g_handlers_installed.exchange(true)) return;
  struct sigaction sa;
  std::memset(&sa, 0, sizeof(sa));
  sa.sa_handler = verify::CleanupSignalHandler;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGHUP, &sa, nullptr);
}

bool Interrupted() { return verify::g_signals_seen.load() > 0; }

}  // namespace waltune
