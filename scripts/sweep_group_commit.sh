#!/usr/bin/env bash
# Group-commit sweep: predicted vs measured throughput of strict (flush-per-commit) commits on
# real engines. For every point `waltune verify` asks advise for the same conditions (clients,
# this machine's cores, the native flush latency of the instance's file system plus the emulated
# delay, the workload's shape) and measures the engine; no crash (--crashes 0).
#
#   scripts/sweep_group_commit.sh [BUILD_DIR]            (default: build)
#   ENGINES="postgresql mariadb" WORKLOADS="insert tpcb" LATENCIES="0 2000 8000" \
#   CLIENTS="1 4 16 64" SECONDS_PER_POINT=8 REPEATS=1 scripts/sweep_group_commit.sh
#
# Before the grid, each engine is calibrated on this host (CALIBRATE=1, the default):
# `verify --calibrate` runs of CALIBRATION_WORKLOAD (default tpcb) at native flushes, with 1
# client and with each of CALIBRATION_CLIENTS (default "16 64"), CALIBRATION_REPEATS times each
# (default 3), record the medians of its CPU per statement per client count; at each of
# CALIBRATION_CLIENTS, as many runs of CALIBRATION_SECOND_WORKLOAD (default insert, one
# statement; empty for none) give a second shape, so that advise fits a CPU per commit beside
# the CPU per statement (statements_cpu_us_by_clients, the medians per count and shape). Every
# point is then predicted with `--calibration`. CALIBRATE=0 predicts with the model's constants
# (sweeps 1-4 of docs/sweep-group-commit.md).
#
# Prints one markdown table row per point (every point, failed ones included), then per engine
# the median and the worst |measured / predicted - 1|. Raw verify JSON goes to $OUT (default
# a temp dir) so a table can be rebuilt without rerunning.
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
waltune="$build/waltune"
seconds="${SECONDS_PER_POINT:-8}"
engines="${ENGINES:-postgresql mariadb}"
workloads="${WORKLOADS:-insert tpcb}"
latencies="${LATENCIES:-0 2000 8000}"
clients_list="${CLIENTS:-1 4 16 64}"
repeats="${REPEATS:-1}"
out="${OUT:-$(mktemp -d)}"
mkdir -p "$out"
command -v jq >/dev/null || { echo "sweep: jq is needed (scripts/setup.sh installs it)" >&2; exit 1; }
[ -x "$waltune" ] || { echo "sweep: $waltune not built (scripts/build.sh)" >&2; exit 1; }

calibration=()
if [ "${CALIBRATE:-1}" = "1" ]; then
  # CALIBRATION_REPEATS runs per regime (default 3), each into a fresh file; the calibration is
  # the last run's file of the first many-client count with the medians of the runs' CPU per
  # statement: this host's CPU cost drifts by 10-30% from minute to minute
  # (docs/sweep-group-commit.md, sweep 8). Each count of CALIBRATION_CLIENTS (default "16 64")
  # is a regime of its own: a statement costs more as more processes share the cores (sweep 11),
  # and advise takes the figure of the smallest calibrated count at or above a point's clients.
  cal="$out/calibration.json"
  cal_repeats="${CALIBRATION_REPEATS:-3}"
  many_list="${CALIBRATION_CLIENTS:-16 64}"
  first_many="${many_list%% *}"
  # The median of the runs that gave a figure: verify gives none from a run whose commits waited
  # on the flush more than twice as long as they ran on the CPU (a slow spell of the disk; the
  # run's notes say so), and the sweep stops when no run of a regime gave one.
  median() { { grep -v '^null$' || true; } | sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; }
  need() { [ -n "$1" ] || { echo "sweep: no $2 calibration run of $3 gave a CPU per statement (see the notes in $out/calibrate-$3-*.json)" >&2; exit 1; }; }
  echo '{"waltune_calibration": 1, "engines": {}}' >"$cal.merged"
  second="${CALIBRATION_SECOND_WORKLOAD-insert}"
  calibrate_run() {  # engine clients workload file-stem
    rm -f "$4.cal.json"
    "$waltune" verify --engine "$1" --durability strict --clients "$2" --seconds "$seconds" \
      --crashes 0 --workload "$3" --working-set 32MB --format json \
      --calibrate "$4.cal.json" >"$4.json" 2>"$4.err" ||
      { echo "sweep: calibration run failed ($1, $2 clients, $3): $(head -c 300 "$4.err")" >&2; exit 1; }
  }
  for engine in $engines; do
    for c in 1 $many_list; do
      for r in $(seq 1 "$cal_repeats"); do
        calibrate_run "$engine" "$c" "${CALIBRATION_WORKLOAD:-tpcb}" "$out/calibrate-$engine-$c-$r"
        if [ -n "$second" ] && [ "$c" != 1 ]; then
          calibrate_run "$engine" "$c" "$second" "$out/calibrate-$engine-$c-$r-$second"
        fi
      done
    done
    # The CPU of the statements per count and shape: the median of the runs that gave one.
    shapes='{}'
    for c in 1 $many_list; do
      lines=$(for f in "$out/calibrate-$engine-$c-"*.cal.json; do
        jq -r ".engines.\"$engine\".statements_cpu_us_by_clients.\"$c\" // {} | to_entries[] | \"\(.key) \(.value)\"" "$f"
      done)
      while read -r k; do
        [ -n "$k" ] || continue
        m=$(awk -v k="$k" '$1 == k { print $2 }' <<<"$lines" | median)
        shapes=$(jq -c --arg c "$c" --arg k "$k" --argjson m "$m" '.[$c][$k] = $m' <<<"$shapes")
      done < <(awk '{ print $1 }' <<<"$lines" | sort -un)
    done
    one=$(for r in $(seq 1 "$cal_repeats"); do jq ".engines.\"$engine\".statement_cpu_one_client_us" "$out/calibrate-$engine-1-$r.cal.json"; done | median)
    need "$one" "one-client" "$engine"
    by='{}'
    for c in $many_list; do
      m=$(for r in $(seq 1 "$cal_repeats"); do jq ".engines.\"$engine\".statement_cpu_concurrent_us" "$out/calibrate-$engine-$c-$r.cal.json"; done | median)
      need "$m" "$c-client" "$engine"
      by=$(jq -c --arg c "$c" --argjson m "$m" '. + {($c): $m}' <<<"$by")
    done
    jq --arg e "$engine" --argjson one "$one" --argjson by "$by" --arg first "$first_many" \
      --argjson shapes "$shapes" \
      --slurpfile last "$out/calibrate-$engine-$first_many-$cal_repeats.cal.json" \
      '.machine = $last[0].machine | .engines[$e] = ($last[0].engines[$e]
        + {statement_cpu_one_client_us: $one, statement_cpu_concurrent_us: $by[$first],
           statement_cpu_clients: ($first | tonumber), statement_cpu_by_clients: $by,
           statements_cpu_us_by_clients: $shapes})' \
      "$cal.merged" >"$cal.tmp" && mv "$cal.tmp" "$cal.merged"
  done
  mv "$cal.merged" "$cal"
  calibration=(--calibration "$cal")
fi

echo "Strict group-commit sweep, $(date -u +%Y-%m-%dT%H:%MZ), ${seconds} s per point, $(nproc) cores, raw JSON in $out"
if [ ${#calibration[@]} -gt 0 ]; then
  echo
  echo "Calibrated on this host (${CALIBRATION_WORKLOAD:-tpcb}, native flushes), CPU per statement in us:"
  jq -r '.engines | to_entries[] | "- \(.key): one client \(.value.statement_cpu_one_client_us), by clients \(.value.statement_cpu_by_clients | to_entries | map("\(.key): \(.value)") | join(", "))"' "$cal"
  echo "  (medians of ${cal_repeats} runs each; the runs:"
  for engine in $engines; do
    for c in 1 $many_list; do
      key=$([ "$c" = 1 ] && echo statement_cpu_one_client_us || echo statement_cpu_concurrent_us)
      echo "  $engine, $c clients: $(for r in $(seq 1 "$cal_repeats"); do jq -r ".engines.\"$engine\".$key" "$out/calibrate-$engine-$c-$r.cal.json"; done | paste -sd' ')"
    done
  done
  echo "  )"
  echo "CPU of the statements by clients and statements per transaction (medians; advise fits a"
  echo "line where a count has two shapes):"
  jq -r '.engines | to_entries[] | "- \(.key): \(.value.statements_cpu_us_by_clients | tojson)"' "$cal"
fi
echo
echo "| engine | workload | flush latency | clients | predicted tps | measured tps | measured / predicted | commit p50 ms | commits per WAL sync | CPU per txn us | native fdatasync p50 us |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
ratios="$out/ratios.tsv"
: >"$ratios"
for engine in $engines; do
  for workload in $workloads; do
    for lat in $latencies; do
      for c in $clients_list; do
        for rep in $(seq 1 "$repeats"); do
          args=(verify --engine "$engine" --durability strict --clients "$c" --seconds "$seconds"
                --crashes 0 --workload "$workload" --working-set 32MB --format json
                "${calibration[@]}")
          label="native"
          if [ "$lat" != "0" ]; then
            args+=(--flush-latency-us "$lat")
            label="+${lat} us"
          fi
          json="$out/$engine-$workload-$lat-$c-$rep.json"
          if ! "$waltune" "${args[@]}" >"$json" 2>"$json.err"; then
            echo "| $engine | $workload | $label | $c | run failed: $(head -c 120 "$json.err" | tr '\n|' '  ') | | | | | | |"
            continue
          fi
          jq -r --arg e "$engine" --arg w "$workload" --arg lbl "$label" '
            def r(n): if . == null then "-" else (. * pow(10; n) | round / pow(10; n) | tostring) end;
            [ $e, $w, $lbl, (.clients|tostring), (.predicted.tps|r(0)), (.measured.tps|r(0)),
              (if .predicted.tps then (.measured.tps / .predicted.tps | r(2)) else "-" end),
              (.measured.commit_latency_p50_ms|r(3)), (.measured.commits_per_wal_sync|r(2)),
              (.measured.txn_cpu_us|r(0)), (.measured.native_flush_p50_us|r(0))
            ] | "| " + join(" | ") + " |"' "$json"
          jq -r --arg e "$engine" \
            'if .predicted.tps then "\($e)\t\(.measured.tps / .predicted.tps)" else empty end' \
            "$json" >>"$ratios"
        done
      done
    done
  done
done
echo
echo "| engine | points | median abs(measured/predicted - 1) | worst abs(measured/predicted - 1) |"
echo "|---|---|---|---|"
for engine in $engines; do
  awk -F'\t' -v e="$engine" '$1 == e { d = $2 - 1; if (d < 0) d = -d; print d }' "$ratios" |
    sort -g | awk -v e="$engine" '{ v[NR] = $1 } END {
      if (NR == 0) { printf "| %s | 0 | - | - |\n", e; exit }
      m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
      printf "| %s | %d | %.2f | %.2f |\n", e, NR, m, v[NR] }'
done
