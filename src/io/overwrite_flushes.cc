// MeasureOverwriteFlushesUs: verify's short flush-latency sample, through the Env.
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

}  // namespace

Result<std::vector<double>> MeasureOverwriteFlushesUs(Env* env, const std::string& dir,
                                                      int flushes) {
  // Failing to write back is no reason not to measure: the samples only come out higher.
  (void)env->SyncFileSystem(dir);
  const std::string path = dir + "/flush-probe.tmp";
  FileOptions options;
  options.create_truncate = true;
  auto file = env->OpenFile(path, options);
  if (!file.ok()) return Status::IOError("open " + path, file.status().message());
  const std::vector<char> block(kBlockBytes, 'w');
  std::vector<double> us;
  Status s;
  for (int i = 0; i < kPreallocatedBlocks && s.ok(); ++i) {
    s = (*file)->WriteAt(static_cast<uint64_t>(i) * kBlockBytes, block.data(), block.size());
  }
  if (s.ok()) s = (*file)->Fsync();
  for (int i = 0; i < flushes && s.ok(); ++i) {
    const uint64_t t0_ns = env->NowNanos();
    s = (*file)->WriteAt(static_cast<uint64_t>(i % kPreallocatedBlocks) * kBlockBytes, block.data(),
                         block.size());
    if (s.ok()) s = (*file)->Fdatasync();
    us.push_back(static_cast<double>(env->NowNanos() - t0_ns) / 1000.0);
  }
  file.value().reset();  // close before removing
  (void)env->RemoveFile(path);
  if (!s.ok()) return FlushProbeError(path, s);
  return us;
}

}  // namespace waltune
