// From the `waltune verify` inputs (a request or an advice file, --engine, --durability,
// --calibration) to the plan of the run: the request is advised on for the run's conditions.
#include <cstdio>

#include "waltune/engine.h"
#include "waltune/engine_traits.h"
#include "waltune/json_input.h"
#include "waltune/request.h"
#include "waltune/units.h"
#include "waltune/verify.h"

namespace waltune {

namespace {

Result<Engine> EngineFromScenario(Engine e) {
  if (TraitsOf(e).verify_supported) return e;
  return Status::InvalidArgument("constraints.db_engine", NoVerifyMessage(e, "ask for "));
}

// The request to advise on: the file, or one built from --engine/--durability.
Result<nlohmann::json> BuildRequest(const PlanSource& source) {
  nlohmann::json req;
  if (!source.request_path.empty()) {
    auto j = ReadJsonInputFile(source.request_path, "--request");
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
  if (!source.engine.empty()) {
    auto e = ParseVerifyEngine(source.engine);
    if (!e.ok()) return e.status();
    if (!req["constraints"].contains("db_engine")) {
      req["constraints"]["db_engine"] = EngineKey(*e);
    }
  } else if (source.request_path.empty()) {
    req["constraints"]["db_engine"] = EngineKey(Engine::kSQLite);  // no request, no --engine
  }
  if (!source.durability.empty()) {
    req["constraints"]["durability_requirement"] = source.durability;
  }
  return req;
}

// "waltune advise for this run: ..." naming the conditions the prediction was made for.
std::string PredictionSource(const PlanSource& source, const RunConditions& run,
                             const Scenario& s) {
  char src[400];
  std::snprintf(src, sizeof(src),
                "waltune advise for this run: %d clients, %d cores, %s, workload %s (%d rows, "
                "%d statements, %llu bytes per transaction)",
                run.clients, run.cpu_cores, s.storage.name.c_str(),
                VerifyWorkloadName(run.workload), s.workload.rows_per_txn,
                s.workload.statements_per_txn,
                static_cast<unsigned long long>(s.workload.txn_write_bytes));
  std::string text = src;
  if (s.calibration.present) text += ", calibrated by " + source.calibration_path;
  return text;
}

// The advice's warnings, its improvement and its flush/ceiling estimates, as plan notes.
void AddAdviceNotes(const Advice& advice, VerifyPlan* p) {
  for (const std::string& w : advice.warnings) p->notes.push_back("advice warning: " + w);
  p->notes.push_back("advice: " + advice.improvement);
  for (const Estimate& e : advice.estimates) {
    if (e.name.find("flush") != std::string::npos || e.name.find("ceiling") != std::string::npos) {
      char buf[96];
      std::snprintf(buf, sizeof(buf), "%s = %.6g %s", e.name.c_str(), e.value, e.unit.c_str());
      p->notes.push_back(std::string("advice estimate: ") + buf);
    }
  }
}

}  // namespace

Result<Scenario> ScenarioForRun(const PlanSource& source, RunConditions* run) {
  auto req = BuildRequest(source);
  if (!req.ok()) return req.status();
  ParseOptions parse;
  if (!source.calibration_path.empty()) {
    auto cal = ReadJsonInputFile(source.calibration_path, "--calibration");
    if (!cal.ok()) return cal.status();
    parse.calibration = *cal;
  }
  auto scenario = ParseRequest(*req, parse);
  if (!scenario.ok()) return scenario.status();
  auto engine = EngineFromScenario(scenario->engine);
  if (!engine.ok()) return engine.status();
  if (!source.engine.empty() && *engine != run->engine) {
    return Status::InvalidArgument("--engine", "the request is for " +
                                                   std::string(EngineName(scenario->engine)) +
                                                   " but --engine says " + source.engine);
  }
  run->engine = *engine;
  return scenario;
}

void SetExpectedRecoveryAtDistance(const Scenario& scenario, VerifyPlan* plan) {
  const EngineAdvisor& advisor = AdvisorFor(scenario.engine);
  if (!advisor.ExpectedRecoveryAtAgeS(scenario, 1.0 * kMiB)) return;
  plan->expected_recovery_at_distance_s = [&advisor, scenario](double distance_bytes) {
    return advisor.ExpectedRecoveryAtAgeS(scenario, distance_bytes);
  };
}

Result<VerifyPlan> PlanFromRequest(const PlanSource& source, RunConditions* run) {
  auto scenario = ScenarioForRun(source, run);
  if (!scenario.ok()) return scenario.status();
  Scenario s = *scenario;
  AdaptScenarioToRun(*run, &s);
  Advice advice = Solve(s);
  auto plan = PlanFromAdvice(advice, *run);
  if (!plan.ok()) return plan.status();
  VerifyPlan p = *plan;
  p.recovery_target_s = s.recovery_target_s;
  p.predicted_workload = s.workload;
  p.prediction_source = PredictionSource(source, *run, s);
  if (run->buffered_read_bytes_per_s > 0)
    p.buffered_read_bytes_per_s = run->buffered_read_bytes_per_s;
  AddAdviceNotes(advice, &p);
  SetExpectedRecoveryAtDistance(s, &p);
  return p;
}

Status CheckPlanSource(const PlanSource& source, const RunConditions& run) {
  if (!source.advice_path.empty()) {
    auto j = ReadJsonInputFile(source.advice_path, "--advice");
    if (!j.ok()) return j.status();
    return PlanFromAdviceJson(*j, run).status();
  }
  RunConditions probe_run = run;
  return ScenarioForRun(source, &probe_run).status();
}

Result<VerifyPlan> PlanForRun(const PlanSource& source, RunConditions* run) {
  if (source.advice_path.empty()) return PlanFromRequest(source, run);
  auto j = ReadJsonInputFile(source.advice_path, "--advice");
  if (!j.ok()) return j.status();
  return PlanFromAdviceJson(*j, *run);
}

}  // namespace waltune
