// libFuzzer target: advise end to end, as `waltune advise` runs it: parse the request, solve,
// and render the advice in every format (json, text, conf). See docs/fuzzing.md.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "waltune/engine.h"
#include "waltune/render.h"
#include "waltune/request.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto scenario = waltune::ParseRequestText(text);
  if (!scenario.ok()) {
    if (scenario.status().field().empty()) std::abort();
    // The error object is part of the output too; dump it as the CLI does.
    (void)waltune::ErrorToJson(scenario.status()).dump(2);
    return 0;
  }
  waltune::Advice advice = waltune::Solve(*scenario);
  // dump() throws on invalid UTF-8 in a string: the CLI would die with an uncaught exception.
  const std::string json = waltune::AdviceToJson(advice).dump(2);
  const std::string text_out = waltune::AdviceToText(advice);
  const std::string conf = waltune::AdviceToConf(advice);
  if (json.empty() || text_out.empty() || conf.empty()) std::abort();
  return 0;
}
