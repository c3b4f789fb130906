#include "group_commit_log.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <thread>

#include "fake_env.h"

namespace waltune {
namespace {

using testing::FakeEnv;
using testing::FakeOp;

constexpr uint64_t kPage = 8192;

class GroupCommitLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_.keep_content = true;
    env_.AddDirectory("/d");
    FileOptions create;
    create.create_exclusive = true;
    auto f = env_.OpenFile("/d/log", create);
    ASSERT_TRUE(f.ok());
    file_ = std::move(f).value();
  }

  std::vector<FakeOp> Writes() const {
    std::vector<FakeOp> writes;
    for (const FakeOp& op : env_.ops()) {
      if (op.kind == FakeOp::Kind::kWrite) writes.push_back(op);
    }
    return writes;
  }

  FakeEnv env_;
  std::unique_ptr<ProbeFile> file_;
};

TEST_F(GroupCommitLogTest, SingleWriterFlushesOncePerCommitRewritingThePartialPage) {
  GroupCommitLog log(file_.get(), 4 * kPage, kPage, FlushCall::kFdatasync);
  const std::string a(512, 'a'), b(512, 'b'), c(512, 'c');
  ASSERT_TRUE(log.Commit(a.data(), a.size()).ok());
  ASSERT_TRUE(log.Commit(b.data(), b.size()).ok());
  ASSERT_TRUE(log.Commit(c.data(), c.size()).ok());
  EXPECT_EQ(log.commits(), 3u);
  EXPECT_EQ(log.flushes(), 3u);
  EXPECT_EQ(env_.CountOps(FakeOp::Kind::kFdatasync), 3);
  std::vector<FakeOp> writes = Writes();
  ASSERT_EQ(writes.size(), 3u);
  for (const FakeOp& w : writes) {
    EXPECT_EQ(w.offset_bytes, 0u);  // page 0 written again with one more record each time
    EXPECT_EQ(w.bytes, kPage);
  }
  EXPECT_EQ(env_.Content("/d/log").substr(0, 1536), a + b + c);
  EXPECT_EQ(env_.Content("/d/log")[1536], '\0');
}

TEST_F(GroupCommitLogTest, RecordsCrossingAPageBoundaryWriteBothPages) {
  GroupCommitLog log(file_.get(), 4 * kPage, kPage, FlushCall::kFdatasync);
  const std::string r(5000, 'r');
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(log.Commit(r.data(), r.size()).ok());
  std::vector<FakeOp> writes = Writes();
  ASSERT_EQ(writes.size(), 3u);
  EXPECT_EQ(writes[0].offset_bytes, 0u);  // [0, 5000) -> page 0
  EXPECT_EQ(writes[0].bytes, kPage);
  EXPECT_EQ(writes[1].offset_bytes, 0u);  // [0, 10000) -> pages 0-1
  EXPECT_EQ(writes[1].bytes, 2 * kPage);
  EXPECT_EQ(writes[2].offset_bytes, kPage);  // [8192, 15000) -> page 1 only
  EXPECT_EQ(writes[2].bytes, kPage);
  EXPECT_EQ(env_.Content("/d/log").substr(0, 15000), std::string(15000, 'r'));
}

TEST_F(GroupCommitLogTest, WrapsAroundAtCapacity) {
  GroupCommitLog log(file_.get(), 2 * kPage, kPage, FlushCall::kFdatasync);
  const std::string x(kPage, 'x'), y(kPage, 'y'), z(kPage, 'z');
  ASSERT_TRUE(log.Commit(x.data(), x.size()).ok());
  ASSERT_TRUE(log.Commit(y.data(), y.size()).ok());
  ASSERT_TRUE(log.Commit(z.data(), z.size()).ok());
  std::vector<FakeOp> writes = Writes();
  ASSERT_EQ(writes.size(), 3u);
  EXPECT_EQ(writes[0].offset_bytes, 0u);
  EXPECT_EQ(writes[1].offset_bytes, kPage);
  EXPECT_EQ(writes[2].offset_bytes, 0u);  // logical offset 16384 wraps to 0
  EXPECT_EQ(env_.Content("/d/log"), z + y);
}

TEST_F(GroupCommitLogTest, BatchStraddlingTheEndIsSplitInTwoWrites) {
  GroupCommitLog log(file_.get(), 2 * kPage, kPage, FlushCall::kFdatasync);
  const std::string a(kPage, 'a'), b(2 * kPage, 'b');
  ASSERT_TRUE(log.Commit(a.data(), a.size()).ok());
  ASSERT_TRUE(log.Commit(b.data(), b.size()).ok());  // logical [8192, 24576)
  std::vector<FakeOp> writes = Writes();
  ASSERT_EQ(writes.size(), 3u);
  EXPECT_EQ(writes[1].offset_bytes, kPage);
  EXPECT_EQ(writes[1].bytes, kPage);
  EXPECT_EQ(writes[2].offset_bytes, 0u);
  EXPECT_EQ(writes[2].bytes, kPage);
  EXPECT_EQ(env_.CountOps(FakeOp::Kind::kFdatasync), 2);
}

TEST_F(GroupCommitLogTest, DsyncLogMakesNoFlushCalls) {
  GroupCommitLog log(file_.get(), 4 * kPage, kPage, FlushCall::kNone);
  const std::string a(100, 'a');
  ASSERT_TRUE(log.Commit(a.data(), a.size()).ok());
  ASSERT_TRUE(log.Commit(a.data(), a.size()).ok());
  EXPECT_EQ(log.flushes(), 2u);
  EXPECT_EQ(env_.CountOps(FakeOp::Kind::kFdatasync), 0);
  EXPECT_EQ(env_.CountOps(FakeOp::Kind::kFsync), 0);
  EXPECT_EQ(Writes().size(), 2u);
}

TEST_F(GroupCommitLogTest, FsyncLogCallsFsync) {
  GroupCommitLog log(file_.get(), 4 * kPage, kPage, FlushCall::kFsync);
  const std::string a(100, 'a');
  ASSERT_TRUE(log.Commit(a.data(), a.size()).ok());
  EXPECT_EQ(env_.CountOps(FakeOp::Kind::kFsync), 1);
  EXPECT_EQ(env_.CountOps(FakeOp::Kind::kFdatasync), 0);
}

// Writer A leads the first flush; while it is flushing, B, C and D append. All three must ride
// the second flush together: 4 commits, 2 flushes, mean batch 2.
TEST_F(GroupCommitLogTest, RecordsArrivingDuringAFlushRideTheNextOneTogether) {
  GroupCommitLog log(file_.get(), 16 * kPage, kPage, FlushCall::kFdatasync);
  std::mutex mu;
  std::condition_variable cv;
  bool first_flush_started = false;
  std::atomic<int> flush_calls{0};
  env_.on_flush = [&] {
    if (flush_calls.fetch_add(1) != 0) return;
    {
      std::lock_guard<std::mutex> lock(mu);
      first_flush_started = true;
    }
    cv.notify_all();
    // Hold the first flush until the three followers are queued behind it.
    while (log.TEST_WaitingRecords() < 3) std::this_thread::yield();
  };
  const std::string rec(512, 'r');
  std::thread a([&] { ASSERT_TRUE(log.Commit(rec.data(), rec.size()).ok()); });
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return first_flush_started; });
  }
  std::vector<std::thread> followers;
  for (int i = 0; i < 3; ++i) {
    followers.emplace_back([&] { ASSERT_TRUE(log.Commit(rec.data(), rec.size()).ok()); });
  }
  a.join();
  for (std::thread& t : followers) t.join();
  EXPECT_EQ(log.commits(), 4u);
  EXPECT_EQ(log.flushes(), 2u);
  EXPECT_EQ(flush_calls.load(), 2);
  std::vector<FakeOp> writes = Writes();
  ASSERT_EQ(writes.size(), 2u);
  EXPECT_EQ(writes[1].offset_bytes, 0u);
  EXPECT_EQ(env_.Content("/d/log").substr(0, 2048), std::string(2048, 'r'));
}

// Many writers, real threads: whatever the interleaving, every commit is covered by exactly one
// flush's batch and no batch exceeds the number of writers.
TEST_F(GroupCommitLogTest, ConcurrentWritersBatchesAccountForEveryCommit) {
  GroupCommitLog log(file_.get(), 64 * kPage, kPage, FlushCall::kFdatasync);
  env_.on_flush = [] { std::this_thread::sleep_for(std::chrono::microseconds(200)); };
  constexpr int kWriters = 8, kCommitsEach = 50;
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&log] {
      const std::string rec(64, 'q');
      for (int i = 0; i < kCommitsEach; ++i) ASSERT_TRUE(log.Commit(rec.data(), rec.size()).ok());
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(log.commits(), static_cast<uint64_t>(kWriters * kCommitsEach));
  EXPECT_GE(log.flushes() * kWriters, log.commits());  // mean batch <= writers
  EXPECT_LE(log.flushes(), log.commits());
  EXPECT_EQ(env_.Content("/d/log").substr(0, 64 * kWriters * kCommitsEach),
            std::string(64 * kWriters * kCommitsEach, 'q'));
}

class FailingFile : public ProbeFile {
 public:
  Status WriteAt(uint64_t, const char*, size_t) override { return Status::Ok(); }
  Status Fdatasync() override {
    ++calls;
    return Status::IOError("/d/log: fdatasync", "Input/output error");
  }
  Status Fsync() override { return Status::Ok(); }
  Status ReadAt(uint64_t, char*, size_t) override { return Status::Ok(); }
  Status DropCache() override { return Status::Ok(); }
  Status Allocate(uint64_t) override { return Status::Ok(); }
  int calls = 0;
};

TEST(GroupCommitLogErrorTest, FlushErrorIsStickyAndNothingCountsAsCommitted) {
  FailingFile file;
  GroupCommitLog log(&file, 4 * kPage, kPage, FlushCall::kFdatasync);
  const std::string a(10, 'a');
  Status s = log.Commit(a.data(), a.size());
  EXPECT_EQ(s.code(), Status::Code::kIOError);
  EXPECT_EQ(s.message(), "Input/output error");
  EXPECT_EQ(log.Commit(a.data(), a.size()).code(), Status::Code::kIOError);
  EXPECT_EQ(file.calls, 1);
  EXPECT_EQ(log.commits(), 0u);
}

}  // namespace
}  // namespace waltune
