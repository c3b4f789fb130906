// Test helpers for running database servers on the mount: spawn in a new process group,
// kill a whole group and wait until every member is gone, capture a command's output.
#ifndef WALTUNE_TESTS_POWERCUT_PROCESS_UTIL_H_
#define WALTUNE_TESTS_POWERCUT_PROCESS_UTIL_H_

#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <utility>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

namespace waltune::powercut::testing {

// Runs "args" (argv[0] is a path) in a new process group as user "pw" (if given);
// returns the pid. stdout/stderr go to "log".
inline pid_t Spawn(const std::vector<std::string>& args, const passwd* pw, const std::string& log) {
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    FILE* f = std::fopen(log.c_str(), "a");
    if (f != nullptr) {
      dup2(fileno(f), 1);
      dup2(fileno(f), 2);
    }
    if (pw != nullptr && (setgroups(0, nullptr) != 0 || setgid(pw->pw_gid) != 0 ||
                          setuid(pw->pw_uid) != 0)) {
      _exit(126);
    }
    execv(argv[0], argv.data());
    _exit(127);
  }
  if (pid > 0) setpgid(pid, pid);
  return pid;
}

inline int Wait(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Parent pid and state letter of "pid" from /proc; {0, 0} when it is gone.
inline std::pair<pid_t, char> ParentAndState(pid_t pid) {
  std::FILE* f = std::fopen(("/proc/" + std::to_string(pid) + "/stat").c_str(), "r");
  if (f == nullptr) return {0, 0};
  char buf[1024];
  size_t n = std::fread(buf, 1, sizeof(buf) - 1, f);
  std::fclose(f);
  buf[n] = '\0';
  const char* close = std::strrchr(buf, ')');
  char state = 0;
  int ppid = 0;
  if (close == nullptr || std::sscanf(close + 1, " %c %d", &state, &ppid) != 2) return {0, 0};
  return {static_cast<pid_t>(ppid), state};
}

inline std::vector<pid_t> Descendants(pid_t root) {
  std::vector<pid_t> found = {root};
  for (size_t i = 0; i < found.size(); ++i) {
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator("/proc", ec)) {
      pid_t pid = static_cast<pid_t>(std::atoi(e.path().filename().c_str()));
      if (pid > 0 && ParentAndState(pid).first == found[i]) found.push_back(pid);
    }
  }
  return found;
}

// SIGKILL to "root" and every descendant, then wait until all are gone (zombies hold no
// memory or files). A process group is not enough: PostgreSQL backends call setsid(), and
// survivors would keep writing to the mount during and after the cut.
inline void KillGroup(pid_t root) {
  kill(root, SIGSTOP);  // No new children from here on.
  std::vector<pid_t> all = Descendants(root);
  kill(-root, SIGKILL);
  for (pid_t pid : all) kill(pid, SIGKILL);
  waitpid(root, nullptr, 0);
  for (pid_t pid : all) {
    for (int i = 0; i < 6000; ++i) {
      char state = ParentAndState(pid).second;
      if (state == 0 || state == 'Z' || state == 'X') break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
}

inline std::string Capture(const std::string& command) {
  std::string out;
  FILE* p = popen(command.c_str(), "r");
  if (p == nullptr) return out;
  char buf[256];
  while (fgets(buf, sizeof(buf), p) != nullptr) out += buf;
  pclose(p);
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

}  // namespace waltune::powercut::testing

#endif  // WALTUNE_TESTS_POWERCUT_PROCESS_UTIL_H_
