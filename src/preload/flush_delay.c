/* libwaltune_flushdelay.so: emulates slower storage for `waltune verify --flush-latency-us`.
 *
 * Loaded with LD_PRELOAD into a database server. When WALTUNE_FLUSH_DELAY_US=X (> 0) is set, it
 * sleeps X microseconds before each call that waits for durable storage, then makes the real
 * call, so a flush costs X + the device's own latency:
 *   - fsync, fdatasync (how PostgreSQL, InnoDB and SQLite flush by default);
 *   - write, pwrite, writev, pwritev, pwritev2 on a file descriptor opened with O_SYNC or O_DSYNC
 *     (PostgreSQL wal_sync_method=open_datasync/open_sync, InnoDB innodb_flush_method=O_DSYNC).
 *     The flag is read with fcntl(F_GETFL) at each write, so descriptors opened before the
 *     library was loaded, duplicated ones and ones inherited across fork are all covered.
 * Not delayed: sync_file_range (PostgreSQL's writeback hint; it guarantees no durability),
 * syncfs/sync, msync, and asynchronous I/O submitted through libaio/io_uring (data-file writes
 * in InnoDB; the redo log is still flushed with fsync/fdatasync or written to an O_DSYNC fd).
 *
 * When WALTUNE_FLUSH_DELAY_COUNTER names a file of at least 8 bytes that the process can write,
 * every delay adds one to the 64-bit count at its start (a shared mapping, so all the server's
 * processes count into one place): verify reads it to prove that flushes were delayed, which a
 * timing alone cannot tell from a slow disk.
 *
 * Written in C so that nothing else (no C++ runtime) is injected into the server.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

static long g_delay_us = 0;
static uint64_t* g_delayed = NULL; /* shared count of delayed calls; NULL: not counted */

__attribute__((constructor)) static void waltune_flushdelay_init(void) {
  const char* v = getenv("WALTUNE_FLUSH_DELAY_US");
  if (v != NULL) {
    /* The whole value must be a number in range; anything else leaves flushes undelayed, which
     * waltune verify detects by timing a flush in the server (it never trusts the variable). */
    char* end = NULL;
    errno = 0;
    long us = strtol(v, &end, 10);
    if (errno == 0 && end != v && *end == '\0' && us > 0 && us < 10L * 1000 * 1000) {
      g_delay_us = us;
    }
  }
  const char* counter = getenv("WALTUNE_FLUSH_DELAY_COUNTER");
  if (g_delay_us > 0 && counter != NULL) {
    int saved = errno;
    int fd = open(counter, O_RDWR | O_CLOEXEC);
    if (fd >= 0) {
      void* p = mmap(NULL, sizeof(uint64_t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
      if (p != MAP_FAILED) g_delayed = (uint64_t*)p;
      close(fd);
    }
    errno = saved;
  }
}

static void delay(void) {
  if (g_delay_us <= 0) return;
  int saved = errno;
  struct timespec ts;
  ts.tv_sec = g_delay_us / 1000000;
  ts.tv_nsec = (g_delay_us % 1000000) * 1000;
  while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR) {
  }
  if (g_delayed != NULL) __atomic_add_fetch(g_delayed, 1, __ATOMIC_RELAXED);
  errno = saved;
}

static int is_sync_fd(int fd) {
  if (g_delay_us <= 0) return 0;
  int saved = errno;
  int flags = fcntl(fd, F_GETFL);
  errno = saved;
  return flags >= 0 && (flags & O_DSYNC) != 0; /* O_SYNC includes the O_DSYNC bit */
}

#define REAL(name, type)      \
  static type real_fn = NULL; \
  if (real_fn == NULL) real_fn = (type)dlsym(RTLD_NEXT, name)

int fsync(int fd) {
  typedef int (*fn_t)(int);
  REAL("fsync", fn_t);
  delay();
  return real_fn(fd);
}

int fdatasync(int fd) {
  typedef int (*fn_t)(int);
  REAL("fdatasync", fn_t);
  delay();
  return real_fn(fd);
}

ssize_t write(int fd, const void* buf, size_t n) {
  typedef ssize_t (*fn_t)(int, const void*, size_t);
  REAL("write", fn_t);
  if (is_sync_fd(fd)) delay();
  return real_fn(fd, buf, n);
}

ssize_t pwrite(int fd, const void* buf, size_t n, off_t off) {
  typedef ssize_t (*fn_t)(int, const void*, size_t, off_t);
  REAL("pwrite", fn_t);
  if (is_sync_fd(fd)) delay();
  return real_fn(fd, buf, n, off);
}

ssize_t pwrite64(int fd, const void* buf, size_t n, off_t off) {
  typedef ssize_t (*fn_t)(int, const void*, size_t, off_t);
  REAL("pwrite64", fn_t);
  if (is_sync_fd(fd)) delay();
  return real_fn(fd, buf, n, off);
}

ssize_t writev(int fd, const struct iovec* iov, int cnt) {
  typedef ssize_t (*fn_t)(int, const struct iovec*, int);
  REAL("writev", fn_t);
  if (is_sync_fd(fd)) delay();
  return real_fn(fd, iov, cnt);
}

ssize_t pwritev(int fd, const struct iovec* iov, int cnt, off_t off) {
  typedef ssize_t (*fn_t)(int, const struct iovec*, int, off_t);
  REAL("pwritev", fn_t);
  if (is_sync_fd(fd)) delay();
  return real_fn(fd, iov, cnt, off);
}

ssize_t pwritev64(int fd, const struct iovec* iov, int cnt, off_t off) {
  typedef ssize_t (*fn_t)(int, const struct iovec*, int, off_t);
  REAL("pwritev64", fn_t);
  if (is_sync_fd(fd)) delay();
  return real_fn(fd, iov, cnt, off);
}

ssize_t pwritev2(int fd, const struct iovec* iov, int cnt, off_t off, int flags) {
  typedef ssize_t (*fn_t)(int, const struct iovec*, int, off_t, int);
  REAL("pwritev2", fn_t);
  /* RWF_DSYNC/RWF_SYNC make a single write durable, like an O_DSYNC fd. */
  if (is_sync_fd(fd) || (g_delay_us > 0 && (flags & (0x2 | 0x4)) != 0)) delay();
  return real_fn(fd, iov, cnt, off, flags);
}
