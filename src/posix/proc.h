// Processes as Linux shows them in /proc (proc(5), proc_pid_stat(5)), and the one way waltune
// kills a process tree. Shared by verify (engine servers, SQLite writers) and the power-loss
// simulator's client library (what the power does to processes before a cut).
#ifndef WALTUNE_SRC_POSIX_PROC_H_
#define WALTUNE_SRC_POSIX_PROC_H_

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "waltune/status.h"

namespace waltune::posix {

// The fields of one /proc/PID/stat line that waltune uses (proc_pid_stat(5) numbers them 1..).
struct ProcStat {
  pid_t pid = 0;             // field 1
  std::string comm;          // field 2, without the parentheses; may hold spaces and ')'
  char state = 0;            // field 3: 'R', 'S', 'D', 'T', 'Z' (zombie), 'X' (dead), ...
  pid_t ppid = 0;            // field 4
  pid_t pgrp = 0;            // field 5
  uint64_t utime_ticks = 0;  // field 14: user CPU time. Unit: clock ticks (_SC_CLK_TCK).
  uint64_t stime_ticks = 0;  // field 15: system CPU time. Unit: clock ticks.

  // Exited: a zombie holds no memory, files or sockets any more, only its pid.
  bool Gone() const { return state == 'Z' || state == 'X'; }
};

// Parses one /proc/PID/stat line. The command name is everything between the first '(' and the
// last ')' (a program may call itself "a) b (c"); the numbered fields follow the last ')'.
// nullopt when the line is not of that form or a field used here is not a number.
std::optional<ProcStat> ParseProcStat(std::string_view line);

// /proc/PID/stat of `pid`; nullopt when the process is gone (or /proc is not mounted).
std::optional<ProcStat> ReadProcStat(pid_t pid);

// One thread's scheduler statistics, /proc/PID/task/TID/schedstat (the kernel's
// Documentation/scheduler/sched-stats.rst): time on a CPU and time runnable but waiting for one
// (on a run queue), both since the thread started. Unit: ns.
struct SchedStat {
  uint64_t on_cpu_ns = 0;
  uint64_t run_queue_wait_ns = 0;
};

// Parses a schedstat line: "on-CPU-ns run-queue-wait-ns timeslices". nullopt when it is not
// three numbers.
std::optional<SchedStat> ParseSchedStat(std::string_view line);

// The calling thread's schedstat (/proc/thread-self/schedstat); nullopt where the kernel does
// not keep it (built without CONFIG_SCHED_INFO) or /proc is not mounted.
std::optional<SchedStat> ReadThreadSchedStat();

// Every pid listed in /proc (one scan; processes come and go meanwhile).
std::vector<pid_t> AllPids();

// `root` followed by every live (not zombie) process below it by parent pid, from one scan.
std::vector<pid_t> ProcessTree(pid_t root);

// Whether a live (not zombie) process of process group `pgid` exists.
bool GroupAlive(pid_t pgid);

// User + system CPU time of every process in group `pgid` or below its leader `pgid`. Unit: s.
double GroupCpuSeconds(pid_t pgid);

// Which processes ProcessesMentioning matches: `path` inside the command line (argv), or also
// a working directory at or below `path`.
enum class Mention { kCommandLine, kCommandLineOrCwd };

// Live processes other than this one that mention `path` as `where` says.
std::vector<pid_t> ProcessesMentioning(const std::string& path, Mention where);

// Whether the file `path` is mapped into process `pid` (a line of /proc/PID/maps ends in it).
bool IsMapped(pid_t pid, const std::string& path);

// Non-blocking: true when child `pid` has exited and was reaped now (its wait status stored in
// `wait_status` when not null), or is not (or no longer) a child of this process (ECHILD).
bool ChildExited(pid_t pid, int* wait_status);

// ChildExited, retried with growing pauses (1 ms .. 50 ms) for up to `timeout_s`.
bool WaitChild(pid_t pid, double timeout_s, int* wait_status);

// SIGSTOP `root` (it forks no more), collect it and its descendants, SIGKILL `root`'s process
// group and each of them, reap `root` when it is a child of this process, then wait until none
// of them and no member of the group is alive (zombies count as gone). Killing the group alone
// is not enough: PostgreSQL backends call setsid() and leave the postmaster's group.
// InvalidArgument for root <= 0; Unavailable when one survives `timeout_s` (twice: once to reap
// `root`, once for the rest).
Status KillProcessTree(pid_t root, double timeout_s);

}  // namespace waltune::posix

#endif  // WALTUNE_SRC_POSIX_PROC_H_
