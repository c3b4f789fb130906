// The engine table (waltune/engine_traits.h): the built-in engines' rows, and the lookups every
// other part of the program uses instead of a list of its own.
#include <cctype>
#include <deque>
#include <mutex>

#include "waltune/engine.h"
#include "waltune/engine_traits.h"
#include "waltune/units.h"

namespace waltune {

// Defined in postgres.cc, innodb.cc and sqlite.cc.
const EngineAdvisor& PostgresAdvisorInstance();
const EngineAdvisor& MysqlAdvisorInstance();
const EngineAdvisor& MariadbAdvisorInstance();
const EngineAdvisor& SqliteAdvisorInstance();

namespace {

// One row per built-in engine, in the order of Engine's named constants. Adding an engine is
// one row here (docs/architecture.md "How to add an engine").
std::deque<EngineTraits> BuiltInEngines() {
  return {
      {.name = "PostgreSQL",
       .key = "postgresql",
       .aliases = {"postgres", "pgsql", "pg"},
       .advisor = &PostgresAdvisorInstance,
       .delay_parameters = {"commit_delay"},
       .renders_commit_delay_us = true,
       .verify_supported = true,
       .verify_page_cache_bytes = 128ull << 20},
      {.name = "MySQL/InnoDB",
       .key = "mysql",
       .aliases = {"mysql innodb", "innodb", "percona", "percona server"},
       .advisor = &MysqlAdvisorInstance,
       .delay_parameters = {"binlog_group_commit_sync_delay"},
       .no_verify_reason = "MySQL is not installed here (Debian ships MariaDB)",
       .verify_instead = Engine::kMariaDB},
      {.name = "MariaDB",
       .key = "mariadb",
       .aliases = {"maria db"},
       .advisor = &MariadbAdvisorInstance,
       .delay_parameters = {"binlog_commit_wait_usec"},
       .verify_supported = true,
       .verify_page_cache_bytes = 128ull << 20},
      {.name = "SQLite",
       .key = "sqlite",
       .aliases = {"sqlite3", "sqlite 3"},
       .advisor = &SqliteAdvisorInstance,
       .verify_supported = true},
  };
}

struct Table {
  std::mutex mu;
  std::deque<EngineTraits> rows = BuiltInEngines();  // a deque: rows never move
};

// Built on first use (no static initialiser the linker could drop), never destroyed.
Table& TheTable() {
  static Table* table = new Table;
  return *table;
}

// Lower case, trimmed, runs of white space as one space, none around '/'.
std::string NormalizeName(std::string_view raw) {
  std::string out;
  bool space = false;
  for (char c : raw) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      space = !out.empty();
      continue;
    }
    if (space && c != '/' && out.back() != '/') out += ' ';
    space = false;
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

}  // namespace

Engine RegisterEngine(EngineTraits traits) {
  Table& t = TheTable();
  std::lock_guard<std::mutex> lock(t.mu);
  t.rows.push_back(std::move(traits));
  return static_cast<Engine>(t.rows.size() - 1);
}

const EngineTraits& TraitsOf(Engine engine) {
  Table& t = TheTable();
  std::lock_guard<std::mutex> lock(t.mu);
  return t.rows.at(static_cast<size_t>(engine));
}

std::vector<Engine> AllEngines() {
  Table& t = TheTable();
  std::lock_guard<std::mutex> lock(t.mu);
  std::vector<Engine> out;
  for (size_t i = 0; i < t.rows.size(); ++i) out.push_back(static_cast<Engine>(i));
  return out;
}

std::optional<Engine> EngineByName(std::string_view name) {
  const std::string wanted = NormalizeName(name);
  for (Engine e : AllEngines()) {
    const EngineTraits& row = TraitsOf(e);
    if (NormalizeName(row.name) == wanted || row.key == wanted) return e;
    for (const std::string& alias : row.aliases) {
      if (alias == wanted) return e;
    }
  }
  return std::nullopt;
}

const char* EngineName(Engine engine) { return TraitsOf(engine).name.c_str(); }

const char* EngineKey(Engine engine) { return TraitsOf(engine).key.c_str(); }

std::string EngineNameList(const char* last_joint) {
  std::vector<std::string> names;
  for (Engine e : AllEngines()) names.push_back(TraitsOf(e).name);
  return JoinNames(names, last_joint);
}

std::string NoVerifyMessage(Engine engine, const char* ask_for) {
  const EngineTraits& row = TraitsOf(engine);
  std::string out = row.no_verify_reason;
  if (row.verify_instead) out += std::string("; ") + ask_for + EngineKey(*row.verify_instead);
  return out;
}

std::string VerifyEngineKeyList(const char* last_joint) {
  std::vector<std::string> keys;
  for (Engine e : AllEngines()) {
    if (TraitsOf(e).verify_supported) keys.push_back(TraitsOf(e).key);
  }
  return JoinNames(keys, last_joint);
}

Status EngineAdvisor::CheckImageCalibration(const Calibration& calibration,
                                            const std::string& where) const {
  if (calibration.replay_window) {
    return Status::InvalidArgument(where + ".replay_window_fpi_bytes",
                                   "only PostgreSQL's crash windows are read back (pg_waldump); "
                                   "this engine's calibration has no replay window");
  }
  if (!calibration.fpi_bytes && !calibration.fpi_page_bytes) return Status::Ok();
  return Status::InvalidArgument(where + ".fpi_bytes",
                                 "only PostgreSQL's WAL carries full-page images; this engine's "
                                 "calibration has no image size");
}

const EngineAdvisor& AdvisorFor(Engine engine) { return TraitsOf(engine).advisor(); }

Advice Solve(const Scenario& scenario) { return AdvisorFor(scenario.engine).Advise(scenario); }

}  // namespace waltune
