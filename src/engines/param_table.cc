#include "param_table.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <optional>

#include "waltune/engine_traits.h"
#include "waltune/units.h"

namespace waltune::engines {
namespace {

constexpr EngineVersion kAny{0, 0, 0};
constexpr EngineVersion V(int major, int minor, int patch = 0) { return {major, minor, patch}; }
constexpr double kU32 = 4294967295.0;
constexpr double kU64 = 18446744073709551615.0;

// Sources. PostgreSQL: the GUC table (src/backend/utils/misc/guc_tables.c from 16, guc.c
// before) gives each parameter's context (pg_settings.context), type, range and enum values;
// the chapter on WAL settings gives the versions.
constexpr const char* kPgGuc =
    "src/backend/utils/misc/guc_tables.c (guc.c before 16); "
    "https://www.postgresql.org/docs/current/runtime-config-wal.html";
constexpr const char* kPgWalCompression =
    "guc_tables.c wal_compression_options (pglz, lz4, zstd, on, off from 15; a boolean in "
    "guc.c 9.5-14); https://www.postgresql.org/docs/15/release-15.html";
// MySQL: the InnoDB variables are declared in storage/innobase/handler/ha_innodb.cc (MYSQL_SYSVAR
// with PLUGIN_VAR_READONLY for restart-only ones), server variables in sql/sys_vars.cc.
constexpr const char* kMyInnodb =
    "storage/innobase/handler/ha_innodb.cc; "
    "https://dev.mysql.com/doc/refman/8.4/en/innodb-parameters.html";
constexpr const char* kMyRedo =
    "https://dev.mysql.com/doc/refman/8.0/en/innodb-redo-log.html (innodb_redo_log_capacity "
    "from 8.0.30; innodb_log_file_size / innodb_log_files_in_group deprecated from 8.0.30)";
constexpr const char* kMyBinlog =
    "sql/sys_vars.cc; https://dev.mysql.com/doc/refman/8.4/en/replication-options-binary-log.html "
    "(--log-bin[=base_name]; 5.7: binary logging needs --server-id)";
// MariaDB: InnoDB variables in storage/innobase/handler/ha_innodb.cc, server ones in
// sql/sys_vars.cc; the knowledge base lists versions and whether a variable is dynamic.
constexpr const char* kMariaInnodb =
    "storage/innobase/handler/ha_innodb.cc; "
    "https://mariadb.com/kb/en/innodb-system-variables/";
constexpr const char* kMariaRedo =
    "https://mariadb.com/kb/en/innodb-redo-log/ (one ib_logfile0 from 10.5: "
    "innodb_log_files_in_group deprecated and ignored in 10.5, removed in 10.6.0; "
    "innodb_log_file_size dynamic from 10.9, MDEV-27812)";
constexpr const char* kMariaBinlog =
    "sql/sys_vars.cc; https://mariadb.com/kb/en/replication-and-binary-log-system-variables/ "
    "(binlog_commit_wait_count / binlog_commit_wait_usec: MariaDB's group-commit wait)";
// SQLite: https://www.sqlite.org/pragma.html; journal_mode=WAL is persistent
// (https://www.sqlite.org/wal.html#persistence_of_wal_mode), the others hold per connection.
constexpr const char* kSqlitePragma = "https://www.sqlite.org/pragma.html";
constexpr const char* kSqliteWal = "https://www.sqlite.org/wal.html#persistence_of_wal_mode";

using T = ParamType;
using C = ParamContext;
const std::vector<std::string> kNoValues;

// Deliberate table (one row per parameter; scripts/check_function_length.py allows its length).
std::vector<ParamSpec> BuildTable() {
  const Engine pg = Engine::kPostgreSQL, my = Engine::kMySQL, ma = Engine::kMariaDB,
               lite = Engine::kSQLite;
  const std::vector<std::string> flush_methods = {"fsync",  "O_DSYNC",  "littlesync",
                                                  "nosync", "O_DIRECT", "O_DIRECT_NO_FSYNC"};
  return {
      // ----- PostgreSQL ------------------------------------------------------------------
      {pg,
       "wal_level",
       V(9, 6),
       kAny,
       T::kEnum,
       {"minimal", "replica", "logical"},
       0,
       0,
       false,
       "",
       C::kPgPostmaster,
       kAny,
       kPgGuc},
      {pg, "fsync", kAny, kAny, T::kBool, kNoValues, 0, 0, false, "", C::kPgSighup, kAny, kPgGuc},
      {pg, "full_page_writes", kAny, kAny, T::kBool, kNoValues, 0, 0, false, "", C::kPgSighup, kAny,
       kPgGuc},
      {pg,
       "synchronous_commit",
       V(9, 6),
       kAny,
       T::kEnum,
       {"on", "off", "local", "remote_write", "remote_apply"},
       0,
       0,
       false,
       "",
       C::kPgUser,
       kAny,
       kPgGuc},
      {pg, "wal_writer_delay", kAny, kAny, T::kDuration, kNoValues, 0.001, 10, false, "ms",
       C::kPgSighup, kAny, kPgGuc},
      {pg, "wal_buffers", kAny, kAny, T::kBytes, kNoValues, 32.0 * 1024, 2147483647.0 * 8192, true,
       "bytes", C::kPgPostmaster, kAny, kPgGuc},
      {pg, "wal_compression", V(9, 5), V(15, 0), T::kBool, kNoValues, 0, 0, false, "",
       C::kPgSuperuser, kAny, kPgWalCompression},
      {pg,
       "wal_compression",
       V(15, 0),
       kAny,
       T::kEnum,
       {"pglz", "lz4", "zstd", "on", "off"},
       0,
       0,
       false,
       "",
       C::kPgSuperuser,
       kAny,
       kPgWalCompression},
      {pg, "max_wal_size", V(9, 5), kAny, T::kBytes, kNoValues, 32.0 * kMiB, 2147483647.0 * kMiB,
       false, "bytes", C::kPgSighup, kAny, kPgGuc},
      {pg, "min_wal_size", V(9, 5), kAny, T::kBytes, kNoValues, 32.0 * kMiB, 2147483647.0 * kMiB,
       false, "bytes", C::kPgSighup, kAny, kPgGuc},
      {pg,
       "wal_sync_method",
       kAny,
       kAny,
       T::kEnum,
       {"fsync", "fdatasync", "open_sync", "open_datasync", "fsync_writethrough"},
       0,
       0,
       false,
       "",
       C::kPgSighup,
       kAny,
       kPgGuc},
      {pg, "checkpoint_timeout", kAny, kAny, T::kDuration, kNoValues, 30, 86400, false, "s",
       C::kPgSighup, kAny, kPgGuc},
      {pg, "checkpoint_completion_target", kAny, kAny, T::kReal, kNoValues, 0, 1, false, "ratio",
       C::kPgSighup, kAny, kPgGuc},
      {pg, "checkpoint_warning", kAny, kAny, T::kDuration, kNoValues, 0, 2147483647, false, "s",
       C::kPgSighup, kAny, kPgGuc},
      {pg, "commit_delay", V(9, 3), kAny, T::kInt, kNoValues, 0, 100000, false, "us",
       C::kPgSuperuser, kAny, kPgGuc},
      {pg, "commit_siblings", kAny, kAny, T::kInt, kNoValues, 0, 1000, false, "count", C::kPgUser,
       kAny, kPgGuc},

      // ----- MySQL -----------------------------------------------------------------------
      {my,
       "innodb_flush_log_at_trx_commit",
       kAny,
       kAny,
       T::kEnum,
       {"0", "1", "2"},
       0,
       0,
       false,
       "",
       C::kMyDynamic,
       kAny,
       kMyInnodb},
      {my, "innodb_flush_log_at_timeout", V(5, 6, 6), kAny, T::kInt, kNoValues, 1, 2700, false, "s",
       C::kMyDynamic, kAny, kMyInnodb},
      {my, "log_bin", kAny, kAny, T::kFileBase, kNoValues, 0, 0, false, "", C::kMyReadOnly, kAny,
       kMyBinlog},
      {my, "server_id", kAny, kAny, T::kInt, kNoValues, 0, kU32, false, "", C::kMyDynamic, kAny,
       kMyBinlog},
      {my, "sync_binlog", kAny, kAny, T::kInt, kNoValues, 0, kU32, false, "commit groups",
       C::kMyDynamic, kAny, kMyBinlog},
      {my, "innodb_doublewrite", kAny, V(8, 0, 30), T::kBool, kNoValues, 0, 0, false, "",
       C::kMyReadOnly, kAny, kMyInnodb},
      // From 8.0.30 an enum; switching between the DETECT_* modes is online, turning the buffer
      // on needs a restart: listed as restart-only.
      {my,
       "innodb_doublewrite",
       V(8, 0, 30),
       kAny,
       T::kEnum,
       {"ON", "OFF", "DETECT_AND_RECOVER", "DETECT_ONLY"},
       0,
       0,
       false,
       "",
       C::kMyReadOnly,
       kAny,
       kMyInnodb},
      {my, "innodb_log_buffer_size", kAny, V(8, 0, 0), T::kBytes, kNoValues, 1.0 * kMiB, 4.0 * kGiB,
       false, "bytes", C::kMyReadOnly, kAny, kMyInnodb},
      {my, "innodb_log_buffer_size", V(8, 0, 0), kAny, T::kBytes, kNoValues, 256.0 * 1024,
       4.0 * kGiB, false, "bytes", C::kMyDynamic, kAny, kMyInnodb},
      {my, "innodb_redo_log_capacity", V(8, 0, 30), kAny, T::kBytes, kNoValues, 8.0 * kMiB,
       128.0 * kGiB, false, "bytes", C::kMyDynamic, kAny, kMyRedo},
      {my, "innodb_log_file_size", kAny, kAny, T::kBytes, kNoValues, 4.0 * kMiB, 512.0 * kGiB,
       false, "bytes", C::kMyReadOnly, V(8, 0, 30), kMyRedo},
      {my, "innodb_log_files_in_group", kAny, kAny, T::kInt, kNoValues, 2, 100, false, "files",
       C::kMyReadOnly, V(8, 0, 30), kMyRedo},
      {my, "innodb_flush_method", kAny, kAny, T::kEnum, flush_methods, 0, 0, false, "",
       C::kMyReadOnly, kAny, kMyInnodb},
      {my, "innodb_io_capacity", kAny, kAny, T::kInt, kNoValues, 100, kU64, false, "pages/s",
       C::kMyDynamic, kAny, kMyInnodb},
      {my, "innodb_io_capacity_max", kAny, kAny, T::kInt, kNoValues, 100, kU64, false, "pages/s",
       C::kMyDynamic, kAny, kMyInnodb},
      {my, "innodb_adaptive_flushing", kAny, kAny, T::kBool, kNoValues, 0, 0, false, "",
       C::kMyDynamic, kAny, kMyInnodb},
      {my, "binlog_group_commit_sync_delay", V(5, 7, 5), kAny, T::kInt, kNoValues, 0, 1000000,
       false, "us", C::kMyDynamic, kAny, kMyBinlog},
      {my, "binlog_group_commit_sync_no_delay_count", V(5, 7, 5), kAny, T::kInt, kNoValues, 0,
       100000, false, "commits", C::kMyDynamic, kAny, kMyBinlog},

      // ----- MariaDB ---------------------------------------------------------------------
      {ma,
       "innodb_flush_log_at_trx_commit",
       kAny,
       kAny,
       T::kEnum,
       {"0", "1", "2", "3"},
       0,
       0,
       false,
       "",
       C::kMyDynamic,
       kAny,
       kMariaInnodb},
      {ma, "innodb_flush_log_at_timeout", kAny, kAny, T::kInt, kNoValues, 0, 2700, false, "s",
       C::kMyDynamic, kAny, kMariaInnodb},
      {ma, "log_bin", kAny, kAny, T::kFileBase, kNoValues, 0, 0, false, "", C::kMyReadOnly, kAny,
       kMariaBinlog},
      {ma, "server_id", kAny, kAny, T::kInt, kNoValues, 1, kU32, false, "", C::kMyDynamic, kAny,
       kMariaBinlog},
      {ma, "sync_binlog", kAny, kAny, T::kInt, kNoValues, 0, kU32, false, "commit groups",
       C::kMyDynamic, kAny, kMariaBinlog},
      {ma,
       "innodb_doublewrite",
       kAny,
       kAny,
       T::kEnum,
       {"ON", "OFF", "1", "0", "fast"},
       0,
       0,
       false,
       "",
       C::kMyReadOnly,
       kAny,
       kMariaInnodb},
      {ma, "innodb_log_buffer_size", kAny, kAny, T::kBytes, kNoValues, 256.0 * 1024, 4.0 * kGiB,
       false, "bytes", C::kMyReadOnly, kAny, kMariaInnodb},
      {ma, "innodb_log_file_size", kAny, V(10, 9, 0), T::kBytes, kNoValues, 1.0 * kMiB,
       512.0 * kGiB, false, "bytes", C::kMyReadOnly, kAny, kMariaRedo},
      {ma, "innodb_log_file_size", V(10, 9, 0), kAny, T::kBytes, kNoValues, 4.0 * kMiB,
       512.0 * kGiB, false, "bytes", C::kMyDynamic, kAny, kMariaRedo},
      {ma, "innodb_log_files_in_group", kAny, V(10, 6, 0), T::kInt, kNoValues, 1, 100, false,
       "files", C::kMyReadOnly, V(10, 5, 0), kMariaRedo},
      {ma, "innodb_flush_method", kAny, kAny, T::kEnum, flush_methods, 0, 0, false, "",
       C::kMyReadOnly, V(11, 0, 0), kMariaInnodb},
      {ma, "innodb_io_capacity", kAny, kAny, T::kInt, kNoValues, 100, kU64, false, "pages/s",
       C::kMyDynamic, kAny, kMariaInnodb},
      {ma, "innodb_io_capacity_max", kAny, kAny, T::kInt, kNoValues, 100, kU64, false, "pages/s",
       C::kMyDynamic, kAny, kMariaInnodb},
      {ma, "innodb_adaptive_flushing", kAny, kAny, T::kBool, kNoValues, 0, 0, false, "",
       C::kMyDynamic, kAny, kMariaInnodb},
      {ma, "binlog_commit_wait_usec", kAny, kAny, T::kInt, kNoValues, 0, kU64, false, "us",
       C::kMyDynamic, kAny, kMariaBinlog},
      {ma, "binlog_commit_wait_count", kAny, kAny, T::kInt, kNoValues, 0, kU64, false, "commits",
       C::kMyDynamic, kAny, kMariaBinlog},

      // ----- SQLite ----------------------------------------------------------------------
      {lite,
       "journal_mode",
       V(3, 7, 0),
       kAny,
       T::kEnum,
       {"DELETE", "TRUNCATE", "PERSIST", "MEMORY", "WAL", "OFF"},
       0,
       0,
       false,
       "",
       C::kSqlitePersistent,
       kAny,
       kSqliteWal},
      {lite,
       "synchronous",
       kAny,
       V(3, 12, 0),
       T::kEnum,
       {"OFF", "NORMAL", "FULL", "0", "1", "2"},
       0,
       0,
       false,
       "",
       C::kSqliteConnection,
       kAny,
       kSqlitePragma},
      {lite,
       "synchronous",
       V(3, 12, 0),
       kAny,
       T::kEnum,
       {"OFF", "NORMAL", "FULL", "EXTRA", "0", "1", "2", "3"},
       0,
       0,
       false,
       "",
       C::kSqliteConnection,
       kAny,
       kSqlitePragma},
      {lite, "wal_autocheckpoint", V(3, 7, 0), kAny, T::kInt, kNoValues, -2147483648.0,
       2147483647.0, false, "pages", C::kSqliteConnection, kAny, kSqlitePragma},
      {lite, "journal_size_limit", kAny, kAny, T::kInt, kNoValues, -1, 9.2e18, false, "bytes",
       C::kSqliteConnection, kAny, kSqlitePragma},
  };
}

bool InRange(const ParamSpec& p, const EngineVersion& v) {
  if (v < p.since) return false;
  return p.until == kAny || v < p.until;
}

bool IsMy(Engine e) { return e == Engine::kMySQL || e == Engine::kMariaDB; }

std::optional<double> Number(const std::string& text) {
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || *end != '\0' || !std::isfinite(v)) return std::nullopt;
  return v;
}

const char* kBoolWords[] = {"on", "off", "true", "false", "yes", "no", "1", "0"};

bool IsBoolWord(const std::string& value) {
  const std::string v = NormalizeText(value);
  for (const char* w : kBoolWords) {
    if (v == w) return true;
  }
  return false;
}

std::string ValueOf(const Advice& a, const char* name) {
  const Setting* s = a.Find(name);
  return s && !s->informational ? NormalizeText(s->ConfigText()) : "";
}

std::string Join(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) out += (i ? ", " : "") + names[i];
  return out;
}

// The value as a SQL literal for SET / ALTER SYSTEM / PRAGMA.
std::string SqlValue(const Setting& s) {
  if (s.kind == Setting::Kind::kNumber) return s.ConfigText();
  return fmt::format("'{}'", s.ConfigText());  // not "'" + ...: GCC 12 -Wrestrict (bug 105329)
}

std::string MyValue(const Setting& s, const ParamSpec& p) {
  // Sizes as plain bytes: SET accepts no K/M/G suffix.
  if (p.type == ParamType::kBytes) {
    auto bytes = ParseBytes(s.ConfigText(), s.name);
    if (bytes.ok()) return std::to_string(*bytes);
  }
  if (s.kind == Setting::Kind::kNumber || p.type == ParamType::kBool) return s.ConfigText();
  return fmt::format("'{}'", s.ConfigText());  // not "'" + ...: GCC 12 -Wrestrict (bug 105329)
}

ApplyStep StepFor(Engine engine, const EngineVersion& v, const Setting& s, const ParamSpec& p) {
  ApplyStep step;
  step.setting = s.name;
  const bool mysql8 = engine == Engine::kMySQL && v >= EngineVersion{8, 0, 0};
  switch (p.context) {
    case C::kPgPostmaster:
      step.method = ApplyMethod::kRestart;
      step.how = fmt::format(
          "ALTER SYSTEM SET {} = {}; then restart the server (pg_ctl restart): "
          "pg_settings.context is postmaster, a reload does not apply it",
          s.name, SqlValue(s));
      break;
    case C::kPgSighup:
      step.method = ApplyMethod::kReload;
      step.how =
          fmt::format("ALTER SYSTEM SET {} = {}; SELECT pg_reload_conf();", s.name, SqlValue(s));
      break;
    case C::kPgSuperuser:
      step.method = ApplyMethod::kReload;
      step.how = fmt::format(
          "ALTER SYSTEM SET {} = {}; SELECT pg_reload_conf(); (superuser "
          "context: a superuser may also SET it per session)",
          s.name, SqlValue(s));
      break;
    case C::kPgUser:
      step.method = ApplyMethod::kReload;
      step.how = fmt::format(
          "ALTER SYSTEM SET {} = {}; SELECT pg_reload_conf(); (user context: "
          "can also be set per role, session or transaction)",
          s.name, SqlValue(s));
      break;
    case C::kMyDynamic:
      step.method = ApplyMethod::kReload;
      step.how = mysql8 ? fmt::format(
                              "SET PERSIST {} = {}; (in effect at once, kept across "
                              "restarts in mysqld-auto.cnf)",
                              s.name, MyValue(s, p))
                        : fmt::format(
                              "SET GLOBAL {} = {}; and keep `{} = {}` in my.cnf "
                              "[mysqld] (SET GLOBAL is lost on restart)",
                              s.name, MyValue(s, p), s.name, s.ConfigText());
      break;
    case C::kMyReadOnly:
      step.method = ApplyMethod::kRestart;
      if (mysql8 && s.name != "log_bin") {
        step.how = fmt::format(
            "SET PERSIST_ONLY {} = {}; (or `{} = {}` in my.cnf [mysqld]), "
            "then restart mysqld: read-only variable",
            s.name, MyValue(s, p), s.name, s.ConfigText());
      } else {
        step.how = fmt::format(
            "`{} = {}` in my.cnf [mysqld], then restart {}: read-only "
            "variable",
            s.name, s.ConfigText(), engine == Engine::kMariaDB ? "mariadbd" : "mysqld");
      }
      break;
    case C::kSqliteConnection:
      step.method = ApplyMethod::kSession;
      step.how = fmt::format(
          "PRAGMA {} = {}; on every connection right after it opens (not "
          "stored in the database file)",
          s.name, s.ConfigText());
      break;
    case C::kSqlitePersistent:
      step.method = ApplyMethod::kPersistentPragma;
      step.how = fmt::format(
          "PRAGMA {} = {}; once: WAL mode is stored in the database file and "
          "later connections open in it",
          s.name, s.ConfigText());
      break;
  }
  return step;
}

template <typename F>
void ForEachConfigSetting(const Advice& a, F f) {
  for (const auto* section : {&a.wal_config, &a.checkpoint_settings, &a.group_commit_settings}) {
    for (const Setting& s : *section) {
      if (!s.informational) f(s);
    }
  }
}

}  // namespace

const std::vector<ParamSpec>& ParamTable() {
  static const std::vector<ParamSpec> table = BuildTable();
  return table;
}

const ParamSpec* FindParam(Engine engine, const EngineVersion& version, std::string_view name) {
  for (const ParamSpec& p : ParamTable()) {
    if (p.engine == engine && name == p.name && InRange(p, version)) return &p;
  }
  return nullptr;
}

std::string CheckValue(const ParamSpec& p, const std::string& value) {
  const std::string v = NormalizeText(value);
  switch (p.type) {
    case T::kBool:
      if (IsBoolWord(v)) return "";
      return fmt::format("'{}' is not a boolean", value);
    case T::kEnum:
      for (const std::string& allowed : p.values) {
        if (NormalizeText(allowed) == v) return "";
      }
      return fmt::format("'{}' is not one of {}", value, Join(p.values));
    case T::kInt:
    case T::kReal: {
      auto n = Number(value);
      if (!n) return fmt::format("'{}' is not a number", value);
      if (p.type == T::kInt && *n != std::floor(*n)) {
        return fmt::format("'{}' is not an integer", value);
      }
      if (*n < p.min || *n > p.max) {
        return fmt::format("{} is outside [{}, {}]", value, p.min, p.max);
      }
      return "";
    }
    case T::kBytes: {
      if (p.allow_minus_one && v == "-1") return "";
      auto b = ParseBytes(value, p.name);
      if (!b.ok()) return fmt::format("'{}' is not a size", value);
      if (*b < p.min || *b > p.max) {
        return fmt::format("{} is outside [{}, {}]", value, FormatHumanBytes(p.min),
                           FormatHumanBytes(p.max));
      }
      return "";
    }
    case T::kDuration: {
      auto d = ParseDurationS(value, p.name);
      if (!d.ok()) return fmt::format("'{}' is not a duration", value);
      if (*d < p.min - 1e-9 || *d > p.max + 1e-9) {
        return fmt::format("{} is outside [{} s, {} s]", value, p.min, p.max);
      }
      return "";
    }
    case T::kFileBase:
      if (v.empty() || IsBoolWord(v)) {
        return fmt::format(
            "'{}' would be taken as a file base name (a binary log named '{}'); "
            "give a real base name such as mysql-bin",
            value, value);
      }
      return "";
  }
  return "";
}

std::string CheckSetting(Engine engine, const EngineVersion& version, const Setting& setting) {
  const ParamSpec* p = FindParam(engine, version, setting.name);
  if (!p) {
    return fmt::format("{} does not exist in {} {}", setting.name, EngineName(engine),
                       version.ToString());
  }
  std::string bad = CheckValue(*p, setting.ConfigText());
  if (!bad.empty()) {
    return fmt::format("{} in {} {}: {}", setting.name, EngineName(engine), version.ToString(),
                       bad);
  }
  return "";
}

std::vector<std::string> CheckAdviceSettings(const Advice& a, const EngineVersion& version) {
  std::vector<std::string> problems;
  ForEachConfigSetting(a, [&](const Setting& s) {
    std::string bad = CheckSetting(a.engine, version, s);
    if (!bad.empty()) problems.push_back(bad);
  });
  auto has = [&](const char* name) { return !ValueOf(a, name).empty(); };
  if (IsMy(a.engine)) {
    if (has("log_bin") && !has("server_id")) {
      problems.push_back(
          "log_bin without server_id (MySQL 5.7 refuses to start; replicas need "
          "a unique id)");
    }
    if (ValueOf(a, "innodb_flush_log_at_trx_commit") == "1" && has("sync_binlog") &&
        ValueOf(a, "sync_binlog") != "1") {
      problems.push_back(
          "innodb_flush_log_at_trx_commit=1 with the binary log needs "
          "sync_binlog=1, or binlog and redo can disagree after a crash");
    }
    if (has("innodb_redo_log_capacity") && has("innodb_log_file_size")) {
      problems.push_back(
          "innodb_redo_log_capacity and innodb_log_file_size together: the "
          "capacity wins and the file size is ignored");
    }
    if (has("innodb_io_capacity") && has("innodb_io_capacity_max") &&
        std::stod(ValueOf(a, "innodb_io_capacity_max")) <
            std::stod(ValueOf(a, "innodb_io_capacity"))) {
      problems.push_back("innodb_io_capacity_max below innodb_io_capacity");
    }
  }
  if (a.engine == Engine::kPostgreSQL) {
    if (ValueOf(a, "synchronous_commit") == "off" && !has("wal_writer_delay")) {
      problems.push_back(
          "synchronous_commit=off without wal_writer_delay: the loss window is "
          "3 x wal_writer_delay and must be stated with it");
    }
    if (has("min_wal_size") && has("max_wal_size")) {
      auto lo = ParseBytes(ValueOf(a, "min_wal_size"), "min_wal_size");
      auto hi = ParseBytes(ValueOf(a, "max_wal_size"), "max_wal_size");
      if (lo.ok() && hi.ok() && *lo > *hi) problems.push_back("min_wal_size above max_wal_size");
    }
  }
  if (a.engine == Engine::kSQLite) {
    const std::string sync = ValueOf(a, "synchronous");
    if ((sync == "normal" || sync == "1") && ValueOf(a, "journal_mode") != "wal") {
      problems.push_back("synchronous=NORMAL is corruption-safe only with journal_mode=WAL");
    }
  }
  return problems;
}

void PlanApply(Advice* a, const EngineVersion& version) {
  a->apply.clear();
  ForEachConfigSetting(*a, [&](const Setting& s) {
    const ParamSpec* p = FindParam(a->engine, version, s.name);
    if (p) a->apply.push_back(StepFor(a->engine, version, s, *p));
  });
}

void FinalizeSettings(Advice* a, const EngineVersion& version) {
  for (auto* section : {&a->wal_config, &a->checkpoint_settings, &a->group_commit_settings}) {
    std::erase_if(*section, [&](const Setting& s) {
      if (s.informational) return false;
      std::string bad = CheckSetting(a->engine, version, s);
      if (bad.empty()) return false;
      a->warnings.push_back("internal check: " + bad + "; the setting was left out");
      return true;
    });
  }
  for (const std::string& problem : CheckAdviceSettings(*a, version)) {
    a->warnings.push_back("internal check: " + problem);
  }
  PlanApply(a, version);
}

namespace {
// "<comment> <title>: a, b, c" wrapped at 100 columns, continuation lines indented.
std::string CommentList(const char* comment, const std::string& title,
                        const std::vector<std::string>& names) {
  std::string out, line = fmt::format("{} {}:", comment, title);
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string word = " " + names[i] + (i + 1 < names.size() ? "," : "");
    if (line.size() + word.size() > 100) {
      out += line + "\n";
      line = fmt::format("{}  ", comment);
    }
    line += word;
  }
  return out + line + "\n";
}
}  // namespace

std::string ApplyComment(const Advice& a, const char* comment) {
  std::vector<std::string> restart, reload, session, persistent;
  for (const ApplyStep& step : a.apply) {
    switch (step.method) {
      case ApplyMethod::kRestart:
        restart.push_back(step.setting);
        break;
      case ApplyMethod::kReload:
        reload.push_back(step.setting);
        break;
      case ApplyMethod::kSession:
        session.push_back(step.setting);
        break;
      case ApplyMethod::kPersistentPragma:
        persistent.push_back(step.setting);
        break;
    }
  }
  std::string out;
  if (a.engine == Engine::kSQLite) {
    if (!persistent.empty()) {
      out += CommentList(comment, "stored in the database file (run once)", persistent);
    }
    if (!session.empty()) {
      out += CommentList(comment, "per connection (run on every connection that writes)", session);
    }
    return out;
  }
  if (!restart.empty()) {
    out += CommentList(comment, "needs a restart to take effect", restart);
  }
  if (!reload.empty()) {
    const bool mysql8 = a.engine == Engine::kMySQL && a.version >= EngineVersion{8, 0, 0};
    const char* how = a.engine == Engine::kPostgreSQL ? "SELECT pg_reload_conf()"
                      : mysql8                        ? "SET PERSIST"
                                                      : "SET GLOBAL, and keep them here";
    out += CommentList(comment, fmt::format("online ({})", how), reload);
  }
  return out;
}

}  // namespace waltune::engines
