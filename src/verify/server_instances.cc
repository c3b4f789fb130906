// PostgresInstance and MariadbInstance: how each engine is initialised, started and reached.
#include <glob.h>
#include <libpq-fe.h>
#include <mysql.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <mutex>
#include <regex>

#include "waltune/instance.h"
#include "waltune/parse_number.h"

namespace waltune {

namespace {

// First line printed by `binary --version` (no shell involved beyond popen's).
std::string VersionOutput(const std::string& binary) {
  std::string cmd = "'" + binary + "' --version 2>/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return "";
  char buf[512] = {0};
  std::string out;
  if (fgets(buf, sizeof(buf), p)) out = buf;
  pclose(p);
  return out;
}

std::string FirstVersionNumber(const std::string& text, const std::string& after) {
  std::smatch m;
  std::regex re(after + "[^0-9]*([0-9]+\\.[0-9]+(\\.[0-9]+)?)");
  if (std::regex_search(text, m, re)) return m[1];
  return "";
}

std::string FindExecutable(const std::vector<std::string>& candidates) {
  for (const auto& c : candidates) {
    if (access(c.c_str(), X_OK) == 0) return c;
  }
  return candidates.empty() ? "" : candidates.front();
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// PostgreSQL

PostgresInstance::PostgresInstance(InstanceOptions options) : ServerInstance(std::move(options)) {}

std::string PostgresInstance::BinDir() {
  glob_t g;
  std::string best;
  int best_major = -1;
  if (glob("/usr/lib/postgresql/*/bin/postgres", 0, nullptr, &g) == 0) {
    for (size_t i = 0; i < g.gl_pathc; ++i) {
      std::string path = g.gl_pathv[i];
      std::string_view rest(path.c_str() + std::strlen("/usr/lib/postgresql/"));
      int major = ParseInteger<int>(rest.substr(0, rest.find('/'))).value_or(-1);
      if (major > best_major) {
        best_major = major;
        best = path.substr(0, path.size() - std::strlen("/postgres"));
      }
    }
  }
  globfree(&g);
  return best.empty() ? "/usr/lib/postgresql/15/bin" : best;
}

std::string PostgresInstance::version() const {
  return FirstVersionNumber(VersionOutput(BinDir() + "/postgres"), "PostgreSQL\\)");
}

std::string PostgresInstance::socket_path() const { return dir_ + "/.s.PGSQL.5432"; }

std::string PostgresInstance::ConnInfo() const {
  // A conninfo value is single-quoted with \' and \\ escaped (libpq "Connection Strings"), so
  // a temp dir below a path with spaces still names the socket directory.
  std::string host;
  for (char c : dir_) {
    if (c == '\'' || c == '\\') host.push_back('\\');
    host.push_back(c);
  }
  // connect_timeout only bounds a server that hangs: a busy machine (compilers writing beside
  // a power-cut file system) once took over 5 s to admit a client after a recovery.
  return "host='" + host + "' port=5432 user=postgres dbname=postgres connect_timeout=30";
}

Status PostgresInstance::Initialize() {
  return RunTool({BinDir() + "/initdb", "-D", data_dir_, "-U", "postgres", "-A", "trust", "-E",
                  "UTF8", "--locale=C", "--no-sync", "--no-instructions"},
                 120);
}

std::vector<std::string> PostgresInstance::ServerArgv(const SettingList& settings) const {
  // log_line_prefix: timestamps to the ms, from which verify reads where a restart's time went
  // (ParsePostgresRecoveryPhases).
  std::vector<std::string> argv = {BinDir() + "/postgres", "-D", data_dir_};
  for (const std::string& option :
       {std::string("listen_addresses="), "unix_socket_directories=\"" + dir_ + "\"",
        std::string("port=5432"), std::string("logging_collector=off"),
        std::string("log_checkpoints=on"), std::string("log_line_prefix=%m [%p] "),
        std::string("max_connections=200")}) {
    argv.push_back("-c");
    argv.push_back(option);
  }
  for (const auto& [name, value] : settings) {
    argv.push_back("-c");
    argv.push_back(name + "=" + value);
  }
  return argv;
}

namespace {

// The postmaster's status in postmaster.pid: its 8th line, "starting", "ready", "stopping" or
// "standby" (PostgreSQL >= 10; postmaster.c writes "ready" right after it logs "database system
// is ready to accept connections", and pg_ctl -w waits for it). Empty when not readable.
std::string PostmasterStatus(const std::string& data_dir) {
  FILE* f = fopen((data_dir + "/postmaster.pid").c_str(), "re");
  if (f == nullptr) return "";
  char line[256];
  std::string status;
  for (int n = 1; n <= 8 && fgets(line, sizeof(line), f) != nullptr; ++n) {
    if (n == 8) status = line;
  }
  fclose(f);
  status.erase(std::remove_if(status.begin(), status.end(),
                              [](unsigned char c) { return std::isspace(c) != 0; }),
               status.end());
  return status;
}

}  // namespace

// No connection is tried before postmaster.pid says "ready": during crash recovery the
// postmaster forks a child for every attempt only to refuse it, and verify's polling every 2 ms
// (hundreds of forks a second) took CPU from the replay on 2 cores (docs/verify.md, "Where a
// PostgreSQL restart's time goes"). A killed server leaves its file saying "ready" until the
// new postmaster rewrites it: the pings in that moment fail at once (nothing listens), no fork.
Status PostgresInstance::TryConnect() const {
  if (PostmasterStatus(data_dir_) != "ready") {
    return Status::Unavailable("PostgreSQL", "postmaster.pid does not say ready");
  }
  if (PQping(ConnInfo().c_str()) == PQPING_OK) return Status::Ok();
  return Status::Unavailable("PostgreSQL", "not accepting connections");
}

int PostgresInstance::ShutdownSignal() const { return SIGINT; }  // fast shutdown

bool PostgresInstance::IsForbiddenSetting(const std::string& name) const {
  std::string n = Lower(name);
  return n == "listen_addresses" || n == "port" || n == "unix_socket_directories" ||
         n == "data_directory" || n == "logging_collector";
}

// ---------------------------------------------------------------------------------------------
// MariaDB

namespace {
std::once_flag g_mysql_init;
std::string MariadbServerBinary() {
  return FindExecutable({"/usr/sbin/mariadbd", "/usr/bin/mariadbd", "/usr/sbin/mysqld"});
}
}  // namespace

MariadbInstance::MariadbInstance(InstanceOptions options) : ServerInstance(std::move(options)) {
  std::call_once(g_mysql_init, [] { mysql_library_init(0, nullptr, nullptr); });
}

std::string MariadbInstance::version() const {
  return FirstVersionNumber(VersionOutput(MariadbServerBinary()), "Ver");
}

std::string MariadbInstance::socket_path() const { return dir_ + "/mysqld.sock"; }

Status MariadbInstance::Initialize() {
  std::string install = FindExecutable(
      {"/usr/bin/mariadb-install-db", "/usr/bin/mysql_install_db", "/usr/sbin/mariadb-install-db"});
  // Runs as the server user already (RunTool), so no --user.
  return RunTool(
      {install, "--no-defaults", "--datadir=" + data_dir_,
       "--auth-root-authentication-method=normal", "--skip-test-db", "--skip-name-resolve"},
      300);
}

std::vector<std::string> MariadbInstance::ServerArgv(const SettingList& settings) const {
  std::vector<std::string> argv = {MariadbServerBinary(),
                                   "--no-defaults",
                                   "--datadir=" + data_dir_,
                                   "--socket=" + socket_path(),
                                   "--pid-file=" + dir_ + "/mariadbd.pid",
                                   "--skip-networking",
                                   "--skip-name-resolve",
                                   "--max-connections=300"};
  for (const auto& [name, value] : settings) argv.push_back("--" + name + "=" + value);
  return argv;
}

Status MariadbInstance::TryConnect() const {
  MYSQL* m = mysql_init(nullptr);
  if (!m) return Status::Internal("mysql_init failed");
  unsigned int timeout_s = 5;
  mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &timeout_s);
  Status s;
  if (!mysql_real_connect(m, nullptr, kUser, "", nullptr, 0, socket_path().c_str(), 0)) {
    s = Status::Unavailable("MariaDB", mysql_error(m));
  } else if (mysql_query(m, "SELECT 1") != 0) {
    s = Status::Unavailable("MariaDB", mysql_error(m));
  } else {
    MYSQL_RES* r = mysql_store_result(m);
    if (r) mysql_free_result(r);
  }
  mysql_close(m);
  return s;
}

int MariadbInstance::ShutdownSignal() const { return SIGTERM; }

bool MariadbInstance::IsForbiddenSetting(const std::string& name) const {
  std::string n = Lower(name);
  std::replace(n.begin(), n.end(), '-', '_');
  return n == "port" || n == "bind_address" || n == "socket" || n == "skip_networking" ||
         n == "datadir" || n == "user" || n == "pid_file";
}

}  // namespace waltune
