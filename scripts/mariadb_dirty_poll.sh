#!/usr/bin/env bash
# MariaDB's dirty pages against its checkpoint age during a `waltune verify --worst-case` run:
# polls SHOW GLOBAL STATUS over the run's own socket every POLL_S seconds and prints, per poll,
# the age (Innodb_lsn_current - Innodb_lsn_last_checkpoint), the dirty, data and free pages,
# the pages created, read and flushed (all, and by LRU flushes) since the previous poll, then
# the least-squares slope of dirty pages per MB of age between AGE_LO_MB and AGE_HI_MB
# (docs/verify.md, "The dirty-page curve").
#
# Usage: scripts/mariadb_dirty_poll.sh [BUILD_DIR] [OUT_DIR]
#   TARGET=10 WORKLOAD=update RATE=2500 WORKING_SET=64MB POLL_S=5 AGE_LO_MB=20 AGE_HI_MB=371
#   CYCLES=1 (checkpoint cycles verify waits for before its crash) TIMEOUT_S=600
set -euo pipefail
build=${1:-build}
out=${2:-dirty-poll-results}
target=${TARGET:-10}
workload=${WORKLOAD:-update}
rate=${RATE:-2500}
poll_s=${POLL_S:-5}
mkdir -p "$out/run"
out=$(cd "$out" && pwd)
req="$out/request.json"
printf '{"constraints": {"db_engine": "mariadb", "durability_requirement": "strict", "recovery_time_target": "%ss", "write_rate": "%stps"}}\n' \
  "$target" "$rate" >"$req"
"$build/waltune" verify --engine mariadb --request "$req" --workload "$workload" \
  --working-set "${WORKING_SET:-64MB}" --rate "$rate" --seconds 5 --crashes 1 --worst-case \
  --worst-case-cycles "${CYCLES:-1}" --worst-case-timeout "${TIMEOUT_S:-600}" --workdir "$out/run" >"$out/verify.json" &
pid=$!
: >"$out/poll.tsv"
while kill -0 "$pid" 2>/dev/null; do
  sock=$(ls -d "$out"/run/waltune-mysql-*/mysqld.sock 2>/dev/null | head -1 || true)
  if [ -n "$sock" ]; then
    mariadb -S "$sock" -u root -N -B -e "SELECT NOW(6), VARIABLE_NAME, VARIABLE_VALUE FROM
      information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME IN ('INNODB_BUFFER_POOL_PAGES_DIRTY',
      'INNODB_BUFFER_POOL_PAGES_DATA', 'INNODB_BUFFER_POOL_PAGES_FREE', 'INNODB_LSN_CURRENT',
      'INNODB_LSN_LAST_CHECKPOINT', 'INNODB_PAGES_CREATED', 'INNODB_BUFFER_POOL_READS',
      'INNODB_BUFFER_POOL_PAGES_FLUSHED', 'INNODB_BUFFER_POOL_PAGES_LRU_FLUSHED')" \
      >>"$out/poll.tsv" 2>/dev/null || true
  fi
  sleep "$poll_s"
done
wait "$pid" || echo "verify exited $? (see $out/verify.json)" >&2
python3 - "$out/poll.tsv" "${AGE_LO_MB:-20}" "${AGE_HI_MB:-371}" <<'PY'
import collections, sys
polls = collections.OrderedDict()
for line in open(sys.argv[1]):
    ts, name, value = line.rstrip("\n").split("\t")
    polls.setdefault(ts, {})[name] = int(value)
names = ("INNODB_LSN_CURRENT", "INNODB_LSN_LAST_CHECKPOINT", "INNODB_BUFFER_POOL_PAGES_DIRTY",
         "INNODB_BUFFER_POOL_PAGES_DATA", "INNODB_BUFFER_POOL_PAGES_FREE")
counters = ("INNODB_PAGES_CREATED", "INNODB_BUFFER_POOL_READS", "INNODB_BUFFER_POOL_PAGES_FLUSHED",
            "INNODB_BUFFER_POOL_PAGES_LRU_FLUSHED")
points = []
print("| time | age MB | dirty pages | data pages | free pages | created | read | flushed | LRU flushed |")
print("|---|---|---|---|---|---|---|---|---|")
prev = None
for ts, p in polls.items():
    if not all(n in p for n in names):
        continue
    age = (p[names[0]] - p[names[1]]) / 1e6
    points.append((age, p[names[2]]))
    deltas = ["%d" % (p[c] - prev[c]) if prev and c in p and c in prev else "-" for c in counters]
    prev = p
    print("| %s | %.1f | %d | %d | %d | %s |" % (ts[11:19], age, p[names[2]], p[names[3]],
                                                p[names[4]], " | ".join(deltas)))
lo, hi = float(sys.argv[2]), float(sys.argv[3])
sel = [(a, d) for a, d in points if lo < a < hi]
if len(sel) >= 2:
    mx = sum(a for a, _ in sel) / len(sel)
    my = sum(d for _, d in sel) / len(sel)
    sxx = sum((a - mx) ** 2 for a, _ in sel)
    if sxx > 0:
        slope = sum((a - mx) * (d - my) for a, d in sel) / sxx
        print("\ndirty pages = %.0f + %.2f per MB of age (least squares, %d polls, %g-%g MB)"
              % (my - slope * mx, slope, len(sel), lo, hi))
PY
