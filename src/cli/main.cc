// waltune: WAL and checkpoint advice for PostgreSQL, MySQL/InnoDB, MariaDB and SQLite.
#include <CLI/CLI.hpp>
#include <exception>
#include <functional>
#include <iostream>
#include <string>

#include "commands.h"
#include "waltune/helpers.h"
#include "waltune/render.h"

namespace waltune::cli {

void PrintError(const Status& status) { PrintJson(ErrorToJson(status)); }

}  // namespace waltune::cli

namespace {

// `waltune --version`: the version from CMake's project(), then where the helpers were found
// (build tree or install layout, waltune/helpers.h), so an install can be checked at a glance.
std::string VersionText() {
  std::string text = std::string("waltune ") + WALTUNE_VERSION;
  for (const char* helper : {"waltune-powercut", "libwaltune_flushdelay.so"}) {
    const std::string path = waltune::FindHelper(helper);
    text += std::string("\n") + helper + ": " + (path.empty() ? "not found" : path);
  }
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"waltune: WAL and checkpoint advice, measured storage, verified on real engines"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::function<std::string()>(VersionText),
                       "print the version and where the helpers are");
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
