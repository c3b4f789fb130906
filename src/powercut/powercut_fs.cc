#define FUSE_USE_VERSION 314
#include "powercut/powercut_fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <fuse3/fuse.h>
#include <fuse3/fuse_lowlevel.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <set>
#include <string>

#include "powercut/control_server.h"
#include "powercut/durable_state.h"

namespace waltune::powercut {

namespace {

struct Context {
  FsOptions options;
  int root_fd = -1;
  std::unique_ptr<DurableState> state;
  ControlServer control;
  struct fuse* fuse = nullptr;
};

// One open file or directory.
struct Handle {
  int fd = -1;
  DIR* dir = nullptr;
  bool synced = false;  // Opened O_SYNC or O_DSYNC: each write is durable on return.
  bool append = false;
  std::string path;  // Backing-relative path at open time (for cache invalidation).
};

Context* Ctx() { return static_cast<Context*>(fuse_get_context()->private_data); }
Handle* H(const fuse_file_info* fi) { return reinterpret_cast<Handle*>(fi->fh); }

// "/a/b" -> "a/b"; "/" -> ".".
std::string Rel(const char* path) {
  if (path == nullptr) return "";
  while (*path == '/') ++path;
  return *path == '\0' ? std::string(".") : std::string(path);
}

bool IsHidden(const std::string& rel) {
  static const std::string kTrash = kTrashDirName;
  return rel == kTrash || rel.rfind(kTrash + "/", 0) == 0;
}

int Errno(int r) { return r == 0 ? 0 : -errno; }

// Runs `op(c, rel)` on the backing-relative form of a mount path, under the operation guard.
// The hidden trash directory does not exist through the mount: ENOENT.
template <typename Op>
int OnPath(const char* path, Op op) {
  Context* c = Ctx();
  auto guard = c->state->OpGuard();
  const std::string rel = Rel(path);
  if (IsHidden(rel)) return -ENOENT;
  return op(c, rel);
}

// OnPath for the two paths of rename and link.
template <typename Op>
int OnTwoPaths(const char* from, const char* to, Op op) {
  Context* c = Ctx();
  auto guard = c->state->OpGuard();
  const std::string rel_from = Rel(from);
  const std::string rel_to = Rel(to);
  if (IsHidden(rel_from) || IsHidden(rel_to)) return -ENOENT;
  return op(c, rel_from, rel_to);
}

// Attribute calls: through the open handle when FUSE passes one (`by_handle(c, h)`), else by
// path as OnPath.
template <typename ByHandle, typename ByPath>
int OnHandleOrPath(const char* path, fuse_file_info* fi, ByHandle by_handle, ByPath by_path) {
  if (fi == nullptr || fi->fh == 0) return OnPath(path, by_path);
  Context* c = Ctx();
  auto guard = c->state->OpGuard();
  return by_handle(c, H(fi));
}

int OpGetattr(const char* path, struct stat* st, fuse_file_info* fi) {
  return OnHandleOrPath(
      path, fi, [st](Context*, Handle* h) { return Errno(fstat(h->fd, st)); },
      [st](Context* c, const std::string& rel) {
        return Errno(fstatat(c->root_fd, rel.c_str(), st, AT_SYMLINK_NOFOLLOW));
      });
}

int OpReadlink(const char* path, char* buf, size_t size) {
  return OnPath(path, [buf, size](Context* c, const std::string& rel) {
    ssize_t n = readlinkat(c->root_fd, rel.c_str(), buf, size - 1);
    if (n < 0) return -errno;
    buf[n] = '\0';
    return 0;
  });
}

int OpMknod(const char* path, mode_t mode, dev_t rdev) {
  return OnPath(path, [mode, rdev](Context* c, const std::string& rel) {
    const fuse_context* fc = fuse_get_context();
    return c->state->Mknod(rel, mode, rdev, fc->uid, fc->gid);
  });
}

int OpMkdir(const char* path, mode_t mode) {
  return OnPath(path, [mode](Context* c, const std::string& rel) {
    const fuse_context* fc = fuse_get_context();
    return c->state->Mkdir(rel, mode, fc->uid, fc->gid);
  });
}

int OpUnlink(const char* path) {
  return OnPath(path, [](Context* c, const std::string& rel) { return c->state->Unlink(rel); });
}

int OpRmdir(const char* path) {
  return OnPath(path, [](Context* c, const std::string& rel) { return c->state->Rmdir(rel); });
}

int OpSymlink(const char* target, const char* path) {
  return OnPath(path, [target](Context* c, const std::string& rel) {
    const fuse_context* fc = fuse_get_context();
    return c->state->Symlink(target, rel, fc->uid, fc->gid);
  });
}

int OpRename(const char* from, const char* to, unsigned int flags) {
  return OnTwoPaths(from, to, [flags](Context* c, const std::string& f, const std::string& t) {
    return c->state->Rename(f, t, flags);
  });
}

int OpLink(const char* from, const char* to) {
  return OnTwoPaths(from, to, [](Context* c, const std::string& f, const std::string& t) {
    return c->state->Link(f, t);
  });
}

int OpChmod(const char* path, mode_t mode, fuse_file_info* fi) {
  return OnHandleOrPath(
      path, fi, [mode](Context*, Handle* h) { return Errno(fchmod(h->fd, mode)); },
      [mode](Context* c, const std::string& rel) {
        return Errno(fchmodat(c->root_fd, rel.c_str(), mode, 0));
      });
}

int OpChown(const char* path, uid_t uid, gid_t gid, fuse_file_info* fi) {
  return OnHandleOrPath(
      path, fi, [uid, gid](Context*, Handle* h) { return Errno(fchown(h->fd, uid, gid)); },
      [uid, gid](Context* c, const std::string& rel) {
        return Errno(fchownat(c->root_fd, rel.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW));
      });
}

int OpTruncate(const char* path, off_t size, fuse_file_info* fi) {
  return OnHandleOrPath(
      path, fi, [size](Context* c, Handle* h) { return c->state->Truncate(h->fd, h->path, size); },
      [size](Context* c, const std::string& rel) {
        int fd = openat(c->root_fd, rel.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0) return -errno;
        int r = c->state->Truncate(fd, rel, size);
        close(fd);
        return r;
      });
}

// Opens the backing file read-write when possible: the undo bookkeeping needs to read and
// write through the same descriptor whatever the caller asked for.
int OpenBacking(int root_fd, const std::string& rel, int flags) {
  int fd = openat(root_fd, rel.c_str(), O_RDWR | O_CLOEXEC | (flags & O_NOFOLLOW));
  if (fd < 0 && (errno == EACCES || errno == EROFS || errno == ETXTBSY || errno == EPERM)) {
    fd = openat(root_fd, rel.c_str(), (flags & (O_ACCMODE | O_NOFOLLOW)) | O_CLOEXEC);
  }
  return fd >= 0 ? fd : -errno;
}

int FinishOpen(Context* c, const std::string& rel, int fd, fuse_file_info* fi) {
  if ((fi->flags & O_TRUNC) != 0) {
    int r = c->state->Truncate(fd, rel, 0);
    if (r < 0) {
      close(fd);
      return r;
    }
  }
  auto* h = new Handle;
  h->fd = fd;
  h->synced = (fi->flags & O_DSYNC) != 0;  // O_SYNC includes the O_DSYNC bit.
  h->append = (fi->flags & O_APPEND) != 0;
  h->path = rel;
  fi->fh = reinterpret_cast<uint64_t>(h);
  fi->keep_cache = 0;  // Page cache is dropped at every open: a cut is seen on reopen.
  fi->direct_io = 0;
  return 0;
}

int OpOpen(const char* path, fuse_file_info* fi) {
  return OnPath(path, [fi](Context* c, const std::string& rel) {
    int fd = OpenBacking(c->root_fd, rel, fi->flags);
    if (fd < 0) return fd;
    return FinishOpen(c, rel, fd, fi);
  });
}

int OpCreate(const char* path, mode_t mode, fuse_file_info* fi) {
  return OnPath(path, [mode, fi](Context* c, const std::string& rel) {
    const fuse_context* fc = fuse_get_context();
    int fd = c->state->Create(rel, fi->flags, mode, fc->uid, fc->gid);
    if (fd < 0) return fd;
    return FinishOpen(c, rel, fd, fi);
  });
}

int OpRead(const char*, char* buf, size_t size, off_t offset, fuse_file_info* fi) {
  Context* c = Ctx();
  auto guard = c->state->OpGuard();
  size_t done = 0;
  while (done < size) {
    ssize_t n = pread(H(fi)->fd, buf + done, size - done, offset + static_cast<off_t>(done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  return static_cast<int>(done);
}

int OpWrite(const char*, const char* buf, size_t size, off_t offset, fuse_file_info* fi) {
  Context* c = Ctx();
  auto guard = c->state->OpGuard();
  Handle* h = H(fi);
  return static_cast<int>(c->state->Write(h->fd, h->path, buf, size, offset, h->append, h->synced));
}

int OpStatfs(const char*, struct statvfs* st) {
  Context* c = Ctx();
  return Errno(fstatvfs(c->root_fd, st));
}

int OpFlush(const char*, fuse_file_info*) { return 0; }

int OpRelease(const char*, fuse_file_info* fi) {
  Handle* h = H(fi);
  close(h->fd);
  delete h;
  return 0;
}

int OpFsync(const char*, int datasync, fuse_file_info* fi) {
  Context* c = Ctx();
  auto guard = c->state->OpGuard();
  return c->state->SyncFile(H(fi)->fd, datasync != 0);
}

int OpOpendir(const char* path, fuse_file_info* fi) {
  return OnPath(path, [fi](Context* c, const std::string& rel) {
    DIR* dir = OpenDirectoryAt(c->root_fd, rel, 0);
    if (dir == nullptr) return -errno;
    auto* h = new Handle;
    h->dir = dir;
    h->fd = dirfd(dir);
    h->path = rel;
    fi->fh = reinterpret_cast<uint64_t>(h);
    return 0;
  });
}

int OpReaddir(const char*, void* buf, fuse_fill_dir_t filler, off_t, fuse_file_info* fi,
              fuse_readdir_flags) {
  Context* c = Ctx();
  auto guard = c->state->OpGuard();
  Handle* h = H(fi);
  const bool at_root = h->path == ".";
  rewinddir(h->dir);
  errno = 0;
  while (dirent* e = readdir(h->dir)) {
    if (at_root && std::strcmp(e->d_name, kTrashDirName) == 0) continue;
    struct stat st {};
    st.st_ino = e->d_ino;
    st.st_mode = static_cast<mode_t>(DTTOIF(e->d_type));
    if (filler(buf, e->d_name, &st, 0, static_cast<fuse_fill_dir_flags>(0)) != 0) break;
  }
  return -errno;
}

int OpReleasedir(const char*, fuse_file_info* fi) {
  Handle* h = H(fi);
  closedir(h->dir);
  delete h;
  return 0;
}

int OpFsyncdir(const char*, int, fuse_file_info* fi) {
  Context* c = Ctx();
  auto guard = c->state->OpGuard();
  return c->state->SyncDirectory(fi != nullptr && fi->fh != 0 ? H(fi)->fd : -1);
}

int OpUtimens(const char* path, const timespec tv[2], fuse_file_info* fi) {
  return OnHandleOrPath(
      path, fi, [tv](Context*, Handle* h) { return Errno(futimens(h->fd, tv)); },
      [tv](Context* c, const std::string& rel) {
        return Errno(utimensat(c->root_fd, rel.c_str(), tv, AT_SYMLINK_NOFOLLOW));
      });
}

int OpFallocate(const char*, int mode, off_t offset, off_t len, fuse_file_info* fi) {
  Context* c = Ctx();
  auto guard = c->state->OpGuard();
  return c->state->Fallocate(H(fi)->fd, H(fi)->path, mode, offset, len);
}

off_t OpLseek(const char*, off_t off, int whence, fuse_file_info* fi) {
  Context* c = Ctx();
  auto guard = c->state->OpGuard();
  off_t r = lseek(H(fi)->fd, off, whence);
  return r < 0 ? -errno : r;
}

std::string FormatCut(const CutResult& r) {
  char buf[320];
  std::snprintf(buf, sizeof(buf),
                "ok cut=%llu discarded_bytes=%llu files_restored=%llu names_undone=%llu "
                "kept_bytes=%llu names_kept=%llu errors=%llu",
                static_cast<unsigned long long>(r.cut_number),
                static_cast<unsigned long long>(r.discarded_bytes),
                static_cast<unsigned long long>(r.files_restored),
                static_cast<unsigned long long>(r.names_undone),
                static_cast<unsigned long long>(r.kept_bytes),
                static_cast<unsigned long long>(r.names_kept),
                static_cast<unsigned long long>(r.errors));
  return buf;
}

std::string FormatStats(const PendingStats& s) {
  char buf[256];
  std::snprintf(
      buf, sizeof(buf), "ok cuts=%llu dirty_files=%llu undo_bytes=%llu pending_names=%llu",
      static_cast<unsigned long long>(s.cuts), static_cast<unsigned long long>(s.dirty_files),
      static_cast<unsigned long long>(s.undo_bytes),
      static_cast<unsigned long long>(s.pending_names));
  return buf;
}

// Drops the kernel's cached pages and attributes of everything a cut changed, so that even a
// descriptor kept open across the cut reads the durable state.
void InvalidateKernelCaches(Context* c, const CutResult& r) {
  std::set<std::string> paths;
  for (const std::string& p : r.touched_paths) {
    std::string cur = p;
    for (;;) {
      paths.insert(cur == "." ? "/" : "/" + cur);
      size_t slash = cur.rfind('/');
      if (slash == std::string::npos) break;
      cur = cur.substr(0, slash);
    }
  }
  paths.insert("/");
  for (const std::string& p : paths) fuse_invalidate_path(c->fuse, p.c_str());
}

std::string HandleCommand(Context* c, const std::string& command) {
  if (command == "ping") return "ok";
  CutPolicy policy;
  if (command.rfind("cut random ", 0) == 0) {
    char* end = nullptr;
    unsigned long seed = std::strtoul(command.c_str() + 11, &end, 10);
    if (end == command.c_str() + 11 || *end != '\0' || seed == 0 || seed > 0xffffffffUL) {
      return "error cut random needs a seed in 1..4294967295";
    }
    policy.random_seed = static_cast<uint32_t>(seed);
  }
  if (command == "cut" || policy.random_seed != 0) {
    CutResult r = c->state->Cut(policy);
    InvalidateKernelCaches(c, r);
    return FormatCut(r);
  }
  if (command == "sync") {
    c->state->SyncAll();
    return "ok";
  }
  if (command == "stats") return FormatStats(c->state->Stats());
  return "error unknown command '" + command +
         "' (expected cut, cut random SEED, sync, stats or ping)";
}

void* OpInit(fuse_conn_info* conn, fuse_config* cfg) {
  Context* c = Ctx();
  c->fuse = fuse_get_context()->fuse;
  cfg->use_ino = 1;
  cfg->readdir_ino = 1;
  cfg->nullpath_ok = 1;
  cfg->hard_remove = 1;  // No .fuse_hidden renames: unlink is passed straight through.
  cfg->kernel_cache = 0;
  cfg->auto_cache = 0;
  cfg->entry_timeout = c->options.cache_timeout_sec;
  cfg->attr_timeout = c->options.cache_timeout_sec;
  cfg->negative_timeout = c->options.cache_timeout_sec;
  conn->max_write = 1 << 20;
  conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;  // Every write must reach us at once.
  if (conn->capable & FUSE_CAP_AUTO_INVAL_DATA) conn->want |= FUSE_CAP_AUTO_INVAL_DATA;
  if (!c->options.control_socket.empty()) {
    int r = c->control.Start(c->options.control_socket,
                             [c](const std::string& cmd) { return HandleCommand(c, cmd); });
    if (r < 0) {
      std::fprintf(stderr, "waltune-powercut: control socket %s: %s\n",
                   c->options.control_socket.c_str(), std::strerror(-r));
    }
  }
  return c;
}

void OpDestroy(void* data) {
  auto* c = static_cast<Context*>(data);
  c->control.Stop();
  // A clean unmount is a clean shutdown: what the backing directory holds now stays.
  c->state->SyncAll();
  unlinkat(c->root_fd, kTrashDirName, AT_REMOVEDIR);
}

fuse_operations MakeOperations() {
  fuse_operations ops{};
  ops.getattr = OpGetattr;
  ops.readlink = OpReadlink;
  ops.mknod = OpMknod;
  ops.mkdir = OpMkdir;
  ops.unlink = OpUnlink;
  ops.rmdir = OpRmdir;
  ops.symlink = OpSymlink;
  ops.rename = OpRename;
  ops.link = OpLink;
  ops.chmod = OpChmod;
  ops.chown = OpChown;
  ops.truncate = OpTruncate;
  ops.open = OpOpen;
  ops.read = OpRead;
  ops.write = OpWrite;
  ops.statfs = OpStatfs;
  ops.flush = OpFlush;
  ops.release = OpRelease;
  ops.fsync = OpFsync;
  ops.opendir = OpOpendir;
  ops.readdir = OpReaddir;
  ops.releasedir = OpReleasedir;
  ops.fsyncdir = OpFsyncdir;
  ops.init = OpInit;
  ops.destroy = OpDestroy;
  ops.create = OpCreate;
  ops.utimens = OpUtimens;
  ops.fallocate = OpFallocate;
  ops.lseek = OpLseek;
  // No lock/flock: the kernel then keeps POSIX and BSD locks locally, which is what
  // databases running on this one machine need.
  return ops;
}

// fuse_main() without its 3.14 max_threads bug: parse the command line, mount, serve with a
// multithreaded loop until unmounted or signalled, unmount. Returns the exit code.
int ServeFuse(std::vector<std::string> args, const fuse_operations& ops, Context* ctx) {
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  fuse_args fargs = FUSE_ARGS_INIT(static_cast<int>(argv.size()), argv.data());
  fuse_cmdline_opts opts{};
  if (fuse_parse_cmdline(&fargs, &opts) != 0 || opts.mountpoint == nullptr) {
    fuse_opt_free_args(&fargs);
    return 2;
  }
  int rc = 1;
  struct fuse* fuse = fuse_new(&fargs, &ops, sizeof(ops), ctx);
  if (fuse != nullptr) {
    if (fuse_mount(fuse, opts.mountpoint) == 0) {
      if (fuse_daemonize(opts.foreground) == 0 &&
          fuse_set_signal_handlers(fuse_get_session(fuse)) == 0) {
        if (opts.singlethread) {
          rc = fuse_loop(fuse) == 0 ? 0 : 1;
        } else {
          fuse_loop_config* config = fuse_loop_cfg_create();
          fuse_loop_cfg_set_clone_fd(config, static_cast<unsigned>(opts.clone_fd));
          fuse_loop_cfg_set_idle_threads(config, 16);
          fuse_loop_cfg_set_max_threads(config, 64);
          rc = fuse_loop_mt(fuse, config) == 0 ? 0 : 1;
          fuse_loop_cfg_destroy(config);
        }
        fuse_remove_signal_handlers(fuse_get_session(fuse));
      }
      fuse_unmount(fuse);
    }
    fuse_destroy(fuse);
  }
  free(opts.mountpoint);
  fuse_opt_free_args(&fargs);
  return rc;
}

}  // namespace

int RunPowercutFs(const FsOptions& options) {
  auto ctx = std::make_unique<Context>();
  ctx->options = options;
  ctx->root_fd = open(options.backing_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (ctx->root_fd < 0) {
    std::fprintf(stderr, "waltune-powercut: cannot open %s: %s\n", options.backing_dir.c_str(),
                 std::strerror(errno));
    return 1;
  }
  umask(0);  // Modes arrive with the caller's umask already applied.
  DurableStateOptions state_options;
  state_options.file_sync_commits_names = options.file_sync_commits_names;
  state_options.sync_backing = options.sync_backing;
  ctx->state = std::make_unique<DurableState>(ctx->root_fd, state_options);

  std::vector<std::string> args = {"waltune-powercut", options.mountpoint, "-o",
                                   "fsname=waltune-powercut"};
  args.insert(args.end(), options.fuse_args.begin(), options.fuse_args.end());
  fuse_operations ops = MakeOperations();
  int rc = ServeFuse(args, ops, ctx.get());
  ctx->state.reset();
  close(ctx->root_fd);
  return rc;
}

}  // namespace waltune::powercut
