// Checked number parsing for text that a user or an engine sent (server logs, SHOW output,
// /proc files, PRAGMA values): the whole text must be the number, it must fit the type and a
// double must be finite. Nothing here throws; std::stoi/stoull/stod (which throw) and
// atoi/atof (which cannot tell "0" from garbage) are not used in src/.
#ifndef WALTUNE_PARSE_NUMBER_H_
#define WALTUNE_PARSE_NUMBER_H_

#include <charconv>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "waltune/status.h"

namespace waltune {

namespace parse_number_internal {

inline std::string_view Trim(std::string_view s) {
  while (!s.empty() &&
         (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

inline std::string Quoted(std::string_view s) {
  std::string out = "'";
  out.append(s.substr(0, 64));
  if (s.size() > 64) out += "...";
  return out + "'";
}

}  // namespace parse_number_internal

// An integer of type T written in `base` (surrounding blanks allowed, nothing else): nullopt
// when the text is empty, has other characters, or the value does not fit T.
template <typename T>
std::optional<T> ParseInteger(std::string_view text, int base = 10) {
  text = parse_number_internal::Trim(text);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  if (text.empty()) return std::nullopt;
  T value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// A finite decimal number (surrounding blanks allowed): nullopt for "", "nan", "inf", "1e400",
// trailing characters.
inline std::optional<double> ParseFiniteDouble(std::string_view text) {
  text = parse_number_internal::Trim(text);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  if (text.empty()) return std::nullopt;
  double value = 0;
  auto [end, ec] =
      std::from_chars(text.data(), text.data() + text.size(), value, std::chars_format::general);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

// As ParseInteger, with a Status naming `field` (what the text was read from) on failure.
template <typename T>
Result<T> ParseIntegerField(std::string_view text, const std::string& field, int base = 10) {
  std::optional<T> v = ParseInteger<T>(text, base);
  if (!v) {
    return Status::InvalidArgument(
        field, "not an integer in range: " + parse_number_internal::Quoted(text));
  }
  return *v;
}

inline Result<double> ParseFiniteDoubleField(std::string_view text, const std::string& field) {
  std::optional<double> v = ParseFiniteDouble(text);
  if (!v) {
    return Status::InvalidArgument(field,
                                   "not a finite number: " + parse_number_internal::Quoted(text));
  }
  return *v;
}

}  // namespace waltune

#endif  // WALTUNE_PARSE_NUMBER_H_
