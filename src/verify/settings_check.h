// Is an applied setting in force? The engines report a setting back in their own form (InnoDB
// sizes in bytes, booleans as ON/OFF; SQLite pragmas as numbers or lower-case text): these
// compare what verify applied with what the engine reports, so that a report never states a
// setting the engine silently adjusted or ignored.
#ifndef WALTUNE_VERIFY_SETTINGS_CHECK_H_
#define WALTUNE_VERIFY_SETTINGS_CHECK_H_

#include <string>

namespace waltune::verify {

// The system variable a MariaDB command-line option sets: lower case, '-' as '_', without a
// "loose" prefix (my_getopt.c ignores an unknown option given as --loose-NAME). Empty when the
// text cannot be a variable name (anything but letters, digits and '_').
std::string MariadbVariableName(const std::string& option);

// True when `shown` (SHOW GLOBAL VARIABLES' Value) is the value `applied` on the command line
// sets: sizes with a K/M/G/T/P/E suffix (powers of 1024, my_getopt.c eval_num_suffix) against
// the bytes shown, numbers numerically ("90" is "90.000000"), ON/OFF against 1/0/ON/OFF/TRUE/
// FALSE/YES/NO, other values (enums) case-insensitively. log_bin takes a file base name: it is
// in force when the variable shows ON.
bool MariadbValueInForce(const std::string& variable, const std::string& applied,
                         const std::string& shown);

// True when `read` (what `PRAGMA name` returns on the connection) is the value `applied` with
// `PRAGMA name=applied` sets: numbers numerically; the names SQLite accepts for numeric pragmas
// (synchronous OFF/NORMAL/FULL/EXTRA = 0-3, temp_store DEFAULT/FILE/MEMORY = 0-2, auto_vacuum
// NONE/FULL/INCREMENTAL = 0-2, booleans ON/YES/TRUE = 1, OFF/NO/FALSE = 0; pragma.c
// getSafetyLevel, getTempStore, getAutoVacuum) against the number read; text (journal_mode,
// locking_mode) case-insensitively.
bool SqlitePragmaInForce(const std::string& pragma, const std::string& applied,
                         const std::string& read);

}  // namespace waltune::verify

#endif  // WALTUNE_VERIFY_SETTINGS_CHECK_H_
