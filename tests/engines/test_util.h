// Helpers that keep advise tests short: build a request, solve it, look up settings.
#ifndef WALTUNE_TESTS_ENGINES_TEST_UTIL_H_
#define WALTUNE_TESTS_ENGINES_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "waltune/engine.h"
#include "waltune/render.h"
#include "waltune/request.h"

namespace waltune::testing {

inline nlohmann::json Request(nlohmann::json constraints, std::string query = "") {
  nlohmann::json r = {{"constraints", std::move(constraints)}};
  if (!query.empty()) r["query"] = query;
  return r;
}

// Parses and solves; fails the test when the request is rejected.
inline Advice AdviseOk(const nlohmann::json& request) {
  auto s = ParseRequest(request);
  EXPECT_TRUE(s.ok()) << request.dump() << " -> " << s.status().ToString();
  if (!s.ok()) return Advice{};
  return Solve(*s);
}

inline std::string Value(const Advice& a, const std::string& name) {
  const Setting* s = a.Find(name);
  return s ? s->ConfigText() : "<absent>";
}

inline double Estimate(const Advice& a, const std::string& name) {
  for (const auto& e : a.estimates) {
    if (e.name == name) return e.value;
  }
  ADD_FAILURE() << "no estimate " << name;
  return -1;
}

}  // namespace waltune::testing

#endif  // WALTUNE_TESTS_ENGINES_TEST_UTIL_H_
