#!/usr/bin/env python3
"""Per-point medians over several runs of scripts/sweep_group_commit.sh.

    scripts/sweep_medians.py OUT1 OUT2 OUT3 ...

Each argument is the raw-JSON directory ($OUT) of one sweep: one verify report per point,
named ENGINE-WORKLOAD-LATENCY-CLIENTS-REPEAT.json. Prints one row per point (engine, workload,
flush latency, clients) with each sweep's measured / predicted tps (the repeats of a sweep
pooled) and the median over all of them, then per engine the median and the worst
|median ratio - 1| over the points: the acceptance figures of docs/sweep-group-commit.md. A
point a sweep lacks (a failed run) is marked missing and left out of its median.
"""
import glob
import json
import os
import statistics
import sys

ORDER = {"postgresql": 0, "mariadb": 1, "insert": 0, "tpcb": 1}


def load(directory):
    points = {}
    for path in glob.glob(os.path.join(directory, "*-*-*-*-*.json")):
        parts = os.path.basename(path)[:-len(".json")].split("-")
        if len(parts) != 5 or parts[0] not in ("postgresql", "mariadb"):
            continue
        try:
            report = json.load(open(path, encoding="utf-8"))
            ratio = report["measured"]["tps"] / report["predicted"]["tps"]
        except (ValueError, KeyError, TypeError, ZeroDivisionError):
            continue
        key = (parts[0], parts[1], int(parts[2]), int(parts[3]))
        points.setdefault(key, []).append(ratio)
    return points


def label(latency_us):
    return "native" if latency_us == 0 else f"+{latency_us} us"


def main(dirs):
    if not dirs:
        sys.exit(__doc__)
    runs = [load(d) for d in dirs]
    keys = sorted(set().union(*runs), key=lambda k: (ORDER.get(k[0], 9), ORDER.get(k[1], 9),
                                                     k[2], k[3]))
    print("| engine | workload | flush latency | clients | "
          + " | ".join(f"sweep {i + 1}" for i in range(len(runs))) + " | median |")
    print("|---|---|---|---|" + "---|" * (len(runs) + 1))
    deviations = {}
    for key in keys:
        ratios = [x for r in runs for x in r.get(key, [])]
        cells = [" / ".join(f"{x:.3f}" for x in r[key]) if key in r else "missing" for r in runs]
        median = statistics.median(ratios)
        deviations.setdefault(key[0], []).append(abs(median - 1))
        print(f"| {key[0]} | {key[1]} | {label(key[2])} | {key[3]} | " + " | ".join(cells)
              + f" | **{median:.3f}** |")
    print()
    print("| engine | points | median abs(median ratio - 1) | worst abs(median ratio - 1) |")
    print("|---|---|---|---|")
    for engine, d in deviations.items():
        print(f"| {engine} | {len(d)} | {statistics.median(d):.3f} | {max(d):.3f} |")


if __name__ == "__main__":
    main(sys.argv[1:])
