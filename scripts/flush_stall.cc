// Does a flush on this host take CPU away from the guest's cores while it is in flight? The
// question of docs/sweep-group-commit.md (sweep 6): the native insert points behave as if a
// group's CPU and the next flush did not overlap. Run it on a quiet machine:
//   g++ -O2 -o /tmp/flush_stall scripts/flush_stall.cc && /tmp/flush_stall DIR [ROUNDS [BYTES]]
// Each round runs two spinner processes, one pinned to each CPU, for 2 s, counting loop
// iterations, three times: alone; beside a third process that overwrites BYTES (8 KiB) of a file
// in DIR and calls fdatasync in a loop (kept on CPU 0 with the spinner there); and beside the
// control below. Printed per round and as medians over the rounds:
//   spin_alone / spin_beside: iterations per second of both spinners together;
//   lost_core_s: the spinners' loss in core-seconds (1 - beside/alone) x 2 cores x 2 s;
//   flusher_cpu_s: the flushing process's own CPU time (user + system), which the scheduler
//     takes from the spinner on its CPU in any case;
//   flush_busy_s: the sum of the flushes' latencies: the time a flush was in flight;
//   steal_s: the guest's steal time (/proc/stat) over the beside phase;
//   the control: a third phase where the process sleeps the flush's median in place of each
//   flush (nanosleep): its wake-ups and context switches without the device.
// If the flush stalls no core, lost_core_s is about flusher_cpu_s; every core-second beyond it
// is lost while the device works. WORK=pingpong [PAIRS=2] replaces the spinners by PAIRS pairs
// of processes bouncing a byte through pipes across the two CPUs (PingPong); "spin" is then
// round trips per second. GAP_US=G sleeps G us after each flush (and after each sleep of the
// control): flushes that follow an idle device, as in a commit group that waits for its CPU.
#include <fcntl.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

constexpr double kPhaseS = 2.0;

double NowS() {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

void Pin(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  sched_setaffinity(0, sizeof(set), &set);
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// Steal time of all CPUs, seconds.
double StealS() {
  FILE* f = std::fopen("/proc/stat", "r");
  if (f == nullptr) return 0;
  char cpu[16];
  unsigned long long v[8] = {};
  int n = std::fscanf(f, "%15s %llu %llu %llu %llu %llu %llu %llu %llu", cpu, &v[0], &v[1], &v[2],
                      &v[3], &v[4], &v[5], &v[6], &v[7]);
  std::fclose(f);
  return n == 9 ? static_cast<double>(v[7]) / static_cast<double>(sysconf(_SC_CLK_TCK)) : 0;
}

struct Shared {
  std::atomic<unsigned long long> spins[2];
  bool pingpong;
  int gap_us;
  int pairs;
  std::atomic<int> flushes;
  size_t write_bytes;
  double flush_us[200000];
};

// Spins on `cpu` until `end_s`, adding its iterations to shared->spins[cpu].
void Spin(Shared* shared, int cpu, double end_s) {
  Pin(cpu);
  unsigned long long n = 0;
  while (true) {
    for (int i = 0; i < 1000; ++i) asm volatile("" ::: "memory");
    n += 1000;
    if ((n & 0xffff) == 0 && NowS() >= end_s) break;
  }
  shared->spins[cpu] = n;
}

// The other kind of work (WORK=pingpong): a pair of processes, one on each CPU, bounce a byte
// through two pipes, as a client and its server process do per statement: cross-CPU wake-ups,
// the cores partly idle. Counts the round trips of the pair into shared->spins[slot].
void PingPong(Shared* shared, int slot, double end_s) {
  int ab[2], ba[2];
  if (pipe(ab) != 0 || pipe(ba) != 0) _exit(1);
  pid_t echo = fork();
  if (echo == 0) {
    Pin(1);
    char c;
    while (read(ab[0], &c, 1) == 1) {
      if (c == 'q' || write(ba[1], &c, 1) != 1) break;
    }
    _exit(0);
  }
  Pin(0);
  unsigned long long n = 0;
  char c = 'x';
  while (NowS() < end_s) {
    if (write(ab[1], &c, 1) != 1 || read(ba[0], &c, 1) != 1) break;
    ++n;
  }
  c = 'q';
  if (write(ab[1], &c, 1) != 1) _exit(1);
  waitpid(echo, nullptr, 0);
  shared->spins[slot] += n;
}

// With sleep_us > 0 the process sleeps that long in place of each flush: the same wake-ups and
// context switches without the device (the control).
void Flush(Shared* shared, const std::string& path, double end_s, int sleep_us) {
  Pin(0);
  int fd = open(path.c_str(), O_RDWR | O_CREAT, 0600);
  if (fd < 0) _exit(1);
  std::vector<char> buf(shared->write_bytes, 'x');
  if (pwrite(fd, buf.data(), buf.size(), 0) < 0 || fdatasync(fd) != 0) _exit(1);
  int n = 0;
  while (NowS() < end_s && n < 200000) {
    double t0 = NowS();
    buf[0] = static_cast<char>(n);
    if (sleep_us > 0) {
      timespec d{0, sleep_us * 1000L};
      nanosleep(&d, nullptr);
    } else if (pwrite(fd, buf.data(), buf.size(), 0) < 0 || fdatasync(fd) != 0) {
      _exit(1);
    }
    shared->flush_us[n++] = (NowS() - t0) * 1e6;
    if (shared->gap_us > 0) {  // GAP_US: the device idle between flushes, in both phases
      timespec g{0, shared->gap_us * 1000L};
      nanosleep(&g, nullptr);
    }
  }
  shared->flushes = n;
  close(fd);
}

struct Phase {
  double spin_per_s = 0;
  double spin_cpu[2] = {0, 0};
  double flusher_cpu_s = 0;
  double flush_busy_s = 0;
  double flush_p50_us = 0;
  double steal_s = 0;
  int flushes = 0;
};

Phase RunPhase(Shared* shared, const std::string& path, bool with_flusher, int sleep_us) {
  shared->spins[0] = shared->spins[1] = 0;
  shared->flushes = 0;
  const double start_s = NowS() + 0.05;
  const double end_s = start_s + kPhaseS;
  const double steal0 = StealS();
  std::vector<pid_t> pids;
  const int workers = shared->pingpong ? shared->pairs : 2;
  for (int w = 0; w < workers; ++w) {
    pid_t pid = fork();
    if (pid == 0) {
      while (NowS() < start_s) usleep(shared->pingpong ? 100 : 0);
      if (shared->pingpong) {
        PingPong(shared, w % 2, end_s);
      } else {
        Spin(shared, w, end_s);
      }
      _exit(0);
    }
    pids.push_back(pid);
  }
  pid_t flusher = -1;
  if (with_flusher) {
    flusher = fork();
    if (flusher == 0) {
      while (NowS() < start_s) usleep(100);
      Flush(shared, path, end_s, sleep_us);
      _exit(0);
    }
  }
  Phase p;
  for (pid_t pid : pids) waitpid(pid, nullptr, 0);
  if (flusher > 0) {
    int status = 0;
    rusage ru{};
    wait4(flusher, &status, 0, &ru);
    p.flusher_cpu_s = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                      static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
    p.flushes = shared->flushes;
    std::vector<double> lat(shared->flush_us, shared->flush_us + p.flushes);
    p.flush_p50_us = Median(lat);
    double sum = 0;
    for (double l : lat) sum += l;
    p.flush_busy_s = sum / 1e6;
  }
  p.steal_s = StealS() - steal0;
  p.spin_per_s = static_cast<double>(shared->spins[0] + shared->spins[1]) / kPhaseS;
  for (int cpu = 0; cpu < 2; ++cpu) p.spin_cpu[cpu] = static_cast<double>(shared->spins[cpu]);
  return p;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s DIR [ROUNDS]\n", argv[0]);
    return 2;
  }
  const std::string path = std::string(argv[1]) + "/flush_stall.dat";
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 7;
  auto* shared = static_cast<Shared*>(
      mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  shared->write_bytes = argc > 3 ? static_cast<size_t>(std::atol(argv[3])) : 8192;
  const char* work = std::getenv("WORK");
  shared->pingpong = work != nullptr && std::string(work) == "pingpong";
  shared->gap_us = std::getenv("GAP_US") != nullptr ? std::atoi(std::getenv("GAP_US")) : 0;
  shared->pairs = std::getenv("PAIRS") != nullptr ? std::atoi(std::getenv("PAIRS")) : 2;
  std::vector<double> lost, cpu, busy, steal, ratio, p50, flushes, steal_alone;
  std::vector<double> ctl_lost, ctl_cpu, ctl_wakes;
  std::printf(
      "round spin_alone steal_alone_s | flush: ratio lost_core_s flusher_cpu_s"
      " flush_busy_s flushes flush_p50_us steal_s | sleep control: ratio lost_core_s"
      " sleeper_cpu_s wakes\n");
  for (int r = 0; r < rounds; ++r) {
    Phase alone = RunPhase(shared, path, false, 0);
    Phase beside = RunPhase(shared, path, true, 0);
    // The control sleeps the flush's median each time: the same rhythm of wake-ups.
    Phase control = RunPhase(shared, path, true, static_cast<int>(beside.flush_p50_us));
    const double x = beside.spin_per_s / alone.spin_per_s;
    const double xc = control.spin_per_s / alone.spin_per_s;
    const double lost_s = (1 - x) * 2 * kPhaseS;
    const double ctl_lost_s = (1 - xc) * 2 * kPhaseS;
    std::printf(
        "%d %.4g %.3f | cpu0 %.3f cpu1 %.3f | %.3f %.3f %.3f %.3f %d %.0f %.3f | %.3f %.3f %.3f "
        "%d\n",
        r, alone.spin_per_s, alone.steal_s, beside.spin_cpu[0] / alone.spin_cpu[0],
        beside.spin_cpu[1] / alone.spin_cpu[1], x, lost_s, beside.flusher_cpu_s,
        beside.flush_busy_s, beside.flushes, beside.flush_p50_us, beside.steal_s, xc, ctl_lost_s,
        control.flusher_cpu_s, control.flushes);
    lost.push_back(lost_s);
    cpu.push_back(beside.flusher_cpu_s);
    busy.push_back(beside.flush_busy_s);
    steal.push_back(beside.steal_s);
    steal_alone.push_back(alone.steal_s);
    ratio.push_back(x);
    p50.push_back(beside.flush_p50_us);
    flushes.push_back(beside.flushes);
    ctl_lost.push_back(ctl_lost_s);
    ctl_cpu.push_back(control.flusher_cpu_s);
    ctl_wakes.push_back(control.flushes);
  }
  std::printf("median - %.3f | %.3f %.3f %.3f %.3f %.0f %.0f %.3f | - %.3f %.3f %.0f\n",
              Median(steal_alone), Median(ratio), Median(lost), Median(cpu), Median(busy),
              Median(flushes), Median(p50), Median(steal), Median(ctl_lost), Median(ctl_cpu),
              Median(ctl_wakes));
  unlink(path.c_str());
  return 0;
}
