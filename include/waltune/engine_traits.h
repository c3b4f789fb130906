// The engine table: one row per engine with every name waltune uses for it and what each part
// of the program needs to know about it (src/engines/engine_table.cc). Request parsing, the
// renderers, verify's planning and the CLI look engines up here; none keeps its own list.
//
// The built-in engines are the first rows, in the order of the named constants of `Engine`.
// RegisterEngine() appends a row at run time and returns the next `Engine` value (the unit
// tests register a fake engine this way, tests/engines/fake_engine_test.cc).
#ifndef WALTUNE_ENGINE_TRAITS_H_
#define WALTUNE_ENGINE_TRAITS_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "waltune/scenario.h"

namespace waltune {

class EngineAdvisor;

struct EngineTraits {
  // Canonical name, as shown in advice: "PostgreSQL", "MySQL/InnoDB", "MariaDB", "SQLite".
  std::string name{};
  // Short name: the CLI's --engine value, verify's report and calibration-file key
  // ("postgresql", "mysql", "mariadb", "sqlite").
  std::string key{};
  // Further names accepted for the engine, lower case, runs of spaces as one space:
  // "postgres", "pg", "mysql innodb", "sqlite3". The name and key are always accepted.
  std::vector<std::string> aliases{};
  // The advisor (src/engines/<engine>.cc); it also knows the versions and the default version.
  const EngineAdvisor& (*advisor)() = nullptr;
  // Group-commit delay parameters (Unit: us); rendered as group_commit.delay_us.
  std::vector<std::string> delay_parameters{};
  // Also render the delay as group_commit.commit_delay_us (PostgreSQL's contract field).
  bool renders_commit_delay_us = false;
  // `waltune verify` can start and crash this engine here.
  bool verify_supported = false;
  // Why not, when !verify_supported (e.g. "MySQL is not installed here (Debian ships
  // MariaDB)"), and the engine to verify instead, if any.
  std::string no_verify_reason{};
  std::optional<Engine> verify_instead{};
  // The page cache verify's server runs with when the advice does not set it, stated to the
  // model as constraints.buffer_pool (MariaDB: innodb_buffer_pool_size, PostgreSQL:
  // shared_buffers, 128 MiB each); 0 = none.
  // Unit: bytes.
  uint64_t verify_page_cache_bytes = 0;
};

// Appends `traits` to the table and returns its new Engine value. Call before concurrent use.
// REQUIRES: traits.advisor set; name and key not yet in the table.
Engine RegisterEngine(EngineTraits traits);

// The row of `engine`. REQUIRES: engine built in or returned by RegisterEngine.
const EngineTraits& TraitsOf(Engine engine);

// Every engine in the table, built-in first.
std::vector<Engine> AllEngines();

// The engine called `name` (its name, key or an alias; case and spacing ignored), if any.
std::optional<Engine> EngineByName(std::string_view name);

// "PostgreSQL", "MySQL/InnoDB", "MariaDB", "SQLite".
const char* EngineName(Engine engine);
// "postgresql", "mysql", "mariadb", "sqlite".
const char* EngineKey(Engine engine);

// The canonical names joined for a message: "PostgreSQL, MySQL/InnoDB, MariaDB and SQLite"
// (`last_joint` " and " or " or "), over all engines or over those verify supports.
std::string EngineNameList(const char* last_joint);
std::string VerifyEngineKeyList(const char* last_joint);
// Why verify cannot run `engine` and, when the table names one, "<ask_for><other engine's
// key>": "MySQL is not installed here (Debian ships MariaDB); use mariadb".
std::string NoVerifyMessage(Engine engine, const char* ask_for);

}  // namespace waltune

#endif  // WALTUNE_ENGINE_TRAITS_H_
