#!/usr/bin/env bash
# One command for the whole test suite on a fresh machine: install, build, run every test
# (unit, CLI and live-engine integration tests).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
cd build
ctest --output-on-failure --timeout 900 -j 2
