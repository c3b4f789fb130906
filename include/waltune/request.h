// The request contract (docs/contract.md): JSON in, normalised Scenario out.
#ifndef WALTUNE_REQUEST_H_
#define WALTUNE_REQUEST_H_

#include <nlohmann/json.hpp>
#include <string>

#include "waltune/scenario.h"
#include "waltune/status.h"

namespace waltune {

struct ParseOptions {
  // A storage profile printed by `waltune probe` (--storage-profile FILE); overrides both
  // constraints.storage_type and constraints.storage_profile. Null when not given.
  nlohmann::json storage_profile;
  // Calibration written by `waltune verify --calibrate` (--calibration FILE). Null when absent.
  nlohmann::json calibration;
};

// Parses the request text (JSON). Every problem is InvalidArgument naming the field.
Result<Scenario> ParseRequestText(const std::string& text, const ParseOptions& options = {});
Result<Scenario> ParseRequest(const nlohmann::json& request, const ParseOptions& options = {});

// Reads a storage profile object (the JSON `waltune probe` prints) into a StorageSpec.
// `field` names where it came from in errors ("constraints.storage_profile").
Result<StorageSpec> StorageSpecFromProfile(const nlohmann::json& profile, const std::string& field);

}  // namespace waltune

#endif  // WALTUNE_REQUEST_H_
