#include "powercut/durable_state.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace waltune::powercut {

namespace {

// Reads exactly [offset, offset+len) from "fd"; bytes past the end of the file read as zeros.
int ReadFully(int fd, uint64_t offset, uint64_t len, std::string* out) {
  out->assign(len, '\0');
  uint64_t done = 0;
  while (done < len) {
    ssize_t n = pread(fd, out->data() + done, len - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    if (n == 0) break;  // Past the end: the rest stays zero.
    done += static_cast<uint64_t>(n);
  }
  return 0;
}

int WriteFully(int fd, const char* buf, uint64_t len, uint64_t offset) {
  uint64_t done = 0;
  while (done < len) {
    ssize_t n = pwrite(fd, buf + done, len - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    done += static_cast<uint64_t>(n);
  }
  return 0;
}

int WriteZeros(int fd, uint64_t len, uint64_t offset) {
  static const std::string kZeros(1 << 16, '\0');
  while (len > 0) {
    uint64_t chunk = std::min<uint64_t>(len, kZeros.size());
    int r = WriteFully(fd, kZeros.data(), chunk, offset);
    if (r < 0) return r;
    len -= chunk;
    offset += chunk;
  }
  return 0;
}

// Copies [src_off, src_off+len) of "src" to "dst" at "dst_off" inside the kernel when it can;
// bytes past the end of "src" are left as they are in "dst" (the caller extends "dst").
int CopyRange(int src, uint64_t src_off, int dst, uint64_t dst_off, uint64_t len) {
  while (len > 0) {
    loff_t in = static_cast<loff_t>(src_off);
    loff_t out = static_cast<loff_t>(dst_off);
    ssize_t n = copy_file_range(src, &in, dst, &out, len, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {  // No in-kernel copy here: go through a buffer.
      std::string buf;
      uint64_t chunk = std::min<uint64_t>(len, 1 << 20);
      int err = ReadFully(src, src_off, chunk, &buf);
      if (err < 0) return err;
      err = WriteFully(dst, buf.data(), chunk, dst_off);
      if (err < 0) return err;
      n = static_cast<ssize_t>(chunk);
    }
    if (n == 0) return 0;  // End of "src".
    src_off += static_cast<uint64_t>(n);
    dst_off += static_cast<uint64_t>(n);
    len -= static_cast<uint64_t>(n);
  }
  return 0;
}

void LogError(const char* what, const std::string& path, int err) {
  std::fprintf(stderr, "waltune-powercut: %s %s: %s\n", what, path.c_str(), std::strerror(err));
}

std::string ParentOf(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? std::string(".") : path.substr(0, slash);
}

// A directory descriptor's entries other than "." and "..": 0 none, 1 some, -errno on error.
int DirectoryHasEntries(int root_fd, const std::string& path) {
  DIR* dir = OpenDirectoryAt(root_fd, path, O_NOFOLLOW);
  if (dir == nullptr) return -errno;
  int result = 0;
  while (dirent* e = readdir(dir)) {
    if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) {
      result = 1;
      break;
    }
  }
  closedir(dir);
  return result;
}

}  // namespace

DurableState::DurableState(int root_fd, DurableStateOptions options)
    : root_fd_(root_fd), options_(options) {
  std::error_code ec;
  std::filesystem::remove_all("/proc/self/fd/" + std::to_string(root_fd_) + "/" + kTrashDirName,
                              ec);
  if (mkdirat(root_fd_, kTrashDirName, 0700) != 0 && errno != EEXIST) {
    LogError("cannot create", kTrashDirName, errno);
  }
}

DurableState::~DurableState() {
  for (auto& [key, st] : inodes_) ReleaseState(st.get());
}

std::shared_ptr<DurableState::InodeState> DurableState::LockedState(
    int fd, std::unique_lock<std::mutex>* lock) {
  struct stat sb;
  if (fstat(fd, &sb) != 0) return nullptr;
  InodeKey key{sb.st_dev, sb.st_ino};
  for (;;) {
    std::shared_ptr<InodeState> st;
    {
      std::lock_guard<std::mutex> g(inodes_mu_);
      auto it = inodes_.find(key);
      if (it != inodes_.end()) {
        st = it->second;
      } else {
        // Nobody modifies an inode without its state, so its current size is durable.
        int own = fcntl(fd, F_DUPFD_CLOEXEC, 0);
        if (own < 0 || fstat(own, &sb) != 0) {
          if (own >= 0) close(own);
          return nullptr;
        }
        st = std::make_shared<InodeState>();
        st->fd = own;
        st->durable_size = static_cast<uint64_t>(sb.st_size);
        inodes_.emplace(key, st);
      }
    }
    std::unique_lock<std::mutex> l(st->mu);
    if (st->dead) continue;  // Synced meanwhile; its successor is in inodes_ or not yet made.
    *lock = std::move(l);
    return st;
  }
}

int DurableState::SaveRange(InodeState* st, uint64_t offset, uint64_t len) {
  uint64_t pos = offset;
  const uint64_t end = offset + len;
  auto& undo = st->undo;
  auto it = undo.upper_bound(pos);
  if (it != undo.begin()) {
    auto prev = std::prev(it);
    pos = std::max(pos, prev->first + prev->second.len_bytes);
  }
  while (pos < end) {
    it = undo.lower_bound(pos);
    uint64_t gap_end = (it == undo.end()) ? end : std::min(end, it->first);
    if (gap_end > pos) {
      UndoRange r;
      int err = StoreUndo(st, pos, gap_end - pos, &r);
      if (err < 0) return err;
      undo.emplace(pos, std::move(r));
    }
    if (it == undo.end() || it->first >= end) break;
    pos = it->first + it->second.len_bytes;
  }
  return 0;
}

int DurableState::StoreUndo(InodeState* st, uint64_t offset, uint64_t len, UndoRange* out) {
  constexpr uint64_t kSpillMinBytes = 64 << 10;
  constexpr uint64_t kMemoryBudgetBytes = 256ull << 20;
  out->len_bytes = len;
  bool spill = len >= kSpillMinBytes || memory_undo_bytes_.load() + len > kMemoryBudgetBytes;
  if (spill && st->spill_fd < 0) {
    st->spill_fd = openat(root_fd_, kTrashDirName, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  }
  if (spill && st->spill_fd >= 0) {
    int err = CopyRange(st->fd, offset, st->spill_fd, st->spill_end, len);
    if (err < 0) return err;
    out->spill_offset = static_cast<int64_t>(st->spill_end);
    st->spill_end += len;
    // Bytes past the end of the source stay zero: make the spill file long enough.
    if (ftruncate(st->spill_fd, static_cast<off_t>(st->spill_end)) != 0) return -errno;
    return 0;
  }
  int err = ReadFully(st->fd, offset, len, &out->bytes);
  if (err < 0) return err;
  st->memory_bytes += len;
  memory_undo_bytes_ += len;
  return 0;
}

void DurableState::ReleaseState(InodeState* st) {
  st->dead = true;
  if (st->fd >= 0) close(st->fd);
  if (st->spill_fd >= 0) close(st->spill_fd);
  st->fd = st->spill_fd = -1;
  memory_undo_bytes_ -= st->memory_bytes;
  st->memory_bytes = 0;
  st->undo.clear();
}

void DurableState::MarkDurable(InodeState* st, uint64_t offset, uint64_t len, uint64_t size) {
  const uint64_t end = offset + len;
  auto& undo = st->undo;
  auto it = undo.upper_bound(offset);
  if (it != undo.begin()) --it;
  while (it != undo.end() && it->first < end) {
    uint64_t r_start = it->first;
    uint64_t r_end = r_start + it->second.len_bytes;
    if (r_end <= offset) {
      ++it;
      continue;
    }
    UndoRange r = std::move(it->second);
    it = undo.erase(it);
    st->memory_bytes -= r.bytes.size();
    memory_undo_bytes_ -= r.bytes.size();
    auto keep = [&](uint64_t start, uint64_t len) {  // The part of "r" at [start, start+len).
      UndoRange part;
      part.len_bytes = len;
      if (!r.bytes.empty()) part.bytes = r.bytes.substr(start - r_start, len);
      if (r.spill_offset >= 0) part.spill_offset = r.spill_offset + (start - r_start);
      st->memory_bytes += part.bytes.size();
      memory_undo_bytes_ += part.bytes.size();
      return undo.emplace(start, std::move(part)).first;
    };
    if (r_start < offset) keep(r_start, offset - r_start);    // Before the durable range.
    if (r_end > end) it = std::next(keep(end, r_end - end));  // After it.
  }
  if (end > st->durable_size) {
    // The size grows to "end"; a hole before "offset" holds no durable data: zeros.
    if (offset > st->durable_size) {
      UndoRange zeros;
      zeros.len_bytes = offset - st->durable_size;
      undo.emplace(st->durable_size, std::move(zeros));
    }
    st->durable_size = std::min(end, size);
  }
}

ssize_t DurableState::Write(int fd, const std::string& path, const char* buf, size_t len,
                            off_t offset, bool append, bool synced) {
  std::unique_lock<std::mutex> lock;
  auto st = LockedState(fd, &lock);
  if (st == nullptr) return -errno;
  if (!path.empty()) st->path = path;
  uint64_t off = static_cast<uint64_t>(offset);
  if (append) {
    struct stat sb;
    if (fstat(st->fd, &sb) != 0) return -errno;
    off = static_cast<uint64_t>(sb.st_size);
  }
  if (off < st->durable_size) {
    int err = SaveRange(st.get(), off, std::min<uint64_t>(len, st->durable_size - off));
    if (err < 0) return err;
  }
  int err = WriteFully(st->fd, buf, len, off);
  if (err < 0) return err;
  if (synced) {
    struct stat sb;
    if (fstat(st->fd, &sb) != 0) return -errno;
    MarkDurable(st.get(), off, len, static_cast<uint64_t>(sb.st_size));
  }
  return static_cast<ssize_t>(len);
}

int DurableState::Truncate(int fd, const std::string& path, off_t size) {
  std::unique_lock<std::mutex> lock;
  auto st = LockedState(fd, &lock);
  if (st == nullptr) return -errno;
  if (!path.empty()) st->path = path;
  uint64_t new_size = static_cast<uint64_t>(size);
  if (new_size < st->durable_size) {
    int err = SaveRange(st.get(), new_size, st->durable_size - new_size);
    if (err < 0) return err;
  }
  if (ftruncate(st->fd, size) != 0) return -errno;
  return 0;
}

int DurableState::Fallocate(int fd, const std::string& path, int mode, off_t offset, off_t len) {
  const int supported = FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE;
  if ((mode & ~supported) != 0) return -EOPNOTSUPP;
  std::unique_lock<std::mutex> lock;
  auto st = LockedState(fd, &lock);
  if (st == nullptr) return -errno;
  if (!path.empty()) st->path = path;
  uint64_t off = static_cast<uint64_t>(offset);
  if ((mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE)) != 0 && off < st->durable_size) {
    int err = SaveRange(st.get(), off,
                        std::min<uint64_t>(static_cast<uint64_t>(len), st->durable_size - off));
    if (err < 0) return err;
  }
  if (fallocate(st->fd, mode, offset, len) != 0) return -errno;
  return 0;
}

int DurableState::SyncFile(int fd, bool datasync) {
  if (options_.sync_backing && (datasync ? fdatasync(fd) : fsync(fd)) != 0) return -errno;
  if (options_.file_sync_commits_names) SyncDirectory();
  struct stat sb;
  if (fstat(fd, &sb) != 0) return -errno;
  InodeKey key{sb.st_dev, sb.st_ino};
  for (;;) {
    std::shared_ptr<InodeState> st;
    {
      std::lock_guard<std::mutex> g(inodes_mu_);
      auto it = inodes_.find(key);
      if (it == inodes_.end()) return 0;  // Nothing unsynced.
      st = it->second;
    }
    std::lock_guard<std::mutex> l(st->mu);
    if (st->dead) continue;
    ReleaseState(st.get());
    {
      std::lock_guard<std::mutex> g(inodes_mu_);
      inodes_.erase(key);
    }
    return 0;
  }
}

// ---- Names.

namespace {

// Owner group of a new entry: the parent's group when the parent is set-group-ID.
gid_t GroupFor(int root_fd, const std::string& path, gid_t gid) {
  struct stat sb;
  if (fstatat(root_fd, ParentOf(path).c_str(), &sb, 0) == 0 && (sb.st_mode & S_ISGID) != 0) {
    return sb.st_gid;
  }
  return gid;
}

}  // namespace

int DurableState::Mkdir(const std::string& path, mode_t mode, uid_t uid, gid_t gid) {
  std::lock_guard<std::mutex> g(names_mu_);
  if (mkdirat(root_fd_, path.c_str(), mode) != 0) return -errno;
  if (fchownat(root_fd_, path.c_str(), uid, GroupFor(root_fd_, path, gid), AT_SYMLINK_NOFOLLOW)) {
    LogError("chown", path, errno);
  }
  journal_.push_back({NameOpKind::kCreated, path, "", true});
  return 0;
}

int DurableState::Mknod(const std::string& path, mode_t mode, dev_t rdev, uid_t uid, gid_t gid) {
  std::lock_guard<std::mutex> g(names_mu_);
  if (mknodat(root_fd_, path.c_str(), mode, rdev) != 0) return -errno;
  if (fchownat(root_fd_, path.c_str(), uid, GroupFor(root_fd_, path, gid), AT_SYMLINK_NOFOLLOW)) {
    LogError("chown", path, errno);
  }
  journal_.push_back({NameOpKind::kCreated, path, "", false});
  return 0;
}

int DurableState::Symlink(const std::string& target, const std::string& path, uid_t uid,
                          gid_t gid) {
  std::lock_guard<std::mutex> g(names_mu_);
  if (symlinkat(target.c_str(), root_fd_, path.c_str()) != 0) return -errno;
  if (fchownat(root_fd_, path.c_str(), uid, GroupFor(root_fd_, path, gid), AT_SYMLINK_NOFOLLOW)) {
    LogError("chown", path, errno);
  }
  journal_.push_back({NameOpKind::kCreated, path, "", false});
  return 0;
}

int DurableState::Link(const std::string& from, const std::string& to) {
  std::lock_guard<std::mutex> g(names_mu_);
  if (linkat(root_fd_, from.c_str(), root_fd_, to.c_str(), 0) != 0) return -errno;
  journal_.push_back({NameOpKind::kCreated, to, "", false});
  return 0;
}

int DurableState::Create(const std::string& path, int flags, mode_t mode, uid_t uid, gid_t gid) {
  std::lock_guard<std::mutex> g(names_mu_);
  int fd = openat(root_fd_, path.c_str(), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, mode);
  if (fd >= 0) {
    if (fchown(fd, uid, GroupFor(root_fd_, path, gid)) != 0) LogError("chown", path, errno);
    journal_.push_back({NameOpKind::kCreated, path, "", false});
    return fd;
  }
  if (errno != EEXIST || (flags & O_EXCL) != 0) return -errno;
  fd = openat(root_fd_, path.c_str(), O_RDWR | O_CLOEXEC | (flags & O_NOFOLLOW));
  if (fd < 0 && (errno == EACCES || errno == EROFS || errno == ETXTBSY)) {
    fd = openat(root_fd_, path.c_str(), (flags & O_ACCMODE) | O_CLOEXEC | (flags & O_NOFOLLOW));
  }
  return fd >= 0 ? fd : -errno;
}

int DurableState::TrashLocked(const std::string& path, bool is_dir) {
  std::string trash = std::string(kTrashDirName) + "/" + std::to_string(next_trash_id_++);
  if (renameat(root_fd_, path.c_str(), root_fd_, trash.c_str()) != 0) return -errno;
  journal_.push_back({NameOpKind::kTrashed, path, trash, is_dir});
  return 0;
}

int DurableState::Unlink(const std::string& path) {
  std::lock_guard<std::mutex> g(names_mu_);
  struct stat sb;
  if (fstatat(root_fd_, path.c_str(), &sb, AT_SYMLINK_NOFOLLOW) != 0) return -errno;
  if (S_ISDIR(sb.st_mode)) return -EISDIR;
  return TrashLocked(path, false);
}

int DurableState::Rmdir(const std::string& path) {
  std::lock_guard<std::mutex> g(names_mu_);
  struct stat sb;
  if (fstatat(root_fd_, path.c_str(), &sb, AT_SYMLINK_NOFOLLOW) != 0) return -errno;
  if (!S_ISDIR(sb.st_mode)) return -ENOTDIR;
  int entries = DirectoryHasEntries(root_fd_, path);
  if (entries < 0) return entries;
  if (entries > 0) return -ENOTEMPTY;
  return TrashLocked(path, true);
}

int DurableState::Rename(const std::string& from, const std::string& to, unsigned int flags) {
  if ((flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE)) != 0) return -EINVAL;
  std::lock_guard<std::mutex> g(names_mu_);
  struct stat from_sb;
  if (fstatat(root_fd_, from.c_str(), &from_sb, AT_SYMLINK_NOFOLLOW) != 0) return -errno;
  if ((flags & RENAME_EXCHANGE) != 0) {
    if (renameat2(root_fd_, from.c_str(), root_fd_, to.c_str(), RENAME_EXCHANGE) != 0) {
      return -errno;
    }
    journal_.push_back({NameOpKind::kExchanged, from, to, false});
    return 0;
  }
  struct stat to_sb;
  bool to_exists = fstatat(root_fd_, to.c_str(), &to_sb, AT_SYMLINK_NOFOLLOW) == 0;
  if (!to_exists && errno != ENOENT) return -errno;
  bool trashed = false;
  if (to_exists) {
    if ((flags & RENAME_NOREPLACE) != 0) return -EEXIST;
    if (to_sb.st_dev == from_sb.st_dev && to_sb.st_ino == from_sb.st_ino) return 0;  // POSIX.
    bool from_dir = S_ISDIR(from_sb.st_mode);
    bool to_dir = S_ISDIR(to_sb.st_mode);
    if (from_dir && !to_dir) return -ENOTDIR;
    if (!from_dir && to_dir) return -EISDIR;
    if (from_dir && to.rfind(from + "/", 0) == 0) return -EINVAL;
    if (to_dir) {
      int entries = DirectoryHasEntries(root_fd_, to);
      if (entries < 0) return entries;
      if (entries > 0) return -ENOTEMPTY;
      int err = TrashLocked(to, true);
      if (err < 0) return err;
    } else {
      // A hard link keeps the replaced inode; rename(2) then replaces "to" atomically.
      std::string trash = std::string(kTrashDirName) + "/" + std::to_string(next_trash_id_++);
      if (linkat(root_fd_, to.c_str(), root_fd_, trash.c_str(), 0) != 0) return -errno;
      journal_.push_back({NameOpKind::kTrashed, to, trash, false});
    }
    trashed = true;
  }
  if (renameat2(root_fd_, from.c_str(), root_fd_, to.c_str(), flags) != 0) {
    int err = errno;
    if (trashed) {  // Put the replaced entry back as it was.
      NameOp op = journal_.back();
      journal_.pop_back();
      if (op.is_dir) {
        renameat(root_fd_, op.other.c_str(), root_fd_, op.path.c_str());
      } else {
        unlinkat(root_fd_, op.other.c_str(), 0);
      }
    }
    return -err;
  }
  journal_.push_back({NameOpKind::kRenamed, from, to, false});
  return 0;
}

void DurableState::CommitNamesLocked() {
  for (const NameOp& op : journal_) {
    if (op.kind != NameOpKind::kTrashed) continue;
    if (unlinkat(root_fd_, op.other.c_str(), op.is_dir ? AT_REMOVEDIR : 0) != 0) {
      LogError("cannot remove", op.other, errno);
    }
  }
  journal_.clear();
}

void DurableState::DropDeadInodes() {
  std::lock_guard<std::mutex> g(inodes_mu_);
  for (auto it = inodes_.begin(); it != inodes_.end();) {
    struct stat sb;
    std::shared_ptr<InodeState> st = it->second;
    std::unique_lock<std::mutex> l(st->mu, std::try_to_lock);
    if (l.owns_lock() && fstat(st->fd, &sb) == 0 && sb.st_nlink == 0) {
      ReleaseState(st.get());
      it = inodes_.erase(it);
    } else {
      ++it;
    }
  }
}

int DurableState::SyncDirectory(int dir_fd) {
  if (options_.sync_backing && dir_fd >= 0 && fsync(dir_fd) != 0) return -errno;
  {
    std::lock_guard<std::mutex> g(names_mu_);
    if (journal_.empty()) return 0;
    CommitNamesLocked();
  }
  DropDeadInodes();
  return 0;
}

// ---- Power.

bool DurableState::UndoNameOp(const NameOp& op) {
  int r = 0;
  switch (op.kind) {
    case NameOpKind::kCreated:
      r = unlinkat(root_fd_, op.path.c_str(), op.is_dir ? AT_REMOVEDIR : 0);
      break;
    case NameOpKind::kTrashed:
      r = renameat(root_fd_, op.other.c_str(), root_fd_, op.path.c_str());
      break;
    case NameOpKind::kRenamed:
      r = renameat(root_fd_, op.other.c_str(), root_fd_, op.path.c_str());
      break;
    case NameOpKind::kExchanged:
      r = renameat2(root_fd_, op.path.c_str(), root_fd_, op.other.c_str(), RENAME_EXCHANGE);
      break;
  }
  if (r != 0) {
    LogError("cannot undo change of", op.path, errno);
    return false;
  }
  return true;
}

int DurableState::RestorePart(InodeState* st, uint64_t offset, const UndoRange& range, uint64_t at,
                              uint64_t len) {
  uint64_t skip = at - offset;
  if (!range.bytes.empty()) return WriteFully(st->fd, range.bytes.data() + skip, len, at);
  if (range.spill_offset >= 0) {
    return CopyRange(st->spill_fd, static_cast<uint64_t>(range.spill_offset) + skip, st->fd, at,
                     len);
  }
  return WriteZeros(st->fd, len, at);
}

bool DurableState::RestoreInode(InodeState* st, std::mt19937* rng, CutResult* result) {
  constexpr uint64_t kBlockBytes = 4096;
  struct stat sb;
  if (fstat(st->fd, &sb) != 0) return false;
  if (sb.st_nlink == 0) return true;  // Its name was undone: the file is gone anyway.
  uint64_t size = static_cast<uint64_t>(sb.st_size);
  bool changed = !st->undo.empty() || size != st->durable_size;
  for (const auto& [offset, range] : st->undo) {
    const uint64_t end = offset + range.len_bytes;
    for (uint64_t at = offset; at < end;) {
      uint64_t len = end - at;
      if (rng != nullptr) len = std::min(end, (at / kBlockBytes + 1) * kBlockBytes) - at;
      if (rng != nullptr && ((*rng)() & 1) != 0) {
        result->kept_bytes += len;  // The disk happened to write this block.
      } else {
        int err = RestorePart(st, offset, range, at, len);
        if (err < 0) {
          LogError("cannot restore data of", st->path, -err);
          return false;
        }
        result->discarded_bytes += len;
      }
      at += len;
    }
  }
  if (size > st->durable_size) result->discarded_bytes += size - st->durable_size;
  if (ftruncate(st->fd, static_cast<off_t>(st->durable_size)) != 0) {
    LogError("cannot restore size of", st->path, errno);
    return false;
  }
  if (changed) {
    result->files_restored++;
    if (!st->path.empty()) result->touched_paths.push_back(st->path);
  }
  return true;
}

CutResult DurableState::Cut(const CutPolicy& policy) {
  std::unique_lock<std::shared_mutex> exclusive(op_mu_);
  CutResult result;
  std::mt19937 rng(policy.random_seed);
  std::mt19937* random = policy.random_seed != 0 ? &rng : nullptr;
  {
    std::lock_guard<std::mutex> g(names_mu_);
    // A random cut keeps a prefix of the journal, as if it had been committed that far.
    size_t keep = random != nullptr ? rng() % (journal_.size() + 1) : 0;
    for (size_t i = journal_.size(); i > keep; --i) {
      const NameOp& op = journal_[i - 1];
      if (!UndoNameOp(op)) result.errors++;
      result.names_undone++;
      result.touched_paths.push_back(op.path);
      if (op.kind == NameOpKind::kRenamed || op.kind == NameOpKind::kExchanged) {
        result.touched_paths.push_back(op.other);
      }
    }
    journal_.erase(journal_.begin() + static_cast<std::ptrdiff_t>(keep), journal_.end());
    result.names_kept = keep;
    CommitNamesLocked();
  }
  {
    std::lock_guard<std::mutex> g(inodes_mu_);
    for (auto& [key, st] : inodes_) {
      std::lock_guard<std::mutex> l(st->mu);
      if (!RestoreInode(st.get(), random, &result)) result.errors++;
      ReleaseState(st.get());
    }
    inodes_.clear();
  }
  result.cut_number = ++cuts_;
  return result;
}

void DurableState::SyncAll() {
  std::unique_lock<std::shared_mutex> exclusive(op_mu_);
  {
    std::lock_guard<std::mutex> g(names_mu_);
    CommitNamesLocked();
  }
  std::lock_guard<std::mutex> g(inodes_mu_);
  for (auto& [key, st] : inodes_) {
    std::lock_guard<std::mutex> l(st->mu);
    ReleaseState(st.get());
  }
  inodes_.clear();
}

PendingStats DurableState::Stats() {
  std::unique_lock<std::shared_mutex> exclusive(op_mu_);
  PendingStats stats;
  stats.cuts = cuts_;
  {
    std::lock_guard<std::mutex> g(names_mu_);
    stats.pending_names = journal_.size();
  }
  std::lock_guard<std::mutex> g(inodes_mu_);
  stats.dirty_files = inodes_.size();
  for (auto& [key, st] : inodes_) {
    std::lock_guard<std::mutex> l(st->mu);
    for (const auto& [offset, range] : st->undo) stats.undo_bytes += range.len_bytes;
  }
  return stats;
}

DIR* OpenDirectoryAt(int root_fd, const std::string& path, int extra_flags) {
  int fd = openat(root_fd, path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | extra_flags);
  if (fd < 0) return nullptr;
  DIR* dir = fdopendir(fd);
  if (dir == nullptr) {
    int err = errno;
    close(fd);
    errno = err;
  }
  return dir;
}

}  // namespace waltune::powercut
