#!/usr/bin/env python3
"""Every JSON input of waltune, fed every family of bad input through the real binary.

Inputs: the request (advise FILE, advise -, verify --request), --storage-profile (advise),
--calibration (advise and verify) and --advice (verify). Families: wrong type, missing key,
out-of-range value, huge numbers (1e400, 2^64), NaN/Inf as strings and as (invalid) JSON tokens,
deeply nested JSON, non-UTF-8 bytes, empty file. Each case must exit 2 with
{"error": {"field", "message"}} on stdout naming the field (a JSON path inside the document, or
the input itself when the file is not JSON at all), and verify must refuse before it measures or
starts anything (nothing is left in --workdir).

usage: bad_input_test.py WALTUNE_BINARY EXAMPLES_DIR
"""
import json
import os
import subprocess
import sys
import tempfile

BIN, EXAMPLES = sys.argv[1], sys.argv[2]
REQUEST_FILE = os.path.join(EXAMPLES, "postgres-strict-payments.json")
failures = []
passed = 0


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


REQUEST = load(REQUEST_FILE)
PROFILE = {
    "path": "/var/lib/postgresql", "filesystem": "ext4", "device": "nvme0n1",
    "rotational": False, "write_cache": "write back", "class": "nvme",
    "sync_methods": {"fdatasync": {"p50_us": 95.0, "p99_us": 180.0, "ops_per_s": 10100}},
    "recommended_sync_method": "fdatasync",
    "seq_write_bytes_per_s": 380000000,
    "group_commit_curve": [{"writers": 1, "commits_per_s": 9800, "mean_batch": 1.0}],
    "warnings": [],
}
CALIBRATION = {
    "waltune_calibration": 1, "machine": "test box",
    "engines": {"postgresql": {"txn_cpu_us": 500.0, "wal_bytes_per_txn": 12000.0,
                               "replay_bytes_per_s": None, "restart_overhead_s": 0.05}},
}


def advise_output():
    out = subprocess.run([BIN, "advise", REQUEST_FILE], capture_output=True, check=True)
    return json.loads(out.stdout)


ADVICE = advise_output()


def with_change(doc, path, value=None, delete=False):
    """A deep copy of doc with doc[path...] = value (or the key deleted)."""
    doc = json.loads(json.dumps(doc))
    node = doc
    for key in path[:-1]:
        node = node[key]
    if delete:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return doc


def text_with_raw(doc, path, raw):
    """doc serialised with the value at path replaced by the raw token `raw` (not valid JSON
    for NaN/Infinity, out of double range for 1e400)."""
    marker = "__waltune_raw_marker__"
    return json.dumps(with_change(doc, path, marker)).replace('"%s"' % marker, raw).encode()


def window_without(doc, missing=None):
    """doc with a PostgreSQL replay window (a replay rate and its five numbers), less `missing`."""
    window = {"replay_bytes_per_s": 46.8e6, "replay_window_record_bytes": 97586588,
              "replay_window_fpi_bytes": 128098443, "replay_window_fpi_count": 112142,
              "replay_window_transactions": 194067, "replay_window_redo_s": 4.91}
    for key, value in window.items():
        if key != missing:
            doc = with_change(doc, ["engines", "postgresql", key], value)
    return doc


def doc_bytes(doc):
    return json.dumps(doc).encode()


# The families that do not depend on the document: the whole file is not usable JSON.
def whole_file_cases(name):
    return [
        ("empty file", b"", name),
        ("deeply nested arrays", b"[" * 100000, name),
        ("deeply nested objects", b'{"a":' * 100000, name),
        ("deeply nested, closed", b"[" * 100000 + b"]" * 100000, name),
        ("non-UTF-8 bytes outside strings", b"\xff\xfe{}", name),
        ("not an object", b"[1, 2]", name),
    ]


# (family, bytes, expected field) per input.
REQUEST_CASES = whole_file_cases("request") + [
    ("wrong type: db_engine a number", doc_bytes(with_change(REQUEST, ["constraints", "db_engine"], 5)),
     "constraints.db_engine"),
    ("wrong type: constraints an array", doc_bytes(with_change(REQUEST, ["constraints"], [1])),
     "constraints"),
    ("wrong type: concurrency an object",
     doc_bytes(with_change(REQUEST, ["constraints", "concurrency"], {"n": 1})),
     "constraints.concurrency"),
    ("missing key: db_engine (and no engine in the query)",
     doc_bytes({"query": "help me", "constraints": {"write_rate": "5000 tps"}}),
     "constraints.db_engine"),
    ("out of range: negative concurrency",
     doc_bytes(with_change(REQUEST, ["constraints", "concurrency"], -3)), "constraints.concurrency"),
    ("out of range: write_rate 5000 GB", doc_bytes(with_change(REQUEST, ["constraints", "write_rate"], "5000 GB")),
     "constraints.write_rate"),
    ("huge number: 1e400", text_with_raw(REQUEST, ["constraints", "concurrency"], "1e400"), "request"),
    ("huge number: 2^64", text_with_raw(REQUEST, ["constraints", "concurrency"], str(2**64)),
     "constraints.concurrency"),
    ("huge number: 2^64 as text", doc_bytes(with_change(REQUEST, ["constraints", "write_rate"], str(2**64) + " tps")),
     "constraints.write_rate"),
    ("huge number: version 2^64", doc_bytes(with_change(REQUEST, ["constraints", "engine_version"], str(2**64))),
     "constraints.engine_version"),
    ("NaN as a string", doc_bytes(with_change(REQUEST, ["constraints", "write_rate"], "NaN")),
     "constraints.write_rate"),
    ("Inf as a string", doc_bytes(with_change(REQUEST, ["constraints", "recovery_time_target"], "inf s")),
     "constraints.recovery_time_target"),
    ("NaN token", text_with_raw(REQUEST, ["constraints", "concurrency"], "NaN"), "request"),
    ("Infinity token", text_with_raw(REQUEST, ["constraints", "write_rate"], "Infinity"), "request"),
    ("non-UTF-8 bytes in a string",
     doc_bytes(REQUEST).replace(b'"PostgreSQL"', b'"Postgre\xc3\x28SQL"'), "request"),
]

PROFILE_CASES = whole_file_cases("--storage-profile") + [
    ("wrong type: p50_us a string",
     doc_bytes(with_change(PROFILE, ["sync_methods", "fdatasync", "p50_us"], "fast"))),
    ("wrong type: sync_methods an array", doc_bytes(with_change(PROFILE, ["sync_methods"], [1]))),
    ("wrong type: class a number", doc_bytes(with_change(PROFILE, ["class"], 7))),
    ("missing key: sync_methods", doc_bytes(with_change(PROFILE, ["sync_methods"], delete=True))),
    ("missing key: p99_us",
     doc_bytes(with_change(PROFILE, ["sync_methods", "fdatasync", "p99_us"], delete=True))),
    ("out of range: negative p50_us",
     doc_bytes(with_change(PROFILE, ["sync_methods", "fdatasync", "p50_us"], -1))),
    ("out of range: writers 0",
     doc_bytes(with_change(PROFILE, ["group_commit_curve"], [{"writers": 0, "commits_per_s": 1, "mean_batch": 1}]))),
    ("out of range: clean_fsync_us 0", doc_bytes(with_change(PROFILE, ["clean_fsync_us"], 0))),
    ("wrong type: clean_fsync_us a string",
     doc_bytes(with_change(PROFILE, ["clean_fsync_us"], "90us"))),
    ("huge number: 1e400", text_with_raw(PROFILE, ["seq_write_bytes_per_s"], "1e400"), "--storage-profile"),
    ("huge number: 2^64 writers",
     doc_bytes(with_change(PROFILE, ["group_commit_curve"], [{"writers": 2**64, "commits_per_s": 1, "mean_batch": 1}]))),
    ("NaN as a string",
     doc_bytes(with_change(PROFILE, ["sync_methods", "fdatasync", "p50_us"], "NaN"))),
    ("Inf as a string",
     doc_bytes(with_change(PROFILE, ["sync_methods", "fdatasync", "p99_us"], "Infinity"))),
    ("NaN token", text_with_raw(PROFILE, ["seq_write_bytes_per_s"], "NaN"), "--storage-profile"),
    ("-Infinity token", text_with_raw(PROFILE, ["seq_write_bytes_per_s"], "-Infinity"),
     "--storage-profile"),
    ("non-UTF-8 bytes in a string",
     doc_bytes(PROFILE).replace(b'"ext4"', b'"ext\xff4"'), "--storage-profile"),
]

CALIBRATION_CASES = whole_file_cases("--calibration") + [
    ("wrong type: txn_cpu_us a string",
     doc_bytes(with_change(CALIBRATION, ["engines", "postgresql", "txn_cpu_us"], "500")),
     "--calibration.engines.postgresql.txn_cpu_us"),
    ("wrong type: engines.postgresql a number",
     doc_bytes(with_change(CALIBRATION, ["engines", "postgresql"], 5)),
     "--calibration.engines.postgresql"),
    ("wrong type: engines an array", doc_bytes(with_change(CALIBRATION, ["engines"], [])),
     "--calibration.engines"),
    ("missing key: engines", doc_bytes(with_change(CALIBRATION, ["engines"], delete=True)),
     "--calibration.engines"),
    ("out of range: negative txn_cpu_us",
     doc_bytes(with_change(CALIBRATION, ["engines", "postgresql", "txn_cpu_us"], -3)),
     "--calibration.engines.postgresql.txn_cpu_us"),
    ("huge number: 1e400", text_with_raw(CALIBRATION, ["engines", "postgresql", "txn_cpu_us"], "1e400"),
     "--calibration"),
    ("huge number: 1e308 us per transaction",
     text_with_raw(CALIBRATION, ["engines", "postgresql", "txn_cpu_us"], "1e308"),
     "--calibration.engines.postgresql.txn_cpu_us"),
    ("huge number: 2^64 bytes per transaction",
     text_with_raw(CALIBRATION, ["engines", "postgresql", "wal_bytes_per_txn"], str(2**64)),
     "--calibration.engines.postgresql.wal_bytes_per_txn"),
    ("NaN as a string",
     doc_bytes(with_change(CALIBRATION, ["engines", "postgresql", "txn_cpu_us"], "NaN")),
     "--calibration.engines.postgresql.txn_cpu_us"),
    ("Inf as a string",
     doc_bytes(with_change(CALIBRATION, ["engines", "postgresql", "restart_overhead_s"], "inf")),
     "--calibration.engines.postgresql.restart_overhead_s"),
    ("statement CPU by clients as a list, not an object of counts",
     doc_bytes(with_change(CALIBRATION, ["engines", "postgresql", "statement_cpu_by_clients"], [120])),
     "--calibration.engines.postgresql.statement_cpu_by_clients"),
    ("statement CPU by clients keyed by a count that is not a whole number of clients",
     doc_bytes(with_change(CALIBRATION, ["engines", "postgresql", "statement_cpu_by_clients"],
                           {"sixteen": 120})),
     "--calibration.engines.postgresql.statement_cpu_by_clients.sixteen"),
    ("statement CPU by clients with a negative figure",
     doc_bytes(with_change(CALIBRATION, ["engines", "postgresql", "statement_cpu_by_clients"],
                           {"64": -5})),
     "--calibration.engines.postgresql.statement_cpu_by_clients.64"),
    ("CPU of the statements by clients with a figure where the shapes belong",
     doc_bytes(with_change(CALIBRATION, ["engines", "postgresql", "statements_cpu_us_by_clients"],
                           {"16": 150})),
     "--calibration.engines.postgresql.statements_cpu_us_by_clients.16"),
    ("CPU of the statements keyed by a statement count that is not a whole number",
     doc_bytes(with_change(CALIBRATION, ["engines", "postgresql", "statements_cpu_us_by_clients"],
                           {"16": {"seven": 840}})),
     "--calibration.engines.postgresql.statements_cpu_us_by_clients.16.seven"),
    ("CPU of the statements that is not a number",
     doc_bytes(with_change(CALIBRATION, ["engines", "postgresql", "statements_cpu_us_by_clients"],
                           {"16": {"1": None}})),
     "--calibration.engines.postgresql.statements_cpu_us_by_clients.16.1"),
    ("a miss fraction of 1 or more",
     doc_bytes(with_change(CALIBRATION, ["engines", "postgresql", "replay_buffer_miss_fraction"], 1)),
     "--calibration.engines.postgresql.replay_buffer_miss_fraction"),
    ("a negative miss fraction",
     doc_bytes(with_change(CALIBRATION, ["engines", "postgresql", "replay_buffer_miss_fraction"], -0.1)),
     "--calibration.engines.postgresql.replay_buffer_miss_fraction"),
    ("a line fitted over fewer than three restarts",
     doc_bytes(with_change(with_change(CALIBRATION, ["engines", "postgresql", "replay_bytes_per_s"],
                                       5e7), ["engines", "postgresql", "restart_fit_windows"], 2)),
     "--calibration.engines.postgresql.restart_fit_windows"),
    ("a server version that is a number, not the server's string",
     doc_bytes(with_change(CALIBRATION, ["engines", "postgresql", "engine_version"], 15)),
     "--calibration.engines.postgresql.engine_version"),
    ("a server version that names no version",
     doc_bytes(with_change(CALIBRATION, ["engines", "postgresql", "engine_version"], "PostgreSQL")),
     "--calibration.engines.postgresql.engine_version"),
    ("a replay workload that is not a workload's name",
     doc_bytes(with_change(CALIBRATION, ["engines", "postgresql", "replay_workload"], 7)),
     "--calibration.engines.postgresql.replay_workload"),
    ("an image size without its page size",
     doc_bytes(with_change(CALIBRATION, ["engines", "postgresql", "fpi_bytes"], 1340)),
     "--calibration.engines.postgresql.fpi_page_bytes"),
    ("an image larger than its page",
     doc_bytes(with_change(with_change(with_change(
         CALIBRATION, ["engines", "postgresql", "fpi_bytes"], 8000),
         ["engines", "postgresql", "fpi_page_bytes"], 7000),
         ["engines", "postgresql", "fpi_compression"], "lz4")),
     "--calibration.engines.postgresql.fpi_bytes"),
    ("an image size measured with an unknown compression",
     doc_bytes(with_change(with_change(with_change(
         CALIBRATION, ["engines", "postgresql", "fpi_bytes"], 1340),
         ["engines", "postgresql", "fpi_page_bytes"], 7000),
         ["engines", "postgresql", "fpi_compression"], "gzip")),
     "--calibration.engines.postgresql.fpi_compression"),
    ("a replay window without its replay time",
     doc_bytes(window_without(CALIBRATION, "replay_window_redo_s")),
     "--calibration.engines.postgresql.replay_window_redo_s"),
    ("a replay window with a fraction of an image",
     doc_bytes(with_change(window_without(CALIBRATION), ["engines", "postgresql",
                                                         "replay_window_fpi_count"], 1.5)),
     "--calibration.engines.postgresql.replay_window_fpi_count"),
    ("a replay window with no commits",
     doc_bytes(with_change(window_without(CALIBRATION), ["engines", "postgresql",
                                                         "replay_window_transactions"], 0)),
     "--calibration.engines.postgresql.replay_window_transactions"),
    ("a replay window whose images average more than 32 kB",
     doc_bytes(with_change(window_without(CALIBRATION), ["engines", "postgresql",
                                                         "replay_window_fpi_bytes"], 4e9)),
     "--calibration.engines.postgresql.replay_window_fpi_bytes"),
    ("a replay window without the rate it was measured for",
     doc_bytes(with_change(window_without(CALIBRATION), ["engines", "postgresql",
                                                         "replay_bytes_per_s"], None)),
     "--calibration.engines.postgresql.replay_bytes_per_s"),
    ("a fitted line without its rate",
     doc_bytes(with_change(CALIBRATION, ["engines", "postgresql", "restart_fit_windows"], 3)),
     "--calibration.engines.postgresql.restart_fit_windows"),
    ("NaN token", text_with_raw(CALIBRATION, ["engines", "postgresql", "txn_cpu_us"], "NaN"),
     "--calibration"),
    ("Infinity token", text_with_raw(CALIBRATION, ["engines", "postgresql", "txn_cpu_us"], "Infinity"),
     "--calibration"),
    ("non-UTF-8 bytes in a string",
     doc_bytes(CALIBRATION).replace(b'"test box"', b'"test \xed\xa0\x80box"'), "--calibration"),
]

CALIBRATE_FILE = dict(CALIBRATION, engines={"mariadb": {"recovery_windows": [
    {"redo_bytes": 92900000, "recovery_s": 1.66, "workload": "update"}]}})
CALIBRATE_CASES = [
    ("recovery_windows not an array",
     doc_bytes(with_change(CALIBRATE_FILE, ["engines", "mariadb", "recovery_windows"], {})),
     "--calibrate.engines.mariadb.recovery_windows"),
    ("a restart without its redo",
     doc_bytes(with_change(CALIBRATE_FILE, ["engines", "mariadb", "recovery_windows", 0, "redo_bytes"],
                           delete=True)),
     "--calibrate.engines.mariadb.recovery_windows[0].redo_bytes"),
    ("a restart of negative seconds",
     doc_bytes(with_change(CALIBRATE_FILE, ["engines", "mariadb", "recovery_windows", 0, "recovery_s"],
                           -1)),
     "--calibrate.engines.mariadb.recovery_windows[0].recovery_s"),
    ("a restart time as a string",
     doc_bytes(with_change(CALIBRATE_FILE, ["engines", "mariadb", "recovery_windows", 0, "recovery_s"],
                           "1.66")),
     "--calibrate.engines.mariadb.recovery_windows[0].recovery_s"),
]

ADVICE_CASES = whole_file_cases("--advice") + [
    ("wrong type: durability_level a number", doc_bytes(with_change(ADVICE, ["durability_level"], 2)),
     "durability_level"),
    ("wrong type: wal_config.engine a number", doc_bytes(with_change(ADVICE, ["wal_config", "engine"], 1)),
     "wal_config.engine"),
    ("wrong type: checkpoint_strategy a string",
     doc_bytes(with_change(ADVICE, ["checkpoint_strategy"], "often")), "checkpoint_strategy"),
    ("wrong type: a setting that is an object",
     doc_bytes(with_change(ADVICE, ["wal_config", "max_wal_size"], {"v": 1})), "wal_config.max_wal_size"),
    ("wrong type: with_config_tps a string",
     doc_bytes(with_change(ADVICE, ["throughput_impact", "with_config_tps"], "fast")),
     "throughput_impact.with_config_tps"),
    ("wrong type: data_loss_window_ms.value a string",
     doc_bytes(with_change(ADVICE, ["estimates", "data_loss_window_ms", "value"], "0")),
     "estimates.data_loss_window_ms.value"),
    ("missing key: checkpoint_strategy",
     doc_bytes(with_change(ADVICE, ["checkpoint_strategy"], delete=True)), "checkpoint_strategy"),
    ("missing key: durability_level",
     doc_bytes(with_change(ADVICE, ["durability_level"], delete=True)), "durability_level"),
    ("missing key: wal_config", doc_bytes(with_change(ADVICE, ["wal_config"], delete=True)),
     "wal_config"),
    ("missing key: wal_config.engine",
     doc_bytes(with_change(ADVICE, ["wal_config", "engine"], delete=True)), "wal_config.engine"),
    ("out of range: unknown durability_level",
     doc_bytes(with_change(ADVICE, ["durability_level"], "paranoid")), "durability_level"),
    ("out of range: negative recovery time",
     doc_bytes(with_change(ADVICE, ["checkpoint_strategy", "estimated_recovery_time_s"], -1)),
     "checkpoint_strategy.estimated_recovery_time_s"),
    ("huge number: 1e400", text_with_raw(ADVICE, ["throughput_impact", "with_config_tps"], "1e400"),
     "--advice"),
    ("huge number: 2^64 as a setting",
     text_with_raw(ADVICE, ["checkpoint_strategy", "checkpoint_completion_target"], str(2**64)),
     "checkpoint_strategy.checkpoint_completion_target"),
    ("huge number: 1e300 as a setting",
     text_with_raw(ADVICE, ["wal_config", "wal_buffers"], "1e300"), "wal_config.wal_buffers"),
    ("NaN as a string", doc_bytes(with_change(ADVICE, ["throughput_impact", "with_config_tps"], "NaN")),
     "throughput_impact.with_config_tps"),
    ("Inf as a string",
     doc_bytes(with_change(ADVICE, ["checkpoint_strategy", "estimated_recovery_time_s"], "Infinity")),
     "checkpoint_strategy.estimated_recovery_time_s"),
    ("NaN token", text_with_raw(ADVICE, ["throughput_impact", "with_config_tps"], "NaN"), "--advice"),
    ("-Infinity token",
     text_with_raw(ADVICE, ["checkpoint_strategy", "estimated_recovery_time_s"], "-Infinity"),
     "--advice"),
    ("non-UTF-8 bytes in a string",
     doc_bytes(ADVICE).replace(b'"PostgreSQL"', b'"Postgre\xc0\xafSQL"', 1), "--advice"),
]


def check(label, argv, expected_field, workdir=None, stdin=None):
    global passed
    try:
        proc = subprocess.run(argv, input=stdin, capture_output=True, timeout=60)
    except subprocess.TimeoutExpired:
        failures.append("%s: timed out" % label)
        return
    if proc.returncode != 2:
        failures.append("%s: exit %d (want 2); stdout %r stderr %r"
                        % (label, proc.returncode, proc.stdout[:300], proc.stderr[-300:]))
        return
    try:
        error = json.loads(proc.stdout)["error"]
        field, message = error["field"], error["message"]
    except (ValueError, KeyError, TypeError) as e:
        failures.append("%s: no {\"error\": {field, message}} on stdout (%s): %r"
                        % (label, e, proc.stdout[:300]))
        return
    if expected_field is not None and field != expected_field:
        failures.append("%s: field %r (want %r): %s" % (label, field, expected_field, message))
        return
    if expected_field is None and (not isinstance(field, str) or not field.startswith("")):
        failures.append("%s: field %r" % (label, field))
        return
    if not isinstance(message, str) or not message:
        failures.append("%s: empty message" % label)
        return
    if workdir is not None and os.listdir(workdir):
        failures.append("%s: verify left %s in --workdir" % (label, os.listdir(workdir)))
        return
    passed += 1


def main():
    # A path with spaces: nothing may depend on where the files live.
    with tempfile.TemporaryDirectory(prefix="waltune bad input ") as tmp:
        work = os.path.join(tmp, "work dir")
        os.mkdir(work)
        good = {}
        for name, doc in (("request", REQUEST), ("profile", PROFILE), ("calibration", CALIBRATION)):
            good[name] = os.path.join(tmp, "good %s.json" % name)
            with open(good[name], "wb") as f:
                f.write(doc_bytes(doc))
        # The good documents are accepted (so the cases below fail for their one defect).
        for argv in ([BIN, "advise", good["request"], "--storage-profile", good["profile"],
                      "--calibration", good["calibration"]],):
            proc = subprocess.run(argv, capture_output=True)
            if proc.returncode != 0:
                failures.append("good inputs refused: %r" % proc.stdout[:500])

        def write(case_bytes):
            path = os.path.join(tmp, "case input.json")
            with open(path, "wb") as f:
                f.write(case_bytes)
            return path

        for case in REQUEST_CASES:
            family, data, field = case
            path = write(data)
            check("request [%s] advise FILE" % family, [BIN, "advise", path], field)
            check("request [%s] advise -" % family, [BIN, "advise", "-"], field, stdin=data)
            vfield = "--request" if field == "request" else field
            check("request [%s] verify --request" % family,
                  [BIN, "verify", "--workdir", work, "--request", path], vfield, workdir=work)
        for case in PROFILE_CASES:
            family, data = case[0], case[1]
            # Fields inside the profile are named "constraints.storage_profile.<path>" by the
            # parser; check the prefix and the exit code.
            field = case[2] if len(case) > 2 else None
            path = write(data)
            argv = [BIN, "advise", good["request"], "--storage-profile", path]
            if field is None:
                check_prefix("--storage-profile [%s]" % family, argv)
            else:
                check("--storage-profile [%s]" % family, argv, field)
        for family, data, field in CALIBRATION_CASES:
            path = write(data)
            check("--calibration [%s] advise" % family,
                  [BIN, "advise", good["request"], "--calibration", path], field)
            check("--calibration [%s] verify" % family,
                  [BIN, "verify", "--workdir", work, "--request", good["request"],
                   "--calibration", path], field, workdir=work)
        # The file `verify --calibrate` would update: the restarts it carries over must read
        # back, and a bad one is refused before anything runs.
        for family, data, field in CALIBRATE_CASES:
            path = write(data)
            check("--calibrate [%s] verify" % family,
                  [BIN, "verify", "--workdir", work, "--request", good["request"],
                   "--calibrate", path], field, workdir=work)
        for family, data, field in ADVICE_CASES:
            path = write(data)
            check("--advice [%s] verify" % family,
                  [BIN, "verify", "--engine", "postgresql", "--workdir", work, "--advice", path],
                  field, workdir=work)
        # --crash-copy: with --worst-case only, into an existing empty directory.
        check("--crash-copy without --worst-case",
              [BIN, "verify", "--workdir", work, "--request", good["request"],
               "--crash-copy", tmp], "--crash-copy", workdir=work)
        check("--crash-copy is a missing directory",
              [BIN, "verify", "--workdir", work, "--request", good["request"], "--worst-case",
               "--crash-copy", os.path.join(tmp, "none")], "--crash-copy", workdir=work)
        check("--crash-copy is not empty",
              [BIN, "verify", "--workdir", work, "--request", good["request"], "--worst-case",
               "--crash-copy", tmp], "--crash-copy", workdir=work)
        # A directory, or a path that does not exist, where a file is wanted: every input.
        # (A directory opens and then fails to read: it was "unexpected exception (a waltune
        # bug)", exit 1.)
        for what, path in (("a directory", work), ("a missing file", os.path.join(tmp, "none"))):
            check("request is %s" % what, [BIN, "advise", path], "request")
            check("--storage-profile is %s" % what,
                  [BIN, "advise", good["request"], "--storage-profile", path], "--storage-profile")
            check("--calibration is %s" % what,
                  [BIN, "advise", good["request"], "--calibration", path], "--calibration")
            check("--request is %s" % what, [BIN, "verify", "--workdir", work, "--request", path],
                  "--request", workdir=work)
            check("--advice is %s" % what,
                  [BIN, "verify", "--engine", "postgresql", "--workdir", work, "--advice", path],
                  "--advice", workdir=work)
    for f in failures:
        print("FAIL:", f)
    print("bad input: %d passed, %d failed" % (passed, len(failures)))
    return 1 if failures else 0


def check_prefix(label, argv):
    """A defect inside the storage profile: exit 2 naming a field inside the profile."""
    global passed
    proc = subprocess.run(argv, capture_output=True, timeout=60)
    try:
        field = json.loads(proc.stdout)["error"]["field"]
    except (ValueError, KeyError, TypeError):
        field = None
    if proc.returncode != 2 or not isinstance(field, str) or not (
            field.startswith("constraints.storage_profile") or field.startswith("--storage-profile")):
        failures.append("%s: exit %d field %r (want 2 and a field in the profile): %r"
                        % (label, proc.returncode, field, proc.stdout[:300]))
        return
    passed += 1


if __name__ == "__main__":
    sys.exit(main())
