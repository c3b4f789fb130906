#!/usr/bin/env bash
# The main job on a fresh machine: install, build, advise on a shipped example, then prove the
# advice on embedded SQLite (kill the writer under load, restart, count lost commits).
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
