// Child processes for verify: spawn as another user in a new process group, kill, wait.
// The only file in src/verify that forks, execs or sends signals to servers.
#ifndef WALTUNE_VERIFY_PROCESS_H_
#define WALTUNE_VERIFY_PROCESS_H_

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "posix/proc.h"
#include "waltune/status.h"

namespace waltune::verify {

// Credentials a child switches to before exec (setgroups({}), setgid, setuid).
struct RunAs {
  uid_t uid = 0;
  gid_t gid = 0;
  std::string name;
  std::string home;
};

// When the current process is root, the credentials of `user` (error if unknown);
// otherwise nullopt: children run as the current user.
Result<std::optional<RunAs>> CredentialsFor(const char* user);

struct SpawnOptions {
  std::vector<std::string> argv;       // argv[0] is the program path
  std::vector<std::string> extra_env;  // "NAME=value" added to (or replacing in) the environment
  std::string cwd;                     // chdir here in the child (empty: unchanged)
  std::string log_path;                // stdout and stderr appended here ("" = /dev/null)
  std::optional<RunAs> run_as;
};

// Forks and execs in a new process group (pgid == pid), registered for the signal handler, with
// PR_SET_PDEATHSIG=SIGKILL so the child dies with the forking thread.
Result<pid_t> Spawn(const SpawnOptions& options);

// Runs to completion; non-zero exit status is an error. SIGKILLs the group after timeout_s.
Status RunAndWait(const SpawnOptions& options, double timeout_s);
// The same, returning the exit code (a signal or the timeout is an error): for tools whose
// non-zero exit still comes with the output wanted (pg_waldump at the end of valid WAL).
Result<int> RunForExitCode(const SpawnOptions& options, double timeout_s);

// Registers / unregisters a process group for InstallCleanupSignalHandlers.
void RegisterGroup(pid_t pgid);
void UnregisterGroup(pid_t pgid);

// posix::KillProcessTree(pgid): SIGKILL to the whole group `pgid` and every descendant of its
// leader (PostgreSQL backends leave the group with setsid), reap `pgid`, wait until every
// member of the group and every descendant is gone. Unregisters the group.
Status KillGroupAndReap(pid_t pgid, double timeout_s);

// Child reaping and the /proc walks are posix/proc.h's: ChildExited (non-blocking reap),
// WaitChild (reap within timeout_s), GroupAlive (a live member of group `pgid`) and
// GroupCpuSeconds (user+system CPU time of group `pgid` and the tree below its leader. Unit: s).
using posix::ChildExited;
using posix::GroupAlive;
using posix::GroupCpuSeconds;
using posix::WaitChild;

// Pids of processes whose command line or cwd mentions `path` (for leak checks in tests).
std::vector<pid_t> ProcessesMentioning(const std::string& path);

// Human description of a wait status ("exit 1", "signal 9").
std::string DescribeWaitStatus(int wait_status);

double NowSeconds();  // CLOCK_MONOTONIC. Unit: s.

}  // namespace waltune::verify

#endif  // WALTUNE_VERIFY_PROCESS_H_
