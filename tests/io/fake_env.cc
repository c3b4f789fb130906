#include "fake_env.h"

#include <algorithm>

namespace waltune::testing {

class FakeFile : public ProbeFile {
 public:
  FakeFile(FakeEnv* env, std::string path, FileOptions options)
      : env_(env), path_(std::move(path)), options_(options) {}

  Status WriteAt(uint64_t offset_bytes, const char* data, size_t n) override {
    if (options_.direct &&
        (offset_bytes % kDirectIoAlignmentBytes != 0 || n % kDirectIoAlignmentBytes != 0 ||
         reinterpret_cast<uintptr_t>(data) % kDirectIoAlignmentBytes != 0)) {
      return Status::Internal("FakeFile: unaligned O_DIRECT write");
    }
    return env_->DoWrite(path_, options_, offset_bytes, data, n);
  }
  Status Fdatasync() override { return env_->DoFlush(path_, options_, FakeOp::Kind::kFdatasync); }
  Status Fsync() override { return env_->DoFlush(path_, options_, FakeOp::Kind::kFsync); }
  Status Allocate(uint64_t length_bytes) override { return env_->DoAllocate(path_, length_bytes); }
  Status ReadAt(uint64_t offset_bytes, char* data, size_t n) override {
    if (!options_.read) return Status::Internal("FakeFile: read from a file opened write-only");
    if (options_.direct &&
        (offset_bytes % kDirectIoAlignmentBytes != 0 || n % kDirectIoAlignmentBytes != 0 ||
         reinterpret_cast<uintptr_t>(data) % kDirectIoAlignmentBytes != 0)) {
      return Status::Internal("FakeFile: unaligned O_DIRECT read");
    }
    return env_->DoRead(path_, options_, offset_bytes, data, n);
  }
  Status DropCache() override { return env_->DoDropCache(path_, options_); }

 private:
  FakeEnv* const env_;
  const std::string path_;
  const FileOptions options_;
};

Result<std::unique_ptr<ProbeFile>> FakeEnv::OpenFile(const std::string& path,
                                                     const FileOptions& options) {
  std::lock_guard<std::mutex> lock(mu_);
  if (options.direct && refuse_direct) {
    return Status::Unavailable(path, "O_DIRECT refused by the file system (EINVAL)");
  }
  const size_t slash = path.find_last_of('/');
  const std::string dir = path.substr(0, slash);
  if (!directories_.count(dir)) return Status::IOError(path, "No such file or directory");
  bool exists = files_.count(path) > 0;
  if (options.create_exclusive) {
    if (refuse_create) return Status::IOError(path, "Permission denied");
    if (exists) return Status::IOError(path, "File exists");
    files_[path] = FileState{};
    created_.insert(path);
  } else if (options.create_truncate) {
    if (refuse_create) return Status::IOError(path, "Permission denied");
    files_[path] = FileState{};
  } else if (!exists) {
    return Status::IOError(path, "No such file or directory");
  }
  return std::unique_ptr<ProbeFile>(new FakeFile(this, path, options));
}

Status FakeEnv::DoWrite(const std::string& path, const FileOptions& o, uint64_t offset,
                        const char* data, size_t n) {
  uint64_t cost;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (++writes_ == fail_write_number) return Status::IOError(path, "No space left on device");
    if (o.direct && refuse_direct_writes) {
      return Status::Unavailable(path, "O_DIRECT write refused by the file system (EINVAL)");
    }
    FileState& f = files_.at(path);
    FakeOp op{FakeOp::Kind::kWrite, path, offset, n, o.dsync, o.direct, offset + n > f.size_bytes};
    if (op.grew_file) {
      f.size_bytes = offset + n;
      f.grew_since_flush = true;
    }
    if (keep_content) {
      if (f.content.size() < offset + n) f.content.resize(offset + n, '\0');
      f.content.replace(offset, n, data, n);
    }
    if (!o.dsync) f.dirty_bytes += n;
    if (o.dsync) f.grew_since_flush = false;
    ops_.push_back(op);
    cost = cost_ns(op);
    now_ns_ += cost;
  }
  return Status::Ok();
}

Status FakeEnv::DoFlush(const std::string& path, const FileOptions& o, FakeOp::Kind kind) {
  if (on_flush) on_flush();
  std::lock_guard<std::mutex> lock(mu_);
  FileState& f = files_.at(path);
  FakeOp op{kind, path, 0, f.dirty_bytes, o.dsync, o.direct, f.grew_since_flush};
  f.dirty_bytes = 0;
  f.grew_since_flush = false;
  ops_.push_back(op);
  now_ns_ += cost_ns(op);
  return Status::Ok();
}

Status FakeEnv::DoAllocate(const std::string& path, uint64_t length) {
  std::lock_guard<std::mutex> lock(mu_);
  FileState& f = files_.at(path);
  f.size_bytes = std::max(f.size_bytes, length);
  FakeOp op{FakeOp::Kind::kAllocate, path, 0, length, false, false, false};
  ops_.push_back(op);
  now_ns_ += cost_ns(op);
  return Status::Ok();
}

// Reads return the stored content when kept, zeros otherwise; past the end is a short read.
Status FakeEnv::DoRead(const std::string& path, const FileOptions& o, uint64_t offset, char* data,
                       size_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  FileState& f = files_.at(path);
  if (offset + n > f.size_bytes) return Status::IOError(path, "short read past the end");
  for (size_t i = 0; i < n; ++i) {
    data[i] = offset + i < f.content.size() ? f.content[offset + i] : 0;
  }
  FakeOp op{FakeOp::Kind::kRead, path, offset, n, o.dsync, o.direct, false};
  ops_.push_back(op);
  now_ns_ += cost_ns(op);
  return Status::Ok();
}

// fdatasync, then the cache drop: one kFdatasync op (as DoFlush) and one kDropCache op.
Status FakeEnv::DoDropCache(const std::string& path, const FileOptions& o) {
  WALTUNE_RETURN_IF_ERROR(DoFlush(path, o, FakeOp::Kind::kFdatasync));
  std::lock_guard<std::mutex> lock(mu_);
  FakeOp op{
      FakeOp::Kind::kDropCache, path, 0, files_.at(path).size_bytes, o.dsync, o.direct, false};
  ops_.push_back(op);
  now_ns_ += cost_ns(op);
  return Status::Ok();
}

// Recorded as one op with the directory as its path; fails for an unknown directory.
Status FakeEnv::SyncFileSystem(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!directories_.count(path)) return Status::IOError(path, "No such file or directory");
  ops_.push_back(FakeOp{FakeOp::Kind::kSyncFileSystem, path, 0, 0, false, false, false});
  return Status::Ok();
}

Status FakeEnv::RemoveFile(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  if (files_.erase(path) == 0) return Status::IOError(path, "No such file or directory");
  return Status::Ok();
}

Status FakeEnv::CheckDirectory(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!directories_.count(path)) {
    return Status::InvalidArgument("--path", path + ": No such file or directory");
  }
  return Status::Ok();
}

Result<uint64_t> FakeEnv::FreeBytes(const std::string&) {
  std::lock_guard<std::mutex> lock(mu_);
  return free_bytes_;
}

Result<std::string> FakeEnv::ReadTextFile(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = texts_.find(path);
  if (it == texts_.end()) return Status::IOError(path, "No such file or directory");
  return it->second;
}

Result<std::string> FakeEnv::RealPath(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = real_paths_.find(path);
  if (it != real_paths_.end()) return it->second;
  if (directories_.count(path) || texts_.count(path)) return path;
  return Status::IOError(path, "No such file or directory");
}

Result<std::vector<std::string>> FakeEnv::ListDirectory(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = listings_.find(path);
  if (it == listings_.end()) return Status::IOError(path, "No such file or directory");
  return it->second;
}

bool FakeEnv::FileExists(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  return texts_.count(path) || files_.count(path) || directories_.count(path);
}

Result<DeviceNumber> FakeEnv::DeviceOf(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = devices_.find(path);
  if (it == devices_.end()) return Status::IOError(path, "No such file or directory");
  return it->second;
}

uint64_t FakeEnv::NowNanos() {
  std::lock_guard<std::mutex> lock(mu_);
  return now_ns_;
}

// The clock advances by the time asked for plus what cost_ns scripts (the overshoot).
void FakeEnv::SleepMicros(uint64_t us) {
  std::lock_guard<std::mutex> lock(mu_);
  FakeOp op;
  op.kind = FakeOp::Kind::kSleep;
  op.sleep_us = us;
  ops_.push_back(op);
  now_ns_ += us * 1000 + cost_ns(op);
}

std::vector<FakeOp> FakeEnv::ops() const {
  std::lock_guard<std::mutex> lock(mu_);
  return ops_;
}

int FakeEnv::CountOps(FakeOp::Kind kind) const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(std::count_if(ops_.begin(), ops_.end(),
                                        [kind](const FakeOp& op) { return op.kind == kind; }));
}

std::set<std::string> FakeEnv::ExistingFiles() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::set<std::string> names;
  for (const auto& [path, state] : files_) names.insert(path);
  return names;
}

std::set<std::string> FakeEnv::CreatedFiles() const {
  std::lock_guard<std::mutex> lock(mu_);
  return created_;
}

std::string FakeEnv::Content(const std::string& path) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = files_.find(path);
  return it == files_.end() ? "" : it->second.content;
}

uint64_t FakeEnv::now_ns() const {
  std::lock_guard<std::mutex> lock(mu_);
  return now_ns_;
}

}  // namespace waltune::testing
