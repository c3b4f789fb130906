// SqlitePowercutVfs: a shim VFS that forgets unsynced writes on a power cut (in-process
// alternative to the FUSE file system for SQLite). Same idea as DurableState: write through,
// keep the durable bytes of every range changed since the last xSync, undo on Cut().
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "waltune/powercut.h"

namespace waltune::powercut {

namespace {

struct FileUndo {
  uint64_t durable_size = 0;
  std::map<uint64_t, std::string> undo;  // offset -> durable bytes (non-overlapping).
};

enum class NameOpKind { kCreated, kDeleted };
struct NameOp {
  NameOpKind kind;
  std::string path;
  std::string trash;  // kDeleted: where the file waits until the delete is durable.
};

// The shim's sqlite3_file; the wrapped VFS's file follows it in the same allocation.
struct PcFile {
  sqlite3_file base;
  SqlitePowercutVfs::Impl* owner;
  uint64_t epoch;
  bool tracked;
  bool name_pending;  // Its first xSync also syncs the directory (commits pending names).
  std::string* path;  // Owned; null for untracked files.
  sqlite3_file* real() { return reinterpret_cast<sqlite3_file*>(this + 1); }
};

}  // namespace

struct SqlitePowercutVfs::Impl {
  std::string name;
  sqlite3_vfs vfs{};
  sqlite3_vfs* real = nullptr;
  std::mutex mu;
  std::atomic<uint64_t> epoch{0};
  std::map<std::string, FileUndo> files;  // GUARDED_BY(mu), by path.
  std::vector<NameOp> journal;            // GUARDED_BY(mu)
  uint64_t next_trash = 0;                // GUARDED_BY(mu)
  uint64_t cuts = 0;                      // GUARDED_BY(mu)
  std::set<void*> open_tracked;           // GUARDED_BY(mu): tracked PcFile handles.

  // REQUIRES: mu held. Makes every create/delete so far durable.
  void CommitNamesLocked() {
    for (const NameOp& op : journal) {
      if (op.kind == NameOpKind::kDeleted) {
        unlink(op.trash.c_str());
        files.erase(op.trash);
      }
    }
    journal.clear();
  }
};

namespace {

using Impl = SqlitePowercutVfs::Impl;

PcFile* F(sqlite3_file* f) { return reinterpret_cast<PcFile*>(f); }
bool Stale(PcFile* f) { return f->epoch != f->owner->epoch.load(); }

// REQUIRES: owner->mu held. The undo record of "f", created with durable = current size.
FileUndo* UndoFor(PcFile* f) {
  auto it = f->owner->files.find(*f->path);
  if (it != f->owner->files.end()) return &it->second;
  sqlite3_int64 size = 0;
  if (f->real()->pMethods->xFileSize(f->real(), &size) != SQLITE_OK) return nullptr;
  FileUndo& u = f->owner->files[*f->path];
  u.durable_size = static_cast<uint64_t>(size);
  return &u;
}

// REQUIRES: owner->mu held. Saves the durable bytes of [offset, offset+len) not saved yet.
int Save(PcFile* f, FileUndo* u, uint64_t offset, uint64_t len) {
  uint64_t end = std::min(offset + len, u->durable_size);
  uint64_t pos = offset;
  auto it = u->undo.upper_bound(pos);
  if (it != u->undo.begin())
    pos = std::max(pos, std::prev(it)->first + std::prev(it)->second.size());
  while (pos < end) {
    it = u->undo.lower_bound(pos);
    uint64_t gap_end = it == u->undo.end() ? end : std::min(end, it->first);
    if (gap_end > pos) {
      std::string bytes(gap_end - pos, '\0');
      int rc = f->real()->pMethods->xRead(f->real(), bytes.data(), static_cast<int>(bytes.size()),
                                          static_cast<sqlite3_int64>(pos));
      if (rc != SQLITE_OK && rc != SQLITE_IOERR_SHORT_READ) return rc;
      u->undo.emplace(pos, std::move(bytes));
    }
    if (it == u->undo.end() || it->first >= end) break;
    pos = it->first + it->second.size();
  }
  return SQLITE_OK;
}

int XClose(sqlite3_file* file) {
  PcFile* f = F(file);
  int rc = f->real()->pMethods != nullptr ? f->real()->pMethods->xClose(f->real()) : SQLITE_OK;
  if (f->tracked) {
    std::lock_guard<std::mutex> l(f->owner->mu);
    f->owner->open_tracked.erase(f);
  }
  delete f->path;
  f->path = nullptr;
  return Stale(f) ? SQLITE_OK : rc;
}

int XRead(sqlite3_file* file, void* buf, int amt, sqlite3_int64 offset) {
  PcFile* f = F(file);
  if (Stale(f)) return SQLITE_IOERR_READ;
  return f->real()->pMethods->xRead(f->real(), buf, amt, offset);
}

int XWrite(sqlite3_file* file, const void* buf, int amt, sqlite3_int64 offset) {
  PcFile* f = F(file);
  if (Stale(f)) return SQLITE_IOERR_WRITE;
  if (!f->tracked) return f->real()->pMethods->xWrite(f->real(), buf, amt, offset);
  std::lock_guard<std::mutex> l(f->owner->mu);
  // Again under the lock: a cut between the check above and here must not let this write land
  // after the cut (nothing would undo it).
  if (Stale(f)) return SQLITE_IOERR_WRITE;
  FileUndo* u = UndoFor(f);
  if (u == nullptr) return SQLITE_IOERR_WRITE;
  int rc = Save(f, u, static_cast<uint64_t>(offset), static_cast<uint64_t>(amt));
  if (rc != SQLITE_OK) return rc;
  return f->real()->pMethods->xWrite(f->real(), buf, amt, offset);
}

int XTruncate(sqlite3_file* file, sqlite3_int64 size) {
  PcFile* f = F(file);
  if (Stale(f)) return SQLITE_IOERR_TRUNCATE;
  if (!f->tracked) return f->real()->pMethods->xTruncate(f->real(), size);
  std::lock_guard<std::mutex> l(f->owner->mu);
  if (Stale(f)) return SQLITE_IOERR_TRUNCATE;
  FileUndo* u = UndoFor(f);
  if (u == nullptr) return SQLITE_IOERR_TRUNCATE;
  uint64_t s = static_cast<uint64_t>(size);
  if (s < u->durable_size) {
    int rc = Save(f, u, s, u->durable_size - s);
    if (rc != SQLITE_OK) return rc;
  }
  return f->real()->pMethods->xTruncate(f->real(), size);
}

int XSync(sqlite3_file* file, int flags) {
  PcFile* f = F(file);
  if (Stale(f)) return SQLITE_IOERR_FSYNC;
  int rc = f->real()->pMethods->xSync(f->real(), flags);
  if (rc != SQLITE_OK || !f->tracked) return rc;
  std::lock_guard<std::mutex> l(f->owner->mu);
  // The power went while this sync ran: the cut already undid what it was flushing, so it must
  // not report success (the commit would be acknowledged and then missing).
  if (Stale(f)) return SQLITE_IOERR_FSYNC;
  f->owner->files.erase(*f->path);
  if (f->name_pending) {  // First sync of this handle: the unix VFS fsyncs the directory.
    f->name_pending = false;
    f->owner->CommitNamesLocked();
  }
  return SQLITE_OK;
}

int XFileSize(sqlite3_file* file, sqlite3_int64* size) {
  PcFile* f = F(file);
  if (Stale(f)) return SQLITE_IOERR_FSTAT;
  return f->real()->pMethods->xFileSize(f->real(), size);
}

int XLock(sqlite3_file* file, int lock) {
  PcFile* f = F(file);
  if (Stale(f)) return SQLITE_IOERR_LOCK;
  return f->real()->pMethods->xLock(f->real(), lock);
}

int XUnlock(sqlite3_file* file, int lock) {
  PcFile* f = F(file);
  return f->real()->pMethods->xUnlock(f->real(), lock);
}

int XCheckReservedLock(sqlite3_file* file, int* out) {
  PcFile* f = F(file);
  if (Stale(f)) return SQLITE_IOERR_CHECKRESERVEDLOCK;
  return f->real()->pMethods->xCheckReservedLock(f->real(), out);
}

int XFileControl(sqlite3_file* file, int op, void* arg) {
  PcFile* f = F(file);
  return f->real()->pMethods->xFileControl(f->real(), op, arg);
}

int XSectorSize(sqlite3_file* file) {
  return F(file)->real()->pMethods->xSectorSize(F(file)->real());
}

int XDeviceCharacteristics(sqlite3_file* file) {
  return F(file)->real()->pMethods->xDeviceCharacteristics(F(file)->real());
}

int XShmMap(sqlite3_file* file, int page, int page_bytes, int extend, void volatile** out) {
  PcFile* f = F(file);
  if (Stale(f)) return SQLITE_IOERR_SHMMAP;
  return f->real()->pMethods->xShmMap(f->real(), page, page_bytes, extend, out);
}

int XShmLock(sqlite3_file* file, int offset, int n, int flags) {
  PcFile* f = F(file);
  if (Stale(f) && (flags & SQLITE_SHM_LOCK) != 0) return SQLITE_IOERR_SHMLOCK;
  return f->real()->pMethods->xShmLock(f->real(), offset, n, flags);
}

void XShmBarrier(sqlite3_file* file) { F(file)->real()->pMethods->xShmBarrier(F(file)->real()); }

int XShmUnmap(sqlite3_file* file, int delete_flag) {
  PcFile* f = F(file);
  return f->real()->pMethods->xShmUnmap(f->real(), Stale(f) ? 0 : delete_flag);
}

const sqlite3_io_methods kIoMethods = {
    2,  // No xFetch/xUnfetch: every write must come through xWrite.
    XClose,
    XRead,
    XWrite,
    XTruncate,
    XSync,
    XFileSize,
    XLock,
    XUnlock,
    XCheckReservedLock,
    XFileControl,
    XSectorSize,
    XDeviceCharacteristics,
    XShmMap,
    XShmLock,
    XShmBarrier,
    XShmUnmap,
    nullptr,
    nullptr};

Impl* Owner(sqlite3_vfs* vfs) { return static_cast<Impl*>(vfs->pAppData); }

int VOpen(sqlite3_vfs* vfs, sqlite3_filename name, sqlite3_file* file, int flags, int* out) {
  Impl* impl = Owner(vfs);
  PcFile* f = F(file);
  std::memset(f, 0, sizeof(PcFile));
  const int kTrackedTypes =
      SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_MAIN_JOURNAL | SQLITE_OPEN_WAL | SQLITE_OPEN_SUPER_JOURNAL;
  bool tracked =
      name != nullptr && (flags & kTrackedTypes) != 0 && (flags & SQLITE_OPEN_DELETEONCLOSE) == 0;
  struct stat sb;
  bool existed = name != nullptr && stat(name, &sb) == 0;
  int rc = impl->real->xOpen(impl->real, name, f->real(), flags, out);
  if (rc != SQLITE_OK) {
    if (f->real()->pMethods != nullptr) f->real()->pMethods->xClose(f->real());
    f->real()->pMethods = nullptr;
    return rc;
  }
  f->owner = impl;
  f->epoch = impl->epoch.load();
  f->tracked = tracked;
  if (tracked) {
    f->path = new std::string(name);
    std::lock_guard<std::mutex> l(impl->mu);
    impl->open_tracked.insert(f);
    if (!existed) impl->journal.push_back({NameOpKind::kCreated, name, ""});
    // The unix VFS fsyncs the directory at the first xSync of every journal or WAL handle it
    // opened with SQLITE_OPEN_CREATE, whether or not that open created the file (os_unix.c,
    // unixOpen: syncDir = isCreate && eType is a journal or WAL; unixSync: UNIXFILE_DIRSYNC).
    // Every connection opens the WAL that way, so any connection's first sync commits the
    // names; for a new main database file, its first sync does (more lenient than POSIX).
    const int kDirSyncTypes =
        SQLITE_OPEN_MAIN_JOURNAL | SQLITE_OPEN_WAL | SQLITE_OPEN_SUPER_JOURNAL;
    f->name_pending =
        !existed || ((flags & SQLITE_OPEN_CREATE) != 0 && (flags & kDirSyncTypes) != 0);
  }
  f->base.pMethods = &kIoMethods;
  return SQLITE_OK;
}

int VDelete(sqlite3_vfs* vfs, const char* name, int dir_sync) {
  Impl* impl = Owner(vfs);
  std::lock_guard<std::mutex> l(impl->mu);
  // A connection from before a cut is dead: when it is closed, SQLite may still try to delete
  // its journal or WAL ("x.db-journal" for "x.db"); the power is off for it, so refuse.
  for (void* h : impl->open_tracked) {
    PcFile* f = static_cast<PcFile*>(h);
    if (Stale(f) && std::string(name).rfind(*f->path, 0) == 0) return SQLITE_IOERR_DELETE;
  }
  if (dir_sync) {
    int rc = impl->real->xDelete(impl->real, name, dir_sync);
    impl->files.erase(name);
    impl->CommitNamesLocked();
    return rc;
  }
  struct stat sb;
  if (stat(name, &sb) != 0) return SQLITE_IOERR_DELETE_NOENT;
  // Keep the inode until the delete is durable, so that a cut can bring it back.
  std::string trash = std::string(name) + ".powercut-deleted-" + std::to_string(impl->next_trash++);
  if (rename(name, trash.c_str()) != 0) return SQLITE_IOERR_DELETE;
  auto it = impl->files.find(name);
  if (it != impl->files.end()) {
    impl->files[trash] = std::move(it->second);
    impl->files.erase(it);
  }
  impl->journal.push_back({NameOpKind::kDeleted, name, trash});
  return SQLITE_OK;
}

int VAccess(sqlite3_vfs* vfs, const char* name, int flags, int* out) {
  return Owner(vfs)->real->xAccess(Owner(vfs)->real, name, flags, out);
}
int VFullPathname(sqlite3_vfs* vfs, const char* name, int n, char* out) {
  return Owner(vfs)->real->xFullPathname(Owner(vfs)->real, name, n, out);
}
void* VDlOpen(sqlite3_vfs* vfs, const char* name) {
  return Owner(vfs)->real->xDlOpen(Owner(vfs)->real, name);
}
void VDlError(sqlite3_vfs* vfs, int n, char* out) {
  Owner(vfs)->real->xDlError(Owner(vfs)->real, n, out);
}
void (*VDlSym(sqlite3_vfs* vfs, void* h, const char* sym))(void) {
  return Owner(vfs)->real->xDlSym(Owner(vfs)->real, h, sym);
}
void VDlClose(sqlite3_vfs* vfs, void* h) { Owner(vfs)->real->xDlClose(Owner(vfs)->real, h); }
int VRandomness(sqlite3_vfs* vfs, int n, char* out) {
  return Owner(vfs)->real->xRandomness(Owner(vfs)->real, n, out);
}
int VSleep(sqlite3_vfs* vfs, int us) { return Owner(vfs)->real->xSleep(Owner(vfs)->real, us); }
int VCurrentTime(sqlite3_vfs* vfs, double* out) {
  return Owner(vfs)->real->xCurrentTime(Owner(vfs)->real, out);
}
int VGetLastError(sqlite3_vfs* vfs, int n, char* out) {
  return Owner(vfs)->real->xGetLastError(Owner(vfs)->real, n, out);
}
int VCurrentTimeInt64(sqlite3_vfs* vfs, sqlite3_int64* out) {
  return Owner(vfs)->real->xCurrentTimeInt64(Owner(vfs)->real, out);
}

// Writes the durable bytes back and truncates to the durable size.
bool RestoreFile(const std::string& path, const FileUndo& u, CutStats* stats) {
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT;  // Its creation was undone.
  struct stat sb;
  bool ok = fstat(fd, &sb) == 0;
  for (const auto& [offset, bytes] : u.undo) {
    ok = ok && pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(offset)) ==
                   static_cast<ssize_t>(bytes.size());
    stats->discarded_bytes += bytes.size();
  }
  if (ok && static_cast<uint64_t>(sb.st_size) > u.durable_size) {
    stats->discarded_bytes += static_cast<uint64_t>(sb.st_size) - u.durable_size;
  }
  ok = ok && ftruncate(fd, static_cast<off_t>(u.durable_size)) == 0;
  close(fd);
  stats->files_restored++;
  return ok;
}

}  // namespace

SqlitePowercutVfs::SqlitePowercutVfs(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

SqlitePowercutVfs::~SqlitePowercutVfs() {
  sqlite3_vfs_unregister(&impl_->vfs);
  std::lock_guard<std::mutex> l(impl_->mu);
  impl_->CommitNamesLocked();  // Like a clean shutdown: no trash files left behind.
}

const std::string& SqlitePowercutVfs::name() const { return impl_->name; }

Result<std::unique_ptr<SqlitePowercutVfs>> SqlitePowercutVfs::Register(
    const std::string& vfs_name) {
  auto impl = std::make_unique<Impl>();
  impl->name = vfs_name;
  impl->real = sqlite3_vfs_find(nullptr);
  if (impl->real == nullptr) return Status::Unavailable("sqlite", "no default VFS");
  if (sqlite3_vfs_find(vfs_name.c_str()) != nullptr) {
    return Status::InvalidArgument(vfs_name, "a VFS with this name is already registered");
  }
  sqlite3_vfs& v = impl->vfs;
  v.iVersion = 2;
  v.szOsFile = static_cast<int>(sizeof(PcFile)) + impl->real->szOsFile;
  v.mxPathname = impl->real->mxPathname;
  v.zName = impl->name.c_str();
  v.pAppData = impl.get();
  v.xOpen = VOpen;
  v.xDelete = VDelete;
  v.xAccess = VAccess;
  v.xFullPathname = VFullPathname;
  v.xDlOpen = VDlOpen;
  v.xDlError = VDlError;
  v.xDlSym = VDlSym;
  v.xDlClose = VDlClose;
  v.xRandomness = VRandomness;
  v.xSleep = VSleep;
  v.xCurrentTime = VCurrentTime;
  v.xGetLastError = VGetLastError;
  v.xCurrentTimeInt64 = VCurrentTimeInt64;
  if (sqlite3_vfs_register(&v, 0) != SQLITE_OK) {
    return Status::Internal("sqlite3_vfs_register failed for " + vfs_name);
  }
  return std::unique_ptr<SqlitePowercutVfs>(new SqlitePowercutVfs(std::move(impl)));
}

Result<CutStats> SqlitePowercutVfs::Cut() {
  Impl* impl = impl_.get();
  std::lock_guard<std::mutex> l(impl->mu);
  impl->epoch++;  // From now on every handle opened before the cut fails.
  CutStats stats;
  for (auto it = impl->journal.rbegin(); it != impl->journal.rend(); ++it) {
    bool ok = true;
    if (it->kind == NameOpKind::kCreated) {
      ok = unlink(it->path.c_str()) == 0 || errno == ENOENT;
      impl->files.erase(it->path);
    } else {
      ok = rename(it->trash.c_str(), it->path.c_str()) == 0;
      auto f = impl->files.find(it->trash);
      if (f != impl->files.end()) {
        impl->files[it->path] = std::move(f->second);
        impl->files.erase(f);
      }
    }
    if (!ok) stats.errors++;
    stats.names_undone++;
  }
  impl->journal.clear();
  for (const auto& [path, undo] : impl->files) {
    if (!RestoreFile(path, undo, &stats)) stats.errors++;
  }
  impl->files.clear();
  stats.cut_number = ++impl->cuts;
  if (stats.errors != 0) {
    return Status::IOError(impl->name, std::to_string(stats.errors) + " undo steps failed");
  }
  return stats;
}

}  // namespace waltune::powercut
