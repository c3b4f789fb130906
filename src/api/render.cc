#include "waltune/render.h"

#include <fmt/format.h>

#include <cmath>
#include <sstream>

#include "waltune/engine_traits.h"
#include "waltune/units.h"

namespace waltune {
namespace {

using ojson = nlohmann::ordered_json;

// Numbers in JSON keep 4 significant digits: the model is not more precise than that.
double Round4(double v) {
  if (v == 0 || !std::isfinite(v)) return std::isfinite(v) ? v : 0;
  if (std::fabs(v) >= 1e4) return std::round(v);
  double mag = std::pow(10.0, 3 - std::floor(std::log10(std::fabs(v))));
  return std::round(v * mag) / mag;
}

// Settings are printed exactly as configured: whole numbers as integers.
ojson SettingValue(const Setting& s) {
  if (s.kind == Setting::Kind::kText) return s.text;
  if (s.number == std::floor(s.number) && std::fabs(s.number) < 9e15) {
    return static_cast<int64_t>(s.number);
  }
  return s.number;
}

void PutSettings(ojson* obj, const std::vector<Setting>& settings) {
  for (const Setting& s : settings) (*obj)[s.name] = SettingValue(s);
}

}  // namespace

ojson AdviceToJson(const Advice& a) {
  ojson j;
  ojson wal;
  wal["engine"] = EngineName(a.engine);
  wal["engine_version"] = a.version.ToString();
  PutSettings(&wal, a.wal_config);
  j["wal_config"] = wal;

  ojson ckpt;
  PutSettings(&ckpt, a.checkpoint_settings);
  ckpt["estimated_recovery_time_s"] = Round4(a.estimated_recovery_time_s);
  ckpt["rationale"] = a.checkpoint_rationale;
  j["checkpoint_strategy"] = ckpt;

  ojson gc;
  gc["enabled"] = a.group_commit_enabled;
  PutSettings(&gc, a.group_commit_settings);
  const EngineTraits& traits = TraitsOf(a.engine);
  double delay_us = 0;
  for (const Setting& s : a.group_commit_settings) {
    for (const std::string& delay : traits.delay_parameters) {
      if (s.name == delay) delay_us = s.number;
    }
  }
  if (traits.renders_commit_delay_us) gc["commit_delay_us"] = Round4(delay_us);
  gc["delay_us"] = Round4(delay_us);
  gc["expected_throughput_gain"] = a.group_commit_gain;
  gc["rationale"] = a.group_commit_rationale;
  j["group_commit"] = gc;

  j["durability_level"] = DurabilityName(a.durability);

  ojson tp;
  tp["baseline_tps"] = std::round(a.baseline_tps);
  tp["with_config_tps"] = std::round(a.with_config_tps);
  tp["improvement"] = a.improvement;
  tp["latency_impact"] = a.latency_impact;
  tp["baseline_commit_latency_ms"] = Round4(a.baseline_commit_latency_us / 1000);
  tp["with_config_commit_latency_ms"] = Round4(a.with_config_commit_latency_us / 1000);
  j["throughput_impact"] = tp;
  j["confidence"] = a.confidence;

  j["data_loss_window"] =
      ojson{{"max_ms", Round4(a.loss_window_ms)}, {"description", a.loss_window}};
  ojson assumptions = ojson::array();
  for (const Assumption& as : a.assumptions) {
    assumptions.push_back(ojson{{"field", as.field},
                                {"value", as.value},
                                {"source", AssumptionSourceName(as.source)},
                                {"reason", as.reason}});
  }
  j["assumptions"] = assumptions;
  j["warnings"] = a.warnings;
  j["out_of_scope"] = a.out_of_scope;
  ojson est = ojson::object();
  for (const Estimate& e : a.estimates) {
    est[e.name] = ojson{{"value", Round4(e.value)}, {"unit", e.unit}, {"how", e.how}};
  }
  j["estimates"] = est;
  ojson notes = ojson::object();
  for (const auto* section : {&a.wal_config, &a.checkpoint_settings, &a.group_commit_settings}) {
    for (const Setting& s : *section) notes[s.name] = s.why;
  }
  j["parameter_notes"] = notes;
  // How each setting takes effect: reload, restart, per connection or stored in the file.
  ojson apply = ojson::array();
  for (const ApplyStep& step : a.apply) {
    apply.push_back(ojson{
        {"setting", step.setting}, {"method", ApplyMethodName(step.method)}, {"how", step.how}});
  }
  j["apply"] = apply;
  j["config_target"] = a.config_target;
  j["config_snippet"] = a.config_snippet;
  return j;
}

std::string AdviceToConf(const Advice& a) { return a.config_snippet; }

std::string AdviceToText(const Advice& a) {
  std::ostringstream o;
  o << fmt::format("waltune advice: {} {}, durability {}, confidence {:.2f}\n\n",
                   EngineName(a.engine), a.version.ToString(), DurabilityName(a.durability),
                   a.confidence);
  auto section = [&](const char* title, const std::vector<Setting>& settings) {
    if (settings.empty()) return;
    o << title << "\n";
    for (const Setting& s : settings) {
      o << fmt::format("  {:<36} {:<12} {}\n", s.name, s.ConfigText(), s.why);
    }
    o << "\n";
  };
  section("WAL configuration", a.wal_config);
  section("Checkpoints", a.checkpoint_settings);
  o << fmt::format("  estimated worst-case recovery: {:.1f} s\n  {}\n\n",
                   a.estimated_recovery_time_s, a.checkpoint_rationale);
  o << fmt::format("Group commit: {}\n", a.group_commit_enabled ? "in effect" : "not used");
  for (const Setting& s : a.group_commit_settings) {
    o << fmt::format("  {:<36} {:<12} {}\n", s.name, s.ConfigText(), s.why);
  }
  o << fmt::format("  gain: {}\n  {}\n\n", a.group_commit_gain, a.group_commit_rationale);
  o << fmt::format(
      "Throughput: {:.0f} tps with this configuration vs {:.0f} tps with the "
      "defaults\n  {}\n  latency: {}\n\n",
      a.with_config_tps, a.baseline_tps, a.improvement, a.latency_impact);
  o << fmt::format("Data-loss window: {}\n\n", a.loss_window);
  if (!a.apply.empty()) {
    std::vector<std::string> restart;
    for (const ApplyStep& step : a.apply) {
      if (step.method == ApplyMethod::kRestart) restart.push_back(step.setting);
    }
    o << "How to apply\n";
    if (restart.empty()) {
      o << "  Needs a restart: none\n";
    } else {
      std::string names;
      for (size_t i = 0; i < restart.size(); ++i) names += (i ? ", " : "") + restart[i];
      o << "  Needs a restart: " << names << "\n";
    }
    for (const ApplyStep& step : a.apply) {
      o << fmt::format("  {:<36} {:<17} {}\n", step.setting, ApplyMethodName(step.method),
                       step.how);
    }
    o << "\n";
  }
  if (!a.warnings.empty()) {
    o << "Warnings\n";
    for (const auto& w : a.warnings) o << "  ! " << w << "\n";
    o << "\n";
  }
  if (!a.assumptions.empty()) {
    o << "Assumptions\n";
    for (const auto& as : a.assumptions) {
      o << fmt::format("  {} = {} ({}: {})\n", as.field, as.value, AssumptionSourceName(as.source),
                       as.reason);
    }
    o << "\n";
  }
  if (!a.out_of_scope.empty()) {
    o << "Out of scope\n";
    for (const auto& n : a.out_of_scope) o << "  - " << n << "\n";
    o << "\n";
  }
  o << "Model estimates\n";
  for (const Estimate& e : a.estimates) {
    o << fmt::format("  {:<34} {:>14} {:<8} {}\n", e.name, FormatEstimateValue(e.value), e.unit,
                     e.how);
  }
  o << "\nPaste into " << a.config_target << ":\n\n" << a.config_snippet;
  return o.str();
}

namespace {
// Error messages quote the input (the JSON parser's "last read: '...'" included), which may not
// be UTF-8; dump() throws type_error 316 on such a string. Invalid bytes become U+FFFD, by
// nlohmann's own UTF-8 check (error_handler_t::replace). Found by fuzz/fuzz_advise.
std::string ValidUtf8(const std::string& text) {
  const std::string quoted =
      nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return nlohmann::json::parse(quoted).get<std::string>();
}
}  // namespace

nlohmann::ordered_json ErrorToJson(const Status& status) {
  return ojson{{"error", ojson{{"field", ValidUtf8(status.field())},
                               {"message", ValidUtf8(status.message())}}}};
}

}  // namespace waltune
