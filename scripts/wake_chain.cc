// How long a group-commit leader's wake-ups of its followers take on this host: the candidate
// missing term of docs/sweep-group-commit.md (sweep 6). Run it on a quiet machine:
//   g++ -O2 -pthread -o /tmp/wake_chain scripts/wake_chain.cc && /tmp/wake_chain [ROUNDS]
// N follower processes each wait on their own process-shared POSIX semaphore (as PostgreSQL
// backends wait in PGSemaphoreLock; PostgreSQL's LWLockWakeup posts them one by one, MariaDB's
// group_commit_lock::release does the same with its waiters). The leader posts the N semaphores
// in a loop; each follower records when it runs again, then waits 1 ms (spinning on nothing:
// asleep) for the next round. Printed per N (2, 4, 8, 16, 32), medians over the rounds, us:
//   post loop: the leader's time to post all N;
//   first / middle / last: from the first post until the 1st, N/2-th and N-th follower (in
//   the order they ran) was running again.
#include <semaphore.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace {

double NowUs() {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<double>(t.tv_sec) * 1e6 + static_cast<double>(t.tv_nsec) / 1e3;
}

constexpr int kMaxFollowers = 32;

struct Shared {
  sem_t wake[kMaxFollowers];
  sem_t done;
  double ran_us[kMaxFollowers];
};

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  setvbuf(stdout, nullptr, _IOLBF, 0);
  const int rounds = argc > 1 ? std::max(10, std::atoi(argv[1])) : 200;
  for (int n : {2, 4, 8, 16, 32}) {
    auto* sh = static_cast<Shared*>(
        mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
    if (sh == MAP_FAILED) return 1;
    for (int i = 0; i < n; ++i) sem_init(&sh->wake[i], 1, 0);
    sem_init(&sh->done, 1, 0);
    std::vector<pid_t> kids;
    for (int i = 0; i < n; ++i) {
      const pid_t pid = fork();
      if (pid < 0) return 1;
      if (pid == 0) {
        for (int r = 0; r < rounds; ++r) {
          while (sem_wait(&sh->wake[i]) != 0) {
          }
          sh->ran_us[i] = NowUs();
          sem_post(&sh->done);
        }
        _exit(0);
      }
      kids.push_back(pid);
    }
    std::vector<double> post_us, first_us, middle_us, last_us;
    for (int r = 0; r < rounds; ++r) {
      timespec gap{0, 1000000};  // 1 ms: every follower is asleep again
      nanosleep(&gap, nullptr);
      const double t0 = NowUs();
      for (int i = 0; i < n; ++i) sem_post(&sh->wake[i]);
      post_us.push_back(NowUs() - t0);
      for (int i = 0; i < n; ++i) {
        while (sem_wait(&sh->done) != 0) {
        }
      }
      std::vector<double> ran(sh->ran_us, sh->ran_us + n);
      std::sort(ran.begin(), ran.end());
      first_us.push_back(ran.front() - t0);
      middle_us.push_back(ran[(n - 1) / 2] - t0);
      last_us.push_back(ran.back() - t0);
    }
    for (pid_t pid : kids) waitpid(pid, nullptr, 0);
    std::printf(
        "N=%2d  post loop %6.1f  first %6.1f  middle %6.1f  last %6.1f us (medians of %d)\n", n,
        Median(post_us), Median(first_us), Median(middle_us), Median(last_us), rounds);
    munmap(sh, sizeof(Shared));
  }
  return 0;
}
