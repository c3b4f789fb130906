// waltune: WAL and checkpoint advice for PostgreSQL, MySQL/InnoDB, MariaDB and SQLite.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <exception>
#include <iostream>
#include <string>

#include "commands.h"
#include "waltune/render.h"

namespace waltune::cli {

void PrintError(const Status& status) {
  std::cout << ErrorToJson(status).dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
            << std::endl;
}

namespace {

// Deepest nesting of [ and { outside strings.
int JsonDepth(const std::string& text) {
  int depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return deepest;
}

}  // namespace

Result<nlohmann::json> ParseJsonInput(const std::string& text, const std::string& field) {
  if (JsonDepth(text) > kMaxJsonDepth) {
    return Status::InvalidArgument(
        field, "JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  }
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {  // parse_error; out_of_range for 1e400
    return Status::InvalidArgument(field, std::string("invalid JSON: ") + e.what());
  }
}

}  // namespace waltune::cli

int main(int argc, char** argv) {
  CLI::App app{"waltune: WAL and checkpoint advice, measured storage, verified on real engines"};
  app.require_subcommand(1);
  int exit_code = 0;
  waltune::cli::SetupAdvise(app, &exit_code);
#ifdef WALTUNE_HAVE_PROBE
  waltune::cli::SetupProbe(app, &exit_code);
#endif
#ifdef WALTUNE_HAVE_VERIFY
  waltune::cli::SetupVerify(app, &exit_code);
#endif
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help
    // Usage errors are bad input: the JSON error for programs, CLI11's message for people.
    waltune::cli::PrintError(waltune::Status::InvalidArgument("command line", e.what()));
    app.exit(e);
    return 2;
  } catch (const std::exception& e) {
    // Last line of defence, not the mechanism: every input is checked into a Status before it
    // is used, so reaching this is a bug in waltune. Still a JSON error, never an abort.
    waltune::cli::PrintError(waltune::Status::Internal(
        std::string("unexpected exception (a waltune bug): ") + e.what()));
    return 1;
  } catch (...) {
    waltune::cli::PrintError(waltune::Status::Internal("unexpected exception (a waltune bug)"));
    return 1;
  }
  return exit_code;
}
