// Helpers shared by the engine advisors: nothing engine-specific lives here.
#ifndef WALTUNE_ENGINES_COMMON_H_
#define WALTUNE_ENGINES_COMMON_H_

#include <initializer_list>
#include <string>
#include <vector>

#include "waltune/advice.h"
#include "waltune/engine.h"
#include "waltune/model.h"
#include "waltune/scenario.h"

namespace waltune::engines {

// Copies assumptions, warnings and out-of-scope notes, and sets engine/version/durability.
Advice StartAdvice(const Scenario& s);

// The CPU a transaction of the scenario's workload costs, and where the figure came from.
struct TxnCpu {
  double txn_us = 0;    // per transaction, flush waits excluded
  double flush_us = 0;  // per group flush (0 when txn_us was measured with the flush waits)
  // txn_us was measured with one client, so it holds the wake-ups of processes on idle cores
  // (GroupCommitParams::idle_wake_cpu_us must not add them again).
  bool includes_idle_wakes = false;
};

// The CPU per transaction, in order of preference: the calibrated CPU per statement for the
// scenario's regime (one client, or several) applied to its workload's statements; the
// calibrated CPU per transaction (measured on verify's workload); the engine's model `costs`.
// Adds the txn_cpu_us estimate (with its source) to `advice`, and a warning when a
// calibration file has a statement figure only for the other regime.
TxnCpu ResolveTxnCpu(const Scenario& s, const CpuCosts& costs, Advice* advice);

// Pages that receive the writes (the working set), in pages of `page_bytes`.
double HotPages(const Workload& w, double page_bytes);

// The storage's flush-after-idle points as extras over its back-to-back median (emulated delay
// taken out): the simulation's flush_idle_extra.
std::vector<FlushIdleExtra> FlushIdleExtras(const StorageSpec& storage);

// Group-commit simulation parameters for this scenario's clients, cores and storage (flush
// latency back to back, after an idle device, and any emulated delay), with the engine's CPU per
// group flush (none when the calibrated CPU per transaction was measured with flushes, so
// already includes it) and the workload's hot rows.
GroupCommitParams CommitParams(const Scenario& s, const TxnCpu& cpu);

// Client round trips per transaction: statements_per_txn when given, else one autocommit
// statement for a one-row transaction and BEGIN + one statement per row + COMMIT otherwise.
int StatementsPerTxn(const Workload& w);

// The wake-up of a process asleep on this machine (2-vCPU VM), *fitted here* on the strict
// group-commit sweep (docs/sweep-group-commit.md). Charged (1) as CPU for each statement but
// the committing one of a transaction that starts on an idle core: one-client tpcb took 722-820
// us per transaction on PostgreSQL against 578 us of busy CPU and flush (24-40 us per extra
// statement), 716-725 us against 497 us on MariaDB (36-38 us); one-row inserts show none (their
// one-client CPU is the busy CPU plus the flush's); and (2) as the hand-off latency before the
// next group's leader, asleep on the flush lock, can flush: at native latency PostgreSQL and
// MariaDB flushed every 145 us with 4 clients where the device's fdatasync takes 73-91 us.
// Unit: us.
inline constexpr double kIdleWakeCpuUs = 36;

// Share of each core the host takes from this VM while a real flush is in flight
// (GroupCommitParams::flush_core_stall_share). *Measured here* with scripts/flush_stall.cc: two
// processes spinning on the two cores lose 1.40 core-s over 2 s beside a process that overwrites
// 8 KiB and calls fdatasync in a loop (8 613 flushes, p50 162 us, in flight 2.0 s of the 2 s;
// its own CPU 0.35 s), against 0.18 core-s beside a process that sleeps as long as each flush
// instead (9 106 wake-ups, its own CPU 0.075 s); guest steal time 0.58 s against 0. Beyond the
// two processes' own CPU and wake-ups: (1.40 - 0.35) - (0.18 - 0.075) = 0.95 core-s in 2 s, 0.24
// of each core, the same per second in flight with 64 KiB and 1 MiB writes (0.26, 0.22): the
// stall follows the time the device works, not the number of flushes. Medians of 5-7 rounds.
// A host constant, like kIdleWakeCpuUs: `probe` does not measure it yet. Unit: fraction.
inline constexpr double kFlushCoreStallShare = 0.24;

// A flush's leader wakes its followers one after another (PostgreSQL's LWLockWakeup posts each
// waiter's semaphore, lwlock.c; MariaDB's group_commit_lock::release wakes each waiter in turn,
// log0sync.cc). *Measured here* with scripts/wake_chain.cc (N processes asleep on their own
// process-shared semaphores, the leader posts them in a loop, medians of 300 rounds, two runs):
// the leader's loop took 110.3 / 94.7 us for 16 followers and 200.6 / 215.0 us for 32, 5.9-6.9
// us per follower. Unit: us.
inline constexpr double kFollowerWakeUs = 6.5;

void AddEstimate(Advice* a, std::string name, double value, std::string unit, std::string how);

// Confidence in [0.2, 0.95]: drops per defaulted/inferred input, a missed target or an engine
// that cannot be checked on real servers here; rises with measured storage and calibration.
double Confidence(const Scenario& s, bool target_met, double engine_penalty);

// "2.9x", "1.0x", "0.8x".
std::string Ratio(double ratio);
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

// --- Steps shared by the engine advisors -------------------------------------------------

// Throughput of the commit path with `log_bytes_per_txn` of WAL/redo per transaction;
// `waits_for_flush` false is the bounded-loss mode (commits do not wait for a flush).
ThroughputEstimate CommitThroughput(const Scenario& s, const GroupCommitParams& p,
                                    bool waits_for_flush, double log_bytes_per_txn);

// A commit delay of half a flush (the PostgreSQL docs' starting point for commit_delay),
// rounded to whole us, within [10 us, 100 ms].
double HalfFlushDelayUs(const Scenario& s);

// The commit mode chosen for a durability level and what it is predicted to sustain.
struct CommitMode {
  ThroughputEstimate strict_t;   // a flush per commit group, no delay
  ThroughputEstimate delayed_t;  // with the leader delay (only when one was tried)
  bool use_delay = false;        // the delay gains at least kDelayGain over strict_t
  ThroughputEstimate sync_t;     // the better of the two flushed paths
  GroupCommitParams sync_p;      // its parameters
  bool flush_each_commit = true;
  ThroughputEstimate conf_t;  // the chosen mode, at the page-write ceiling
};
// A commit delay is recommended only when the simulation shows at least this gain.
inline constexpr double kDelayGain = 1.05;
// strict always flushes every commit; relaxed never; standard flushes when the flushed path has
// kStandardHeadroom over the required rate. `delayed` (may be null: no delay tried) is the
// commit path with the engine's leader delay. Every estimate is capped at
// `page_write_ceiling_tps` (ApplyPageWriteCeiling).
CommitMode ChooseCommitMode(const Scenario& s, const GroupCommitParams& p,
                            const GroupCommitParams* delayed, double log_bytes_per_txn,
                            double page_write_ceiling_tps);

// What binds a throughput estimate, for text ("cpu", "flush", "bandwidth", "page writes").
// Every comparison of ThroughputEstimate::limited_by in src/engines is one of these functions.
std::string LimitedBy(const ThroughputEstimate& t);
bool FlushLimited(const ThroughputEstimate& t);
// The defaults were bound by page writes and the configuration gains over 5% on them.
bool RelievesPageWrites(const ThroughputEstimate& base_t, const ThroughputEstimate& conf_t);

// A flushed commit mode: no acknowledged commit is lost.
void SetNoLossWindow(Advice* a);

// "2.9x over one flush per commit (3.4 commits per flush at 8 clients)"; where the rate is
// limited below what one flush per commit would allow, says so instead of a ratio under 1.
std::string GroupCommitGain(const ThroughputEstimate& conf_t, double single_flush_tps, int clients);

// Copies the throughput and commit latency of the defaults and of the configuration.
void SetThroughputComparison(Advice* a, const ThroughputEstimate& base_t,
                             const ThroughputEstimate& conf_t);
// "2.9x (reason + reason); limited by flush"; no reasons: "same commit path as the defaults".
std::string Improvement(const ThroughputEstimate& base_t, const ThroughputEstimate& conf_t,
                        const std::vector<std::string>& reasons);
// "+0.12 ms average per commit (1.20 ms vs 1.08 ms with the defaults)".
std::string FlushedLatencyImpact(const ThroughputEstimate& base_t,
                                 const ThroughputEstimate& conf_t);
// The configuration does not reach the required rate; `if_flush_limited` is appended when the
// flush binds.
std::string ShortfallWarning(double required_tps, const ThroughputEstimate& conf_t,
                             const std::string& if_flush_limited);
// "the recommended configuration is predicted slower than <defaults> (... limited by ...)<why>".
std::string SlowerThanDefaultsWarning(const std::string& defaults, const ThroughputEstimate& conf_t,
                                      const ThroughputEstimate& base_t, const std::string& why);

// flush_latency_p50_us and flush_latency_p99_us from the storage profile.
void AddFlushLatencyEstimates(Advice* a, const Scenario& s);

// The configuration file text: "<comment> waltune: <title>", the apply steps as comments,
// `section_header`, then one `line(setting)` per setting of `sections` that belongs in a
// configuration file (informational settings such as PostgreSQL's derived checkpoint trigger
// are skipped for every engine).
std::string ConfigSnippet(const Advice& a, const std::string& title, const char* comment,
                          const std::string& section_header,
                          std::initializer_list<const std::vector<Setting>*> sections,
                          std::string (*line)(const Setting&));

}  // namespace waltune::engines

#endif  // WALTUNE_ENGINES_COMMON_H_
