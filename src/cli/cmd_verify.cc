// `waltune verify --engine sqlite|postgresql|mariadb [--request REQ.json | --advice ADVICE.json]
//                [--durability strict|standard|relaxed] [--clients N] [--seconds S]
//                [--crashes K] [--rate TPS] [--flush-latency-us X] [--calibrate FILE]
//                [--calibration FILE]
//                [--format json|text] [--power-loss [--power-loss-mechanism auto|fuse|sqlite-vfs]
//                [--sync-backing] [--random-cuts]] [--workload insert|update|tpcb]
//                [--working-set SIZE] [--worst-case [--worst-case-fraction F]
//                [--worst-case-cycles N] [--worst-case-timeout S]]`
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>

#include "commands.h"
#include "waltune/engine_traits.h"
#include "waltune/helpers.h"
#include "waltune/json_input.h"
#include "waltune/probe.h"
#include "waltune/render.h"
#include "waltune/units.h"
#include "waltune/verify.h"

namespace waltune::cli {
namespace {

struct VerifyCliOptions {
  // --engine (empty: from the request, else sqlite), --request, --advice, --durability,
  // --calibration.
  PlanSource source;
  // The run's options as given; engine, workload, working set, preload and progress are filled
  // in by VerifyOptionsOf.
  VerifyOptions run;
  std::string calibrate_path;
  std::string format = "json";
  std::string preload;
  std::string workload = "insert";
  std::string working_set = "64MB";
};

int FailVerify(const Status& status) {
  PrintError(status);
  std::cerr << "waltune verify: " << status.ToString() << std::endl;
  if (Interrupted()) return 130;
  return status.IsInvalidArgument() ? 2 : 1;
}

// libwaltune_flushdelay.so: next to the waltune binary in the build tree, in the helper dir of
// an install (waltune/helpers.h).
std::string DefaultPreload() {
  if (std::string p = FindHelper("libwaltune_flushdelay.so"); !p.empty()) return p;
  std::error_code ec;
  std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "";
  for (auto dir : {exe.parent_path(), exe.parent_path().parent_path()}) {
    auto p = dir / "libwaltune_flushdelay.so";
    if (std::filesystem::exists(p)) return p.string();
  }
  return (exe.parent_path() / "libwaltune_flushdelay.so").string();
}

// The --calibrate file a run will update, checked before the run: what it carries over must
// read back (a file that does not exist yet is fine).
Status CheckCalibrationFile(const std::string& path) {
  if (path.empty() || !std::filesystem::exists(path)) return Status::Ok();
  auto j = ReadJsonInputFile(path, "--calibrate");
  if (!j.ok()) return j.status();
  return CheckCalibrationToUpdate(*j, "--calibrate");
}

Status WriteCalibration(const std::string& path, const VerifyReport& report) {
  nlohmann::json existing;
  if (std::filesystem::exists(path)) {
    auto j = ReadJsonInputFile(path, "--calibrate");
    if (!j.ok()) return j.status();
    existing = *j;
  }
  if (Status s = CheckCalibrationToUpdate(existing, "--calibrate"); !s.ok()) return s;
  std::ofstream out(path, std::ios::trunc);
  if (!out) return Status::IOError("--calibrate", "cannot write '" + path + "'");
  out << UpdateCalibration(existing, report)
             .dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
      << "\n";
  return out ? Status::Ok() : Status::IOError("--calibrate", "write failed: " + path);
}

// Combinations of options that are refused before anything else is read.
Status CheckOptionCombinations(const VerifyCliOptions& opt) {
  if (!opt.source.request_path.empty() && !opt.source.advice_path.empty()) {
    return Status::InvalidArgument("--advice", "give either --request or --advice");
  }
  if (opt.run.power_loss && !opt.calibrate_path.empty()) {
    return Status::InvalidArgument("--calibrate",
                                   "not with --power-loss: throughput through the simulator is "
                                   "not this storage's");
  }
  // The preload library delays flushes by less than 10 s (flush_delay.c); a longer "emulated"
  // latency would not be in force.
  if (opt.run.flush_latency_us >= 10'000'000) {
    return Status::InvalidArgument("--flush-latency-us", "must be below 10000000 (10 s)");
  }
  return Status::Ok();
}

// The run's conditions from the options and this machine (the flush latency is measured later).
Result<RunConditions> RunConditionsOf(const VerifyCliOptions& opt) {
  RunConditions run;
  run.engine = Engine::kSQLite;
  if (!opt.source.engine.empty()) {
    auto e = ParseVerifyEngine(opt.source.engine);
    if (!e.ok()) return e.status();
    run.engine = *e;
  }
  run.clients = opt.run.clients;
  run.payload_bytes = opt.run.payload_bytes;
  auto workload = ParseVerifyWorkload(opt.workload);
  if (!workload.ok()) return workload.status();
  run.workload = *workload;
  auto working_set = ParseBytes(opt.working_set, "--working-set");
  if (!working_set.ok()) return working_set.status();
  if (*working_set < (1u << 20) || *working_set > (1ull << 40)) {
    return Status::InvalidArgument("--working-set", "must be between 1MB and 1TB");
  }
  run.working_set_bytes = *working_set;
  run.flush_latency_emulated_us = opt.run.flush_latency_us;
  return WithThisMachine(run);
}

// The prediction needs this file system's flush latency: measured in a scratch dir first.
Status MeasureRunFlushLatency(const std::string& workdir, RunConditions* run) {
  auto probe_dir = MakeTempDir(workdir, "probe", nullptr);
  if (!probe_dir.ok()) return probe_dir.status();
  auto flush = MeasureRunFlushes(*probe_dir, run->flush_latency_emulated_us);
  // And its cold read through the page cache (SQLite's WAL-index rebuild reads the WAL so):
  // 64 MiB, three rounds. Not measured (a full disk): the preset's sequential read stands in.
  if (flush.ok()) {
    auto read = MeasureColdBufferedReadBytesPerS(Env::Default(), *probe_dir, 64ull << 20, 3);
    if (read.ok()) run->buffered_read_bytes_per_s = *read;
    // And fsync of a clean file (PostgreSQL syncs every file of its data directory before
    // replay): 100 files, three passes. Not measured: one flush per file stands in.
    auto clean = MeasureCleanFsyncUs(Env::Default(), *probe_dir, 100, 3);
    if (clean.ok()) run->clean_fsync_us = *clean;
  }
  std::error_code ec;
  std::filesystem::remove_all(*probe_dir, ec);
  if (!flush.ok()) return flush.status();
  SetRunFlush(*flush, run);
  return Status::Ok();
}

VerifyOptions VerifyOptionsOf(const VerifyCliOptions& opt, const RunConditions& run) {
  VerifyOptions vo = opt.run;
  vo.engine = run.engine;
  vo.workload = run.workload;
  vo.working_set_bytes = run.working_set_bytes;
  vo.preload_library = opt.preload.empty() ? DefaultPreload() : opt.preload;
  vo.progress = isatty(STDERR_FILENO) == 1;
  if (opt.source.advice_path.empty()) {
    // Predict again for the flush latency the engine really saw during the load.
    vo.repredict = [source = opt.source, run](const FlushMeasurement& flush) {
      RunConditions during = run;
      SetRunFlush(flush, &during);
      return PlanFromRequest(source, &during);
    };
  }
  return vo;
}

// 3 when a verdict that failed is a durability failure, else 0.
int ExitCodeOf(const VerifyReport& report) {
  for (const Verdict& v : report.verdicts) {
    if (!v.holds && IsDurabilityFailure(v.kind)) return 3;
  }
  return 0;
}

int RunVerifyCommand(const VerifyCliOptions& opt) {
  if (Status s = CheckOptionCombinations(opt); !s.ok()) return FailVerify(s);
  Result<RunConditions> conditions = RunConditionsOf(opt);
  if (!conditions.ok()) return FailVerify(conditions.status());
  RunConditions run = *conditions;
  const PlanSource& source = opt.source;
  // Bad input is refused before anything is measured or started.
  if (Status s = CheckPlanSource(source, run); !s.ok()) return FailVerify(s);
  if (Status s = CheckCalibrationFile(opt.calibrate_path); !s.ok()) return FailVerify(s);
  if (Status s = MeasureRunFlushLatency(opt.run.parent_dir, &run); !s.ok()) return FailVerify(s);
  Result<VerifyPlan> plan = PlanForRun(source, &run);
  if (!plan.ok()) return FailVerify(plan.status());

  InstallCleanupSignalHandlers();
  auto report = RunVerify(VerifyOptionsOf(opt, run), *plan);
  if (!report.ok()) return FailVerify(report.status());
  if (!opt.calibrate_path.empty()) {
    Status s = WriteCalibration(opt.calibrate_path, *report);
    if (!s.ok()) return FailVerify(s);
  }
  PrintAs(opt.format, *report, ReportToText, ReportToJson);
  return ExitCodeOf(*report);
}

}  // namespace

void SetupVerify(CLI::App& app, int* exit_code) {
  auto opt = std::make_shared<VerifyCliOptions>();
  CLI::App* sub = app.add_subcommand(
      "verify",
      "Apply the advice to a real engine, drive a write load, SIGKILL it (or cut the power) K "
      "times and report measured tps, recovery time and lost commits next to the predictions");
  // An option whose help shows its default.
  auto with_default = [sub](const std::string& name, auto& value, const std::string& help) {
    sub->add_option(name, value, help)->capture_default_str();
  };
  sub->add_option("--engine", opt->source.engine,
                  VerifyEngineKeyList(" or ") + " (default: sqlite)");
  sub->add_option("--request", opt->source.request_path,
                  "request JSON: advise on it for this run's conditions, then verify");
  sub->add_option("--advice", opt->source.advice_path, "advise output JSON to apply as it is");
  sub->add_option("--durability", opt->source.durability,
                  "strict, standard or relaxed (overrides the request's)")
      ->check(CLI::IsMember({"strict", "standard", "relaxed"}));
  with_default("--clients", opt->run.clients, "client threads");
  with_default("--seconds", opt->run.seconds, "throughput measurement length (s)");
  with_default("--crashes", opt->run.crashes, "SIGKILL/restart cycles");
  with_default("--crash-after-min", opt->run.crash_after_min_s, "shortest load before a kill (s)");
  with_default("--crash-after-max", opt->run.crash_after_max_s, "longest load before a kill (s)");
  sub->add_option("--flush-latency-us", opt->run.flush_latency_us,
                  "emulate slower storage: delay every fsync/fdatasync/O_DSYNC write by X us");
  sub->add_option("--rate", opt->run.rate_tps,
                  "pace the load: the clients together start at most this many transactions per "
                  "second (default: as fast as they can; the throughput is then not judged)");
  with_default("--payload-bytes", opt->run.payload_bytes, "payload bytes per row");
  with_default("--workload", opt->workload,
               "insert (append-only, default), update (random rows of --working-set) or tpcb "
               "(pgbench-like account/teller/branch + history)");
  with_default("--working-set", opt->working_set,
               "update/tpcb: size of the prepared table, e.g. 256MB");
  sub->add_flag("--worst-case", opt->run.worst_case,
                "crash when the WAL since the last checkpoint's REDO point peaks (after "
                "--worst-case-cycles checkpoints), then restart with a cold page cache");
  with_default("--worst-case-fraction", opt->run.worst_case_fraction,
               "crash once the distance reaches this fraction of the last cycles' peak");
  with_default("--worst-case-cycles", opt->run.worst_case_min_cycles,
               "checkpoint cycles that must complete before the crash");
  with_default("--worst-case-timeout", opt->run.worst_case_timeout_s,
               "longest load of one worst-case crash (s); then it crashes anyway");
  sub->add_option("--crash-copy", opt->run.crash_copy_dir,
                  "with --worst-case: an empty directory that gets a copy of the instance (data "
                  "and WAL) after each kill, before the restart, as crashN");
  sub->add_option("--calibrate", opt->calibrate_path,
                  "write/update this calibration JSON with the measured numbers");
  sub->add_option("--calibration", opt->source.calibration_path,
                  "calibration JSON for the prediction (as `advise --calibration`)");
  sub->add_option("--format", opt->format, "json (default) or text")
      ->check(CLI::IsMember({"json", "text"}))
      ->capture_default_str();
  sub->add_option("--preload", opt->preload,
                  "path of libwaltune_flushdelay.so (default: next to the waltune binary)");
  sub->add_option("--workdir", opt->run.parent_dir,
                  "parent of the temp dirs (default: $TMPDIR or /tmp)");
  with_default("--seed", opt->run.seed, "seed for the crash moments");
  sub->add_flag("--keep", opt->run.keep_dir, "keep the temp dir (debugging)");
  sub->add_flag("--power-loss", opt->run.power_loss,
                "crashes cut the power: unflushed writes are lost too (docs/powercut.md)");
  sub->add_option("--power-loss-mechanism", opt->run.power_loss_mechanism,
                  "auto (FUSE when usable, else the SQLite VFS), fuse or sqlite-vfs")
      ->check(CLI::IsMember({"auto", "fuse", "sqlite-vfs"}))
      ->capture_default_str();
  sub->add_flag("--sync-backing", opt->run.powercut_sync_backing,
                "power loss on FUSE: flushes also reach the real disk (realistic commit latency)");
  sub->add_flag("--random-cuts", opt->run.random_cuts,
                "power loss on FUSE: each unflushed 4 KiB block survives with probability 1/2 "
                "(torn pages) instead of none");
  sub->callback([opt, exit_code]() { *exit_code = RunVerifyCommand(*opt); });
}

}  // namespace waltune::cli
