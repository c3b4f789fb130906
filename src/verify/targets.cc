#include "targets.h"

#include <fcntl.h>
#include <libpq-fe.h>
#include <mysql.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <regex>
#include <string_view>

#include "powerloss.h"
#include "process.h"
#include "sessions.h"
#include "waltune/parse_number.h"
#include "workloads.h"

namespace waltune::verify {

namespace {

double SelfCpuSeconds() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}

// After the engine's processes are gone: cuts the power of `rig` (no-op when null, i.e. a
// plain SIGKILL run) and records what it forgot.
Status CutPower(PowerLossRig* rig, std::optional<powercut::CutStats>* last_cut) {
  if (rig == nullptr) return Status::Ok();
  Result<powercut::CutStats> cut = rig->Cut();
  if (!cut.ok()) return cut.status();
  *last_cut = *cut;
  return Status::Ok();
}

// A power cut forgets only what lives on the FUSE mount: the data directory must be there
// (checked in /proc/self/mountinfo, not assumed from the path).
Status CheckOnPowerLossMount(const std::string& data_dir, const PowerLossRig& rig) {
  powercut::MountOf holder = powercut::MountHolding(data_dir);
  powercut::MountOf mount = powercut::MountHolding(rig.mountpoint());
  if (holder.fs_type.rfind("fuse", 0) != 0 || holder.mount_point != mount.mount_point ||
      mount.mount_point.empty()) {
    return Status::Unavailable("--power-loss",
                               "the data directory " + data_dir + " is on " + holder.fs_type +
                                   " mounted at " + holder.mount_point +
                                   ", not on the power-loss FUSE mount " + rig.mountpoint() +
                                   ": cuts would not be in force");
  }
  return Status::Ok();
}

// Waits for the clients of a server load after the server was killed or told to stop.
void ResetStop(SharedLoad* shared) {
  shared->header()->stop.store(false);
  shared->header()->ready_clients.store(0);
}

// ---------------------------------------------------------------------------------------------
// Server targets: clients are threads of this process.

class ServerTarget : public Target {
 public:
  explicit ServerTarget(const VerifyOptions& options) : options_(options) {}
  ~ServerTarget() override {
    if (shared_) shared_->header()->stop.store(true);
    if (instance_) {
      Status s = instance_->Kill();  // clients then fail fast and are joined below
      (void)s;
    }
    load_.reset();
  }

  std::string dir() const override { return instance_ ? instance_->dir() : ""; }
  std::string version() const override { return instance_ ? instance_->version() : ""; }

  Status Setup(const SettingList& settings) override {
    settings_ = settings;
    InstanceOptions io;
    io.parent_dir = options_.parent_dir;
    io.preload_library = options_.preload_library;
    io.flush_latency_us = options_.flush_latency_us;
    io.keep_dir = options_.keep_dir;
    if (options_.power_loss) {
      if (options_.power_loss_mechanism == "sqlite-vfs") {
        return Status::InvalidArgument("--power-loss-mechanism",
                                       "sqlite-vfs simulates power loss for SQLite only; servers "
                                       "need the FUSE file system (fuse or auto)");
      }
      Result<std::unique_ptr<PowerLossRig>> rig = PowerLossRig::Create(options_);
      if (!rig.ok()) return rig.status();
      rig_ = std::move(rig).value();
      io.data_parent_dir = rig_->mountpoint();
    }
    instance_ = NewInstance(io);
    WALTUNE_RETURN_IF_ERROR(instance_->Create());
    if (rig_) WALTUNE_RETURN_IF_ERROR(CheckOnPowerLossMount(instance_->data_dir(), *rig_));
    WALTUNE_RETURN_IF_ERROR(instance_->Start(settings_));
    WALTUNE_RETURN_IF_ERROR(ConnectAdmin());
    WALTUNE_RETURN_IF_ERROR(CheckSettingsApplied());
    WALTUNE_RETURN_IF_ERROR(CreateSchema());
    if (options_.flush_latency_us > 0) WALTUNE_RETURN_IF_ERROR(ProveFlushDelay());
    layout_ = LayoutFor(options_.workload, options_.working_set_bytes, options_.payload_bytes,
                        options_.clients);
    if (layout_.workload != VerifyWorkload::kInsert) WALTUNE_RETURN_IF_ERROR(PrepareWorkload());
    // initdb --no-sync and the bootstrap left unflushed files: a machine that ran for a while
    // would have written them back, so the power-loss runs start from a durable cluster.
    return rig_ ? rig_->Sync() : Status::Ok();
  }

  bool ThroughFuse() const override { return rig_ != nullptr; }

  std::string CrashMechanism() const override {
    return rig_ ? rig_->Describe() : std::string("sigkill");
  }

  Status BeforeCrashLoad() override { return rig_ ? rig_->Sync() : Status::Ok(); }

  Status StartLoad(SharedLoad* shared) override {
    shared_ = shared;
    ResetStop(shared);
    load_ = std::make_unique<ThreadLoad>(
        shared,
        [this](int) {
          return layout_.workload == VerifyWorkload::kInsert ? OpenSession()
                                                             : OpenWorkloadSession();
        },
        options_.payload_bytes);
    load_->Start();
    return Status::Ok();
  }

  Status StopLoad() override {
    shared_->header()->stop.store(true);
    load_.reset();
    return Status::Ok();
  }

  Status Crash() override {
    last_cut_.reset();
    CloseAdmin();
    Status s = instance_->Kill();
    shared_->header()->stop.store(true);
    load_.reset();
    WALTUNE_RETURN_IF_ERROR(s);
    // Every server process is gone (Kill waits for them): now the power goes.
    return CutPower(rig_.get(), &last_cut_);
  }

  Result<RecoveryInfo> Restart() override {
    uint64_t offset = instance_->LogSize();
    WALTUNE_RETURN_IF_ERROR(instance_->Start(settings_));
    RecoveryInfo info;
    info.recovery_s = instance_->last_start_s();
    ParseRedo(instance_->LogSince(offset), &info);
    WALTUNE_RETURN_IF_ERROR(ConnectAdmin());
    return info;
  }

  Status Shutdown() override {
    CloseAdmin();
    if (shared_) shared_->header()->stop.store(true);
    load_.reset();
    return instance_ ? instance_->Stop() : Status::Ok();
  }

 protected:
  virtual std::unique_ptr<ServerInstance> NewInstance(const InstanceOptions& io) = 0;
  virtual Status ConnectAdmin() = 0;
  virtual void CloseAdmin() = 0;
  virtual Status CreateSchema() = 0;
  virtual Result<std::unique_ptr<Session>> OpenSession() = 0;
  virtual void ParseRedo(const std::string& log, RecoveryInfo* info) = 0;
  // update/tpcb: creates and fills the prepared tables, then checkpoints.
  virtual Status PrepareWorkload() = 0;
  virtual Result<std::unique_ptr<Session>> OpenWorkloadSession() = 0;

  double CpuSeconds() const { return GroupCpuSeconds(instance_->pid()) + SelfCpuSeconds(); }

  // Microseconds of one small committed write that waits for its flush (whatever the applied
  // settings say about commits), in the running server.
  virtual Result<double> TimedSyncCommitUs() = 0;

  // Reads the applied settings back from the running server: each must be in force from the
  // command line verify gave (not overridden, not ignored). Default: not read back.
  virtual Status CheckSettingsApplied() { return Status::Ok(); }

  // The flush-latency emulation is in force only if a flush inside the server takes at least
  // about the emulated time: the fastest of three synchronous commits must take >= half of it
  // (a busy machine only makes commits slower, so this cannot fail from load).
  Status ProveFlushDelay() {
    double fastest_us = -1;
    for (int i = 0; i < 3; ++i) {
      Result<double> us = TimedSyncCommitUs();
      if (!us.ok()) return us.status();
      if (fastest_us < 0 || *us < fastest_us) fastest_us = *us;
    }
    const double need_us = 0.5 * static_cast<double>(options_.flush_latency_us);
    if (fastest_us < need_us) {
      char buf[320];
      std::snprintf(buf, sizeof(buf),
                    "not in force: a synchronous commit in the server took %.0f us, less than "
                    "half of the emulated %llu us (is --preload the flush-delay library, and "
                    "does the engine flush, e.g. fsync not off?)",
                    fastest_us, static_cast<unsigned long long>(options_.flush_latency_us));
      return Status::Unavailable("--flush-latency-us", buf);
    }
    return Status::Ok();
  }

  VerifyOptions options_;
  SettingList settings_;
  // Declared before instance_: the instance (and its data dir on the mount) goes first.
  std::unique_ptr<PowerLossRig> rig_;
  std::unique_ptr<ServerInstance> instance_;
  SharedLoad* shared_ = nullptr;
  std::unique_ptr<ThreadLoad> load_;
  WorkloadLayout layout_;
};

class PostgresTarget : public ServerTarget {
 public:
  using ServerTarget::ServerTarget;
  ~PostgresTarget() override { CloseAdmin(); }

  Result<EngineSample> Sample() override {
    EngineSample s;
    s.cpu_s = CpuSeconds();
    std::string lsn;
    WALTUNE_RETURN_IF_ERROR(QueryOne("SELECT pg_current_wal_insert_lsn()", &lsn));
    std::optional<uint64_t> wal = ParsePostgresLsn(lsn);
    if (!wal) return Status::IOError("pg_current_wal_insert_lsn()", "not an LSN: '" + lsn + "'");
    s.wal_bytes = *wal;
    std::string ckpt;
    if (QueryOne("SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter", &ckpt).ok() ||
        QueryOne("SELECT num_timed + num_requested FROM pg_stat_checkpointer", &ckpt).ok()) {
      Result<uint64_t> n = ParseIntegerField<uint64_t>(ckpt, "PostgreSQL checkpoint count");
      if (!n.ok()) return n.status();
      s.checkpoints = *n;
    }
    return s;
  }

  Result<CheckpointDistance> Distance() override {
    // pg_control_checkpoint() reads pg_control, rewritten when a checkpoint completes: its
    // redo_lsn is where a crash now would start replaying (xlog.c, StartupXLOG).
    std::string text;
    WALTUNE_RETURN_IF_ERROR(
        QueryOne("SELECT redo_lsn::text || ' ' || pg_current_wal_insert_lsn()::text FROM "
                 "pg_control_checkpoint()",
                 &text));
    const size_t space = text.find(' ');
    std::optional<uint64_t> redo, now;
    if (space != std::string::npos) {
      redo = ParseLsnText(std::string_view(text).substr(0, space));
      now = ParseLsnText(std::string_view(text).substr(space + 1));
    }
    if (!redo || !now) return Status::IOError("PostgreSQL checkpoint distance", "'" + text + "'");
    return CheckpointDistance{*now >= *redo ? *now - *redo : 0, *redo};
  }
  std::string DistanceSource() const override {
    return "pg_current_wal_insert_lsn() - pg_control_checkpoint().redo_lsn";
  }

  Result<PresentRows> ReadPresent() override {
    PGresult* r = PQexec(admin_, "SELECT client_id, seq FROM waltune_load ORDER BY 1, 2");
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
      std::string err = PQerrorMessage(admin_);
      PQclear(r);
      return Status::IOError("PostgreSQL read rows", err);
    }
    PresentRows rows;
    for (int i = 0, n = PQntuples(r); i < n; ++i) {
      std::optional<int> client = ParseInteger<int>(PQgetvalue(r, i, 0));
      std::optional<uint64_t> seq = ParseInteger<uint64_t>(PQgetvalue(r, i, 1));
      if (!client || !seq) {
        std::string bad = std::string(PQgetvalue(r, i, 0)) + ", " + PQgetvalue(r, i, 1);
        PQclear(r);
        return Status::IOError("PostgreSQL read rows", "not a (client_id, seq) row: " + bad);
      }
      rows[*client].push_back(*seq);
    }
    PQclear(r);
    return rows;
  }

  Result<std::vector<std::string>> CheckIntegrity(std::string* check) override {
    std::vector<std::string> problems;
    std::string out;
    if (have_amcheck_) {
      *check = "amcheck bt_index_check(waltune_load_pkey, heapallindexed)";
      Status s = QueryOne("SELECT bt_index_check('waltune_load_pkey'::regclass, true)", &out);
      if (!s.ok()) problems.push_back("amcheck: " + s.message());
    } else {
      *check = "row count by sequential scan = by index scan";
      std::string seq, idx;
      Status s = QueryOne(
          "SET enable_indexscan = off; SET enable_bitmapscan = off; SET enable_indexonlyscan = "
          "off; SELECT count(*) FROM waltune_load",
          &seq);
      if (s.ok()) {
        s = QueryOne(
            "SET enable_seqscan = off; SET enable_indexscan = on; SET enable_bitmapscan = on; "
            "SET enable_indexonlyscan = on; SELECT count(*) FROM waltune_load WHERE client_id > "
            "0",
            &idx);
      }
      std::string ignored;
      (void)QueryOne("RESET ALL", &ignored);
      if (!s.ok()) {
        problems.push_back("count check: " + s.message());
      } else if (seq != idx) {
        problems.push_back("sequential scan sees " + seq + " rows, the index " + idx);
      }
    }
    return problems;
  }

 protected:
  std::unique_ptr<ServerInstance> NewInstance(const InstanceOptions& io) override {
    return std::make_unique<PostgresInstance>(io);
  }
  Status ConnectAdmin() override {
    CloseAdmin();
    admin_ = PQconnectdb(static_cast<PostgresInstance*>(instance_.get())->ConnInfo().c_str());
    PQsetNoticeProcessor(
        admin_, [](void*, const char*) {}, nullptr);
    if (PQstatus(admin_) != CONNECTION_OK) {
      std::string err = PQerrorMessage(admin_);
      CloseAdmin();
      return Status::Unavailable("PostgreSQL connect", err);
    }
    return Status::Ok();
  }
  void CloseAdmin() override {
    if (admin_) PQfinish(admin_);
    admin_ = nullptr;
  }
  Status CreateSchema() override {
    std::string ignored;
    // amcheck (contrib, shipped with Debian's server package) checks the index after a crash.
    have_amcheck_ = QueryOne("CREATE EXTENSION IF NOT EXISTS amcheck", &ignored).ok();
    WALTUNE_RETURN_IF_ERROR(
        QueryOne("CREATE TABLE waltune_load (client_id int NOT NULL, seq bigint NOT NULL, "
                 "payload text, PRIMARY KEY (client_id, seq))",
                 &ignored));
    // Make the schema durable whatever synchronous_commit says.
    return QueryOne("CHECKPOINT", &ignored);
  }
  Result<std::unique_ptr<Session>> OpenSession() override {
    return OpenPostgresSession(static_cast<PostgresInstance*>(instance_.get())->ConnInfo());
  }
  Result<std::unique_ptr<Session>> OpenWorkloadSession() override {
    return OpenPostgresWorkloadSession(static_cast<PostgresInstance*>(instance_.get())->ConnInfo(),
                                       layout_, options_.seed);
  }
  Status PrepareWorkload() override {
    std::string ignored;
    for (const std::string& sql : PrepareSql(layout_, SqlDialect::kPostgreSQL)) {
      WALTUNE_RETURN_IF_ERROR(QueryOne(sql.c_str(), &ignored));
    }
    return Status::Ok();
  }
  void ParseRedo(const std::string& log, RecoveryInfo* info) override {
    ParsePostgresRedo(log, info);
  }
  Status CheckSettingsApplied() override {
    // pg_settings.source is "command line" for a -c option the server took (guc.c); anything
    // else means another source won and the report would claim a setting not in force.
    for (const auto& [name, value] : settings_) {
      const char* params[1] = {name.c_str()};
      PGresult* r =
          PQexecParams(admin_, "SELECT source, setting FROM pg_settings WHERE name = lower($1)", 1,
                       nullptr, params, nullptr, nullptr, 0);
      if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        std::string err = PQerrorMessage(admin_);
        PQclear(r);
        return Status::IOError("PostgreSQL pg_settings", err);
      }
      if (PQntuples(r) == 0) {
        PQclear(r);
        return Status::Unavailable(name, "not a parameter of this server: not in force");
      }
      const std::string source = PQgetvalue(r, 0, 0), setting = PQgetvalue(r, 0, 1);
      PQclear(r);
      if (source != "command line") {
        return Status::Unavailable(name, "applied as " + value +
                                             " on the command line, but the server has " + setting +
                                             " from '" + source + "': not in force");
      }
    }
    return Status::Ok();
  }
  Result<double> TimedSyncCommitUs() override {
    // synchronous_commit is per session: on, the commit waits for the WAL flush (XLogFlush in
    // xlog.c) whatever the applied settings say.
    std::string ignored;
    WALTUNE_RETURN_IF_ERROR(
        QueryOne("CREATE TABLE IF NOT EXISTS waltune_flush_check (x int)", &ignored));
    WALTUNE_RETURN_IF_ERROR(QueryOne("SET synchronous_commit = on", &ignored));
    const double t0 = NowSeconds();
    Status s = QueryOne("INSERT INTO waltune_flush_check VALUES (1)", &ignored);
    const double us = (NowSeconds() - t0) * 1e6;
    WALTUNE_RETURN_IF_ERROR(s);
    WALTUNE_RETURN_IF_ERROR(QueryOne("RESET synchronous_commit", &ignored));
    WALTUNE_RETURN_IF_ERROR(QueryOne("DROP TABLE waltune_flush_check", &ignored));
    return us;
  }

 private:
  // Runs `sql`; *out gets the first column of the first row ("" for commands).
  Status QueryOne(const char* sql, std::string* out) {
    if (!admin_) return Status::Unavailable("PostgreSQL", "no admin connection");
    PGresult* r = PQexec(admin_, sql);
    ExecStatusType st = PQresultStatus(r);
    Status s;
    if (st == PGRES_TUPLES_OK && PQntuples(r) > 0) {
      *out = PQgetvalue(r, 0, 0);
    } else if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      s = Status::IOError("PostgreSQL", PQerrorMessage(admin_));
    }
    PQclear(r);
    return s;
  }
  PGconn* admin_ = nullptr;
  bool have_amcheck_ = false;
};

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
              "'Innodb_os_log_written', 'Innodb_lsn_last_checkpoint')",
              &status));
    for (const char* name :
         {"Innodb_lsn_current", "Innodb_os_log_written", "Innodb_lsn_last_checkpoint"}) {
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
    return CheckpointDistance{*now >= *ckpt ? *now - *ckpt : 0, *ckpt};
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
    while (MYSQL_ROW row = mysql_fetch_row(res)) {
      std::optional<int> client = row[0] ? ParseInteger<int>(row[0]) : std::nullopt;
      std::optional<uint64_t> seq = row[1] ? ParseInteger<uint64_t>(row[1]) : std::nullopt;
      if (!client || !seq) {
        mysql_free_result(res);
        return Status::IOError("MariaDB read rows", "not a (client_id, seq) row");
      }
      rows[*client].push_back(*seq);
    }
    mysql_free_result(res);
    return rows;
  }

  Result<std::vector<std::string>> CheckIntegrity(std::string* check) override {
    *check = "CHECK TABLE waltune.waltune_load EXTENDED";
    if (!admin_) return Status::Unavailable("MariaDB", "no admin connection");
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
    admin_ = mysql_init(nullptr);
    if (!mysql_real_connect(admin_, nullptr, MariadbInstance::kUser, "", nullptr, 0,
                            instance_->socket_path().c_str(), 0)) {
      std::string err = mysql_error(admin_);
      CloseAdmin();
      return Status::Unavailable("MariaDB connect", err);
    }
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
  Result<double> TimedSyncCommitUs() override {
    // innodb_flush_log_at_trx_commit=1 makes a commit wait for the redo flush
    // (log_write_up_to in log0log.cc); the applied value is put back afterwards.
    std::map<std::string, std::string> old;
    WALTUNE_RETURN_IF_ERROR(Query("SELECT 'v', @@GLOBAL.innodb_flush_log_at_trx_commit", &old));
    std::optional<int> before = old.count("v") ? ParseInteger<int>(old["v"]) : std::nullopt;
    if (!before || *before < 0 || *before > 3) {
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
        "SET GLOBAL innodb_flush_log_at_trx_commit = " + std::to_string(*before);
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

// ---------------------------------------------------------------------------------------------
// SQLite: the clients run in a forked writer process, so the "engine" can be SIGKILLed.

class SqliteTarget : public Target {
 public:
  explicit SqliteTarget(const VerifyOptions& options) : options_(options) {}
  ~SqliteTarget() override {
    if (writer_ > 0) {
      Status s = KillGroupAndReap(writer_, 30);
      (void)s;
    }
    if (!dir_.empty() && !options_.keep_dir) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }

  std::string dir() const override { return dir_; }
  std::string version() const override { return sqlite3_libversion(); }

  Status Setup(const SettingList& settings) override {
    pragmas_ = settings;
    Result<std::string> dir = MakeTempDir(options_.parent_dir, "sqlite", nullptr);
    if (!dir.ok()) return dir.status();
    dir_ = *dir;
    db_path_ = dir_ + "/verify.db";
    if (options_.power_loss) WALTUNE_RETURN_IF_ERROR(SetupPowerLoss());
    sqlite3* db = nullptr;
    Status s = Exec(&db, nullptr);
    if (s.ok()) {
      // page_size only takes effect before the first table; apply every pragma first.
      for (const auto& [name, value] : pragmas_) {
        std::string sql = "PRAGMA " + name + "=" + value;
        s = Exec(&db, sql.c_str());
        if (!s.ok()) break;
      }
    }
    if (s.ok()) {
      s = Exec(&db,
               "CREATE TABLE waltune_load (client_id INTEGER NOT NULL, seq INTEGER NOT NULL, "
               "payload TEXT, PRIMARY KEY (client_id, seq))");
    }
    layout_ = LayoutFor(options_.workload, options_.working_set_bytes, options_.payload_bytes,
                        options_.clients);
    for (const std::string& sql : PrepareSql(layout_, SqlDialect::kSQLite)) {
      if (!s.ok()) break;
      s = Exec(&db, sql.c_str());
    }
    if (s.ok()) {
      sqlite3_stmt* st = nullptr;
      if (sqlite3_prepare_v2(db, "PRAGMA page_size", -1, &st, nullptr) == SQLITE_OK &&
          sqlite3_step(st) == SQLITE_ROW) {
        page_size_ = static_cast<uint64_t>(sqlite3_column_int64(st, 0));
      }
      sqlite3_finalize(st);
    }
    sqlite3_close_v2(db);
    if (s.ok() && rig_) s = rig_->Sync();  // the empty database is durable before the load
    return s;
  }

  bool ThroughFuse() const override { return rig_ != nullptr; }

  std::string CrashMechanism() const override {
    if (rig_) return rig_->Describe();
    if (use_vfs_) {
      return "SQLite VFS 'waltune-powercut' in the writer process (strict cut: every write and "
             "truncate not followed by xSync is undone; see docs/powercut.md)" +
             vfs_reason_;
    }
    return "sigkill";
  }

  Status BeforeCrashLoad() override {
    // The VFS tracks the writes of one writer process only, so each load starts from what is
    // on disk; the FUSE mount is synced to match.
    return rig_ ? rig_->Sync() : Status::Ok();
  }

  Status StartLoad(SharedLoad* shared) override {
    shared_ = shared;
    ResetStop(shared);
    shared->header()->cut_request.store(0);
    shared->header()->cut_done.store(0);
    SqliteSessionOptions so{db_path_, pragmas_, options_.flush_latency_us, shared->header(), ""};
    const uint64_t payload = options_.payload_bytes;
    const WorkloadLayout layout = layout_;
    const uint64_t seed = options_.seed;
    const bool use_vfs = use_vfs_;
    const pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) return Status::IOError("fork", std::strerror(errno));
    if (pid == 0) {
      setpgid(0, 0);
      signal(SIGINT, SIG_DFL);
      signal(SIGTERM, SIG_DFL);
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(3);
      if (use_vfs) RunVfsWriter(shared, so, payload, layout, seed);  // does not return
      {
        ThreadLoad load(shared, SqliteFactory(so, layout, seed), payload);
        load.Start();
        load.Join();
      }
      _exit(0);
    }
    setpgid(pid, pid);
    RegisterGroup(pid);
    writer_ = pid;
    return Status::Ok();
  }

  Status StopLoad() override {
    shared_->header()->stop.store(true);
    int st = 0;
    if (!WaitChild(writer_, 60, &st)) return Crash();
    UnregisterGroup(writer_);
    writer_ = -1;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
      return Status::IOError("SQLite writer", "ended with " + DescribeWaitStatus(st));
    }
    return Status::Ok();
  }

  Status Crash() override {
    last_cut_.reset();
    if (writer_ <= 0) return Status::Ok();
    if (use_vfs_) return CutInWriter();
    Status s = KillGroupAndReap(writer_, 30);
    writer_ = -1;
    WALTUNE_RETURN_IF_ERROR(s);
    return CutPower(rig_.get(), &last_cut_);
  }

  Result<RecoveryInfo> Restart() override {
    RecoveryInfo info;
    info.redo_bytes = SqliteValidWalBytes(db_path_ + "-wal");
    const double t0 = NowSeconds();
    sqlite3* db = nullptr;
    // The first reader after a crash rebuilds the WAL index from the WAL: that is recovery.
    WALTUNE_RETURN_IF_ERROR(Exec(&db, "SELECT count(*) FROM waltune_load"));
    info.recovery_s = NowSeconds() - t0;
    sqlite3_close_v2(db);
    return info;
  }

  Result<EngineSample> Sample() override {
    EngineSample s;
    s.wal_bytes = shared_ ? shared_->header()->wal_frames.load() * (page_size_ + 24) : 0;
    s.checkpoints = shared_ ? shared_->header()->checkpoints.load() : 0;
    s.cpu_s = writer_ > 0 ? GroupCpuSeconds(writer_) : 0;
    return s;
  }

  Result<CheckpointDistance> Distance() override {
    if (!shared_) return Status::Unavailable("SQLite", "no load running");
    // The WAL hook's view: frames since the WAL last restarted (a recovery reads all of them,
    // checkpointed or not), and the count of restarts.
    LoadHeader* h = shared_->header();
    return CheckpointDistance{h->wal_frames_now.load() * (page_size_ + 24), h->checkpoints.load()};
  }
  std::string DistanceSource() const override {
    return "frames in the WAL since its last restart x (page_size + 24), from the WAL hook; "
           "restarts follow wal_autocheckpoint";
  }

  Result<PresentRows> ReadPresent() override {
    sqlite3* db = nullptr;
    WALTUNE_RETURN_IF_ERROR(Exec(&db, nullptr));
    sqlite3_stmt* st = nullptr;
    PresentRows rows;
    Status s;
    if (sqlite3_prepare_v2(db, "SELECT client_id, seq FROM waltune_load ORDER BY 1, 2", -1, &st,
                           nullptr) != SQLITE_OK) {
      s = Status::IOError("SQLite read rows", sqlite3_errmsg(db));
    } else {
      int rc;
      while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        rows[sqlite3_column_int(st, 0)].push_back(
            static_cast<uint64_t>(sqlite3_column_int64(st, 1)));
      }
      if (rc != SQLITE_DONE) s = Status::IOError("SQLite read rows", sqlite3_errmsg(db));
    }
    sqlite3_finalize(st);
    sqlite3_close_v2(db);
    if (!s.ok()) return s;
    return rows;
  }

  Status Shutdown() override {
    if (writer_ > 0) return StopLoad();
    return Status::Ok();
  }

  Result<std::vector<std::string>> CheckIntegrity(std::string* check) override {
    *check = "PRAGMA integrity_check";
    sqlite3* db = nullptr;
    WALTUNE_RETURN_IF_ERROR(Exec(&db, nullptr));
    std::vector<std::string> problems;
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, "PRAGMA integrity_check(20)", -1, &st, nullptr) != SQLITE_OK) {
      problems.push_back(std::string("integrity_check failed: ") + sqlite3_errmsg(db));
    } else {
      int rc;
      while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char* text = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
        std::string line = text ? text : "";
        if (line != "ok") problems.push_back("integrity_check: " + line);
      }
      if (rc != SQLITE_DONE) {
        problems.push_back(std::string("integrity_check failed: ") + sqlite3_errmsg(db));
      }
    }
    sqlite3_finalize(st);
    sqlite3_close_v2(db);
    return problems;
  }

 private:
  // Power loss: the database on the FUSE mount, or writes through the in-process VFS.
  Status SetupPowerLoss() {
    const std::string& mech = options_.power_loss_mechanism;
    std::string why;
    bool fuse = mech == "fuse" || (mech == "auto" && FuseUsable(&why));
    if (mech == "auto" && !fuse) vfs_reason_ = " (chosen because FUSE is not usable: " + why + ")";
    if (!fuse) {
      use_vfs_ = true;
      return Status::Ok();
    }
    Result<std::unique_ptr<PowerLossRig>> rig = PowerLossRig::Create(options_);
    if (!rig.ok()) return rig.status();
    rig_ = std::move(rig).value();
    const std::string db_dir = rig_->mountpoint() + "/sqlite";
    if (mkdir(db_dir.c_str(), 0700) != 0) {
      return Status::IOError("mkdir " + db_dir, std::strerror(errno));
    }
    db_path_ = db_dir + "/verify.db";
    return CheckOnPowerLossMount(db_dir, *rig_);
  }

  // The forked writer with the power-loss VFS: runs the load and, when the parent asks for a
  // cut, cuts and exits at once (no close, no checkpoint: the power is gone).
  [[noreturn]] static void RunVfsWriter(SharedLoad* shared, SqliteSessionOptions so,
                                        uint64_t payload, const WorkloadLayout& layout,
                                        uint64_t seed) {
    LoadHeader* h = shared->header();
    auto fail = [h](const std::string& why) {
      std::snprintf(h->cut_error, sizeof(h->cut_error), "%s", why.c_str());
      h->cut_done.store(2);
      _exit(4);
    };
    if (so.flush_delay_us > 0) {
      // The power-loss VFS wraps the default VFS: make the delaying one the default first.
      sqlite3_vfs_register(sqlite3_vfs_find(RegisterDelayVfs(so.flush_delay_us)), 1);
      so.flush_delay_us = 0;
    }
    Result<std::unique_ptr<powercut::SqlitePowercutVfs>> vfs =
        powercut::SqlitePowercutVfs::Register("waltune-powercut");
    if (!vfs.ok()) fail(vfs.status().ToString());
    so.vfs_name = (*vfs)->name();
    std::atomic<bool> finished{false};
    std::thread watcher([&] {
      while (!finished.load()) {
        if (h->cut_request.load() != 0) {
          Result<powercut::CutStats> cut = (*vfs)->Cut();
          if (!cut.ok()) fail(cut.status().ToString());
          h->cut_discarded_bytes.store(cut->discarded_bytes);
          h->cut_files_restored.store(cut->files_restored);
          h->cut_names_undone.store(cut->names_undone);
          h->cut_errors.store(cut->errors);
          h->cut_done.store(1);
          _exit(0);
        }
        usleep(200);
      }
    });
    {
      ThreadLoad load(shared, SqliteFactory(so, layout, seed), payload);
      load.Start();
      load.Join();
    }
    finished.store(true);
    watcher.join();
    _exit(0);
  }

  static SessionFactory SqliteFactory(const SqliteSessionOptions& so, const WorkloadLayout& layout,
                                      uint64_t seed) {
    return [so, layout, seed](int) {
      return layout.workload == VerifyWorkload::kInsert
                 ? OpenSqliteSession(so)
                 : OpenSqliteWorkloadSession(so, layout, seed);
    };
  }

  // VFS power cut: the writer cuts and exits; the parent waits for it.
  Status CutInWriter() {
    shared_->header()->cut_request.store(1);
    int st = 0;
    const bool exited = WaitChild(writer_, 60, &st);
    Status s;
    if (!exited) {
      s = KillGroupAndReap(writer_, 30);
      if (s.ok()) s = Status::Unavailable("SQLite writer", "did not cut within 60 s");
    } else {
      UnregisterGroup(writer_);
    }
    writer_ = -1;
    WALTUNE_RETURN_IF_ERROR(s);
    LoadHeader* h = shared_->header();
    if (h->cut_done.load() != 1) {
      return Status::IOError("SQLite power-loss VFS",
                             h->cut_done.load() == 2
                                 ? std::string(h->cut_error)
                                 : "writer ended with " + DescribeWaitStatus(st) + " before cut");
    }
    powercut::CutStats cut;
    cut.cut_number = ++vfs_cuts_;
    cut.discarded_bytes = h->cut_discarded_bytes.load();
    cut.files_restored = h->cut_files_restored.load();
    cut.names_undone = h->cut_names_undone.load();
    cut.errors = h->cut_errors.load();
    last_cut_ = cut;
    return Status::Ok();
  }

  // Opens *db when null (creating the file), then runs `sql` when given.
  Status Exec(sqlite3** db, const char* sql) {
    if (*db == nullptr) {
      int rc = sqlite3_open_v2(db_path_.c_str(), db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                               nullptr);
      if (rc != SQLITE_OK) {
        Status s = Status::IOError("SQLite open " + db_path_, sqlite3_errmsg(*db));
        sqlite3_close_v2(*db);
        *db = nullptr;
        return s;
      }
      sqlite3_busy_timeout(*db, 30000);
    }
    if (sql == nullptr) return Status::Ok();
    char* err = nullptr;
    if (sqlite3_exec(*db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      Status s = Status::IOError(std::string("SQLite ") + sql, err ? err : "?");
      sqlite3_free(err);
      sqlite3_close_v2(*db);
      *db = nullptr;
      return s;
    }
    return Status::Ok();
  }

  VerifyOptions options_;
  SettingList pragmas_;
  std::string dir_;
  std::string db_path_;
  uint64_t page_size_ = 4096;
  SharedLoad* shared_ = nullptr;
  pid_t writer_ = -1;
  WorkloadLayout layout_;
  // Power loss: the FUSE rig, or the VFS in the writer (with why it was chosen).
  std::unique_ptr<PowerLossRig> rig_;
  bool use_vfs_ = false;
  std::string vfs_reason_;
  uint64_t vfs_cuts_ = 0;
};

}  // namespace

std::optional<uint64_t> ParsePostgresLsn(std::string_view text) {
  // "%X/%X": the high and low 32 bits in hex (pg_lsn_out in src/backend/utils/adt/pg_lsn.c).
  size_t slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  std::optional<uint32_t> hi = ParseInteger<uint32_t>(text.substr(0, slash), 16);
  std::optional<uint32_t> lo = ParseInteger<uint32_t>(text.substr(slash + 1), 16);
  if (!hi || !lo) return std::nullopt;
  return (static_cast<uint64_t>(*hi) << 32) | *lo;
}

void ParsePostgresRedo(const std::string& log, RecoveryInfo* info) {
  std::smatch start, done, elapsed;
  static const std::regex kStart("redo starts at ([0-9A-Fa-f]+/[0-9A-Fa-f]+)");
  static const std::regex kDone("redo done at ([0-9A-Fa-f]+/[0-9A-Fa-f]+)");
  static const std::regex kElapsed("redo done at [^\n]*elapsed: ([0-9.]+) s");
  if (std::regex_search(log, start, kStart) && std::regex_search(log, done, kDone)) {
    std::optional<uint64_t> a = ParsePostgresLsn(start[1].str());
    std::optional<uint64_t> b = ParsePostgresLsn(done[1].str());
    if (!a || !b) return;  // an LSN that does not fit: the redo stays unknown
    info->redo_bytes = *b >= *a ? *b - *a : 0;
    if (std::regex_search(log, elapsed, kElapsed)) {
      std::optional<double> s = ParseFiniteDouble(elapsed[1].str());
      if (s && *s >= 0) info->redo_s = *s;
    }
  } else if (log.find("redo is not required") != std::string::npos) {
    info->redo_bytes = 0;
    info->redo_s = 0;
  }
}

void ParseMariadbRedo(const std::string& log, RecoveryInfo* info) {
  std::smatch start, end;
  static const std::regex kStart("Starting crash recovery from checkpoint LSN=([0-9]+)");
  // "End of log at LSN=N" (10.8+) else the first "log sequence number N" after the start.
  static const std::regex kEnd("End of log at LSN=([0-9]+)|log sequence number ([0-9]+)");
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

std::optional<uint64_t> ParseU64Text(std::string_view text) {
  uint64_t v = 0;
  const char* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, v);
  if (text.empty() || ec != std::errc() || p != end) return std::nullopt;
  return v;
}

std::optional<uint64_t> ParseLsnText(std::string_view text) {
  const size_t slash = text.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 >= text.size()) {
    return std::nullopt;
  }
  uint32_t hi = 0, lo = 0;
  const char* b = text.data();
  auto [p1, e1] = std::from_chars(b, b + slash, hi, 16);
  auto [p2, e2] = std::from_chars(b + slash + 1, b + text.size(), lo, 16);
  if (e1 != std::errc() || p1 != b + slash || e2 != std::errc() || p2 != b + text.size()) {
    return std::nullopt;
  }
  return (uint64_t{hi} << 32) | lo;
}

Result<uint64_t> EvictFromPageCache(const std::string& dir) {
  // sync(2) first: DONTNEED drops clean pages only, dirty ones would be written and stay.
  sync();
  uint64_t files = 0;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(
           dir, std::filesystem::directory_options::skip_permission_denied, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code type_ec;
    if (!it->is_regular_file(type_ec) || it->is_symlink(type_ec)) continue;
    int fd = open(it->path().c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) continue;  // e.g. a socket or a file that vanished: nothing cached to drop
    fdatasync(fd);
    if (posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) == 0) ++files;
    close(fd);
  }
  if (ec) return Status::IOError("evict " + dir, ec.message());
  return files;
}

std::unique_ptr<Target> MakeTarget(const VerifyOptions& options) {
  switch (options.engine) {
    case VerifyEngine::kPostgreSQL:
      return std::make_unique<PostgresTarget>(options);
    case VerifyEngine::kMariaDB:
      return std::make_unique<MariadbTarget>(options);
    case VerifyEngine::kSQLite:
      return std::make_unique<SqliteTarget>(options);
  }
  return nullptr;
}

}  // namespace waltune::verify
