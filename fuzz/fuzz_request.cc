// libFuzzer target: the request parser (ParseRequestText), fed arbitrary bytes.
// Whatever the input, the parser must return a Scenario or an InvalidArgument naming a field;
// an exception, a crash or a sanitizer report is a finding. See docs/fuzzing.md.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "waltune/request.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto scenario = waltune::ParseRequestText(text);
  // A rejection must say which field (or "request" for the document itself) is at fault.
  if (!scenario.ok() && scenario.status().field().empty()) std::abort();
  return 0;
}
