// waltune: WAL and checkpoint advice for PostgreSQL, MySQL/InnoDB, MariaDB and SQLite.
#include <iostream>

#include <CLI/CLI.hpp>

#include "commands.h"
#include "waltune/render.h"

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
    std::cout << waltune::ErrorToJson(waltune::Status::InvalidArgument("command line", e.what()))
                     .dump(2)
              << std::endl;
    app.exit(e);
    return 2;
  }
  return exit_code;
}
