// The parameters waltune may emit, per engine: in which versions each exists, which values the
// engine accepts, and how a changed value takes effect (reload, restart, per connection).
// Every setting an advisor emits is checked against this table for the scenario's version
// (CheckAdviceSettings) and gets its apply instruction from it (PlanApply).
//
// Sources, per engine, are listed with the table in param_table.cc.
#ifndef WALTUNE_ENGINES_PARAM_TABLE_H_
#define WALTUNE_ENGINES_PARAM_TABLE_H_

#include <string>
#include <string_view>
#include <vector>

#include "waltune/advice.h"
#include "waltune/scenario.h"

namespace waltune::engines {

// What the engine needs before a changed value is in effect.
enum class ParamContext {
  kPgPostmaster,      // pg_settings.context 'postmaster': server restart
  kPgSighup,          // 'sighup': reload (pg_reload_conf / SIGHUP)
  kPgSuperuser,       // 'superuser': reload, or SET by a superuser per session
  kPgUser,            // 'user': reload, or SET per session/role/transaction
  kMyDynamic,         // MySQL/MariaDB dynamic global variable: SET PERSIST / SET GLOBAL
  kMyReadOnly,        // read-only: option file (or SET PERSIST_ONLY on MySQL 8.0+), then restart
  kSqliteConnection,  // PRAGMA per connection, not stored in the database file
  kSqlitePersistent,  // PRAGMA whose effect is stored in the database file
};

enum class ParamType {
  kBool,      // on/off (PostgreSQL), ON/OFF (MySQL), 0/1
  kEnum,      // one of `values` (case-insensitive)
  kInt,       // integer in [min, max]
  kReal,      // number in [min, max]
  kBytes,     // size with unit ("16MB", "9G") or plain number, in [min, max] bytes
  kDuration,  // time with unit ("200ms", "5min"), in [min, max] seconds
  kFileBase,  // a file base name: non-empty, not a boolean word (log_bin = mysql-bin)
};

struct ParamSpec {
  Engine engine;
  const char* name;
  EngineVersion since;  // first version with this definition
  EngineVersion until;  // first version without it; {0,0,0} = still present
  ParamType type;
  std::vector<std::string> values;  // kEnum: accepted values
  double min = 0;                   // kInt/kReal: value; kBytes: bytes; kDuration: seconds
  double max = 0;
  // A value outside [min, max] that is still accepted (wal_buffers = -1 means "auto").
  bool allow_minus_one = false;
  const char* unit;  // "bytes", "s", "ms", "us", "pages", "count", "" (enum/bool)
  ParamContext context;
  EngineVersion deprecated_since;  // {0,0,0} = not deprecated
  const char* source;              // docs URL or engine source file
};

// Every row of the table (several rows per name when allowed values or context change).
const std::vector<ParamSpec>& ParamTable();

// The row for `name` in `version` of `engine`, or nullptr when the engine has no such parameter
// in that version.
const ParamSpec* FindParam(Engine engine, const EngineVersion& version, std::string_view name);

// Empty when `value` (as written in the config) is accepted by `spec`; otherwise why not.
std::string CheckValue(const ParamSpec& spec, const std::string& value);

// Problems of one emitted setting for this engine and version ("" when valid).
std::string CheckSetting(Engine engine, const EngineVersion& version, const Setting& setting);

// Every problem among the configurable settings of `advice` for `version` (the version the
// advice is for; for MySQL "8.0" the advisor's assumed patch level), including dependencies
// between settings (log_bin needs server_id, ...). Empty when the advice is valid.
std::vector<std::string> CheckAdviceSettings(const Advice& advice, const EngineVersion& version);

// Fills advice->apply from the table: one step per configurable setting.
void PlanApply(Advice* advice, const EngineVersion& version);

// Drops (with a warning) any setting the table rejects, so that no configuration an engine
// refuses is ever emitted, then plans the apply steps. Call once, after all settings are set
// and before the snippet is built.
void FinalizeSettings(Advice* advice, const EngineVersion& version);

// One comment block for the top of a config snippet: which settings need a restart and how
// the rest take effect. `comment` is the snippet's comment prefix ("#" or "--").
std::string ApplyComment(const Advice& advice, const char* comment);

}  // namespace waltune::engines

#endif  // WALTUNE_ENGINES_PARAM_TABLE_H_
