// Cold sequential reads through the page cache (probe and verify): what an engine that reads its
// log with read() pays after a restart, readahead included.
#include <algorithm>
#include <string>
#include <vector>

#include "waltune/probe.h"

namespace waltune {

namespace {

constexpr size_t kWriteBlockBytes = 1 << 20;
constexpr size_t kReadBlockBytes = 1 << 20;
constexpr double kNanosPerSecond = 1e9;

}  // namespace

double ColdReadSample::BytesPerS() const {
  return bytes > 0 && elapsed_ns > 0
             ? static_cast<double>(bytes) * kNanosPerSecond / static_cast<double>(elapsed_ns)
             : 0;
}

Result<ColdReadSample> ReadFileColdBuffered(Env* env, const std::string& path, uint64_t max_bytes,
                                            size_t block_bytes, uint64_t deadline_ns) {
  FileOptions options;
  options.read = true;
  auto file = env->OpenFile(path, options);
  if (!file.ok()) return file.status();
  WALTUNE_RETURN_IF_ERROR((*file)->DropCache());
  std::vector<char> block(block_bytes);
  ColdReadSample sample;
  const uint64_t begin_ns = env->NowNanos();
  while (sample.bytes + block_bytes <= max_bytes &&
         (sample.bytes == 0 || deadline_ns == 0 || env->NowNanos() < deadline_ns)) {
    WALTUNE_RETURN_IF_ERROR((*file)->ReadAt(sample.bytes, block.data(), block.size()));
    sample.bytes += block_bytes;
  }
  sample.elapsed_ns = std::max<uint64_t>(env->NowNanos() - begin_ns, 1);
  return sample;
}

Result<double> MeasureColdBufferedReadBytesPerS(Env* env, const std::string& dir, uint64_t bytes,
                                                int rounds) {
  const std::string path = dir + "/read-probe.tmp";
  FileOptions options;
  options.create_truncate = true;
  auto file = env->OpenFile(path, options);
  if (!file.ok()) return Status::IOError("open " + path, file.status().message());
  const std::vector<char> block(kWriteBlockBytes, 'r');
  const uint64_t blocks = std::max<uint64_t>(bytes / kWriteBlockBytes, 1);
  Status s;
  for (uint64_t i = 0; i < blocks && s.ok(); ++i) {
    s = (*file)->WriteAt(i * kWriteBlockBytes, block.data(), block.size());
  }
  if (s.ok()) s = (*file)->Fdatasync();
  file.value().reset();  // close: each round opens the file afresh, as a restarted engine does
  std::vector<double> rates;
  for (int i = 0; i < rounds && s.ok(); ++i) {
    Result<ColdReadSample> r =
        ReadFileColdBuffered(env, path, blocks * kWriteBlockBytes, kReadBlockBytes, 0);
    if (r.ok()) {
      rates.push_back(r->BytesPerS());
    } else {
      s = r.status();
    }
  }
  (void)env->RemoveFile(path);
  if (!s.ok()) return Status::IOError("read probe " + path, s.message());
  if (rates.empty()) return Status::InvalidArgument("rounds", "at least one round is needed");
  std::sort(rates.begin(), rates.end());
  return rates[rates.size() / 2];
}

Result<double> TimeCleanFsyncPassesUs(Env* env, const std::vector<std::string>& paths, int rounds,
                                      uint64_t deadline_ns) {
  if (paths.empty()) return Status::InvalidArgument("files", "at least one file is needed");
  if (rounds < 1) return Status::InvalidArgument("rounds", "at least one round is needed");
  std::vector<double> per_file_us;
  for (int r = 0; r < rounds; ++r) {
    if (r > 0 && deadline_ns != 0 && env->NowNanos() >= deadline_ns) break;
    const uint64_t begin_ns = env->NowNanos();
    for (const std::string& path : paths) {
      FileOptions read;
      read.read = true;
      auto file = env->OpenFile(path, read);
      if (!file.ok()) return file.status();
      WALTUNE_RETURN_IF_ERROR((*file)->Fsync());
    }
    per_file_us.push_back(static_cast<double>(env->NowNanos() - begin_ns) / 1e3 /
                          static_cast<double>(paths.size()));
  }
  std::sort(per_file_us.begin(), per_file_us.end());
  return per_file_us[per_file_us.size() / 2];
}

Result<double> MeasureCleanFsyncUs(Env* env, const std::string& dir, int files, int rounds) {
  if (files < 1) return Status::InvalidArgument("files", "at least one file is needed");
  if (rounds < 1) return Status::InvalidArgument("rounds", "at least one round is needed");
  std::vector<std::string> paths;
  const std::vector<char> page(kCleanFsyncFileBytes, 's');
  Status s;
  for (int i = 0; i < files && s.ok(); ++i) {
    paths.push_back(dir + "/clean-fsync-" + std::to_string(i) + ".tmp");
    FileOptions create;
    create.create_truncate = true;
    auto file = env->OpenFile(paths.back(), create);
    if (!file.ok()) {
      s = file.status();
      paths.pop_back();
      break;
    }
    s = (*file)->WriteAt(0, page.data(), page.size());
    if (s.ok()) s = (*file)->Fsync();
  }
  Result<double> us = s.ok() ? TimeCleanFsyncPassesUs(env, paths, rounds, 0) : Result<double>(s);
  for (const std::string& path : paths) (void)env->RemoveFile(path);
  if (!us.ok()) return Status::IOError("clean fsync probe in " + dir, us.status().message());
  return us;
}

}  // namespace waltune
