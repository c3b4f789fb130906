#include "common.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <optional>

#include "param_table.h"
#include "waltune/units.h"

namespace waltune::engines {

Advice StartAdvice(const Scenario& s) {
  Advice a;
  a.engine = s.engine;
  a.version = s.version;
  a.durability = s.durability;
  a.assumptions = s.assumptions;
  a.warnings = s.warnings;
  a.out_of_scope = s.out_of_scope;
  return a;
}

// The several-clients CPU per statement for a request with `clients`: the figure of the
// smallest calibrated count at or above it (a statement costs more as more processes share the
// cores, so the next larger count's figure does not understate it), else the largest count's,
// else the file's figure that names no count (clients 0).
namespace {
struct ConcurrentStatementCpu {
  double us = 0;
  int clients = 0;
};
std::optional<ConcurrentStatementCpu> ConcurrentStatementCpuFor(const Calibration& cal,
                                                                int clients) {
  const auto& by = cal.statement_cpu_by_clients;
  if (!by.empty()) {
    auto at_or_above = by.lower_bound(clients);
    if (at_or_above == by.end()) at_or_above = std::prev(by.end());
    return ConcurrentStatementCpu{at_or_above->second, at_or_above->first};
  }
  if (cal.statement_cpu_concurrent_us) {
    return ConcurrentStatementCpu{*cal.statement_cpu_concurrent_us, cal.statement_cpu_clients};
  }
  return std::nullopt;
}

// The CPU per transaction from the calibration's figures at client count `at` (1 for one
// client, 0 for a file's figure that names no count): the line through the CPU of the
// statements measured for two or more statement counts there, else `statement_us` per
// statement. Adds the txn_cpu_us estimate with its source.
double CalibratedTxnCpuUs(const Scenario& s, const CpuCosts& costs, int at, double statement_us,
                          Advice* advice) {
  const Calibration& cal = s.calibration;
  const int statements = StatementsPerTxn(s.workload);
  const int clients = s.workload.concurrency;
  std::string regime = "one client";
  if (clients > 1) {
    regime = at > 0 ? fmt::format("{} clients", at) : std::string("several clients");
    if (at > 0 && at < clients) {
      regime += fmt::format(
          ", fewer than this request's {}: a statement costs more as more processes share the "
          "cores, so this may understate it (calibrate with `waltune verify --clients {}`)",
          clients, clients);
    }
  }
  // A plain flag and value, not an optional built from a conditional (GCC 12's
  // -Wmaybe-uninitialized, as in ResolveTxnCpu).
  const auto shapes = cal.statements_cpu_us_by_clients.find(at);
  StatementCommitCpu line;
  bool fitted = false;
  if (shapes != cal.statements_cpu_us_by_clients.end()) {
    if (const std::optional<StatementCommitCpu> fit = FitStatementCommitCpu(shapes->second)) {
      line = *fit;
      fitted = true;
    }
  }
  if (fitted) {
    std::string measured;
    for (const auto& [k, us] : shapes->second) {
      measured +=
          fmt::format("{}{:.1f} us at {} statement(s)", measured.empty() ? "" : ", ", us, k);
    }
    const double txn_us = TxnCpuUs(costs, s.workload, line.per_statement_us) + line.per_commit_us;
    AddEstimate(advice, "txn_cpu_us", txn_us, "us",
                fmt::format("{} statement(s) x {:.1f} us per statement + {:.1f} us per commit: "
                            "the line through the CPU of the statements measured by `waltune "
                            "verify --calibrate` with {} ({}; {}), plus the model's fixed and "
                            "row CPU",
                            statements, line.per_statement_us, line.per_commit_us, regime, measured,
                            cal.source));
    return txn_us;
  }
  const double txn_us = TxnCpuUs(costs, s.workload, statement_us);
  AddEstimate(advice, "txn_cpu_us", txn_us, "us",
              fmt::format("{} statement(s) x {:.1f} us per statement measured by `waltune verify "
                          "--calibrate` with {} ({}), plus the model's fixed and row CPU",
                          statements, statement_us, regime, cal.source));
  return txn_us;
}
}  // namespace

TxnCpu ResolveTxnCpu(const Scenario& s, const CpuCosts& costs, Advice* advice) {
  const Calibration& cal = s.calibration;
  const int statements = StatementsPerTxn(s.workload);
  const int clients = s.workload.concurrency;
  const bool one_client = clients <= 1;
  const std::optional<ConcurrentStatementCpu> concurrent = ConcurrentStatementCpuFor(cal, clients);
  // The request's regime: its figure, if calibrated (a plain flag and value: GCC 12 cannot
  // tell an optional<double> built from a conditional is set before fmt reads it).
  bool calibrated = false;
  double same_us = 0;
  if (one_client && cal.statement_cpu_one_client_us) {
    calibrated = true;
    same_us = *cal.statement_cpu_one_client_us;
  } else if (!one_client && concurrent) {
    calibrated = true;
    same_us = concurrent->us;
  }
  const bool other =
      one_client ? concurrent.has_value() : cal.statement_cpu_one_client_us.has_value();
  TxnCpu out;
  out.flush_us = costs.per_flush_us;
  if (costs.per_statement_us > 0 && calibrated) {
    out.txn_us =
        CalibratedTxnCpuUs(s, costs, one_client ? 1 : concurrent->clients, same_us, advice);
    out.includes_idle_wakes = one_client;
    return out;
  }
  if (costs.per_statement_us > 0 && other) {
    advice->warnings.push_back(fmt::format(
        "the calibration file measured the CPU per statement only with {}; this request has {} "
        "client(s), whose cost per statement differs on the same host, so {} is used "
        "(calibrate with `waltune verify --clients {}` as well)",
        one_client ? "several clients" : "one client", s.workload.concurrency,
        cal.txn_cpu_us ? "the calibrated CPU per transaction (measured on verify's workload)"
                       : "the model's figure",
        one_client ? 1 : 16));
  }
  if (cal.txn_cpu_us) {
    out.txn_us = *cal.txn_cpu_us;
    if (cal.cpu_includes_flush_wait) out.flush_us = 0;
    AddEstimate(advice, "txn_cpu_us", out.txn_us, "us",
                "measured by `waltune verify --calibrate` (" + cal.source + ")");
    return out;
  }
  out.txn_us = TxnCpuUs(costs, s.workload, costs.per_statement_us);
  AddEstimate(advice, "txn_cpu_us", out.txn_us, "us",
              fmt::format("model default for this engine and {} statement(s) (client round "
                          "trips, BEGIN and COMMIT included) of {} row(s) per transaction (not "
                          "calibrated)",
                          statements, s.workload.rows_per_txn));
  return out;
}

double HotPages(const Workload& w, double page_bytes) {
  return std::max(1.0, static_cast<double>(w.working_set_bytes) / page_bytes);
}

int StatementsPerTxn(const Workload& w) {
  if (w.statements_per_txn > 0) return w.statements_per_txn;
  return w.rows_per_txn <= 1 ? 1 : w.rows_per_txn + 2;
}

}  // namespace waltune::engines

namespace waltune {

double TxnCpuUs(const CpuCosts& c, const Workload& w, double statement_us) {
  const int statements = engines::StatementsPerTxn(w);
  return c.per_txn_us + statements * statement_us +
         c.per_extra_row_us * std::max(0, w.rows_per_txn - statements) +
         c.per_row_us * w.rows_per_txn;
}

std::optional<double> StatementCpuFromMeasurement(const CpuCosts& c, const Workload& w,
                                                  double txn_cpu_us, double commits_per_flush) {
  if (c.per_statement_us <= 0 || !(txn_cpu_us > 0) || !(commits_per_flush > 0)) {
    return std::nullopt;
  }
  const double rest = TxnCpuUs(c, w, 0) + c.per_flush_us / commits_per_flush;
  const double per_statement = (txn_cpu_us - rest) / engines::StatementsPerTxn(w);
  if (!(per_statement > 0) || !std::isfinite(per_statement)) return std::nullopt;
  return per_statement;
}

std::optional<StatementCommitCpu> FitStatementCommitCpu(
    const std::map<int, double>& cpu_us_by_statements) {
  if (cpu_us_by_statements.size() < 2) return std::nullopt;
  const double n = static_cast<double>(cpu_us_by_statements.size());
  double mean_k = 0, mean_us = 0;
  for (const auto& [k, us] : cpu_us_by_statements) {
    mean_k += k / n;
    mean_us += us / n;
  }
  double cov = 0, var = 0;
  for (const auto& [k, us] : cpu_us_by_statements) {
    cov += (k - mean_k) * (us - mean_us);
    var += (k - mean_k) * (k - mean_k);
  }
  if (!(var > 0)) return std::nullopt;
  StatementCommitCpu fit;
  fit.per_statement_us = cov / var;
  fit.per_commit_us = mean_us - fit.per_statement_us * mean_k;
  if (!(fit.per_statement_us > 0) || !(fit.per_commit_us >= 0) ||
      !std::isfinite(fit.per_statement_us) || !std::isfinite(fit.per_commit_us)) {
    return std::nullopt;
  }
  return fit;
}

bool FlushBoundMeasurement(double txn_cpu_us, double flush_p50_us, double commits_per_flush) {
  if (!(flush_p50_us > 0) || !(commits_per_flush > 0) || !(txn_cpu_us > 0)) return false;
  return flush_p50_us / commits_per_flush > 2 * txn_cpu_us;
}

}  // namespace waltune

namespace waltune::engines {

std::vector<FlushIdleExtra> FlushIdleExtras(const StorageSpec& storage) {
  // The back-to-back median the points are compared with: without the emulated delay, which the
  // points (measured on the real device) do not include.
  const double back_to_back_us = storage.flush_p50_us - storage.emulated_flush_delay_us;
  std::vector<FlushIdleExtra> extras;
  for (const StorageSpec::IdleFlushPoint& p : storage.flush_after_idle) {
    extras.push_back({p.idle_us, std::max(0.0, p.flush_p50_us - back_to_back_us)});
  }
  return extras;
}

GroupCommitParams CommitParams(const Scenario& s, const TxnCpu& cpu) {
  GroupCommitParams p;
  p.clients = s.workload.concurrency;
  p.cpu_cores = s.cpu_cores;
  p.txn_cpu_us = cpu.txn_us;
  p.flush_cpu_us = cpu.flush_us;
  p.statements = StatementsPerTxn(s.workload);
  p.idle_wake_cpu_us = cpu.includes_idle_wakes ? 0 : kIdleWakeCpuUs;
  p.handoff_us = kIdleWakeCpuUs;
  if (s.workload.hot_rows > 0) {
    // The lock is taken halfway through the statement that updates the row.
    const int statements = StatementsPerTxn(s.workload);
    const int at = std::clamp(s.workload.hot_row_statement, 1, statements);
    p.hot_rows = s.workload.hot_rows;
    p.lock_at_cpu_fraction = (at - 0.5) / statements;
  }
  p.flush_p50_us = s.storage.flush_p50_us;
  p.flush_p99_us = std::max(s.storage.flush_p99_us, s.storage.flush_p50_us);
  p.flush_mean_us = s.storage.flush_mean_us;
  p.emulated_delay_us = s.storage.emulated_flush_delay_us;
  p.flush_core_stall_share = kFlushCoreStallShare;
  p.completion_waits_for_core = true;
  p.follower_wake_us = kFollowerWakeUs;
  p.emulated_delay_overshoot_us = s.storage.emulated_delay_overshoot_us;
  p.flush_idle_extra = FlushIdleExtras(s.storage);
  // Enough commits for a steady estimate, bounded so that advise stays fast at any concurrency.
  p.commits = std::clamp(s.workload.concurrency * 400, 8000, 40000);
  return p;
}

void AddEstimate(Advice* a, std::string name, double value, std::string unit, std::string how) {
  for (Estimate& e : a->estimates) {
    if (e.name == name) {
      e.value = value;
      e.unit = std::move(unit);
      e.how = std::move(how);
      return;
    }
  }
  a->estimates.push_back(Estimate{std::move(name), value, std::move(unit), std::move(how)});
}

double Confidence(const Scenario& s, bool target_met, double engine_penalty) {
  double c = 0.9;
  c -= 0.05 * s.defaulted_inputs;
  c -= 0.03 * s.inferred_inputs;
  if (s.storage.measured) c += 0.05;
  if (s.calibration.present) c += 0.05;
  if (!target_met) c -= 0.1;
  c -= engine_penalty;
  c = std::clamp(c, 0.2, 0.95);
  return std::round(c * 100) / 100;
}

std::string Ratio(double ratio) { return fmt::format("{:.1f}x", ratio); }

std::string LatencyDelta(double from_us, double to_us) {
  double d = (to_us - from_us) / 1000.0;
  if (std::fabs(d) < 0.005) return "no change";
  return fmt::format("{:+.2f} ms", d);
}

void AddThroughputEstimates(Advice* a, const ThroughputEstimate& t, const GroupCommitParams& p,
                            double wal_bytes_per_txn, double seq_write_bytes_per_s) {
  const std::string flush_cpu =
      p.flush_cpu_us > 0 && std::isfinite(t.flush_ceiling_tps)
          ? fmt::format(" + {:.0f} us of CPU per group flush / clients", p.flush_cpu_us)
          : std::string();
  AddEstimate(a, "cpu_ceiling_tps", t.cpu_ceiling_tps, "tps",
              fmt::format("min(clients {}, cores {}) * 1e6 / (txn_cpu_us {:.0f}{})", p.clients,
                          p.cpu_cores, p.txn_cpu_us, flush_cpu));
  if (std::isfinite(t.flush_ceiling_tps)) {
    AddEstimate(a, "flush_ceiling_tps", t.flush_ceiling_tps, "tps",
                fmt::format("clients {} / (flush latency {:.0f} us x {} flush(es)) per group: "
                            "the device limit if every client rides each flush",
                            p.clients, p.flush_p50_us, std::max(1, p.flushes_per_group)));
  }
  if (std::isfinite(t.bandwidth_ceiling_tps)) {
    AddEstimate(a, "bandwidth_ceiling_tps", t.bandwidth_ceiling_tps, "tps",
                fmt::format("sequential write {:.0f} MB/s / WAL {:.0f} bytes per transaction",
                            seq_write_bytes_per_s / 1e6, wal_bytes_per_txn));
  }
  if (t.mean_batch > 0) {
    AddEstimate(a, "mean_commits_per_flush", t.mean_batch, "commits",
                "group-commit simulation: commits that share one flush");
  }
}

std::string StrictRateWarning(const std::string& strict_path, double strict_tps,
                              double required_tps, const std::string& bounded_loss_settings,
                              const std::string& loss_window, double bounded_loss_tps) {
  return fmt::format(
      "strict means no acknowledged commit is lost, and {} sustains only ~{} here against the "
      "required {}; waltune keeps strict and does not switch on its own. If a bounded loss is "
      "acceptable, durability \"standard\" would use {} ({}), predicted ~{}",
      strict_path, FormatTps(strict_tps), FormatTps(required_tps), bounded_loss_settings,
      loss_window, FormatTps(bounded_loss_tps));
}

void ApplyPageWriteCeiling(ThroughputEstimate* t, double page_write_ceiling_tps) {
  if (page_write_ceiling_tps < t->tps) {
    t->tps = page_write_ceiling_tps;
    t->limited_by = LimitingFactor::kPageWrites;
  }
}

ThroughputEstimate CommitThroughput(const Scenario& s, const GroupCommitParams& p,
                                    bool waits_for_flush, double log_bytes_per_txn) {
  ThroughputInputs in;
  in.commit = p;
  in.waits_for_flush = waits_for_flush;
  in.wal_bytes_per_txn = log_bytes_per_txn;
  in.seq_write_bytes_per_s = s.storage.seq_write_bytes_per_s;
  return EstimateThroughput(in);
}

double HalfFlushDelayUs(const Scenario& s) {
  return std::clamp(std::round(s.storage.flush_p50_us / 2), 10.0, 100000.0);
}

CommitMode ChooseCommitMode(const Scenario& s, const GroupCommitParams& p,
                            const GroupCommitParams* delayed, double log_bytes_per_txn,
                            double page_write_ceiling_tps) {
  CommitMode m;
  m.strict_t = CommitThroughput(s, p, true, log_bytes_per_txn);
  ApplyPageWriteCeiling(&m.strict_t, page_write_ceiling_tps);
  if (delayed != nullptr) {
    m.delayed_t = CommitThroughput(s, *delayed, true, log_bytes_per_txn);
    ApplyPageWriteCeiling(&m.delayed_t, page_write_ceiling_tps);
    m.use_delay = m.delayed_t.tps >= kDelayGain * m.strict_t.tps;
  }
  m.sync_t = m.use_delay ? m.delayed_t : m.strict_t;
  m.sync_p = m.use_delay ? *delayed : p;
  if (s.durability == Durability::kRelaxed) {
    m.flush_each_commit = false;
  } else if (s.durability == Durability::kStandard) {
    m.flush_each_commit = m.sync_t.tps >= kStandardHeadroom * s.workload.write_rate_tps;
  }
  m.conf_t = m.flush_each_commit ? m.sync_t : CommitThroughput(s, p, false, log_bytes_per_txn);
  ApplyPageWriteCeiling(&m.conf_t, page_write_ceiling_tps);
  return m;
}

std::string LimitedBy(const ThroughputEstimate& t) { return LimitingFactorName(t.limited_by); }

bool FlushLimited(const ThroughputEstimate& t) { return t.limited_by == LimitingFactor::kFlush; }

bool RelievesPageWrites(const ThroughputEstimate& base_t, const ThroughputEstimate& conf_t) {
  return base_t.limited_by == LimitingFactor::kPageWrites && conf_t.tps > 1.05 * base_t.tps;
}

void SetNoLossWindow(Advice* a) {
  a->loss_window_ms = 0;
  a->loss_window = "none: every acknowledged commit is flushed before it is acknowledged";
}

std::string GroupCommitGain(const ThroughputEstimate& conf_t, double single_flush_tps,
                            int clients) {
  // single_flush_tps is a ceiling (flushes back to back, or the CPU), not a simulation: where
  // the simulated rate is below it, the flush is not what limits, and a ratio under 1 would
  // read as grouping making commits slower.
  if (conf_t.tps < single_flush_tps) {
    return fmt::format(
        "no gain to claim: limited by {}, below what back-to-back flushes of one commit each "
        "would allow ({:.1f} commits share each flush at {} clients)",
        LimitedBy(conf_t), conf_t.mean_batch, clients);
  }
  return fmt::format("{} over one flush per commit ({:.1f} commits per flush at {} clients)",
                     Ratio(conf_t.tps / single_flush_tps), conf_t.mean_batch, clients);
}

void SetThroughputComparison(Advice* a, const ThroughputEstimate& base_t,
                             const ThroughputEstimate& conf_t) {
  a->baseline_tps = std::round(base_t.tps);
  a->with_config_tps = std::round(conf_t.tps);
  a->baseline_commit_latency_us = base_t.commit_latency_us;
  a->with_config_commit_latency_us = conf_t.commit_latency_us;
}

std::string Improvement(const ThroughputEstimate& base_t, const ThroughputEstimate& conf_t,
                        const std::vector<std::string>& reasons) {
  std::string why;
  for (size_t i = 0; i < reasons.size(); ++i) why += (i ? " + " : "") + reasons[i];
  if (why.empty()) why = "same commit path as the defaults";
  return fmt::format("{} ({}); limited by {}", Ratio(conf_t.tps / base_t.tps), why,
                     LimitedBy(conf_t));
}

std::string FlushedLatencyImpact(const ThroughputEstimate& base_t,
                                 const ThroughputEstimate& conf_t) {
  return fmt::format("{} average per commit ({:.2f} ms vs {:.2f} ms with the defaults)",
                     LatencyDelta(base_t.commit_latency_us, conf_t.commit_latency_us),
                     conf_t.commit_latency_us / 1000, base_t.commit_latency_us / 1000);
}

std::string ShortfallWarning(double required_tps, const ThroughputEstimate& conf_t,
                             const std::string& if_flush_limited) {
  return fmt::format("the required {} exceeds the predicted {} (limited by {}){}",
                     FormatTps(required_tps), FormatTps(conf_t.tps), LimitedBy(conf_t),
                     FlushLimited(conf_t) ? if_flush_limited : "");
}

std::string SlowerThanDefaultsWarning(const std::string& defaults, const ThroughputEstimate& conf_t,
                                      const ThroughputEstimate& base_t, const std::string& why) {
  return fmt::format(
      "the recommended configuration is predicted slower than {} ({} vs {}, limited by {}){}",
      defaults, FormatTps(conf_t.tps), FormatTps(base_t.tps), LimitedBy(conf_t), why);
}

void AddFlushLatencyEstimates(Advice* a, const Scenario& s) {
  AddEstimate(a, "flush_latency_p50_us", s.storage.flush_p50_us, "us", s.storage.source);
  AddEstimate(a, "flush_latency_p99_us", s.storage.flush_p99_us, "us", s.storage.source);
}

std::string ConfigSnippet(const Advice& a, const std::string& title, const char* comment,
                          const std::string& section_header,
                          std::initializer_list<const std::vector<Setting>*> sections,
                          std::string (*line)(const Setting&)) {
  std::string snippet = std::string(comment) + " waltune: " + title + "\n";
  snippet += ApplyComment(a, comment) + section_header;
  for (const std::vector<Setting>* section : sections) {
    for (const Setting& st : *section) {
      if (st.informational) continue;
      snippet += line(st);
    }
  }
  return snippet;
}

}  // namespace waltune::engines
