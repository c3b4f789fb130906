// Throwaway database servers that waltune owns: PostgreSQL and MariaDB in a fresh temp dir, unix
// socket only, run as the unprivileged `postgres` / `mysql` user when waltune runs as root.
//
// Safety rules every instance keeps:
//  - it only ever touches the temp dir it created (mkdtemp); the destructor kills the server
//    (whole process group) and removes that dir unless keep_dir is set;
//  - no TCP: PostgreSQL gets listen_addresses='' and MariaDB --skip-networking;
//  - the server is a direct child in its own process group, so Kill() is a real SIGKILL of the
//    server and all its worker processes, followed by waitpid and a wait until /proc/PID is gone.
//
// Typical use (e.g. checking that advised settings are accepted):
//   waltune::PostgresInstance pg;
//   Status s = pg.Create();
//   if (s.ok()) s = pg.Start({{"max_wal_size", "4GB"}, {"synchronous_commit", "on"}});
//   if (!s.ok()) ... s.message() ends with the tail of the server log.
//
// Not thread-safe: one thread drives an instance. Create/Start/Kill/Stop should be called from a
// thread that outlives the server (the server gets SIGKILL when the forking thread exits).
#ifndef WALTUNE_INSTANCE_H_
#define WALTUNE_INSTANCE_H_

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "waltune/status.h"

namespace waltune {

// Engine settings as (name, value) in the engine's own spelling: {"max_wal_size", "4GB"}.
using SettingList = std::vector<std::pair<std::string, std::string>>;

struct InstanceOptions {
  // Directory in which the instance's own temp dir is created. Default: $TMPDIR, else /tmp.
  std::string parent_dir;
  // Flush-latency emulation: when flush_latency_us > 0 the server runs with
  // LD_PRELOAD=preload_library and WALTUNE_FLUSH_DELAY_US=flush_latency_us, which delays every
  // fsync/fdatasync and every write to an O_SYNC/O_DSYNC file. Unit: us. Default: 0 (off).
  // The library is copied into the instance's temp dir (readable by the server user) and
  // Start() fails unless it is then mapped in the server process.
  std::string preload_library;
  uint64_t flush_latency_us = 0;
  // Longest wait for the server to accept connections after a start. Unit: s.
  double start_timeout_s = 120;
  // Keep the temp dir after the instance is destroyed (for debugging).
  bool keep_dir = false;
  // Where the data directory (with its WAL) is made: "<data_parent_dir>/<user>-data", e.g. on a
  // power-loss simulating mount, while the log and the socket stay in the temp dir. Default: ""
  // = "<temp dir>/data". The directory is removed with the instance (unless keep_dir).
  std::string data_parent_dir;
};

class ServerInstance {
 public:
  ServerInstance(const ServerInstance&) = delete;
  ServerInstance& operator=(const ServerInstance&) = delete;
  // Kills the server if it runs and removes the temp dir (unless keep_dir).
  virtual ~ServerInstance();

  // Makes a fresh temp dir and initialises an empty cluster / datadir in it.
  Status Create();
  // Starts the server with `settings` added to its command line and waits until it accepts
  // connections over its unix socket. Settings that would open TCP or move the socket are
  // rejected. On failure the message ends with the tail of the server log.
  // REQUIRES: Create() succeeded, server not running.
  Status Start(const SettingList& settings);
  // SIGKILL to the server's process group, waitpid, then waits until /proc/PID and every
  // process of the group are gone. A no-op when not running.
  Status Kill();
  // Orderly shutdown (PostgreSQL fast shutdown, MariaDB SIGTERM); SIGKILL after a timeout.
  Status Stop();
  // Checks that the server accepts a connection over its socket (PQping / connect + SELECT 1).
  Status ConnectCheck() const;

  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  // The temp dir this instance created (empty before Create()).
  const std::string& dir() const { return dir_; }
  // The data directory (PGDATA / datadir), inside dir() unless data_parent_dir was set.
  const std::string& data_dir() const { return data_dir_; }
  // Where the server's stdout/stderr (its log) goes.
  const std::string& log_path() const { return log_path_; }
  // Seconds from spawning the server to its first accepted connection, for the last Start().
  double last_start_s() const { return last_start_s_; }
  // Flushes the flush-delay library has delayed in this instance's server processes since the
  // last Start() with --flush-latency-us (its WALTUNE_FLUSH_DELAY_COUNTER file).
  Result<uint64_t> DelayedFlushes() const;
  // Current size of the log file; pass it to LogSince to read what a later start wrote.
  uint64_t LogSize() const;
  std::string LogSince(uint64_t offset) const;
  // Engine name and version as reported by the server binary ("PostgreSQL", "15.20").
  virtual const char* engine_name() const = 0;
  virtual std::string version() const = 0;
  // The unix socket the server listens on.
  virtual std::string socket_path() const = 0;

 protected:
  explicit ServerInstance(InstanceOptions options);
  // Engine hooks.
  virtual Status Initialize() = 0;  // initdb / install-db into dir_
  virtual std::vector<std::string> ServerArgv(const SettingList& settings) const = 0;
  virtual const char* ServerUser() const = 0;  // "postgres" / "mysql" (used when root)
  virtual Status TryConnect() const = 0;       // Ok once the server accepts connections
  virtual int ShutdownSignal() const = 0;
  virtual bool IsForbiddenSetting(const std::string& name) const = 0;

  // Runs `argv` to completion as the server user, output appended to the log.
  Status RunTool(const std::vector<std::string>& argv, double timeout_s) const;
  std::string LogTail() const;

  InstanceOptions options_;
  std::string dir_;
  std::string data_dir_;
  std::string log_path_;
  pid_t pid_ = -1;
  double last_start_s_ = 0;
};

class PostgresInstance : public ServerInstance {
 public:
  explicit PostgresInstance(InstanceOptions options = {});
  const char* engine_name() const override { return "PostgreSQL"; }
  std::string version() const override;
  std::string socket_path() const override;
  // libpq connection string for the instance (user postgres, database postgres).
  std::string ConnInfo() const;
  // Directory of initdb/postgres: the newest /usr/lib/postgresql/*/bin, or PATH.
  static std::string BinDir();

 protected:
  Status Initialize() override;
  std::vector<std::string> ServerArgv(const SettingList& settings) const override;
  const char* ServerUser() const override { return "postgres"; }
  Status TryConnect() const override;
  int ShutdownSignal() const override;
  bool IsForbiddenSetting(const std::string& name) const override;
};

class MariadbInstance : public ServerInstance {
 public:
  explicit MariadbInstance(InstanceOptions options = {});
  const char* engine_name() const override { return "MariaDB"; }
  std::string version() const override;
  std::string socket_path() const override;
  // Connects as root without password over the socket (root uses normal auth here).
  static constexpr const char* kUser = "root";

 protected:
  Status Initialize() override;
  std::vector<std::string> ServerArgv(const SettingList& settings) const override;
  const char* ServerUser() const override { return "mysql"; }
  Status TryConnect() const override;
  int ShutdownSignal() const override;
  bool IsForbiddenSetting(const std::string& name) const override;
};

// Makes a fresh private directory "<parent>/waltune-<tag>-XXXXXX" (mode 0700). When running as
// root and `owner` names a user, the directory is chowned to that user.
Result<std::string> MakeTempDir(const std::string& parent, const std::string& tag,
                                const char* owner);

// On SIGINT/SIGTERM: SIGKILL every process group waltune started (servers, SQLite writers) and
// set the flag Interrupted() reads, so the caller unwinds and its destructors remove temp dirs.
// A second signal exits at once (status 130). Idempotent.
void InstallCleanupSignalHandlers();
bool Interrupted();

}  // namespace waltune

#endif  // WALTUNE_INSTANCE_H_
