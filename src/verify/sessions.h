// Client sessions of the write load, one per engine, talking to the engine's own client library.
#ifndef WALTUNE_VERIFY_SESSIONS_H_
#define WALTUNE_VERIFY_SESSIONS_H_

#include <cstdint>
#include <memory>
#include <string>

#include "load.h"
#include "waltune/instance.h"
#include "workloads.h"

struct sqlite3;
struct pg_conn;   // PGconn (libpq-fe.h)
struct st_mysql;  // MYSQL (mysql.h)

namespace waltune::verify {

// Table every engine gets: (client_id, seq) is the primary key, so a row can exist only once.
constexpr const char* kLoadTable = "waltune_load";

// A connection to the PostgreSQL server at `conninfo`, server notices ignored (messages such as
// "terminating connection" are expected when verify kills the server); Unavailable("PostgreSQL
// connect") when it fails.
Result<pg_conn*> ConnectPostgres(const std::string& conninfo);
// A connection as MariadbInstance::kUser over the server's socket; Unavailable("MariaDB
// connect") when it fails. A thread of the load calls mysql_thread_init first.
Result<st_mysql*> ConnectMariadb(const std::string& socket_path);

Result<std::unique_ptr<Session>> OpenPostgresSession(const std::string& conninfo);
Result<std::unique_ptr<Session>> OpenMariadbSession(const std::string& socket_path);

struct SqliteSessionOptions {
  std::string db_path;
  SettingList pragmas;      // applied with PRAGMA name=value on every connection
  uint64_t flush_delay_us;  // > 0: open through the delaying VFS
  LoadHeader* header;       // WAL hook counters (may be null)
  std::string vfs_name;     // non-empty: open through this registered VFS (flush_delay_us = 0)
};
Result<std::unique_ptr<Session>> OpenSqliteSession(const SqliteSessionOptions& options);

// Reads every pragma back on `db` (PRAGMA name): Unavailable naming the pragma when SQLite
// returns nothing for it (an unknown pragma is ignored without an error) or a value other than
// the one applied (settings_check.h). Every load connection is checked when it opens.
Status CheckPragmasInForce(sqlite3* db, const SettingList& pragmas);

// Sessions of the update and tpcb workloads: each Commit runs TxnSql's statements (BEGIN ..
// COMMIT) for its own random draws; a deadlock, serialization failure or SQLite busy before
// or at the COMMIT rolls back and asks for a retry. `seed` and the client make the draws
// differ between clients.
Result<std::unique_ptr<Session>> OpenPostgresWorkloadSession(const std::string& conninfo,
                                                             const WorkloadLayout& layout,
                                                             uint64_t seed);
Result<std::unique_ptr<Session>> OpenMariadbWorkloadSession(const std::string& socket_path,
                                                            const WorkloadLayout& layout,
                                                            uint64_t seed);
Result<std::unique_ptr<Session>> OpenSqliteWorkloadSession(const SqliteSessionOptions& options,
                                                           const WorkloadLayout& layout,
                                                           uint64_t seed);

// Registers (once per process) the "waltune-delay" VFS over the default one and sets what it
// does (for every connection opened through it): sleep `delay_us` before each xSync
// (flush-latency emulation for the forked SQLite writer, which a fork without exec cannot get
// through LD_PRELOAD), and time each xSync of a WAL file into `sync_log` (when not null:
// LoadHeader::wal_syncs). Returns its name.
const char* RegisterLoadVfs(uint64_t delay_us, LoadHeader* sync_log);

// Bytes of WAL frames that a recovery would read: frames after the 32-byte header whose salts
// match the header's, each page_size + 24 bytes. 0 when there is no WAL.
uint64_t SqliteValidWalBytes(const std::string& wal_path);

}  // namespace waltune::verify

#endif  // WALTUNE_VERIFY_SESSIONS_H_
