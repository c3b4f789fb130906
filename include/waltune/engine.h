// EngineAdvisor: everything engine-specific lives behind this interface, one file per engine
// (src/engines/postgres.cc, innodb.cc for MySQL and MariaDB, sqlite.cc).
#ifndef WALTUNE_ENGINE_H_
#define WALTUNE_ENGINE_H_

#include <map>
#include <optional>
#include <string>

#include "waltune/advice.h"
#include "waltune/engine_traits.h"
#include "waltune/scenario.h"
#include "waltune/status.h"

namespace waltune {

// CPU of the server and the client per transaction, flush waits excluded, split by what it is
// spent on so that a calibrated cost per statement (`verify --calibrate`) can replace the
// model's. Units: us.
struct CpuCosts {
  double per_txn_us = 0;        // fixed per transaction
  double per_statement_us = 0;  // per client round trip; 0: not modelled per statement
  double per_extra_row_us = 0;  // per row beyond one per statement (multi-row statements)
  double per_row_us = 0;        // per row, for engines modelled per row (SQLite)
  double per_flush_us = 0;      // per group flush, shared by the commits of the group
};

// CPU per transaction of `workload` with `statement_us` per statement:
//   per_txn + statements * statement_us + per_extra_row * max(0, rows - statements)
//   + per_row * rows.
// Statements: Workload::statements_per_txn, or the shape's default (engines::StatementsPerTxn).
double TxnCpuUs(const CpuCosts& costs, const Workload& workload, double statement_us);

// The CPU per statement a measurement implies: measured CPU per commit minus the fixed, row and
// flush parts (the flush's CPU shared by `commits_per_flush` commits), divided by the
// statements. nullopt when the engine is not modelled per statement or the rest is not
// positive. Unit: us.
std::optional<double> StatementCpuFromMeasurement(const CpuCosts& costs, const Workload& workload,
                                                  double txn_cpu_us, double commits_per_flush);

// A line through the CPU of a transaction's statements measured at one client count for two
// or more statement counts (`cpu_us_by_statements`: statements per transaction -> us, as
// Calibration::statements_cpu_us_by_clients holds them): least squares of
//   cpu = statements x per_statement_us + per_commit_us.
// One workload alone gives only their sum per statement; a one-statement `insert` beside the
// seven-statement `tpcb` tells them apart. nullopt with fewer than two statement counts, or
// when the line's CPU per statement is not positive or its CPU per commit is negative (then the
// measurements say nothing beyond a CPU per statement). Units: us.
struct StatementCommitCpu {
  double per_statement_us = 0;
  double per_commit_us = 0;
};
std::optional<StatementCommitCpu> FitStatementCommitCpu(
    const std::map<int, double>& cpu_us_by_statements);

// Whether a measurement's commits waited on the device's flush more than twice as long as they
// ran on the CPU: flush latency per commit (p50 / commits per flush) > 2 x CPU per commit. Such
// a run's CPU per commit does not calibrate the CPU per statement: the engine's background work
// runs by the second and the wake-ups after each flush by the commit, so they weigh more the
// longer a commit waits (verify sets aside every run under an emulated delay for this), and on
// a shared host a slow disk comes with slow CPU. *Measured here* (docs/sweep-group-commit.md,
// session 40), PostgreSQL `tpcb` with one client: 805-1 435 us per commit in slow spells of the
// disk (3 437-3 997 us fdatasyncs, 2.8-4.3x the CPU per commit) against 437-453 us at 140-210
// us (0.3-0.5x); 963-1 016 us under an emulated 4 000 us flush. One-row inserts with one client
// sit at the limit on this disk (1.5-2.0x for both engines: kept or set aside from run to run),
// so a one-client calibration takes a transaction of several statements (the sweep's `tpcb`).
// False without a flush latency, a batch or a CPU figure. Units: us.
bool FlushBoundMeasurement(double txn_cpu_us, double flush_p50_us, double commits_per_flush);

class EngineAdvisor {
 public:
  virtual ~EngineAdvisor() = default;
  // The version assumed when the request gives none (the newest major waltune models).
  virtual EngineVersion DefaultVersion() const = 0;
  // InvalidArgument naming constraints.engine_version when the version is not modelled.
  // May append a warning to `warnings` (e.g. a newer version treated as the newest known).
  virtual Status CheckVersion(const EngineVersion& version,
                              std::vector<std::string>* warnings) const = 0;
  // The model's CPU costs (used unless calibrated).
  virtual CpuCosts Cpu() const = 0;
  // InvalidArgument naming the field (`where` + ".fpi_bytes", ".fpi_page_bytes" or
  // ".fpi_compression") when a calibration's full-page-image size cannot be this engine's: an
  // image or page larger than its largest block, an image larger than its page, a compression
  // it does not have; or ".replay_window_fpi_bytes" when a replay window's mean image cannot be.
  // By default (engines without page images in their log) any image size and replay window is
  // refused.
  virtual Status CheckImageCalibration(const Calibration& calibration,
                                       const std::string& where) const;
  // Solves the scenario. REQUIRES: scenario normalised by ParseRequest (version checked).
  virtual Advice Advise(const Scenario& scenario) const = 0;
  // The expected cold recovery (s) from a distance of `distance_bytes` past the last completed
  // checkpoint, by the same terms as the answer's expected peak, so that verify can put a
  // crash's recovery beside the model's time for the distance it really had. Unset where the
  // engine's answer has no expected peak (the default). REQUIRES: as Advise.
  virtual std::optional<double> ExpectedRecoveryAtAgeS(const Scenario& /*scenario*/,
                                                       double /*distance_bytes*/) const {
    return std::nullopt;
  }
};

// The advisor for an engine (its row of the engine table); lives for the program's lifetime.
const EngineAdvisor& AdvisorFor(Engine engine);

// Parse + solve in one call: the whole of `waltune advise` minus rendering.
Advice Solve(const Scenario& scenario);

}  // namespace waltune

#endif  // WALTUNE_ENGINE_H_
