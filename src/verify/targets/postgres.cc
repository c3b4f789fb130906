// PostgreSQL under verify: the server target over libpq, and the parsers of its LSNs and of
// the recovery lines of its server log.
#include <libpq-fe.h>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <optional>
#include <regex>
#include <sstream>
#include <string_view>
#include <unordered_set>

#include "process.h"
#include "sessions.h"
#include "targets/server_target.h"
#include "waltune/parse_number.h"

namespace waltune::verify {

namespace {

class PostgresTarget : public ServerTarget {
 public:
  using ServerTarget::ServerTarget;
  ~PostgresTarget() override { CloseAdmin(); }

  Result<EngineSample> Sample() override {
    EngineSample s;
    s.cpu_s = CpuSeconds();
    std::string lsn;
    WALTUNE_RETURN_IF_ERROR(QueryOne("SELECT pg_current_wal_insert_lsn()", &lsn));
    std::optional<uint64_t> wal = ParsePostgresLsn(lsn);
    if (!wal) return Status::IOError("pg_current_wal_insert_lsn()", "not an LSN: '" + lsn + "'");
    s.wal_bytes = *wal;
    std::string ckpt;
    if (QueryOne("SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter", &ckpt).ok() ||
        QueryOne("SELECT num_timed + num_requested FROM pg_stat_checkpointer", &ckpt).ok()) {
      Result<uint64_t> n = ParseIntegerField<uint64_t>(ckpt, "PostgreSQL checkpoint count");
      if (!n.ok()) return n.status();
      s.checkpoints = *n;
    }
    // WAL syncs by any process (PostgreSQL 14+; issue_xlog_fsync in xlog.c counts them).
    std::string syncs;
    if (QueryOne("SELECT wal_sync FROM pg_stat_wal", &syncs).ok()) {
      Result<uint64_t> n = ParseIntegerField<uint64_t>(syncs, "pg_stat_wal.wal_sync");
      if (!n.ok()) return n.status();
      s.wal_syncs = *n;
    }
    return s;
  }

  Result<CheckpointDistance> Distance() override {
    // pg_control_checkpoint() reads pg_control, rewritten when a checkpoint completes: its
    // redo_lsn is where a crash now would start replaying (xlog.c, StartupXLOG).
    std::string text;
    WALTUNE_RETURN_IF_ERROR(
        QueryOne("SELECT redo_lsn::text || ' ' || pg_current_wal_insert_lsn()::text FROM "
                 "pg_control_checkpoint()",
                 &text));
    const size_t space = text.find(' ');
    std::optional<uint64_t> redo, now;
    if (space != std::string::npos) {
      redo = ParseLsnText(std::string_view(text).substr(0, space));
      now = ParseLsnText(std::string_view(text).substr(space + 1));
    }
    if (!redo || !now) return Status::IOError("PostgreSQL checkpoint distance", "'" + text + "'");
    return CheckpointDistance{*now >= *redo ? *now - *redo : 0};
  }
  std::string DistanceSource() const override {
    return "pg_current_wal_insert_lsn() - pg_control_checkpoint().redo_lsn";
  }

  Result<std::optional<WalMix>> MixOfWal(uint64_t from, uint64_t to) override {
    if (!have_walinspect_) {
      return Status::IOError("pg_walinspect", "the extension could not be created");
    }
    // pg_walinspect reads the WAL back with the server's own reader (as pg_waldump --stats
    // does): per record, record_size is its total length less its block images, fpi_size the
    // images. Each image replay applies is a block reference marked "(FPW)" followed by its
    // hole (xlogdesc.c XLogRecGetBlockRefInfo; "(FPW for WAL verification)" is not applied):
    // the page bytes it holds are the block size less the hole. The range ends at the flushed
    // WAL, which PostgreSQL 15 requires.
    const std::string from_lsn = "'" + FormatLsnText(from) + "'::pg_lsn";
    const std::string sql =
        "WITH e AS (SELECT least('" + FormatLsnText(to) +
        "'::pg_lsn, pg_current_wal_flush_lsn()) AS lsn) "
        "SELECT (SELECT coalesce(sum(record_size), 0)::text || ' ' || "
        "coalesce(sum(fpi_size), 0)::text FROM e, pg_get_wal_stats(" +
        from_lsn +
        ", e.lsn)) || ' ' || (SELECT count(*)::text || ' ' || "
        "coalesce(sum(current_setting('block_size')::int - m[1]::int), 0)::text "
        "FROM e, pg_get_wal_records_info(" +
        from_lsn +
        ", e.lsn) r, regexp_matches(r.block_ref, '\\(FPW\\); hole: offset: \\d+, length: "
        "(\\d+)', 'g') m WHERE r.fpi_length > 0) || ' ' || current_setting('wal_compression')";
    std::string text;
    WALTUNE_RETURN_IF_ERROR(QueryOne(sql.c_str(), &text));
    std::optional<WalMix> mix = ParseWalMixText(text);
    if (!mix) {
      return Status::IOError("pg_walinspect", "not four counts and a compression: '" + text + "'");
    }
    return std::optional<WalMix>(*mix);
  }

  // The window the restart will replay, from the stopped server's own files: pg_controldata's
  // REDO location (where StartupXLOG begins, the last completed checkpoint's), then pg_waldump
  // from it to the end of valid WAL, once with --stats (record and image bytes) and once with
  // --fullpage (the records carrying images, to count them and their blocks). Both end with
  // exit 1 at the end of the WAL ("invalid record length"), which is where the replay ends too.
  // The reads pull the WAL into the page cache; the caller evicts it afterwards.
  Result<std::optional<CrashWindowMix>> MixOfCrashWindow() override {
    const std::string bin = PostgresInstance::BinDir();
    const std::string wal_dir = instance_->data_dir() + "/pg_wal";
    const std::string out = instance_->dir() + "/waltune-waldump.out";
    auto run = [&](const std::vector<std::string>& argv, int ok_up_to) -> Result<std::string> {
      std::remove(out.c_str());
      SpawnOptions spawn;
      spawn.argv = argv;
      spawn.log_path = out;
      Result<int> code = RunForExitCode(spawn, 900);
      std::ifstream in(out);
      std::stringstream text;
      text << in.rdbuf();
      std::remove(out.c_str());
      if (!code.ok()) return code.status();
      if (*code > ok_up_to) {
        const std::string t = text.str();
        return Status::IOError(argv[0], "exit " + std::to_string(*code) + ": " +
                                            t.substr(t.size() > 300 ? t.size() - 300 : 0));
      }
      return text.str();
    };
    Result<std::string> control = run({bin + "/pg_controldata", "-D", instance_->data_dir()}, 0);
    if (!control.ok()) return control.status();
    constexpr std::string_view kRedo = "Latest checkpoint's REDO location:";
    const size_t at = control->find(kRedo);
    std::optional<uint64_t> redo;
    if (at != std::string::npos) {
      std::string_view value = std::string_view(*control).substr(at + kRedo.size());
      value = value.substr(0, value.find('\n'));
      value.remove_prefix(std::min(value.find_first_not_of(' '), value.size()));
      redo = ParseLsnText(value);
    }
    if (!redo) return Status::IOError("pg_controldata", "no REDO location in its output");
    const std::string start = FormatLsnText(*redo);
    Result<std::string> stats =
        run({bin + "/pg_waldump", "--stats", "-p", wal_dir, "-s", start}, 1);
    if (!stats.ok()) return stats.status();
    std::optional<CrashWindowMix> mix = ParseWaldumpStats(*stats);
    if (!mix || mix->start_lsn != *redo) {
      return Status::IOError("pg_waldump --stats",
                             "no statistics from " + start + " in: " + stats->substr(0, 300));
    }
    Result<std::string> images =
        run({bin + "/pg_waldump", "--fullpage", "-p", wal_dir, "-s", start}, 1);
    if (!images.ok()) return images.status();
    CountWaldumpImages(*images, &*mix);
    mix->source = "pg_controldata REDO location; pg_waldump --stats and --fullpage -s " + start;
    return mix;
  }

  Result<PresentRows> ReadPresent() override {
    PGresult* r = PQexec(admin_, "SELECT client_id, seq FROM waltune_load ORDER BY 1, 2");
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
      std::string err = PQerrorMessage(admin_);
      PQclear(r);
      return Status::IOError("PostgreSQL read rows", err);
    }
    PresentRows rows;
    for (int i = 0, n = PQntuples(r); i < n; ++i) {
      std::optional<int> client = ParseInteger<int>(PQgetvalue(r, i, 0));
      std::optional<uint64_t> seq = ParseInteger<uint64_t>(PQgetvalue(r, i, 1));
      if (!client || !seq) {
        std::string bad = std::string(PQgetvalue(r, i, 0)) + ", " + PQgetvalue(r, i, 1);
        PQclear(r);
        return Status::IOError("PostgreSQL read rows", "not a (client_id, seq) row: " + bad);
      }
      rows[*client].push_back(*seq);
    }
    PQclear(r);
    return rows;
  }

  Result<std::vector<std::string>> CheckIntegrity(std::string* check) override {
    std::vector<std::string> problems;
    std::string out;
    if (have_amcheck_) {
      *check = "amcheck bt_index_check(waltune_load_pkey, heapallindexed)";
      Status s = QueryOne("SELECT bt_index_check('waltune_load_pkey'::regclass, true)", &out);
      if (!s.ok()) problems.push_back("amcheck: " + s.message());
    } else {
      *check = "row count by sequential scan = by index scan";
      std::string seq, idx;
      Status s = QueryOne(
          "SET enable_indexscan = off; SET enable_bitmapscan = off; SET enable_indexonlyscan = "
          "off; SELECT count(*) FROM waltune_load",
          &seq);
      if (s.ok()) {
        s = QueryOne(
            "SET enable_seqscan = off; SET enable_indexscan = on; SET enable_bitmapscan = on; "
            "SET enable_indexonlyscan = on; SELECT count(*) FROM waltune_load WHERE client_id > "
            "0",
            &idx);
      }
      std::string ignored;
      (void)QueryOne("RESET ALL", &ignored);
      if (!s.ok()) {
        problems.push_back("count check: " + s.message());
      } else if (seq != idx) {
        problems.push_back("sequential scan sees " + seq + " rows, the index " + idx);
      }
    }
    return problems;
  }

 protected:
  std::unique_ptr<ServerInstance> NewInstance(const InstanceOptions& io) override {
    return std::make_unique<PostgresInstance>(io);
  }
  Status ConnectAdmin() override {
    CloseAdmin();
    Result<PGconn*> conn =
        ConnectPostgres(static_cast<PostgresInstance*>(instance_.get())->ConnInfo());
    if (!conn.ok()) return conn.status();
    admin_ = *conn;
    return Status::Ok();
  }
  void CloseAdmin() override {
    if (admin_) PQfinish(admin_);
    admin_ = nullptr;
  }
  Status CreateSchema() override {
    std::string ignored;
    // amcheck (contrib, shipped with Debian's server package) checks the index after a crash.
    have_amcheck_ = QueryOne("CREATE EXTENSION IF NOT EXISTS amcheck", &ignored).ok();
    // pg_walinspect (contrib, PostgreSQL 15+) splits the measured WAL into records and images.
    have_walinspect_ = QueryOne("CREATE EXTENSION IF NOT EXISTS pg_walinspect", &ignored).ok();
    WALTUNE_RETURN_IF_ERROR(
        QueryOne("CREATE TABLE waltune_load (client_id int NOT NULL, seq bigint NOT NULL, "
                 "payload text, PRIMARY KEY (client_id, seq))",
                 &ignored));
    // Make the schema durable whatever synchronous_commit says.
    return QueryOne("CHECKPOINT", &ignored);
  }
  Result<std::unique_ptr<Session>> OpenSession() override {
    return OpenPostgresSession(static_cast<PostgresInstance*>(instance_.get())->ConnInfo());
  }
  Result<std::unique_ptr<Session>> OpenWorkloadSession() override {
    return OpenPostgresWorkloadSession(static_cast<PostgresInstance*>(instance_.get())->ConnInfo(),
                                       layout_, options_.seed);
  }
  Status PrepareWorkload() override {
    std::string ignored;
    for (const std::string& sql : PrepareSql(layout_, SqlDialect::kPostgreSQL)) {
      WALTUNE_RETURN_IF_ERROR(QueryOne(sql.c_str(), &ignored));
    }
    return Status::Ok();
  }
  void ParseRedo(const std::string& log, RecoveryInfo* info) override {
    ParsePostgresRedo(log, info);
  }
  Status CheckSettingsApplied() override {
    // pg_settings.source is "command line" for a -c option the server took (guc.c); anything
    // else means another source won and the report would claim a setting not in force.
    for (const auto& [name, value] : settings_) {
      const char* params[1] = {name.c_str()};
      PGresult* r =
          PQexecParams(admin_, "SELECT source, setting FROM pg_settings WHERE name = lower($1)", 1,
                       nullptr, params, nullptr, nullptr, 0);
      if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        std::string err = PQerrorMessage(admin_);
        PQclear(r);
        return Status::IOError("PostgreSQL pg_settings", err);
      }
      if (PQntuples(r) == 0) {
        PQclear(r);
        return Status::Unavailable(name, "not a parameter of this server: not in force");
      }
      const std::string source = PQgetvalue(r, 0, 0), setting = PQgetvalue(r, 0, 1);
      PQclear(r);
      if (source != "command line") {
        return Status::Unavailable(name, "applied as " + value +
                                             " on the command line, but the server has " + setting +
                                             " from '" + source + "': not in force");
      }
    }
    return Status::Ok();
  }
  Result<double> TimedSyncCommitUs() override {
    // synchronous_commit is per session: on, the commit waits for the WAL flush (XLogFlush in
    // xlog.c) whatever the applied settings say.
    std::string ignored;
    WALTUNE_RETURN_IF_ERROR(
        QueryOne("CREATE TABLE IF NOT EXISTS waltune_flush_check (x int)", &ignored));
    WALTUNE_RETURN_IF_ERROR(QueryOne("SET synchronous_commit = on", &ignored));
    const double t0 = NowSeconds();
    Status s = QueryOne("INSERT INTO waltune_flush_check VALUES (1)", &ignored);
    const double us = (NowSeconds() - t0) * 1e6;
    WALTUNE_RETURN_IF_ERROR(s);
    WALTUNE_RETURN_IF_ERROR(QueryOne("RESET synchronous_commit", &ignored));
    WALTUNE_RETURN_IF_ERROR(QueryOne("DROP TABLE waltune_flush_check", &ignored));
    return us;
  }

 private:
  // Runs `sql`; *out gets the first column of the first row ("" for commands).
  Status QueryOne(const char* sql, std::string* out) {
    if (!admin_) return Status::Unavailable("PostgreSQL", "no admin connection");
    PGresult* r = PQexec(admin_, sql);
    ExecStatusType st = PQresultStatus(r);
    Status s;
    if (st == PGRES_TUPLES_OK && PQntuples(r) > 0) {
      *out = PQgetvalue(r, 0, 0);
    } else if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      s = Status::IOError("PostgreSQL", PQerrorMessage(admin_));
    }
    PQclear(r);
    return s;
  }
  PGconn* admin_ = nullptr;
  bool have_amcheck_ = false;
  bool have_walinspect_ = false;
};

std::unique_ptr<Target> MakePostgresTarget(const VerifyOptions& options) {
  return std::make_unique<PostgresTarget>(options);
}

[[maybe_unused]] const bool kPostgresRegistered =
    RegisterTarget(Engine::kPostgreSQL, &MakePostgresTarget);

}  // namespace

std::optional<uint64_t> ParsePostgresLsn(std::string_view text) {
  // "%X/%X": the high and low 32 bits in hex (pg_lsn_out in src/backend/utils/adt/pg_lsn.c).
  size_t slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  std::optional<uint32_t> hi = ParseInteger<uint32_t>(text.substr(0, slash), 16);
  std::optional<uint32_t> lo = ParseInteger<uint32_t>(text.substr(slash + 1), 16);
  if (!hi || !lo) return std::nullopt;
  return (static_cast<uint64_t>(*hi) << 32) | *lo;
}

namespace {

// "2026-12-02 15:49:30.177 UTC [7716] LOG: ..." -> seconds since the epoch (UTC is the server's
// default log_timezone in verify's clusters; only differences are used).
std::optional<double> LineTimestampS(std::string_view line) {
  static const std::regex kStamp(
      "^([0-9]{4})-([0-9]{2})-([0-9]{2}) ([0-9]{2}):([0-9]{2}):([0-9]{2})\\.([0-9]{3})");
  std::match_results<std::string_view::const_iterator> m;
  if (!std::regex_search(line.begin(), line.end(), m, kStamp)) return std::nullopt;
  auto n = [&m](int i) {
    return ParseInteger<int>(std::string_view(m[i].first, m[i].length()), 10);
  };
  const auto y = n(1), mo = n(2), d = n(3), h = n(4), mi = n(5), s = n(6), ms = n(7);
  if (!y || !mo || !d || !h || !mi || !s || !ms) return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year{*y}, std::chrono::month(*mo),
                                        std::chrono::day(*d)};
  if (!ymd.ok()) return std::nullopt;
  const double days = std::chrono::sys_days(ymd).time_since_epoch().count();
  return days * 86400.0 + *h * 3600.0 + *mi * 60.0 + *s + *ms / 1000.0;
}

// The number after `key` in `line` ("write=1.883 s" -> 1.883).
std::optional<double> NumberAfter(std::string_view line, std::string_view key) {
  const size_t at = line.find(key);
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view rest = line.substr(at + key.size());
  const size_t end = rest.find_first_not_of("0123456789.");
  return ParseFiniteDouble(std::string(rest.substr(0, end)));
}

}  // namespace

void ParsePostgresRecoveryPhases(const std::string& log, RecoveryPhases* phases) {
  std::optional<double> first, redo_start, redo_done, ready;
  std::string_view text(log);
  while (!text.empty()) {
    const size_t eol = text.find('\n');
    const std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    const std::optional<double> t = LineTimestampS(line);
    if (!t) continue;
    if (!first) first = t;
    if (line.find("redo starts at ") != std::string_view::npos) {
      redo_start = t;
    } else if (line.find("redo done at ") != std::string_view::npos) {
      redo_done = t;
      const std::optional<double> user = NumberAfter(line, "CPU: user: ");
      const std::optional<double> sys = NumberAfter(line, "system: ");
      if (user && sys) phases->redo_cpu_s = *user + *sys;
    } else if (redo_done && !phases->end_checkpoint_s &&
               line.find("checkpoint complete: ") != std::string_view::npos) {
      phases->end_checkpoint_s = NumberAfter(line, "total=");
      phases->end_checkpoint_write_s = NumberAfter(line, "write=");
      const std::optional<double> buffers = NumberAfter(line, "wrote ");
      // A count a uint64_t holds (the fuzzer fed 3.46e105: converting it is undefined).
      if (buffers && *buffers >= 0 && *buffers < 1e18)
        phases->end_checkpoint_buffers = static_cast<uint64_t>(*buffers);
    } else if (redo_done && line.find("ready to accept connections") != std::string_view::npos) {
      ready = t;
    }
  }
  if (first && redo_start && *redo_start >= *first) phases->before_redo_s = *redo_start - *first;
  if (redo_done && ready && *ready >= *redo_done) phases->after_redo_s = *ready - *redo_done;
}

void ParsePostgresRedo(const std::string& log, RecoveryInfo* info) {
  ParsePostgresRecoveryPhases(log, &info->phases);
  std::smatch start, done, elapsed;
  // Bounded repetitions: std::regex recurses once per character a repetition consumes, so an
  // unbounded one over a long line of the log could overflow the stack. An LSN half is 32 bits.
  static const std::regex kStart(
      "redo starts at ([0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8})(?![0-9A-Fa-f])");
  static const std::regex kDone("redo done at ([0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8})(?![0-9A-Fa-f])");
  static const std::regex kElapsed("redo done at [^\n]{0,400}elapsed: ([0-9.]{1,20}) s");
  if (std::regex_search(log, start, kStart) && std::regex_search(log, done, kDone)) {
    std::optional<uint64_t> a = ParsePostgresLsn(start[1].str());
    std::optional<uint64_t> b = ParsePostgresLsn(done[1].str());
    if (!a || !b) return;  // an LSN that does not fit: the redo stays unknown
    info->redo_bytes = *b >= *a ? *b - *a : 0;
    if (std::regex_search(log, elapsed, kElapsed)) {
      std::optional<double> s = ParseFiniteDouble(elapsed[1].str());
      if (s && *s >= 0) info->redo_s = *s;
    }
  } else if (log.find("redo is not required") != std::string::npos) {
    info->redo_bytes = 0;
    info->redo_s = 0;
  }
}

std::string FormatLsnText(uint64_t position) {
  char text[32];
  std::snprintf(text, sizeof(text), "%X/%X", static_cast<unsigned>(position >> 32),
                static_cast<unsigned>(position & 0xffffffffu));
  return text;
}

std::optional<WalMix> ParseWalMixText(std::string_view text) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (size_t space = text.find(' '); space != std::string_view::npos;
       space = text.find(' ', start)) {
    parts.push_back(text.substr(start, space - start));
    start = space + 1;
  }
  parts.push_back(text.substr(start));
  if (parts.size() != 5) return std::nullopt;
  std::optional<uint64_t> counts[4];
  for (size_t i = 0; i < 4; ++i) {
    counts[i] = ParseU64Text(parts[i]);
    if (!counts[i]) return std::nullopt;
  }
  const std::string_view method = parts[4];
  if (method.empty() ||
      method.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789") != std::string_view::npos) {
    return std::nullopt;
  }
  // No image holds more page than the largest block (32 kB).
  if (static_cast<double>(*counts[3]) > static_cast<double>(*counts[2]) * 32768) {
    return std::nullopt;
  }
  return WalMix{*counts[0], *counts[1], *counts[2], *counts[3], std::string(method)};
}

std::optional<CrashWindowMix> ParseWaldumpStats(std::string_view text) {
  // pg_waldump.c XLogDumpDisplayStats: "WAL statistics between A and B:", then a row per
  // resource manager and "Total N record_bytes [p%] fpi_bytes [p%] combined [100%]".
  constexpr std::string_view kHeading = "WAL statistics between ";
  const size_t heading = text.find(kHeading);
  if (heading == std::string_view::npos) return std::nullopt;
  std::string_view range = text.substr(heading + kHeading.size());
  range = range.substr(0, range.find('\n'));
  const size_t and_at = range.find(" and ");
  if (and_at == std::string_view::npos || range.empty() || range.back() != ':') {
    return std::nullopt;
  }
  CrashWindowMix mix;
  std::optional<uint64_t> start = ParseLsnText(range.substr(0, and_at));
  std::optional<uint64_t> end =
      ParseLsnText(range.substr(and_at + 5, range.size() - 1 - (and_at + 5)));
  if (!start || !end || *end < *start) return std::nullopt;
  mix.start_lsn = *start;
  mix.end_lsn = *end;
  const size_t total = text.find("\nTotal ");
  if (total == std::string_view::npos) return std::nullopt;
  std::string_view line = text.substr(total + 1);
  line = line.substr(0, line.find('\n'));
  std::vector<std::string_view> fields;
  for (size_t i = 0; i < line.size();) {
    const size_t end_of = line.find(' ', i);
    const size_t stop = end_of == std::string_view::npos ? line.size() : end_of;
    if (stop > i) fields.push_back(line.substr(i, stop - i));
    i = stop + 1;
  }
  // Total, N, records, [p%], images, [p%], combined, [100%]
  if (fields.size() != 8) return std::nullopt;
  std::optional<uint64_t> records = ParseU64Text(fields[2]);
  std::optional<uint64_t> images = ParseU64Text(fields[4]);
  std::optional<uint64_t> combined = ParseU64Text(fields[6]);
  if (!records || !images || !combined || *records > *combined || *combined - *records != *images) {
    return std::nullopt;
  }
  mix.record_bytes = *records;
  mix.fpi_bytes = *images;
  // The row "Transaction N (p%) ..." (absent from --stats=record, whose rows are per record
  // type: then 0).
  constexpr std::string_view kXact = "\nTransaction ";
  const size_t xact = text.find(kXact);
  if (xact != std::string_view::npos) {
    std::string_view row = text.substr(xact + kXact.size());
    row.remove_prefix(std::min(row.find_first_not_of(' '), row.size()));
    std::optional<uint64_t> n = ParseU64Text(row.substr(0, row.find(' ')));
    if (!n) return std::nullopt;
    mix.xact_records = *n;
  }
  return mix;
}

void CountWaldumpImages(std::string_view text, CrashWindowMix* mix) {
  // xlogdesc.c XLogRecGetBlockRefInfo (short form): ", blkref #N: rel T/D/R[ fork F] blk B"
  // then " FPW" when the record holds the block's image and replay applies it.
  constexpr std::string_view kRef = ", blkref #";
  std::unordered_set<std::string_view> pages;
  uint64_t images = 0;
  for (size_t at = text.find(kRef); at != std::string_view::npos;) {
    const size_t next = text.find(kRef, at + kRef.size());
    std::string_view ref =
        text.substr(at, next == std::string_view::npos ? text.size() - at : next - at);
    ref = ref.substr(0, ref.find('\n'));
    constexpr std::string_view kFpw = " FPW";
    const size_t rel = ref.find(": rel ");
    if (rel != std::string_view::npos && ref.size() >= kFpw.size() &&
        ref.substr(ref.size() - kFpw.size()) == kFpw) {
      ++images;
      pages.insert(ref.substr(rel, ref.size() - kFpw.size() - rel));
    }
    at = next;
  }
  mix->fpi_count = images;
  mix->fpi_pages = pages.size();
}

std::optional<uint64_t> ParseLsnText(std::string_view text) {
  const size_t slash = text.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 >= text.size()) {
    return std::nullopt;
  }
  uint32_t hi = 0, lo = 0;
  const char* b = text.data();
  auto [p1, e1] = std::from_chars(b, b + slash, hi, 16);
  auto [p2, e2] = std::from_chars(b + slash + 1, b + text.size(), lo, 16);
  if (e1 != std::errc() || p1 != b + slash || e2 != std::errc() || p2 != b + text.size()) {
    return std::nullopt;
  }
  return (uint64_t{hi} << 32) | lo;
}

}  // namespace waltune::verify
