// One function per subcommand: binds its flags on `app` and, when the subcommand runs, stores
// the process exit code in *exit_code (0 ok, 1 runtime failure, 2 bad input).
#ifndef WALTUNE_CLI_COMMANDS_H_
#define WALTUNE_CLI_COMMANDS_H_

#include <CLI/CLI.hpp>

namespace waltune::cli {

void SetupAdvise(CLI::App& app, int* exit_code);
void SetupProbe(CLI::App& app, int* exit_code);
void SetupVerify(CLI::App& app, int* exit_code);

}  // namespace waltune::cli

#endif  // WALTUNE_CLI_COMMANDS_H_
