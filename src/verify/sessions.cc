#include "sessions.h"

#include <libpq-fe.h>
#include <mysql.h>
#include <sqlite3.h>
#include <time.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <mutex>
#include <optional>
#include <random>

#include "settings_check.h"
#include "waltune/env.h"
#include "waltune/parse_number.h"

namespace waltune::verify {

namespace {

// ---------------------------------------------------------------------------------------------
// PostgreSQL: one prepared INSERT in autocommit mode; the result is the commit acknowledgement.

class PostgresSession : public Session {
 public:
  explicit PostgresSession(PGconn* conn) : conn_(conn) {}
  ~PostgresSession() override { PQfinish(conn_); }

  Status Commit(int client, uint64_t seq, const std::string& payload, bool* retry) override {
    *retry = false;
    std::string c = std::to_string(client), s = std::to_string(seq);
    const char* values[3] = {c.c_str(), s.c_str(), payload.c_str()};
    PGresult* r = PQexecPrepared(conn_, "ins", 3, values, nullptr, nullptr, 0);
    ExecStatusType st = PQresultStatus(r);
    std::string err = st == PGRES_COMMAND_OK ? "" : PQerrorMessage(conn_);
    const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    // 40001 serialization failure / 40P01 deadlock: not committed, safe to retry.
    if (state && (std::strcmp(state, "40001") == 0 || std::strcmp(state, "40P01") == 0)) {
      *retry = true;
    }
    PQclear(r);
    if (st == PGRES_COMMAND_OK) return Status::Ok();
    return Status::IOError("PostgreSQL commit", err);
  }

 private:
  PGconn* conn_;
};

// ---------------------------------------------------------------------------------------------
// MariaDB: autocommit INSERT over the unix socket.

class MariadbSession : public Session {
 public:
  explicit MariadbSession(MYSQL* m) : m_(m) {}
  ~MariadbSession() override {
    mysql_close(m_);
    mysql_thread_end();
  }

  Status Commit(int client, uint64_t seq, const std::string& payload, bool* retry) override {
    *retry = false;
    std::string sql = "INSERT INTO waltune.waltune_load VALUES (" + std::to_string(client) + "," +
                      std::to_string(seq) + ",'" + payload + "')";
    if (mysql_real_query(m_, sql.data(), sql.size()) == 0) return Status::Ok();
    unsigned int err = mysql_errno(m_);
    if (err == 1213 || err == 1205) *retry = true;  // deadlock, lock wait timeout: rolled back
    return Status::IOError("MariaDB commit", mysql_error(m_));
  }

 private:
  MYSQL* m_;
};

// ---------------------------------------------------------------------------------------------
// SQLite: autocommit INSERT through a prepared statement; busy means not committed.

int WalHook(void* arg, sqlite3* db, const char* name, int frames);

// WAL hook state: replaces SQLite's auto-checkpoint hook, so it checkpoints the same way.
struct WalHookState {
  LoadHeader* header = nullptr;
  int autocheckpoint_frames = 1000;
};

class SqliteSession : public Session, public WalHookState {
 public:
  SqliteSession(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~SqliteSession() override {
    sqlite3_finalize(stmt_);
    sqlite3_close_v2(db_);
  }

  Status Commit(int client, uint64_t seq, const std::string& payload, bool* retry) override {
    *retry = false;
    sqlite3_bind_int(stmt_, 1, client);
    sqlite3_bind_int64(stmt_, 2, static_cast<sqlite3_int64>(seq));
    sqlite3_bind_text(stmt_, 3, payload.data(), static_cast<int>(payload.size()), SQLITE_STATIC);
    int rc = sqlite3_step(stmt_);
    sqlite3_reset(stmt_);
    if (rc == SQLITE_DONE) return Status::Ok();
    if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED) *retry = true;
    return Status::IOError("SQLite commit", sqlite3_errmsg(db_));
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

int WalHook(void* arg, sqlite3* db, const char* name, int frames) {
  auto* session = static_cast<WalHookState*>(arg);
  LoadHeader* h = session->header;
  if (h) {
    // Hooks of different connections run after their locks are released, so reports can
    // arrive out of order: count growth, treat a drop to under half as a WAL restart (after a
    // checkpoint), and ignore smaller drops as stale reports.
    const uint64_t now = static_cast<uint64_t>(frames);
    uint64_t before = h->wal_frames_now.load();
    while (true) {
      uint64_t added;
      if (now >= before) {
        added = now - before;
      } else if (now * 2 <= before) {
        added = now;
      } else {
        break;
      }
      if (h->wal_frames_now.compare_exchange_weak(before, now)) {
        h->wal_frames.fetch_add(added);
        // A restarted WAL means a checkpoint copied all of it back: one checkpoint cycle.
        if (now < before) h->checkpoints.fetch_add(1);
        break;
      }
    }
  }
  if (session->autocheckpoint_frames > 0 && frames >= session->autocheckpoint_frames) {
    // SQLite's own auto-checkpoint does exactly this (sqlite3WalDefaultHook).
    sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  }
  return SQLITE_OK;
}

// ---------------------------------------------------------------------------------------------
// The load's VFS: a wrapper file whose xSync sleeps first when a flush latency is emulated, and
// whose WAL file's xSync is timed into the load header; everything else forwarded.

uint64_t g_vfs_delay_us = 0;
LoadHeader* g_vfs_sync_log = nullptr;
sqlite3_vfs* g_real_vfs = nullptr;
sqlite3_vfs g_delay_vfs;

struct DelayFile {
  sqlite3_file base;
  sqlite3_file* real;  // allocated right after this struct
  bool wal;            // opened with SQLITE_OPEN_WAL
};

#define REAL_FILE(f) (reinterpret_cast<DelayFile*>(f)->real)

int DClose(sqlite3_file* f) {
  int rc = REAL_FILE(f)->pMethods ? REAL_FILE(f)->pMethods->xClose(REAL_FILE(f)) : SQLITE_OK;
  return rc;
}
int DRead(sqlite3_file* f, void* b, int n, sqlite3_int64 o) {
  return REAL_FILE(f)->pMethods->xRead(REAL_FILE(f), b, n, o);
}
int DWrite(sqlite3_file* f, const void* b, int n, sqlite3_int64 o) {
  return REAL_FILE(f)->pMethods->xWrite(REAL_FILE(f), b, n, o);
}
int DTruncate(sqlite3_file* f, sqlite3_int64 size) {
  return REAL_FILE(f)->pMethods->xTruncate(REAL_FILE(f), size);
}
int DSync(sqlite3_file* f, int flags) {
  struct timespec ts {
    static_cast<time_t>(g_vfs_delay_us / 1000000),
        static_cast<long>((g_vfs_delay_us % 1000000) * 1000)
  };
  while (g_vfs_delay_us > 0 && clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) != 0) {
  }
  LoadHeader* log = reinterpret_cast<DelayFile*>(f)->wal ? g_vfs_sync_log : nullptr;
  const uint64_t t0_ns = log ? Env::Default()->NowNanos() : 0;
  const int rc = REAL_FILE(f)->pMethods->xSync(REAL_FILE(f), flags);
  if (log) {
    const uint64_t ns = std::min<uint64_t>(Env::Default()->NowNanos() - t0_ns, UINT32_MAX);
    // Numbered once done; a reader that counts this sync an instant before the store below
    // reads the ring's older value for it.
    const uint64_t n = log->wal_syncs.fetch_add(1);
    log->wal_sync_ns[n % kWalSyncRing].store(static_cast<uint32_t>(ns));
  }
  return rc;
}
int DFileSize(sqlite3_file* f, sqlite3_int64* size) {
  return REAL_FILE(f)->pMethods->xFileSize(REAL_FILE(f), size);
}
int DLock(sqlite3_file* f, int l) { return REAL_FILE(f)->pMethods->xLock(REAL_FILE(f), l); }
int DUnlock(sqlite3_file* f, int l) { return REAL_FILE(f)->pMethods->xUnlock(REAL_FILE(f), l); }
int DCheckReserved(sqlite3_file* f, int* out) {
  return REAL_FILE(f)->pMethods->xCheckReservedLock(REAL_FILE(f), out);
}
int DFileControl(sqlite3_file* f, int op, void* arg) {
  return REAL_FILE(f)->pMethods->xFileControl(REAL_FILE(f), op, arg);
}
int DSectorSize(sqlite3_file* f) { return REAL_FILE(f)->pMethods->xSectorSize(REAL_FILE(f)); }
int DDeviceChar(sqlite3_file* f) {
  return REAL_FILE(f)->pMethods->xDeviceCharacteristics(REAL_FILE(f));
}
int DShmMap(sqlite3_file* f, int pg, int sz, int extend, void volatile** p) {
  return REAL_FILE(f)->pMethods->xShmMap(REAL_FILE(f), pg, sz, extend, p);
}
int DShmLock(sqlite3_file* f, int off, int n, int flags) {
  return REAL_FILE(f)->pMethods->xShmLock(REAL_FILE(f), off, n, flags);
}
void DShmBarrier(sqlite3_file* f) { REAL_FILE(f)->pMethods->xShmBarrier(REAL_FILE(f)); }
int DShmUnmap(sqlite3_file* f, int del) {
  return REAL_FILE(f)->pMethods->xShmUnmap(REAL_FILE(f), del);
}
int DFetch(sqlite3_file* f, sqlite3_int64 o, int n, void** p) {
  return REAL_FILE(f)->pMethods->xFetch(REAL_FILE(f), o, n, p);
}
int DUnfetch(sqlite3_file* f, sqlite3_int64 o, void* p) {
  return REAL_FILE(f)->pMethods->xUnfetch(REAL_FILE(f), o, p);
}

const sqlite3_io_methods kDelayIo = {
    3,        DClose,      DRead,          DWrite,       DTruncate,   DSync,       DFileSize,
    DLock,    DUnlock,     DCheckReserved, DFileControl, DSectorSize, DDeviceChar, DShmMap,
    DShmLock, DShmBarrier, DShmUnmap,      DFetch,       DUnfetch};

int DOpen(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* f, int flags, int* out_flags) {
  auto* df = reinterpret_cast<DelayFile*>(f);
  df->real = reinterpret_cast<sqlite3_file*>(df + 1);
  df->wal = (flags & SQLITE_OPEN_WAL) != 0;
  int rc = g_real_vfs->xOpen(g_real_vfs, name, df->real, flags, out_flags);
  df->base.pMethods = (rc == SQLITE_OK && df->real->pMethods) ? &kDelayIo : nullptr;
  return rc;
}
int DDelete(sqlite3_vfs*, const char* n, int s) { return g_real_vfs->xDelete(g_real_vfs, n, s); }
int DAccess(sqlite3_vfs*, const char* n, int fl, int* o) {
  return g_real_vfs->xAccess(g_real_vfs, n, fl, o);
}
int DFullPath(sqlite3_vfs*, const char* n, int sz, char* o) {
  return g_real_vfs->xFullPathname(g_real_vfs, n, sz, o);
}
void* DDlOpen(sqlite3_vfs*, const char* n) { return g_real_vfs->xDlOpen(g_real_vfs, n); }
void DDlError(sqlite3_vfs*, int n, char* m) { g_real_vfs->xDlError(g_real_vfs, n, m); }
void (*DDlSym(sqlite3_vfs*, void* h, const char* s))(void) {
  return g_real_vfs->xDlSym(g_real_vfs, h, s);
}
void DDlClose(sqlite3_vfs*, void* h) { g_real_vfs->xDlClose(g_real_vfs, h); }
int DRandomness(sqlite3_vfs*, int n, char* o) { return g_real_vfs->xRandomness(g_real_vfs, n, o); }
int DSleep(sqlite3_vfs*, int us) { return g_real_vfs->xSleep(g_real_vfs, us); }
int DCurrentTime(sqlite3_vfs*, double* t) { return g_real_vfs->xCurrentTime(g_real_vfs, t); }
int DGetLastError(sqlite3_vfs*, int n, char* m) {
  return g_real_vfs->xGetLastError ? g_real_vfs->xGetLastError(g_real_vfs, n, m) : 0;
}
int DCurrentTimeInt64(sqlite3_vfs*, sqlite3_int64* t) {
  return g_real_vfs->xCurrentTimeInt64(g_real_vfs, t);
}

// Server messages such as "terminating connection due to unexpected postmaster exit" are
// expected when verify kills the server; the failed call reports the error itself.
void IgnoreNotice(void*, const char*) {}

Status SqliteError(sqlite3* db, const std::string& what) {
  return Status::IOError("SQLite " + what, db ? sqlite3_errmsg(db) : "out of memory");
}

}  // namespace

const char* RegisterLoadVfs(uint64_t delay_us, LoadHeader* sync_log) {
  // Every client thread opens its connection through here: without the lock a second thread
  // could see g_real_vfs set and open "waltune-delay" before the first has registered it ("no
  // such vfs", seen once in a clean-clone CI on a busy machine).
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  g_vfs_delay_us = delay_us;
  g_vfs_sync_log = sync_log;
  if (g_real_vfs == nullptr) {
    g_real_vfs = sqlite3_vfs_find(nullptr);
    std::memset(&g_delay_vfs, 0, sizeof(g_delay_vfs));
    g_delay_vfs.iVersion = 2;
    g_delay_vfs.szOsFile = static_cast<int>(sizeof(DelayFile)) + g_real_vfs->szOsFile;
    g_delay_vfs.mxPathname = g_real_vfs->mxPathname;
    g_delay_vfs.zName = "waltune-delay";
    g_delay_vfs.xOpen = DOpen;
    g_delay_vfs.xDelete = DDelete;
    g_delay_vfs.xAccess = DAccess;
    g_delay_vfs.xFullPathname = DFullPath;
    g_delay_vfs.xDlOpen = DDlOpen;
    g_delay_vfs.xDlError = DDlError;
    g_delay_vfs.xDlSym = DDlSym;
    g_delay_vfs.xDlClose = DDlClose;
    g_delay_vfs.xRandomness = DRandomness;
    g_delay_vfs.xSleep = DSleep;
    g_delay_vfs.xCurrentTime = DCurrentTime;
    g_delay_vfs.xGetLastError = DGetLastError;
    g_delay_vfs.xCurrentTimeInt64 = DCurrentTimeInt64;
    sqlite3_vfs_register(&g_delay_vfs, 0);
  }
  return g_delay_vfs.zName;
}

Result<PGconn*> ConnectPostgres(const std::string& conninfo) {
  PGconn* conn = PQconnectdb(conninfo.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string err = PQerrorMessage(conn);
    PQfinish(conn);
    return Status::Unavailable("PostgreSQL connect", err);
  }
  PQsetNoticeProcessor(conn, IgnoreNotice, nullptr);
  return conn;
}

Result<MYSQL*> ConnectMariadb(const std::string& socket_path) {
  MYSQL* m = mysql_init(nullptr);
  if (!m) return Status::Internal("mysql_init failed");
  if (!mysql_real_connect(m, nullptr, MariadbInstance::kUser, "", nullptr, 0, socket_path.c_str(),
                          0)) {
    std::string err = mysql_error(m);
    mysql_close(m);
    return Status::Unavailable("MariaDB connect", err);
  }
  return m;
}

namespace {

// A load thread's connection: the client library's per-thread state first (ended again when the
// connection fails; the session ends it when it closes).
Result<MYSQL*> ConnectMariadbFromLoadThread(const std::string& socket_path) {
  mysql_thread_init();
  Result<MYSQL*> connected = ConnectMariadb(socket_path);
  if (!connected.ok()) mysql_thread_end();
  return connected;
}

}  // namespace

Result<std::unique_ptr<Session>> OpenPostgresSession(const std::string& conninfo) {
  Result<PGconn*> connected = ConnectPostgres(conninfo);
  if (!connected.ok()) return connected.status();
  PGconn* conn = *connected;
  PGresult* r = PQprepare(conn, "ins",
                          "INSERT INTO waltune_load (client_id, seq, payload) VALUES ($1, $2, $3)",
                          3, nullptr);
  bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  PQclear(r);
  if (!ok) {
    std::string err = PQerrorMessage(conn);
    PQfinish(conn);
    return Status::IOError("PostgreSQL prepare", err);
  }
  return std::unique_ptr<Session>(new PostgresSession(conn));
}

Result<std::unique_ptr<Session>> OpenMariadbSession(const std::string& socket_path) {
  Result<MYSQL*> connected = ConnectMariadbFromLoadThread(socket_path);
  if (!connected.ok()) return connected.status();
  MYSQL* m = *connected;
  return std::unique_ptr<Session>(new MariadbSession(m));
}

Status CheckPragmasInForce(sqlite3* db, const SettingList& pragmas) {
  for (const auto& [name, value] : pragmas) {
    const std::string sql = "PRAGMA " + name;
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
      Status s = SqliteError(db, sql);
      sqlite3_finalize(st);
      return s;
    }
    std::optional<std::string> read;
    if (sqlite3_step(st) == SQLITE_ROW) {
      const unsigned char* text = sqlite3_column_text(st, 0);
      read = text ? reinterpret_cast<const char*>(text) : "";
    }
    sqlite3_finalize(st);
    if (!read) {
      return Status::Unavailable(name, "applied as " + value + ", but PRAGMA " + name +
                                           " reads back nothing (SQLite ignores an unknown "
                                           "pragma): not in force");
    }
    if (!SqlitePragmaInForce(name, value, *read)) {
      return Status::Unavailable(name, "applied as " + value + ", but the connection reads back " +
                                           *read + ": not in force");
    }
  }
  return Status::Ok();
}

// Opens the database as every load connection does (VFS, busy timeout, pragmas); *autocheckpoint
// gets the wal_autocheckpoint pragma's value (1000 when not set).
static Result<sqlite3*> OpenSqliteConnection(const SqliteSessionOptions& options,
                                             int* autocheckpoint_out) {
  const char* vfs = !options.vfs_name.empty()
                        ? options.vfs_name.c_str()
                        : RegisterLoadVfs(options.flush_delay_us, options.header);
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(options.db_path.c_str(), &db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, vfs);
  if (rc != SQLITE_OK) {
    Status s = SqliteError(db, "open " + options.db_path);
    sqlite3_close_v2(db);
    return s;
  }
  sqlite3_busy_timeout(db, 30000);
  int autocheckpoint = 1000;
  for (const auto& [name, value] : options.pragmas) {
    std::string sql = "PRAGMA " + name + "=" + value;
    rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) {
      Status s = SqliteError(db, sql);
      sqlite3_close_v2(db);
      return s;
    }
    if (name == "wal_autocheckpoint") {
      autocheckpoint = ParseInteger<int>(value).value_or(autocheckpoint);
    }
  }
  if (Status s = CheckPragmasInForce(db, options.pragmas); !s.ok()) {
    sqlite3_close_v2(db);
    return s;
  }
  *autocheckpoint_out = autocheckpoint;
  return db;
}

Result<std::unique_ptr<Session>> OpenSqliteSession(const SqliteSessionOptions& options) {
  int autocheckpoint = 1000;
  Result<sqlite3*> opened = OpenSqliteConnection(options, &autocheckpoint);
  if (!opened.ok()) return opened.status();
  sqlite3* db = *opened;
  int rc;
  sqlite3_stmt* stmt = nullptr;
  rc = sqlite3_prepare_v2(db,
                          "INSERT INTO waltune_load (client_id, seq, payload) VALUES (?1, ?2, ?3)",
                          -1, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    Status s = SqliteError(db, "prepare");
    sqlite3_close_v2(db);
    return s;
  }
  auto session = std::make_unique<SqliteSession>(db, stmt);
  session->header = options.header;
  session->autocheckpoint_frames = autocheckpoint;
  sqlite3_wal_hook(db, WalHook, static_cast<WalHookState*>(session.get()));
  return std::unique_ptr<Session>(std::move(session));
}

// ---------------------------------------------------------------------------------------------
// update / tpcb sessions: the statements of TxnSql, one round trip each.

namespace {

class WorkloadSession : public Session {
 public:
  WorkloadSession(const WorkloadLayout& layout, SqlDialect dialect, uint64_t seed)
      : layout_(layout), dialect_(dialect), seed_(seed) {}

  Status Commit(int client, uint64_t seq, const std::string& payload, bool* retry) override {
    *retry = false;
    if (!seeded_) {
      // Per client and per load phase (sessions are reopened after every crash).
      std::seed_seq ss{seed_, static_cast<uint64_t>(client), seq};
      rng_.seed(ss);
      seeded_ = true;
    }
    std::string changed = payload;
    if (!changed.empty()) changed[0] = static_cast<char>('A' + seq % 26);
    const std::vector<std::string> sql =
        TxnSql(layout_, dialect_, client, seq, DrawTxn(layout_, &rng_), changed);
    for (size_t i = 0; i < sql.size(); ++i) {
      Status s = Run(sql[i], retry);
      if (s.ok()) continue;
      // Not committed (a failed COMMIT of these engines rolls back or leaves the transaction
      // open): end the transaction so that the connection can go on.
      if (sql.size() > 1) Rollback();
      return s;
    }
    return Status::Ok();
  }

 protected:
  // Runs one statement (reading and discarding any rows). *retry: the engine says the
  // transaction failed on a conflict and nothing of it committed.
  virtual Status Run(const std::string& sql, bool* retry) = 0;
  virtual void Rollback() = 0;

 private:
  WorkloadLayout layout_;
  SqlDialect dialect_;
  uint64_t seed_;
  bool seeded_ = false;
  std::mt19937_64 rng_;
};

class PostgresWorkloadSession : public WorkloadSession {
 public:
  PostgresWorkloadSession(PGconn* conn, const WorkloadLayout& layout, uint64_t seed)
      : WorkloadSession(layout, SqlDialect::kPostgreSQL, seed), conn_(conn) {}
  ~PostgresWorkloadSession() override { PQfinish(conn_); }

 protected:
  Status Run(const std::string& sql, bool* retry) override {
    PGresult* r = PQexec(conn_, sql.c_str());
    ExecStatusType st = PQresultStatus(r);
    const bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    std::string err = ok ? "" : PQerrorMessage(conn_);
    const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    // 40001 serialization failure / 40P01 deadlock: rolled back, safe to retry.
    if (state && (std::strcmp(state, "40001") == 0 || std::strcmp(state, "40P01") == 0)) {
      *retry = true;
    }
    PQclear(r);
    if (ok) return Status::Ok();
    return Status::IOError("PostgreSQL commit", err);
  }
  void Rollback() override { PQclear(PQexec(conn_, "ROLLBACK")); }

 private:
  PGconn* conn_;
};

class MariadbWorkloadSession : public WorkloadSession {
 public:
  MariadbWorkloadSession(MYSQL* m, const WorkloadLayout& layout, uint64_t seed)
      : WorkloadSession(layout, SqlDialect::kMariaDB, seed), m_(m) {}
  ~MariadbWorkloadSession() override {
    mysql_close(m_);
    mysql_thread_end();
  }

 protected:
  Status Run(const std::string& sql, bool* retry) override {
    if (mysql_real_query(m_, sql.data(), sql.size()) == 0) {
      if (MYSQL_RES* res = mysql_store_result(m_)) mysql_free_result(res);
      return Status::Ok();
    }
    unsigned int err = mysql_errno(m_);
    // 1213 deadlock: InnoDB rolled the transaction back. 1205 lock wait timeout rolls back
    // only the statement; the Rollback() that follows ends the rest.
    if (err == 1213 || err == 1205) *retry = true;
    return Status::IOError("MariaDB commit", mysql_error(m_));
  }
  void Rollback() override {
    if (mysql_query(m_, "ROLLBACK") == 0) {
      if (MYSQL_RES* res = mysql_store_result(m_)) mysql_free_result(res);
    }
  }

 private:
  MYSQL* m_;
};

class SqliteWorkloadSession : public WorkloadSession, public WalHookState {
 public:
  SqliteWorkloadSession(sqlite3* db, const WorkloadLayout& layout, uint64_t seed)
      : WorkloadSession(layout, SqlDialect::kSQLite, seed), db_(db) {}
  ~SqliteWorkloadSession() override { sqlite3_close_v2(db_); }

 protected:
  Status Run(const std::string& sql, bool* retry) override {
    int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
    if (rc == SQLITE_OK) return Status::Ok();
    if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED) *retry = true;
    return Status::IOError("SQLite commit", sqlite3_errmsg(db_));
  }
  void Rollback() override {
    if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }

 private:
  sqlite3* db_;
};

}  // namespace

Result<std::unique_ptr<Session>> OpenPostgresWorkloadSession(const std::string& conninfo,
                                                             const WorkloadLayout& layout,
                                                             uint64_t seed) {
  Result<PGconn*> connected = ConnectPostgres(conninfo);
  if (!connected.ok()) return connected.status();
  PGconn* conn = *connected;
  return std::unique_ptr<Session>(new PostgresWorkloadSession(conn, layout, seed));
}

Result<std::unique_ptr<Session>> OpenMariadbWorkloadSession(const std::string& socket_path,
                                                            const WorkloadLayout& layout,
                                                            uint64_t seed) {
  Result<MYSQL*> connected = ConnectMariadbFromLoadThread(socket_path);
  if (!connected.ok()) return connected.status();
  MYSQL* m = *connected;
  return std::unique_ptr<Session>(new MariadbWorkloadSession(m, layout, seed));
}

Result<std::unique_ptr<Session>> OpenSqliteWorkloadSession(const SqliteSessionOptions& options,
                                                           const WorkloadLayout& layout,
                                                           uint64_t seed) {
  int autocheckpoint = 1000;
  Result<sqlite3*> opened = OpenSqliteConnection(options, &autocheckpoint);
  if (!opened.ok()) return opened.status();
  auto session = std::make_unique<SqliteWorkloadSession>(*opened, layout, seed);
  session->header = options.header;
  session->autocheckpoint_frames = autocheckpoint;
  sqlite3_wal_hook(*opened, WalHook, static_cast<WalHookState*>(session.get()));
  return std::unique_ptr<Session>(std::move(session));
}

uint64_t SqliteValidWalBytes(const std::string& wal_path) {
  std::ifstream in(wal_path, std::ios::binary);
  unsigned char hdr[32];
  if (!in.read(reinterpret_cast<char*>(hdr), sizeof(hdr))) return 0;
  auto be32 = [](const unsigned char* p) {
    return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
  };
  uint32_t magic = be32(hdr);
  if (magic != 0x377f0682 && magic != 0x377f0683) return 0;
  uint32_t page_size = be32(hdr + 8);
  if (page_size == 1) page_size = 65536;
  if (page_size < 512) return 0;
  const uint32_t salt1 = be32(hdr + 16), salt2 = be32(hdr + 20);
  std::vector<char> page(page_size);
  uint64_t frames = 0;
  unsigned char fh[24];
  while (in.read(reinterpret_cast<char*>(fh), sizeof(fh)) && in.read(page.data(), page_size)) {
    if (be32(fh + 8) != salt1 || be32(fh + 12) != salt2) break;
    ++frames;
  }
  return frames * (page_size + 24);
}

}  // namespace waltune::verify
