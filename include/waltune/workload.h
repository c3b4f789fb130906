// The write loads `verify` runs, named once for every place that reads or writes the names:
// verify's --workload option and reports, and the `replay_workload` field of a calibration file
// that `advise --calibration` reads. Pure: standard library only.
#ifndef WALTUNE_WORKLOAD_H_
#define WALTUNE_WORKLOAD_H_

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace waltune {

// The write load's transaction shape (docs/verify.md "Workloads").
//  insert: one autocommit INSERT of (client_id, seq, payload): append-only.
//  update: BEGIN; UPDATE one random row of a prepared table of --working-set; INSERT the
//          (client_id, seq) history row; COMMIT.
//  tpcb:   pgbench-like TPC-B: BEGIN; UPDATE a random account; SELECT its balance; UPDATE a
//          teller; UPDATE a branch; INSERT the (client_id, seq) history row; COMMIT.
// Every transaction carries (client_id, seq) in waltune_load, so commit accounting is exact.
enum class VerifyWorkload { kInsert, kUpdate, kTpcb };
inline constexpr std::array<VerifyWorkload, 3> kVerifyWorkloads = {
    VerifyWorkload::kInsert, VerifyWorkload::kUpdate, VerifyWorkload::kTpcb};

const char* VerifyWorkloadName(VerifyWorkload workload);  // "insert", "update", "tpcb"
// The workload whose VerifyWorkloadName is exactly `name` (case-sensitive, as written in
// reports and calibration files); nullopt otherwise.
std::optional<VerifyWorkload> VerifyWorkloadNamed(std::string_view name);
// "insert, update or tpcb": the names, for error messages.
std::string VerifyWorkloadNameList();

}  // namespace waltune

#endif  // WALTUNE_WORKLOAD_H_
