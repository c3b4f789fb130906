// libFuzzer target: the storage-profile reader (`--storage-profile FILE`, the JSON `waltune
// probe` prints): StorageSpecFromProfile on any JSON document. See docs/fuzzing.md.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "waltune/request.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The CLI rejects text that is not JSON before the reader sees it (exit 2, field
  // "--storage-profile"); the reader's job starts at a parsed document.
  nlohmann::json j = nlohmann::json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return 0;
  auto spec = waltune::StorageSpecFromProfile(j, "--storage-profile");
  if (!spec.ok() && spec.status().field().empty()) std::abort();
  return 0;
}
