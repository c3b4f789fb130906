#include "common.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

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

double TxnCpuUs(const Scenario& s, double model_default_us, Advice* advice) {
  if (s.calibration.txn_cpu_us) {
    AddEstimate(advice, "txn_cpu_us", *s.calibration.txn_cpu_us, "us",
                "measured by `waltune verify --calibrate` (" + s.calibration.source + ")");
    return *s.calibration.txn_cpu_us;
  }
  AddEstimate(advice, "txn_cpu_us", model_default_us, "us",
              "model default for this engine and transaction shape (not calibrated)");
  return model_default_us;
}

double HotPages(const Workload& w, double page_bytes) {
  return std::max(1.0, static_cast<double>(w.working_set_bytes) / page_bytes);
}

GroupCommitParams CommitParams(const Scenario& s, double txn_cpu_us) {
  GroupCommitParams p;
  p.clients = s.workload.concurrency;
  p.cpu_cores = s.cpu_cores;
  p.txn_cpu_us = txn_cpu_us;
  p.flush_wait_cpu_us = s.calibration.cpu_includes_flush_wait ? 0 : kFlushWaitCpuUs;
  p.flush_p50_us = s.storage.flush_p50_us;
  p.flush_p99_us = std::max(s.storage.flush_p99_us, s.storage.flush_p50_us);
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

std::string Tps(double tps) {
  if (tps >= 100) return fmt::format("{:.0f} tps", tps);
  return fmt::format("{:.1f} tps", tps);
}

std::string LatencyDelta(double from_us, double to_us) {
  double d = (to_us - from_us) / 1000.0;
  if (std::fabs(d) < 0.005) return "no change";
  return fmt::format("{:+.2f} ms", d);
}

void AddThroughputEstimates(Advice* a, const ThroughputEstimate& t, const GroupCommitParams& p,
                            double wal_bytes_per_txn, double seq_write_bytes_per_s) {
  AddEstimate(a, "cpu_ceiling_tps", t.cpu_ceiling_tps, "tps",
              fmt::format("min(clients {}, cores {}) * 1e6 / txn_cpu_us {:.0f}", p.clients,
                          p.cpu_cores, p.txn_cpu_us));
  if (std::isfinite(t.flush_ceiling_tps)) {
    AddEstimate(a, "flush_ceiling_tps", t.flush_ceiling_tps, "tps",
                fmt::format("clients {} / flush latency {:.0f} us x {} flush(es) per group: "
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
      strict_path, Tps(strict_tps), Tps(required_tps), bounded_loss_settings, loss_window,
      Tps(bounded_loss_tps));
}

void ApplyPageWriteCeiling(ThroughputEstimate* t, double page_write_ceiling_tps) {
  if (page_write_ceiling_tps < t->tps) {
    t->tps = page_write_ceiling_tps;
    t->limited_by = LimitingFactor::kPageWrites;
  }
}

}  // namespace waltune::engines
