#!/usr/bin/env bash
# One command for the whole test suite on a fresh machine: install, build, run every test.
# Unit and CLI tests run two at a time; live-engine integration tests (PostgreSQL, MariaDB,
# SQLite, FUSE, disk timing) run one at a time so that they do not disturb each other's
# measurements on a 2-core machine.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
cd build
ctest --output-on-failure --timeout 900 -j 2 -LE integration
ctest --output-on-failure --timeout 900 -L integration
