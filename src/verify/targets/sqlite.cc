// SQLite under verify: the clients run in a forked writer process, so the "engine" can be
// SIGKILLed; power loss through the FUSE mount or the in-process power-loss VFS.
#include <signal.h>
#include <sqlite3.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <thread>

#include "posix/proc.h"
#include "process.h"
#include "sessions.h"
#include "targets/server_target.h"

namespace waltune::verify {

namespace {

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
    layout_ = LayoutFor(options_.workload, options_.working_set_bytes, options_.payload_bytes,
                        options_.clients);
    sqlite3* db = nullptr;
    Status s = CreateDatabase(&db);
    // Unknown pragmas are ignored and some take effect only at certain times (page_size before
    // the first table, not in WAL mode): each one applied must read back as applied.
    if (s.ok()) s = CheckPragmasInForce(db, pragmas_);
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
  bool ExpectedPeakFollowsRate() const override { return false; }

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
    const double rate_tps = options_.rate_tps;
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
      if (use_vfs) RunVfsWriter(shared, so, payload, rate_tps, layout, seed);  // does not return
      {
        ThreadLoad load(shared, SqliteFactory(so, layout, seed), payload, rate_tps);
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
    const std::optional<posix::SchedStat> sched0 = posix::ReadThreadSchedStat();
    const double t0 = NowSeconds();
    sqlite3* db = nullptr;
    // The first reader after a crash rebuilds the WAL index from the WAL: that is recovery.
    // Reading the schema is the first read; a scan of the load table would add a cold read of
    // its pages, which no other engine's restart is timed with.
    WALTUNE_RETURN_IF_ERROR(Exec(&db, "SELECT count(*) FROM sqlite_master"));
    info.recovery_s = NowSeconds() - t0;
    // A restart of a few milliseconds measured in wall-clock time also holds whatever other
    // processes kept this thread off the CPU: the scheduler counts that apart.
    const std::optional<posix::SchedStat> sched1 = posix::ReadThreadSchedStat();
    if (sched0 && sched1 && sched1->run_queue_wait_ns >= sched0->run_queue_wait_ns) {
      info.cpu_wait_s = std::min(
          info.recovery_s,
          static_cast<double>(sched1->run_queue_wait_ns - sched0->run_queue_wait_ns) / 1e9);
    }
    sqlite3_close_v2(db);
    return info;
  }

  Result<EngineSample> Sample() override {
    EngineSample s;
    s.wal_bytes = shared_ ? shared_->header()->wal_frames.load() * (page_size_ + 24) : 0;
    s.checkpoints = shared_ ? shared_->header()->checkpoints.load() : 0;
    s.wal_syncs = shared_ ? shared_->header()->wal_syncs.load() : 0;  // the load VFS's count
    s.cpu_s = writer_ > 0 ? GroupCpuSeconds(writer_) : 0;
    return s;
  }

  Result<CheckpointDistance> Distance() override {
    if (!shared_) return Status::Unavailable("SQLite", "no load running");
    // The WAL hook's view: frames since the WAL last restarted (a recovery reads all of them,
    // checkpointed or not).
    LoadHeader* h = shared_->header();
    return CheckpointDistance{h->wal_frames_now.load() * (page_size_ + 24)};
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
                                        uint64_t payload, double rate_tps,
                                        const WorkloadLayout& layout, uint64_t seed) {
    LoadHeader* h = shared->header();
    auto fail = [h](const std::string& why) {
      std::snprintf(h->cut_error, sizeof(h->cut_error), "%s", why.c_str());
      h->cut_done.store(2);
      _exit(4);
    };
    if (so.flush_delay_us > 0) {
      // The power-loss VFS wraps the default VFS: make the delaying one the default first.
      sqlite3_vfs_register(sqlite3_vfs_find(RegisterLoadVfs(so.flush_delay_us, nullptr)), 1);
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
      ThreadLoad load(shared, SqliteFactory(so, layout, seed), payload, rate_tps);
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

  // Creates the database: every pragma first (page_size only takes effect before the first
  // table), then the load table and the workload's prepared tables.
  Status CreateDatabase(sqlite3** db) {
    WALTUNE_RETURN_IF_ERROR(Exec(db, nullptr));
    for (const auto& [name, value] : pragmas_) {
      const std::string sql = "PRAGMA " + name + "=" + value;
      WALTUNE_RETURN_IF_ERROR(Exec(db, sql.c_str()));
    }
    WALTUNE_RETURN_IF_ERROR(
        Exec(db,
             "CREATE TABLE waltune_load (client_id INTEGER NOT NULL, seq INTEGER NOT NULL, "
             "payload TEXT, PRIMARY KEY (client_id, seq))"));
    for (const std::string& sql : PrepareSql(layout_, SqlDialect::kSQLite)) {
      WALTUNE_RETURN_IF_ERROR(Exec(db, sql.c_str()));
    }
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

std::unique_ptr<Target> MakeSqliteTarget(const VerifyOptions& options) {
  return std::make_unique<SqliteTarget>(options);
}

[[maybe_unused]] const bool kSqliteRegistered = RegisterTarget(Engine::kSQLite, &MakeSqliteTarget);

}  // namespace

}  // namespace waltune::verify
