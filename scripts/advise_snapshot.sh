#!/usr/bin/env bash
# Writes the output of `waltune advise` for every request in examples/ and tests/data/snapshot/
# (engines x versions x durability levels x storage, for refactorings) and every format into
# OUTDIR, one file per example x format, so that two builds can be compared with `diff -r`:
#   bash scripts/advise_snapshot.sh /tmp/before            # with the old build
#   bash scripts/advise_snapshot.sh /tmp/after             # after the change
#   diff -r /tmp/before /tmp/after && echo "advise output identical"
# WALTUNE (default build/waltune) selects the binary.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: advise_snapshot.sh OUTDIR}
bin=${WALTUNE:-build/waltune}
mkdir -p "$out"
for req in examples/*.json tests/data/snapshot/*.json; do
  name=$(basename "$req" .json)
  for fmt in json text conf; do
    set +e
    "$bin" advise "$req" --format "$fmt" >"$out/$name.$fmt" 2>&1
    echo "exit $?" >>"$out/$name.$fmt"
    set -e
  done
done
echo "wrote $(ls "$out" | wc -l) files to $out"
