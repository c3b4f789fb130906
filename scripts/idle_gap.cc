// What a commit pays after an idle gap on this host (docs/sweep-group-commit.md, sweep 5).
// Run it on a quiet machine:
//   g++ -O2 -o /tmp/idle_gap scripts/idle_gap.cc && /tmp/idle_gap DIR [SAMPLES]
// For gaps of 0, 200, 2000 and 8000 us it prints the distribution of
//   T1 the overshoot of clock_nanosleep(gap) (the flush-delay library sleeps this way);
//   T2 fdatasync of one 8 KiB pwrite in DIR, issued `gap` us after the write (0: back to back);
//   T3 a one-byte pipe round trip to another process, `gap` us after the previous one;
//   T4 an O_DIRECT pwrite of 4 KiB (MariaDB >= 10.8 writes its redo log this way), `gap` us
//      after the previous flush, then fdatasync: the write, the fdatasync and both together.
// Units: us.
#include <fcntl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

double NowUs() {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<double>(t.tv_sec) * 1e6 + static_cast<double>(t.tv_nsec) / 1e3;
}

void SleepUs(long us) {
  timespec t{us / 1000000, (us % 1000000) * 1000};
  clock_nanosleep(CLOCK_MONOTONIC, 0, &t, nullptr);
}

void Report(const std::string& name, std::vector<double> v) {
  std::sort(v.begin(), v.end());
  double sum = 0;
  for (double x : v) sum += x;
  const size_t n = v.size();
  std::printf("%-40s n=%zu p10 %.1f p50 %.1f p90 %.1f p99 %.1f mean %.1f us\n", name.c_str(), n,
              v[n / 10], v[n / 2], v[n * 9 / 10], v[n * 99 / 100], sum / static_cast<double>(n));
}

bool FlushAfterGap(const std::string& dir, int samples, long gap_us) {
  const std::string path = dir + "/idle_gap.dat";
  const int fd = open(path.c_str(), O_CREAT | O_RDWR | O_TRUNC, 0600);
  if (fd < 0) return false;
  char buf[8192];
  std::memset(buf, 'x', sizeof buf);
  std::vector<double> flush_us;
  for (int i = 0; i < samples; ++i) {
    if (pwrite(fd, buf, sizeof buf, (i % 64) * 8192L) != static_cast<ssize_t>(sizeof buf)) {
      close(fd);
      return false;
    }
    if (gap_us > 0) SleepUs(gap_us);
    const double t = NowUs();
    fdatasync(fd);
    flush_us.push_back(NowUs() - t);
  }
  close(fd);
  unlink(path.c_str());
  Report("T2 fdatasync after " + std::to_string(gap_us) + " us gap", flush_us);
  return true;
}

bool DirectWriteAfterGap(const std::string& dir, int samples, long gap_us) {
  const std::string path = dir + "/idle_gap_direct.dat";
  const int fd = open(path.c_str(), O_CREAT | O_RDWR | O_TRUNC | O_DIRECT, 0600);
  if (fd < 0) return false;
  void* buf = nullptr;
  if (posix_memalign(&buf, 4096, 4096) != 0) {
    close(fd);
    return false;
  }
  std::memset(buf, 'x', 4096);
  // Allocate the blocks first, as InnoDB's preallocated redo file has them.
  bool ok = true;
  for (int i = 0; i < 64 && ok; ++i) ok = pwrite(fd, buf, 4096, i * 4096L) == 4096;
  ok = ok && fsync(fd) == 0;
  std::vector<double> write_us, sync_us, both_us;
  for (int i = 0; i < samples && ok; ++i) {
    if (gap_us > 0) SleepUs(gap_us);
    const double t0 = NowUs();
    ok = pwrite(fd, buf, 4096, (i % 64) * 4096L) == 4096;
    const double t1 = NowUs();
    ok = ok && fdatasync(fd) == 0;
    const double t2 = NowUs();
    write_us.push_back(t1 - t0);
    sync_us.push_back(t2 - t1);
    both_us.push_back(t2 - t0);
  }
  free(buf);
  close(fd);
  unlink(path.c_str());
  if (!ok) return false;
  const std::string after = " after " + std::to_string(gap_us) + " us gap";
  Report("T4 O_DIRECT pwrite 4 KiB" + after, write_us);
  Report("T4 fdatasync after it" + after, sync_us);
  Report("T4 both" + after, both_us);
  return true;
}

bool RoundTripAfterGap(int samples, long gap_us) {
  int to_child[2], to_parent[2];
  if (pipe(to_child) != 0 || pipe(to_parent) != 0) return false;
  const pid_t pid = fork();
  if (pid < 0) return false;
  if (pid == 0) {
    close(to_child[1]);
    close(to_parent[0]);
    char c;
    while (read(to_child[0], &c, 1) == 1) {
      if (write(to_parent[1], &c, 1) != 1) _exit(1);
    }
    _exit(0);
  }
  close(to_child[0]);
  close(to_parent[1]);
  std::vector<double> trip_us;
  char c = 'p';
  bool ok = true;
  for (int i = 0; i < samples && ok; ++i) {
    if (gap_us > 0) SleepUs(gap_us);
    const double t = NowUs();
    ok = write(to_child[1], &c, 1) == 1 && read(to_parent[0], &c, 1) == 1;
    trip_us.push_back(NowUs() - t);
  }
  close(to_child[1]);
  waitpid(pid, nullptr, 0);
  close(to_parent[0]);
  if (ok) Report("T3 pipe round trip after " + std::to_string(gap_us) + " us gap", trip_us);
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  setvbuf(stdout, nullptr, _IOLBF, 0);
  const std::string dir = argc > 1 ? argv[1] : ".";
  const int samples = argc > 2 ? std::max(10, std::atoi(argv[2])) : 300;
  for (long gap_us : {0L, 200L, 2000L, 8000L}) {
    if (gap_us > 0) {
      std::vector<double> over_us;
      for (int i = 0; i < samples; ++i) {
        const double t = NowUs();
        SleepUs(gap_us);
        over_us.push_back(NowUs() - t - static_cast<double>(gap_us));
      }
      Report("T1 nanosleep " + std::to_string(gap_us) + " us: overshoot", over_us);
    }
    if (!FlushAfterGap(dir, samples, gap_us) || !DirectWriteAfterGap(dir, samples, gap_us) ||
        !RoundTripAfterGap(samples, gap_us)) {
      std::fprintf(stderr, "idle_gap: %s\n", std::strerror(errno));
      return 1;
    }
  }
  return 0;
}
