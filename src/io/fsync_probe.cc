// RunProbe: the measuring phases of `waltune probe`, on an Env.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <thread>

#include "aligned_buffer.h"
#include "group_commit_log.h"
#include "waltune/probe.h"
#include "waltune/units.h"

namespace waltune {
namespace {

constexpr uint64_t kNanosPerSecond = 1000000000ull;

// Share of the budget each phase gets, in budget units.
constexpr double kWeightOverwrite = 1.0;  // per sync method
constexpr double kWeightAppend = 0.5;     // per sync method
constexpr double kWeightWriteSize = 0.4;  // per flush pattern
constexpr double kWeightSeqWrite = 1.5;
constexpr double kWeightGroupCommit = 0.8;  // per writer count
constexpr double kWeightRandomIo = 0.4;     // per random write/read phase (6 of them)
constexpr double kWeightSeqRead = 0.5;
constexpr double kWeightBufferedRead = 0.5;
constexpr double kWeightCleanFsync = 0.5;
// The clean-fsync phase creates at least this many files even past its deadline, and at most
// the larger number (Env::Default() tracks every probe file for its signal handler, in a fixed
// table).
constexpr int kMinCleanFsyncFiles = 8;
constexpr int kMaxCleanFsyncFiles = 100;
constexpr int kCleanFsyncRounds = 3;
constexpr double kWeightIdleGap = 0.2;  // per idle gap (3 of them)
constexpr int kIdleGapCount =
    static_cast<int>(sizeof(kFlushIdleGapsUs) / sizeof(kFlushIdleGapsUs[0]));

struct RandomIoPhase {
  bool read;
  uint64_t block_bytes;
  bool flush_each;
};
const std::vector<RandomIoPhase>& RandomIoPhases() {
  static const std::vector<RandomIoPhase> phases = {{false, 8192, false},  {false, 8192, true},
                                                    {false, 16384, false}, {false, 16384, true},
                                                    {true, 8192, false},   {true, 16384, false}};
  return phases;
}

struct WritePattern {
  int writes_per_flush;
  uint64_t write_bytes;
};

FileOptions OptionsFor(const std::string& method) {
  FileOptions o;
  o.dsync = method == kOpenDatasync || method == kOpenDatasyncDirect;
  o.direct = method == kOpenDatasyncDirect;
  return o;
}

FlushCall FlushCallFor(const std::string& method) {
  if (method == kFdatasync) return FlushCall::kFdatasync;
  if (method == kFsync) return FlushCall::kFsync;
  return FlushCall::kNone;
}

// REQUIRES: flush is one of the FlushCall values.
Status Flush(ProbeFile* file, FlushCall flush) {
  switch (flush) {
    case FlushCall::kFdatasync:
      return file->Fdatasync();
    case FlushCall::kFsync:
      return file->Fsync();
    case FlushCall::kNone:
      return Status::Ok();
  }
  return Status::Internal("unknown flush call");
}

// One run of the probe. Owns the files it creates and removes them when destroyed.
class ProbeRun {
 public:
  ProbeRun(Env* env, const ProbeOptions& options, double total_weight)
      : env_(env),
        options_(options),
        nanos_per_weight_(options.budget_s * kNanosPerSecond / total_weight),
        start_ns_(env->NowNanos()) {}
  ProbeRun(const ProbeRun&) = delete;
  ProbeRun& operator=(const ProbeRun&) = delete;
  ~ProbeRun() {
    for (const std::string& path : created_) {
      env_->RemoveFile(path).ok();  // best effort: nothing left to report to
    }
  }

  Status Run(StorageProfile* profile);

 private:
  struct Phase {
    uint64_t deadline_ns;
  };
  Phase BeginPhase(double weight, const std::string& label);
  Result<std::unique_ptr<ProbeFile>> CreateFile(std::string* path);

  Status PrepareSegment();
  // Overwrites (append == false) or appends 8 KiB blocks with `method` until the phase ends.
  Result<SyncMethodResult> MeasureMethod(const std::string& method, bool append, double weight,
                                         const WritePattern& pattern, const std::string& label);
  Status MeasureFlushLoop(ProbeFile* file, FlushCall flush, bool append,
                          const WritePattern& pattern, const Phase& phase, LatencyStats* stats);
  Status MeasureSequentialWrite(StorageProfile* profile);
  // The method's overwrite + flush after the device sat idle `gap_us`, until the phase ends.
  Status MeasureFlushAfterIdle(const std::string& method, uint64_t gap_us, IdleFlushResult* r);
  Status MeasureGroupCommit(const std::string& method, int writers, GroupCommitPoint* point);
  Status MeasureRandomIo(const RandomIoPhase& phase, RandomIoResult* result);
  // Opens the sequential phase's file for reading, bypassing the cache (O_DIRECT, or a cache
  // drop when the file system refuses it); `cache` says which.
  Result<std::unique_ptr<ProbeFile>> OpenForColdRead(std::string* cache);
  Status MeasureSequentialRead(StorageProfile* profile);
  // The same file again through the page cache, after dropping its pages (readahead on).
  Status MeasureBufferedRead(StorageProfile* profile);
  // fsync of files with nothing dirty (what PostgreSQL's crash recovery pays per file of the
  // data directory): MeasureCleanFsyncUs's passes on files of this run.
  Status MeasureCleanFsync(StorageProfile* profile);

  Env* const env_;
  const ProbeOptions& options_;
  const double nanos_per_weight_;
  const uint64_t start_ns_;
  std::string segment_path_;
  std::string seq_path_;  // the sequential phase's file, reused by the random-I/O phases
  uint64_t seq_written_ = 0;
  std::vector<std::string> created_;
  int next_file_ = 0;
  int phase_ = 0;
  int phase_count_ = 0;
};

std::vector<WritePattern> WritePatterns(uint64_t block_bytes) {
  return {{1, block_bytes}, {2, block_bytes}, {1, 2 * block_bytes}};
}

const std::vector<std::string>& WriteSizeMethods() {
  static const std::vector<std::string> methods = {kFdatasync, kOpenDatasync};
  return methods;
}

int PhaseCount(const ProbeOptions& o) {
  const int methods = static_cast<int>(SyncMethodNames().size());
  return 1 + 2 * methods + static_cast<int>(WriteSizeMethods().size() * 3) + kIdleGapCount + 1 +
         static_cast<int>(o.group_commit_writers.size()) +
         static_cast<int>(RandomIoPhases().size()) + 3;
}

double TotalWeight(const ProbeOptions& o) {
  const double methods = static_cast<double>(SyncMethodNames().size());
  return methods * (kWeightOverwrite + kWeightAppend) +
         static_cast<double>(WriteSizeMethods().size() * 3) * kWeightWriteSize +
         kIdleGapCount * kWeightIdleGap + kWeightSeqWrite +
         static_cast<double>(o.group_commit_writers.size()) * kWeightGroupCommit +
         static_cast<double>(RandomIoPhases().size()) * kWeightRandomIo + kWeightSeqRead +
         kWeightBufferedRead + kWeightCleanFsync;
}

ProbeRun::Phase ProbeRun::BeginPhase(double weight, const std::string& label) {
  const uint64_t now = env_->NowNanos();
  ++phase_;
  if (options_.progress) {
    options_.progress(ProbeProgress{phase_, phase_count_, label,
                                    static_cast<double>(now - start_ns_) / kNanosPerSecond});
  }
  return Phase{now + static_cast<uint64_t>(weight * nanos_per_weight_)};
}

Result<std::unique_ptr<ProbeFile>> ProbeRun::CreateFile(std::string* path) {
  *path = fmt::format("{}/.waltune-probe-{}-{}", options_.path, env_->ProcessId(), next_file_++);
  FileOptions o;
  o.create_exclusive = true;
  auto file = env_->OpenFile(*path, o);
  if (file.ok()) created_.push_back(*path);
  return file;
}

// The segment every overwrite phase cycles through: preallocated and zero-filled, then flushed,
// as PostgreSQL prepares a WAL segment before use.
Status ProbeRun::PrepareSegment() {
  BeginPhase(0, "preparing a zero-filled segment file");
  auto file = CreateFile(&segment_path_);
  if (!file.ok()) {
    return Status::InvalidArgument(
        "--path", "cannot create a file in " + options_.path + ": " + file.status().ToString());
  }
  WALTUNE_RETURN_IF_ERROR((*file)->Allocate(options_.segment_bytes));
  AlignedBuffer zeros(std::min<uint64_t>(options_.segment_bytes, kMiB));
  for (uint64_t offset = 0; offset < options_.segment_bytes; offset += zeros.size()) {
    size_t n =
        static_cast<size_t>(std::min<uint64_t>(zeros.size(), options_.segment_bytes - offset));
    WALTUNE_RETURN_IF_ERROR((*file)->WriteAt(offset, zeros.data(), n));
  }
  return (*file)->Fsync();
}

Status ProbeRun::MeasureFlushLoop(ProbeFile* file, FlushCall flush, bool append,
                                  const WritePattern& pattern, const Phase& phase,
                                  LatencyStats* stats) {
  AlignedBuffer block(pattern.write_bytes);
  std::memset(block.data(), 'w', block.size());
  const uint64_t op_bytes = pattern.write_bytes * static_cast<uint64_t>(pattern.writes_per_flush);
  std::vector<uint64_t> samples_ns;
  uint64_t offset = 0;
  const uint64_t begin_ns = env_->NowNanos();
  uint64_t now_ns = begin_ns;
  while (samples_ns.size() < options_.max_ops_per_phase &&
         (samples_ns.empty() || now_ns < phase.deadline_ns)) {
    if (!append && offset + op_bytes > options_.segment_bytes) offset = 0;
    const uint64_t t0 = env_->NowNanos();
    for (int w = 0; w < pattern.writes_per_flush; ++w) {
      WALTUNE_RETURN_IF_ERROR(file->WriteAt(offset, block.data(), pattern.write_bytes));
      offset += pattern.write_bytes;
    }
    WALTUNE_RETURN_IF_ERROR(Flush(file, flush));
    now_ns = env_->NowNanos();
    samples_ns.push_back(now_ns - t0);
  }
  *stats = ComputeLatencyStats(std::move(samples_ns), std::max<uint64_t>(now_ns - begin_ns, 1));
  return Status::Ok();
}

Result<SyncMethodResult> ProbeRun::MeasureMethod(const std::string& method, bool append,
                                                 double weight, const WritePattern& pattern,
                                                 const std::string& label) {
  Phase phase = BeginPhase(weight, label);
  SyncMethodResult result;
  result.method = method;
  std::string path = segment_path_;
  if (append) {
    auto created = CreateFile(&path);  // a new, empty file that every write extends
    if (!created.ok()) return created.status();
  }
  auto file = env_->OpenFile(path, OptionsFor(method));
  Status s = file.ok() ? MeasureFlushLoop(file->get(), FlushCallFor(method), append, pattern, phase,
                                          &result.stats)
                       : file.status();
  // An append file stays until the end of the run: deleting it now (a TRIM of its blocks on
  // a file system mounted with `discard`) would slow down the phases after it.
  if (s.code() == Status::Code::kUnavailable) {  // O_DIRECT refused: report, do not fail
    result.supported = false;
    result.note = s.message();
    result.stats = LatencyStats{};
    return result;
  }
  if (!s.ok()) return s;
  return result;
}

Status ProbeRun::MeasureFlushAfterIdle(const std::string& method, uint64_t gap_us,
                                       IdleFlushResult* r) {
  Phase phase = BeginPhase(kWeightIdleGap,
                           fmt::format("{}, 8 KiB overwrite after {} us idle", method, gap_us));
  auto file = env_->OpenFile(segment_path_, OptionsFor(method));
  if (!file.ok()) return file.status();
  const FlushCall flush = FlushCallFor(method);
  AlignedBuffer block(options_.block_bytes);
  std::memset(block.data(), 'i', block.size());
  std::vector<uint64_t> flush_ns;
  std::vector<double> idle_us;
  uint64_t offset = 0;
  const uint64_t begin_ns = env_->NowNanos();
  uint64_t last_end_ns = begin_ns;
  while (flush_ns.size() < options_.max_ops_per_phase &&
         (flush_ns.empty() || last_end_ns < phase.deadline_ns)) {
    if (offset + options_.block_bytes > options_.segment_bytes) offset = 0;
    env_->SleepMicros(gap_us);
    const uint64_t t0 = env_->NowNanos();
    WALTUNE_RETURN_IF_ERROR((*file)->WriteAt(offset, block.data(), options_.block_bytes));
    offset += options_.block_bytes;
    WALTUNE_RETURN_IF_ERROR(Flush(file->get(), flush));
    const uint64_t end = env_->NowNanos();
    idle_us.push_back(static_cast<double>(t0 - last_end_ns) / 1000.0);
    flush_ns.push_back(end - t0);
    last_end_ns = end;
  }
  std::sort(idle_us.begin(), idle_us.end());
  r->gap_us = gap_us;
  r->idle_p50_us = idle_us[(idle_us.size() - 1) / 2];
  r->stats =
      ComputeLatencyStats(std::move(flush_ns), std::max<uint64_t>(last_end_ns - begin_ns, 1));
  return Status::Ok();
}

Status ProbeRun::MeasureSequentialWrite(StorageProfile* profile) {
  Phase phase = BeginPhase(kWeightSeqWrite, "sequential write bandwidth");
  uint64_t cap_bytes = options_.seq_max_bytes;
  auto free_bytes = env_->FreeBytes(options_.path);
  if (free_bytes.ok()) cap_bytes = std::min(cap_bytes, *free_bytes / 10);
  std::string path;
  auto file = CreateFile(&path);
  if (!file.ok()) return file.status();
  AlignedBuffer block(options_.seq_block_bytes);
  std::memset(block.data(), 's', block.size());
  const uint64_t begin_ns = env_->NowNanos();
  // Stop writing at half the phase, leaving the other half for the final flush.
  const uint64_t stop_writing_ns = begin_ns + (phase.deadline_ns - begin_ns) / 2;
  uint64_t written = 0;
  while (written + block.size() <= cap_bytes &&
         (written == 0 || env_->NowNanos() < stop_writing_ns)) {
    WALTUNE_RETURN_IF_ERROR((*file)->WriteAt(written, block.data(), block.size()));
    written += block.size();
  }
  if (written > 0) WALTUNE_RETURN_IF_ERROR((*file)->Fdatasync());
  const uint64_t elapsed_ns = std::max<uint64_t>(env_->NowNanos() - begin_ns, 1);
  profile->seq_write_bytes = written;
  seq_path_ = path;
  seq_written_ = written;
  profile->seq_write_bytes_per_s = static_cast<double>(written) * kNanosPerSecond / elapsed_ns;
  return Status::Ok();
}

Result<std::unique_ptr<ProbeFile>> ProbeRun::OpenForColdRead(std::string* cache) {
  FileOptions o;
  o.read = true;
  o.direct = true;
  auto file = env_->OpenFile(seq_path_, o);
  if (file.ok()) {
    *cache = "O_DIRECT";
  } else if (file.status().code() == Status::Code::kUnavailable) {
    o.direct = false;
    file = env_->OpenFile(seq_path_, o);
    *cache = "fadvise DONTNEED";
  }
  if (!file.ok()) return file.status();
  // Even under O_DIRECT, drop what the writes left in the cache.
  WALTUNE_RETURN_IF_ERROR((*file)->DropCache());
  return file;
}

// Random page writes or reads at deterministic pseudo-random block offsets of the sequential
// phase's file, until the phase ends (at most one op per block of the file, and at most
// max_ops_per_phase). Writes without a flush each end with one fdatasync, counted in ops_per_s.
Status ProbeRun::MeasureRandomIo(const RandomIoPhase& rp, RandomIoResult* r) {
  const std::string label = fmt::format("random {} KiB {}", rp.block_bytes / 1024,
                                        rp.read         ? "reads (uncached)"
                                        : rp.flush_each ? "writes + fdatasync"
                                                        : "writes");
  Phase phase = BeginPhase(kWeightRandomIo, label);
  r->read = rp.read;
  r->block_bytes = rp.block_bytes;
  r->flush_each = rp.flush_each;
  const uint64_t blocks = seq_written_ / rp.block_bytes;
  if (blocks < 2) {
    r->note = "not measured: the sequential phase wrote too little";
    return Status::Ok();
  }
  std::unique_ptr<ProbeFile> file;
  if (rp.read) {
    auto opened = OpenForColdRead(&r->cache);
    if (!opened.ok()) return opened.status();
    file = std::move(opened).value();
  } else {
    auto opened = env_->OpenFile(seq_path_, FileOptions{});
    if (!opened.ok()) return opened.status();
    file = std::move(opened).value();
  }
  AlignedBuffer block(rp.block_bytes);
  std::memset(block.data(), 'r', block.size());
  const uint64_t max_ops = std::min<uint64_t>(options_.max_ops_per_phase, blocks);
  uint64_t state = 0x9e3779b97f4a7c15ull;  // fixed seed: the same offsets on every run
  std::vector<uint64_t> samples_ns;
  const uint64_t begin_ns = env_->NowNanos();
  uint64_t now_ns = begin_ns;
  while (samples_ns.size() < max_ops && (samples_ns.empty() || now_ns < phase.deadline_ns)) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    const uint64_t offset = ((state >> 33) % blocks) * rp.block_bytes;
    const uint64_t t0 = env_->NowNanos();
    if (rp.read) {
      Status st = file->ReadAt(offset, block.data(), block.size());
      if (st.code() == Status::Code::kUnavailable) {
        r->note = st.message();
        return Status::Ok();
      }
      WALTUNE_RETURN_IF_ERROR(st);
    } else {
      WALTUNE_RETURN_IF_ERROR(file->WriteAt(offset, block.data(), block.size()));
      if (rp.flush_each) WALTUNE_RETURN_IF_ERROR(file->Fdatasync());
    }
    now_ns = env_->NowNanos();
    samples_ns.push_back(now_ns - t0);
  }
  if (!rp.read && !rp.flush_each) {
    WALTUNE_RETURN_IF_ERROR(file->Fdatasync());
    now_ns = env_->NowNanos();
  }
  const uint64_t elapsed_ns = std::max<uint64_t>(now_ns - begin_ns, 1);
  const double ops = static_cast<double>(samples_ns.size());
  r->stats = ComputeLatencyStats(std::move(samples_ns), elapsed_ns);
  r->ops_per_s = ops * kNanosPerSecond / elapsed_ns;
  return Status::Ok();
}

// Reads the sequential phase's file back in seq_block_bytes blocks from a cold cache, until
// the end of the file or the phase's end.
Status ProbeRun::MeasureSequentialRead(StorageProfile* profile) {
  Phase phase = BeginPhase(kWeightSeqRead, "sequential read bandwidth (uncached)");
  if (seq_written_ < options_.seq_block_bytes) return Status::Ok();
  auto file = OpenForColdRead(&profile->seq_read_cache);
  if (!file.ok()) return file.status();
  AlignedBuffer block(options_.seq_block_bytes);
  const uint64_t begin_ns = env_->NowNanos();
  uint64_t read = 0;
  while (read + block.size() <= seq_written_ &&
         (read == 0 || env_->NowNanos() < phase.deadline_ns)) {
    Status st = (*file)->ReadAt(read, block.data(), block.size());
    if (st.code() == Status::Code::kUnavailable) {
      profile->seq_read_cache = "";
      return Status::Ok();
    }
    WALTUNE_RETURN_IF_ERROR(st);
    read += block.size();
  }
  const uint64_t elapsed_ns = std::max<uint64_t>(env_->NowNanos() - begin_ns, 1);
  profile->seq_read_bytes = read;
  profile->seq_read_bytes_per_s = static_cast<double>(read) * kNanosPerSecond / elapsed_ns;
  return Status::Ok();
}

Status ProbeRun::MeasureBufferedRead(StorageProfile* profile) {
  Phase phase =
      BeginPhase(kWeightBufferedRead, "sequential read through the page cache (uncached)");
  if (seq_written_ < options_.seq_block_bytes) return Status::Ok();
  Result<ColdReadSample> r = ReadFileColdBuffered(env_, seq_path_, seq_written_,
                                                  options_.seq_block_bytes, phase.deadline_ns);
  if (!r.ok()) return r.status();
  profile->buffered_read_bytes = r->bytes;
  profile->buffered_read_bytes_per_s = r->BytesPerS();
  return Status::Ok();
}

Status ProbeRun::MeasureCleanFsync(StorageProfile* profile) {
  Phase phase = BeginPhase(kWeightCleanFsync, "fsync of files with nothing dirty");
  std::vector<std::string> paths;
  const std::vector<char> page(kCleanFsyncFileBytes, 's');
  while (static_cast<int>(paths.size()) < options_.clean_fsync_files &&
         (static_cast<int>(paths.size()) < kMinCleanFsyncFiles ||
          env_->NowNanos() < phase.deadline_ns)) {
    std::string path;
    auto file = CreateFile(&path);
    if (!file.ok()) return file.status();
    WALTUNE_RETURN_IF_ERROR((*file)->WriteAt(0, page.data(), page.size()));
    WALTUNE_RETURN_IF_ERROR((*file)->Fsync());
    paths.push_back(path);
  }
  Result<double> us = TimeCleanFsyncPassesUs(env_, paths, kCleanFsyncRounds, phase.deadline_ns);
  if (!us.ok()) return us.status();
  profile->clean_fsync_us = *us;
  profile->clean_fsync_files = static_cast<int>(paths.size());
  return Status::Ok();
}

Status ProbeRun::MeasureGroupCommit(const std::string& method, int writers,
                                    GroupCommitPoint* point) {
  Phase phase = BeginPhase(kWeightGroupCommit, fmt::format("group commit, {} writer{}", writers,
                                                           writers == 1 ? "" : "s"));
  auto file = env_->OpenFile(segment_path_, OptionsFor(method));
  if (!file.ok()) return file.status();
  GroupCommitLog log(file->get(), options_.segment_bytes, options_.block_bytes,
                     FlushCallFor(method));
  std::vector<std::vector<uint64_t>> latencies(static_cast<size_t>(writers));
  std::vector<Status> errors(static_cast<size_t>(writers));
  const uint64_t begin_ns = env_->NowNanos();
  std::vector<std::thread> threads;
  for (int w = 0; w < writers; ++w) {
    threads.emplace_back([&, w] {
      std::string record(options_.record_bytes, static_cast<char>('a' + w % 26));
      auto& mine = latencies[static_cast<size_t>(w)];
      uint64_t now = env_->NowNanos();
      while (now < phase.deadline_ns || mine.empty()) {
        Status s = log.Commit(record.data(), record.size());
        uint64_t done = env_->NowNanos();
        if (!s.ok()) {
          errors[static_cast<size_t>(w)] = s;
          return;
        }
        mine.push_back(done - now);
        now = done;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  const uint64_t elapsed_ns = std::max<uint64_t>(env_->NowNanos() - begin_ns, 1);
  for (const Status& s : errors) WALTUNE_RETURN_IF_ERROR(s);
  std::vector<uint64_t> all;
  for (const auto& v : latencies) all.insert(all.end(), v.begin(), v.end());
  LatencyStats stats = ComputeLatencyStats(std::move(all), elapsed_ns);
  point->writers = writers;
  point->commits = log.commits();
  point->flushes = log.flushes();
  point->commits_per_s = static_cast<double>(point->commits) * kNanosPerSecond / elapsed_ns;
  point->mean_batch =
      point->flushes == 0 ? 0 : static_cast<double>(point->commits) / point->flushes;
  point->commit_p50_us = stats.p50_us;
  point->commit_p99_us = stats.p99_us;
  return Status::Ok();
}

Status ProbeRun::Run(StorageProfile* profile) {
  phase_count_ = PhaseCount(options_);
  WALTUNE_RETURN_IF_ERROR(PrepareSegment());
  const WritePattern one_block{1, options_.block_bytes};
  for (const std::string& method : SyncMethodNames()) {
    auto r =
        MeasureMethod(method, false, kWeightOverwrite, one_block, method + ", 8 KiB overwrites");
    if (!r.ok()) return r.status();
    profile->sync_methods.push_back(*r);
  }
  for (const std::string& method : SyncMethodNames()) {
    auto r = MeasureMethod(method, true, kWeightAppend, one_block, method + ", 8 KiB appends");
    if (!r.ok()) return r.status();
    profile->append_sync_methods.push_back(*r);
  }
  for (const std::string& method : WriteSizeMethods()) {
    for (const WritePattern& pattern : WritePatterns(options_.block_bytes)) {
      auto r = MeasureMethod(method, false, kWeightWriteSize, pattern,
                             fmt::format("{}, {} x {} KiB per flush", method,
                                         pattern.writes_per_flush, pattern.write_bytes / 1024));
      if (!r.ok()) return r.status();
      profile->write_sizes.push_back(WriteSizeResult{method, pattern.writes_per_flush,
                                                     pattern.write_bytes, r->note, r->stats});
    }
  }
  profile->recommended_sync_method =
      RecommendSyncMethod(&profile->sync_methods, profile->device, &profile->recommendation_reason);
  profile->flush_after_idle_method =
      profile->recommended_sync_method.empty() ? kFdatasync : profile->recommended_sync_method;
  for (uint64_t gap_us : kFlushIdleGapsUs) {
    IdleFlushResult r;
    WALTUNE_RETURN_IF_ERROR(MeasureFlushAfterIdle(profile->flush_after_idle_method, gap_us, &r));
    profile->flush_after_idle.push_back(r);
  }
  // The curve uses the recommended method: it is what the database will be told to use.
  profile->group_commit_method =
      profile->recommended_sync_method.empty() ? kFdatasync : profile->recommended_sync_method;
  profile->group_commit_record_bytes = options_.record_bytes;
  for (int writers : options_.group_commit_writers) {
    GroupCommitPoint point;
    WALTUNE_RETURN_IF_ERROR(MeasureGroupCommit(profile->group_commit_method, writers, &point));
    profile->group_commit_curve.push_back(point);
  }
  // Last: its hundreds of MiB of write-back must not overlap the latency phases.
  WALTUNE_RETURN_IF_ERROR(MeasureSequentialWrite(profile));
  // On the file the sequential phase wrote: random page writes, then cold reads.
  for (const RandomIoPhase& rp : RandomIoPhases()) {
    RandomIoResult r;
    WALTUNE_RETURN_IF_ERROR(MeasureRandomIo(rp, &r));
    profile->random_io.push_back(r);
  }
  WALTUNE_RETURN_IF_ERROR(MeasureSequentialRead(profile));
  WALTUNE_RETURN_IF_ERROR(MeasureBufferedRead(profile));
  WALTUNE_RETURN_IF_ERROR(MeasureCleanFsync(profile));
  profile->elapsed_s = static_cast<double>(env_->NowNanos() - start_ns_) / kNanosPerSecond;
  return Status::Ok();
}

Status ValidateOptions(const ProbeOptions& o) {
  if (!(o.budget_s > 0) || o.budget_s > 3600) {
    return Status::InvalidArgument("--seconds", "must be more than 0 and at most 3600");
  }
  if (o.block_bytes == 0 || o.block_bytes % kDirectIoAlignmentBytes != 0) {
    return Status::InvalidArgument("block_bytes", "must be a multiple of 4096");
  }
  if (o.segment_bytes < 2 * o.block_bytes || o.segment_bytes % o.block_bytes != 0) {
    return Status::InvalidArgument("segment_bytes", "must be a multiple of 2 blocks");
  }
  if (o.seq_block_bytes % kDirectIoAlignmentBytes != 0 || o.seq_block_bytes == 0 ||
      o.record_bytes == 0 || o.max_ops_per_phase == 0) {
    return Status::InvalidArgument("options", "sizes and counts must be positive");
  }
  if (o.clean_fsync_files < kMinCleanFsyncFiles || o.clean_fsync_files > kMaxCleanFsyncFiles) {
    return Status::InvalidArgument(
        "clean_fsync_files",
        fmt::format("must be {} to {}", kMinCleanFsyncFiles, kMaxCleanFsyncFiles));
  }
  for (int w : o.group_commit_writers) {
    if (w < 1 || w > 256) return Status::InvalidArgument("group_commit_writers", "1 to 256");
  }
  return Status::Ok();
}

}  // namespace

ProbeOptions ProbeOptions::Quick(std::string path) {
  ProbeOptions o;
  o.path = std::move(path);
  o.quick = true;
  o.budget_s = 7;
  o.seq_max_bytes = 128ull * 1024 * 1024;
  o.clean_fsync_files = 32;
  return o;
}

Result<StorageProfile> RunProbe(Env* env, const ProbeOptions& options) {
  WALTUNE_RETURN_IF_ERROR(ValidateOptions(options));
  WALTUNE_RETURN_IF_ERROR(env->CheckDirectory(options.path));
  auto device = ReadDeviceInfo(env, options.path);
  if (!device.ok()) return device.status();
  StorageProfile profile;
  profile.device = *device;
  profile.quick = options.quick;
  profile.budget_s = options.budget_s;
  {
    ProbeOptions resolved = options;
    resolved.path = device->path;  // files go into the canonical directory
    ProbeRun run(env, resolved, TotalWeight(resolved));
    WALTUNE_RETURN_IF_ERROR(run.Run(&profile));
  }
  double fdatasync_p50_us = 0;
  for (const SyncMethodResult& m : profile.sync_methods) {
    if (m.method == kFdatasync) fdatasync_p50_us = m.stats.p50_us;
  }
  profile.classification = ClassifyStorage(profile.device, fdatasync_p50_us);
  profile.warnings = profile.classification.warnings;
  for (const SyncMethodResult& m : profile.sync_methods) {
    if (m.supported && !m.safe) profile.warnings.push_back(m.method + ": " + m.note);
  }
  return profile;
}

}  // namespace waltune
