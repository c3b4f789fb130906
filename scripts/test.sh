#!/usr/bin/env bash
# One command for the whole test suite on a fresh machine (CI runs exactly this):
#  1. install packages, build build/ with warnings as errors;
#  2. unit and CLI tests (two at a time), then live-engine integration tests (PostgreSQL,
#     MariaDB, SQLite, FUSE, disk timing) one at a time so that they do not disturb each
#     other's measurements on a 2-core machine; the packager's Release build (and its install
#     test) and the TSan build compile beside them at nice 10: the integration tests spend most
#     of their time waiting on engines and disks, and must hold on a busy machine anyway;
#  3. build-tsan/ (TSan): the power-cut file-system state tests and the verify load driver;
#  4. build-asan/ (clang; Debug type, so asserts run, at -O1 as ASan advises; ASan+UBSan, and
#     libFuzzer's coverage instrumentation): every unit test, then each fuzz target for
#     FUZZ_SECONDS (60) on its seed corpus and past findings, two at a time; any finding fails
#     (docs/fuzzing.md). One sanitizer build serves both: two took 785 s, one takes 526 s.
# Sanitizer builds compile only the targets their tests need. Each stage's time is printed at
# the end. STAGES="format length unit integration release asan tsan fuzz" picks stages
# (default: all). The length stage fails on any function in src/ over 120 lines that is not a
# deliberate table (scripts/check_function_length.py).
set -euo pipefail
cd "$(dirname "$0")/.."
stages="${STAGES:-format length unit integration release asan tsan fuzz}"
fuzz_seconds="${FUZZ_SECONDS:-60}"
jobs="$(nproc)"
launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi
# CI builds: unity sources (one compiler run per batch of files: nlohmann::json and <regex> are
# parsed and instantiated once a batch instead of once a file) and line tables only instead of
# full debug info (-g1: backtraces and sanitizer reports keep file:line; full -g made an -O2
# compile 1.5x slower). Stage times measured: docs/ci.md.
unity=(-DCMAKE_UNITY_BUILD=ON)
timings=()
stage() {  # name command...
  local name=$1 t0=$SECONDS
  shift
  echo "== stage $name: $(date -u +%H:%M:%S)"
  "$@"
  timings+=("$(printf '%-28s %4d s' "$name" $((SECONDS - t0)))")
}
report() {
  echo "== stage timings"
  printf '%s\n' "${timings[@]}"
}
trap report EXIT
want() { [[ " $stages " == *" $1 "* ]]; }

stage setup bash scripts/setup.sh
# Style: every C/C++ file as clang-format (the repo's .clang-format) writes it.
format_check() {
  local bad
  bad=$(git ls-files '*.cc' '*.h' '*.c' | xargs -r clang-format --dry-run 2>&1 | grep -c 'warning:' || true)
  if [ "${bad:-0}" -gt 0 ]; then
    git ls-files '*.cc' '*.h' '*.c' | xargs -r clang-format --dry-run 2>&1 | grep 'warning:' | head -20
    echo "format: $bad places differ from clang-format (run: git ls-files '*.cc' '*.h' '*.c' | xargs clang-format -i)" >&2
    return 1
  fi
  echo "format: every file as clang-format writes it"
}
if want format; then
  stage format format_check
fi
# Size: no function in src/ longer than 120 lines except the deliberate tables the script names.
if want length; then
  stage length python3 scripts/check_function_length.py
fi
stage build bash scripts/build.sh -DWALTUNE_WERROR=ON "${unity[@]}" \
  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG" "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG"
if want unit; then
  stage unit ctest --test-dir build --output-on-failure --timeout 900 -j 2 -LE integration
fi

# Unit-test targets (and what the CLI tests run) for the sanitizer build.
fuzz_targets=(request advise storage_profile calibration advice_loader engine_logs)
unit_targets=(core_tests advise_tests io_tests storage_profile_tests verify_unit_tests
              powercut_state_test powercut_sqlite_vfs_test powercut_library_test
              waltune waltune-powercut waltune_flushdelay)
for t in "${fuzz_targets[@]}"; do unit_targets+=("fuzz_${t}_replay"); done

asan_build() {
  CC=clang CXX=clang++ cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DWALTUNE_FUZZ=ON \
    "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -g1" "-DCMAKE_C_FLAGS_DEBUG=-O1 -g1" \
    -DWALTUNE_WERROR=ON "${unity[@]}" "${launcher[@]}" >/dev/null
  cmake --build build-asan -j "$jobs" --target "${unit_targets[@]}" "${fuzz_targets[@]/#/fuzz_}"
}
asan_unit() {
  # The first report fails the test (abort_on_error), leaks at exit included.
  ASAN_OPTIONS=halt_on_error=1:abort_on_error=1:detect_leaks=1 \
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    ctest --test-dir build-asan --output-on-failure --timeout 900 -j 2 -L unit
}
tsan_build() {
  cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWALTUNE_SANITIZE=thread \
    "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG" "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG" \
    -DWALTUNE_WERROR=ON "${unity[@]}" "${launcher[@]}" >/dev/null
  cmake --build build-tsan -j "$jobs" --target powercut_state_test verify_unit_tests
}
tsan_tests() {
  # Suppressions, each justified in the file: tests/tsan.supp. TSAN_OPTIONS separates options
  # by spaces, so the file is passed by a copy in a temp dir (the checkout may have spaces).
  local supp
  supp=$(mktemp -d)
  cp tests/tsan.supp "$supp/tsan.supp"
  export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$supp/tsan.supp"
  ./build-tsan/tests/powercut/powercut_state_test
  ./build-tsan/tests/verify/verify_unit_tests --gtest_filter='ThreadLoad.*'
  unset TSAN_OPTIONS
  rm -rf "$supp"
}
# The build a packager makes: Release, the Debian compiler, no -Werror (warnings are CI's business,
# not a user's); then cmake --install and the installed binaries (tests/cli/install_test.sh).
release_build() {
  cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release "${unity[@]}" "${launcher[@]}" >/dev/null
  cmake --build build-release -j "$jobs" --target waltune waltune-powercut waltune_flushdelay
  local version
  version=$(sed -n 's/^project(waltune VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
  bash tests/cli/install_test.sh build-release "$version"
}

# The Release and TSan builds beside the integration tests: a subshell at nice 10 (in this
# script's own autogroup, so the engines under test come first) whose output goes to a log,
# printed after the integration tests with its stage times.
later_log=$(mktemp)
later_pid=
# If this script stops (a failed test, Ctrl-C), the builds beside the tests stop with it: the
# subshell runs as its own process group (job control on just for it; same session, so the
# same autogroup) and the exit trap signals that whole group.
stop_later() {
  if [ -n "$later_pid" ] && kill -0 "$later_pid" 2>/dev/null; then
    kill -TERM -- "-$later_pid" 2>/dev/null || true
  fi
}
trap 'stop_later; report' EXIT
if want release || want tsan; then
  set -m
  (
    renice -n 10 -p "$BASHPID" >/dev/null
    timings=()
    if want release; then stage release release_build; fi
    if want tsan; then stage tsan-build tsan_build; fi
    printf '%s\n' "${timings[@]}" >"$later_log.timings"
  ) >"$later_log" 2>&1 &
  later_pid=$!
  set +m
fi
if want integration; then
  stage integration ctest --test-dir build --output-on-failure --timeout 900 -L integration
fi
if [ -n "$later_pid" ]; then
  later_status=0
  wait "$later_pid" || later_status=$?
  later_pid=
  cat "$later_log"
  [ -f "$later_log.timings" ] && mapfile -t -O "${#timings[@]}" timings < <(sed 's/$/ (beside integration)/' "$later_log.timings")
  rm -f "$later_log" "$later_log.timings"
  if [ "$later_status" -ne 0 ]; then
    echo "release or tsan build failed (exit $later_status): see above" >&2
    exit "$later_status"
  fi
fi
if want tsan; then
  stage tsan-tests tsan_tests
fi
if want asan || want fuzz; then
  stage asan-build asan_build
fi
if want asan; then
  stage asan-unit asan_unit
fi
if want fuzz; then
  stage fuzz bash scripts/fuzz.sh "$fuzz_seconds" "${fuzz_targets[@]}"
fi
