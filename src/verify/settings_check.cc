#include "settings_check.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>

#include "waltune/parse_number.h"

namespace waltune::verify {

namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// "16M" -> 16777216: an unsigned integer with an optional K/M/G/T/P/E suffix (powers of 1024).
std::optional<uint64_t> SizeWithSuffix(const std::string& text) {
  if (text.empty()) return std::nullopt;
  static const std::string kSuffixes = "kmgtpe";
  const size_t suffix =
      kSuffixes.find(static_cast<char>(std::tolower(static_cast<unsigned char>(text.back()))));
  const std::string digits = suffix == std::string::npos ? text : text.substr(0, text.size() - 1);
  std::optional<uint64_t> v = ParseInteger<uint64_t>(digits);
  if (!v) return std::nullopt;
  const int shift = suffix == std::string::npos ? 0 : 10 * (static_cast<int>(suffix) + 1);
  if (shift > 0 && *v > (UINT64_MAX >> shift)) return std::nullopt;
  return *v << shift;
}

// 1 or 0 for the boolean words both engines accept; nullopt for anything else.
std::optional<int> BooleanWord(const std::string& lower) {
  if (lower == "on" || lower == "true" || lower == "yes" || lower == "1") return 1;
  if (lower == "off" || lower == "false" || lower == "no" || lower == "0") return 0;
  return std::nullopt;
}

bool SameNumber(const std::string& a, const std::string& b) {
  std::optional<double> x = ParseFiniteDouble(a), y = ParseFiniteDouble(b);
  return x && y && std::fabs(*x - *y) <= 1e-9 * std::max(1.0, std::fabs(*x));
}

// The number SQLite stores for a keyword of a numeric pragma (pragma.c).
std::optional<int64_t> SqlitePragmaKeyword(const std::string& pragma, const std::string& lower) {
  static const std::map<std::string, std::map<std::string, int64_t>> kWords = {
      {"synchronous", {{"off", 0}, {"normal", 1}, {"full", 2}, {"extra", 3}}},
      {"temp_store", {{"default", 0}, {"file", 1}, {"memory", 2}}},
      {"auto_vacuum", {{"none", 0}, {"full", 1}, {"incremental", 2}}},
  };
  if (auto p = kWords.find(pragma); p != kWords.end()) {
    if (auto w = p->second.find(lower); w != p->second.end()) return w->second;
  }
  if (std::optional<int> b = BooleanWord(lower)) return *b;
  return std::nullopt;
}

}  // namespace

std::string MariadbVariableName(const std::string& option) {
  std::string name = Lower(option);
  std::replace(name.begin(), name.end(), '-', '_');
  if (name.rfind("loose_", 0) == 0) name = name.substr(6);
  if (name.empty()) return "";
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return "";
  }
  return name;
}

bool MariadbValueInForce(const std::string& variable, const std::string& applied,
                         const std::string& shown) {
  const std::string want = Lower(applied), have = Lower(shown);
  if (variable == "log_bin") return have == "on";
  if (want == have) return true;
  std::optional<uint64_t> bytes = SizeWithSuffix(applied);
  std::optional<uint64_t> shown_int = ParseInteger<uint64_t>(shown);
  if (bytes && shown_int) return *bytes == *shown_int;
  if (SameNumber(applied, shown)) return true;
  std::optional<int> b = BooleanWord(want);
  if (b && (have == "on" || have == "off")) return *b == (have == "on" ? 1 : 0);
  return false;
}

bool SqlitePragmaInForce(const std::string& pragma, const std::string& applied,
                         const std::string& read) {
  const std::string want = Lower(applied), have = Lower(read);
  if (want == have) return true;
  std::optional<int64_t> read_int = ParseInteger<int64_t>(read);
  if (!read_int) return false;
  if (std::optional<int64_t> v = ParseInteger<int64_t>(applied)) return *v == *read_int;
  std::optional<int64_t> word = SqlitePragmaKeyword(Lower(pragma), want);
  return word && *word == *read_int;
}

}  // namespace waltune::verify
