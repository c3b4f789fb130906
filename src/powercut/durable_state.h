// DurableState: the bookkeeping behind waltune-powercut, independent of FUSE.
//
// Every change is applied to the backing directory at once (so reads see the latest data);
// DurableState remembers what it takes to go back to the durable state:
//  - data: per inode, the durable size and the durable bytes of every range overwritten,
//    truncated or punched since the inode was last synced ("undo ranges");
//  - names: an ordered journal of namespace changes (create, mkdir, mknod, symlink, link,
//    unlink, rmdir, rename) since the last directory sync. Removed entries are kept alive in a
//    hidden trash directory so that a cut can put the very same inode back.
// A power cut writes the undo ranges back, truncates to the durable sizes and undoes the journal
// in reverse order. See docs/powercut.md for the exact semantics.
//
// Thread-safety: all methods are thread-safe. Callers hold OpGuard() (shared) around every file
// system operation so that Cut() (exclusive) never sees an operation half done.
#ifndef WALTUNE_SRC_POWERCUT_DURABLE_STATE_H_
#define WALTUNE_SRC_POWERCUT_DURABLE_STATE_H_

#include <dirent.h>
#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "waltune/powercut.h"  // PendingStats: what Stats() reports and the "stats" reply carries

namespace waltune::powercut {

// Name of the hidden directory (directly under the backing root) that keeps removed entries
// until their removal is durable. Invisible through the mount.
inline constexpr char kTrashDirName[] = ".powercut-trash";

// The directory `path` (relative to `root_fd`) opened as a stream: openat with O_RDONLY |
// O_DIRECTORY | O_CLOEXEC | `extra_flags`, then fdopendir. Null with errno set on failure.
// closedir() closes the descriptor too.
DIR* OpenDirectoryAt(int root_fd, const std::string& path, int extra_flags);

struct DurableStateOptions {
  // Behave like ext4/XFS: fsync/fdatasync of any file also commits every namespace change made
  // before it (the journal is shared). Default: false (only a directory fsync commits names,
  // which is what POSIX promises).
  bool file_sync_commits_names = false;
  // Pass every fsync/fdatasync on to the backing file system as well, so that flushes cost
  // what they cost on the real disk underneath. Default: false (flushes are free).
  bool sync_backing = false;
};

// How a cut treats what is not durable.
struct CutPolicy {
  // 0 (default): strict, everything not durable is discarded. Otherwise the seed of a "lucky"
  // cut, closer to a real disk: each unflushed 4 KiB block (aligned to the file offset) of data
  // that overwrote durable data is kept with probability 1/2, as if the disk had written it
  // (so pages larger than 4 KiB can come back torn), and a random prefix of the pending name
  // journal is kept, as if the file system journal had committed that far. File sizes still go
  // back to their durable values.
  uint32_t random_seed = 0;
};

// Outcome of one power cut.
struct CutResult {
  uint64_t cut_number = 0;       // 1 for the first cut of this mount.
  uint64_t discarded_bytes = 0;  // Unsynced bytes overwritten back or truncated away.
  uint64_t files_restored = 0;   // Inodes whose data was rolled back.
  uint64_t names_undone = 0;     // Namespace changes undone.
  uint64_t kept_bytes = 0;       // Unflushed bytes a random cut kept (0 for strict cuts).
  uint64_t names_kept = 0;       // Pending namespace changes a random cut kept.
  uint64_t errors = 0;           // Undo steps that failed (see stderr); 0 when all is well.
  std::vector<std::string> touched_paths;  // Mount-relative paths to invalidate in the kernel.
};

class DurableState {
 public:
  // "root_fd" is an O_PATH or O_DIRECTORY descriptor of the backing directory; it must stay
  // open while this object lives. Clears any trash left by an earlier run.
  DurableState(int root_fd, DurableStateOptions options);
  ~DurableState();

  DurableState(const DurableState&) = delete;
  DurableState& operator=(const DurableState&) = delete;

  // Shared lock every file system operation holds; Cut() takes it exclusively.
  std::shared_lock<std::shared_mutex> OpGuard() { return std::shared_lock(op_mu_); }

  // ---- Data. "fd" is a backing descriptor of a regular file opened read-write.
  // "path" (mount-relative, may be empty) is only used to invalidate kernel caches after a cut.
  // Each returns bytes written / 0 on success or -errno.

  // Writes "len" bytes at "offset" (at the end of the file when "append"). When "synced" the
  // written range (and the size it implies) is durable on return, as with O_DSYNC.
  ssize_t Write(int fd, const std::string& path, const char* buf, size_t len, off_t offset,
                bool append, bool synced);
  int Truncate(int fd, const std::string& path, off_t size);
  int Fallocate(int fd, const std::string& path, int mode, off_t offset, off_t len);
  // fsync/fdatasync: the inode's data and size become durable.
  int SyncFile(int fd, bool datasync = false);

  // ---- Names. Paths are relative to the backing root ("a/b", never starting with '/').
  // Each performs the operation on the backing directory and journals it; returns 0 or -errno.
  // "uid"/"gid" own the new entry.
  int Mkdir(const std::string& path, mode_t mode, uid_t uid, gid_t gid);
  int Mknod(const std::string& path, mode_t mode, dev_t rdev, uid_t uid, gid_t gid);
  int Symlink(const std::string& target, const std::string& path, uid_t uid, gid_t gid);
  int Link(const std::string& from, const std::string& to);
  // Opens (creating if needed) a regular file; returns the fd or -errno. "flags" are the
  // caller's; a file that already exists is opened unless O_EXCL was given.
  int Create(const std::string& path, int flags, mode_t mode, uid_t uid, gid_t gid);
  int Unlink(const std::string& path);
  int Rmdir(const std::string& path);
  int Rename(const std::string& from, const std::string& to, unsigned int flags);
  // fsync of a directory: every namespace change so far becomes durable (one shared journal,
  // as in ext4/XFS). "dir_fd" (optional) is flushed too when sync_backing is set.
  int SyncDirectory(int dir_fd = -1);

  // ---- Power.
  // Discards everything not durable. Takes the op lock exclusively: waits for running
  // operations, and operations arriving meanwhile wait for the cut.
  CutResult Cut(const CutPolicy& policy = CutPolicy());
  // Makes everything durable (like sync(2), which FUSE never sees). Used at clean unmount.
  void SyncAll();
  PendingStats Stats();

 private:
  struct InodeKey {
    dev_t dev;
    ino_t ino;
    bool operator==(const InodeKey& o) const { return dev == o.dev && ino == o.ino; }
  };
  struct InodeKeyHash {
    size_t operator()(const InodeKey& k) const {
      return std::hash<uint64_t>()(static_cast<uint64_t>(k.ino) * 1000003u ^ k.dev);
    }
  };
  // Durable bytes of one range: in "bytes", or at "spill_offset" of the inode's spill file,
  // or zeros when neither.
  struct UndoRange {
    uint64_t len_bytes = 0;
    std::string bytes;
    int64_t spill_offset = -1;
  };
  struct InodeState {
    std::mutex mu;
    bool dead = false;                   // GUARDED_BY(mu): removed from inodes_, look up again.
    int fd = -1;                         // Own read-write descriptor; keeps the inode alive.
    uint64_t durable_size = 0;           // GUARDED_BY(mu)
    std::map<uint64_t, UndoRange> undo;  // GUARDED_BY(mu): offset -> durable bytes.
    std::string path;                    // GUARDED_BY(mu): last path seen, for invalidation.
    int spill_fd = -1;                   // GUARDED_BY(mu): unnamed file in the trash dir, or -1.
    uint64_t spill_end = 0;              // GUARDED_BY(mu): bytes used in the spill file.
    uint64_t memory_bytes = 0;           // GUARDED_BY(mu): undo bytes held in memory.
  };
  enum class NameOpKind { kCreated, kTrashed, kRenamed, kExchanged };
  struct NameOp {
    NameOpKind kind;
    std::string path;   // kCreated/kTrashed: the entry; kRenamed/kExchanged: source.
    std::string other;  // kTrashed: trash name; kRenamed/kExchanged: destination.
    bool is_dir = false;
  };

  // Returns the locked state of the inode behind "fd", creating it (durable = current).
  std::shared_ptr<InodeState> LockedState(int fd, std::unique_lock<std::mutex>* lock);
  // REQUIRES: st->mu held. Saves the durable bytes of [offset, offset+len) not yet saved.
  int SaveRange(InodeState* st, uint64_t offset, uint64_t len);
  // REQUIRES: st->mu held. Marks [offset, offset+len) durable as just written.
  void MarkDurable(InodeState* st, uint64_t offset, uint64_t len, uint64_t size);
  // REQUIRES: names_mu_ held. Moves "path" into the trash and journals it.
  int TrashLocked(const std::string& path, bool is_dir);
  // REQUIRES: names_mu_ held.
  void CommitNamesLocked();
  void DropDeadInodes();
  // REQUIRES: st->mu held. Closes the inode's descriptors and releases its undo memory.
  void ReleaseState(InodeState* st);
  // REQUIRES: st->mu held. Stores the durable bytes [offset, offset+len) of the inode.
  int StoreUndo(InodeState* st, uint64_t offset, uint64_t len, UndoRange* out);
  bool UndoNameOp(const NameOp& op);
  // "rng" null: restore everything; else keep a random half of the 4 KiB blocks.
  bool RestoreInode(InodeState* st, std::mt19937* rng, CutResult* result);
  // REQUIRES: st->mu held. Writes back the durable bytes of [at, at+len) within "range".
  int RestorePart(InodeState* st, uint64_t offset, const UndoRange& range, uint64_t at,
                  uint64_t len);

  const int root_fd_;
  const DurableStateOptions options_;
  std::shared_mutex op_mu_;

  std::mutex inodes_mu_;
  std::unordered_map<InodeKey, std::shared_ptr<InodeState>, InodeKeyHash> inodes_;

  std::mutex names_mu_;
  std::vector<NameOp> journal_;  // GUARDED_BY(names_mu_)
  uint64_t next_trash_id_ = 0;   // GUARDED_BY(names_mu_)
  uint64_t cuts_ = 0;            // GUARDED_BY(op_mu_ exclusive)
  // Undo bytes kept in memory, all inodes. Ranges of 64 KiB and more, and everything once this
  // passes 256 MiB, go to per-inode spill files on the backing file system instead.
  std::atomic<uint64_t> memory_undo_bytes_{0};
};

}  // namespace waltune::powercut

#endif  // WALTUNE_SRC_POWERCUT_DURABLE_STATE_H_
