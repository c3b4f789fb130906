// libFuzzer target: the parsers of what engines and helpers write back to verify: PostgreSQL's
// server log recovery lines ("redo starts at 0/…", "redo done at …"), MariaDB's error log
// crash-recovery lines (checkpoint LSN, end LSN), and the power-cut file system's control reply.
// Engine output is input like any other: it must never terminate the process. See
// docs/fuzzing.md.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "targets.h"
#include "waltune/powercut.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  waltune::verify::RecoveryInfo pg;
  waltune::verify::ParsePostgresRedo(text, &pg);
  if (pg.redo_s && !(*pg.redo_s >= 0)) std::abort();  // a time is never negative or NaN
  waltune::verify::RecoveryInfo maria;
  waltune::verify::ParseMariadbRedo(text, &maria);
  auto cut = waltune::powercut::ParseCutReply(text);
  (void)cut;
  return 0;
}
