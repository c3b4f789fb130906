// Scenario: a request after parsing and normalisation. Every field is a plain number or enum with
// its unit in the name; where the value was defaulted or inferred, `assumptions` says so.
#ifndef WALTUNE_SCENARIO_H_
#define WALTUNE_SCENARIO_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "waltune/storage.h"

namespace waltune {

// The built-in engines. Their names and everything else about them are rows of the engine
// table (waltune/engine_traits.h), which can register more (values after kSQLite).
enum class Engine : uint8_t { kPostgreSQL, kMySQL, kMariaDB, kSQLite };
enum class Durability { kStrict, kStandard, kRelaxed };
enum class Replication { kNone, kPhysical, kLogical };

const char* DurabilityName(Durability level);   // "strict", "standard", "relaxed"
const char* ReplicationName(Replication repl);  // "none", "physical", "logical"
// The level called `name` ("strict", "standard", "relaxed"), if any.
std::optional<Durability> DurabilityFromName(const std::string& name);

struct EngineVersion {
  int major = 0;
  int minor = 0;
  int patch = 0;
  // Compares (major, minor, patch) lexicographically.
  friend auto operator<=>(const EngineVersion&, const EngineVersion&) = default;
  std::string ToString() const;
};

// Where an assumed input came from: a default, read from the request's text, taken from
// upstream_results, measured by `waltune verify --calibrate`, or set by verify for its run.
enum class AssumptionSource { kDefault, kInferred, kUpstream, kCalibration, kVerify };
// "default", "inferred", "upstream", "calibration", "verify"
const char* AssumptionSourceName(AssumptionSource source);

// One input that was not given explicitly: where it came from and why.
struct Assumption {
  std::string field;  // "constraints.write_rate"
  std::string value;  // "1000 tps"
  AssumptionSource source = AssumptionSource::kDefault;
  std::string reason;
};

struct Workload {
  // Commits per second the application needs. Unit: transactions per second.
  double write_rate_tps = 1000;
  // Clients committing at the same time.
  int concurrency = 8;
  // Rows inserted or updated per transaction, and their payload size.
  int rows_per_txn = 4;
  uint64_t row_bytes = 100;
  // Bytes of row data written per transaction (rows_per_txn * row_bytes unless given).
  uint64_t txn_write_bytes = 400;
  // Total data, memory of the host, and the hot set of pages that writes go to.
  uint64_t data_size_bytes = 0;
  uint64_t memory_bytes = 0;
  uint64_t working_set_bytes = 0;
  // The database's page cache (InnoDB innodb_buffer_pool_size); 0 = not given. MariaDB's crash
  // recovery parses redo into a third of it per batch. Unit: bytes.
  uint64_t buffer_pool_bytes = 0;
  // Share of row writes that land on a random page of the working set: 1 for random updates
  // (every first touch after a checkpoint is a full-page image), near 0 for appends that fill
  // the tail of a table and index. Set by constraints.write_pattern. Unit: ratio.
  double random_page_fraction = 1.0;
  // SQL statements (client round trips) per transaction, BEGIN and COMMIT included. 0 = derive
  // from the workload shape. Unit: count.
  int statements_per_txn = 0;
  // Rows of the smallest table every transaction updates (pgbench's branches): transactions that
  // pick the same row wait for each other's row lock. 0 = no such table (set by verify's tpcb
  // workload; not a request field). Unit: count.
  int hot_rows = 0;
  // The statement (1-based, BEGIN included) that updates that row. Unit: count.
  int hot_row_statement = 0;
  // Rows each transaction appends (new pages fill with them: a table or index tail), and their
  // size. -1 / 0 = rows_per_txn x (1 - random_page_fraction) rows of row_bytes. Set by verify's
  // workloads (their history row); not a request field. Units: count, bytes.
  int appended_rows_per_txn = -1;
  uint64_t appended_row_bytes = 0;
  // Bytes an UPDATE changes in each row it updates (InnoDB logs the changed columns, not the
  // row). 0 = row_bytes: the whole row, as far as the model knows. Set by verify's workloads
  // (update: the payload and an 8-byte counter; tpcb: an 8-byte balance); not a request field.
  // Unit: bytes.
  uint64_t updated_bytes_per_row = 0;
};

// Measured numbers from `waltune verify --calibrate` for one engine on one machine.
// PostgreSQL: the crash windows a calibration's replay_bytes_per_s was measured on, read back
// with pg_waldump after each kill (verify --worst-case --calibrate; summed over its crashes).
// With them the model charges the whole measured replay to the records (record_bytes /
// redo_s, a ceiling on what a byte of records costs at the calibration's buffer misses),
// takes the records per transaction and the bytes per image a steady window holds, and
// expects images up to the window's count per record byte to cost nothing more
// (docs/wal-model.md, "Replay priced on the calibration's own window"). The expected time (not
// the bound) takes the recovery prefetcher's part out of the redo time and prices it per image
// ("The recovery prefetcher priced per image"). At namespace scope: a
// nested class with default member initializers is not default-constructible inside its
// enclosing class for clang (see WorstCaseCrash in verify.h).
struct CalibrationReplayWindow {
  double record_bytes = 0;  // records less their block images. Unit: bytes.
  double fpi_bytes = 0;     // the images, as stored (fpi_compression). Unit: bytes.
  double fpi_count = 0;     // the images replay applied
  double transactions = 0;  // commit records
  double redo_s = 0;        // the replay time the server logged. Unit: s.
};

struct Calibration {
  bool present = false;
  std::string source;
  std::optional<double> txn_cpu_us;
  // CPU per statement (client round trip) measured with one client, and with several clients
  // sharing the cores (`statement_cpu_clients` of them): a host's cost of a statement depends
  // on whether its processes wake on idle cores, not on the workload
  // (docs/sweep-group-commit.md). They take precedence over txn_cpu_us. Unit: us.
  std::optional<double> statement_cpu_one_client_us;
  std::optional<double> statement_cpu_concurrent_us;
  int statement_cpu_clients = 0;
  // The several-clients figure at every client count calibrated (`statement_cpu_by_clients`,
  // the file's pair above included when it names its count). A statement can cost more as
  // more processes share the cores: PostgreSQL spent 1.3-1.8x the CPU per transaction with 64
  // clients as with 16, MariaDB about the same (docs/sweep-group-commit.md, sweeps 11-14), so a
  // request takes the figure of the smallest calibrated count at or above its own. Unit: us.
  std::map<int, double> statement_cpu_by_clients;
  // The CPU of a transaction's statements as verify measured it (CPU per commit less the
  // model's flush share and its fixed and row terms), by client count (1 for one client) and
  // then by statements per transaction (`statements_cpu_us_by_clients`). Where a count has two
  // or more statement counts, advise fits a line through them: CPU per statement and a CPU per
  // commit beyond its statements, which one workload alone cannot tell apart. PostgreSQL's
  // one-statement `insert` cost 32-66 us per commit more at 4-64 clients than `tpcb`'s figure
  // per statement gave it (docs/wal-model.md, "CPU per commit beyond the statements"). Unit: us.
  std::map<int, std::map<int, double>> statements_cpu_us_by_clients;
  // WAL per transaction as verify measured it (LSN advance / commits, full-page images
  // included), and of it the records alone (PostgreSQL, whose model adds its own images).
  std::optional<double> wal_bytes_per_txn;
  std::optional<double> wal_record_bytes_per_txn;
  // PostgreSQL: one full-page image as verify measured it: its mean WAL bytes under
  // `fpi_compression` (a wal_compression value: off, pglz, lz4, zstd), and the mean bytes of its
  // page before compression (the block less its hole). Both or neither. Unit: bytes.
  std::optional<double> fpi_bytes;
  std::optional<double> fpi_page_bytes;
  std::string fpi_compression;
  std::optional<double> replay_bytes_per_s;
  // PostgreSQL: the share of random page changes that missed shared_buffers in the replay that
  // measured replay_bytes_per_s (1 - shared_buffers / working set, 0 when it fit); the model adds
  // the miss cost only for a larger share. In [0, 1).
  std::optional<double> replay_buffer_miss_fraction;
  std::optional<double> restart_overhead_s;
  // PostgreSQL: the crash windows replay_bytes_per_s was measured on (CalibrationReplayWindow).
  std::optional<CalibrationReplayWindow> replay_window;
  // The major version of the server the numbers were measured on (the file's `engine_version`,
  // "15.18" or "10.11.6-MariaDB..."); 0 when the file does not say. PostgreSQL: whether its
  // measured replay ran the recovery prefetcher (15 and later).
  int engine_major = 0;
  // InnoDB: when 2 or more, restart_overhead_s and replay_bytes_per_s are a line fitted over
  // that many whole cold restarts of this host (FitRestartLine): they already hold the redo
  // scan, the page reads and the batches' page writes, so the expected recovery is the line
  // alone, and the bound the larger of the line and the model's own terms. 0:
  // restart_overhead_s is the fastest restart and replay_bytes_per_s a lower bound.
  int restart_fit_windows = 0;
  // True when txn_cpu_us was measured with commits waiting for flushes (strict), so it already
  // includes the flush-wait CPU.
  bool cpu_includes_flush_wait = false;
};

struct Scenario {
  Engine engine = Engine::kPostgreSQL;
  EngineVersion version;
  Durability durability = Durability::kStandard;
  Replication replication = Replication::kNone;
  Workload workload;
  StorageSpec storage;
  // Worst-case crash-recovery time the user accepts. Unit: s.
  double recovery_target_s = 60;
  // Logical CPUs of the database host (for the CPU ceiling). Default 8.
  int cpu_cores = 8;
  Calibration calibration;
  // The user said they accept a risk of database corruption on power loss for speed (e.g.
  // SQLite synchronous=OFF). Never inferred from a default.
  bool accepts_corruption_risk = false;

  std::vector<Assumption> assumptions;
  std::vector<std::string> warnings;
  std::vector<std::string> out_of_scope;
  // Inputs counted for confidence.
  int defaulted_inputs = 0;
  int inferred_inputs = 0;
};

}  // namespace waltune

#endif  // WALTUNE_SCENARIO_H_
