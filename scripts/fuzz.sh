#!/usr/bin/env bash
# Runs libFuzzer targets built in build-asan/ (scripts/test.sh builds them with -DWALTUNE_FUZZ=ON;
# FUZZ_BUILD=DIR names another build directory), each for SECONDS on its seed corpus
# (fuzz/corpus/<target>) and past findings (fuzz/regressions/<target>), two at a time. New
# inputs go to DIR/work/<target>, findings to DIR/findings/<target>.
# Exits 1 when any target found something (the crashing input is named in its log).
#   scripts/fuzz.sh SECONDS TARGET...       e.g. scripts/fuzz.sh 60 request advise
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=$1
shift
export FUZZ_BUILD="${FUZZ_BUILD:-build-asan}"
run_one() {
  local t=$1 seconds=$2 dict=fuzz/json.dict b=$FUZZ_BUILD
  [ "$t" = engine_logs ] && dict=fuzz/engine_logs.dict
  local inputs=(fuzz/corpus/"$t")
  [ -d fuzz/regressions/"$t" ] && inputs+=(fuzz/regressions/"$t")
  mkdir -p "$b/work/$t" "$b/findings/$t"
  if "$b/fuzz/fuzz_$t" -max_total_time="$seconds" -dict="$dict" -print_final_stats=1 \
      -artifact_prefix="$b/findings/$t/" "$b/work/$t" "${inputs[@]}" >"$b/fuzz-$t.log" 2>&1; then
    echo "fuzz $t: $(grep -E '^stat::number_of_executed_units' "$b/fuzz-$t.log" |
      awk '{print $2}') executions in ${seconds} s, no finding"
  else
    echo "fuzz $t: FINDING ($b/fuzz-$t.log):"
    grep -E 'ERROR|SUMMARY|what\(\)|Test unit written' "$b/fuzz-$t.log" | head -5
    return 1
  fi
}
export -f run_one
printf '%s\n' "$@" | xargs -P 2 -I{} bash -c 'run_one "$1" "$2"' _ {} "$seconds"
