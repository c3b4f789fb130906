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
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "waltune/powercut.h"

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
    if (pw != nullptr &&
        (setgroups(0, nullptr) != 0 || setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0)) {
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

// SIGKILL to "root" and its whole process tree, waiting until all are gone.
inline void KillGroup(pid_t root) {
  Status s = KillProcessTree(root, std::chrono::seconds(60));
  if (!s.ok()) std::fprintf(stderr, "KillGroup: %s\n", s.ToString().c_str());
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
