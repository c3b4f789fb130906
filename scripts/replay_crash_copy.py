#!/usr/bin/env python3
"""Replay one PostgreSQL crash again and again, under other settings.

Input: a crash copy made by `waltune verify --worst-case --crash-copy DIR` (DIR/crashN: the
killed instance, before its restart) and that run's JSON report (for the settings verify
applied and the crash window's LSNs). Each condition copies the crash afresh, optionally cuts
its WAL to a prefix of the window, drops the page cache, starts the server with verify's
settings plus the condition's, and reads the redo time and CPU from the server's own line
"redo done at ... system usage: CPU: user: U s, system: S s, elapsed: E s". One JSON line per
replay goes to stdout and is appended to OUT. docs/verify.md, "One 30 s window replayed again
and again", is what it measured.

Usage (as root: it drops the page cache and starts the server as the copy's owner):

    scripts/replay_crash_copy.py DIR/crash1 REPORT.json OUT.jsonl COND [COND ...]

COND is NAME[:sb=128MB][:prefetch=try|off][:frac=F][:cold=1|0]:
  sb        shared_buffers (default 128MB, verify's);
  prefetch  recovery_prefetch (default try, PostgreSQL 15's default);
  frac      replay only the first F of the window (0 < F <= 1): the WAL is cut there (the rest
            of that segment zeroed, later segments removed), so crash recovery ends at the cut.
            The cut must lie past the window's checkpoint record (pg_controldata's "Latest
            checkpoint location"), or the server finds no checkpoint;
  cold      1 (default): sync and drop the page cache first; 0: keep it.
Single replays vary by 25-50% on a shared machine: repeat each condition and take medians.
"""
import json
import os
import pwd
import re
import shutil
import subprocess
import sys
import time

SEGMENT_BYTES = 16 * 1024 * 1024
REDO_DONE = re.compile(r"redo done at (\S+) system usage: CPU: user: ([\d.]+) s, "
                       r"system: ([\d.]+) s, elapsed: ([\d.]+) s")


def bin_dir():
    versions = sorted((int(v), v) for v in os.listdir("/usr/lib/postgresql") if v.isdigit())
    return "/usr/lib/postgresql/%s/bin" % versions[-1][1]


def parse_condition(text):
    name, *parts = text.split(":")
    cond = {"name": name, "sb": "128MB", "prefetch": "try", "frac": 1.0, "cold": True}
    for part in parts:
        key, _, value = part.partition("=")
        if key == "sb":
            cond["sb"] = value
        elif key == "prefetch":
            if value not in ("try", "off", "on"):
                sys.exit("prefetch must be try, off or on: %r" % text)
            cond["prefetch"] = value
        elif key == "frac":
            cond["frac"] = float(value)
            if not 0 < cond["frac"] <= 1:
                sys.exit("frac must be in (0, 1]: %r" % text)
        elif key == "cold":
            cond["cold"] = value == "1"
        else:
            sys.exit("unknown key %r in %r" % (key, text))
    return cond


def cut_wal(wal_dir, lsn):
    """Ends the valid WAL at `lsn`: zeroes the rest of its segment, removes the later ones."""
    segno, offset = divmod(lsn, SEGMENT_BYTES)
    per_xlogid = 2**32 // SEGMENT_BYTES
    for name in os.listdir(wal_dir):
        if len(name) != 24 or any(c not in "0123456789ABCDEF" for c in name):
            continue
        n = int(name[8:16], 16) * per_xlogid + int(name[16:24], 16)
        path = os.path.join(wal_dir, name)
        if n > segno:
            os.remove(path)
        elif n == segno:
            with open(path, "r+b") as f:
                f.truncate(offset)
                f.truncate(SEGMENT_BYTES)


def replay(copy, work, report, cond):
    shutil.rmtree(work, ignore_errors=True)
    subprocess.run(["cp", "-a", "--", copy, work], check=True)
    os.chmod(work, 0o755)
    data = os.path.join(work, "data")
    owner = pwd.getpwuid(os.stat(data).st_uid).pw_name
    window = report["crashes"][-1]["worst_case"]["window"]
    start, end = window["start_lsn"], window["end_lsn"]
    cut = None
    if cond["frac"] < 1:
        cut = start + int(cond["frac"] * (end - start))
        cut_wal(os.path.join(data, "pg_wal"), cut)
    argv = [bin_dir() + "/postgres", "-D", data]
    fixed = {"listen_addresses": "", "unix_socket_directories": work, "port": "5432",
             "logging_collector": "off", "log_checkpoints": "on", "max_connections": "200"}
    settings = dict(report.get("applied_settings", {}))
    settings.update(fixed)
    settings.update({"shared_buffers": cond["sb"], "recovery_prefetch": cond["prefetch"]})
    for name, value in settings.items():
        argv += ["-c", "%s=%s" % (name, value)]
    if cond["cold"]:
        subprocess.run(["sync"], check=True)
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
    log_path = work + ".log"
    with open(log_path, "w") as log:
        server = subprocess.Popen(["runuser", "-u", owner, "--"] + argv, stdout=log,
                                  stderr=subprocess.STDOUT)
        t0 = time.time()
        while time.time() - t0 < 1800 and server.poll() is None:
            time.sleep(0.2)
            with open(log_path) as f:
                if "ready to accept connections" in f.read():
                    break
        if server.poll() is None:
            with open(os.path.join(data, "postmaster.pid")) as f:
                os.kill(int(f.readline()), 2)  # fast shutdown
            server.wait(300)
    with open(log_path) as f:
        text = f.read()
    result = {"name": cond["name"], "sb": cond["sb"], "prefetch": cond["prefetch"],
              "frac": cond["frac"], "cold": cond["cold"], "cut_lsn": cut}
    m = REDO_DONE.search(text)
    if m:
        result.update(redo_end=m.group(1), user_s=float(m.group(2)), sys_s=float(m.group(3)),
                      redo_s=float(m.group(4)))
    else:
        result["log_tail"] = text[-2000:]
    shutil.rmtree(work, ignore_errors=True)
    return result


def main():
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    copy, report_path, out = sys.argv[1:4]
    with open(report_path) as f:
        report = json.load(f)
    work = os.path.join(os.path.dirname(os.path.abspath(copy)), "replay-work")
    for text in sys.argv[4:]:
        result = replay(copy, work, report, parse_condition(text))
        line = json.dumps(result)
        print(line, flush=True)
        with open(out, "a") as f:
            f.write(line + "\n")


if __name__ == "__main__":
    main()
