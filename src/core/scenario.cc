#include "waltune/scenario.h"

#include "waltune/advice.h"
#include "waltune/units.h"

namespace waltune {

const char* DurabilityName(Durability level) {
  switch (level) {
    case Durability::kStrict:
      return "strict";
    case Durability::kStandard:
      return "standard";
    case Durability::kRelaxed:
      return "relaxed";
  }
  return "unknown";
}

const char* ReplicationName(Replication repl) {
  switch (repl) {
    case Replication::kNone:
      return "none";
    case Replication::kPhysical:
      return "physical";
    case Replication::kLogical:
      return "logical";
  }
  return "unknown";
}

std::optional<Durability> DurabilityFromName(const std::string& name) {
  for (Durability d : {Durability::kStrict, Durability::kStandard, Durability::kRelaxed}) {
    if (name == DurabilityName(d)) return d;
  }
  return std::nullopt;
}

const char* AssumptionSourceName(AssumptionSource source) {
  switch (source) {
    case AssumptionSource::kDefault:
      return "default";
    case AssumptionSource::kInferred:
      return "inferred";
    case AssumptionSource::kUpstream:
      return "upstream";
    case AssumptionSource::kCalibration:
      return "calibration";
    case AssumptionSource::kVerify:
      return "verify";
  }
  return "unknown";
}

std::string EngineVersion::ToString() const {
  std::string s = std::to_string(major);
  // Appended piece by piece: `"." + std::to_string(...)` trips GCC 12's -Wrestrict false
  // positive in Release builds (GCC bug 105329).
  if (minor || patch) s.append(".").append(std::to_string(minor));
  if (patch) s.append(".").append(std::to_string(patch));
  return s;
}

std::string Setting::ConfigText() const {
  return kind == Kind::kText ? text : FormatConfigNumber(number);
}

const Setting* Advice::Find(const std::string& name) const {
  for (const auto* section : {&wal_config, &checkpoint_settings, &group_commit_settings}) {
    for (const Setting& s : *section) {
      if (s.name == name) return &s;
    }
  }
  return nullptr;
}

std::vector<std::pair<std::string, std::string>> Advice::ConfigParameters() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto* section : {&wal_config, &checkpoint_settings, &group_commit_settings}) {
    for (const Setting& s : *section) {
      if (!s.informational) out.emplace_back(s.name, s.ConfigText());
    }
  }
  return out;
}

}  // namespace waltune
