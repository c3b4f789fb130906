#!/usr/bin/env bash
# The main job on a fresh machine: install, build, advise on a shipped example, then prove the
# advice on embedded SQLite (kill the writer under load, restart, count lost commits), then
# again with power cuts instead of kills.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
echo "== waltune advise examples/postgres-strict-payments.json --format text"
./build/waltune advise examples/postgres-strict-payments.json --format text
echo
echo "== waltune verify --engine sqlite --request examples/sqlite-strict-mobile.json"
./build/waltune verify --engine sqlite --request examples/sqlite-strict-mobile.json \
  --clients 1 --seconds 5 --crashes 2 --format text
echo
echo "== waltune verify --engine sqlite --request examples/sqlite-strict-mobile.json --power-loss"
# The same advice under simulated power loss (FUSE when usable, else the SQLite VFS).
./build/waltune verify --engine sqlite --request examples/sqlite-strict-mobile.json \
  --clients 1 --seconds 3 --crashes 3 --power-loss --format text
