#!/usr/bin/env bash
# Worst-case recovery, measured: `waltune verify --worst-case` on PostgreSQL and MariaDB with
# the advice for a 10 s and a 30 s recovery target, tpcb and update workloads, at each write
# rate of RATES, one crash each (cold restart). The load is paced at the request's rate
# (`--rate`), so the expected peak the advice gives for InnoDB at that rate is what the crash
# tests. Prints the markdown table of docs/verify.md "Worst-case recovery measured".
#
# Usage: scripts/worst_case_recovery.sh [BUILD_DIR] [OUT_DIR]
#   ENGINES="postgresql mariadb" TARGETS="10 30" WORKLOADS="tpcb update" RATES="500"
#   WORKING_SET=128MB MARIADB_WORKING_SET=64MB TIMEOUT_S=420 PACED=1 override the grid.
#   TIMEOUT_S must let two checkpoint cycles complete: where PostgreSQL's checkpoints come by
#   time, the crash comes ~3.7 x checkpoint_timeout into the load (993 s at 5min, 750 tps).
#   CALIBRATE=FILE records each run's measurements there (`verify --calibrate`, with the cold
#   replay rate of its worst-case crash; a later run of the same engine replaces the earlier
#   one's entry, so calibrate one point at a time, except MariaDB's cold restarts, which add
#   up: three targets give the restart line of docs/wal-model.md); CALIBRATION=FILE predicts
#   with one (`verify --calibration`, as `advise --calibration`). CRASH_COPY=DIR keeps a copy
#   of each killed instance in DIR/ENGINE-TARGET-WORKLOAD-RATE (`verify --crash-copy`), for
#   scripts/replay_crash_copy.py.
# MariaDB runs with the server's default 128 MB buffer pool: its working set is kept below it
# (64 MB), or LRU eviction writes the dirty pages and holds the checkpoint age far below the
# page cleaner's (10-12 MB measured with 128 MB, docs/verify.md). PACED=0 runs the load as fast
# as the clients go (the expected peak is then not judged).
set -euo pipefail
build=${1:-build}
out=${2:-worst-case-results}
engines=${ENGINES:-postgresql mariadb}
targets=${TARGETS:-10 30}
workloads=${WORKLOADS:-tpcb update}
rates=${RATES:-${WRITE_RATE:-500}}
working_set=${WORKING_SET:-128MB}
mariadb_working_set=${MARIADB_WORKING_SET:-64MB}
timeout_s=${TIMEOUT_S:-420}
mkdir -p "$out"
for engine in $engines; do
  ws=$working_set
  [ "$engine" = mariadb ] && ws=$mariadb_working_set
  for rate in $rates; do
    for target in $targets; do
      for workload in $workloads; do
        req="$out/request-$engine-$target-$rate.json"
        printf '{"constraints": {"db_engine": "%s", "durability_requirement": "strict", "recovery_time_target": "%ss", "write_rate": "%stps"}}\n' \
          "$engine" "$target" "$rate" >"$req"
        result="$out/$engine-$target-$workload-$rate.json"
        extra=()
        [ "${PACED:-1}" = 1 ] && extra=(--rate "$rate")
        [ -n "${CALIBRATE:-}" ] && extra+=(--calibrate "$CALIBRATE")
        [ -n "${CALIBRATION:-}" ] && extra+=(--calibration "$CALIBRATION")
        if [ -n "${CRASH_COPY:-}" ]; then
          copy="$CRASH_COPY/$engine-$target-$workload-$rate"
          mkdir -p "$copy"
          extra+=(--crash-copy "$copy")
        fi
        echo "== $engine, target $target s, $workload, $rate tps" >&2
        "$build/waltune" verify --request "$req" --workload "$workload" --working-set "$ws" \
          "${extra[@]}" --seconds 5 --crashes 1 --worst-case --worst-case-timeout "$timeout_s" \
          >"$result" || echo "   (exit $?: see $result)" >&2
      done
    done
  done
done
python3 - "$out" <<'PY'
import glob, json, sys


def reports():
    """The verify reports of the run directory that have a crash, in name order."""
    for path in sorted(glob.glob(sys.argv[1] + "/*-*-*.json")):
        if "/request-" in path:
            continue
        try:
            j = json.load(open(path))
        except Exception:
            continue
        if j.get("crashes"):
            yield j


print("| engine | target s | workload | rate tps (paced) | measured tps | ckpt cycles | distance MB (of peak) | WAL replayed MB | replay MB/s | recovery s (cold) | estimate s | measured / estimate | expected peak s | measured / expected peak | expected at the replayed distance s | measured / it |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for j in reports():
    c = j["crashes"][0]
    w = c.get("worst_case") or {}
    mb = lambda v: "-" if v is None else "%.1f" % (v / 1e6)
    f = lambda v, p="%.2f": "-" if v is None else p % v
    p = j["predicted"]
    print("| %s | %s | %s | %s | %s | %s | %s (%.2f%s) | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
        j["engine"], f(p["recovery_target_s"], "%.0f"), j["workload"]["name"],
        f(p.get("required_tps"), "%.0f") + ("" if j.get("paced_rate_tps") else " (not paced)"),
        f(j["measured"]["tps"], "%.0f"), w.get("checkpoint_cycles"), mb(w.get("distance_bytes")),
        w.get("fraction_of_peak", 0), "" if w.get("reached") else ", not reached",
        mb(w.get("wal_replayed_bytes")), mb(w.get("replay_bytes_per_s")),
        f(c.get("recovery_time_s"), "%.2f"), f(p["recovery_time_s"]),
        f(w.get("recovery_to_estimate")), f(p.get("expected_peak_recovery_time_s")),
        f(w.get("recovery_to_expected_peak")), f(w.get("expected_at_distance_s")),
        f(w.get("recovery_to_expected_at_distance"))))
# Where the restart's time went (PostgreSQL's log) beside the model's terms of the estimate.
rows = []
for j in reports():
    if "phases" not in j["crashes"][0]:
        continue
    c, t = j["crashes"][0], j["predicted"].get("recovery_terms_s") or {}
    ph = c["phases"]
    f = lambda v, p="%.2f": "-" if v is None else p % v
    model_before = (t.get("startup_s") or 0) + (t.get("datadir_sync_s") or 0)
    model_redo = (t.get("wal_scan_s") or 0) + (t.get("replay_s") or 0)
    rows.append("| %s | %s | %s | %s | %s | %s (%s) | %s | %s (%s write, %s buffers) | %s |" % (
        f(j["predicted"]["recovery_target_s"], "%.0f"), j["workload"]["name"],
        f(c["recovery_time_s"]), f(ph.get("before_redo_s")), f(model_before),
        f(c.get("redo_s")), f(ph.get("redo_cpu_s")), f(model_redo), f(ph.get("after_redo_s")),
        f(ph.get("end_checkpoint_write_s")), f(ph.get("end_checkpoint_buffers"), "%.0f"),
        f(t.get("end_of_recovery_checkpoint_s"))))
if rows:
    print()
    print("| target s | workload | recovery s | before redo s | model: startup + sync s | redo s (CPU s) | model: scan + replay s | after redo s (end checkpoint) | model: end checkpoint s |")
    print("|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))
# The window each crash left to replay, read from the stopped server (PostgreSQL: pg_waldump).
rows = []
for j in reports():
    m = (j["crashes"][0].get("worst_case") or {}).get("window")
    if not m:
        continue
    n, x = m["fpi_count"], m.get("xact_records", 0)
    rows.append("| %.0f | %s | %.1f | %d | %.1f | %s | %.1f | %d | %d | %s |" % (
        j["predicted"]["recovery_target_s"], j["workload"]["name"],
        (m["end_lsn"] - m["start_lsn"]) / 1e6, x, m["record_bytes"] / 1e6,
        "-" if x == 0 else "%.0f" % (m["record_bytes"] / x), m["fpi_bytes"] / 1e6,
        n, m["fpi_pages"], "-" if n == 0 else "%.0f" % (m["fpi_bytes"] / n)))
if rows:
    print()
    print("| target s | workload | window MB | transaction records | records MB | record B per transaction | images MB | images | distinct blocks | bytes per image |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))
PY
