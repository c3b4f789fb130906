// Rendering an Advice: the JSON contract, a readable report, or only the configuration.
#ifndef WALTUNE_RENDER_H_
#define WALTUNE_RENDER_H_

#include <nlohmann/json.hpp>
#include <string>

#include "waltune/advice.h"
#include "waltune/status.h"

namespace waltune {

nlohmann::ordered_json AdviceToJson(const Advice& advice);
std::string AdviceToText(const Advice& advice);
// Only the ready-to-paste configuration (config_snippet).
std::string AdviceToConf(const Advice& advice);
// {"error": {"field": ..., "message": ...}}
nlohmann::ordered_json ErrorToJson(const Status& status);

}  // namespace waltune

#endif  // WALTUNE_RENDER_H_
