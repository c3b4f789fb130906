// From an Advice (or its JSON) to what verify applies and what it compares against.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <set>
#include <thread>

#include "waltune/engine_traits.h"
#include "waltune/parse_number.h"
#include "waltune/units.h"
#include "waltune/verify.h"
#include "workloads.h"

namespace waltune {

namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// The advice's engine (any of its names in the engine table) must be the run's.
Status CheckEngine(const std::string& advice_engine, const RunConditions& run) {
  std::optional<Engine> engine = EngineByName(advice_engine);
  if (engine == run.engine) return Status::Ok();
  if (engine && !TraitsOf(*engine).verify_supported) {
    return Status::InvalidArgument(
        "wal_config.engine", "the advice is for " + advice_engine + ": " +
                                 NoVerifyMessage(*engine, "ask for advice for ") + " to verify it");
  }
  return Status::InvalidArgument(
      "wal_config.engine",
      "the advice is for " + advice_engine + " but verify runs " + EngineName(run.engine));
}

std::string NumberText(double v) {
  char buf[64];
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    std::snprintf(buf, sizeof(buf), "%lld", static_cast<long long>(v));
  } else {
    std::snprintf(buf, sizeof(buf), "%g", v);
  }
  return buf;
}

// Memory settings that reserve or allow that much RAM (not disk sizes).
bool IsMemorySetting(const std::string& name) {
  static const std::set<std::string> kNames = {"shared_buffers",
                                               "wal_buffers",
                                               "maintenance_work_mem",
                                               "work_mem",
                                               "effective_cache_size",
                                               "innodb_buffer_pool_size",
                                               "innodb_log_buffer_size",
                                               "key_buffer_size",
                                               "mmap_size",
                                               "cache_size",
                                               "temp_buffers",
                                               "autovacuum_work_mem"};
  return kNames.count(Lower(name)) > 0;
}

// Contract fields that appear next to the settings but are not engine parameters.
const std::set<std::string>& NotSettings() {
  static const std::set<std::string> kNames = {
      "engine",         "engine_version", "max_wal_size_trigger",     "estimated_recovery_time_s",
      "rationale",      "enabled",        "expected_throughput_gain", "delay_us",
      "commit_delay_us"};
  return kNames;
}

// An estimate of the advice by name, when it has one (a positive value).
std::optional<double> EstimateValue(const Advice& advice, const std::string& name) {
  for (const Estimate& e : advice.estimates) {
    if (e.name == name && e.value > 0) return e.value;
  }
  return std::nullopt;
}

void FillPrediction(VerifyPlan* plan, double tps, double recovery_s, double loss_window_ms) {
  if (tps > 0) plan->predicted_tps = tps;
  if (recovery_s > 0) plan->predicted_recovery_time_s = recovery_s;
  if (loss_window_ms >= 0) plan->predicted_loss_window_ms = loss_window_ms;
}

// Checked readers of the advice file. `path` is the JSON path of `obj` ("" for the top level);
// the Status names "path.key".
std::string FieldPath(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

// *out = obj[key] when it is an object; nullptr when absent and not required.
Status AdviceObject(const nlohmann::json& obj, const std::string& key, bool required,
                    const nlohmann::json** out) {
  *out = nullptr;
  auto it = obj.find(key.substr(key.rfind('.') + 1));
  if (it == obj.end()) {
    if (!required) return Status::Ok();
    return Status::InvalidArgument(key, "missing: the advise response always has it");
  }
  if (!it->is_object()) {
    return Status::InvalidArgument(key, std::string("must be an object, not ") + it->type_name());
  }
  *out = &*it;
  return Status::Ok();
}

Status AdviceString(const nlohmann::json& obj, const std::string& path, const std::string& key,
                    std::string* out) {
  auto it = obj.find(key);
  if (it == obj.end()) return Status::InvalidArgument(FieldPath(path, key), "missing");
  if (!it->is_string()) {
    return Status::InvalidArgument(FieldPath(path, key),
                                   std::string("must be a string, not ") + it->type_name());
  }
  *out = it->get<std::string>();
  return Status::Ok();
}

// An optional finite number >= 0 (absent or null: *out unchanged).
Status AdviceNonNegative(const nlohmann::json& obj, const std::string& path, const std::string& key,
                         std::optional<double>* out) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return Status::Ok();
  if (!it->is_number()) {
    return Status::InvalidArgument(FieldPath(path, key),
                                   std::string("must be a number, not ") + it->type_name());
  }
  const double v = it->get<double>();
  if (!std::isfinite(v) || v < 0) {
    return Status::InvalidArgument(FieldPath(path, key), "must be a finite number >= 0");
  }
  *out = v;
  return Status::Ok();
}

// update / tpcb: the shape of verify::ShapeOf, each field listed in `assumptions`.
void AdaptWorkloadShape(const RunConditions& run, Scenario* s) {
  verify::WorkloadShape shape =
      verify::ShapeOf(run.workload, run.payload_bytes, run.working_set_bytes);
  if (run.workload != VerifyWorkload::kInsert) {
    // The history row as these tables hold it: its key and its payload's mean length (MariaDB's
    // free-list term counts the pages these rows fill; measured ~38 and ~48.5 bytes per row
    // as stored for update and tpcb, with InnoDB's ~20 bytes of record overhead).
    shape.appended_row_bytes = static_cast<uint64_t>(
        std::llround(verify::kHistoryKeyBytes +
                     verify::MeanHistoryPayloadBytes(verify::LayoutFor(
                         run.workload, run.working_set_bytes, run.payload_bytes, run.clients))));
  }
  const std::string name = VerifyWorkloadName(run.workload);
  auto note = [s, &name](const std::string& field, const std::string& value) {
    s->assumptions.push_back(Assumption{field, value, AssumptionSource::kVerify,
                                        "the shape of verify's " + name + " workload"});
  };
  Workload& w = s->workload;
  w.rows_per_txn = shape.rows_per_txn;
  w.row_bytes = shape.row_bytes;
  w.txn_write_bytes = shape.txn_write_bytes;
  w.statements_per_txn = shape.statements_per_txn;
  w.random_page_fraction = shape.random_page_fraction;
  w.working_set_bytes = shape.working_set_bytes;
  w.hot_row_statement = shape.hot_row_statement;
  w.appended_rows_per_txn = shape.appended_rows_per_txn;
  w.appended_row_bytes = shape.appended_row_bytes;
  w.updated_bytes_per_row = shape.updated_bytes_per_row;
  w.hot_rows = shape.hot_row_statement > 0
                   ? static_cast<int>(verify::LayoutFor(run.workload, run.working_set_bytes,
                                                        run.payload_bytes, run.clients)
                                          .branches)
                   : 0;
  note("constraints.rows_per_txn", std::to_string(shape.rows_per_txn));
  note("constraints.statements_per_txn", std::to_string(shape.statements_per_txn));
  note("constraints.txn_write_bytes", std::to_string(shape.txn_write_bytes));
  char fraction[32];
  std::snprintf(fraction, sizeof(fraction), "%.2f", shape.random_page_fraction);
  note("constraints.write_pattern", std::string("random page fraction ") + fraction);
  note("constraints.working_set", FormatHumanBytes(static_cast<double>(shape.working_set_bytes)));
}

}  // namespace

RunConditions WithThisMachine(RunConditions base) {
  unsigned cores = std::thread::hardware_concurrency();
  base.cpu_cores = cores > 0 ? static_cast<int>(cores) : 1;
  long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  if (pages > 0 && page > 0) base.memory_bytes = static_cast<uint64_t>(pages) * page;
  return base;
}

void SetRunFlush(const FlushMeasurement& flush, RunConditions* run) {
  run->native_flush_p50_us = flush.p50_us;
  run->native_flush_p99_us = flush.p99_us;
  run->native_flush_mean_us = flush.mean_us;
  run->native_flush_after_idle = flush.after_idle;
  run->emulated_delay_overshoot_us = flush.emulated_delay_overshoot_us;
}

StorageSpec RunStorage(const RunConditions& run) {
  const double extra = static_cast<double>(run.flush_latency_emulated_us);
  const double p50 = run.native_flush_p50_us + extra;
  const double p99 = std::max(run.native_flush_p99_us + extra, p50);
  // Bandwidth and IOPS stay those of the real device (an emulated flush latency slows flushes
  // only): the preset of the class its native flush latency suggests, never slower than SSD
  // (a busy shared disk can show HDD-like flushes without HDD-like IOPS).
  StorageSpec s = StoragePreset(run.native_flush_p50_us >= 60 ? StorageClass::kSataSsd
                                                              : StorageClass::kEnterpriseFlash);
  char name[160];
  if (run.flush_latency_emulated_us > 0) {
    std::snprintf(name, sizeof(name),
                  "this machine's disk with +%llu us emulated per flush (p50 %.0f us)",
                  static_cast<unsigned long long>(run.flush_latency_emulated_us), p50);
  } else {
    std::snprintf(name, sizeof(name), "this machine's disk (fdatasync p50 %.0f us, p99 %.0f us)",
                  p50, p99);
  }
  s.name = name;
  s.flush_p50_us = p50;
  s.flush_p99_us = p99;
  s.flush_mean_us = run.native_flush_mean_us > 0 ? run.native_flush_mean_us + extra : 0;
  s.emulated_flush_delay_us = extra;
  s.emulated_delay_overshoot_us = extra > 0 ? run.emulated_delay_overshoot_us : 0;
  s.flush_after_idle = run.native_flush_after_idle;
  s.measured = true;
  s.source =
      run.native_flush_after_idle.empty()
          ? "waltune verify: 50 x (8 KiB write + fdatasync) in the run's temp dir"
          : "waltune verify: 50 x (8 KiB write + fdatasync) in the run's temp dir, and 10 after "
            "each idle gap (0.2, 2, 8 ms)";
  if (run.buffered_read_bytes_per_s > 0) {
    s.buffered_read_bytes_per_s = run.buffered_read_bytes_per_s;
    s.measured_rates = "buffered_read_bytes_per_s";
    char read[120];
    std::snprintf(read, sizeof(read),
                  "; 64 MiB read through the page cache after dropping it, median of 3: %.0f MB/s",
                  run.buffered_read_bytes_per_s / 1e6);
    s.source += read;
  }
  if (run.clean_fsync_us > 0) {
    // The emulated delay is added to every fsync call, a clean file's too.
    s.clean_fsync_us = run.clean_fsync_us + extra;
    s.measured_rates += s.measured_rates.empty() ? "clean_fsync_us" : ", clean_fsync_us";
    char clean[120];
    std::snprintf(clean, sizeof(clean),
                  "; fsync of a clean file (100 files, median of 3 passes): %.0f us",
                  run.clean_fsync_us);
    s.source += clean;
  }
  return s;
}

void AdaptScenarioToRun(const RunConditions& run, Scenario* s) {
  auto note = [s](const std::string& field, const std::string& value, const std::string& why) {
    s->assumptions.push_back(Assumption{field, value, AssumptionSource::kVerify, why});
  };
  s->workload.concurrency = run.clients;
  note("constraints.concurrency", std::to_string(run.clients), "clients of this verify run");
  if (run.workload == VerifyWorkload::kInsert) {
    s->workload.rows_per_txn = 1;
    s->workload.row_bytes = run.payload_bytes;
    s->workload.txn_write_bytes = run.payload_bytes;
    s->workload.statements_per_txn = 1;
    // The appended row as the load table stores it: its (client_id, seq) key and the payload.
    s->workload.appended_rows_per_txn = 1;
    s->workload.appended_row_bytes = verify::kHistoryKeyBytes + run.payload_bytes;
    note("constraints.txn_write_bytes", std::to_string(run.payload_bytes),
         "verify commits one (client_id, seq, payload) row per transaction");
    // Keys (client_id, seq) grow per client: every insert lands on a table or index tail page.
    s->workload.random_page_fraction = 0.0;
    note("constraints.write_pattern", "append",
         "verify inserts rows with increasing (client_id, seq) keys: no random page writes");
  } else {
    AdaptWorkloadShape(run, s);
  }
  s->cpu_cores = run.cpu_cores;
  note("cpu_cores", std::to_string(run.cpu_cores), "cores of the machine verify runs on");
  const uint64_t page_cache = TraitsOf(s->engine).verify_page_cache_bytes;
  if (page_cache > 0 && s->workload.buffer_pool_bytes == 0) {
    s->workload.buffer_pool_bytes = page_cache;
    note("constraints.buffer_pool", FormatHumanBytes(static_cast<double>(page_cache)),
         "the page cache of verify's server (its default; the advice does not set it)");
  }
  if (run.memory_bytes > 0) {
    s->workload.memory_bytes = run.memory_bytes;
    note("constraints.memory", FormatHumanBytes(static_cast<double>(run.memory_bytes)),
         "memory of the machine verify runs on");
  }
  s->storage = RunStorage(run);
  note("constraints.storage_profile", s->storage.name, "storage of this verify run");
}

std::string ScaleMemorySetting(const std::string& name, const std::string& value,
                               uint64_t memory_bytes, std::vector<std::string>* notes) {
  if (!IsMemorySetting(name) || memory_bytes == 0) return value;
  const uint64_t cap = memory_bytes / 4;
  std::string n = Lower(name);
  if (n == "cache_size") {  // SQLite: negative = KiB, positive = pages
    long long v = ParseInteger<long long>(value).value_or(0);
    if (v < 0 && v > -(1LL << 53) && static_cast<uint64_t>(-v) * 1024 > cap) {
      std::string scaled = std::to_string(-static_cast<long long>(cap / 1024));
      notes->push_back(name + " = " + value +
                       " is more than a quarter of this machine's memory; "
                       "applied " +
                       scaled);
      return scaled;
    }
    return value;
  }
  Result<uint64_t> bytes = ParseBytes(value, name);
  bool has_unit = value.find_first_not_of("0123456789 ") != std::string::npos;
  // PostgreSQL reads bare numbers in pages; only bytes-with-unit and MySQL/SQLite bytes count.
  if (!bytes.ok() ||
      (!has_unit && n.rfind("innodb_", 0) != 0 && n != "mmap_size" && n != "key_buffer_size")) {
    return value;
  }
  if (*bytes <= cap) return value;
  uint64_t mib = std::max<uint64_t>(cap / kMiB, 1);
  std::string scaled = has_unit ? std::to_string(mib) + (n.rfind("innodb_", 0) == 0 ? "M" : "MB")
                                : std::to_string(mib * kMiB);
  notes->push_back(name + " = " + value + " is more than a quarter of this machine's memory (" +
                   FormatHumanBytes(static_cast<double>(memory_bytes)) + "); applied " + scaled);
  return scaled;
}

Result<VerifyPlan> PlanFromAdvice(const Advice& advice, const RunConditions& run) {
  WALTUNE_RETURN_IF_ERROR(CheckEngine(EngineName(advice.engine), run));
  VerifyPlan plan;
  plan.durability = advice.durability;
  for (const auto* section :
       {&advice.wal_config, &advice.checkpoint_settings, &advice.group_commit_settings}) {
    for (const Setting& s : *section) {
      if (NotSettings().count(s.name)) {
        plan.notes.push_back("'" + s.name +
                             "' is a report field, not an engine parameter: not "
                             "applied");
        continue;
      }
      plan.settings.emplace_back(
          s.name, ScaleMemorySetting(s.name, s.ConfigText(), run.memory_bytes, &plan.notes));
    }
  }
  plan.expected_peak_recovery_time_s = EstimateValue(advice, "expected_peak_recovery_time_s");
  plan.required_tps = EstimateValue(advice, "required_tps");
  for (const char* term :
       {"startup_s", "datadir_sync_s", "wal_scan_s", "replay_s", "end_of_recovery_checkpoint_s"}) {
    if (std::optional<double> v = EstimateValue(advice, term)) {
      plan.recovery_terms_s.emplace_back(term, *v);
    }
  }
  // The estimate unrounded: the answer rounds it to 0.1 s (0.01 s for SQLite), which is most of a
  // SQLite restart of a few ms.
  FillPrediction(
      &plan, advice.with_config_tps,
      EstimateValue(advice, "estimated_recovery_time_s").value_or(advice.estimated_recovery_time_s),
      advice.loss_window_ms);
  return plan;
}

Result<VerifyPlan> PlanFromAdviceJson(const nlohmann::json& j, const RunConditions& run) {
  // Every field is checked before it is read: the file comes from a user (exit 2 naming the
  // field, never an exception). Field names are JSON paths in the advise response (see
  // docs/contract.md).
  if (!j.is_object()) {
    return Status::InvalidArgument("--advice", "not an advise response (not a JSON object)");
  }
  const nlohmann::json* wal = nullptr;
  WALTUNE_RETURN_IF_ERROR(AdviceObject(j, "wal_config", /*required=*/true, &wal));
  const nlohmann::json* checkpoint = nullptr;
  WALTUNE_RETURN_IF_ERROR(AdviceObject(j, "checkpoint_strategy", /*required=*/true, &checkpoint));
  const nlohmann::json* group = nullptr;
  WALTUNE_RETURN_IF_ERROR(AdviceObject(j, "group_commit", /*required=*/false, &group));
  std::string engine;
  WALTUNE_RETURN_IF_ERROR(AdviceString(*wal, "wal_config", "engine", &engine));
  WALTUNE_RETURN_IF_ERROR(CheckEngine(engine, run));
  VerifyPlan plan;
  // Required: a default here could verify a weaker durability than the advice's.
  std::string durability;
  WALTUNE_RETURN_IF_ERROR(AdviceString(j, "", "durability_level", &durability));
  std::optional<Durability> level = DurabilityFromName(durability);
  if (!level) {
    return Status::InvalidArgument("durability_level",
                                   "must be strict, standard or relaxed, not '" + durability + "'");
  }
  plan.durability = *level;
  const std::pair<const char*, const nlohmann::json*> sections[] = {
      {"wal_config", wal}, {"checkpoint_strategy", checkpoint}, {"group_commit", group}};
  for (const auto& [section, obj] : sections) {
    if (obj == nullptr) continue;
    for (const auto& [key, v] : obj->items()) {
      if (NotSettings().count(key)) continue;
      const std::string field = std::string(section) + "." + key;
      std::string value;
      if (v.is_string()) {
        value = v.get<std::string>();
      } else if (v.is_boolean()) {
        value = v.get<bool>() ? "ON" : "OFF";
      } else if (v.is_number()) {
        const double x = v.get<double>();
        // No parameter of the three engines holds more than a 64-bit integer.
        if (!std::isfinite(x) || std::fabs(x) >= 9.2e18) {
          return Status::InvalidArgument(field, "number out of range for an engine setting");
        }
        value = NumberText(x);
      } else {
        return Status::InvalidArgument(
            field, std::string("an engine setting must be a string, number or boolean, not ") +
                       v.type_name());
      }
      plan.settings.emplace_back(key,
                                 ScaleMemorySetting(key, value, run.memory_bytes, &plan.notes));
    }
  }
  std::optional<double> tps, recovery, loss;
  const nlohmann::json* impact = nullptr;
  WALTUNE_RETURN_IF_ERROR(AdviceObject(j, "throughput_impact", /*required=*/false, &impact));
  if (impact != nullptr) {
    WALTUNE_RETURN_IF_ERROR(
        AdviceNonNegative(*impact, "throughput_impact", "with_config_tps", &tps));
  }
  WALTUNE_RETURN_IF_ERROR(AdviceNonNegative(*checkpoint, "checkpoint_strategy",
                                            "estimated_recovery_time_s", &recovery));
  const nlohmann::json* estimates = nullptr;
  WALTUNE_RETURN_IF_ERROR(AdviceObject(j, "estimates", /*required=*/false, &estimates));
  const nlohmann::json* loss_estimate = nullptr;
  if (estimates != nullptr) {
    WALTUNE_RETURN_IF_ERROR(
        AdviceObject(*estimates, "estimates.data_loss_window_ms", false, &loss_estimate));
    // InnoDB's expected peak and the rate it is for (optional; see VerifyPlan).
    for (auto [key, out] :
         {std::pair{"expected_peak_recovery_time_s", &plan.expected_peak_recovery_time_s},
          std::pair{"required_tps", &plan.required_tps}}) {
      const std::string path = std::string("estimates.") + key;
      const nlohmann::json* estimate = nullptr;
      WALTUNE_RETURN_IF_ERROR(AdviceObject(*estimates, path, false, &estimate));
      if (estimate != nullptr) {
        WALTUNE_RETURN_IF_ERROR(AdviceNonNegative(*estimate, path, "value", out));
      }
    }
  }
  if (loss_estimate != nullptr) {
    WALTUNE_RETURN_IF_ERROR(
        AdviceNonNegative(*loss_estimate, "estimates.data_loss_window_ms", "value", &loss));
  } else if (plan.durability == Durability::kStrict) {
    loss = 0;
  }
  FillPrediction(&plan, tps.value_or(0), recovery.value_or(0), loss.value_or(-1));
  plan.prediction_source =
      "the advice file as given (computed for its own request's conditions, not this run's)";
  return plan;
}

}  // namespace waltune
