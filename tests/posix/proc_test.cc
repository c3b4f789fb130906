#include "posix/proc.h"

#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

namespace waltune::posix {
namespace {

// proc_pid_stat(5) fields 3..15 after the command name: state ppid pgrp session tty_nr tpgid
// flags minflt cminflt majflt cmajflt utime stime, then the rest.
constexpr char kTail[] = " S 41 42 42 0 -1 4194560 100 0 0 0 17 5 0 0 20 0 1 0 123 4096 10";

TEST(ParseProcStatTest, ReadsThePlainFields) {
  std::optional<ProcStat> st = ParseProcStat(std::string("1234 (postgres)") + kTail);
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->pid, 1234);
  EXPECT_EQ(st->comm, "postgres");
  EXPECT_EQ(st->state, 'S');
  EXPECT_EQ(st->ppid, 41);
  EXPECT_EQ(st->pgrp, 42);
  EXPECT_EQ(st->utime_ticks, 17u);
  EXPECT_EQ(st->stime_ticks, 5u);
  EXPECT_FALSE(st->Gone());
}

TEST(ParseProcStatTest, CommandNameWithSpacesAndParentheses) {
  // A process may name itself anything (prctl PR_SET_NAME): the fields start after the last ')'.
  std::optional<ProcStat> st = ParseProcStat(std::string("77 (a) Z 1 (b c))") + kTail);
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->comm, "a) Z 1 (b c)");
  EXPECT_EQ(st->state, 'S');
  EXPECT_EQ(st->ppid, 41);
  EXPECT_EQ(st->pgrp, 42);
}

TEST(ParseProcStatTest, ZombiesAndDeadProcessesAreGone) {
  EXPECT_TRUE(ParseProcStat("9 (x) Z 1 9 9 0 -1 0 0 0 0 0 0 0")->Gone());
  EXPECT_TRUE(ParseProcStat("9 (x) X 1 9 9 0 -1 0 0 0 0 0 0 0")->Gone());
  EXPECT_FALSE(ParseProcStat("9 (x) D 1 9 9 0 -1 0 0 0 0 0 0 0")->Gone());
}

TEST(ParseProcStatTest, RejectsMalformedLines) {
  EXPECT_FALSE(ParseProcStat("").has_value());
  EXPECT_FALSE(ParseProcStat("12 postgres S 1 2").has_value());      // no parentheses
  EXPECT_FALSE(ParseProcStat("12 (postgres) S 1 2 3").has_value());  // cut short
  EXPECT_FALSE(ParseProcStat("x (postgres) S 1 2 2 0 -1 0 0 0 0 0 1 2").has_value());
  EXPECT_FALSE(ParseProcStat("12 (postgres) S one 2 2 0 -1 0 0 0 0 0 1 2").has_value());
}

TEST(ParseSchedStatTest, ReadsOnCpuAndRunQueueWait) {
  std::optional<SchedStat> st = ParseSchedStat("381488619 499268 34\n");
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->on_cpu_ns, 381488619u);
  EXPECT_EQ(st->run_queue_wait_ns, 499268u);
  EXPECT_FALSE(ParseSchedStat("").has_value());
  EXPECT_FALSE(ParseSchedStat("1 2").has_value());
  EXPECT_FALSE(ParseSchedStat("1 2 3 4").has_value());
  EXPECT_FALSE(ParseSchedStat("1 -2 3").has_value());
  EXPECT_FALSE(ParseSchedStat("1 x 3").has_value());
}

TEST(ProcTest, ThisThreadsRunQueueWaitGrowsWhenTheCpuIsTaken) {
  // Where the kernel keeps schedstat: on-CPU time grows with work, and a thread that has to
  // share a CPU with busy threads waits on the run queue. Pinning both to one CPU makes that
  // certain on any machine, quiet or not.
  std::optional<SchedStat> before = ReadThreadSchedStat();
  if (!before) GTEST_SKIP() << "this kernel keeps no /proc/thread-self/schedstat";
  cpu_set_t one;
  CPU_ZERO(&one);
  cpu_set_t old;
  ASSERT_EQ(sched_getaffinity(0, sizeof(old), &old), 0);
  int cpu = 0;
  while (!CPU_ISSET(cpu, &old)) ++cpu;
  CPU_SET(cpu, &one);
  ASSERT_EQ(sched_setaffinity(0, sizeof(one), &one), 0);
  std::atomic<bool> stop{false};
  std::thread hog([&] {  // inherits the one CPU
    while (!stop.load(std::memory_order_relaxed)) {
    }
  });
  const auto t0 = std::chrono::steady_clock::now();
  volatile uint64_t sink = 0;
  while (std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(300)) sink = sink + 1;
  std::optional<SchedStat> after = ReadThreadSchedStat();
  stop = true;
  hog.join();
  ASSERT_EQ(sched_setaffinity(0, sizeof(old), &old), 0);
  ASSERT_TRUE(after.has_value());
  EXPECT_GT(after->on_cpu_ns, before->on_cpu_ns);
  EXPECT_GT(after->run_queue_wait_ns, before->run_queue_wait_ns);
}

TEST(ProcTest, ReadsThisProcess) {
  std::optional<ProcStat> st = ReadProcStat(getpid());
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->pid, getpid());
  EXPECT_EQ(st->ppid, getppid());
  EXPECT_EQ(st->pgrp, getpgrp());
  EXPECT_FALSE(st->Gone());
  std::vector<pid_t> all = AllPids();
  EXPECT_NE(std::find(all.begin(), all.end(), getpid()), all.end());
}

TEST(ProcTest, KillProcessTreeRejectsNonPids) {
  // kill(-0) or kill(-(-1)) would signal this process's group or every process.
  EXPECT_TRUE(KillProcessTree(0, 1).IsInvalidArgument());
  EXPECT_TRUE(KillProcessTree(-1, 1).IsInvalidArgument());
}

TEST(ProcTest, KillProcessTreeStopsAndReapsAChild) {
  // (A tree whose grandchild left the session: tests/powercut/library_test.cc.)
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    for (;;) pause();
  }
  std::vector<pid_t> below_us = ProcessTree(getpid());
  EXPECT_NE(std::find(below_us.begin(), below_us.end(), child), below_us.end());
  EXPECT_EQ(below_us.front(), getpid());
  ASSERT_TRUE(KillProcessTree(child, 30).ok());
  EXPECT_EQ(waitpid(child, nullptr, WNOHANG), -1);  // reaped: no longer our child
  EXPECT_FALSE(ReadProcStat(child).has_value());
  EXPECT_TRUE(ChildExited(child, nullptr));  // ECHILD counts as exited
}

}  // namespace
}  // namespace waltune::posix
