#!/usr/bin/env bash
# Installs everything waltune needs on a fresh Debian 12 machine (run as root).
# Idempotent: skips apt when every package is already installed.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git
  nlohmann-json3-dev libcli11-dev libfmt-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libsqlite3-dev sqlite3 libpq-dev libmariadb-dev
  postgresql postgresql-contrib mariadb-server mariadb-client
  fio util-linux procps jq
  libfuse3-dev fuse3
  # Fuzzing and sanitizers (scripts/test.sh): clang, libFuzzer and the sanitizer runtimes,
  # llvm-symbolizer for readable reports; clang-format for the style; ccache to rebuild fast.
  clang libclang-rt-14-dev llvm-14 clang-format ccache
  # libclang's Python bindings for scripts/check_function_length.py (the length stage).
  python3 python3-clang-14 libclang-14-dev
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing packages (${missing[*]}); run this script as root" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  # Debian's postgresql/mariadb packages try to start their services; we start our own.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  apt-get update
  apt-get install -y --no-install-recommends "${missing[@]}"
fi
