#!/usr/bin/env bash
# Power-loss matrix: `waltune verify --power-loss` for every engine x durability level, K cuts
# each; prints a markdown table of acknowledged commits lost per cut (median, max) next to the
# loss window the advice states (docs/power-loss.md keeps one run).
#
#   scripts/powerloss_matrix.sh [BUILD_DIR]          (default: build)
#   CUTS=5 ENGINES="sqlite postgresql mariadb" LEVELS="strict standard relaxed" \
#     EXTRA="--random-cuts" scripts/powerloss_matrix.sh
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
waltune="$build/waltune"
cuts="${CUTS:-5}"
engines="${ENGINES:-sqlite postgresql mariadb}"
levels="${LEVELS:-strict standard relaxed}"
extra=(${EXTRA:-})
command -v jq >/dev/null || { echo "matrix: jq is needed (scripts/setup.sh installs it)" >&2; exit 1; }
[ -x "$waltune" ] || { echo "matrix: $waltune not built (scripts/build.sh)" >&2; exit 1; }

echo "Power-loss matrix, $(date -u +%Y-%m-%dT%H:%MZ), ${cuts} cuts per row, 4 clients," \
     "1-3 s of load before each cut, $(nproc) cores${extra:+, ${extra[*]}}"
echo
echo "| engine | level | key setting | cuts | acked per cut's load (median of cuts 2..K) | lost per cut: median | max | oldest lost ms (max) | advice's loss window ms | window verdict | recovered | integrity | mechanism |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
for e in $engines; do
  for l in $levels; do
    out="$("$waltune" verify --engine "$e" --durability "$l" --seconds 2 --crashes "$cuts" \
           --power-loss "${extra[@]}" --format json 2>/dev/null)" || true
    if ! jq -e .crashes >/dev/null 2>&1 <<<"$out"; then
      echo "| $e | $l | | run failed: $(jq -r '.error.message // "?"' <<<"$out" 2>/dev/null | head -c 150) | | | | | | | | | |"
      continue
    fi
    jq -r '
      def med: sort | if length == 0 then null elif length % 2 == 1 then .[length/2|floor]
               else (.[length/2 - 1] + .[length/2]) / 2 end;
      def r(n): if . == null then "-" else (. * pow(10; n) | round / pow(10; n) | tostring) end;
      def key: .applied_settings as $s
        | [ "synchronous_commit", "innodb_flush_log_at_trx_commit", "synchronous", "journal_mode" ]
        | map(select($s[.] != null) | . + "=" + $s[.]) | join(", ");
      [ .engine, .durability_level, key, (.crashes | length | tostring),
        ([.crashes[].acked_commits] as $a | [range(1; $a|length) as $i | $a[$i] - $a[$i-1]]
           | med | r(0)),
        ([.crashes[].lost_commits] | med | r(1)),
        ([.crashes[].lost_commits] | max | r(0)),
        ([.crashes[].oldest_lost_age_ms // empty] | max | r(1)),
        (.predicted.loss_window_ms | r(0)),
        ((.verdicts[] | select(.claim == "no acknowledged commit lost" or
                               .claim == "lost commits within the loss window")
          | if .holds then "holds" else "FAILS" end) // "-"),
        ([.crashes[] | select(.recovered)] | length | tostring) + "/" + (.crashes | length | tostring),
        (if all(.crashes[]; .integrity == null or .integrity.ok) then "ok"
         else ([.crashes[].integrity.problems[]?] | .[0] | tostring | .[0:80]) end)
          + ([.crashes[].recovery_error // empty] | if length > 0 then "; restart failed: "
             + (.[0] | .[0:80]) else "" end),
        (.crash_mechanism | split(" (")[0])
      ] | "| " + join(" | ") + " |"' <<<"$out"
  done
done
