// The phrasing corpus in tests/data/query_phrasings.json, loaded once.
#ifndef WALTUNE_TESTS_API_CORPUS_H_
#define WALTUNE_TESTS_API_CORPUS_H_

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

namespace waltune::testing {

inline const nlohmann::json& Phrasings() {
  static const nlohmann::json corpus = [] {
    std::ifstream in(std::string(WALTUNE_TEST_DATA_DIR) + "/query_phrasings.json");
    std::stringstream text;
    text << in.rdbuf();
    nlohmann::json j = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
    if (!j.is_object() || !j.contains("phrasings")) return nlohmann::json::array();
    return j["phrasings"];
  }();
  return corpus;
}

}  // namespace waltune::testing

#endif  // WALTUNE_TESTS_API_CORPUS_H_
