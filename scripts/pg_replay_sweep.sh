#!/usr/bin/env bash
# What a PostgreSQL crash recovery replays, record by record, and how long each window took.
# For each workload and load time: `waltune verify --worst-case` with the settings verify
# applied at a grid point of docs/verify.md (default: the 30 s target at 500 tps) plus
# wal_keep_size, so the replayed WAL is still on disk after the restart; the crash comes at
# the load time (--worst-case-timeout, before the first checkpoint completes, so the window
# starts at the CHECKPOINT after the table load; a fresh window) or, with LOAD_S=peak, at the
# worst case after two checkpoint cycles (a steady window). The restart is cold. Then
# pg_waldump counts the window's records by type and its full-page images.
#
# Usage: scripts/pg_replay_sweep.sh [BUILD_DIR] [OUT_DIR]
#   WORKLOADS="update tpcb" LOAD_S="60 240" WORKING_SET=128MB override the sweep;
#   MAX_WAL_SIZE=1GB MIN_WAL_SIZE=256MB CHECKPOINT_TIMEOUT=18min the settings.
# Prints one markdown row per point; keeps v-*.json and waldump-*.txt in OUT_DIR.
set -euo pipefail
build=$(realpath "${1:-build}")
out=$(realpath -m "${2:-pg-replay-sweep}")
workloads=${WORKLOADS:-update tpcb}
load_times=${LOAD_S:-60 240}
working_set=${WORKING_SET:-128MB}
bin=/usr/lib/postgresql/15/bin
mkdir -p "$out"
req="$out/request.json"
printf '{"constraints": {"db_engine": "postgresql", "engine_version": "15", "durability_requirement": "strict", "recovery_time_target": "30s", "write_rate": "500tps"}}\n' >"$req"
"$build/waltune" advise "$req" >"$out/advice-base.json"
# The settings verify applied at the 30 s, 500 tps point (its applied_settings), and the WAL
# kept for pg_waldump.
python3 - "$out/advice-base.json" "$out/advice.json" "${MAX_WAL_SIZE:-1GB}" \
  "${MIN_WAL_SIZE:-256MB}" "${CHECKPOINT_TIMEOUT:-18min}" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))
a["wal_config"].update({"max_wal_size": sys.argv[3], "min_wal_size": sys.argv[4], "wal_keep_size": "4GB"})
a["checkpoint_strategy"].update({"checkpoint_timeout": sys.argv[5], "checkpoint_completion_target": 0.9})
a["group_commit"].update({"commit_delay": 0, "commit_siblings": 5})
json.dump(a, open(sys.argv[2], "w"), indent=1)
PY
for workload in $workloads; do
  for load_s in $load_times; do
    tag="$workload-$load_s"
    work="$out/work-$tag"
    rm -rf "$work" && mkdir -p "$work"
    echo "== $workload, crash after ${load_s} s of load" >&2
    crash=(--worst-case-timeout "$load_s")
    [ "$load_s" = peak ] && crash=(--worst-case-timeout 2700)
    "$build/waltune" verify --engine postgresql --advice "$out/advice.json" --workload "$workload" \
      --working-set "$working_set" --seconds 2 --crashes 1 --worst-case "${crash[@]}" \
      --keep --workdir "$work" >"$out/v-$tag.json" ||
      echo "   (verify exit $?)" >&2
    log=$(find "$work" -name server.log | head -1)
    data=$(dirname "$(find "$work" -name PG_VERSION -path '*/data/PG_VERSION' | head -1)")
    start=$(grep -o 'redo starts at [0-9A-F/]*' "$log" | tail -1 | awk '{print $4}')
    end=$(grep -o 'redo done at [0-9A-F/]*' "$log" | tail -1 | awk '{print $4}')
    "$bin/pg_waldump" -p "$data/pg_wal" -s "$start" -e "$end" --stats=record \
      >"$out/waldump-$tag.txt" 2>&1 || true
    fpw=$("$bin/pg_waldump" -p "$data/pg_wal" -s "$start" -e "$end" 2>/dev/null | grep -o 'FPW' |
      wc -l || true)
    echo "full_page_images $fpw" >>"$out/waldump-$tag.txt"
    grep -E 'redo (starts|done)|system usage' "$log" | tail -4 >"$out/log-$tag.txt" || true
    rm -rf "$work"
  done
done
python3 - "$out" <<'PY'
import glob, json, os, re, sys
out = sys.argv[1]
print("| workload | load s | txns | WAL replayed MB | records | FPIs | FPI MB | redo s | redo CPU s | µs/record | µs/txn | MB/s |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
for path in sorted(glob.glob(out + "/v-*.json")):
    tag = os.path.basename(path)[2:-5]
    workload, load_s = tag.rsplit("-", 1)
    j = json.load(open(path))
    c = j["crashes"][0]
    w = open(out + "/waldump-" + tag + ".txt").read()
    total = re.search(r"^Total\s+(\d+)\s+(\d+)\s+\S+\s+(\d+)\s+\S+\s+(\d+)", w, re.M)
    fpw = int(re.search(r"full_page_images (\d+)", w).group(1))
    commits = sum(int(m.group(1)) for m in re.finditer(r"^Transaction/COMMIT\s+(\d+)", w, re.M))
    records, rec_bytes, fpi_bytes, combined = (int(total.group(i)) for i in range(1, 5))
    redo_s = c.get("redo_s")
    cpu_s = (c.get("phases") or {}).get("redo_cpu_s")
    f = lambda v, p="%.2f": "-" if v is None else p % v
    print("| %s | %s | %d | %.1f | %d | %d | %.1f | %s | %s | %s | %s | %s |" % (
        workload, load_s, commits, combined / 1e6, records, fpw, fpi_bytes / 1e6, f(redo_s),
        f(cpu_s), f(redo_s and 1e6 * redo_s / records), f(redo_s and 1e6 * redo_s / max(commits, 1)),
        f(redo_s and combined / 1e6 / redo_s, "%.1f")))
PY
