// EngineAdvisor: everything engine-specific lives behind this interface, one file per engine
// (src/engines/postgres.cc, innodb.cc for MySQL and MariaDB, sqlite.cc).
#ifndef WALTUNE_ENGINE_H_
#define WALTUNE_ENGINE_H_

#include <string>

#include "waltune/advice.h"
#include "waltune/engine_traits.h"
#include "waltune/scenario.h"
#include "waltune/status.h"

namespace waltune {

class EngineAdvisor {
 public:
  virtual ~EngineAdvisor() = default;
  // The version assumed when the request gives none (the newest major waltune models).
  virtual EngineVersion DefaultVersion() const = 0;
  // InvalidArgument naming constraints.engine_version when the version is not modelled.
  // May append a warning to `warnings` (e.g. a newer version treated as the newest known).
  virtual Status CheckVersion(const EngineVersion& version,
                              std::vector<std::string>* warnings) const = 0;
  // Per-transaction CPU time assumed for the workload when not calibrated. Unit: us.
  virtual double DefaultTxnCpuUs(const Workload& workload) const = 0;
  // Solves the scenario. REQUIRES: scenario normalised by ParseRequest (version checked).
  virtual Advice Advise(const Scenario& scenario) const = 0;
};

// The advisor for an engine (its row of the engine table); lives for the program's lifetime.
const EngineAdvisor& AdvisorFor(Engine engine);

// Parse + solve in one call: the whole of `waltune advise` minus rendering.
Advice Solve(const Scenario& scenario);

}  // namespace waltune

#endif  // WALTUNE_ENGINE_H_
