// `waltune verify --engine sqlite|postgresql|mariadb [--request REQ.json | --advice ADVICE.json]
//                [--durability strict|standard|relaxed] [--clients N] [--seconds S]
//                [--crashes K] [--flush-latency-us X] [--calibrate FILE] [--calibration FILE]
//                [--format json|text] [--power-loss [--power-loss-mechanism auto|fuse|sqlite-vfs]
//                [--sync-backing] [--random-cuts]] [--workload insert|update|tpcb]
//                [--working-set SIZE] [--worst-case [--worst-case-fraction F]
//                [--worst-case-cycles N] [--worst-case-timeout S]]`
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>

#include "commands.h"
#include "waltune/engine.h"
#include "waltune/helpers.h"
#include "waltune/json_input.h"
#include "waltune/render.h"
#include "waltune/request.h"
#include "waltune/units.h"
#include "waltune/verify.h"

namespace waltune::cli {
namespace {

struct VerifyCliOptions {
  std::string engine;  // empty: from the request, else sqlite
  std::string request_path;
  std::string advice_path;
  std::string durability;
  std::string calibrate_path;
  std::string calibration_path;
  std::string format = "json";
  std::string preload;
  std::string workdir;
  int clients = 4;
  double seconds = 10;
  int crashes = 2;
  double crash_after_min_s = 1.0;
  double crash_after_max_s = 3.0;
  uint64_t flush_latency_us = 0;
  uint64_t payload_bytes = 100;
  uint64_t seed = 1;
  bool keep = false;
  bool power_loss = false;
  std::string power_loss_mechanism = "auto";
  bool sync_backing = false;
  bool random_cuts = false;
  std::string workload = "insert";
  std::string working_set = "64MB";
  bool worst_case = false;
  double worst_case_fraction = 0.9;
  int worst_case_cycles = 2;
  double worst_case_timeout_s = 300;
};

Result<nlohmann::json> ReadJson(const std::string& path, const std::string& field) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::InvalidArgument(field, "cannot read '" + path + "'");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return ParseJsonInput(text, field);
}

int Fail(const Status& status) {
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

Result<Engine> EngineFromScenario(Engine e) {
  if (TraitsOf(e).verify_supported) return e;
  return Status::InvalidArgument("constraints.db_engine", NoVerifyMessage(e, "ask for "));
}

// The request to advise on: the file, or one built from --engine/--durability.
Result<nlohmann::json> BuildRequest(const VerifyCliOptions& opt) {
  nlohmann::json req;
  if (!opt.request_path.empty()) {
    auto j = ReadJson(opt.request_path, "--request");
    if (!j.ok()) return j.status();
    req = *j;
    if (!req.is_object()) return Status::InvalidArgument("--request", "must be a JSON object");
  } else {
    req["query"] = "verify run";
  }
  if (!req.contains("constraints")) {
    req["constraints"] = nlohmann::json::object();
  } else if (!req["constraints"].is_object()) {
    return Status::InvalidArgument("constraints", "must be an object");
  }
  if (!opt.engine.empty()) {
    auto e = ParseVerifyEngine(opt.engine);
    if (!e.ok()) return e.status();
    if (!req["constraints"].contains("db_engine")) {
      req["constraints"]["db_engine"] = EngineKey(*e);
    }
  } else if (opt.request_path.empty()) {
    req["constraints"]["db_engine"] = EngineKey(Engine::kSQLite);  // no request, no --engine
  }
  if (!opt.durability.empty()) req["constraints"]["durability_requirement"] = opt.durability;
  return req;
}

// The request (and --calibration) as a scenario for the engine verify will run; sets
// run->engine. Reads only the files: safe to call before anything is measured or started.
Result<Scenario> ScenarioFromRequest(const VerifyCliOptions& opt, RunConditions* run) {
  auto req = BuildRequest(opt);
  if (!req.ok()) return req.status();
  ParseOptions parse;
  if (!opt.calibration_path.empty()) {
    auto cal = ReadJson(opt.calibration_path, "--calibration");
    if (!cal.ok()) return cal.status();
    parse.calibration = *cal;
  }
  auto scenario = ParseRequest(*req, parse);
  if (!scenario.ok()) return scenario.status();
  auto engine = EngineFromScenario(scenario->engine);
  if (!engine.ok()) return engine.status();
  if (!opt.engine.empty() && *engine != run->engine) {
    return Status::InvalidArgument("--engine", "the request is for " +
                                                   std::string(EngineName(scenario->engine)) +
                                                   " but --engine says " + opt.engine);
  }
  run->engine = *engine;
  return scenario;
}

Result<VerifyPlan> PlanFromRequest(const VerifyCliOptions& opt, RunConditions* run) {
  auto scenario = ScenarioFromRequest(opt, run);
  if (!scenario.ok()) return scenario.status();
  Scenario s = *scenario;
  AdaptScenarioToRun(*run, &s);
  Advice advice = Solve(s);
  auto plan = PlanFromAdvice(advice, *run);
  if (!plan.ok()) return plan.status();
  VerifyPlan p = *plan;
  p.recovery_target_s = s.recovery_target_s;
  p.predicted_workload = s.workload;
  char src[400];
  std::snprintf(src, sizeof(src),
                "waltune advise for this run: %d clients, %d cores, %s, workload %s (%d rows, "
                "%d statements, %llu bytes per transaction)",
                run->clients, run->cpu_cores, s.storage.name.c_str(),
                VerifyWorkloadName(run->workload), s.workload.rows_per_txn,
                s.workload.statements_per_txn,
                static_cast<unsigned long long>(s.workload.txn_write_bytes));
  p.prediction_source = src;
  if (s.calibration.present) p.prediction_source += ", calibrated by " + opt.calibration_path;
  for (const std::string& w : advice.warnings) p.notes.push_back("advice warning: " + w);
  p.notes.push_back("advice: " + advice.improvement);
  for (const Estimate& e : advice.estimates) {
    if (e.name.find("flush") != std::string::npos || e.name.find("ceiling") != std::string::npos) {
      char buf[96];
      std::snprintf(buf, sizeof(buf), "%s = %.6g %s", e.name.c_str(), e.value, e.unit.c_str());
      p.notes.push_back(std::string("advice estimate: ") + buf);
    }
  }
  return p;
}

Status WriteCalibration(const std::string& path, const VerifyReport& report) {
  nlohmann::json existing;
  if (std::filesystem::exists(path)) {
    auto j = ReadJson(path, "--calibrate");
    if (!j.ok()) return j.status();
    existing = *j;
  }
  std::ofstream out(path, std::ios::trunc);
  if (!out) return Status::IOError("--calibrate", "cannot write '" + path + "'");
  out << UpdateCalibration(existing, report)
             .dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
      << "\n";
  return out ? Status::Ok() : Status::IOError("--calibrate", "write failed: " + path);
}

int RunVerifyCommand(const VerifyCliOptions& opt) {
  if (!opt.request_path.empty() && !opt.advice_path.empty()) {
    return Fail(Status::InvalidArgument("--advice", "give either --request or --advice"));
  }
  if (opt.power_loss && !opt.calibrate_path.empty()) {
    return Fail(Status::InvalidArgument(
        "--calibrate",
        "not with --power-loss: throughput through the simulator is not this "
        "storage's"));
  }
  // The preload library delays flushes by less than 10 s (flush_delay.c); a longer "emulated"
  // latency would not be in force.
  if (opt.flush_latency_us >= 10'000'000) {
    return Fail(Status::InvalidArgument("--flush-latency-us", "must be below 10000000 (10 s)"));
  }
  RunConditions run;
  run.engine = Engine::kSQLite;
  if (!opt.engine.empty()) {
    auto e = ParseVerifyEngine(opt.engine);
    if (!e.ok()) return Fail(e.status());
    run.engine = *e;
  }
  run.clients = opt.clients;
  run.payload_bytes = opt.payload_bytes;
  auto workload = ParseVerifyWorkload(opt.workload);
  if (!workload.ok()) return Fail(workload.status());
  run.workload = *workload;
  auto working_set = ParseBytes(opt.working_set, "--working-set");
  if (!working_set.ok()) return Fail(working_set.status());
  if (*working_set < (1u << 20) || *working_set > (1ull << 40)) {
    return Fail(Status::InvalidArgument("--working-set", "must be between 1MB and 1TB"));
  }
  run.working_set_bytes = *working_set;
  run.flush_latency_emulated_us = opt.flush_latency_us;
  run = WithThisMachine(run);

  // Bad input is refused before anything is measured or started.
  if (!opt.advice_path.empty()) {
    auto j = ReadJson(opt.advice_path, "--advice");
    if (!j.ok()) return Fail(j.status());
    auto checked = PlanFromAdviceJson(*j, run);
    if (!checked.ok()) return Fail(checked.status());
  } else {
    RunConditions probe_run = run;
    auto checked = ScenarioFromRequest(opt, &probe_run);
    if (!checked.ok()) return Fail(checked.status());
  }

  // The prediction needs this file system's flush latency: measure it in a scratch dir first.
  auto probe_dir = MakeTempDir(opt.workdir, "probe", nullptr);
  if (!probe_dir.ok()) return Fail(probe_dir.status());
  auto flush = MeasureFlushLatencyUs(*probe_dir, 50);
  std::error_code ec;
  std::filesystem::remove_all(*probe_dir, ec);
  if (!flush.ok()) return Fail(flush.status());
  run.native_flush_p50_us = flush->first;
  run.native_flush_p99_us = flush->second;

  Result<VerifyPlan> plan = Status::Internal("no plan");
  if (!opt.advice_path.empty()) {
    auto j = ReadJson(opt.advice_path, "--advice");
    if (!j.ok()) return Fail(j.status());
    plan = PlanFromAdviceJson(*j, run);
  } else {
    plan = PlanFromRequest(opt, &run);
  }
  if (!plan.ok()) return Fail(plan.status());

  VerifyOptions vo;
  vo.engine = run.engine;
  vo.clients = opt.clients;
  vo.seconds = opt.seconds;
  vo.crashes = opt.crashes;
  vo.crash_after_min_s = opt.crash_after_min_s;
  vo.crash_after_max_s = opt.crash_after_max_s;
  vo.payload_bytes = opt.payload_bytes;
  vo.workload = run.workload;
  vo.working_set_bytes = run.working_set_bytes;
  vo.worst_case = opt.worst_case;
  vo.worst_case_fraction = opt.worst_case_fraction;
  vo.worst_case_min_cycles = opt.worst_case_cycles;
  vo.worst_case_timeout_s = opt.worst_case_timeout_s;
  vo.flush_latency_us = opt.flush_latency_us;
  vo.preload_library = opt.preload.empty() ? DefaultPreload() : opt.preload;
  vo.parent_dir = opt.workdir;
  vo.keep_dir = opt.keep;
  vo.seed = opt.seed;
  vo.progress = isatty(STDERR_FILENO) == 1;
  vo.power_loss = opt.power_loss;
  vo.power_loss_mechanism = opt.power_loss_mechanism;
  vo.powercut_sync_backing = opt.sync_backing;
  vo.random_cuts = opt.random_cuts;
  if (opt.advice_path.empty()) {
    // Predict again for the flush latency the engine really saw during the load.
    vo.repredict = [opt, run](double p50_us, double p99_us) {
      RunConditions during = run;
      during.native_flush_p50_us = p50_us;
      during.native_flush_p99_us = p99_us;
      return PlanFromRequest(opt, &during);
    };
  }

  InstallCleanupSignalHandlers();
  auto report = RunVerify(vo, *plan);
  if (!report.ok()) return Fail(report.status());
  if (!opt.calibrate_path.empty()) {
    Status s = WriteCalibration(opt.calibrate_path, *report);
    if (!s.ok()) return Fail(s);
  }
  if (opt.format == "text") {
    std::cout << ReportToText(*report);
  } else {
    std::cout << ReportToJson(*report).dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
              << std::endl;
  }
  // A lost acknowledged commit outside the promised window, a failed recovery or a damaged
  // database is a durability failure.
  for (const Verdict& v : report->verdicts) {
    if (!v.holds && (v.claim == "no acknowledged commit lost" ||
                     v.claim == "lost commits within the loss window" ||
                     v.claim == "engine recovers after every crash" ||
                     v.claim == "database intact after every crash")) {
      return 3;
    }
  }
  return 0;
}

}  // namespace

void SetupVerify(CLI::App& app, int* exit_code) {
  auto opt = std::make_shared<VerifyCliOptions>();
  CLI::App* sub = app.add_subcommand(
      "verify",
      "Apply the advice to a real engine, drive a write load, SIGKILL it (or cut the power) K "
      "times and report measured tps, recovery time and lost commits next to the predictions");
  sub->add_option("--engine", opt->engine, VerifyEngineKeyList(" or ") + " (default: sqlite)");
  sub->add_option("--request", opt->request_path,
                  "request JSON: advise on it for this run's conditions, then verify");
  sub->add_option("--advice", opt->advice_path, "advise output JSON to apply as it is");
  sub->add_option("--durability", opt->durability,
                  "strict, standard or relaxed (overrides the request's)")
      ->check(CLI::IsMember({"strict", "standard", "relaxed"}));
  sub->add_option("--clients", opt->clients, "client threads")->capture_default_str();
  sub->add_option("--seconds", opt->seconds, "throughput measurement length (s)")
      ->capture_default_str();
  sub->add_option("--crashes", opt->crashes, "SIGKILL/restart cycles")->capture_default_str();
  sub->add_option("--crash-after-min", opt->crash_after_min_s, "shortest load before a kill (s)")
      ->capture_default_str();
  sub->add_option("--crash-after-max", opt->crash_after_max_s, "longest load before a kill (s)")
      ->capture_default_str();
  sub->add_option("--flush-latency-us", opt->flush_latency_us,
                  "emulate slower storage: delay every fsync/fdatasync/O_DSYNC write by X us");
  sub->add_option("--payload-bytes", opt->payload_bytes, "payload bytes per row")
      ->capture_default_str();
  sub->add_option("--workload", opt->workload,
                  "insert (append-only, default), update (random rows of --working-set) or tpcb "
                  "(pgbench-like account/teller/branch + history)")
      ->capture_default_str();
  sub->add_option("--working-set", opt->working_set,
                  "update/tpcb: size of the prepared table, e.g. 256MB")
      ->capture_default_str();
  sub->add_flag("--worst-case", opt->worst_case,
                "crash when the WAL since the last checkpoint's REDO point peaks (after "
                "--worst-case-cycles checkpoints), then restart with a cold page cache");
  sub->add_option("--worst-case-fraction", opt->worst_case_fraction,
                  "crash once the distance reaches this fraction of the last cycles' peak")
      ->capture_default_str();
  sub->add_option("--worst-case-cycles", opt->worst_case_cycles,
                  "checkpoint cycles that must complete before the crash")
      ->capture_default_str();
  sub->add_option("--worst-case-timeout", opt->worst_case_timeout_s,
                  "longest load of one worst-case crash (s); then it crashes anyway")
      ->capture_default_str();
  sub->add_option("--calibrate", opt->calibrate_path,
                  "write/update this calibration JSON with the measured numbers");
  sub->add_option("--calibration", opt->calibration_path,
                  "calibration JSON for the prediction (as `advise --calibration`)");
  sub->add_option("--format", opt->format, "json (default) or text")
      ->check(CLI::IsMember({"json", "text"}))
      ->capture_default_str();
  sub->add_option("--preload", opt->preload,
                  "path of libwaltune_flushdelay.so (default: next to the waltune binary)");
  sub->add_option("--workdir", opt->workdir, "parent of the temp dirs (default: $TMPDIR or /tmp)");
  sub->add_option("--seed", opt->seed, "seed for the crash moments")->capture_default_str();
  sub->add_flag("--keep", opt->keep, "keep the temp dir (debugging)");
  sub->add_flag("--power-loss", opt->power_loss,
                "crashes cut the power: unflushed writes are lost too (docs/powercut.md)");
  sub->add_option("--power-loss-mechanism", opt->power_loss_mechanism,
                  "auto (FUSE when usable, else the SQLite VFS), fuse or sqlite-vfs")
      ->check(CLI::IsMember({"auto", "fuse", "sqlite-vfs"}))
      ->capture_default_str();
  sub->add_flag("--sync-backing", opt->sync_backing,
                "power loss on FUSE: flushes also reach the real disk (realistic commit latency)");
  sub->add_flag("--random-cuts", opt->random_cuts,
                "power loss on FUSE: each unflushed 4 KiB block survives with probability 1/2 "
                "(torn pages) instead of none");
  sub->callback([opt, exit_code]() { *exit_code = RunVerifyCommand(*opt); });
}

}  // namespace waltune::cli
