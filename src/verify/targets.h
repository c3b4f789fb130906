// A Target is one engine instance under test: set up, load, crash, restart, inspect.
#ifndef WALTUNE_VERIFY_TARGETS_H_
#define WALTUNE_VERIFY_TARGETS_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "load.h"
#include "waltune/powercut.h"
#include "waltune/verify.h"

namespace waltune::verify {

struct EngineSample {
  std::optional<uint64_t> wal_bytes;    // cumulative WAL/redo written
  std::optional<uint64_t> checkpoints;  // cumulative checkpoints (or checkpoint-LSN moves seen)
  double cpu_s = 0;                     // engine + client CPU so far. Unit: s.
  // Cumulative WAL/redo sync calls the engine counts (PostgreSQL pg_stat_wal.wal_sync, MariaDB
  // Innodb_os_log_fsyncs), by any of its processes; unknown where it keeps no count.
  std::optional<uint64_t> wal_syncs;
};

struct RecoveryInfo {
  double recovery_s = 0;
  std::optional<uint64_t> redo_bytes;
  std::optional<double> redo_s;
  RecoveryPhases phases;
  // Where the restart runs in this process's thread (SQLite): that thread's time runnable but
  // waiting for a CPU during the restart, from its schedstat. Unset for servers and where the
  // kernel keeps no schedstat.
  std::optional<double> cpu_wait_s;
  // The end of what the server logged during this restart (at most kRecoveryLogTailBytes):
  // evidence to show beside a damaged database or a lost commit. Empty for SQLite.
  std::string log_tail;
};
inline constexpr size_t kRecoveryLogTailBytes = 4000;

// How far the WAL/redo reaches past the last completed checkpoint's REDO point: what a crash
// now would replay (--worst-case watches it).
struct CheckpointDistance {
  uint64_t distance_bytes = 0;
};

// What the WAL between two positions is made of, as the engine's own WAL reader counts it:
// record bytes (headers and data) and full-page-image bytes. PostgreSQL only: InnoDB's redo and
// SQLite's WAL frames carry no separate page images.
struct WalMix {
  uint64_t record_bytes = 0;
  uint64_t image_bytes = 0;
  // The full-page images replay applies (the block references marked "(FPW)"), and the bytes of
  // the pages they hold before compression: the block size less each image's hole.
  uint64_t images = 0;
  uint64_t image_page_bytes = 0;
  // wal_compression as the server reports it ("off", "pglz", "lz4", "zstd").
  std::string compression;
};

// Client id (1-based) -> sorted sequence numbers present.
using PresentRows = std::map<int, std::vector<uint64_t>>;

class Target {
 public:
  virtual ~Target() = default;
  // Creates the instance (fresh temp dir), starts it with `settings`, creates the table.
  virtual Status Setup(const SettingList& settings) = 0;
  virtual std::string dir() const = 0;
  virtual std::string version() const = 0;
  // Starts the clients (REQUIRES: engine running). They write until StopLoad or Crash.
  virtual Status StartLoad(SharedLoad* shared) = 0;
  // Graceful: sets the stop flag and waits for the clients.
  virtual Status StopLoad() = 0;
  // SIGKILL of the engine (server process group or SQLite writer) under load; waits until it
  // is really gone and the clients have ended.
  virtual Status Crash() = 0;
  // Restarts after a crash and waits until it accepts connections (timed).
  virtual Result<RecoveryInfo> Restart() = 0;
  virtual Result<EngineSample> Sample() = 0;
  // --worst-case: the distance a crash now would replay. REQUIRES: load running.
  virtual Result<CheckpointDistance> Distance() = 0;
  // Where Distance() comes from, for the report.
  virtual std::string DistanceSource() const = 0;
  virtual Result<PresentRows> ReadPresent() = 0;
  // The WAL between two EngineSample::wal_bytes positions, split into records and images;
  // nullopt for engines whose log has no page images. An error when the engine cannot tell
  // (e.g. the range was recycled). REQUIRES: engine running.
  virtual Result<std::optional<WalMix>> MixOfWal(uint64_t /*from*/, uint64_t /*to*/) {
    return std::optional<WalMix>();
  }
  // --worst-case, after the kill and before the restart: the WAL the restart will replay, read
  // from the stopped engine's files (nullopt: this engine's log has no images to tell apart).
  virtual Result<std::optional<CrashWindowMix>> MixOfCrashWindow() {
    return std::optional<CrashWindowMix>();
  }
  // The engine's own consistency check of the load table after a recovery: the problems it
  // reports (empty: passed). *check names the check that ran.
  virtual Result<std::vector<std::string>> CheckIntegrity(std::string* check) = 0;
  // What the engine logged since the last Restart() returned (at most `max_bytes`, its end):
  // the server's own account of an integrity check that failed. Empty for engines without a
  // log of their own (SQLite).
  virtual std::string LogSinceRestart(size_t /*max_bytes*/) const { return ""; }

  // Power loss (options.power_loss): Crash() also cuts the power after the kill.
  // How crashes happen: "sigkill" or a description of the power-loss mechanism.
  virtual std::string CrashMechanism() const = 0;
  // The engine's files are on the FUSE simulator (every I/O crosses it, timings included).
  virtual bool ThroughFuse() const = 0;
  // Whether the advice's expected peak recovery depends on the load's rate (the WAL a
  // PostgreSQL window holds, where InnoDB's page cleaner holds the checkpoint age), so that only a
  // load near the required rate tests it. SQLite's peak is its wal_autocheckpoint at any rate.
  virtual bool ExpectedPeakFollowsRate() const { return true; }
  // Called before each crash's load: makes everything so far durable (as sync(2) would), so a
  // cut loses only what that load left unflushed. No-op without power loss.
  virtual Status BeforeCrashLoad() = 0;
  // What the last power cut forgot (nullopt for a SIGKILL).
  std::optional<powercut::CutStats> last_cut() const { return last_cut_; }

 protected:
  std::optional<powercut::CutStats> last_cut_;

 public:
  // Stops everything; the destructor also does (and removes the dir).
  virtual Status Shutdown() = 0;
};

// The verify targets, one per engine: each targets/<engine>.cc registers its factory at start-up
// (`const bool k<Engine>Registered = RegisterTarget(...)`; the library is linked whole-archive, so
// no registration is dropped). An engine's row in the engine table says verify_supported; its
// target file registers the factory: nothing else names the engine here.
using TargetFactory = std::unique_ptr<Target> (*)(const VerifyOptions& options);
// Returns true (for the static initializer). REQUIRES: no factory registered for `engine` yet.
bool RegisterTarget(Engine engine, TargetFactory factory);
// The registered factory of `engine`, or nullptr.
TargetFactory FindTargetFactory(Engine engine);

// A new target for options.engine; an error when no target is registered for it.
Result<std::unique_ptr<Target>> MakeTarget(const VerifyOptions& options);

// Parsers of engine logs for the redo replayed, exposed for tests. Malformed or out-of-range
// numbers leave the redo unknown (never throw).
// PostgreSQL LSN text "hi/lo" (two 32-bit hex numbers) as a byte position; nullopt if malformed.
std::optional<uint64_t> ParsePostgresLsn(std::string_view text);
// Cold start: sync(), then posix_fadvise(POSIX_FADV_DONTNEED) on every regular file under
// `dir` (recursively), so the restart reads the data directory from the device as after a
// power cut. Returns the files evicted. REQUIRES: no process writes there any more.
Result<uint64_t> EvictFromPageCache(const std::string& dir);

// "X/Y" (PostgreSQL LSN, hex) -> 64-bit position; nullopt when malformed. Checked parsing.
std::optional<uint64_t> ParseLsnText(std::string_view text);
// 64-bit position -> "X/Y" (PostgreSQL LSN text, upper-case hex); the inverse of ParseLsnText.
std::string FormatLsnText(uint64_t position);
// PostgreSQL pg_walinspect: "record_bytes image_bytes images image_page_bytes compression" (four
// decimal sums and the wal_compression setting) -> WalMix; nullopt when malformed.
std::optional<WalMix> ParseWalMixText(std::string_view text);
// pg_waldump --stats: the range of its heading ("WAL statistics between A and B:"), the
// record and image bytes of its "Total" line and the count of its "Transaction" row ->
// a CrashWindowMix without the image count; nullopt when any is malformed or the heading or
// the total is missing.
std::optional<CrashWindowMix> ParseWaldumpStats(std::string_view text);
// pg_waldump --fullpage (the records carrying images): the block references marked " FPW" (an
// image replay applies; "FPW for WAL verification" is not) and how many distinct blocks they
// name, into mix->fpi_count and mix->fpi_pages.
void CountWaldumpImages(std::string_view text, CrashWindowMix* mix);
// Decimal unsigned integer of the whole text; nullopt when malformed or out of range.
std::optional<uint64_t> ParseU64Text(std::string_view text);

// Parsers of engine logs for the redo replayed, exposed for tests.
// PostgreSQL: "redo starts at 0/1A2B3C8" ... "redo done at 0/1C00000 ... elapsed: 0.03 s".
void ParsePostgresRedo(const std::string& log, RecoveryInfo* info);
// PostgreSQL: where the restart's time went, from the timestamps of the log lines (the default
// log_line_prefix '%m [%p] ' that verify sets), the redo's logged CPU and the end-of-recovery
// checkpoint's log_checkpoints line. Called by ParsePostgresRedo.
void ParsePostgresRecoveryPhases(const std::string& log, RecoveryPhases* phases);
// MariaDB: "Starting crash recovery from checkpoint LSN=N" and the end LSN it reports.
void ParseMariadbRedo(const std::string& log, RecoveryInfo* info);

// RecoveryInfo::log_tail from a server log: the last `max_error_lines` error lines logged
// before the crash (MariaDB "[ERROR]", PostgreSQL "ERROR:" and "PANIC:": e.g. InnoDB's "Crash
// recovery is broken due to insufficient innodb_log_file_size" is logged during the load),
// then the end of what the restart logged; at most kRecoveryLogTailBytes in all.
std::string RecoveryLogTail(const std::string& before_crash, const std::string& restart,
                            size_t max_error_lines = 10);

}  // namespace waltune::verify

#endif  // WALTUNE_VERIFY_TARGETS_H_
