// libFuzzer target: the storage-profile reader (`--storage-profile FILE`, the JSON `waltune
// probe` prints): StorageSpecFromProfile on any JSON document. See docs/fuzzing.md.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string_view>

#include "waltune/json_input.h"
#include "waltune/request.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The CLI rejects text that is not JSON before the reader sees it (exit 2, field
  // "--storage-profile"); the reader's job starts at a parsed document.
  // As the CLI reads the file: text that is not usable JSON is rejected naming the option.
  auto parsed = waltune::ParseJsonInput(std::string_view(reinterpret_cast<const char*>(data), size),
                                        "--file");
  if (!parsed.ok()) return 0;
  const nlohmann::json& j = *parsed;
  auto spec = waltune::StorageSpecFromProfile(j, "--storage-profile");
  if (!spec.ok() && spec.status().field().empty()) std::abort();
  return 0;
}
