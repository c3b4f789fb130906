#include "waltune/model.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

namespace waltune {

const char* LimitingFactorName(LimitingFactor f) {
  switch (f) {
    case LimitingFactor::kCpu:
      return "cpu";
    case LimitingFactor::kFlush:
      return "flush";
    case LimitingFactor::kBandwidth:
      return "bandwidth";
    case LimitingFactor::kPageWrites:
      return "page writes";
  }
  return "unknown";
}

ThroughputEstimate EstimateThroughput(const ThroughputInputs& in) {
  const GroupCommitParams& p = in.commit;
  ThroughputEstimate e;
  const double runnable = std::min(p.clients, std::max(1, p.cpu_cores));
  // At best every client shares each flush: its CPU spread over all of them.
  const double cpu_us =
      p.txn_cpu_us + (in.waits_for_flush ? p.flush_cpu_us / std::max(1, p.clients) : 0);
  e.cpu_ceiling_tps = runnable * 1e6 / cpu_us;
  const double flush_us = p.flush_p50_us * std::max(1, p.flushes_per_group);
  e.flush_ceiling_tps = in.waits_for_flush && flush_us > 0
                            ? p.clients * 1e6 / flush_us
                            : std::numeric_limits<double>::infinity();
  e.bandwidth_ceiling_tps = in.wal_bytes_per_txn > 0 && in.seq_write_bytes_per_s > 0
                                ? in.seq_write_bytes_per_s / in.wal_bytes_per_txn
                                : std::numeric_limits<double>::infinity();
  double tps;
  if (in.waits_for_flush) {
    GroupCommitResult sim = SimulateGroupCommit(p);
    tps = sim.tps;
    e.commit_latency_us = sim.mean_latency_us;
    e.commit_latency_p99_us = sim.p99_latency_us;
    e.mean_batch = sim.mean_batch;
    e.limited_by = tps < 0.8 * e.cpu_ceiling_tps ? LimitingFactor::kFlush : LimitingFactor::kCpu;
  } else {
    tps = e.cpu_ceiling_tps;
    e.commit_latency_us = 0;
    e.mean_batch = 0;
    e.limited_by = LimitingFactor::kCpu;
  }
  if (e.bandwidth_ceiling_tps < tps) {
    tps = e.bandwidth_ceiling_tps;
    e.limited_by = LimitingFactor::kBandwidth;
  }
  e.tps = tps;
  return e;
}

double PagesImagedPerInterval(const FpiInputs& in) {
  if (in.hot_pages <= 0 || in.page_changes_per_s <= 0 || in.checkpoint_interval_s <= 0) return 0;
  return in.hot_pages *
         (1.0 - std::exp(-in.page_changes_per_s * in.checkpoint_interval_s / in.hot_pages));
}

double FpiBytesPerTxn(const FpiInputs& in, double tps) {
  if (tps <= 0 || in.checkpoint_interval_s <= 0) return 0;
  return PagesImagedPerInterval(in) * in.fpi_bytes / (tps * in.checkpoint_interval_s);
}

double SortedPageWriteSeconds(double dirty_pages, double hot_pages, double page_bytes,
                              double seq_write_bytes_per_s, double random_write_iops) {
  if (dirty_pages <= 0) return 0;
  const double random_s = dirty_pages / random_write_iops;
  // A sweep writes across the whole hot region (at least the dirty pages themselves).
  const double region_pages = std::max(hot_pages, dirty_pages);
  const double sweep_s = region_pages * page_bytes / seq_write_bytes_per_s;
  return std::min(random_s, sweep_s);
}

double DistinctPagesBound(double hot_pages, double page_changes) {
  return std::max(0.0, std::min(hot_pages, page_changes));
}

double CacheMissFraction(double cache_bytes, double working_set_bytes) {
  if (cache_bytes <= 0 || working_set_bytes <= cache_bytes) return 0;
  return 1.0 - cache_bytes / working_set_bytes;
}

RestartLine FitRestartLine(const std::vector<std::pair<double, double>>& bytes_and_seconds) {
  RestartLine line;
  const auto& w = bytes_and_seconds;
  if (w.size() < static_cast<size_t>(kMinRestartLineWindows)) return line;
  double sx = 0, sy = 0, lo = w[0].first, hi = w[0].first;
  for (const auto& [x, y] : w) {
    sx += x;
    sy += y;
    lo = std::min(lo, x);
    hi = std::max(hi, x);
  }
  if (lo <= 0 || hi < kMinRestartLineSpread * lo) return line;
  const double n = static_cast<double>(w.size());
  const double mx = sx / n, my = sy / n;
  double sxx = 0, sxy = 0;
  for (const auto& [x, y] : w) {
    sxx += (x - mx) * (x - mx);
    sxy += (x - mx) * (y - my);
  }
  const double slope = sxy / sxx;
  if (!(slope > 0)) return line;
  line.fitted = true;
  line.s_per_byte = slope;
  line.least_squares_fixed_s = my - slope * mx;
  double highest = -std::numeric_limits<double>::infinity(), squares = 0;
  for (const auto& [x, y] : w) {
    const double r = y - (line.least_squares_fixed_s + slope * x);
    highest = std::max(highest, r);
    squares += r * r;
  }
  line.highest_residual_s = highest;
  line.residual_sd_s = std::sqrt(squares / (n - 2));
  const double raise = std::max(highest, kRestartLineSpreadSigmas * line.residual_sd_s);
  line.fixed_s = std::max(0.0, line.least_squares_fixed_s + raise);
  return line;
}

ReplayBound BoundReplayOverImageShare(double window_bytes, double max_record_bytes,
                                      double max_image_bytes, double record_bytes_per_s,
                                      double image_bytes_per_s) {
  ReplayBound b;
  const double window = std::max(0.0, window_bytes);
  b.images_first = image_bytes_per_s < record_bytes_per_s;
  if (b.images_first) {
    b.image_bytes = std::min(window, std::max(0.0, max_image_bytes));
    b.record_bytes = window - b.image_bytes;
  } else {
    b.record_bytes = std::min(window, std::max(0.0, max_record_bytes));
    b.image_bytes = window - b.record_bytes;
  }
  b.all_records = b.image_bytes <= 0;
  b.seconds = b.record_bytes / record_bytes_per_s +
              (b.image_bytes > 0 ? b.image_bytes / image_bytes_per_s : 0);
  return b;
}

ColdRecoveryTerms ColdRecovery(const ColdRecoveryInputs& in) {
  ColdRecoveryTerms t;
  t.scan_s =
      in.log_bytes > 0 && in.seq_read_bytes_per_s > 0 ? in.log_bytes / in.seq_read_bytes_per_s : 0;
  t.apply_s = std::max(0.0, in.apply_s);
  t.page_read_s = std::max(0.0, in.page_read_s);
  t.total_s = t.scan_s + t.apply_s + t.page_read_s;
  return t;
}

double CleanerCycleSeconds(double hot_pages, double page_changes_per_s, double flush_pages_per_s,
                           double max_s) {
  if (page_changes_per_s <= 0 || hot_pages <= 0) return 0;
  if (flush_pages_per_s <= 0) return max_s;
  // f(T) = P (1 - exp(-r T / P)) - F T is 0 at T = 0, concave; with F < r it rises, then falls
  // through 0 once: bisect for that root.
  if (flush_pages_per_s >= page_changes_per_s) return 0;
  auto behind = [&](double t) {
    return hot_pages * (1 - std::exp(-page_changes_per_s * t / hot_pages)) > flush_pages_per_s * t;
  };
  if (behind(max_s)) return max_s;
  double lo = 0, hi = max_s;
  for (int i = 0; i < 200 && hi - lo > 1e-6 * std::max(1.0, hi); ++i) {
    const double mid = 0.5 * (lo + hi);
    (behind(mid) ? lo : hi) = mid;
  }
  return hi;
}

namespace {
// Bisection in log space (the quantities span orders of magnitude) between a point where
// `holds` is true and a larger one where it is false: the last such pair.
std::pair<double, double> BisectLog(double holds_at, double fails_at,
                                    const std::function<bool(double)>& holds,
                                    double relative_tolerance) {
  double a = std::log(holds_at), b = std::log(fails_at);
  while (b - a > relative_tolerance) {
    const double mid = 0.5 * (a + b);
    if (holds(std::exp(mid))) {
      a = mid;
    } else {
      b = mid;
    }
  }
  return {std::exp(a), std::exp(b)};
}
}  // namespace

double LargestSatisfying(double lo, double hi, const std::function<bool(double)>& ok,
                         double relative_tolerance) {
  if (!ok(lo)) return lo;
  if (ok(hi)) return hi;
  return BisectLog(lo, hi, ok, relative_tolerance).first;
}

double SmallestSatisfying(double lo, double hi, const std::function<bool(double)>& ok,
                          double relative_tolerance) {
  if (ok(lo)) return lo;
  if (!ok(hi)) return hi;
  const auto fails = [&](double x) { return !ok(x); };
  return BisectLog(lo, hi, fails, relative_tolerance).second;
}

uint64_t FloorToNiceBytes(double bytes, uint64_t unit) {
  if (bytes < static_cast<double>(unit)) return unit;
  // Step: the largest power-of-two multiple of `unit` not above bytes/8, so rounding down
  // loses at most 12.5%; the step only grows with `bytes`, which keeps the result monotone.
  uint64_t step = unit;
  while (static_cast<double>(step) * 2 <= bytes / 8) step *= 2;
  return static_cast<uint64_t>(bytes / static_cast<double>(step)) * step;
}

double FloorToNiceSeconds(double seconds) {
  if (seconds < 30) return 30;
  if (seconds < 120) return std::floor(seconds / 30) * 30;
  return std::floor(seconds / 60) * 60;
}

}  // namespace waltune
