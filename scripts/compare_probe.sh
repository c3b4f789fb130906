#!/usr/bin/env bash
# Compares `waltune probe` with pg_test_fsync and fio on one directory, several rounds; each
# round runs the three tools back to back (about 35 s, well within one minute), in an order
# that rotates from round to round. Prints a Markdown table of
# the medians over the rounds and keeps every raw output in OUT.
#
#   scripts/compare_probe.sh [-n ROUNDS] [-b WALTUNE_BINARY] [-o OUT] DIR
#
# Needs: the built waltune binary, Debian's postgresql (pg_test_fsync), fio, jq.
# Writes only its own files into DIR (waltune's .waltune-probe-*, pg_test_fsync.tmp, fio-*.tmp)
# and removes them.
set -euo pipefail

rounds=3
binary="$(dirname "$0")/../build/waltune"
out=""
while getopts "n:b:o:" opt; do
  case "$opt" in
    n) rounds="$OPTARG" ;;
    b) binary="$OPTARG" ;;
    o) out="$OPTARG" ;;
    *) echo "usage: $0 [-n ROUNDS] [-b WALTUNE] [-o OUT] DIR" >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
dir="${1:?usage: $0 [-n ROUNDS] [-b WALTUNE] [-o OUT] DIR}"
dir="$(cd "$dir" && pwd -P)"
out="${out:-$(mktemp -d)}"
mkdir -p "$out"
pg_test_fsync="$(ls /usr/lib/postgresql/*/bin/pg_test_fsync | sort -V | tail -1)"
for tool in "$binary" "$pg_test_fsync" "$(command -v fio)" "$(command -v jq)"; do
  [ -x "$tool" ] || { echo "missing: $tool" >&2; exit 1; }
done
cleanup() { rm -f "$dir"/pg_test_fsync.tmp "$dir"/fio-*.tmp; }
trap cleanup EXIT

# fio, 8 KiB writes cycling through a 16 MiB file (like the probe's segment), 3 s.
# Extra arguments choose the flush: --fdatasync=1, --fsync=1, --sync=dsync, --direct=1 ...
fio_8k() {
  local name="$1"; shift
  fio --name="$name" --filename="$dir/fio-$name.tmp" --size=16m --bs=8k --rw=write \
      --ioengine=psync --overwrite=1 --runtime=3 --time_based --output-format=json "$@" \
      2>/dev/null
  rm -f "$dir/fio-$name.tmp"
}

# p50 of one flushed write from fio's JSON, in us: write completion plus the separate
# fdatasync/fsync latency when there is one (fio times them apart).
fio_p50_us() {
  jq '.jobs[0] | ((.write.clat_ns.percentile["50.000000"] // 0)
                  + (.sync.lat_ns.percentile["50.000000"] // 0)) / 1000'
}
fio_iops() { jq '.jobs[0].write.iops'; }

# pg_test_fsync prints its first section (one 8kB write per flush) within ~10 s at -s 2; it
# removes its file on SIGINT, so stop it there instead of waiting ~35 s for every section.
pg_value() {  # file method column(1: ops/sec, 2: usecs/op)
  awk -v m="$2" -v c="$3" '/using one 8kB write/ {s=1} /using two 8kB writes/ {s=0}
      s && $1 == m && $3 == "ops/sec" { print (c == 1 ? $2 : $4); exit }' "$1"
}

run_probe() {
  echo "round $1/$rounds: $(date -u +%H:%M:%S) waltune probe --quick" >&2
  "$binary" probe --path "$dir" --quick > "$out/probe-$1.json"
}
run_pg() {
  echo "round $1/$rounds: $(date -u +%H:%M:%S) pg_test_fsync -s 2" >&2
  timeout -s INT 11 "$pg_test_fsync" -s 2 -f "$dir/pg_test_fsync.tmp" > "$out/pg_test_fsync-$1.txt" || true
}
run_fio() {
  echo "round $1/$rounds: $(date -u +%H:%M:%S) fio" >&2
  fio_8k fdatasync --fdatasync=1 > "$out/fio-fdatasync-$1.json"
  fio_8k fsync --fsync=1 > "$out/fio-fsync-$1.json"
  fio_8k dsync --sync=dsync > "$out/fio-dsync-$1.json"
  fio_8k direct-dsync --sync=dsync --direct=1 > "$out/fio-direct-dsync-$1.json"
  fio --name=seq --filename="$dir/fio-seq.tmp" --size=128m --bs=1m --rw=write --ioengine=psync \
      --end_fsync=1 --output-format=json 2>/dev/null > "$out/fio-seq-$1.json"
  rm -f "$dir/fio-seq.tmp"
}

# The tool that runs first in a round meets the device after a pause; rotate the order so each
# tool goes first equally often.
tools=(run_probe run_pg run_fio)
for r in $(seq 1 "$rounds"); do
  order=""
  for i in 0 1 2; do
    tool="${tools[$(( (i + r - 1) % 3 ))]}"
    order="$order ${tool#run_}"
    "$tool" "$r"
  done
  echo "$order" > "$out/order-$r.txt"
  echo "round $r/$rounds: $(date -u +%H:%M:%S) done" >&2

  p="$out/probe-$r.json"; g="$out/pg_test_fsync-$r.txt"
  {
    echo "fdatasync_p50_us $(jq '.sync_methods.fdatasync.p50_us' "$p") - $(fio_p50_us < "$out/fio-fdatasync-$r.json")"
    echo "fdatasync_mean_us $(jq '.sync_methods.fdatasync.mean_us' "$p") $(pg_value "$g" fdatasync 2) $(jq '1e6 / .jobs[0].write.iops' "$out/fio-fdatasync-$r.json")"
    echo "fdatasync_ops_per_s $(jq '.sync_methods.fdatasync.ops_per_s' "$p") $(pg_value "$g" fdatasync 1) $(fio_iops < "$out/fio-fdatasync-$r.json")"
    echo "fsync_p50_us $(jq '.sync_methods.fsync.p50_us' "$p") $(pg_value "$g" fsync 2) $(fio_p50_us < "$out/fio-fsync-$r.json")"
    echo "open_datasync_p50_us $(jq '.sync_methods.open_datasync.p50_us' "$p") - $(fio_p50_us < "$out/fio-dsync-$r.json")"
    echo "open_datasync_direct_p50_us $(jq '.sync_methods.open_datasync_direct.p50_us' "$p") $(pg_value "$g" open_datasync 2) $(fio_p50_us < "$out/fio-direct-dsync-$r.json")"
    echo "seq_write_MB_per_s $(jq '.seq_write_bytes_per_s / 1e6' "$p") - $(jq '.jobs[0].write.bw_bytes / 1e6' "$out/fio-seq-$r.json")"
  } > "$out/round-$r.txt"
done

median() { sort -g | awk '{v[NR]=$1} END {if (NR == 0 || v[1] == "-") {print "-"; exit}
  printf "%.0f", (NR % 2 ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2)}'; }
echo "| measure ($rounds rounds, median) | waltune probe --quick | pg_test_fsync -s 2 (its only statistic is the mean: usecs/op) | fio |"
echo "|---|---|---|---|"
for metric in fdatasync_p50_us fdatasync_mean_us fdatasync_ops_per_s fsync_p50_us open_datasync_p50_us \
              open_datasync_direct_p50_us seq_write_MB_per_s; do
  row="| $metric"
  for col in 2 3 4; do
    row="$row | $(cat "$out"/round-*.txt | awk -v m="$metric" -v c="$col" '$1 == m {print $c}' | median)"
  done
  echo "$row |"
done
echo
echo "| round | order | probe fdatasync p50 / mean (us) | pg_test_fsync fdatasync mean (us) | fio fdatasync p50 / mean (us) |"
echo "|---|---|---|---|---|"
for r in $(seq 1 "$rounds"); do
  awk -v r="$r" -v o="$(cat "$out/order-$r.txt")" \
    '$1 == "fdatasync_p50_us" {p50 = $2; f50 = $4}
     $1 == "fdatasync_mean_us" {printf "| %d |%s | %.0f / %.0f | %s | %.0f / %.0f |\n", r, o, p50, $2, $3, f50, $4}' \
    "$out/round-$r.txt"
done
echo "raw outputs: $out" >&2
