#!/usr/bin/env bash
# waltune verify's option checks: every bad combination exits 2 with {"error": {"field": ...}}
# naming the option, before any engine is started.
set -u
bin=$1
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }
work=$(mktemp -d)
files=$(mktemp -d)
trap 'rm -rf "$work" "$files"' EXIT

expect_error() {  # field, arguments...
  local field=$1 out rc got
  shift
  out=$("$bin" verify --workdir "$work" "$@" 2>/dev/null) && rc=0 || rc=$?
  if [ "$rc" -ne 2 ]; then bad "exit $rc (want 2) for verify $*"; return; fi
  got=$(echo "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["error"]["field"])' 2>/dev/null)
  [ "$got" = "$field" ] && ok || bad "field '$got' (want '$field') for verify $*"
}

expect_error "command line" --power-loss-mechanism floppy --power-loss
expect_error --power-loss-mechanism --engine postgresql --power-loss --power-loss-mechanism sqlite-vfs
expect_error --power-loss-mechanism --power-loss-mechanism fuse
expect_error --random-cuts --random-cuts
expect_error --sync-backing --engine sqlite --power-loss --power-loss-mechanism sqlite-vfs --sync-backing
expect_error --calibrate --power-loss --calibrate "$work/cal.json"
expect_error --clients --clients 0
expect_error --engine --engine oracle
# The flush-delay library cannot delay 10 s or more: such an emulation would not be in force.
expect_error --flush-latency-us --flush-latency-us 10000000
# Bad files are refused before anything is measured (nothing appears in --workdir).
printf '{"wal_config": {"engine": "SQLite"}, "durability_level": 1}' > "$files/advice.json"
expect_error checkpoint_strategy --advice "$files/advice.json"
# Nothing was left behind by the rejected runs.
[ -z "$(ls -A "$work")" ] && ok || bad "left in $work: $(ls -A "$work")"

echo "verify cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
