#include "waltune/workload.h"

#include <vector>

#include "waltune/units.h"

namespace waltune {

const char* VerifyWorkloadName(VerifyWorkload workload) {
  switch (workload) {
    case VerifyWorkload::kInsert:
      return "insert";
    case VerifyWorkload::kUpdate:
      return "update";
    case VerifyWorkload::kTpcb:
      return "tpcb";
  }
  return "unknown";
}

std::optional<VerifyWorkload> VerifyWorkloadNamed(std::string_view name) {
  for (VerifyWorkload w : kVerifyWorkloads) {
    if (name == VerifyWorkloadName(w)) return w;
  }
  return std::nullopt;
}

std::string VerifyWorkloadNameList() {
  std::vector<std::string> names;
  for (VerifyWorkload w : kVerifyWorkloads) names.emplace_back(VerifyWorkloadName(w));
  return JoinNames(names, " or ");
}

}  // namespace waltune
