// MariaDB under verify: the server target over libmariadb, and the parser of the crash-recovery
// lines of its error log.
#include <mysql.h>
#include <unistd.h>

#include <map>
#include <regex>

#include "process.h"
#include "sessions.h"
#include "settings_check.h"
#include "targets/server_target.h"
#include "waltune/parse_number.h"

namespace waltune::verify {

namespace {

class MariadbTarget : public ServerTarget {
 public:
  using ServerTarget::ServerTarget;
  ~MariadbTarget() override { CloseAdmin(); }

  Result<EngineSample> Sample() override {
    EngineSample s;
    s.cpu_s = CpuSeconds();
    std::map<std::string, std::string> status;
    WALTUNE_RETURN_IF_ERROR(
        Query("SHOW GLOBAL STATUS WHERE Variable_name IN ('Innodb_lsn_current', "
              "'Innodb_os_log_written', 'Innodb_lsn_last_checkpoint', 'Innodb_os_log_fsyncs', "
              "'Innodb_data_fsyncs')",
              &status));
    for (const char* name :
         {"Innodb_lsn_current", "Innodb_os_log_written", "Innodb_lsn_last_checkpoint",
          "Innodb_os_log_fsyncs", "Innodb_data_fsyncs"}) {
      if (status.count(name) && !ParseInteger<uint64_t>(status[name])) {
        return Status::IOError(std::string("SHOW GLOBAL STATUS ") + name,
                               "not a number: '" + status[name] + "'");
      }
    }
    if (status.count("Innodb_lsn_current")) {
      s.wal_bytes = *ParseInteger<uint64_t>(status["Innodb_lsn_current"]);
    } else if (status.count("Innodb_os_log_written")) {
      s.wal_bytes = *ParseInteger<uint64_t>(status["Innodb_os_log_written"]);
    }
    // Redo syncs: Innodb_os_log_fsyncs where the server has it; MariaDB 10.8+ dropped it, and
    // its log_t::flush -> os_file_flush counts in Innodb_data_fsyncs, every InnoDB file's syncs
    // (the page cleaner's and doublewrite's too, few in a short load).
    if (status.count("Innodb_os_log_fsyncs")) {
      s.wal_syncs = *ParseInteger<uint64_t>(status["Innodb_os_log_fsyncs"]);
    } else if (status.count("Innodb_data_fsyncs")) {
      s.wal_syncs = *ParseInteger<uint64_t>(status["Innodb_data_fsyncs"]);
    }
    if (status.count("Innodb_lsn_last_checkpoint")) {
      uint64_t ckpt_lsn = *ParseInteger<uint64_t>(status["Innodb_lsn_last_checkpoint"]);
      if (last_checkpoint_lsn_ != 0 && ckpt_lsn != last_checkpoint_lsn_) ++checkpoint_moves_;
      last_checkpoint_lsn_ = ckpt_lsn;
      s.checkpoints = checkpoint_moves_;
    }
    return s;
  }

  Result<CheckpointDistance> Distance() override {
    std::map<std::string, std::string> status;
    WALTUNE_RETURN_IF_ERROR(
        Query("SHOW GLOBAL STATUS WHERE Variable_name IN ('Innodb_lsn_current', "
              "'Innodb_lsn_last_checkpoint')",
              &status));
    std::optional<uint64_t> now = ParseU64Text(status["Innodb_lsn_current"]);
    std::optional<uint64_t> ckpt = ParseU64Text(status["Innodb_lsn_last_checkpoint"]);
    if (!now || !ckpt) {
      return Status::IOError("MariaDB checkpoint age",
                             "Innodb_lsn_current / "
                             "Innodb_lsn_last_checkpoint unreadable");
    }
    return CheckpointDistance{*now >= *ckpt ? *now - *ckpt : 0};
  }
  std::string DistanceSource() const override {
    return "Innodb_lsn_current - Innodb_lsn_last_checkpoint (SHOW GLOBAL STATUS)";
  }

  Result<PresentRows> ReadPresent() override {
    if (!admin_) return Status::Unavailable("MariaDB", "no admin connection");
    const char* sql = "SELECT client_id, seq FROM waltune.waltune_load ORDER BY 1, 2";
    if (mysql_query(admin_, sql) != 0) return Status::IOError("MariaDB", mysql_error(admin_));
    MYSQL_RES* res = mysql_use_result(admin_);
    if (!res) return Status::IOError("MariaDB", mysql_error(admin_));
    PresentRows rows;
    uint64_t read = 0;
    while (MYSQL_ROW row = mysql_fetch_row(res)) {
      std::optional<int> client = row[0] ? ParseInteger<int>(row[0]) : std::nullopt;
      std::optional<uint64_t> seq = row[1] ? ParseInteger<uint64_t>(row[1]) : std::nullopt;
      if (!client || !seq) {
        mysql_free_result(res);
        return Status::IOError("MariaDB read rows", "not a (client_id, seq) row");
      }
      rows[*client].push_back(*seq);
      ++read;
    }
    // mysql_fetch_row returns NULL at the end of the rows and on an error alike (e.g. a page
    // InnoDB finds corrupt part-way through the scan): rows not read are not rows lost.
    const unsigned int err = mysql_errno(admin_);
    const std::string message = err != 0 ? mysql_error(admin_) : "";
    mysql_free_result(res);
    if (err != 0) {
      return Status::IOError("MariaDB read rows", "the scan stopped after " + std::to_string(read) +
                                                      " rows: " + message);
    }
    return rows;
  }

  Result<std::vector<std::string>> CheckIntegrity(std::string* check) override {
    *check =
        "CHECK TABLE waltune.waltune_load EXTENDED, once the recovered transactions are rolled "
        "back and the history is purged";
    if (!admin_) return Status::Unavailable("MariaDB", "no admin connection");
    WALTUNE_RETURN_IF_ERROR(WaitForRecoveredRollback());
    WALTUNE_RETURN_IF_ERROR(WaitForPurgedHistory());
    if (mysql_query(admin_, "CHECK TABLE waltune.waltune_load EXTENDED") != 0) {
      return std::vector<std::string>{std::string("CHECK TABLE failed: ") + mysql_error(admin_)};
    }
    MYSQL_RES* res = mysql_store_result(admin_);
    if (!res) return Status::IOError("MariaDB CHECK TABLE", mysql_error(admin_));
    // Rows: Table, Op, Msg_type (status|error|info|note|warning), Msg_text; "status OK" ends it.
    std::vector<std::string> problems;
    bool status_ok = false;
    while (MYSQL_ROW row = mysql_fetch_row(res)) {
      if (mysql_num_fields(res) < 4 || !row[2] || !row[3]) continue;
      std::string type = row[2], text = row[3];
      if (type == "status" && text == "OK") {
        status_ok = true;
      } else if (type == "error" || type == "warning" || type == "status") {
        problems.push_back("CHECK TABLE " + type + ": " + text);
      }
    }
    mysql_free_result(res);
    if (!status_ok && problems.empty()) problems.push_back("CHECK TABLE did not report OK");
    return problems;
  }

 protected:
  std::unique_ptr<ServerInstance> NewInstance(const InstanceOptions& io) override {
    return std::make_unique<MariadbInstance>(io);
  }
  Status ConnectAdmin() override {
    CloseAdmin();
    Result<MYSQL*> conn = ConnectMariadb(instance_->socket_path());
    if (!conn.ok()) return conn.status();
    admin_ = *conn;
    return Status::Ok();
  }
  void CloseAdmin() override {
    if (admin_) mysql_close(admin_);
    admin_ = nullptr;
  }
  Status CreateSchema() override {
    std::map<std::string, std::string> ignored;
    WALTUNE_RETURN_IF_ERROR(Query("CREATE DATABASE waltune", &ignored));
    return Query(
        "CREATE TABLE waltune.waltune_load (client_id int NOT NULL, seq bigint NOT NULL, "
        "payload varchar(4000), PRIMARY KEY (client_id, seq)) ENGINE=InnoDB",
        &ignored);
  }
  Result<std::unique_ptr<Session>> OpenSession() override {
    return OpenMariadbSession(instance_->socket_path());
  }
  Result<std::unique_ptr<Session>> OpenWorkloadSession() override {
    return OpenMariadbWorkloadSession(instance_->socket_path(), layout_, options_.seed);
  }
  Status PrepareWorkload() override {
    std::map<std::string, std::string> ignored;
    for (const std::string& sql : PrepareSql(layout_, SqlDialect::kMariaDB)) {
      WALTUNE_RETURN_IF_ERROR(Query(sql.c_str(), &ignored));
    }
    return FlushBufferPool();
  }
  void ParseRedo(const std::string& log, RecoveryInfo* info) override {
    ParseMariadbRedo(log, info);
  }
  Status CheckSettingsApplied() override {
    // Options on the command line that are out of range are adjusted with only a warning in
    // the error log (my_getopt.c, getopt_ull_limit_value), and --loose-NAME of an unknown
    // variable is ignored: the value the server runs with is read back for each.
    for (const auto& [name, value] : settings_) {
      const std::string variable = MariadbVariableName(name);
      std::map<std::string, std::string> shown;
      if (!variable.empty()) {
        const std::string sql = "SHOW GLOBAL VARIABLES WHERE Variable_name = '" + variable + "'";
        WALTUNE_RETURN_IF_ERROR(Query(sql.c_str(), &shown));
      }
      auto it = shown.find(variable);
      if (it == shown.end()) {
        return Status::Unavailable(name, "not a system variable of this server: not in force");
      }
      if (!MariadbValueInForce(variable, value, it->second)) {
        return Status::Unavailable(name, "applied as " + value +
                                             " on the command line, but the server has " +
                                             it->second + ": not in force");
      }
    }
    return Status::Ok();
  }
  Result<double> TimedSyncCommitUs() override {
    // innodb_flush_log_at_trx_commit=1 makes a commit wait for the redo flush
    // (log_write_up_to in log0log.cc); the applied value is put back afterwards.
    std::map<std::string, std::string> old;
    WALTUNE_RETURN_IF_ERROR(Query("SELECT 'v', @@GLOBAL.innodb_flush_log_at_trx_commit", &old));
    // A plain int, not an optional: GCC's -Wmaybe-uninitialized misread the optional's
    // payload in the TSan build.
    int before = -1;
    if (old.count("v")) before = ParseInteger<int>(old["v"]).value_or(-1);
    if (before < 0 || before > 3) {
      return Status::IOError("@@GLOBAL.innodb_flush_log_at_trx_commit", "not 0..3");
    }
    std::map<std::string, std::string> ignored;
    WALTUNE_RETURN_IF_ERROR(Query(
        "CREATE TABLE IF NOT EXISTS waltune.waltune_flush_check (x int) ENGINE=InnoDB", &ignored));
    WALTUNE_RETURN_IF_ERROR(Query("SET GLOBAL innodb_flush_log_at_trx_commit = 1", &ignored));
    const double t0 = NowSeconds();
    Status s = Query("INSERT INTO waltune.waltune_flush_check VALUES (1)", &ignored);
    const double us = (NowSeconds() - t0) * 1e6;
    const std::string restore =
        "SET GLOBAL innodb_flush_log_at_trx_commit = " + std::to_string(before);
    WALTUNE_RETURN_IF_ERROR(Query(restore.c_str(), &ignored));
    WALTUNE_RETURN_IF_ERROR(s);
    WALTUNE_RETURN_IF_ERROR(Query("DROP TABLE waltune.waltune_flush_check", &ignored));
    return us;
  }

 private:
  // Runs `sql`; two-column results go into *out as name -> value.
  Status Query(const char* sql, std::map<std::string, std::string>* out) {
    if (!admin_) return Status::Unavailable("MariaDB", "no admin connection");
    if (mysql_query(admin_, sql) != 0) return Status::IOError("MariaDB", mysql_error(admin_));
    MYSQL_RES* res = mysql_store_result(admin_);
    if (res) {
      while (MYSQL_ROW row = mysql_fetch_row(res)) {
        if (mysql_num_fields(res) >= 2 && row[0] && row[1]) (*out)[row[0]] = row[1];
      }
      mysql_free_result(res);
    }
    return Status::Ok();
  }
  // InnoDB accepts connections before it has rolled back the transactions a crash left open:
  // it rolls them back in the background (trx_rollback_all_recovered: "Starting in background
  // the rollback of recovered transactions"), and CHECK TABLE does not wait. For a record of
  // such a transaction the check builds the earlier version from the undo log the rollback is
  // consuming (row_check_index in row0sel.cc); any error there answers "Corrupt" and flags the
  // table corrupted for every later read (dict_set_corrupted). Twice in CI a check right after
  // the restart answered "Corrupt" and the next read failed (docs/ci.md). The recovery is not
  // over before that rollback is: the recovered transactions are in INNODB_TRX without a
  // client thread (trx_mysql_thread_id = 0), and the check waits until none is left. INNODB_TRX
  // is a copy InnoDB refreshes only when it went unread for 100 ms (CACHE_MIN_IDLE_TIME_NS in
  // trx0i_s.cc): a faster poll reads its first rows forever, so the polls are 250 ms apart.
  Status WaitForRecoveredRollback() {
    return WaitUntilZero(
        "SELECT 'left', COUNT(*) FROM information_schema.INNODB_TRX WHERE trx_mysql_thread_id = 0",
        "left", "recovered transaction(s) still rolling back");
  }
  // The check also must not race purge. After a restart, purge works through the history the
  // crash left (the undo logs of the last transactions: it resets their records' DB_TRX_ID,
  // row_purge_reset_trx_id, and removes delete-marked records), and the EXTENDED check walks
  // the same records' versions against purge's view (row_check_index). MariaDB tracks races of
  // that walk with purge: MDEV-35227 ("Executing CHECK TABLE...EXTENDED right after server
  // startup may attempt to access too old history") and MDEV-38056 (the walk "does reach
  // history that purge is already free to remove"). In session 36's CI a check after a restart
  // whose rollback was already over answered "duplicate key in PRIMARY" for six of the newest
  // records, each shown twice with the same DB_TRX_ID and roll pointer, then "Corrupt".
  // MariaDB's own tests wait for purge before such checks (`SET GLOBAL
  // innodb_max_purge_lag_wait=0`); this waits the same way, as a poll of the history length
  // so that it has a deadline: no load runs, so the history only shrinks, to 0. Corruption
  // that is on disk is still there for the check once purge is done.
  Status WaitForPurgedHistory() {
    return WaitUntilZero("SHOW GLOBAL STATUS WHERE Variable_name = 'Innodb_history_list_length'",
                         "Innodb_history_list_length", "undo log(s) of history still unpurged");
  }
  // Polls `sql` (a name -> count row) every 250 ms until the count named `name` is 0, for at
  // most 300 s; `what` says what is left when the time is up.
  Status WaitUntilZero(const char* sql, const std::string& name, const std::string& what) {
    const double deadline = NowSeconds() + 300;
    while (!Interrupted()) {
      std::map<std::string, std::string> out;
      WALTUNE_RETURN_IF_ERROR(Query(sql, &out));
      std::optional<uint64_t> left = ParseU64Text(out[name]);
      if (!left) return Status::IOError("MariaDB " + name, "not a count: '" + out[name] + "'");
      if (*left == 0) return Status::Ok();
      if (NowSeconds() > deadline) {
        return Status::Unavailable("MariaDB",
                                   std::to_string(*left) + " " + what + " 300 s after the restart");
      }
      usleep(250 * 1000);
    }
    return Status::Unavailable("verify", "interrupted");
  }
  // InnoDB has no CHECKPOINT statement: with innodb_max_dirty_pages_pct = 0 the page cleaner
  // writes every dirty page and the checkpoint follows; wait (at most 120 s) until none is
  // left, then restore the setting.
  Status FlushBufferPool() {
    if (!admin_) return Status::Unavailable("MariaDB", "no admin connection");
    std::string old = "90";
    if (mysql_query(admin_, "SELECT @@GLOBAL.innodb_max_dirty_pages_pct") == 0) {
      if (MYSQL_RES* res = mysql_store_result(admin_)) {
        if (MYSQL_ROW row = mysql_fetch_row(res); row && row[0]) old = row[0];
        mysql_free_result(res);
      }
    }
    std::map<std::string, std::string> out;
    WALTUNE_RETURN_IF_ERROR(Query("SET GLOBAL innodb_max_dirty_pages_pct = 0", &out));
    const double deadline = NowSeconds() + 120;
    while (NowSeconds() < deadline && !Interrupted()) {
      out.clear();
      WALTUNE_RETURN_IF_ERROR(
          Query("SHOW GLOBAL STATUS WHERE Variable_name = 'Innodb_buffer_pool_pages_dirty'", &out));
      std::optional<uint64_t> dirty = ParseU64Text(out["Innodb_buffer_pool_pages_dirty"]);
      if (!dirty || *dirty == 0) break;
      usleep(100 * 1000);
    }
    // Only digits and a dot come back from the server; anything else keeps the default.
    if (old.find_first_not_of("0123456789.") != std::string::npos) old = "90";
    const std::string restore = "SET GLOBAL innodb_max_dirty_pages_pct = " + old;
    return Query(restore.c_str(), &out);
  }
  MYSQL* admin_ = nullptr;
  uint64_t last_checkpoint_lsn_ = 0;
  uint64_t checkpoint_moves_ = 0;
};

std::unique_ptr<Target> MakeMariadbTarget(const VerifyOptions& options) {
  return std::make_unique<MariadbTarget>(options);
}

[[maybe_unused]] const bool kMariadbRegistered =
    RegisterTarget(Engine::kMariaDB, &MakeMariadbTarget);

}  // namespace

void ParseMariadbRedo(const std::string& log, RecoveryInfo* info) {
  std::smatch start, end;
  // Bounded repetitions (std::regex recurses once per character a repetition consumes); an LSN
  // is a 64-bit number: at most 20 digits, and a longer run is no LSN.
  static const std::regex kStart(
      "Starting crash recovery from checkpoint LSN=([0-9]{1,20})(?![0-9])");
  // "End of log at LSN=N" (10.8+) else the first "log sequence number N" after the start.
  static const std::regex kEnd(
      "End of log at LSN=([0-9]{1,20})(?![0-9])|log sequence number ([0-9]{1,20})(?![0-9])");
  if (std::regex_search(log, start, kStart)) {
    std::optional<uint64_t> a = ParseInteger<uint64_t>(start[1].str());
    std::string rest = start.suffix();
    if (a && std::regex_search(rest, end, kEnd)) {
      std::optional<uint64_t> b =
          ParseInteger<uint64_t>(end[1].matched ? end[1].str() : end[2].str());
      if (b) info->redo_bytes = *b >= *a ? *b - *a : 0;
    }
  }
}

}  // namespace waltune::verify
