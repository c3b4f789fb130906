// `waltune verify`: applies a configuration to a real engine that waltune starts itself, drives
// a write load, SIGKILLs the engine K times under load, restarts it, and reports measured
// throughput, recovery time and lost acknowledged commits next to what `advise` predicted.
//
// What a process kill can show: the OS page cache survives it, so it tests the engine's WAL and
// recovery logic (and whether commits are acknowledged before their WAL is written), not what
// happens on power loss or an OS crash (where unflushed page-cache data is lost too).
#ifndef WALTUNE_VERIFY_H_
#define WALTUNE_VERIFY_H_

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "waltune/advice.h"
#include "waltune/engine_traits.h"
#include "waltune/instance.h"
#include "waltune/scenario.h"
#include "waltune/status.h"
#include "waltune/workload.h"

namespace waltune {

// An engine of the engine table (waltune/engine_traits.h) by any of its names, e.g.
// sqlite/sqlite3, postgresql/postgres/pg, mariadb, that verify supports; InvalidArgument
// naming --engine otherwise. Its key (EngineKey) names it in reports and calibration files.
Result<Engine> ParseVerifyEngine(const std::string& text);

struct VerifyPlan;

// A workload name as typed (any case; "tpc-b" too): InvalidArgument naming --workload otherwise.
Result<VerifyWorkload> ParseVerifyWorkload(const std::string& text);

// The flush latency of a run's file system, measured by verify in the instance's dir (before and
// after the load) or in a scratch dir (before planning): write(8 KiB) + fdatasync back to back,
// after idle gaps, and the overshoot of a sleep of the emulated delay. Unit: us.
struct FlushMeasurement {
  double p50_us = 0;
  double p99_us = 0;
  double mean_us = 0;
  int samples = 0;
  std::vector<StorageSpec::IdleFlushPoint> after_idle;  // idle_us ascending
  double emulated_delay_overshoot_us = 0;               // median; 0 without emulation
};

struct VerifyOptions {
  Engine engine = Engine::kSQLite;
  // Client threads, each committing its own transactions. Default: 4.
  int clients = 4;
  // Length of the throughput measurement (no crash during it). Unit: s. Default: 10.
  double seconds = 10;
  // Crashes (SIGKILL under load, restart, count losses). Default: 2.
  int crashes = 2;
  // Load runs for a random time in [min, max] before each kill. Unit: s.
  double crash_after_min_s = 1.0;
  double crash_after_max_s = 3.0;
  // Payload bytes per inserted row (one row per transaction). Unit: bytes. Default: 100.
  uint64_t payload_bytes = 100;
  VerifyWorkload workload = VerifyWorkload::kInsert;
  // update/tpcb: size of the prepared table the random rows are drawn from (loaded before the
  // measured phase, then checkpointed). Unit: bytes. Default: 64 MiB.
  uint64_t working_set_bytes = 64ull << 20;
  // Worst-case crashes (docs/verify.md "Worst case"): each crash waits until at least
  // `worst_case_min_cycles` checkpoint cycles completed during its load and the distance from
  // the last completed checkpoint's REDO point reaches worst_case_fraction of the last cycle's
  // peak, then kills, evicts the data directory from the page cache and restarts cold.
  bool worst_case = false;
  double worst_case_fraction = 0.9;
  int worst_case_min_cycles = 2;
  // Longest load of one worst-case crash before it gives up waiting for the peak and crashes
  // anyway (the report then shows the fraction reached). Unit: s.
  double worst_case_timeout_s = 300;
  // With worst_case: an existing empty directory that receives a copy of the instance's
  // directory (data and WAL, `cp -a`) after each kill, before the eviction and the restart, as
  // crashN: the crash's own state, to replay again offline (docs/verify.md). "" = no copy.
  std::string crash_copy_dir;
  // Pace the load: the clients together start at most this many transactions per second (the
  // throughput is then not judged against the prediction). Unit: tps. 0 = as fast as they can.
  double rate_tps = 0;
  // Emulated flush latency added to every fsync/fdatasync/O_DSYNC write. Unit: us. 0 = native.
  uint64_t flush_latency_us = 0;
  // Path of libwaltune_flushdelay.so (needed when flush_latency_us > 0 for the servers).
  std::string preload_library;
  // Where the instance's temp dir is made. Default: $TMPDIR or /tmp.
  std::string parent_dir;
  bool keep_dir = false;
  uint64_t seed = 1;
  // Prints phase, elapsed time and live tps to stderr (the CLI sets it when stderr is a tty).
  bool progress = false;
  // Power loss (docs/powercut.md): every crash kills the engine and then cuts the power, so
  // writes it had not flushed are forgotten, not just its process. The data directory (and
  // WAL) lives on a waltune-powercut FUSE mount, or, for SQLite, the writes go through an
  // in-process VFS that forgets the same way.
  bool power_loss = false;
  // "auto" (FUSE when usable, else the SQLite VFS for sqlite), "fuse" or "sqlite-vfs".
  std::string power_loss_mechanism = "auto";
  // FUSE only: also pass every flush to the real disk, so that commit latency resembles the
  // storage's (by default flushes through the simulator cost nothing).
  bool powercut_sync_backing = false;
  // FUSE only: "lucky" cuts that keep each unflushed 4 KiB block with probability 1/2 (pages
  // may come back torn), closer to a real disk than the strict cut that loses all of them.
  bool random_cuts = false;
  // Optional: recomputes the predictions for the native flush latency measured in the
  // instance's dir just before and just after the throughput phase. The settings already
  // applied stay; only the predicted numbers of the returned plan are used. Null: the plan's
  // predictions stand.
  std::function<Result<VerifyPlan>(const FlushMeasurement& flush)> repredict;
};

// What to apply and what was predicted for these run conditions.
struct VerifyPlan {
  Durability durability = Durability::kStrict;  // as the advice says
  SettingList settings;                         // engine settings, in the engine's own names
  std::optional<double> predicted_tps;
  std::optional<double> predicted_recovery_time_s;  // the advice's worst case
  // InnoDB: the recovery at the checkpoint age the page cleaner is expected to let the load
  // reach (`expected_peak_recovery_time_s`: MySQL's pre-flushing at innodb_io_capacity, MariaDB's
  // async flush point), below the bound; PostgreSQL's at the calibration's mix; SQLite's with
  // the WAL read through the page cache. --worst-case judges its 0.6-1.0x band on it when the
  // load ran at the rate it was computed for (SQLite's holds at any rate).
  std::optional<double> expected_peak_recovery_time_s;
  std::optional<double> required_tps;              // the request's write rate, when known
  std::optional<double> predicted_loss_window_ms;  // 0 for strict
  std::optional<double> recovery_target_s;         // the user's target, when known
  // The run's cold read through the page cache the prediction used (RunConditions), when
  // measured. Unit: bytes per second.
  std::optional<double> buffered_read_bytes_per_s;
  // The worst case's terms as the advice computed them (PostgreSQL: startup_s, datadir_sync_s,
  // wal_scan_s, replay_s, end_of_recovery_checkpoint_s), beside RecoveryPhases in the report.
  std::vector<std::pair<std::string, double>> recovery_terms_s;
  std::string prediction_source;   // e.g. "advise for this run (4 clients, 2 cores, ...)"
  std::vector<std::string> notes;  // e.g. settings scaled down for this machine
  // The transaction shape the prediction was made for (rows, statements, write pattern,
  // working set), when the plan came from a request (null for --advice).
  std::optional<Workload> predicted_workload;
  // The model's expected cold recovery (s) from a given distance past the last completed
  // checkpoint (EngineAdvisor::ExpectedRecoveryAtAgeS), when the plan came from a request and
  // the engine's answer has an expected peak (InnoDB); null otherwise.
  std::function<std::optional<double>(double distance_bytes)> expected_recovery_at_distance_s;
};

// Acceptance bands of the verdicts (docs/verify.md explains the choice).
struct Tolerances {
  // |measured / predicted - 1| allowed for throughput. Default: 0.25.
  double tps_relative = 0.25;
  // Measured recovery may exceed the predicted worst case by this fraction. Default: 0.25.
  double recovery_relative = 0.25;
  // A lost commit may be this much older than the loss window. Default: 0.25.
  double loss_window_relative = 0.25;
};

// --worst-case: the WAL a crash left for its restart to replay, read from the stopped engine's
// own files before the restart (PostgreSQL: pg_waldump from pg_control's REDO point to the end
// of valid WAL). Records and full-page images apart, so a window's image share is measured, not
// inferred from the load's first seconds.
struct CrashWindowMix {
  uint64_t start_lsn = 0;     // the REDO point the replay starts at
  uint64_t end_lsn = 0;       // the end of valid WAL
  uint64_t record_bytes = 0;  // every record less its block images
  uint64_t fpi_bytes = 0;     // the block images, as stored (after wal_compression)
  uint64_t fpi_count = 0;     // the images replay applies
  uint64_t fpi_pages = 0;     // the distinct blocks (relation, fork, block) they restore
  // Records of the transaction resource manager (commits, and the rare abort): about one per
  // write transaction, so record_bytes / xact_records is the records' bytes per transaction.
  uint64_t xact_records = 0;
  std::string source;  // the commands that read it
};

// --worst-case: where one crash happened and how the cold restart went (CrashResult::worst_case).
// At namespace scope: a nested class with default member initializers is not default-
// constructible inside its enclosing class for clang (std::optional::emplace failed).
struct WorstCaseCrash {
  int checkpoint_cycles = 0;         // checkpoint cycles completed during this crash's load
  uint64_t distance_bytes = 0;       // from the last completed checkpoint's REDO point at kill
  uint64_t expected_peak_bytes = 0;  // the previous cycle's peak distance
  double fraction_of_peak = 0;       // distance_bytes / expected_peak_bytes
  double fraction_wanted = 0;        // options.worst_case_fraction
  bool reached = false;              // false: timed out before the fraction was reached
  // The WAL replayed at the restart was under half of distance_bytes: a checkpoint completed
  // between the decision to crash and the kill, so this crash was not at the peak. It still
  // counts for lost commits and the recovery-time ceiling, not for the 0.6-1.0x band, and
  // RunVerify crashes again (at most kMaxMissedPeaks extra times per run).
  bool missed_peak = false;
  std::string distance_source;  // how the distance was read
  bool cold_cache = false;      // the data directory was evicted from the page cache
  uint64_t evicted_files = 0;
  std::optional<double> replay_bytes_per_s;    // redo_bytes / (redo_s, else recovery_time_s)
  std::optional<double> recovery_to_estimate;  // recovery_time_s / predicted_recovery_time_s
  // recovery_time_s / the plan's expected_peak_recovery_time_s (InnoDB).
  std::optional<double> recovery_to_expected_peak;
  // The model's expected recovery (s) for the WAL this crash replayed (the plan's
  // expected_recovery_at_distance_s), and recovery_time_s over it (a ratio): the time per
  // distance checked apart from where the peak settles (InnoDB).
  std::optional<double> expected_at_distance_s;
  std::optional<double> recovery_to_expected_at_distance;
  // The replayed window's mix (PostgreSQL), or why it could not be read (window_error; both
  // unset for the engines whose log does not hold images).
  std::optional<CrashWindowMix> window;
  std::string window_error;
  std::string copy_dir;  // where options.crash_copy_dir received this crash ("" = not copied)
};

// Where a restart's time went, read from the engine's log (PostgreSQL: its lines carry
// timestamps to the millisecond). Each is unset when the log does not tell. Unit: s.
struct RecoveryPhases {
  // First line of the restart -> "redo starts": start-up and the fsync of every file of the
  // data directory (SyncDataDirectory).
  std::optional<double> before_redo_s;
  std::optional<double> redo_cpu_s;  // user + system CPU of the redo, as the engine logged it
  // "redo done" -> "ready to accept connections": the end-of-recovery checkpoint and start-up.
  std::optional<double> after_redo_s;
  // The end-of-recovery checkpoint's own total= and write= (its log_checkpoints line).
  std::optional<double> end_checkpoint_s;
  std::optional<double> end_checkpoint_write_s;
  std::optional<uint64_t> end_checkpoint_buffers;  // buffers it wrote
};

// --worst-case: how many extra crashes RunVerify makes when a crash missed the peak.
inline constexpr int kMaxMissedPeaks = 3;

struct CrashResult {
  std::string kind = "sigkill";
  double load_s = 0;                         // how long the load ran before the kill. Unit: s.
  uint64_t acked_commits = 0;                // acknowledged before this kill, whole run
  uint64_t lost_commits = 0;                 // acknowledged, missing after this recovery (new)
  uint64_t unacked_survived = 0;             // in flight at the kill, present after recovery
  std::optional<double> oldest_lost_age_ms;  // ack-to-kill age of the oldest newly lost commit
  bool lost_age_unknown = false;  // a lost commit was older than the acknowledgement-time record
  double recovery_time_s = 0;     // restart until the first accepted connection
  // Of recovery_time_s, the time the restarting thread was runnable but waiting for a CPU that
  // other processes held (its schedstat): measured where the restart runs in waltune's own
  // thread (SQLite), unset elsewhere. Unit: s.
  std::optional<double> recovery_cpu_wait_s;
  std::optional<uint64_t> redo_bytes;  // WAL replayed, from the engine's log / WAL file
  std::optional<double> redo_s;        // replay time the engine logged (PostgreSQL)
  RecoveryPhases phases;               // where the restart's time went (PostgreSQL)
  // The oldest_lost_age_ms is a lower bound (from the periodic ack samples, not the exact
  // acknowledgement time).
  bool lost_age_is_lower_bound = false;
  // Power cuts: what the simulator forgot.
  std::optional<uint64_t> discarded_bytes;
  std::optional<uint64_t> files_restored;
  std::optional<uint64_t> names_undone;
  std::optional<uint64_t> kept_bytes;  // random cuts: unflushed bytes that survived by chance
  // Recovery outcome: empty when the engine started again; otherwise why it did not (with the
  // tail of its log). No further crash is attempted after a failed recovery.
  std::string recovery_error;
  // Problems found by the engine's own consistency check after recovery (PostgreSQL amcheck,
  // MariaDB CHECK TABLE, SQLite PRAGMA integrity_check) and rows that were never written.
  // Empty when the check passed.
  std::vector<std::string> integrity_problems;
  std::string integrity_check;  // which check ran ("" when none could run)
  // The end of the server's log of this restart (PostgreSQL, MariaDB): the report shows it
  // beside integrity problems, so that a damaged database comes with the engine's own account.
  std::string recovery_log_tail;
  // --worst-case: where the crash happened and how the cold restart went.
  using WorstCase = WorstCaseCrash;
  std::optional<WorstCase> worst_case;
};

// One kind per claim JudgeClaims makes. The claim text of the report is VerdictClaim(kind).
enum class VerdictKind {
  kThroughput,             // "throughput as predicted"
  kRecoveryTime,           // "recovery time within the predicted worst case"
  kWorstCaseRecoveryBand,  // "worst-case recovery within 0.6-1.0x the estimate"
  kRecoveryTarget,         // "recovery within the target"
  kNoAckLost,              // "no acknowledged commit lost"
  kLossWithinWindow,       // "lost commits within the loss window"
  kRecovers,               // "engine recovers after every crash"
  kIntact,                 // "database intact after every crash"
};
const char* VerdictClaim(VerdictKind kind);
// A failed verdict of this kind is a durability failure (`waltune verify` exits 3): a lost
// acknowledged commit outside the promised window, a failed recovery or a damaged database.
// Throughput and recovery-time verdicts are not.
bool IsDurabilityFailure(VerdictKind kind);

struct Verdict {
  VerdictKind kind = VerdictKind::kThroughput;
  std::string claim;  // VerdictClaim(kind)
  bool holds = false;
  std::optional<double> predicted;
  std::optional<double> measured;
  std::string detail;
};

struct VerifyReport {
  std::string engine;          // "sqlite"
  std::string engine_version;  // "3.40.1"
  Durability durability_level = Durability::kStrict;
  int clients = 0;
  double seconds = 0;
  std::optional<uint64_t> flush_latency_emulated_us;
  std::optional<double> paced_rate_tps;       // --rate
  std::string workload = "insert";            // VerifyWorkloadName
  std::optional<uint64_t> working_set_bytes;  // update/tpcb
  VerifyPlan plan;
  SettingList applied_settings;

  double measured_tps = 0;
  double commit_latency_p50_ms = 0;
  double commit_latency_p99_ms = 0;
  uint64_t commits_measured = 0;
  std::optional<double> wal_bytes_per_txn;  // LSN advance / commits, images included
  // Of wal_bytes_per_txn, the plain records: its share of record bytes in the engine's own
  // count of the range (PostgreSQL pg_walinspect); null for engines without page images.
  std::optional<double> wal_record_bytes_per_txn;
  // The full-page images in that range (PostgreSQL pg_walinspect): how many, their mean bytes
  // of WAL and of page before compression (the block less its hole), and the wal_compression
  // they were written with. The means are null without images (fpi_count 0).
  uint64_t fpi_count = 0;
  std::optional<double> fpi_bytes;
  std::optional<double> fpi_page_bytes;
  std::string fpi_compression;
  std::optional<uint64_t> checkpoints;  // during the measurement
  std::optional<double> txn_cpu_us;     // client + engine CPU per commit
  // CPU per statement (client round trip) the measurement implies, the engine's fixed, row and
  // flush CPU taken out (StatementCpuFromMeasurement). Only with native flushes, not through the
  // power-cut simulator, for a plan made from a request (its workload shape), and not when the
  // commits waited on the flush more than twice as long as on the CPU (FlushBoundMeasurement;
  // the plan's notes say so). Unit: us.
  std::optional<double> statement_cpu_us;
  // Commits per WAL/redo sync during the measurement: the group-commit batch the engine
  // achieved (its own sync count, so background syncs lower it a little).
  std::optional<double> commits_per_wal_sync;
  // SQLite: the load's own WAL syncs during the measurement (each xSync of the WAL file, timed
  // in the load's VFS; the real sync only, without an emulated delay). Unset for the servers.
  std::optional<uint64_t> wal_syncs;
  std::optional<double> wal_sync_p50_us;
  std::optional<double> wal_sync_p99_us;
  // The prediction was recomputed from the WAL syncs above rather than from the flushes sampled
  // around the load: SQLite syncing its WAL at (nearly) every commit, native flushes, not
  // through the power-cut simulator (docs/verify.md).
  bool predicted_from_wal_syncs = false;
  // fdatasync of 8 KiB in the instance dir: 50 flushes just before and 50 just after the
  // throughput phase (co-tenant noise around the run, not the engine's own flushes).
  double native_flush_p50_us = 0;
  double native_flush_p99_us = 0;
  double native_flush_mean_us = 0;
  int native_flush_samples = 0;
  // The same flush after the device sat idle (10 samples per gap before the load, 10 after):
  // the model's flush-after-idle term (docs/wal-model.md).
  std::vector<StorageSpec::IdleFlushPoint> native_flush_after_idle;
  // Median overshoot of 20 sleeps of the emulated delay; only with --flush-latency-us.
  std::optional<double> emulated_delay_overshoot_us;

  std::vector<CrashResult> crashes;
  std::vector<Verdict> verdicts;
  std::string scope_note;  // what a process kill can and cannot show
  // "sigkill", or the power-loss mechanism used (FUSE file system or SQLite VFS).
  std::string crash_mechanism = "sigkill";
  // The throughput phase ran through the power-loss simulator: its numbers are not comparable
  // with a native run and are not judged against the prediction.
  bool throughput_through_simulator = false;
};

// The whole run. Every process started is stopped and the temp dir removed before it returns,
// on success, on error and after InstallCleanupSignalHandlers() saw SIGINT/SIGTERM.
Result<VerifyReport> RunVerify(const VerifyOptions& options, const VerifyPlan& plan);

// Median and p99 of `fdatasync` after an 8 KiB write, `flushes` times, in a scratch file in
// `dir`. Unit: us. Used for the prediction when no latency is emulated.
Result<std::pair<double, double>> MeasureFlushLatencyUs(const std::string& dir, int flushes);

// Everything FlushMeasurement holds, in a scratch file in `dir`: 50 back-to-back flushes, 10
// after each idle gap (200 us, 2 ms, 8 ms), and 20 sleeps of `emulated_delay_us` (none when 0).
Result<FlushMeasurement> MeasureRunFlushes(const std::string& dir, uint64_t emulated_delay_us);

nlohmann::ordered_json ReportToJson(const VerifyReport& report);
std::string ReportToText(const VerifyReport& report);

// Calibration file (docs/verify.md): `existing` (may be null) updated with this run's numbers
// for the report's engine.
nlohmann::ordered_json UpdateCalibration(const nlohmann::json& existing,
                                         const VerifyReport& report);
// What UpdateCalibration carries over from `existing` and reads as numbers: each engine's
// `recovery_windows` (the cold restarts a MariaDB line is fitted over). InvalidArgument naming
// the field when an entry is malformed, so that `verify --calibrate` refuses the file before it
// runs anything.
Status CheckCalibrationToUpdate(const nlohmann::json& existing, const std::string& field);

// ---------------------------------------------------------------------------------------------
// From advice to plan (src/verify/plan.cc).

// The conditions of this run that the prediction must use.
struct RunConditions {
  Engine engine = Engine::kSQLite;
  int clients = 4;
  int cpu_cores = 2;
  uint64_t memory_bytes = 0;
  uint64_t payload_bytes = 100;
  VerifyWorkload workload = VerifyWorkload::kInsert;
  uint64_t working_set_bytes = 64ull << 20;  // update/tpcb only
  // Native write+fdatasync latency measured on the file system of the run. Unit: us.
  double native_flush_p50_us = 0;
  double native_flush_p99_us = 0;
  double native_flush_mean_us = 0;  // 0: not measured
  std::vector<StorageSpec::IdleFlushPoint> native_flush_after_idle;
  uint64_t flush_latency_emulated_us = 0;
  double emulated_delay_overshoot_us = 0;  // measured; 0: not measured or no emulation
  // Cold sequential read through the page cache on the run's file system
  // (MeasureColdBufferedReadBytesPerS). Unit: bytes per second; 0: not measured.
  double buffered_read_bytes_per_s = 0;
  // fsync() of a clean file on the run's file system (MeasureCleanFsyncUs). Unit: us; 0: not
  // measured.
  double clean_fsync_us = 0;
};

// `run` with the measured flush latency (back to back, after idle, the sleep's overshoot).
void SetRunFlush(const FlushMeasurement& flush, RunConditions* run);

// CPU cores and memory of this machine, with the other fields of `base` kept.
RunConditions WithThisMachine(RunConditions base);

// The storage the run really has: the native flush latency plus the emulated delay.
StorageSpec RunStorage(const RunConditions& run);

// Rewrites a parsed request to the run's conditions: clients, cores, memory, storage, one row
// of payload_bytes per transaction. Each change is listed in `assumptions` (source "verify").
void AdaptScenarioToRun(const RunConditions& run, Scenario* scenario);

// Settings and predictions of an advice. Memory sizes above a quarter of this machine's memory
// are scaled down (and listed in notes). InvalidArgument when the advice's engine is not the
// run's engine (MySQL advice cannot run here: there is no MySQL server on these machines).
Result<VerifyPlan> PlanFromAdvice(const Advice& advice, const RunConditions& run);
// Same from the advice JSON (docs/contract.md, "Answer"): wal_config, checkpoint_strategy and
// group_commit keys that are engine parameters, and throughput_impact.with_config_tps,
// checkpoint_strategy.estimated_recovery_time_s, estimates' data_loss_window_ms.
Result<VerifyPlan> PlanFromAdviceJson(const nlohmann::json& advice, const RunConditions& run);

// Where the plan of a run comes from (the `waltune verify` options that choose it).
struct PlanSource {
  std::string advice_path;       // --advice: an advise answer (JSON file) applied as it is
  std::string request_path;      // --request: a request JSON file to advise on for this run
  std::string engine;            // --engine as the user wrote it ("" when not given)
  std::string durability;        // --durability: overrides the request's ("" when not given)
  std::string calibration_path;  // --calibration for the prediction ("" when not given)
};

// The request (and calibration) as a scenario for the engine verify will run; sets run->engine
// (InvalidArgument when the request's engine is not --engine, or is MySQL). Reads only the
// files: safe to call before anything is measured or started.
Result<Scenario> ScenarioForRun(const PlanSource& source, RunConditions* run);
// `waltune advise` on the request for this run's conditions (AdaptScenarioToRun), as a plan:
// settings, predictions, the user's recovery target, the predicted transaction shape, and the
// advice's warnings and flush estimates as notes.
Result<VerifyPlan> PlanFromRequest(const PlanSource& source, RunConditions* run);
// Sets plan->expected_recovery_at_distance_s from the scenario the plan was solved for, when its
// engine's answer has an expected peak (PlanFromRequest does).
void SetExpectedRecoveryAtDistance(const Scenario& scenario, VerifyPlan* plan);
// Refuses bad input before anything is measured: the --advice file read and checked against
// `run`, else the request read as ScenarioForRun does (on a copy of `run`).
Status CheckPlanSource(const PlanSource& source, const RunConditions& run);
// The plan of the run: the --advice file applied as it is (PlanFromAdviceJson), else
// PlanFromRequest.
Result<VerifyPlan> PlanForRun(const PlanSource& source, RunConditions* run);

// Scales one memory-size setting to this machine: returns the value to apply and, when it
// changed, a note. Values without a unit are kept (their unit is engine-specific).
std::string ScaleMemorySetting(const std::string& name, const std::string& value,
                               uint64_t memory_bytes, std::vector<std::string>* notes);

// ---------------------------------------------------------------------------------------------
// Pure pieces, exposed for tests.

// What one client sent, as the loss accounting needs it. Sequence numbers start at 1 and every
// attempt uses a new one, so 1..attempted_through were all sent.
struct ClientLedger {
  uint64_t attempted_through = 0;
  std::vector<uint64_t> in_doubt;    // sent but never acknowledged (sorted)
  std::vector<uint64_t> known_lost;  // acknowledged and found missing by an earlier count (sorted)
};

struct LossCount {
  uint64_t acked = 0;                // attempted_through - in_doubt
  uint64_t lost = 0;                 // acknowledged and missing now (all of them)
  std::vector<uint64_t> newly_lost;  // missing now and not in known_lost
  uint64_t in_doubt_present = 0;     // unacknowledged but present
  uint64_t unexpected = 0;           // present rows never sent (seq > attempted_through or 0)
};

// `present`: the client's sequence numbers found in the database, sorted, distinct.
LossCount CountClientLoss(const ClientLedger& ledger, const std::vector<uint64_t>& present);

struct ClaimInputs {
  Durability durability = Durability::kStrict;
  std::optional<double> predicted_tps;
  std::optional<double> predicted_recovery_time_s;
  std::optional<double> expected_peak_recovery_time_s;  // see VerifyPlan
  // The rate the expected peak is for; unset where the peak does not depend on it (SQLite).
  std::optional<double> required_tps;
  std::optional<double> predicted_loss_window_ms;
  std::optional<double> recovery_target_s;
  double measured_tps = 0;
  std::vector<double> recovery_times_s;
  // Of each of recovery_times_s, the part spent waiting for a CPU held by other processes
  // (CrashResult::recovery_cpu_wait_s, 0 where unmeasured): empty, or as long as
  // recovery_times_s. The model predicts the engine's own work, so the recovery-time and band
  // verdicts judge the time less this wait; the target verdict judges the wall clock.
  std::vector<double> recovery_cpu_waits_s;
  // --worst-case: the recovery times of the crashes that reached the peak (reached and not
  // missed_peak); the 0.6-1.0x band is judged over these.
  std::vector<double> peak_recovery_times_s;
  std::vector<double> peak_recovery_cpu_waits_s;  // as recovery_cpu_waits_s, for these
  uint64_t lost_commits = 0;
  // Oldest ack-to-kill age among lost commits; nullopt when none lost or age unknown.
  std::optional<double> oldest_lost_age_ms;
  bool lost_age_unknown = false;  // some lost commit was older than the ack-time record
  // False when throughput was measured through the power-loss simulator (not comparable).
  bool judge_tps = true;
  // False when the restarts read through the power-loss simulator (slower than the disk).
  bool judge_recovery_time = true;
  // Crashes were power cuts (the wording of the loss verdict changes).
  bool power_loss = false;
  // --worst-case: crashes at the checkpoint-distance peak, cold restarts (adds the 0.6-1.0x
  // band verdict on recovery time).
  bool worst_case = false;
  int crashes = 0;
  int failed_recoveries = 0;                    // restarts that did not come up
  std::vector<std::string> integrity_problems;  // over all crashes, "crash N: ..."
};

std::vector<Verdict> JudgeClaims(const ClaimInputs& in, const Tolerances& tol = {});

// Median of `values` (mean of the middle two for an even count). REQUIRES: !values.empty().
double Median(std::vector<double> values);

}  // namespace waltune

#endif  // WALTUNE_VERIFY_H_
