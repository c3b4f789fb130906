#include "posix/proc.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <fstream>
#include <iterator>
#include <sstream>
#include <thread>

#include "waltune/parse_number.h"

namespace waltune::posix {

namespace {

std::string ProcPath(pid_t pid, const char* entry) {
  return "/proc/" + std::to_string(pid) + "/" + entry;
}

// What read(2) gives until the end or an error. With read() itself: a /proc file of a process
// that exits between open and read fails with ESRCH, which an istreambuf_iterator over an
// ifstream turns into an exception (libstdc++'s basic_filebuf::underflow throws); seen as a
// PowercutFsTest teardown that threw "No such process" while scanning every process's cmdline.
std::string ReadWholeFile(const std::string& path) {
  std::string text;
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return text;
  char buf[4096];
  while (true) {
    const ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return text;
}

double SecondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

std::optional<ProcStat> ParseProcStat(std::string_view line) {
  const size_t open = line.find('(');
  const size_t close = line.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) {
    return std::nullopt;
  }
  ProcStat st;
  std::optional<pid_t> pid = ParseInteger<pid_t>(line.substr(0, open));
  if (!pid) return std::nullopt;
  st.pid = *pid;
  st.comm = std::string(line.substr(open + 1, close - open - 1));
  // Fields 3.. after the command name, blank-separated.
  std::istringstream rest{std::string(line.substr(close + 1))};
  std::vector<std::string> f;
  std::string field;
  while (f.size() < 13 && rest >> field) f.push_back(field);
  if (f.size() < 13 || f[0].size() != 1) return std::nullopt;
  st.state = f[0][0];
  std::optional<pid_t> ppid = ParseInteger<pid_t>(f[1]);
  std::optional<pid_t> pgrp = ParseInteger<pid_t>(f[2]);
  std::optional<uint64_t> utime = ParseInteger<uint64_t>(f[11]);
  std::optional<uint64_t> stime = ParseInteger<uint64_t>(f[12]);
  if (!ppid || !pgrp || !utime || !stime) return std::nullopt;
  st.ppid = *ppid;
  st.pgrp = *pgrp;
  st.utime_ticks = *utime;
  st.stime_ticks = *stime;
  return st;
}

std::optional<ProcStat> ReadProcStat(pid_t pid) {
  std::ifstream in(ProcPath(pid, "stat"));
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  return ParseProcStat(line);
}

std::vector<pid_t> AllPids() {
  std::vector<pid_t> pids;
  DIR* d = opendir("/proc");
  if (d == nullptr) return pids;
  while (struct dirent* e = readdir(d)) {
    std::optional<pid_t> v = ParseInteger<pid_t>(e->d_name);
    if (v && *v > 0) pids.push_back(*v);
  }
  closedir(d);
  return pids;
}

std::optional<SchedStat> ParseSchedStat(std::string_view line) {
  std::istringstream in{std::string(line)};
  std::string on_cpu, wait, slices, extra;
  if (!(in >> on_cpu >> wait >> slices) || (in >> extra)) return std::nullopt;
  std::optional<uint64_t> on_cpu_ns = ParseInteger<uint64_t>(on_cpu);
  std::optional<uint64_t> wait_ns = ParseInteger<uint64_t>(wait);
  if (!on_cpu_ns || !wait_ns || !ParseInteger<uint64_t>(slices)) return std::nullopt;
  return SchedStat{*on_cpu_ns, *wait_ns};
}

std::optional<SchedStat> ReadThreadSchedStat() {
  return ParseSchedStat(ReadWholeFile("/proc/thread-self/schedstat"));
}

std::vector<pid_t> ProcessTree(pid_t root) {
  std::vector<std::pair<pid_t, pid_t>> parent_of;  // (pid, ppid) of live processes
  for (pid_t pid : AllPids()) {
    std::optional<ProcStat> st = ReadProcStat(pid);
    if (st && !st->Gone()) parent_of.emplace_back(pid, st->ppid);
  }
  std::vector<pid_t> tree = {root};
  for (size_t i = 0; i < tree.size(); ++i) {
    for (const auto& [pid, ppid] : parent_of) {
      if (ppid == tree[i]) tree.push_back(pid);
    }
  }
  return tree;
}

bool GroupAlive(pid_t pgid) {
  for (pid_t pid : AllPids()) {
    std::optional<ProcStat> st = ReadProcStat(pid);
    if (st && !st->Gone() && st->pgrp == pgid) return true;
  }
  return false;
}

double GroupCpuSeconds(pid_t pgid) {
  const double ticks_per_s = static_cast<double>(sysconf(_SC_CLK_TCK));
  const std::vector<pid_t> tree = ProcessTree(pgid);
  double total_s = 0;
  for (pid_t pid : AllPids()) {
    std::optional<ProcStat> st = ReadProcStat(pid);
    if (!st) continue;
    if (st->pgrp == pgid || std::find(tree.begin(), tree.end(), pid) != tree.end()) {
      total_s += static_cast<double>(st->utime_ticks + st->stime_ticks) / ticks_per_s;
    }
  }
  return total_s;
}

std::vector<pid_t> ProcessesMentioning(const std::string& path, Mention where) {
  std::vector<pid_t> found;
  const pid_t self = getpid();
  for (pid_t pid : AllPids()) {
    if (pid == self) continue;
    std::optional<ProcStat> st = ReadProcStat(pid);
    if (!st || st->Gone()) continue;
    if (ReadWholeFile(ProcPath(pid, "cmdline")).find(path) != std::string::npos) {
      found.push_back(pid);
      continue;
    }
    if (where != Mention::kCommandLineOrCwd) continue;
    char cwd[4096];
    ssize_t n = readlink(ProcPath(pid, "cwd").c_str(), cwd, sizeof(cwd) - 1);
    if (n > 0 && std::string(cwd, static_cast<size_t>(n)).rfind(path, 0) == 0) {
      found.push_back(pid);
    }
  }
  return found;
}

bool IsMapped(pid_t pid, const std::string& path) {
  std::ifstream maps(ProcPath(pid, "maps"));
  std::string line;
  while (std::getline(maps, line)) {
    const size_t at = line.find('/');
    if (at != std::string::npos && line.compare(at, std::string::npos, path) == 0) return true;
  }
  return false;
}

bool ChildExited(pid_t pid, int* wait_status) {
  int st = 0;
  pid_t r = waitpid(pid, &st, WNOHANG);
  if (r == pid || (r < 0 && errno == ECHILD)) {
    if (wait_status != nullptr) *wait_status = st;
    return true;
  }
  return false;
}

bool WaitChild(pid_t pid, double timeout_s, int* wait_status) {
  const auto t0 = std::chrono::steady_clock::now();
  std::chrono::microseconds pause(1000);
  while (true) {
    if (ChildExited(pid, wait_status)) return true;
    if (SecondsSince(t0) > timeout_s) return false;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::microseconds(50000));
  }
}

Status KillProcessTree(pid_t root, double timeout_s) {
  if (root <= 0) return Status::InvalidArgument("pid", "not a process id");
  kill(root, SIGSTOP);
  const std::vector<pid_t> tree = ProcessTree(root);
  kill(-root, SIGKILL);
  for (pid_t pid : tree) kill(pid, SIGKILL);
  bool reaped = WaitChild(root, timeout_s, nullptr);
  // SIGKILL again whatever of the tree still lives (only those: a pid that is gone may be reused).
  auto kill_survivors = [&tree]() {
    bool any = false;
    for (pid_t pid : tree) {
      std::optional<ProcStat> st = ReadProcStat(pid);
      if (st && !st->Gone()) {
        kill(pid, SIGKILL);
        any = true;
      }
    }
    return any;
  };
  const auto t0 = std::chrono::steady_clock::now();
  while (!(reaped = reaped || ChildExited(root, nullptr)) || kill_survivors() || GroupAlive(root)) {
    if (SecondsSince(t0) > timeout_s) {
      return Status::Unavailable("kill", "process " + std::to_string(root) +
                                             " (its group or a descendant) still alive after "
                                             "SIGKILL");
    }
    kill(-root, SIGKILL);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return Status::Ok();
}

}  // namespace waltune::posix
