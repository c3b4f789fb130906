// MariaDB on the simulator: mariadb-install-db and mariadbd (as user mysql) on the mount, a
// client commits one row per statement and prints each id once the commit is acknowledged;
// the server's process group is SIGKILLed, the power cut, the server restarted. With
// innodb_flush_log_at_trx_commit=1 no acknowledged row may be missing after any cut.
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <fstream>
#include <string>
#include <vector>

#include "mount_fixture.h"
#include "process_util.h"

namespace waltune::powercut::testing {
namespace {

class PowercutMariadbTest : public MountTest {
 protected:
  void SetUp() override {
    pw_ = getpwnam("mysql");
    if (pw_ == nullptr || access("/usr/sbin/mariadbd", X_OK) != 0) {
      GTEST_SKIP() << "MariaDB or the mysql user is missing";
    }
    MountTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    data_ = mnt_ + "/data";
    sock_dir_ = root_ + "/sock";
    sock_ = sock_dir_ + "/mysqld.sock";
    log_ = root_ + "/mariadb.log";
    ASSERT_EQ(mkdir(data_.c_str(), 0750), 0);
    ASSERT_EQ(chown(data_.c_str(), pw_->pw_uid, pw_->pw_gid), 0);
    ASSERT_EQ(mkdir(sock_dir_.c_str(), 0755), 0);
    ASSERT_EQ(chown(sock_dir_.c_str(), pw_->pw_uid, pw_->pw_gid), 0);
  }

  void TearDown() override {
    if (loader_ > 0) KillGroup(loader_);
    if (server_ > 0) KillGroup(server_);
    MountTest::TearDown();
  }

  void StartServer() {
    server_ = Spawn({"/usr/sbin/mariadbd", "--no-defaults", "--user=mysql", "--datadir=" + data_,
                     "--socket=" + sock_, "--skip-networking",
                     "--innodb-flush-log-at-trx-commit=" + std::to_string(trx_commit_),
                     "--innodb-buffer-pool-size=64M"},
                    nullptr, log_);
    ASSERT_GT(server_, 0);
    for (int i = 0; i < 1200; ++i) {
      if (Capture("mariadb-admin --socket=" + sock_ + " ping >/dev/null 2>&1; echo $?") == "0") {
        return;
      }
      int status = 0;
      ASSERT_NE(waitpid(server_, &status, WNOHANG), server_) << "mariadbd exited; see " << log_;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    FAIL() << "mariadbd did not become ready; see " << log_;
  }

  std::string Sql(const std::string& sql) {
    return Capture("mariadb --socket=" + sock_ + " -N -B -e \"" + sql + "\" 2>&1");
  }

  // Last id the loader printed on a complete line, i.e. the last acknowledged commit.
  int64_t LastAcked(const std::string& ack_file) {
    std::ifstream in(ack_file);
    std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    size_t end = content.rfind('\n');
    if (end == std::string::npos) return 0;
    size_t start = content.rfind('\n', end - 1);
    std::string line = content.substr(start == std::string::npos ? 0 : start + 1,
                                      end - (start == std::string::npos ? 0 : start + 1));
    return line.empty() || !std::isdigit(line[0]) ? 0 : std::stoll(line);
  }

  const passwd* pw_ = nullptr;
  std::string data_, sock_dir_, sock_, log_;
  pid_t server_ = -1;
  pid_t loader_ = -1;
  int trx_commit_ = 1;

  // Installs, then "cuts" times: load until 300+ commits are acknowledged, SIGKILL, cut,
  // restart, count acknowledged rows that are missing. Returns lost per cut.
  std::vector<int64_t> RunCuts(int trx_commit, int cuts);
};

std::vector<int64_t> PowercutMariadbTest::RunCuts(int trx_commit, int cuts) {
  trx_commit_ = trx_commit;
  std::vector<int64_t> result;

  EXPECT_EQ(Wait(Spawn({"/usr/bin/mariadb-install-db", "--no-defaults", "--user=mysql",
                        "--datadir=" + data_},
                       nullptr, log_)),
            0)
      << "mariadb-install-db failed; see " << log_;
  StartServer();
  EXPECT_EQ(Sql("CREATE DATABASE w; CREATE TABLE w.t(id BIGINT PRIMARY KEY, v INT) "
                "ENGINE=InnoDB; SELECT 'ready'"),
            "ready");
  int64_t first = 1;
  for (int cut = 1; cut <= cuts && !HasFailure(); ++cut) {
    std::string acks = root_ + "/acks" + std::to_string(cut);
    // Autocommit inserts; "SELECT id" is printed only after its INSERT was acknowledged.
    std::string script = "seq " + std::to_string(first) + " " + std::to_string(first + 1000000) +
                         " | awk '{print \"INSERT INTO w.t VALUES(\" $1 \", 1); SELECT \" $1 "
                         "\";\"}' | mariadb --socket=" +
                         sock_ + " -N -B --unbuffered > " + acks;
    loader_ = Spawn({"/bin/sh", "-c", script}, nullptr, log_);
    for (int i = 0; i < 1200 && LastAcked(acks) < first + 300; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    KillGroup(server_);
    server_ = -1;
    KillGroup(loader_);
    loader_ = -1;
    int64_t acked = LastAcked(acks);
    EXPECT_GE(acked, first + 300) << "the loader did not get going; see " << log_;
    CutStats stats = Cut();
    EXPECT_GT(stats.discarded_bytes, 0u);
    StartServer();
    int64_t present = std::stoll(Sql("SELECT count(*) FROM w.t WHERE id BETWEEN " +
                                     std::to_string(first) + " AND " + std::to_string(acked)));
    int64_t lost = acked - first + 1 - present;
    std::printf(
        "[mariadb trx_commit=%d] cut %d: acked=%lld lost=%lld discarded_bytes=%llu "
        "names_undone=%llu\n",
        trx_commit, cut, static_cast<long long>(acked - first + 1), static_cast<long long>(lost),
        static_cast<unsigned long long>(stats.discarded_bytes),
        static_cast<unsigned long long>(stats.names_undone));
    result.push_back(lost);
    EXPECT_EQ(Sql("CHECK TABLE w.t").substr(Sql("CHECK TABLE w.t").rfind('\t') + 1), "OK");
    first = std::stoll(Sql("SELECT coalesce(max(id), 0) + 1 FROM w.t"));
  }
  return result;
}

TEST_F(PowercutMariadbTest, TrxCommit1LosesNoAcknowledgedCommit) {
  std::vector<int64_t> lost = RunCuts(1, 2);
  EXPECT_EQ(lost.size(), 2u);
  for (int64_t l : lost) EXPECT_EQ(l, 0);
}

TEST_F(PowercutMariadbTest, TrxCommit2LosesAcknowledgedCommits) {
  // =2 writes the redo log at every commit (so kill -9 loses nothing) but flushes it only about
  // once a second: a power cut loses what came after the last flush.
  std::vector<int64_t> lost = RunCuts(2, 3);
  EXPECT_EQ(lost.size(), 3u);
  int64_t total = 0;
  for (int64_t l : lost) total += l;
  EXPECT_GT(total, 0);
}

}  // namespace
}  // namespace waltune::powercut::testing
