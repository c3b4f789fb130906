#include <algorithm>
#include <cmath>
#include <numeric>

#include "waltune/probe.h"

namespace waltune {
namespace {

// Nearest rank: 1-based position ceil(q * n). REQUIRES: sorted is not empty, 0 < q <= 1.
uint64_t NearestRank(const std::vector<uint64_t>& sorted, double q) {
  assert(!sorted.empty());
  double rank = std::ceil(q * static_cast<double>(sorted.size()) - 1e-9);
  size_t index = rank < 1 ? 0 : static_cast<size_t>(rank) - 1;
  return sorted[std::min(index, sorted.size() - 1)];
}

double NanosToMicros(double ns) { return ns / 1000.0; }

}  // namespace

LatencyStats ComputeLatencyStats(std::vector<uint64_t> samples_ns, uint64_t elapsed_ns) {
  LatencyStats stats;
  if (samples_ns.empty()) return stats;
  assert(elapsed_ns > 0);
  std::sort(samples_ns.begin(), samples_ns.end());
  stats.ops = samples_ns.size();
  stats.p50_us = NanosToMicros(static_cast<double>(NearestRank(samples_ns, 0.50)));
  stats.p99_us = NanosToMicros(static_cast<double>(NearestRank(samples_ns, 0.99)));
  stats.max_us = NanosToMicros(static_cast<double>(samples_ns.back()));
  double total_ns = std::accumulate(samples_ns.begin(), samples_ns.end(), 0.0);
  stats.mean_us = NanosToMicros(total_ns / static_cast<double>(stats.ops));
  stats.ops_per_s = static_cast<double>(stats.ops) * 1e9 / static_cast<double>(elapsed_ns);
  return stats;
}

}  // namespace waltune
