#!/usr/bin/env python3
"""Where a restart's time goes: CPU, block reads and block writes of a server, over time.

Polls /proc/PID/stat and /proc/PID/io of every process whose name is NAME (default
"mariadbd") every INTERVAL_MS (default 10) until STOP_FILE exists or the watch times out, and
writes one TSV row per sample (time, pid, process start, CPU seconds, read and written bytes of
the block layer, read and written bytes of the syscalls). Run it beside a
`waltune verify --worst-case` run (scripts/worst_case_recovery.sh); then `--summary TSV
--first-s S` prints, for the last process started (the restarted server), its first S seconds
in 100 ms bins: CPU used, MB read and MB written in each, and the totals, so a recovery splits
into its redo scan, page reads, apply CPU and page writes (docs/verify.md).

Needs root (or the server's user) to read another user's /proc/PID/io.

Usage:
  scripts/restart_io_poll.py --out FILE [--name mariadbd] [--interval-ms 10] \
      [--stop-file F] [--timeout-s 3600]
  scripts/restart_io_poll.py --summary FILE --first-s 3.0 [--bin-ms 100]
  scripts/restart_io_poll.py --summary FILE --split-verify VERIFY_JSON
The last form prints one markdown row for the restart of a `verify --worst-case` report: its
redo (bytes, transactions at the report's redo per transaction), the recovery time, the CPU
used before the redo read starts (the first 5 MB the server reads through syscalls) and after
it up to the measured recovery time, per KB of redo and per transaction.
"""
import json
import argparse
import os
import sys
import time

TICKS_PER_S = os.sysconf("SC_CLK_TCK")


def read_sample(pid):
    """(start ticks, CPU seconds, io dict) of pid, or None when it has gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
        with open(f"/proc/{pid}/io") as f:
            io = dict(line.split(": ") for line in f.read().splitlines())
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # The fields after the parenthesised name: utime is field 14, stime 15, starttime 22.
    fields = stat[stat.rindex(")") + 2:].split()
    cpu_s = (int(fields[11]) + int(fields[12])) / TICKS_PER_S
    return int(fields[19]), cpu_s, {k: int(v) for k, v in io.items()}


def pids_named(name):
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/comm") as f:
                if f.read().strip() == name:
                    found.append(int(entry))
        except OSError:
            pass
    return found


def poll(args):
    deadline = time.monotonic() + args.timeout_s
    with open(args.out, "w") as out:
        out.write("t_s\tpid\tstart_ticks\tcpu_s\tread_bytes\twrite_bytes\trchar\twchar\n")
        while time.monotonic() < deadline:
            if args.stop_file and os.path.exists(args.stop_file):
                break
            now = time.monotonic()
            for pid in pids_named(args.name):
                sample = read_sample(pid)
                if sample is None:
                    continue
                start, cpu_s, io = sample
                out.write(f"{now:.4f}\t{pid}\t{start}\t{cpu_s:.2f}\t{io['read_bytes']}\t"
                          f"{io['write_bytes']}\t{io['rchar']}\t{io['wchar']}\n")
            out.flush()
            time.sleep(args.interval_ms / 1000)


def restarted_server(path):
    """Samples (t, pid, start, cpu, read, written, rchar, wchar) of the last server started."""
    rows = []
    with open(path) as f:
        next(f)
        for line in f:
            t, pid, start, cpu, rb, wb, rc, wc = line.split("\t")
            rows.append((float(t), int(pid), int(start), float(cpu), int(rb), int(wb), int(rc),
                         int(wc)))
    if not rows:
        sys.exit("no samples")
    last_start = max(r[2] for r in rows)
    pid = next(r[1] for r in rows if r[2] == last_start)
    return pid, [r for r in rows if r[1] == pid]


def split_verify(args):
    pid, mine = restarted_server(args.summary)
    report = json.load(open(args.split_verify))
    crash = report["crashes"][0]
    recovery_s = crash["recovery_time_s"]
    redo_bytes = crash["redo_bytes"]
    txns = redo_bytes / report["measured"]["wal_bytes_per_txn"]
    t0, cpu0, rchar0 = mine[0][0], mine[0][3], mine[0][6]
    mine = [r for r in mine if r[0] - t0 <= recovery_s]
    start = next(r for r in mine if r[6] - rchar0 > 5e6)
    cpu_before = start[3] - cpu0
    cpu_redo = mine[-1][3] - start[3]
    print(f"| {report['workload']['name']} | {redo_bytes / 1e6:.1f} | {txns / 1e3:.0f}k | "
          f"{recovery_s:.2f} | {start[0] - t0:.2f} | {cpu_before:.2f} | {cpu_redo:.2f} | "
          f"{cpu_redo / redo_bytes * 1e9:.1f} | {cpu_redo / txns * 1e6:.2f} |")


def summary(args):
    pid, mine = restarted_server(args.summary)
    t0 = mine[0][0]
    mine = [r for r in mine if r[0] - t0 <= args.first_s]
    print(f"pid {pid}: {len(mine)} samples over the first {args.first_s} s from its first sample")
    print("| from s | CPU s | read MB | written MB | syscall read MB |")
    print("|---|---|---|---|---|")
    bin_s = args.bin_ms / 1000
    prev = mine[0]
    edge = bin_s
    acc = [0.0, 0, 0, 0]
    for r in mine[1:]:
        if r[0] - t0 > edge:
            print(f"| {edge - bin_s:.1f} | {acc[0]:.2f} | {acc[1] / 1e6:.1f} | {acc[2] / 1e6:.1f} | "
                  f"{acc[3] / 1e6:.1f} |")
            acc = [0.0, 0, 0, 0]
            while r[0] - t0 > edge:
                edge += bin_s
        acc[0] += r[3] - prev[3]
        acc[1] += r[4] - prev[4]
        acc[2] += r[5] - prev[5]
        acc[3] += r[6] - prev[6]
        prev = r
    print(f"| {edge - bin_s:.1f} | {acc[0]:.2f} | {acc[1] / 1e6:.1f} | {acc[2] / 1e6:.1f} | "
          f"{acc[3] / 1e6:.1f} |")
    first, last = mine[0], mine[-1]
    print(f"totals over {last[0] - t0:.2f} s: CPU {last[3] - first[3]:.2f} s (from "
          f"{first[3]:.2f} at the first sample), read {(last[4] - first[4]) / 1e6:.1f} MB "
          f"(block), written {(last[5] - first[5]) / 1e6:.1f} MB (block), read "
          f"{(last[6] - first[6]) / 1e6:.1f} MB (syscalls)")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out")
    p.add_argument("--name", default="mariadbd")
    p.add_argument("--interval-ms", type=float, default=10)
    p.add_argument("--stop-file")
    p.add_argument("--timeout-s", type=float, default=3600)
    p.add_argument("--summary")
    p.add_argument("--first-s", type=float, default=5.0)
    p.add_argument("--bin-ms", type=float, default=100)
    p.add_argument("--split-verify")
    args = p.parse_args()
    if args.summary and args.split_verify:
        split_verify(args)
    elif args.summary:
        summary(args)
    elif args.out:
        poll(args)
    else:
        p.error("give --out FILE (poll) or --summary FILE")


if __name__ == "__main__":
    main()
