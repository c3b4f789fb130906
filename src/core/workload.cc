#include "waltune/workload.h"

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
  std::string list;
  for (size_t i = 0; i < kVerifyWorkloads.size(); ++i) {
    if (i > 0) list += i + 1 == kVerifyWorkloads.size() ? " or " : ", ";
    list += VerifyWorkloadName(kVerifyWorkloads[i]);
  }
  return list;
}

}  // namespace waltune
