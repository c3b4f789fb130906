// Loss accounting and verdicts: pure functions over what the clients sent and what survived.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "waltune/verify.h"

namespace waltune {

namespace {

std::string Fmt(const char* format, double a, double b = 0, double c = 0) {
  char buf[256];
  std::snprintf(buf, sizeof(buf), format, a, b, c);
  return buf;
}

// --worst-case with an expected peak: the load's rate may differ from the rate the peak was
// computed for by this fraction (a paced load lands within a few percent of --rate).
constexpr double kPeakRateTolerance = 0.25;

// Each recovery time less its wait for a CPU (ClaimInputs::recovery_cpu_waits_s); `waits` is
// empty or as long as `times`.
std::vector<double> OwnTimes(const std::vector<double>& times, const std::vector<double>& waits) {
  std::vector<double> own = times;
  for (size_t k = 0; k < own.size() && k < waits.size(); ++k) {
    own[k] = std::max(0.0, own[k] - waits[k]);
  }
  return own;
}

// The verdict's note on the restarts' waits for a CPU; empty when none was measured.
std::string CpuWaitNote(const std::vector<double>& waits) {
  const double most = waits.empty() ? 0 : *std::max_element(waits.begin(), waits.end());
  if (most <= 0) return "";
  return Fmt(
      " The restarts also waited up to %.3f ms for a CPU held by other processes (their "
      "thread's run-queue time, from its schedstat): judged on the time less that wait, "
      "which is the engine's own.",
      most * 1e3);
}

bool Contains(const std::vector<uint64_t>& sorted, uint64_t v) {
  return std::binary_search(sorted.begin(), sorted.end(), v);
}

}  // namespace

LossCount CountClientLoss(const ClientLedger& ledger, const std::vector<uint64_t>& present) {
  LossCount c;
  const uint64_t a = ledger.attempted_through;
  uint64_t in_doubt_sent = 0;
  for (uint64_t s : ledger.in_doubt) {
    if (s >= 1 && s <= a) ++in_doubt_sent;
  }
  c.acked = a - in_doubt_sent;
  // Walk 1..a against the sorted present list.
  size_t p = 0;
  while (p < present.size() && present[p] == 0) {
    ++c.unexpected;
    ++p;
  }
  for (uint64_t s = 1; s <= a; ++s) {
    bool here = p < present.size() && present[p] == s;
    if (here) ++p;
    bool doubt = Contains(ledger.in_doubt, s);
    if (here && doubt) {
      ++c.in_doubt_present;
    } else if (!here && !doubt) {
      ++c.lost;
      if (!Contains(ledger.known_lost, s)) c.newly_lost.push_back(s);
    }
  }
  c.unexpected += present.size() - p;
  return c;
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

const char* VerdictClaim(VerdictKind kind) {
  switch (kind) {
    case VerdictKind::kThroughput:
      return "throughput as predicted";
    case VerdictKind::kRecoveryTime:
      return "recovery time within the predicted worst case";
    case VerdictKind::kWorstCaseRecoveryBand:
      return "worst-case recovery within 0.6-1.0x the estimate (the expected peak, if given)";
    case VerdictKind::kRecoveryTarget:
      return "recovery within the target";
    case VerdictKind::kNoAckLost:
      return "no acknowledged commit lost";
    case VerdictKind::kLossWithinWindow:
      return "lost commits within the loss window";
    case VerdictKind::kRecovers:
      return "engine recovers after every crash";
    case VerdictKind::kIntact:
      return "database intact after every crash";
  }
  return "?";
}

bool IsDurabilityFailure(VerdictKind kind) {
  switch (kind) {
    case VerdictKind::kNoAckLost:
    case VerdictKind::kLossWithinWindow:
    case VerdictKind::kRecovers:
    case VerdictKind::kIntact:
      return true;
    case VerdictKind::kThroughput:
    case VerdictKind::kRecoveryTime:
    case VerdictKind::kWorstCaseRecoveryBand:
    case VerdictKind::kRecoveryTarget:
      return false;
  }
  return false;
}

namespace {

Verdict Judged(VerdictKind kind) {
  Verdict v;
  v.kind = kind;
  v.claim = VerdictClaim(kind);
  return v;
}

// Throughput: within +/-tps_relative of the prediction.
void JudgeThroughput(const ClaimInputs& in, const Tolerances& tol, std::vector<Verdict>* out) {
  if (!in.judge_tps || !in.predicted_tps || *in.predicted_tps <= 0) return;
  Verdict v = Judged(VerdictKind::kThroughput);
  v.predicted = *in.predicted_tps;
  v.measured = in.measured_tps;
  double ratio = in.measured_tps / *in.predicted_tps;
  v.holds = std::fabs(ratio - 1) <= tol.tps_relative;
  v.detail = Fmt("measured %.0f tps = %.2fx the predicted %.0f tps (band: +/-", in.measured_tps,
                 ratio, *in.predicted_tps) +
             Fmt("%.0f%%)", tol.tps_relative * 100);
  out->push_back(v);
}

// --worst-case: the estimate is a worst case, so a peak crash must not exceed it, and should not
// fall far below it either (a needlessly pessimistic estimate forces checkpoint I/O). Judged
// over the crashes that reached the peak; with none, the claim is unproven and does not hold.
// Where the advice gives an expected peak (InnoDB: where the page cleaner lets the checkpoint age
// reach, below the bound; PostgreSQL: the calibration's mix; SQLite: the WAL read through the
// page cache), the band is on that, at the rate it was computed for (any rate where
// required_tps is unset); the bound stays the ceiling of the recovery-time verdict.
void JudgeWorstCaseBand(const ClaimInputs& in, std::vector<Verdict>* out) {
  Verdict band = Judged(VerdictKind::kWorstCaseRecoveryBand);
  const bool on_peak = in.expected_peak_recovery_time_s && *in.expected_peak_recovery_time_s > 0;
  const double reference =
      on_peak ? *in.expected_peak_recovery_time_s : *in.predicted_recovery_time_s;
  const std::string what = on_peak ? "expected peak" : "estimate";
  band.predicted = reference;
  const std::vector<double> peak = OwnTimes(in.peak_recovery_times_s, in.peak_recovery_cpu_waits_s);
  const size_t missed =
      in.recovery_times_s.size() - std::min(in.recovery_times_s.size(), peak.size());
  const std::string not_peak =
      missed > 0 ? "; " + std::to_string(missed) + " crash(es) not at the peak left out" : "";
  if (peak.empty()) {
    band.holds = false;
    band.detail = "no crash reached the peak distance" + not_peak;
    out->push_back(band);
    return;
  }
  const double lo = *std::min_element(peak.begin(), peak.end()) / reference;
  const double worst = *std::max_element(peak.begin(), peak.end());
  const double hi = worst / reference;
  band.measured = worst;
  band.holds = lo >= 0.6 && hi <= 1.0;
  band.detail = "measured / " + what + Fmt(" from %.2f to %.2f over ", lo, hi) +
                std::to_string(peak.size()) + " peak crashes" + not_peak +
                CpuWaitNote(in.peak_recovery_cpu_waits_s);
  if (on_peak) {
    band.detail += Fmt(" (expected peak %.2f s; the bound %.2f s is the ceiling)", reference,
                       in.predicted_recovery_time_s.value_or(0));
    // The expected peak depends on the rate: a load at another rate does not test it.
    if (in.required_tps && *in.required_tps > 0 &&
        std::fabs(in.measured_tps / *in.required_tps - 1) > kPeakRateTolerance) {
      band.holds = false;
      band.detail +=
          Fmt("; not judged: the expected peak is for %.0f tps and the load ran at "
              "%.0f tps (pace it with --rate)",
              *in.required_tps, in.measured_tps);
    }
  }
  out->push_back(band);
}

// Recovery: the prediction is a worst case, so every measured recovery must stay below it; with
// --worst-case also not far below it; and below the user's target.
void JudgeRecovery(const ClaimInputs& in, const Tolerances& tol, std::vector<Verdict>* out) {
  if (in.recovery_times_s.empty()) return;
  double worst = *std::max_element(in.recovery_times_s.begin(), in.recovery_times_s.end());
  double median = Median(in.recovery_times_s);
  if (in.judge_recovery_time && in.predicted_recovery_time_s) {
    const std::vector<double> own = OwnTimes(in.recovery_times_s, in.recovery_cpu_waits_s);
    const double own_worst = *std::max_element(own.begin(), own.end());
    Verdict v = Judged(VerdictKind::kRecoveryTime);
    v.predicted = *in.predicted_recovery_time_s;
    v.measured = own_worst;
    v.holds = own_worst <= *in.predicted_recovery_time_s * (1 + tol.recovery_relative);
    v.detail = Fmt("recovery median %.3f s, max %.3f s over ", median, worst) +
               std::to_string(in.recovery_times_s.size()) +
               Fmt(" crashes; predicted worst case %.3f s (allowed up to +%.0f%%). ",
                   *in.predicted_recovery_time_s, tol.recovery_relative * 100) +
               (in.worst_case ? "Each crash came at the peak distance from the last "
                                "checkpoint's REDO point, restarted with a cold page cache: "
                                "the case the estimate describes."
                              : "A short run replays little WAL, so this checks the fixed "
                                "restart cost more than the worst case.") +
               CpuWaitNote(in.recovery_cpu_waits_s);
    if (own_worst != worst) v.detail += Fmt(" Slowest own time: %.3f ms.", own_worst * 1e3);
    out->push_back(v);
    if (in.worst_case && *in.predicted_recovery_time_s > 0) JudgeWorstCaseBand(in, out);
  }
  if (in.recovery_target_s) {
    Verdict v = Judged(VerdictKind::kRecoveryTarget);
    v.predicted = *in.recovery_target_s;
    v.measured = worst;
    v.holds = worst <= *in.recovery_target_s;
    v.detail = Fmt("max measured recovery %.3f s vs target %.3f s", worst, *in.recovery_target_s);
    out->push_back(v);
  }
}

// Loss: strict promises none; otherwise lost commits must be younger than the loss window.
void JudgeLoss(const ClaimInputs& in, const Tolerances& tol, std::vector<Verdict>* out) {
  const double window_ms =
      in.predicted_loss_window_ms.value_or(in.durability == Durability::kStrict ? 0 : -1);
  if (window_ms == 0) {
    Verdict v = Judged(VerdictKind::kNoAckLost);
    v.predicted = 0;
    v.measured = static_cast<double>(in.lost_commits);
    v.holds = in.lost_commits == 0;
    v.detail = std::to_string(in.lost_commits) +
               " acknowledged commits missing after recovery (strict promises 0)";
    out->push_back(v);
  } else if (window_ms > 0) {
    Verdict v = Judged(VerdictKind::kLossWithinWindow);
    v.predicted = window_ms;
    if (in.lost_commits == 0) {
      v.holds = true;
      v.measured = 0;
      v.detail = in.power_loss
                     ? "no acknowledged commit lost in these power cuts"
                     : "no acknowledged commit lost: a process kill keeps the OS page cache, so "
                       "only what the engine had not yet handed to the OS can be lost here";
    } else if (in.lost_age_unknown || !in.oldest_lost_age_ms) {
      v.holds = false;
      v.detail = std::to_string(in.lost_commits) +
                 " acknowledged commits lost, some older than the acknowledgement-time record";
    } else {
      v.measured = *in.oldest_lost_age_ms;
      v.holds = *in.oldest_lost_age_ms <= window_ms * (1 + tol.loss_window_relative);
      v.detail = std::to_string(in.lost_commits) + " acknowledged commits lost; the oldest was " +
                 Fmt("acknowledged %.1f ms before the ", *in.oldest_lost_age_ms) +
                 (in.power_loss ? "power cut" : "kill") +
                 Fmt("; window %.0f ms (allowed up to +%.0f%%)", window_ms,
                     tol.loss_window_relative * 100);
    }
    out->push_back(v);
  }
}

// Recovery must succeed after every crash, and the database must pass the engine's own check.
void JudgeRecoveredIntact(const ClaimInputs& in, std::vector<Verdict>* out) {
  if (in.crashes <= 0) return;
  Verdict v = Judged(VerdictKind::kRecovers);
  v.predicted = 0;
  v.measured = in.failed_recoveries;
  v.holds = in.failed_recoveries == 0;
  v.detail = in.failed_recoveries == 0
                 ? "the engine started on its own after all " + std::to_string(in.crashes) +
                       (in.power_loss ? " power cuts" : " kills")
                 : std::to_string(in.failed_recoveries) +
                       " restart(s) failed; see crashes[].recovery_error";
  out->push_back(v);
  Verdict i = Judged(VerdictKind::kIntact);
  i.predicted = 0;
  i.measured = static_cast<double>(in.integrity_problems.size());
  i.holds = in.integrity_problems.empty();
  if (i.holds) {
    i.detail = "the engine's consistency check passed and no row appeared that was never written";
  } else {
    i.detail = in.integrity_problems.front();
    for (size_t k = 1; k < in.integrity_problems.size() && k < 4; ++k) {
      i.detail += "; " + in.integrity_problems[k];
    }
  }
  out->push_back(i);
}

}  // namespace

std::vector<Verdict> JudgeClaims(const ClaimInputs& in, const Tolerances& tol) {
  std::vector<Verdict> out;
  JudgeThroughput(in, tol, &out);
  JudgeRecovery(in, tol, &out);
  JudgeLoss(in, tol, &out);
  JudgeRecoveredIntact(in, &out);
  return out;
}

}  // namespace waltune
