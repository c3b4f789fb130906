// One function per subcommand: binds its flags on `app` and, when the subcommand runs, stores
// the process exit code in *exit_code (0 ok, 1 runtime failure, 2 bad input).
#ifndef WALTUNE_CLI_COMMANDS_H_
#define WALTUNE_CLI_COMMANDS_H_

#include <CLI/CLI.hpp>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "waltune/json_input.h"
#include "waltune/status.h"

namespace waltune::cli {

// Prints {"error": {"field", "message"}} on stdout. Text that came from the input (a path, a
// parser message quoting bytes) may not be UTF-8: invalid bytes are replaced, never thrown on.
void PrintError(const Status& status);

// Prints a document (nlohmann::json or ordered_json) on stdout, indented by 2, then a newline;
// invalid UTF-8 in it is replaced, never thrown on.
template <typename Json>
void PrintJson(const Json& document) {
  std::cout << document.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

// Prints `value` as --format says: to_text(value) for "text", else PrintJson(to_json(value)).
template <typename Value, typename ToText, typename ToJson>
void PrintAs(const std::string& format, const Value& value, ToText to_text, ToJson to_json) {
  if (format == "text") {
    std::cout << to_text(value);
  } else {
    PrintJson(to_json(value));
  }
}

// User JSON (request, --advice, --storage-profile, --calibration) is parsed by
// waltune::ParseJsonInput (waltune/json_input.h): one reader, every failure a Status.

void SetupAdvise(CLI::App& app, int* exit_code);
void SetupProbe(CLI::App& app, int* exit_code);
void SetupVerify(CLI::App& app, int* exit_code);

}  // namespace waltune::cli

#endif  // WALTUNE_CLI_COMMANDS_H_
