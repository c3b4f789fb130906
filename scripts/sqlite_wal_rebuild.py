#!/usr/bin/env python3
"""SQLite's start-up after a crash, timed apart from verify: the first reader rebuilds the WAL
index by reading every frame of the WAL (wal.c walIndexRecover). For each WAL size, a child
process fills the WAL (wal_autocheckpoint=0) and exits without closing, as a killed writer
leaves it; then REPEATS times, warm and after dropping the files from the page cache (sync,
POSIX_FADV_DONTNEED), a new process opens the database, reads the schema (verify's recovery
query) and exits without closing (so the WAL stays for the next round). Prints the medians and
the rate WAL bytes / time. docs/wal-model.md, "SQLite".

Usage: scripts/sqlite_wal_rebuild.py [DIR] [REPEATS] [MB ...]   (default: temp dir, 11, 16 40 100)
"""
import glob
import os
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sqlite_open_cost import drop_cache  # noqa: E402

FILL = """
import os, sqlite3, sys
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute('PRAGMA journal_mode=WAL'); c.execute('PRAGMA wal_autocheckpoint=0')
c.execute('CREATE TABLE t (k INTEGER PRIMARY KEY, pad BLOB)')
c.execute('BEGIN')
for i in range(int(sys.argv[2]) * 1024 * 1024 // 4120):
    c.execute('INSERT INTO t VALUES (?, randomblob(3900))', (i,))
    if i % 50 == 49:
        c.execute('COMMIT'); c.execute('BEGIN')
c.execute('COMMIT')
os._exit(0)
"""

OPEN = """
import os, sqlite3, sys, time
t0 = time.perf_counter()
c = sqlite3.connect(sys.argv[1])
c.execute('SELECT count(*) FROM sqlite_master').fetchone()
print(time.perf_counter() - t0, flush=True)
os._exit(0)
"""


def timed_open(path):
    out = subprocess.run([sys.executable, "-c", OPEN, path], capture_output=True, text=True,
                         check=True)
    return float(out.stdout)


def main():
    base = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="sqlite-wal-")
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 11
    sizes = [int(m) for m in sys.argv[3:]] or [16, 40, 100]
    path = os.path.join(base, "wal-rebuild.db")
    for mb in sizes:
        for p in glob.glob(path + "*"):
            os.unlink(p)
        subprocess.run([sys.executable, "-c", FILL, path, str(mb)], check=True)
        wal = os.path.getsize(path + "-wal")
        warm, cold = [], []
        for _ in range(repeats):
            warm.append(timed_open(path))
            drop_cache(path)
            cold.append(timed_open(path))
        mw, mc = statistics.median(warm), statistics.median(cold)
        print("WAL %.1f MB: warm %.1f ms (%.2f GB/s, range %.1f-%.1f), cold %.1f ms (%.2f GB/s, "
              "range %.1f-%.1f)" % (wal / 1e6, mw * 1e3, wal / mw / 1e9, min(warm) * 1e3,
                                    max(warm) * 1e3, mc * 1e3, wal / mc / 1e9, min(cold) * 1e3,
                                    max(cold) * 1e3))
    for p in glob.glob(path + "*"):
        os.unlink(p)


if __name__ == "__main__":
    main()
