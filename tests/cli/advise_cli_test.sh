#!/usr/bin/env bash
# waltune advise as a user and a pipeline see it: every example answers with exit 0 and the six
# contract fields; every bad input exits 2 with {"error": {"field": ...}} naming the field.
set -u
bin=$1
examples=$2
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

for f in "$examples"/*.json; do
  out=$("$bin" advise "$f") && rc=0 || rc=$?
  if [ "$rc" -ne 0 ]; then bad "$f exited $rc"; continue; fi
  if echo "$out" | python3 -c '
import json, sys
j = json.load(sys.stdin)
for k in ("wal_config", "checkpoint_strategy", "group_commit", "durability_level",
          "throughput_impact", "confidence", "assumptions", "warnings", "out_of_scope",
          "estimates", "config_snippet"):
    assert k in j, k
assert isinstance(j["throughput_impact"]["with_config_tps"], (int, float))
assert isinstance(j["checkpoint_strategy"]["estimated_recovery_time_s"], (int, float))
'; then ok; else bad "$f: incomplete answer"; fi
done

# Standard input, text and conf formats.
f="$examples/postgres-strict-payments.json"
"$bin" advise - < "$f" > /dev/null && ok || bad "stdin"
"$bin" advise "$f" --format text | grep -q "Model estimates" && ok || bad "text format"
conf=$("$bin" advise "$f" --format conf)
echo "$conf" | grep -q "^synchronous_commit = 'on'" && ok || bad "conf format: $conf"
echo "$conf" | grep -q "{" && bad "conf output must not be JSON" || ok

# Bad input: exit 2 and the field named in the JSON error.
expect_error() {  # field, request text
  local field=$1 text=$2 out rc
  out=$(printf '%s' "$text" | "$bin" advise - 2>/dev/null) && rc=0 || rc=$?
  if [ "$rc" -ne 2 ]; then bad "exit $rc (want 2) for $text"; return; fi
  got=$(echo "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["error"]["field"])' 2>/dev/null)
  [ "$got" = "$field" ] && ok || bad "field '$got' (want '$field') for $text"
}
expect_error request '{not json'
expect_error request '[1, 2]'
expect_error constraints.db_engine '{"constraints": {"db_engine": "oracle"}}'
expect_error constraints.db_engine '{"query": "help me"}'
expect_error constraints.write_rate '{"constraints": {"db_engine": "pg", "write_rate": "-5 tps"}}'
expect_error constraints.write_rate '{"constraints": {"db_engine": "pg", "write_rate": "5000 GB"}}'
expect_error constraints.write_rate '{"constraints": {"db_engine": "pg", "write_rate": "9e9"}}'
expect_error constraints.recovery_time_target '{"constraints": {"db_engine": "pg", "recovery_time_target": "soon"}}'
expect_error constraints.recovery_time_target '{"constraints": {"db_engine": "pg", "recovery_time_target": "5 tps"}}'
expect_error constraints.storage_type '{"constraints": {"db_engine": "pg", "storage_type": "tape"}}'
expect_error constraints.durability_requirement '{"constraints": {"db_engine": "pg", "durability_requirement": 1}}'
expect_error constraints.engine_version '{"constraints": {"db_engine": "pg", "engine_version": "8.4"}}'
expect_error constraints.concurrency '{"constraints": {"db_engine": "pg", "concurrency": -3}}'

# Unreadable files and unknown options are bad input too.
"$bin" advise /nonexistent/request.json > /dev/null 2>&1; [ $? -eq 2 ] && ok || bad "missing file"
out=$("$bin" advise --format xml "$f" 2>/dev/null); rc=$?
[ $rc -eq 2 ] && ok || bad "bad --format exited $rc"
echo "$out" | python3 -c 'import json,sys; e=json.load(sys.stdin)["error"]; assert e["field"]=="command line" and "--format" in e["message"], e' \
  && ok || bad "bad --format: no JSON error naming the option: $out"
"$bin" advise --storage-profile /nonexistent "$f" > /dev/null 2>&1; [ $? -eq 2 ] && ok || bad "missing profile"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
