#!/usr/bin/env bash
# `cmake --install` into a fresh prefix (with a space in its path, under a 0700 directory):
# the installed waltune prints the project version and finds both helpers in the install
# layout (libexec/waltune), not in the build tree; the installed helpers run.
#   install_test.sh BUILD_DIR VERSION
set -u
build=$1
version=$2
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix="$work/pre fix/usr"

if ! cmake --install "$build" --prefix "$prefix" >"$work/install.log" 2>&1; then
  cat "$work/install.log"
  echo "FAIL: cmake --install"
  exit 1
fi
waltune="$prefix/bin/waltune"
[ -x "$waltune" ] && ok || bad "no $waltune"
[ -x "$prefix/libexec/waltune/waltune-powercut" ] && ok || bad "no installed waltune-powercut"
[ -f "$prefix/libexec/waltune/libwaltune_flushdelay.so" ] && ok || bad "no installed preload library"

out=$("$waltune" --version) && rc=0 || rc=$?
[ "$rc" -eq 0 ] && ok || bad "--version exit $rc"
[ "$(echo "$out" | head -1)" = "waltune $version" ] && ok || bad "--version first line: $(echo "$out" | head -1)"
# The helpers are found in the install layout, relative to the installed binary.
echo "$out" | grep -qxF "waltune-powercut: $prefix/libexec/waltune/waltune-powercut" && ok ||
  bad "powercut helper not located in the install: $out"
echo "$out" | grep -qxF "libwaltune_flushdelay.so: $prefix/libexec/waltune/libwaltune_flushdelay.so" && ok ||
  bad "preload library not located in the install: $out"

# A relocated install (the tree moved elsewhere, as a package unpacked under another root)
# still finds its helpers.
mv "$prefix" "$work/moved"
out=$("$work/moved/bin/waltune" --version)
echo "$out" | grep -qxF "waltune-powercut: $work/moved/libexec/waltune/waltune-powercut" && ok ||
  bad "relocated install: $out"

# The installed helper runs: without arguments it prints its usage and exits 2.
"$work/moved/libexec/waltune/waltune-powercut" >/dev/null 2>"$work/usage" && rc=0 || rc=$?
[ "$rc" -eq 2 ] && grep -q usage "$work/usage" && ok || bad "waltune-powercut: exit $rc"
# And the installed waltune still works: advise on a request from standard input.
echo '{"constraints": {"db_engine": "SQLite", "durability_requirement": "strict"}}' |
  "$work/moved/bin/waltune" advise - --format conf | grep -q "synchronous" && ok ||
  bad "installed waltune advise"

echo "install: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
