// FlushSampler: verify's flush-latency samples, pooled over rounds.
#include "flush_sampling.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace waltune::verify {

Status FlushSampler::Sample(const std::string& dir, int back_to_back, int per_gap, int sleeps) {
  Result<std::vector<double>> b2b = MeasureOverwriteFlushesUs(env_, dir, back_to_back);
  if (!b2b.ok()) return b2b.status();
  back_to_back_us_.insert(back_to_back_us_.end(), b2b->begin(), b2b->end());
  if (after_gap_.empty()) {
    for (uint64_t gap_us : kFlushIdleGapsUs) after_gap_.push_back(IdleFlushSamples{gap_us, {}, {}});
  }
  for (IdleFlushSamples& pooled : after_gap_) {
    if (per_gap <= 0) break;
    Result<IdleFlushSamples> s = MeasureFlushesAfterIdleUs(env_, dir, per_gap, pooled.gap_us);
    if (!s.ok()) return s.status();
    pooled.idle_us.insert(pooled.idle_us.end(), s->idle_us.begin(), s->idle_us.end());
    pooled.flush_us.insert(pooled.flush_us.end(), s->flush_us.begin(), s->flush_us.end());
  }
  if (emulated_delay_us_ > 0 && sleeps > 0) {
    std::vector<double> over = MeasureSleepOvershootUs(env_, emulated_delay_us_, sleeps);
    overshoot_us_.insert(overshoot_us_.end(), over.begin(), over.end());
  }
  return Status::Ok();
}

FlushMeasurement FlushSampler::Summary() const {
  FlushMeasurement m;
  if (back_to_back_us_.empty()) return m;
  std::vector<double> sorted = back_to_back_us_;
  std::sort(sorted.begin(), sorted.end());
  const size_t n = sorted.size();
  m.p50_us = Median(sorted);
  m.p99_us = sorted[std::min(n - 1, static_cast<size_t>(std::ceil(0.99 * n)) - 1)];
  m.mean_us = std::accumulate(sorted.begin(), sorted.end(), 0.0) / static_cast<double>(n);
  m.samples = static_cast<int>(n);
  for (const IdleFlushSamples& g : after_gap_) {
    if (g.flush_us.empty()) continue;
    m.after_idle.push_back(StorageSpec::IdleFlushPoint{Median(g.idle_us), Median(g.flush_us),
                                                       static_cast<int>(g.flush_us.size())});
  }
  std::sort(m.after_idle.begin(), m.after_idle.end(),
            [](const auto& a, const auto& b) { return a.idle_us < b.idle_us; });
  if (!overshoot_us_.empty()) m.emulated_delay_overshoot_us = std::max(0.0, Median(overshoot_us_));
  return m;
}

}  // namespace waltune::verify
