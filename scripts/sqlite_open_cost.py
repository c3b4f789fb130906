#!/usr/bin/env python3
"""What opening an SQLite database costs besides its WAL scan (the open term of the SQLite
recovery estimate, docs/wal-model.md): open a WAL-mode database whose WAL is empty and read its
schema (SELECT count(*) FROM sqlite_master, verify's recovery query), warm and after dropping
every file of it from the page cache (sync, POSIX_FADV_DONTNEED). Prints the medians in ms.

Usage: scripts/sqlite_open_cost.py [DIR] [REPEATS]   (DIR default: a new temp dir)
"""
import glob
import os
import sqlite3
import statistics
import sys
import tempfile
import time


def drop_cache(prefix):
    os.sync()
    for path in glob.glob(prefix + "*"):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def open_and_read_schema(path):
    t0 = time.perf_counter()
    db = sqlite3.connect(path)
    db.execute("SELECT count(*) FROM sqlite_master").fetchone()
    elapsed = time.perf_counter() - t0
    db.close()
    return elapsed


def main():
    base = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="sqlite-open-")
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 21
    path = os.path.join(base, "open-cost.db")
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v INTEGER, pad TEXT)")
    db.executemany("INSERT INTO t VALUES (?, 0, ?)", ((i, "x" * 100) for i in range(100000)))
    db.commit()
    db.close()  # the last connection checkpoints and removes the WAL
    warm, cold = [], []
    for _ in range(repeats):
        warm.append(open_and_read_schema(path))
        drop_cache(path)
        cold.append(open_and_read_schema(path))
    print("SQLite %s, %d repeats: open + schema read, median warm %.3f ms, cold %.3f ms "
          "(min %.3f / %.3f, max %.3f / %.3f)" % (
              sqlite3.sqlite_version, repeats, statistics.median(warm) * 1e3,
              statistics.median(cold) * 1e3, min(warm) * 1e3, min(cold) * 1e3,
              max(warm) * 1e3, max(cold) * 1e3))
    for p in glob.glob(path + "*"):
        os.unlink(p)


if __name__ == "__main__":
    main()
