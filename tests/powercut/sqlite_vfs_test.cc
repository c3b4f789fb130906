// SqlitePowercutVfs: the in-process power cut for SQLite (no FUSE needed).
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "waltune/powercut.h"

namespace waltune::powercut {
namespace {

bool Exec(sqlite3* db, const std::string& sql) {
  return sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK;
}

std::string Query(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) return "error";
  std::string out = "none";
  int rc = sqlite3_step(stmt);
  if (rc == SQLITE_ROW) {
    out = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  } else if (rc != SQLITE_DONE) {
    out = "error";
  }
  sqlite3_finalize(stmt);
  return out;
}

class SqliteVfsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "powercut-vfs-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    auto vfs = SqlitePowercutVfs::Register("powercut-test");
    ASSERT_TRUE(vfs.ok()) << vfs.status().ToString();
    vfs_ = std::move(vfs).value();
  }
  void TearDown() override {
    if (db_ != nullptr) sqlite3_close_v2(db_);
    vfs_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  sqlite3* Open() {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2((dir_ + "/t.db").c_str(), &db,
                              SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs_->name().c_str()),
              SQLITE_OK);
    return db;
  }

  // Creates the table durably, then for each of "cuts" rounds commits "commits" rows, cuts,
  // closes the dead connection and counts lost acknowledged rows. Returns lost per round.
  std::vector<int> Rounds(const std::string& mode, const std::string& sync, int cuts, int commits) {
    db_ = Open();
    EXPECT_TRUE(Exec(db_, "PRAGMA journal_mode=" + mode +
                              "; PRAGMA synchronous=FULL; "
                              "CREATE TABLE t(id INTEGER PRIMARY KEY, pad BLOB)"));
    sqlite3_close_v2(db_);
    std::vector<int> lost;
    int next = 1;
    for (int c = 0; c < cuts; ++c) {
      db_ = Open();
      EXPECT_TRUE(Exec(db_, "PRAGMA journal_mode=" + mode + "; PRAGMA synchronous=" + sync));
      int first = next;
      for (int i = 0; i < commits; ++i, ++next) {
        EXPECT_TRUE(
            Exec(db_, "INSERT INTO t VALUES(" + std::to_string(next) + ", randomblob(200))"));
      }
      auto cut = vfs_->Cut();
      EXPECT_TRUE(cut.ok()) << cut.status().ToString();
      EXPECT_FALSE(Exec(db_, "INSERT INTO t VALUES(-1, 'after the cut')"));  // Power is off.
      sqlite3_close_v2(db_);
      db_ = Open();
      EXPECT_EQ(Query(db_, "PRAGMA integrity_check"), "ok");
      int present =
          std::stoi(Query(db_, "SELECT count(*) FROM t WHERE id BETWEEN " + std::to_string(first) +
                                   " AND " + std::to_string(next - 1)));
      lost.push_back(commits - present);
      next = std::stoi(Query(db_, "SELECT coalesce(max(id), 0) + 1 FROM t"));
      std::printf("[vfs %s/%s] cut %d: acked=%d lost=%d discarded_bytes=%llu\n", mode.c_str(),
                  sync.c_str(), c + 1, commits, commits - present,
                  cut.ok() ? static_cast<unsigned long long>(cut->discarded_bytes) : 0ull);
      sqlite3_close_v2(db_);
      db_ = nullptr;
    }
    return lost;
  }

  std::string dir_;
  std::unique_ptr<SqlitePowercutVfs> vfs_;
  sqlite3* db_ = nullptr;
};

TEST_F(SqliteVfsTest, WalFullLosesNothing) {
  for (int lost : Rounds("WAL", "FULL", 3, 100)) EXPECT_EQ(lost, 0);
}

TEST_F(SqliteVfsTest, DeleteExtraLosesNothing) {
  for (int lost : Rounds("DELETE", "EXTRA", 3, 40)) EXPECT_EQ(lost, 0);
}

TEST_F(SqliteVfsTest, DeleteFullLosesExactlyTheLastCommit) {
  // The journal unlink that commits is not durable without a directory sync.
  for (int lost : Rounds("DELETE", "FULL", 3, 40)) EXPECT_EQ(lost, 1);
}

TEST_F(SqliteVfsTest, WalOffLosesAcknowledgedCommits) {
  int total = 0;
  for (int lost : Rounds("WAL", "OFF", 4, 200)) total += lost;
  EXPECT_GT(total, 0);
}

TEST_F(SqliteVfsTest, OpenTransactionAtCutIsRolledBack) {
  db_ = Open();
  ASSERT_TRUE(Exec(db_,
                   "PRAGMA journal_mode=DELETE; PRAGMA cache_size=1; "
                   "CREATE TABLE t(id INTEGER PRIMARY KEY, pad BLOB); "
                   "INSERT INTO t VALUES(1, 'kept')"));
  // A big transaction spills pages into the database file before it commits.
  ASSERT_TRUE(Exec(db_,
                   "BEGIN; WITH RECURSIVE n(i) AS (SELECT 2 UNION ALL SELECT i+1 FROM n "
                   "WHERE i < 3000) INSERT INTO t SELECT i, randomblob(500) FROM n"));
  auto cut = vfs_->Cut();
  ASSERT_TRUE(cut.ok());
  sqlite3_close_v2(db_);
  db_ = Open();
  EXPECT_EQ(Query(db_, "PRAGMA integrity_check"), "ok");
  EXPECT_EQ(Query(db_, "SELECT group_concat(pad) FROM t"), "kept");
}

// A cut that lands while writers are inside xWrite/xSync: a commit acknowledged by SQLite
// must survive, whatever the interleaving (a sync that completes around the cut must not report
// success for data the cut undid, and nothing may be written after the cut), and whichever
// connection created the WAL (every connection's first WAL sync also syncs the directory).
TEST_F(SqliteVfsTest, CutDuringConcurrentCommitsLosesNoAcknowledgedCommit) {
  db_ = Open();
  ASSERT_TRUE(Exec(db_,
                   "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
                   "CREATE TABLE t(id INTEGER PRIMARY KEY, pad BLOB)"));
  sqlite3_close_v2(db_);
  db_ = nullptr;
  constexpr int kWriters = 4;
  constexpr int kRounds = 25;
  int64_t lost_total = 0;
  for (int round = 0; round < kRounds; ++round) {
    std::vector<sqlite3*> dbs(kWriters, nullptr);
    std::vector<std::atomic<int64_t>> acked(kWriters);
    std::vector<std::thread> writers;
    std::atomic<bool> started{false};
    for (int w = 0; w < kWriters; ++w) {
      dbs[w] = Open();
      ASSERT_TRUE(Exec(dbs[w], "PRAGMA synchronous=FULL"));
      sqlite3_busy_timeout(dbs[w], 5000);
      acked[w] = 0;
      writers.emplace_back([&, w] {
        const int64_t base = (static_cast<int64_t>(round) * kWriters + w) * 1000000;
        for (int64_t i = 1;; ++i) {
          if (!Exec(dbs[w],
                    "INSERT INTO t VALUES(" + std::to_string(base + i) + ", randomblob(100))")) {
            return;  // the power is off
          }
          acked[w] = i;
          started = true;
        }
      });
    }
    while (!started) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    std::this_thread::sleep_for(std::chrono::milliseconds(20 + round % 7));
    auto cut = vfs_->Cut();
    for (auto& t : writers) t.join();  // every writer fails once the power is off
    for (sqlite3* db : dbs) sqlite3_close_v2(db);
    ASSERT_TRUE(cut.ok()) << cut.status().ToString();
    db_ = Open();
    ASSERT_EQ(Query(db_, "PRAGMA integrity_check"), "ok");
    for (int w = 0; w < kWriters; ++w) {
      const int64_t base = (static_cast<int64_t>(round) * kWriters + w) * 1000000;
      const int64_t present = std::stoll(Query(db_, "SELECT count(*) FROM t WHERE id BETWEEN " +
                                                        std::to_string(base + 1) + " AND " +
                                                        std::to_string(base + acked[w].load())));
      lost_total += acked[w].load() - present;
    }
    sqlite3_close_v2(db_);
    db_ = nullptr;
  }
  EXPECT_EQ(lost_total, 0);
}

TEST_F(SqliteVfsTest, SecondRegistrationUnderSameNameFails) {
  auto again = SqlitePowercutVfs::Register("powercut-test");
  EXPECT_FALSE(again.ok());
}

}  // namespace
}  // namespace waltune::powercut
