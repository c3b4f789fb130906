// Reading a JSON document a user gave (request, --storage-profile, --calibration, --advice):
// every way the text can be unusable is an InvalidArgument naming `field`, never an exception.
#ifndef WALTUNE_JSON_INPUT_H_
#define WALTUNE_JSON_INPUT_H_

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "waltune/status.h"

namespace waltune {

// No waltune input nests deeper than a few levels; deeper documents are refused before they
// reach code that copies or prints JSON recursively (nlohmann's copy constructor and dump()
// recurse once per level: a 200000-deep array overflowed the stack, found by fuzzing).
constexpr int kMaxJsonDepth = 64;

// Parses `text`: not JSON (incl. invalid UTF-8), a number out of double's range (1e999) or
// nesting deeper than kMaxJsonDepth is InvalidArgument(field, ...).
Result<nlohmann::json> ParseJsonInput(std::string_view text, const std::string& field);

// The whole file at `path`; one that cannot be opened or read (missing, a directory, an I/O
// error) is InvalidArgument(field, "cannot read '<path>': <reason>"), never an exception.
Result<std::string> ReadInputFileText(const std::string& path, const std::string& field);

// Reads the file at `path` (ReadInputFileText) and parses it as ParseJsonInput does.
Result<nlohmann::json> ReadJsonInputFile(const std::string& path, const std::string& field);

}  // namespace waltune

#endif  // WALTUNE_JSON_INPUT_H_
