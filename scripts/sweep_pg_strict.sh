#!/usr/bin/env bash
# PostgreSQL strict (synchronous_commit=on) sweep: emulated flush latency {native, 2000, 8000} us
# x clients {1, 4, 16}; for each point `waltune verify` asks advise for the same conditions and
# measures the real engine. Prints a markdown table (docs/sweep-pg-strict.md keeps one run).
#
#   scripts/sweep_pg_strict.sh [BUILD_DIR]      (default: build)
#   SECONDS_PER_POINT=8 LATENCIES="0 2000 8000" CLIENTS="1 4 16" scripts/sweep_pg_strict.sh
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
waltune="$build/waltune"
seconds="${SECONDS_PER_POINT:-8}"
latencies="${LATENCIES:-0 2000 8000}"
clients_list="${CLIENTS:-1 4 16}"
command -v jq >/dev/null || { echo "sweep: jq is needed (scripts/setup.sh installs it)" >&2; exit 1; }
[ -x "$waltune" ] || { echo "sweep: $waltune not built (scripts/build.sh)" >&2; exit 1; }

echo "PostgreSQL strict sweep, $(date -u +%Y-%m-%dT%H:%MZ), ${seconds} s per point, $(nproc) cores"
echo
echo "| flush latency | clients | predicted tps | measured tps | measured / predicted | commit p50 ms | commit p99 ms | native fdatasync p50 us | verdict |"
echo "|---|---|---|---|---|---|---|---|---|"
for lat in $latencies; do
  for c in $clients_list; do
    args=(verify --engine postgresql --durability strict --clients "$c" --seconds "$seconds"
          --crashes 0 --format json)
    label="native"
    if [ "$lat" != "0" ]; then
      args+=(--flush-latency-us "$lat")
      label="+${lat} us"
    fi
    out="$("$waltune" "${args[@]}")" || { echo "| $label | $c | run failed | | | | | | |"; continue; }
    jq -r --arg lbl "$label" '
      def r(n): if . == null then "-" else (. * pow(10; n) | round / pow(10; n) | tostring) end;
      [ $lbl, (.clients|tostring), (.predicted.tps|r(0)), (.measured.tps|r(0)),
        (if .predicted.tps then (.measured.tps / .predicted.tps | r(2)) else "-" end),
        (.measured.commit_latency_p50_ms|r(3)), (.measured.commit_latency_p99_ms|r(3)),
        (.measured.native_flush_p50_us|r(0)),
        ((.verdicts[] | select(.claim == "throughput as predicted") | if .holds then "within 25%" else "off > 25%" end) // "-")
      ] | "| " + join(" | ") + " |"' <<<"$out"
  done
done
