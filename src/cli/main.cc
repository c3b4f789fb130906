// waltune: WAL and checkpoint advice for PostgreSQL, MySQL/InnoDB, MariaDB and SQLite.
#include <CLI/CLI.hpp>

#include "commands.h"

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
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;  // usage errors are bad input
  }
  return exit_code;
}
