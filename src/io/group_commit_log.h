// GroupCommitLog: many writers appending commit records to one log file, made durable by
// leader/follower batching, the way PostgreSQL's XLogFlush and InnoDB's log writer do it.
//
// A writer appends its record to an in-memory tail and waits until a flush covers it. When no
// flush is running, the waiting writer becomes the leader: it takes every record that arrived
// since the previous flush started, writes the pages holding them and flushes once. Records
// that arrive during that flush wait and ride the next one. The log is written in whole pages
// (the partial last page is written again by the next flush, as PostgreSQL rewrites its current
// WAL page), so the writes stay aligned for O_DIRECT. The file is used as a ring of
// `capacity_bytes`.
#ifndef WALTUNE_IO_GROUP_COMMIT_LOG_H_
#define WALTUNE_IO_GROUP_COMMIT_LOG_H_

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>

#include "waltune/env.h"
#include "waltune/status.h"

namespace waltune {

enum class FlushCall {
  kFdatasync,  // write, then fdatasync
  kFsync,      // write, then fsync
  kNone,       // the file was opened with O_DSYNC: the write itself is durable
};

class GroupCommitLog {
 public:
  // "*file" must remain live while this log is in use; it must hold `capacity_bytes` already.
  // REQUIRES: page_bytes is a multiple of kDirectIoAlignmentBytes and divides capacity_bytes.
  GroupCommitLog(ProbeFile* file, uint64_t capacity_bytes, uint64_t page_bytes, FlushCall flush);
  GroupCommitLog(const GroupCommitLog&) = delete;
  GroupCommitLog& operator=(const GroupCommitLog&) = delete;

  // Appends `n` bytes and returns once a flush that covers them has completed. Thread-safe.
  // After a write or flush fails, this and every later call return that error.
  Status Commit(const char* data, size_t n);

  uint64_t commits() const;
  uint64_t flushes() const;
  // Records appended but not yet taken by a leader.
  size_t TEST_WaitingRecords() const;

 private:
  // REQUIRES: mu_ is held by *lock and no flush is in progress. Releases mu_ during the I/O.
  void LeadFlush(std::unique_lock<std::mutex>* lock);
  // Writes `n` bytes at logical log offset `offset`, wrapping at capacity_bytes_.
  Status WriteWrapped(uint64_t offset, const char* data, size_t n);

  ProbeFile* const file_;
  const uint64_t capacity_bytes_;
  const uint64_t page_bytes_;
  const FlushCall flush_;

  mutable std::mutex mu_;
  std::condition_variable flushed_;
  // Log bytes from tail_offset_ (a page boundary) to the end of the last appended record.
  std::string tail_;
  uint64_t tail_offset_ = 0;
  uint64_t appended_records_ = 0;  // sequence number of the last appended record
  uint64_t durable_records_ = 0;   // every record up to this number is durable
  size_t waiting_records_ = 0;
  bool flushing_ = false;
  uint64_t commits_ = 0;
  uint64_t flushes_ = 0;
  Status error_;
};

}  // namespace waltune

#endif  // WALTUNE_IO_GROUP_COMMIT_LOG_H_
