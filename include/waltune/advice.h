// Advice: what `waltune advise` answers, before it is rendered as JSON, text or config.
#ifndef WALTUNE_ADVICE_H_
#define WALTUNE_ADVICE_H_

#include <string>
#include <utility>
#include <vector>

#include "waltune/scenario.h"

namespace waltune {

// One engine parameter as it is pasted into the engine's configuration.
struct Setting {
  enum class Kind { kText, kNumber };
  std::string name;  // engine's own name: "max_wal_size", "innodb_redo_log_capacity"
  Kind kind = Kind::kText;
  std::string text;   // for kText: "4GB", "on", "WAL"
  double number = 0;  // for kNumber: 0.9, 1000
  std::string why;    // one line: why this value
  // True for entries that explain rather than configure (PostgreSQL's "max_wal_size_trigger"
  // in checkpoint_strategy): shown in JSON, never written to a configuration.
  bool informational = false;

  static Setting Text(std::string name, std::string text, std::string why) {
    return Setting{std::move(name), Kind::kText, std::move(text), 0, std::move(why)};
  }
  static Setting Number(std::string name, double number, std::string why) {
    return Setting{std::move(name), Kind::kNumber, "", number, std::move(why)};
  }
  // The value as it appears in a config file ("4GB", "0.9", "1000").
  std::string ConfigText() const;
};

// How a setting is put into effect on a running system.
enum class ApplyMethod {
  kReload,            // online: pg_reload_conf(), SET PERSIST / SET GLOBAL
  kRestart,           // only after the server restarts
  kSession,           // per connection (SQLite PRAGMA): every connection must set it
  kPersistentPragma,  // once: stored in the SQLite database file
};
inline const char* ApplyMethodName(ApplyMethod m) {
  switch (m) {
    case ApplyMethod::kReload:
      return "reload";
    case ApplyMethod::kRestart:
      return "restart";
    case ApplyMethod::kSession:
      return "session";
    case ApplyMethod::kPersistentPragma:
      return "persistent_pragma";
  }
  return "restart";
}

// One setting's apply instruction: the statement or file and what it takes to be in effect.
struct ApplyStep {
  std::string setting;
  ApplyMethod method = ApplyMethod::kRestart;
  std::string how;  // "SET PERSIST sync_binlog = 1;", "ALTER SYSTEM SET ...; restart"
};

// One intermediate number of the model, with its unit and how it was obtained.
struct Estimate {
  std::string name;  // with unit suffix: "flush_latency_p50_us"
  double value = 0;
  std::string unit;  // "us", "bytes", "tps", "s", "bytes/s", "ratio", "pages"
  std::string how;   // formula or source, with the inputs
};

struct Advice {
  Engine engine = Engine::kPostgreSQL;
  EngineVersion version;
  Durability durability = Durability::kStandard;

  std::vector<Setting> wal_config;           // durability, WAL sizing and flushing parameters
  std::vector<Setting> checkpoint_settings;  // checkpoint spacing parameters
  double estimated_recovery_time_s = 0;
  std::string checkpoint_rationale;

  bool group_commit_enabled = false;
  std::vector<Setting> group_commit_settings;
  std::string group_commit_gain;  // "1.4x at 16 clients" or "none: ..."
  std::string group_commit_rationale;

  double baseline_tps = 0;
  double with_config_tps = 0;
  double baseline_commit_latency_us = 0;
  double with_config_commit_latency_us = 0;
  std::string improvement;
  std::string latency_impact;

  // Acknowledged commits a crash may lose. Unit: ms (0 for strict). Explained in loss_window.
  double loss_window_ms = 0;
  std::string loss_window;

  double confidence = 0;
  std::vector<Assumption> assumptions;
  std::vector<std::string> warnings;
  std::vector<std::string> out_of_scope;
  std::vector<Estimate> estimates;
  std::string config_snippet;
  // The file the snippet belongs in ("postgresql.conf", "my.cnf [mysqld]", "PRAGMA statements").
  std::string config_target;
  // How each configurable setting takes effect (reload vs restart vs per connection).
  std::vector<ApplyStep> apply;

  // Returns the setting with this name from any section, or nullptr.
  const Setting* Find(const std::string& name) const;
  // Every real engine parameter of all sections, in order, as (name, config text):
  // what `verify` applies and what config_snippet contains. Informational entries excluded.
  std::vector<std::pair<std::string, std::string>> ConfigParameters() const;
};

}  // namespace waltune

#endif  // WALTUNE_ADVICE_H_
