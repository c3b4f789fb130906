// Helpers shared by the engine advisors: nothing engine-specific lives here.
#ifndef WALTUNE_ENGINES_COMMON_H_
#define WALTUNE_ENGINES_COMMON_H_

#include <string>

#include "waltune/advice.h"
#include "waltune/model.h"
#include "waltune/scenario.h"

namespace waltune::engines {

// Copies assumptions, warnings and out-of-scope notes, and sets engine/version/durability.
Advice StartAdvice(const Scenario& s);

// Per-transaction CPU time: the calibrated value when `verify --calibrate` measured one.
double TxnCpuUs(const Scenario& s, double model_default_us, Advice* advice);

// Pages that receive the writes (the working set), in pages of `page_bytes`.
double HotPages(const Workload& w, double page_bytes);

// Group-commit simulation parameters for this scenario's clients, cores and storage, with the
// flush-wait CPU (kFlushWaitCpuUs unless the calibration already includes it).
GroupCommitParams CommitParams(const Scenario& s, double txn_cpu_us);

// CPU a commit spends because it waits for a flush. *Measured here* by `waltune verify`
// (PostgreSQL 15, MariaDB 10.11, 4 clients, one-row inserts): 143-155 us per commit when
// flushing vs 69-88 us with asynchronous commit. Unit: us.
inline constexpr double kFlushWaitCpuUs = 70;

void AddEstimate(Advice* a, std::string name, double value, std::string unit, std::string how);

// Confidence in [0.2, 0.95]: drops per defaulted/inferred input, a missed target or an engine
// that cannot be checked on real servers here; rises with measured storage and calibration.
double Confidence(const Scenario& s, bool target_met, double engine_penalty);

// "2.9x", "1.0x", "0.8x".
std::string Ratio(double ratio);
// "12,345 tps" style for text; numbers in JSON stay numbers.
std::string Tps(double tps);
// "+0.12 ms" / "-1.60 ms" / "no change".
std::string LatencyDelta(double from_us, double to_us);

// Shared wording of the throughput ceilings for estimates.
void AddThroughputEstimates(Advice* a, const ThroughputEstimate& t, const GroupCommitParams& p,
                            double wal_bytes_per_txn, double seq_write_bytes_per_s);

// Caps a throughput estimate at the rate the storage can write back dirty pages
// (checkpoints / page cleaning); marks it as the binding limit when it binds.
void ApplyPageWriteCeiling(ThroughputEstimate* t, double page_write_ceiling_tps);

// Strict could not reach the required rate on this storage: says so and offers standard's
// bounded-loss mode with its loss window; strict itself is never switched silently.
std::string StrictRateWarning(const std::string& strict_path, double strict_tps,
                              double required_tps, const std::string& bounded_loss_settings,
                              const std::string& loss_window, double bounded_loss_tps);

// The standard durability level keeps commit-time flushes when the flushed configuration has
// this much headroom over the required write rate; otherwise it uses the bounded-loss mode.
inline constexpr double kStandardHeadroom = 1.5;

}  // namespace waltune::engines

#endif  // WALTUNE_ENGINES_COMMON_H_
