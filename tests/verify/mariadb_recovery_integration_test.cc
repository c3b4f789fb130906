// verify's MariaDB target after a SIGKILL: InnoDB accepts connections while it still rolls back
// the transactions the kill left open and purges the history it left, both in the background,
// and the integrity check must not run before either is over (CHECK TABLE ... EXTENDED beside
// them can answer "Corrupt" and flag the table for every later read). A real server in a temp
// dir.
#include <gtest/gtest.h>
#include <mysql.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "load.h"
#include "our_children.h"
#include "process.h"
#include "sessions.h"
#include "targets.h"
#include "waltune/verify.h"

namespace waltune {
namespace {

namespace fs = std::filesystem;

using testing::OurChildren;

class MariadbRecovery : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/waltune-mtest-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    parent_ = tmpl;
    chmod(parent_.c_str(), 0755);  // the server's own user must reach its dir
    InstallCleanupSignalHandlers();
    Result<std::unique_ptr<verify::SharedLoad>> shared = verify::SharedLoad::Create(1);
    ASSERT_TRUE(shared.ok()) << shared.status().ToString();
    shared_ = std::move(shared).value();
  }
  void TearDown() override {
    EXPECT_TRUE(verify::ProcessesMentioning(parent_).empty());
    EXPECT_TRUE(OurChildren().empty());
    std::error_code ec;
    fs::remove_all(parent_, ec);
  }

  // The number of transactions InnoDB recovered and has not finished rolling back: the ones in
  // INNODB_TRX without a client thread.
  static uint64_t RecoveredLeft(MYSQL* conn) {
    const char* sql =
        "SELECT COUNT(*) FROM information_schema.INNODB_TRX WHERE trx_mysql_thread_id = 0";
    EXPECT_EQ(mysql_query(conn, sql), 0) << mysql_error(conn);
    MYSQL_RES* res = mysql_store_result(conn);
    if (res == nullptr) return ~0ull;
    MYSQL_ROW row = mysql_fetch_row(res);
    const uint64_t left = row && row[0] ? std::stoull(row[0]) : ~0ull;
    mysql_free_result(res);
    return left;
  }

  // A MariaDB target set up (the load table in place) with its one client started; nullptr
  // after a failure. The tests insert from seq_1_to_N, a table of MariaDB's sequence engine.
  std::unique_ptr<verify::Target> StartedServer() {
    VerifyOptions o;
    o.engine = Engine::kMariaDB;
    o.clients = 1;
    o.parent_dir = parent_;
    Result<std::unique_ptr<verify::Target>> made = verify::MakeTarget(o);
    EXPECT_TRUE(made.ok()) << made.status().ToString();
    if (!made.ok()) return nullptr;
    std::unique_ptr<verify::Target> target = std::move(made).value();
    Status setup = target->Setup({});
    EXPECT_TRUE(setup.ok()) << setup.ToString();
    Status load = !setup.ok() ? setup
                  : shared_   ? target->StartLoad(shared_.get())
                              : Status::Unavailable("test", "no shared load state");
    EXPECT_TRUE(load.ok()) << load.ToString();
    return load.ok() ? std::move(target) : nullptr;
  }

  // Undo logs InnoDB still holds for purge (trx_sys.history_size_approx()).
  static uint64_t HistoryLength(MYSQL* conn) {
    const char* sql = "SHOW GLOBAL STATUS WHERE Variable_name = 'Innodb_history_list_length'";
    EXPECT_EQ(mysql_query(conn, sql), 0) << mysql_error(conn);
    MYSQL_RES* res = mysql_store_result(conn);
    if (res == nullptr) return ~0ull;
    MYSQL_ROW row = mysql_fetch_row(res);
    const uint64_t left = row && row[1] ? std::stoull(row[1]) : ~0ull;
    mysql_free_result(res);
    return left;
  }

  std::string parent_;
  // The clients' shared state outlives the targets, whose clients write into it.
  std::unique_ptr<verify::SharedLoad> shared_;
};

TEST_F(MariadbRecovery, IntegrityCheckWaitsForTheRollbackOfRecoveredTransactions) {
  std::unique_ptr<verify::Target> target = StartedServer();
  ASSERT_NE(target, nullptr);

  // 400 000 rows (~60 MB) inserted and never committed: InnoDB's rollback of them after the
  // restart takes seconds, and longer on a busy machine.
  const std::string socket = target->dir() + "/mysqld.sock";
  Result<MYSQL*> open = verify::ConnectMariadb(socket);
  ASSERT_TRUE(open.ok()) << open.status().ToString();
  MYSQL* conn = *open;
  ASSERT_EQ(mysql_query(conn, "BEGIN"), 0) << mysql_error(conn);
  ASSERT_EQ(mysql_query(conn,
                        "INSERT INTO waltune.waltune_load SELECT 1000000, seq, REPEAT('x', 100) "
                        "FROM waltune.seq_1_to_400000"),
            0)
      << mysql_error(conn);
  ASSERT_TRUE(target->Crash().ok());
  mysql_close(conn);

  Result<verify::RecoveryInfo> info = target->Restart();
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  // The premise: the restart found the open transaction to roll back.
  EXPECT_NE(info->log_tail.find("which must be rolled back"), std::string::npos) << info->log_tail;

  std::string check;
  Result<std::vector<std::string>> problems = target->CheckIntegrity(&check);
  ASSERT_TRUE(problems.ok()) << problems.status().ToString();
  EXPECT_TRUE(problems->empty()) << ::testing::PrintToString(*problems);
  EXPECT_NE(check.find("rolled back"), std::string::npos) << check;
  // The check ran once the rollback was over: nothing recovered is left.
  Result<MYSQL*> again = verify::ConnectMariadb(socket);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(RecoveredLeft(*again), 0u);
  mysql_close(*again);
  // What the server logged after the restart returned is the background rollback's account,
  // not the restart's: the log beside a failed check (verify's "logged during the checks").
  std::string after = target->LogSinceRestart(verify::kRecoveryLogTailBytes);
  for (int i = 0; i < 100 && after.find("Rolled back recovered transaction") == std::string::npos;
       ++i) {
    usleep(100 * 1000);  // the line may follow the transaction's leaving INNODB_TRX
    after = target->LogSinceRestart(verify::kRecoveryLogTailBytes);
  }
  EXPECT_NE(after.find("Rolled back recovered transaction"), std::string::npos) << after;
  EXPECT_EQ(after.find("Starting crash recovery"), std::string::npos) << after;
  // And none of the rolled-back rows is there.
  Result<verify::PresentRows> present = target->ReadPresent();
  ASSERT_TRUE(present.ok()) << present.status().ToString();
  EXPECT_EQ(present->count(1000000), 0u);
  EXPECT_TRUE(target->Shutdown().ok());
}

// Committed deletes whose history a read view kept from purge until the kill: after the restart
// purge removes 200 000 delete-marked rows in the background, and the check waits for it.
TEST_F(MariadbRecovery, IntegrityCheckWaitsForThePurgeOfHistory) {
  std::unique_ptr<verify::Target> target = StartedServer();
  ASSERT_NE(target, nullptr);

  const std::string socket = target->dir() + "/mysqld.sock";
  Result<MYSQL*> writer = verify::ConnectMariadb(socket);
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  Result<MYSQL*> reader = verify::ConnectMariadb(socket);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  ASSERT_EQ(mysql_query(*writer,
                        "INSERT INTO waltune.waltune_load SELECT 1000000, seq, REPEAT('x', 100) "
                        "FROM waltune.seq_1_to_200000"),
            0)
      << mysql_error(*writer);
  // The reader's snapshot keeps purge from the deletes' history until the kill.
  ASSERT_EQ(mysql_query(*reader, "START TRANSACTION WITH CONSISTENT SNAPSHOT"), 0)
      << mysql_error(*reader);
  ASSERT_EQ(mysql_query(*writer, "DELETE FROM waltune.waltune_load WHERE client_id = 1000000"), 0)
      << mysql_error(*writer);
  // The premise: history is left for purge when the server is killed.
  EXPECT_GT(HistoryLength(*writer), 0u);
  ASSERT_TRUE(target->Crash().ok());
  mysql_close(*writer);
  mysql_close(*reader);

  Result<verify::RecoveryInfo> info = target->Restart();
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  std::string check;
  Result<std::vector<std::string>> problems = target->CheckIntegrity(&check);
  ASSERT_TRUE(problems.ok()) << problems.status().ToString();
  EXPECT_TRUE(problems->empty()) << ::testing::PrintToString(*problems);
  EXPECT_NE(check.find("history is purged"), std::string::npos) << check;
  // The check ran once purge was done: no history is left, and no deleted row is there.
  Result<MYSQL*> again = verify::ConnectMariadb(socket);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(HistoryLength(*again), 0u);
  mysql_close(*again);
  Result<verify::PresentRows> present = target->ReadPresent();
  ASSERT_TRUE(present.ok()) << present.status().ToString();
  EXPECT_EQ(present->count(1000000), 0u);
  EXPECT_TRUE(target->Shutdown().ok());
}

}  // namespace
}  // namespace waltune
