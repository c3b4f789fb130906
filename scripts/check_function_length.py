#!/usr/bin/env python3
"""Lists every function in src/ longer than MAX_LINES lines; exits 1 when one is not allowed.

A function is a definition of a free function, member function, constructor, destructor,
conversion operator or function template, from its first line (return type) to its closing
brace; lambdas and local classes count as part of the function they are written in. Functions
are found with libclang (Debian: python3-clang-14, libclang-14-dev), each .c/.cc file under
src/ parsed with its flags from build*/compile_commands.json (or with -std=c++20 -Iinclude
-Isrc when no build has been configured); functions defined in headers under src/ are found
through the files that include them.

Usage: scripts/check_function_length.py [--max N] [--all]
  --all  also print the allowed functions and every function's length over N/2 lines.
"""
import argparse
import glob
import json
import multiprocessing
import os
import shlex
import subprocess
import sys

MAX_LINES = 120

# Deliberate tables: one entry per row of data, read top to bottom; splitting them would only
# scatter the table. (path relative to the repository, function name)
ALLOWED = {
    ("src/engines/param_table.cc", "BuildTable"),
    ("src/api/query_reader.cc", "DurabilityPatterns"),
}

# Not tables: long functions in src/cli and src/verify that are being split in parallel
# (issue 11). Listed on every run as "pending"; they do not fail the check. Remove each entry
# when its function is split: an entry whose function is within the limit fails the check.
PENDING: set = set()  # every long function has been split

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def load_clang():
    try:
        from clang import cindex  # noqa: PLC0415
    except ImportError:
        sys.path.extend(glob.glob("/usr/lib/python3/dist-packages"))
        from clang import cindex  # noqa: PLC0415
    if not cindex.Config.loaded:
        for lib in sorted(glob.glob("/usr/lib/llvm-*/lib/libclang.so*"), reverse=True) + sorted(
            glob.glob("/usr/lib/x86_64-linux-gnu/libclang-*.so*"), reverse=True
        ):
            try:
                cindex.Config.set_library_file(lib)
                cindex.Index.create()
                break
            except Exception:  # noqa: BLE001 - try the next library
                cindex.Config.loaded = False
    return cindex


def compile_flags():
    """Maps each absolute source path to its compiler flags (without -c/-o/the file)."""
    flags = {}
    for db in sorted(glob.glob(os.path.join(ROOT, "build*", "compile_commands.json"))):
        try:
            entries = json.load(open(db, encoding="utf-8"))
        except (OSError, ValueError):
            continue
        for e in entries:
            path = os.path.normpath(os.path.join(e["directory"], e["file"]))
            if path in flags:
                continue
            args = e.get("arguments") or shlex.split(e["command"])
            keep, skip = [], False
            for a in args[1:]:
                if skip:
                    skip = False
                    continue
                if a in ("-o", "-c", "-MF", "-MT", "-MQ"):
                    skip = a != "-c"
                    continue
                if a == e["file"] or os.path.normpath(os.path.join(e["directory"], a)) == path:
                    continue
                if a.startswith("-fsanitize") or a.startswith("-W"):
                    continue
                if a.startswith("-I") and not os.path.isabs(a[2:]):
                    a = "-I" + os.path.normpath(os.path.join(e["directory"], a[2:]))
                keep.append(a)
            flags[path] = keep
    return flags


def pkg_config_cflags(*packages):
    try:
        out = subprocess.run(["pkg-config", "--cflags", *packages], capture_output=True,
                             text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return []
    return shlex.split(out)


def default_flags(path):
    """Flags for a file no configured build lists (CI checks before it builds, and a unity
    build lists only its unity sources): the include paths and definitions src/ needs."""
    lang = ["-x", "c", "-std=c11"] if path.endswith(".c") else ["-x", "c++", "-std=c++20"]
    return lang + ["-I" + os.path.join(ROOT, "include"), "-I" + os.path.join(ROOT, "src"),
                   "-I" + os.path.join(ROOT, "src", "verify"), "-I" + os.path.dirname(path),
                   '-DWALTUNE_VERSION="0"'] + pkg_config_cflags("libpq", "libmariadb")


def functions(cindex, path, args):
    kinds = {
        cindex.CursorKind.FUNCTION_DECL,
        cindex.CursorKind.CXX_METHOD,
        cindex.CursorKind.CONSTRUCTOR,
        cindex.CursorKind.DESTRUCTOR,
        cindex.CursorKind.CONVERSION_FUNCTION,
        cindex.CursorKind.FUNCTION_TEMPLATE,
    }
    tu = cindex.Index.create().parse(path, args=args)
    src = os.path.join(ROOT, "src") + os.sep
    # A file that does not parse (a header not found, say) would hide its functions: an error.
    for d in tu.diagnostics:
        if d.severity >= cindex.Diagnostic.Error:
            yield ("error", os.path.relpath(path, ROOT), d.spelling, d.location.line)
            return

    def walk(cursor):
        for c in cursor.get_children():
            f = c.location.file
            if f is None or not os.path.abspath(f.name).startswith(src):
                continue
            if c.kind in kinds and c.is_definition():
                start, end = c.extent.start.line, c.extent.end.line
                yield (os.path.relpath(os.path.abspath(f.name), ROOT), c.spelling,
                       c.semantic_parent.spelling if c.semantic_parent else "", start,
                       end - start + 1)
                continue  # lambdas and local classes belong to this function
            if c.kind in (cindex.CursorKind.NAMESPACE, cindex.CursorKind.CLASS_DECL,
                          cindex.CursorKind.STRUCT_DECL, cindex.CursorKind.CLASS_TEMPLATE,
                          cindex.CursorKind.UNEXPOSED_DECL, cindex.CursorKind.LINKAGE_SPEC):
                yield from walk(c)

    yield from walk(tu.cursor)


_CINDEX = None


def functions_of(job):
    """A worker's task: the functions defined in one file, as plain tuples."""
    path, args = job
    return list(functions(_CINDEX, path, args))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--max", type=int, default=MAX_LINES)
    ap.add_argument("--all", action="store_true")
    opts = ap.parse_args()
    try:
        cindex = load_clang()
    except Exception as e:  # noqa: BLE001
        print(f"length: libclang python bindings not usable ({e}); install python3-clang-14 "
              "libclang-14-dev (scripts/setup.sh)", file=sys.stderr)
        return 2
    flags = compile_flags()
    sources = sorted(glob.glob(os.path.join(ROOT, "src", "**", "*.c"), recursive=True) +
                     glob.glob(os.path.join(ROOT, "src", "**", "*.cc"), recursive=True))
    # One parse per file, on every core (the workers are forked with libclang loaded).
    global _CINDEX
    _CINDEX = cindex
    jobs = [(path, flags.get(path) or default_flags(path)) for path in sources]
    with multiprocessing.get_context("fork").Pool(os.cpu_count() or 1) as pool:
        found = pool.map(functions_of, jobs, chunksize=1)
    seen = {}
    parse_errors = []
    for functions_in_file in found:
        for item in functions_in_file:
            if item[0] == "error":
                parse_errors.append(f"{item[1]}:{item[3]}: does not parse: {item[2]}")
                continue
            rel, name, parent, line, length = item
            seen[(rel, line)] = (rel, name, parent, line, length)
    if parse_errors:
        print("\n".join(parse_errors))
        print(f"length: {len(parse_errors)} file(s) in src/ do not parse, so their functions "
              "cannot be measured; give default_flags() what they need", file=sys.stderr)
        return 2
    too_long = []
    pending_seen = set()
    for rel, name, parent, line, length in sorted(seen.values()):
        allowed = (rel, name) in ALLOWED
        qual = f"{parent}::{name}" if parent and parent != name else name
        if length > opts.max and (rel, name) in PENDING:
            pending_seen.add((rel, name))
            print(f"{rel}:{line}: {qual} is {length} lines (pending: being split)")
        elif length > opts.max and not allowed:
            too_long.append(f"{rel}:{line}: {qual} is {length} lines (limit {opts.max})")
        elif opts.all and (length > opts.max // 2 or allowed):
            note = " (allowed: deliberate table)" if allowed else ""
            print(f"{rel}:{line}: {qual} {length} lines{note}")
    for rel, name in sorted(PENDING - pending_seen):
        too_long.append(f"{rel}: {name} is no longer over {opts.max} lines (or gone): remove it "
                        "from PENDING in scripts/check_function_length.py")
    for t in too_long:
        print(t)
    if too_long:
        print(f"length: {len(too_long)} function(s) in src/ longer than {opts.max} lines; split "
              "them into named steps (deliberate tables go in ALLOWED in "
              "scripts/check_function_length.py)", file=sys.stderr)
        return 1
    print(f"length: every function in src/ within {opts.max} lines ({len(seen)} functions, "
          f"{len(ALLOWED)} deliberate tables allowed, {len(PENDING)} pending)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
