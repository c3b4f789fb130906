// verify's short flush-latency samples, through the Env: back to back, after an idle gap, and the
// overshoot of a sleep.
#include <string>
#include <vector>

#include "waltune/probe.h"

namespace waltune {

namespace {

constexpr size_t kBlockBytes = 8192;  // one PostgreSQL WAL page / a small InnoDB log write
constexpr int kPreallocatedBlocks = 16;

Status FlushProbeError(const std::string& path, const Status& s) {
  return Status::IOError("flush probe " + path, s.message());
}

double UsBetween(uint64_t from_ns, uint64_t to_ns) {
  return static_cast<double>(to_ns - from_ns) / 1000.0;
}

}  // namespace

Result<IdleFlushSamples> MeasureFlushesAfterIdleUs(Env* env, const std::string& dir, int flushes,
                                                   uint64_t gap_us) {
  // Failing to write back is no reason not to measure: the samples only come out higher.
  (void)env->SyncFileSystem(dir);
  const std::string path = dir + "/flush-probe.tmp";
  FileOptions options;
  options.create_truncate = true;
  auto file = env->OpenFile(path, options);
  if (!file.ok()) return Status::IOError("open " + path, file.status().message());
  const std::vector<char> block(kBlockBytes, 'w');
  IdleFlushSamples samples;
  samples.gap_us = gap_us;
  Status s;
  for (int i = 0; i < kPreallocatedBlocks && s.ok(); ++i) {
    s = (*file)->WriteAt(static_cast<uint64_t>(i) * kBlockBytes, block.data(), block.size());
  }
  if (s.ok()) s = (*file)->Fsync();
  uint64_t last_end_ns = env->NowNanos();
  for (int i = 0; i < flushes && s.ok(); ++i) {
    if (gap_us > 0) env->SleepMicros(gap_us);
    const uint64_t t0_ns = env->NowNanos();
    s = (*file)->WriteAt(static_cast<uint64_t>(i % kPreallocatedBlocks) * kBlockBytes, block.data(),
                         block.size());
    if (s.ok()) s = (*file)->Fdatasync();
    const uint64_t end_ns = env->NowNanos();
    samples.idle_us.push_back(UsBetween(last_end_ns, t0_ns));
    samples.flush_us.push_back(UsBetween(t0_ns, end_ns));
    last_end_ns = end_ns;
  }
  file.value().reset();  // close before removing
  (void)env->RemoveFile(path);
  if (!s.ok()) return FlushProbeError(path, s);
  return samples;
}

Result<std::vector<double>> MeasureOverwriteFlushesUs(Env* env, const std::string& dir,
                                                      int flushes) {
  Result<IdleFlushSamples> samples = MeasureFlushesAfterIdleUs(env, dir, flushes, 0);
  if (!samples.ok()) return samples.status();
  return std::move(samples->flush_us);
}

std::vector<double> MeasureSleepOvershootUs(Env* env, uint64_t sleep_us, int samples) {
  std::vector<double> over_us;
  for (int i = 0; i < samples; ++i) {
    const uint64_t t0_ns = env->NowNanos();
    env->SleepMicros(sleep_us);
    over_us.push_back(UsBetween(t0_ns, env->NowNanos()) - static_cast<double>(sleep_us));
  }
  return over_us;
}

}  // namespace waltune
