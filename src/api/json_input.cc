#include "waltune/json_input.h"

#include <fmt/format.h>

#include <fstream>
#include <iterator>

namespace waltune {

Result<nlohmann::json> ParseJsonInput(std::string_view text, const std::string& field) {
  bool too_deep = false;
  // The parser callback sees the depth of every value as it is parsed; past the limit the
  // parse stops at once (the exception is caught below), before a deep tree exists.
  auto limit = [&too_deep](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
    if (depth >= kMaxJsonDepth) {  // depth counts from 0 at the outermost value
      too_deep = true;
      throw std::length_error("too deep");
    }
    return true;
  };
  try {
    return nlohmann::json::parse(text.begin(), text.end(), limit);
  } catch (const nlohmann::json::exception& e) {  // parse_error; out_of_range 406 (1e999)
    return Status::InvalidArgument(field, std::string("invalid JSON: ") + e.what());
  } catch (const std::length_error&) {
    if (!too_deep) throw;
    return Status::InvalidArgument(
        field, fmt::format("JSON nested deeper than {} levels; no waltune input needs that",
                           kMaxJsonDepth));
  }
}

Result<nlohmann::json> ReadJsonInputFile(const std::string& path, const std::string& field) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::InvalidArgument(field, "cannot read '" + path + "'");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return ParseJsonInput(text, field);
}

}  // namespace waltune
