// The verify report as JSON (docs/contract.md, "Verify report") and as a readable table, and the
// calibration file written by --calibrate (format: docs/verify.md).
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <map>
#include <numeric>
#include <string>
#include <thread>

#include "waltune/model.h"
#include "waltune/verify.h"

namespace waltune {

namespace {

using Json = nlohmann::ordered_json;

template <typename T>
Json OrNull(const std::optional<T>& v) {
  return v ? Json(*v) : Json(nullptr);
}

double Round(double v, int digits) {
  double f = std::pow(10.0, digits);
  return std::round(v * f) / f;
}

// Recovery times of the crashes the engine recovered from.
std::vector<double> RecoveryTimes(const VerifyReport& r) {
  std::vector<double> t;
  for (const auto& c : r.crashes) {
    if (c.recovery_error.empty()) t.push_back(c.recovery_time_s);
  }
  return t;
}

std::string UtcNow() {
  time_t now = time(nullptr);
  struct tm tm;
  gmtime_r(&now, &tm);
  char buf[32];
  strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string Num(const std::optional<double>& v, const char* format) {
  if (!v) return "-";
  char buf[64];
  std::snprintf(buf, sizeof(buf), format, *v);
  return buf;
}

// "measured": the throughput phase and the recoveries.
// [{idle_us, flush_p50_us, samples}]: the flush after an idle device.
Json IdlePointsToJson(const std::vector<StorageSpec::IdleFlushPoint>& points) {
  Json out = Json::array();
  for (const StorageSpec::IdleFlushPoint& p : points) {
    out.push_back({{"idle_us", Round(p.idle_us, 1)},
                   {"flush_p50_us", Round(p.flush_p50_us, 1)},
                   {"samples", p.samples}});
  }
  return out;
}

Json MeasuredToJson(const VerifyReport& r) {
  Json rec = nullptr;
  std::vector<double> times = RecoveryTimes(r);
  if (!times.empty()) {
    rec = {{"median", Round(Median(times), 4)},
           {"min", Round(*std::min_element(times.begin(), times.end()), 4)},
           {"max", Round(*std::max_element(times.begin(), times.end()), 4)}};
  }
  // Through the power-loss simulator the throughput is not a measurement of this storage: it
  // goes to its own object and measured.tps stays null.
  Json tps = Round(r.measured_tps, 1), p50 = Round(r.commit_latency_p50_ms, 4),
       p99 = Round(r.commit_latency_p99_ms, 4);
  if (r.throughput_through_simulator) tps = p50 = p99 = nullptr;
  return {
      {"tps", tps},
      {"commits", r.commits_measured},
      {"commit_latency_p50_ms", p50},
      {"commit_latency_p99_ms", p99},
      {"wal_bytes_per_txn", r.wal_bytes_per_txn ? Json(Round(*r.wal_bytes_per_txn, 1)) : Json()},
      {"wal_record_bytes_per_txn",
       r.wal_record_bytes_per_txn ? Json(Round(*r.wal_record_bytes_per_txn, 1)) : Json()},
      {"fpi_count", r.wal_record_bytes_per_txn ? Json(r.fpi_count) : Json()},
      {"fpi_bytes", r.fpi_bytes ? Json(Round(*r.fpi_bytes, 1)) : Json()},
      {"fpi_page_bytes", r.fpi_page_bytes ? Json(Round(*r.fpi_page_bytes, 1)) : Json()},
      {"fpi_compression", r.fpi_compression.empty() ? Json() : Json(r.fpi_compression)},
      {"checkpoints", OrNull(r.checkpoints)},
      {"txn_cpu_us", r.txn_cpu_us ? Json(Round(*r.txn_cpu_us, 1)) : Json()},
      {"statement_cpu_us", r.statement_cpu_us ? Json(Round(*r.statement_cpu_us, 1)) : Json()},
      {"commits_per_wal_sync",
       r.commits_per_wal_sync ? Json(Round(*r.commits_per_wal_sync, 2)) : Json()},
      {"wal_syncs", OrNull(r.wal_syncs)},
      {"wal_sync_p50_us", r.wal_sync_p50_us ? Json(Round(*r.wal_sync_p50_us, 1)) : Json()},
      {"wal_sync_p99_us", r.wal_sync_p99_us ? Json(Round(*r.wal_sync_p99_us, 1)) : Json()},
      {"predicted_from_wal_syncs", r.predicted_from_wal_syncs},
      {"recovery_time_s", rec},
      {"lost_commits",
       std::accumulate(r.crashes.begin(), r.crashes.end(), uint64_t{0},
                       [](uint64_t a, const CrashResult& c) { return a + c.lost_commits; })},
      {"native_flush_p50_us", Round(r.native_flush_p50_us, 1)},
      {"native_flush_p99_us", Round(r.native_flush_p99_us, 1)},
      {"native_flush_mean_us", Round(r.native_flush_mean_us, 1)},
      {"native_flush_samples", r.native_flush_samples},
      {"native_flush_after_idle", IdlePointsToJson(r.native_flush_after_idle)},
      {"emulated_delay_overshoot_us",
       r.emulated_delay_overshoot_us ? Json(Round(*r.emulated_delay_overshoot_us, 1)) : Json()}};
}

// One crash of "crashes".
Json CrashToJson(const CrashResult& c) {
  Json cj = {{"kind", c.kind},
             {"load_s", Round(c.load_s, 3)},
             {"acked_commits", c.acked_commits},
             {"lost_commits", c.lost_commits},
             {"unacked_survived", c.unacked_survived},
             {"recovery_time_s", Round(c.recovery_time_s, 4)},
             {"recovery_cpu_wait_s",
              c.recovery_cpu_wait_s ? Json(Round(*c.recovery_cpu_wait_s, 4)) : Json()},
             {"redo_bytes", OrNull(c.redo_bytes)},
             {"redo_s", OrNull(c.redo_s)}};
  const RecoveryPhases& p = c.phases;
  if (p.before_redo_s || p.redo_cpu_s || p.after_redo_s || p.end_checkpoint_s) {
    cj["phases"] = {{"before_redo_s", OrNull(p.before_redo_s)},
                    {"redo_cpu_s", OrNull(p.redo_cpu_s)},
                    {"after_redo_s", OrNull(p.after_redo_s)},
                    {"end_checkpoint_s", OrNull(p.end_checkpoint_s)},
                    {"end_checkpoint_write_s", OrNull(p.end_checkpoint_write_s)},
                    {"end_checkpoint_buffers", OrNull(p.end_checkpoint_buffers)}};
  }
  if (c.oldest_lost_age_ms) cj["oldest_lost_age_ms"] = Round(*c.oldest_lost_age_ms, 2);
  if (c.lost_age_is_lower_bound) cj["oldest_lost_age_is_lower_bound"] = true;
  if (c.lost_age_unknown) cj["lost_age_unknown"] = true;
  if (c.discarded_bytes) {
    cj["power_cut"] = {{"discarded_bytes", *c.discarded_bytes},
                       {"files_restored", OrNull(c.files_restored)},
                       {"names_undone", OrNull(c.names_undone)},
                       {"kept_bytes", OrNull(c.kept_bytes)}};
  }
  if (const std::optional<CrashResult::WorstCase>& w = c.worst_case) {
    cj["worst_case"] = {
        {"checkpoint_cycles", w->checkpoint_cycles},
        {"distance_bytes", w->distance_bytes},
        {"expected_peak_bytes", w->expected_peak_bytes},
        {"fraction_of_peak", Round(w->fraction_of_peak, 3)},
        {"fraction_wanted", w->fraction_wanted},
        {"reached", w->reached},
        {"missed_peak", w->missed_peak},
        {"distance_source", w->distance_source},
        {"cold_cache", w->cold_cache},
        {"evicted_files", w->evicted_files},
        {"copy_dir", w->copy_dir.empty() ? Json() : Json(w->copy_dir)},
        {"wal_replayed_bytes", OrNull(c.redo_bytes)},
        {"replay_bytes_per_s",
         w->replay_bytes_per_s ? Json(Round(*w->replay_bytes_per_s, 0)) : Json()},
        {"recovery_time_s", Round(c.recovery_time_s, 4)},
        {"recovery_to_estimate",
         w->recovery_to_estimate ? Json(Round(*w->recovery_to_estimate, 3)) : Json()},
        {"recovery_to_expected_peak",
         w->recovery_to_expected_peak ? Json(Round(*w->recovery_to_expected_peak, 3)) : Json()},
        {"expected_at_distance_s",
         w->expected_at_distance_s ? Json(Round(*w->expected_at_distance_s, 3)) : Json()},
        {"recovery_to_expected_at_distance",
         w->recovery_to_expected_at_distance ? Json(Round(*w->recovery_to_expected_at_distance, 3))
                                             : Json()}};
    if (const std::optional<CrashWindowMix>& m = w->window) {
      cj["worst_case"]["window"] = {{"start_lsn", m->start_lsn},       {"end_lsn", m->end_lsn},
                                    {"record_bytes", m->record_bytes}, {"fpi_bytes", m->fpi_bytes},
                                    {"fpi_count", m->fpi_count},       {"fpi_pages", m->fpi_pages},
                                    {"xact_records", m->xact_records}, {"source", m->source}};
    } else {
      cj["worst_case"]["window"] = nullptr;
    }
    if (!w->window_error.empty()) cj["worst_case"]["window_error"] = w->window_error;
  }
  cj["recovered"] = c.recovery_error.empty();
  if (!c.recovery_error.empty()) cj["recovery_error"] = c.recovery_error;
  if (c.recovery_error.empty()) {
    cj["integrity"] = {{"check", c.integrity_check},
                       {"ok", c.integrity_problems.empty()},
                       {"problems", c.integrity_problems}};
    if (!c.integrity_problems.empty() && !c.recovery_log_tail.empty()) {
      cj["integrity"]["server_log_tail"] = c.recovery_log_tail;
    }
  } else {
    cj["integrity"] = nullptr;  // nothing to check: the engine did not come up
  }
  return cj;
}

}  // namespace

Json ReportToJson(const VerifyReport& r) {
  Json j;
  j["engine"] = r.engine;
  j["engine_version"] = r.engine_version;
  j["durability_level"] = DurabilityName(r.durability_level);
  j["clients"] = r.clients;
  j["seconds"] = r.seconds;
  j["flush_latency_emulated_us"] = OrNull(r.flush_latency_emulated_us);
  j["paced_rate_tps"] = OrNull(r.paced_rate_tps);
  Json shape = nullptr;
  if (const std::optional<Workload>& w = r.plan.predicted_workload) {
    shape = {{"rows_per_txn", w->rows_per_txn},
             {"statements_per_txn", w->statements_per_txn},
             {"row_bytes", w->row_bytes},
             {"txn_write_bytes", w->txn_write_bytes},
             {"random_page_fraction", w->random_page_fraction},
             {"working_set_bytes", w->working_set_bytes}};
  }
  j["workload"] = {{"name", r.workload},
                   {"working_set_bytes", OrNull(r.working_set_bytes)},
                   {"predicted_for", shape}};
  j["predicted"] = {{"tps", OrNull(r.plan.predicted_tps)},
                    {"recovery_time_s", OrNull(r.plan.predicted_recovery_time_s)},
                    {"expected_peak_recovery_time_s", OrNull(r.plan.expected_peak_recovery_time_s)},
                    {"required_tps", OrNull(r.plan.required_tps)},
                    {"loss_window_ms", OrNull(r.plan.predicted_loss_window_ms)},
                    {"recovery_target_s", OrNull(r.plan.recovery_target_s)},
                    {"buffered_read_bytes_per_s", OrNull(r.plan.buffered_read_bytes_per_s)},
                    {"source", r.plan.prediction_source}};
  if (!r.plan.recovery_terms_s.empty()) {
    Json terms = Json::object();
    for (const auto& [name, seconds] : r.plan.recovery_terms_s) terms[name] = seconds;
    j["predicted"]["recovery_terms_s"] = terms;
  }
  j["measured"] = MeasuredToJson(r);
  if (r.throughput_through_simulator) {
    j["measured_through_simulator"] = {
        {"tps", Round(r.measured_tps, 1)},
        {"commit_latency_p50_ms", Round(r.commit_latency_p50_ms, 4)},
        {"commit_latency_p99_ms", Round(r.commit_latency_p99_ms, 4)},
        {"note",
         "measured through the power-loss simulator: not comparable with a native run or with "
         "the prediction"}};
  }
  j["crash_mechanism"] = r.crash_mechanism;
  Json crashes = Json::array();
  for (const CrashResult& c : r.crashes) crashes.push_back(CrashToJson(c));
  j["crashes"] = crashes;
  Json verdicts = Json::array();
  for (const Verdict& v : r.verdicts) {
    verdicts.push_back({{"claim", v.claim},
                        {"holds", v.holds},
                        {"predicted", OrNull(v.predicted)},
                        {"measured", OrNull(v.measured)},
                        {"detail", v.detail}});
  }
  j["verdicts"] = verdicts;
  Json settings = Json::object();
  for (const auto& [name, value] : r.applied_settings) settings[name] = value;
  j["applied_settings"] = settings;
  j["notes"] = r.plan.notes;
  j["scope"] = r.scope_note;
  return j;
}

namespace {

// The crash table of the text report and, with --worst-case, the table of where each crash hit.
std::string CrashTableText(const VerifyReport& r) {
  std::string out;
  char line[512];
  auto add = [&out](const std::string& s) { out += s + "\n"; };
  add(" crash  load s   acked   lost  oldest lost ms  unacked-survived  recovery s  redo bytes  "
      "discarded bytes  integrity");
  int i = 0;
  for (const auto& c : r.crashes) {
    std::optional<double> redo, discarded;
    if (c.redo_bytes) redo = static_cast<double>(*c.redo_bytes);
    if (c.discarded_bytes) discarded = static_cast<double>(*c.discarded_bytes);
    std::string integrity = c.integrity_problems.empty() ? "ok" : c.integrity_problems.front();
    if (c.integrity_check.empty() && c.integrity_problems.empty()) integrity = "-";
    std::string recovery = Num(c.recovery_time_s, "%.3f");
    if (!c.recovery_error.empty()) {
      recovery = "FAILED";
      integrity = c.recovery_error.substr(0, 200);
    }
    std::snprintf(line, sizeof(line), " %5d %7.2f %7llu %6llu %14s%s %17llu %11s %11s %16s  %s",
                  ++i, c.load_s, static_cast<unsigned long long>(c.acked_commits),
                  static_cast<unsigned long long>(c.lost_commits),
                  Num(c.oldest_lost_age_ms, "%.1f").c_str(), c.lost_age_is_lower_bound ? "+" : " ",
                  static_cast<unsigned long long>(c.unacked_survived), recovery.c_str(),
                  Num(redo, "%.0f").c_str(), Num(discarded, "%.0f").c_str(), integrity.c_str());
    add(line);
  }
  i = 0;
  for (const auto& c : r.crashes) {
    ++i;
    if (c.integrity_problems.empty() || c.recovery_log_tail.empty()) continue;
    add("");
    add(" crash " + std::to_string(i) + ": the server's log of the restart ends with:");
    out += c.recovery_log_tail;
    if (c.recovery_log_tail.back() != '\n') out += "\n";
  }
  bool any_worst = false;
  i = 0;
  for (const auto& c : r.crashes) {
    ++i;
    if (!c.worst_case) continue;
    if (!any_worst) {
      add("");
      add(" worst case: crash  ckpt cycles  distance MB  peak MB  of peak  replayed MB  "
          "replay MB/s  recovery s  / estimate  / expected at distance");
      any_worst = true;
    }
    const CrashResult::WorstCase& w = *c.worst_case;
    std::optional<double> replayed, rate;
    if (c.redo_bytes) replayed = static_cast<double>(*c.redo_bytes) / 1e6;
    if (w.replay_bytes_per_s) rate = *w.replay_bytes_per_s / 1e6;
    std::snprintf(line, sizeof(line), " %17d %12d %12.1f %8.1f %7.2f%s %12s %12s %11.3f %11s %23s",
                  i, w.checkpoint_cycles, static_cast<double>(w.distance_bytes) / 1e6,
                  static_cast<double>(w.expected_peak_bytes) / 1e6, w.fraction_of_peak,
                  (w.reached && !w.missed_peak) ? " " : "!", Num(replayed, "%.1f").c_str(),
                  Num(rate, "%.1f").c_str(), c.recovery_time_s,
                  Num(w.recovery_to_estimate, "%.2f").c_str(),
                  Num(w.recovery_to_expected_at_distance, "%.2f").c_str());
    add(line);
  }
  i = 0;
  for (const auto& c : r.crashes) {
    ++i;
    if (!c.worst_case) continue;
    if (const std::optional<CrashWindowMix>& m = c.worst_case->window) {
      const std::string each =
          m->fpi_count > 0
              ? ", " +
                    Num(static_cast<double>(m->fpi_bytes) / static_cast<double>(m->fpi_count),
                        "%.0f") +
                    " bytes each"
              : "";
      std::snprintf(line, sizeof(line),
                    " crash %d: the window left to replay: %.1f MB of records, %.1f MB of %llu "
                    "images (%llu distinct blocks%s)",
                    i, static_cast<double>(m->record_bytes) / 1e6,
                    static_cast<double>(m->fpi_bytes) / 1e6,
                    static_cast<unsigned long long>(m->fpi_count),
                    static_cast<unsigned long long>(m->fpi_pages), each.c_str());
      add(line);
    } else if (!c.worst_case->window_error.empty()) {
      add(" crash " + std::to_string(i) +
          ": the window left to replay was not read: " + c.worst_case->window_error);
    }
  }
  return out;
}

}  // namespace

std::string ReportToText(const VerifyReport& r) {
  std::string out;
  char line[512];
  auto add = [&out](const std::string& s) { out += s + "\n"; };
  std::snprintf(line, sizeof(line),
                "waltune verify: %s %s, %s, %d clients, %.0f s load, %zu crashes", r.engine.c_str(),
                r.engine_version.c_str(), DurabilityName(r.durability_level), r.clients, r.seconds,
                r.crashes.size());
  add(line);
  std::snprintf(
      line, sizeof(line), "storage: %s (native fdatasync p50 %.0f us, p99 %.0f us)",
      r.flush_latency_emulated_us
          ? ("emulated +" + std::to_string(*r.flush_latency_emulated_us) + " us per flush").c_str()
          : "native",
      r.native_flush_p50_us, r.native_flush_p99_us);
  add(line);
  if (r.wal_syncs && r.wal_sync_p50_us && r.wal_sync_p99_us) {
    std::snprintf(line, sizeof(line), "WAL syncs during the load: %llu, p50 %.0f us, p99 %.0f us%s",
                  static_cast<unsigned long long>(*r.wal_syncs), *r.wal_sync_p50_us,
                  *r.wal_sync_p99_us,
                  r.predicted_from_wal_syncs       ? " (the prediction uses these)"
                  : r.throughput_through_simulator ? " (through the power-loss simulator)"
                  : r.flush_latency_emulated_us    ? " (the real syncs, without the emulated delay)"
                                                   : "");
    add(line);
  }
  if (!r.plan.prediction_source.empty()) add("predictions: " + r.plan.prediction_source);
  std::string workload = "workload: " + r.workload;
  if (r.working_set_bytes) {
    workload += ", working set " + std::to_string(*r.working_set_bytes >> 20) + " MiB";
  }
  if (const std::optional<Workload>& w = r.plan.predicted_workload) {
    std::snprintf(line, sizeof(line),
                  " (predicted for %d rows, %d statements, %llu bytes per txn, random page "
                  "fraction %.2f)",
                  w->rows_per_txn, w->statements_per_txn,
                  static_cast<unsigned long long>(w->txn_write_bytes), w->random_page_fraction);
    workload += line;
  }
  add(workload);
  add("");
  std::vector<double> times = RecoveryTimes(r);
  std::optional<double> rec_med, rec_max;
  if (!times.empty()) {
    rec_med = Median(times);
    rec_max = *std::max_element(times.begin(), times.end());
  }
  auto row = [&add](const std::string& label, const std::string& predicted,
                    const std::string& measured) {
    char buf[256];
    std::snprintf(buf, sizeof(buf), "%-28s %12s %12s", label.c_str(), predicted.c_str(),
                  measured.c_str());
    add(buf);
  };
  uint64_t lost = 0;
  for (const auto& c : r.crashes) lost += c.lost_commits;
  row("", "predicted", "measured");
  std::optional<double> native_tps, p50_ms, p99_ms;
  if (!r.throughput_through_simulator) {
    native_tps = r.measured_tps;
    p50_ms = r.commit_latency_p50_ms;
    p99_ms = r.commit_latency_p99_ms;
  }
  row("throughput (tps)", Num(r.plan.predicted_tps, "%.0f"), Num(native_tps, "%.0f"));
  // Three decimals on both sides: SQLite's worst case is a few milliseconds.
  row("recovery, worst (s)", Num(r.plan.predicted_recovery_time_s, "%.3f"), Num(rec_max, "%.3f"));
  if (r.plan.expected_peak_recovery_time_s) {
    row("recovery, expected peak (s)", Num(r.plan.expected_peak_recovery_time_s, "%.3f"), "");
  }
  row("recovery, median (s)", "", Num(rec_med, "%.3f"));
  row("lost acknowledged commits", "", std::to_string(lost));
  row("loss window (ms)", Num(r.plan.predicted_loss_window_ms, "%.0f"), "");
  row("commit latency p50 (ms)", "", Num(p50_ms, "%.3f"));
  row("commit latency p99 (ms)", "", Num(p99_ms, "%.3f"));
  std::optional<double> ckpt;
  if (r.checkpoints) ckpt = static_cast<double>(*r.checkpoints);
  std::string records;
  if (r.wal_record_bytes_per_txn) {
    records = " (records without full-page images " + Num(r.wal_record_bytes_per_txn, "%.0f");
    if (r.fpi_bytes) {
      records += "; " + std::to_string(r.fpi_count) + " images of " + Num(r.fpi_bytes, "%.0f") +
                 " bytes, pages of " + Num(r.fpi_page_bytes, "%.0f") +
                 (r.fpi_compression == "off" ? " (wal_compression off)"
                                             : " before " + r.fpi_compression + " compression");
    }
    records += ")";
  }
  std::snprintf(line, sizeof(line),
                "WAL bytes/txn %s%s, checkpoints %s, CPU per txn %s us (per statement %s us), "
                "commits per WAL sync %s",
                Num(r.wal_bytes_per_txn, "%.0f").c_str(), records.c_str(),
                Num(ckpt, "%.0f").c_str(), Num(r.txn_cpu_us, "%.0f").c_str(),
                Num(r.statement_cpu_us, "%.0f").c_str(),
                Num(r.commits_per_wal_sync, "%.2f").c_str());
  add(line);
  if (r.throughput_through_simulator) {
    std::snprintf(line, sizeof(line),
                  "through the power-loss simulator (not comparable, not judged): %.0f tps, commit "
                  "p50 %.3f ms, p99 %.3f ms",
                  r.measured_tps, r.commit_latency_p50_ms, r.commit_latency_p99_ms);
    add(line);
  }
  add("crashes: " + r.crash_mechanism);
  add("");
  out += CrashTableText(r);
  add("");
  add("verdicts:");
  for (const auto& v : r.verdicts)
    add(std::string(v.holds ? "  HOLDS  " : "  FAILS  ") + v.claim + ": " + v.detail);
  if (!r.plan.notes.empty()) {
    add("");
    add("notes:");
    for (const auto& n : r.plan.notes) add("  - " + n);
  }
  add("");
  add("scope: " + r.scope_note);
  return out;
}

namespace {

// A MariaDB restart does not log its replay time, so a calibration keeps the whole cold
// restarts it measured (`recovery_windows`: redo replayed and restart time of each worst-case
// crash, this run's after the existing entry's, the last kMaxRecoveryWindows) and, once
// kMinRestartLineWindows of one workload span kMinRestartLineSpread in redo, fits a line over
// them, its fixed part raised by their spread about it (FitRestartLine): the
// fixed part of the lines' envelope becomes restart_overhead_s and its slope
// replay_bytes_per_s, flagged by restart_fit_windows.
constexpr size_t kMaxRecoveryWindows = 8;

void AddRestartLine(const nlohmann::json* old_entry, const VerifyReport& r, Json* e) {
  Json windows = Json::array();
  if (old_entry != nullptr && old_entry->contains("recovery_windows") &&
      (*old_entry)["recovery_windows"].is_array()) {
    for (const auto& w : (*old_entry)["recovery_windows"]) {
      // CheckCalibrationToUpdate refused a file with a malformed entry; skip one regardless.
      const bool ok = w.is_object() && w.contains("redo_bytes") && w["redo_bytes"].is_number() &&
                      w.contains("recovery_s") && w["recovery_s"].is_number() &&
                      w["redo_bytes"].get<double>() > 0 && w["recovery_s"].get<double>() > 0;
      if (ok) windows.push_back(Json::parse(w.dump()));
    }
  }
  for (const auto& c : r.crashes) {
    if (!c.redo_bytes || *c.redo_bytes == 0 || !c.worst_case || !c.worst_case->cold_cache) continue;
    Json w;
    w["redo_bytes"] = *c.redo_bytes;
    w["recovery_s"] = Round(c.recovery_time_s, 3);
    w["workload"] = r.workload;
    w["measured_at"] = UtcNow();
    windows.push_back(w);
  }
  if (windows.size() > kMaxRecoveryWindows) {
    windows.erase(windows.begin(), windows.end() - kMaxRecoveryWindows);
  }
  (*e)["recovery_windows"] = windows;
  (*e)["restart_fit_windows"] = nullptr;
  // One line per workload: a random working set adds to the fixed part (sessions 23-24), so a
  // line through windows of two workloads would tilt. The calibration keeps the envelope of the
  // lines (the largest fixed part, the steepest slope), which no window of any of them exceeds.
  std::map<std::string, std::vector<std::pair<double, double>>> by_workload;
  for (const auto& w : windows) {
    const std::string name = w.contains("workload") && w["workload"].is_string()
                                 ? w["workload"].get<std::string>()
                                 : std::string("(unnamed)");
    by_workload[name].emplace_back(w["redo_bytes"].get<double>(), w["recovery_s"].get<double>());
  }
  double fixed_s = 0, s_per_byte = 0;
  size_t fitted_windows = 0;
  std::string lines;
  for (const auto& [name, points] : by_workload) {
    const RestartLine line = FitRestartLine(points);
    if (!line.fitted) continue;
    fixed_s = std::max(fixed_s, line.fixed_s);
    s_per_byte = std::max(s_per_byte, line.s_per_byte);
    fitted_windows += points.size();
    char text[240];
    std::snprintf(text, sizeof(text),
                  "%s%s: %.3f s + redo / %.1f MB/s over %zu restarts (least squares %.3f s, "
                  "raised %.3f s: highest residual %.3f s, standard deviation %.3f s)",
                  lines.empty() ? "" : "; ", name.c_str(), line.fixed_s, 1e-6 / line.s_per_byte,
                  points.size(), line.least_squares_fixed_s,
                  line.fixed_s - line.least_squares_fixed_s, line.highest_residual_s,
                  line.residual_sd_s);
    lines += text;
  }
  if (fitted_windows == 0 || fixed_s <= 0) return;
  (*e)["replay_bytes_per_s"] = Round(1.0 / s_per_byte, 0);
  (*e)["replay_rate_is_lower_bound"] = false;
  (*e)["restart_overhead_s"] = Round(fixed_s, 4);
  (*e)["restart_fit_windows"] = fitted_windows;
  char text[160];
  std::snprintf(text, sizeof(text),
                "whole cold restart <= %.3f s + redo / %.1f MB/s, the envelope of ", fixed_s,
                1e-6 / s_per_byte);
  (*e)["restart_fit"] = text + lines +
                        " (least squares per workload, each fixed part raised by the larger of "
                        "its highest residual and twice the residuals' standard deviation)";
}

}  // namespace

Status CheckCalibrationToUpdate(const nlohmann::json& existing, const std::string& field) {
  if (!existing.is_object() || !existing.contains("engines") || !existing["engines"].is_object()) {
    return Status::Ok();
  }
  for (const auto& [engine, entry] : existing["engines"].items()) {
    if (!entry.is_object() || !entry.contains("recovery_windows")) continue;
    const std::string name = field + ".engines." + engine + ".recovery_windows";
    const auto& windows = entry["recovery_windows"];
    if (!windows.is_array()) return Status::InvalidArgument(name, "must be an array of restarts");
    for (size_t i = 0; i < windows.size(); ++i) {
      const auto& w = windows[i];
      const std::string at = name + "[" + std::to_string(i) + "]";
      auto positive = [&](const char* key, double max) {
        return w.is_object() && w.contains(key) && w[key].is_number() && w[key].get<double>() > 0 &&
               w[key].get<double>() <= max;
      };
      if (!positive("redo_bytes", 1e15)) {
        return Status::InvalidArgument(at + ".redo_bytes",
                                       "must be a number of bytes in (0, 1e15]");
      }
      if (!positive("recovery_s", 86400)) {
        return Status::InvalidArgument(at + ".recovery_s",
                                       "must be a number of seconds in (0, 86400]");
      }
    }
  }
  return Status::Ok();
}

namespace {

// PostgreSQL: the crash windows the replay rate was measured on, read back after each kill
// (WorstCaseCrash::window), summed, so that the model can charge the replay to their records
// and take a steady window's records per transaction and bytes per image. Null unless every
// crash with a logged replay had its window read, with images and commit records in it.
void AddReplayWindow(const VerifyReport& r, Json* e) {
  double records = 0, images_bytes = 0, images = 0, txns = 0, redo_s = 0;
  bool all = false;
  for (const auto& c : r.crashes) {
    if (!c.redo_bytes || !c.redo_s) continue;
    if (!c.worst_case || !c.worst_case->window) {
      all = false;
      break;
    }
    const CrashWindowMix& w = *c.worst_case->window;
    all = true;
    records += static_cast<double>(w.record_bytes);
    images_bytes += static_cast<double>(w.fpi_bytes);
    images += static_cast<double>(w.fpi_count);
    txns += static_cast<double>(w.xact_records);
    redo_s += *c.redo_s;
  }
  const bool usable = all && records > 0 && images > 0 && images_bytes > 0 && txns > 0 &&
                      redo_s > 0 && !(*e)["replay_bytes_per_s"].is_null();
  (*e)["replay_window_record_bytes"] = usable ? Json(records) : Json();
  (*e)["replay_window_fpi_bytes"] = usable ? Json(images_bytes) : Json();
  (*e)["replay_window_fpi_count"] = usable ? Json(images) : Json();
  (*e)["replay_window_transactions"] = usable ? Json(txns) : Json();
  (*e)["replay_window_redo_s"] = usable ? Json(Round(redo_s, 4)) : Json();
}

// CPU per statement in two regimes, one client and several: a run records its own and keeps
// the others from the existing entry `old` (calibrate once with --clients 1, once with more).
// Every several-clients count calibrated stays in statement_cpu_by_clients, this run's
// replacing its own: a statement costs more as more processes share the cores, so advise takes
// the figure measured nearest above a request's clients.
void SetStatementCpu(const nlohmann::json* old, const VerifyReport& r, Json* e) {
  for (const char* key :
       {"statement_cpu_one_client_us", "statement_cpu_concurrent_us", "statement_cpu_clients"}) {
    (*e)[key] = nullptr;
    if (old != nullptr && old->contains(key)) (*e)[key] = (*old)[key];
  }
  Json by_clients = Json::object();
  if (old != nullptr) {
    const nlohmann::json none;
    const nlohmann::json old_by = old->value("statement_cpu_by_clients", none);
    if (old_by.is_object()) {
      for (const auto& [count, us] : old_by.items()) {
        if (us.is_number()) by_clients[count] = us.get<double>();  // advise checks them
      }
    }
    // A file from before the map: its one several-clients figure, at the count it names.
    const nlohmann::json count = old->value("statement_cpu_clients", none);
    const nlohmann::json us = old->value("statement_cpu_concurrent_us", none);
    if (count.is_number_unsigned() && us.is_number()) {
      const std::string key = std::to_string(count.get<std::uint64_t>());
      if (!by_clients.contains(key)) by_clients[key] = us.get<double>();
    }
  }
  if (r.statement_cpu_us) {
    if (r.clients <= 1) {
      (*e)["statement_cpu_one_client_us"] = Round(*r.statement_cpu_us, 1);
    } else {
      (*e)["statement_cpu_concurrent_us"] = Round(*r.statement_cpu_us, 1);
      (*e)["statement_cpu_clients"] = r.clients;
      by_clients[std::to_string(r.clients)] = Round(*r.statement_cpu_us, 1);
    }
  }
  (*e)["statement_cpu_by_clients"] = by_clients.empty() ? Json() : by_clients;
}

// The CPU of a transaction's statements, by client count and statements per transaction: the
// existing entry's figures, and this run's (its statement figure times its statements)
// replacing the one of its own count and shape. Two shapes at one count let advise tell the
// CPU per statement from a CPU per commit (FitStatementCommitCpu): calibrate with `tpcb` and
// with `insert` at the same --clients.
void SetStatementsCpu(const nlohmann::json* old, const VerifyReport& r, Json* e) {
  Json by_clients = Json::object();
  if (old != nullptr) {
    const nlohmann::json none;
    const nlohmann::json old_by = old->value("statements_cpu_us_by_clients", none);
    if (old_by.is_object()) {
      for (const auto& [count, shapes] : old_by.items()) {
        if (!shapes.is_object()) continue;
        for (const auto& [k, us] : shapes.items()) {
          if (us.is_number()) by_clients[count][k] = us.get<double>();  // advise checks them
        }
      }
    }
  }
  const Workload* w = r.plan.predicted_workload ? &*r.plan.predicted_workload : nullptr;
  if (r.statement_cpu_us && w != nullptr && w->statements_per_txn > 0 && r.clients >= 1) {
    by_clients[std::to_string(r.clients)][std::to_string(w->statements_per_txn)] =
        Round(*r.statement_cpu_us * w->statements_per_txn, 1);
  }
  (*e)["statements_cpu_us_by_clients"] = by_clients.empty() ? Json() : by_clients;
}

}  // namespace

Json UpdateCalibration(const nlohmann::json& existing, const VerifyReport& r) {
  Json out;
  out["waltune_calibration"] = 1;
  char host[256] = "this machine";
  gethostname(host, sizeof(host) - 1);
  char machine[512];
  std::snprintf(machine, sizeof(machine), "verify on %s: %u cores, native fdatasync p50 %.0f us",
                host, std::thread::hardware_concurrency(), r.native_flush_p50_us);
  out["machine"] = machine;
  Json engines = Json::object();
  if (existing.is_object() && existing.contains("engines") && existing["engines"].is_object()) {
    for (const auto& [k, v] : existing["engines"].items()) engines[k] = v;
  }
  Json e;
  e["txn_cpu_us"] = r.txn_cpu_us ? Json(Round(*r.txn_cpu_us, 1)) : Json();
  const nlohmann::json* old_entry = nullptr;
  if (existing.is_object() && existing.contains("engines") && existing["engines"].is_object() &&
      existing["engines"].contains(r.engine) && existing["engines"][r.engine].is_object()) {
    old_entry = &existing["engines"][r.engine];
  }
  SetStatementCpu(old_entry, r, &e);
  SetStatementsCpu(old_entry, r, &e);
  e["wal_bytes_per_txn"] = r.wal_bytes_per_txn ? Json(Round(*r.wal_bytes_per_txn, 1)) : Json();
  // PostgreSQL's model adds its own full-page images to this, so it takes the records alone.
  e["wal_record_bytes_per_txn"] =
      r.wal_record_bytes_per_txn ? Json(Round(*r.wal_record_bytes_per_txn, 1)) : Json();
  // The bytes of one full-page image as this run wrote them, and of its page before compression
  // (PostgreSQL): the model sizes the images of a cycle from them rather than from its guess.
  const bool images = r.fpi_bytes && r.fpi_page_bytes && !r.fpi_compression.empty();
  e["fpi_bytes"] = images ? Json(Round(*r.fpi_bytes, 1)) : Json();
  e["fpi_page_bytes"] = images ? Json(Round(*r.fpi_page_bytes, 1)) : Json();
  e["fpi_compression"] = images ? Json(r.fpi_compression) : Json();
  // Replay rate: PostgreSQL logs the replay time itself; for the others the whole restart time
  // is used, which makes the rate a lower bound.
  double redo_bytes = 0, redo_s = 0, restart_s = 0;
  std::vector<double> overheads;
  bool logged = true;
  for (const auto& c : r.crashes) {
    if (!c.redo_bytes) continue;
    redo_bytes += static_cast<double>(*c.redo_bytes);
    if (c.redo_s) {
      redo_s += *c.redo_s;
      // The end-of-recovery checkpoint grows with the pages the replay dirtied, and the model
      // prices it for the advised window (PostgreSQL): the overhead is what remains.
      const double end_checkpoint_s =
          c.phases.end_checkpoint_s.value_or(c.phases.after_redo_s.value_or(0.0));
      // At least the log timestamps' resolution (1 ms): a calibration's overhead is above 0.
      overheads.push_back(std::max(0.001, c.recovery_time_s - *c.redo_s - end_checkpoint_s));
    } else {
      logged = false;
      overheads.push_back(c.recovery_time_s);
    }
    restart_s += c.recovery_time_s;
  }
  double rate_time = logged ? redo_s : restart_s;
  e["replay_bytes_per_s"] =
      (redo_bytes > 0 && rate_time > 0) ? Json(Round(redo_bytes / rate_time, 0)) : Json();
  AddReplayWindow(r, &e);
  // The share of page changes that missed the server's page cache during that replay, so that
  // a model pricing misses (PostgreSQL) adds only those beyond it.
  e["replay_buffer_miss_fraction"] = Json();
  if (r.plan.predicted_workload && !e["replay_bytes_per_s"].is_null()) {
    const Workload& w = *r.plan.predicted_workload;
    e["replay_buffer_miss_fraction"] =
        Round(CacheMissFraction(static_cast<double>(w.buffer_pool_bytes),
                                static_cast<double>(w.working_set_bytes)),
              4);
  }
  e["replay_rate_is_lower_bound"] = !logged;
  e["restart_overhead_s"] =
      overheads.empty() ? Json()
                        : Json(Round(logged ? Median(overheads)
                                            : *std::min_element(overheads.begin(), overheads.end()),
                                     4));
  if (r.engine == "mariadb") AddRestartLine(old_entry, r, &e);
  // --worst-case restarts evict the data directory first: the rate is a cold-cache one.
  bool cold = !r.crashes.empty();
  for (const auto& c : r.crashes) cold = cold && c.worst_case && c.worst_case->cold_cache;
  e["replay_cold_start"] = cold;
  e["replay_workload"] = r.workload;
  // Neither PostgreSQL 15's "redo done" line nor InnoDB's recovery messages tell full-page
  // images and records apart, so one blended rate is recorded (for the WAL mix of this
  // workload); replay_bytes_per_s keeps its meaning for `advise --calibration`.
  e["replay_split"] = "blended: the engine log does not separate full-page images from records";
  e["measured_tps"] = Round(r.measured_tps, 1);
  e["clients"] = r.clients;
  e["durability_level"] = DurabilityName(r.durability_level);
  e["flush_latency_emulated_us"] = OrNull(r.flush_latency_emulated_us);
  e["native_flush_p50_us"] = Round(r.native_flush_p50_us, 1);
  e["engine_version"] = r.engine_version;
  e["measured_at"] = UtcNow();
  e["source"] = "waltune verify --engine " + r.engine + " (" + std::to_string(r.clients) +
                " clients, " + std::to_string(static_cast<int>(r.seconds)) + " s, " +
                std::to_string(r.crashes.size()) + " crashes)";
  engines[r.engine] = e;  // "postgresql", "mariadb", "sqlite"
  out["engines"] = engines;
  return out;
}

}  // namespace waltune
