// The load driver (src/verify/load.cc): client threads writing through Sessions, counters in a
// shared mapping that a forked writer updates and its parent reads. No engine: the sessions
// are in memory. Built and run under ThreadSanitizer by scripts/test.sh (build-tsan).
#include "load.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <thread>
#include <vector>

namespace waltune::verify {
namespace {

// Records the seqs it committed (each client has its own). Every 7th seq first answers
// "busy, retry" once, as SQLite does under contention; `fail_at` fails for good.
class FakeSession : public Session {
 public:
  FakeSession(std::vector<uint64_t>* committed, uint64_t fail_at)
      : committed_(committed), fail_at_(fail_at) {}
  Status Commit(int /*client*/, uint64_t seq, const std::string& payload, bool* retry) override {
    if (payload.empty()) return Status::Internal("empty payload");
    if (seq == fail_at_) return Status::IOError("commit", "connection lost");
    if (seq % 7 == 0 && seq != retried_) {
      retried_ = seq;
      *retry = true;
      return Status::Unavailable("commit", "busy");
    }
    committed_->push_back(seq);
    return Status::Ok();
  }

 private:
  std::vector<uint64_t>* committed_;
  uint64_t fail_at_;
  uint64_t retried_ = 0;
};

void WaitFor(const std::function<bool()>& done) {
  while (!done()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

uint64_t HistogramTotal(const SharedLoad& shared) {
  uint64_t total = 0;
  for (uint64_t n : shared.MergedHistogram()) total += n;
  return total;
}

// The WAL sync ring: syncs [from, to) in us, and only the last kWalSyncRing once it wrapped.
TEST(WalSyncRing, ReturnsTheWindowAndOnlyWhatTheRingStillHolds) {
  auto shared = SharedLoad::Create(1);
  ASSERT_TRUE(shared.ok());
  LoadHeader* h = (*shared)->header();
  const uint64_t total = kWalSyncRing + 10;
  for (uint64_t n = 0; n < total; ++n) {
    h->wal_sync_ns[n % kWalSyncRing].store(static_cast<uint32_t>(1000 * (n % 1000) + 500));
  }
  h->wal_syncs.store(total);
  EXPECT_TRUE(WalSyncSamplesUs(*h, 5, 5).empty());
  EXPECT_TRUE(WalSyncSamplesUs(*h, 7, 3).empty());
  const std::vector<double> window = WalSyncSamplesUs(*h, kWalSyncRing + 2, kWalSyncRing + 5);
  ASSERT_EQ(window.size(), 3u);
  // sync 65538 = 65 x 1000 + 538: 538.5 us
  EXPECT_DOUBLE_EQ(window[0], 538.5);
  EXPECT_DOUBLE_EQ(window[2], 540.5);
  const std::vector<double> all = WalSyncSamplesUs(*h, 0, total);
  ASSERT_EQ(all.size(), kWalSyncRing);  // syncs 0-9 were overwritten by 65536-65545
  EXPECT_DOUBLE_EQ(all.front(), 10.5);  // sync 10
  EXPECT_DOUBLE_EQ(all.back(), 545.5);  // sync 65545
}

TEST(ThreadLoad, EveryAcknowledgedCommitIsCounted) {
  constexpr int kClients = 4;
  auto shared = SharedLoad::Create(kClients);
  ASSERT_TRUE(shared.ok());
  SharedLoad& load = **shared;
  std::vector<std::vector<uint64_t>> committed(kClients);
  ThreadLoad threads(
      &load,
      [&](int client) -> Result<std::unique_ptr<Session>> {
        return std::unique_ptr<Session>(std::make_unique<FakeSession>(&committed[client], 0));
      },
      100);
  threads.Start();
  WaitFor([&] { return load.TotalCommits() >= 2000; });
  load.header()->stop.store(true);
  threads.Join();

  EXPECT_EQ(load.header()->ready_clients.load(), kClients);
  uint64_t total = 0;
  for (int c = 0; c < kClients; ++c) {
    const ClientSlot& slot = *load.slot(c);
    const auto& seqs = committed[c];
    EXPECT_EQ(slot.state.load(), ClientSlot::kStopped) << c;
    ASSERT_EQ(slot.commits.load(), seqs.size()) << c;
    // Acknowledged seqs are 1..acked, each once, in order; the retried ones included.
    for (size_t i = 0; i < seqs.size(); ++i) ASSERT_EQ(seqs[i], i + 1) << c;
    EXPECT_EQ(slot.acked.load(), seqs.size()) << c;
    EXPECT_GE(slot.attempted.load(), slot.acked.load()) << c;
    EXPECT_LE(slot.attempted.load(), slot.acked.load() + 1) << c;
    total += seqs.size();
  }
  EXPECT_EQ(load.TotalCommits(), total);
  EXPECT_EQ(HistogramTotal(load), total);
}

// Paced at 400 tps, 4 clients commit at most one transaction each per 10 ms, staggered: over
// any run no more than rate x elapsed + one per client (the first turns come at once). An upper
// bound only, so a busy machine cannot fail it; the clients still commit.
TEST(ThreadLoad, PacedLoadStaysAtOrUnderTheRate) {
  constexpr int kClients = 4;
  auto shared = SharedLoad::Create(kClients);
  ASSERT_TRUE(shared.ok());
  SharedLoad& load = **shared;
  std::vector<std::vector<uint64_t>> committed(kClients);
  const auto start = std::chrono::steady_clock::now();
  ThreadLoad threads(
      &load,
      [&](int client) -> Result<std::unique_ptr<Session>> {
        return std::unique_ptr<Session>(std::make_unique<FakeSession>(&committed[client], 0));
      },
      100, 400);
  threads.Start();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  load.header()->stop.store(true);
  threads.Join();
  const double elapsed_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const uint64_t commits = load.TotalCommits();
  EXPECT_GT(commits, 0u);
  // Retried seqs (every 7th, FakeSession) use a turn without a commit: still under the bound.
  EXPECT_LE(static_cast<double>(commits), 400 * elapsed_s + kClients);
  for (int c = 0; c < kClients; ++c) EXPECT_EQ(load.slot(c)->state.load(), ClientSlot::kStopped);
}

TEST(ThreadLoad, FailedSessionsAndConnectionsMarkTheClientFailed) {
  auto shared = SharedLoad::Create(2);
  ASSERT_TRUE(shared.ok());
  SharedLoad& load = **shared;
  std::vector<uint64_t> committed;
  ThreadLoad threads(
      &load,
      [&](int client) -> Result<std::unique_ptr<Session>> {
        if (client == 1) return Status::Unavailable("connect", "no server");
        return std::unique_ptr<Session>(std::make_unique<FakeSession>(&committed, 10));
      },
      16);
  threads.Start();
  threads.Join();  // Both clients end on their own: one cannot connect, one fails at seq 10.
  EXPECT_EQ(load.slot(0)->state.load(), ClientSlot::kFailed);
  EXPECT_EQ(load.slot(0)->acked.load(), 9u);
  EXPECT_EQ(load.slot(0)->attempted.load(), 10u);
  EXPECT_NE(std::string(load.slot(0)->error).find("connection lost"), std::string::npos);
  EXPECT_EQ(load.slot(1)->state.load(), ClientSlot::kFailed);
  EXPECT_NE(std::string(load.slot(1)->error).find("no server"), std::string::npos);
  EXPECT_EQ(load.header()->ready_clients.load(), 2);
}

// As the SQLite target runs it: the clients run in a forked writer; the parent watches the
// shared counters, then stops the writer (stop flag) or kills it (SIGKILL) and reads them.
void RunForkedWriter(bool kill_it) {
  constexpr int kClients = 3;
  auto shared = SharedLoad::Create(kClients);
  ASSERT_TRUE(shared.ok());
  SharedLoad& load = **shared;
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    std::vector<std::vector<uint64_t>> committed(kClients);
    {
      ThreadLoad threads(
          &load,
          [&](int client) -> Result<std::unique_ptr<Session>> {
            return std::unique_ptr<Session>(std::make_unique<FakeSession>(&committed[client], 0));
          },
          100);
      threads.Start();
      threads.Join();
    }
    _exit(0);
  }
  WaitFor([&] { return load.TotalCommits() >= 1000; });
  if (kill_it) {
    kill(pid, SIGKILL);
  } else {
    load.header()->stop.store(true);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  if (kill_it) {
    EXPECT_TRUE(WIFSIGNALED(status));
  } else {
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  for (int c = 0; c < kClients; ++c) {
    const ClientSlot& slot = *load.slot(c);
    if (!kill_it) {
      EXPECT_EQ(slot.state.load(), ClientSlot::kStopped) << c;
    }
    // A kill may land between "acked" and "commits" of one commit: at most one apart.
    EXPECT_LE(slot.commits.load(), slot.acked.load()) << c;
    EXPECT_GE(slot.commits.load() + 1, slot.acked.load()) << c;
    EXPECT_GE(slot.attempted.load(), slot.acked.load()) << c;
    EXPECT_LE(slot.attempted.load(), slot.acked.load() + 1) << c;
  }
  EXPECT_GE(load.TotalCommits(), 1000u);
}

TEST(ThreadLoad, ForkedWriterStoppedByFlag) { RunForkedWriter(false); }
TEST(ThreadLoad, ForkedWriterKilled) { RunForkedWriter(true); }

}  // namespace
}  // namespace waltune::verify
