// verify's samples of the run's flush latency (FlushMeasurement): pooled over several rounds
// (before and after the load).
#ifndef WALTUNE_SRC_VERIFY_FLUSH_SAMPLING_H_
#define WALTUNE_SRC_VERIFY_FLUSH_SAMPLING_H_

#include <cstdint>
#include <string>
#include <vector>

#include "waltune/probe.h"
#include "waltune/verify.h"

namespace waltune::verify {

class FlushSampler {
 public:
  // emulated_delay_us: the delay of --flush-latency-us whose sleep overshoot is sampled (0: none).
  FlushSampler(Env* env, uint64_t emulated_delay_us)
      : env_(env), emulated_delay_us_(emulated_delay_us) {}

  // One round in a scratch file in `dir`: `back_to_back` flushes, `per_gap` after each of
  // kFlushIdleGapsUs, and `sleeps` sleeps of the emulated delay. Samples taken before an error are
  // kept.
  Status Sample(const std::string& dir, int back_to_back, int per_gap, int sleeps);

  bool empty() const { return back_to_back_us_.empty(); }
  // Pooled: p50/p99/mean of the back-to-back flushes, per gap the median measured idle time and
  // the median flush, the median overshoot.
  FlushMeasurement Summary() const;

 private:
  Env* const env_;
  const uint64_t emulated_delay_us_;
  std::vector<double> back_to_back_us_;
  std::vector<IdleFlushSamples> after_gap_;  // one per gap, rounds pooled
  std::vector<double> overshoot_us_;
};

}  // namespace waltune::verify

#endif  // WALTUNE_SRC_VERIFY_FLUSH_SAMPLING_H_
