#include "waltune/engine.h"

namespace waltune {

// Defined in postgres.cc, innodb.cc and sqlite.cc.
const EngineAdvisor& PostgresAdvisorInstance();
const EngineAdvisor& MysqlAdvisorInstance();
const EngineAdvisor& MariadbAdvisorInstance();
const EngineAdvisor& SqliteAdvisorInstance();

const EngineAdvisor& AdvisorFor(Engine engine) {
  switch (engine) {
    case Engine::kPostgreSQL:
      return PostgresAdvisorInstance();
    case Engine::kMySQL:
      return MysqlAdvisorInstance();
    case Engine::kMariaDB:
      return MariadbAdvisorInstance();
    case Engine::kSQLite:
      return SqliteAdvisorInstance();
  }
  return PostgresAdvisorInstance();
}

Advice Solve(const Scenario& scenario) { return AdvisorFor(scenario.engine).Advise(scenario); }

}  // namespace waltune
