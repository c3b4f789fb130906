#include "group_commit_log.h"

#include <algorithm>
#include <cstring>

#include "aligned_buffer.h"

namespace waltune {

GroupCommitLog::GroupCommitLog(ProbeFile* file, uint64_t capacity_bytes, uint64_t page_bytes,
                               FlushCall flush)
    : file_(file), capacity_bytes_(capacity_bytes), page_bytes_(page_bytes), flush_(flush) {
  assert(page_bytes_ % kDirectIoAlignmentBytes == 0);
  assert(capacity_bytes_ % page_bytes_ == 0 && capacity_bytes_ > 0);
}

Status GroupCommitLog::Commit(const char* data, size_t n) {
  std::unique_lock<std::mutex> lock(mu_);
  if (!error_.ok()) return error_;
  tail_.append(data, n);
  const uint64_t my_record = ++appended_records_;
  ++waiting_records_;
  while (durable_records_ < my_record && error_.ok()) {
    if (flushing_) {
      flushed_.wait(lock);
    } else {
      LeadFlush(&lock);
    }
  }
  if (!error_.ok()) return error_;
  ++commits_;
  return Status::Ok();
}

void GroupCommitLog::LeadFlush(std::unique_lock<std::mutex>* lock) {
  assert(!flushing_);
  flushing_ = true;
  // Take the batch: every record appended so far, padded to whole pages.
  const uint64_t batch_last_record = appended_records_;
  waiting_records_ = 0;
  const uint64_t write_offset = tail_offset_;
  const uint64_t end_offset = tail_offset_ + tail_.size();
  AlignedBuffer pages((tail_.size() + page_bytes_ - 1) / page_bytes_ * page_bytes_);
  const size_t write_bytes = static_cast<size_t>((end_offset - write_offset + page_bytes_ - 1) /
                                                 page_bytes_ * page_bytes_);
  std::memcpy(pages.data(), tail_.data(), tail_.size());
  // Keep only the last, partial page: the next flush writes it again with more records.
  const uint64_t keep_from = end_offset / page_bytes_ * page_bytes_;
  tail_.erase(0, static_cast<size_t>(keep_from - tail_offset_));
  tail_offset_ = keep_from;

  lock->unlock();
  Status s = WriteWrapped(write_offset, pages.data(), write_bytes);
  if (s.ok() && flush_ == FlushCall::kFdatasync) s = file_->Fdatasync();
  if (s.ok() && flush_ == FlushCall::kFsync) s = file_->Fsync();
  lock->lock();

  if (!s.ok()) error_ = s;
  durable_records_ = batch_last_record;
  ++flushes_;
  flushing_ = false;
  flushed_.notify_all();
}

Status GroupCommitLog::WriteWrapped(uint64_t offset, const char* data, size_t n) {
  while (n > 0) {
    const uint64_t at = offset % capacity_bytes_;
    const size_t chunk = static_cast<size_t>(std::min<uint64_t>(n, capacity_bytes_ - at));
    WALTUNE_RETURN_IF_ERROR(file_->WriteAt(at, data, chunk));
    offset += chunk;
    data += chunk;
    n -= chunk;
  }
  return Status::Ok();
}

uint64_t GroupCommitLog::commits() const {
  std::lock_guard<std::mutex> lock(mu_);
  return commits_;
}

uint64_t GroupCommitLog::flushes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return flushes_;
}

size_t GroupCommitLog::TEST_WaitingRecords() const {
  std::lock_guard<std::mutex> lock(mu_);
  return waiting_records_;
}

}  // namespace waltune
