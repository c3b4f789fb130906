#include "waltune/units.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace waltune {
namespace {

// 'text' in single quotes, built by appending. Not "'" + std::string(text): GCC 12 at -O2/-O3
// inlines operator+(const char*, std::string&&) into a memcpy it cannot bound and reports a
// -Wrestrict false positive (GCC bug 105651), which stopped -Werror builds.
std::string Quoted(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out.push_back('\'');
  out.append(text);
  out.push_back('\'');
  return out;
}

// Splits "5.5 k tps" into number 5.5 and the rest "k tps" (lower-cased, spaces removed).
struct NumberAndUnit {
  double number = 0;
  std::string unit;
};

Result<NumberAndUnit> SplitNumber(std::string_view text, const std::string& field,
                                  const char* expected) {
  std::string s = NormalizeText(text);
  if (s.empty()) {
    return Status::InvalidArgument(field, std::string("is empty; expected ") + expected);
  }
  size_t pos = 0;
  if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) ++pos;
  while (pos < s.size() && (std::isdigit(static_cast<unsigned char>(s[pos])) || s[pos] == '.' ||
                            s[pos] == ',' || s[pos] == '_')) {
    ++pos;
  }
  std::string digits;
  for (size_t i = 0; i < pos; ++i) {
    if (s[i] != ',' && s[i] != '_') digits.push_back(s[i]);
  }
  double value = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || ec != std::errc() || ptr != digits.data() + digits.size()) {
    return Status::InvalidArgument(
        field, Quoted(text) + " does not start with a number; expected " + expected);
  }
  if (!std::isfinite(value)) {
    return Status::InvalidArgument(field, Quoted(text) + " is not a finite number");
  }
  if (value < 0) {
    return Status::InvalidArgument(field, Quoted(text) + " is negative");
  }
  std::string unit;
  for (size_t i = pos; i < s.size(); ++i) {
    if (!std::isspace(static_cast<unsigned char>(s[i]))) unit.push_back(s[i]);
  }
  return NumberAndUnit{value, unit};
}

bool EndsWith(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Strips a multiplier prefix (k, m) from the front of a rate unit.
double TakeRateMultiplier(std::string* unit) {
  if (unit->empty()) return 1;
  char c = (*unit)[0];
  std::string rest = unit->substr(1);
  bool rest_is_unit = rest.empty() || rest[0] == 't' || rest[0] == '/' || rest[0] == 'c' ||
                      rest[0] == 'q' || rest[0] == 'w' || rest[0] == 'p';
  if (c == 'k' && rest_is_unit) {
    *unit = rest;
    return 1e3;
  }
  if (c == 'm' && rest_is_unit && !EndsWith(*unit, "min")) {
    *unit = rest;
    return 1e6;
  }
  return 1;
}

}  // namespace

std::string NormalizeText(std::string_view text) {
  size_t b = 0, e = text.size();
  while (b < e && std::isspace(static_cast<unsigned char>(text[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(text[e - 1]))) --e;
  std::string out;
  out.reserve(e - b);
  for (size_t i = b; i < e; ++i)
    out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(text[i]))));
  return out;
}

std::string JoinNames(const std::vector<std::string>& names, const char* last_joint) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? last_joint : ", ";
    out += names[i];
  }
  return out;
}

Result<double> ParseRateTps(std::string_view text, const std::string& field) {
  const char* expected = "a rate such as 5000, \"5000 tps\", \"5k tps\" or \"300 tx/s\"";
  auto split = SplitNumber(text, field, expected);
  if (!split.ok()) return split.status();
  std::string unit = split->unit;
  double value = split->number * TakeRateMultiplier(&unit);
  // Per-second and per-minute spellings of transactions, commits, writes, queries.
  static const std::vector<std::pair<std::string, double>> kUnits = {
      {"", 1},
      {"tps", 1},
      {"tx/s", 1},
      {"txn/s", 1},
      {"tx/sec", 1},
      {"txn/sec", 1},
      {"trx/s", 1},
      {"transactions/s", 1},
      {"transactions/sec", 1},
      {"transactionspersecond", 1},
      {"commits/s", 1},
      {"commits/sec", 1},
      {"cps", 1},
      {"writes/s", 1},
      {"writes/sec", 1},
      {"wps", 1},
      {"qps", 1},
      {"/s", 1},
      {"persecond", 1},
      {"tpm", 1.0 / 60},
      {"tx/min", 1.0 / 60},
      {"txn/min", 1.0 / 60},
      {"transactions/min", 1.0 / 60},
      {"transactionsperminute", 1.0 / 60},
      {"commits/min", 1.0 / 60},
      {"/min", 1.0 / 60},
      {"tx/h", 1.0 / 3600},
      {"tph", 1.0 / 3600},
  };
  for (const auto& [name, factor] : kUnits) {
    if (unit == name) return value * factor;
  }
  return Status::InvalidArgument(field, "unit '" + unit + "' in '" + std::string(text) +
                                            "' is not a rate; expected " + expected);
}

Result<double> ParseDurationS(std::string_view text, const std::string& field) {
  const char* expected = "a duration such as 45 (seconds), \"45s\", \"500ms\", \"2min\" or \"1h\"";
  auto split = SplitNumber(text, field, expected);
  if (!split.ok()) return split.status();
  static const std::vector<std::pair<std::string, double>> kUnits = {
      {"", 1},
      {"s", 1},
      {"sec", 1},
      {"secs", 1},
      {"second", 1},
      {"seconds", 1},
      {"ms", 1e-3},
      {"msec", 1e-3},
      {"millisecond", 1e-3},
      {"milliseconds", 1e-3},
      {"m", 60},
      {"min", 60},
      {"mins", 60},
      {"minute", 60},
      {"minutes", 60},
      {"h", 3600},
      {"hr", 3600},
      {"hrs", 3600},
      {"hour", 3600},
      {"hours", 3600},
      {"d", 86400},
      {"day", 86400},
      {"days", 86400},
  };
  for (const auto& [name, factor] : kUnits) {
    if (split->unit == name) return split->number * factor;
  }
  return Status::InvalidArgument(field, "unit '" + split->unit + "' in '" + std::string(text) +
                                            "' is not a duration; expected " + expected);
}

Result<uint64_t> ParseBytes(std::string_view text, const std::string& field) {
  const char* expected = "a size such as 8192 (bytes), \"512MB\", \"4GB\" or \"2 TiB\"";
  auto split = SplitNumber(text, field, expected);
  if (!split.ok()) return split.status();
  std::string unit = split->unit;
  if (EndsWith(unit, "ytes")) unit = unit.substr(0, unit.size() - 4);  // "kbytes" -> "kb"
  static const std::vector<std::pair<std::string, double>> kUnits = {
      {"", 1},
      {"b", 1},
      {"byte", 1},
      {"k", 1024.0},
      {"kb", 1024.0},
      {"kib", 1024.0},
      {"m", 1024.0 * 1024},
      {"mb", 1024.0 * 1024},
      {"mib", 1024.0 * 1024},
      {"g", 1024.0 * 1024 * 1024},
      {"gb", 1024.0 * 1024 * 1024},
      {"gib", 1024.0 * 1024 * 1024},
      {"t", 1024.0 * 1024 * 1024 * 1024},
      {"tb", 1024.0 * 1024 * 1024 * 1024},
      {"tib", 1024.0 * 1024 * 1024 * 1024},
  };
  for (const auto& [name, factor] : kUnits) {
    if (unit == name) {
      double bytes = split->number * factor;
      if (bytes > 1e18) {
        return Status::InvalidArgument(field, Quoted(text) + " is absurdly large");
      }
      return static_cast<uint64_t>(std::llround(bytes));
    }
  }
  return Status::InvalidArgument(field, "unit '" + split->unit + "' in '" + std::string(text) +
                                            "' is not a size; expected " + expected);
}

std::string FormatPgBytes(uint64_t bytes) {
  static const std::pair<uint64_t, const char*> kUnits[] = {
      {1024ULL * kGiB, "TB"}, {kGiB, "GB"}, {kMiB, "MB"}, {kKiB, "kB"}};
  for (const auto& [size, name] : kUnits) {
    if (bytes >= size && bytes % size == 0) return std::to_string(bytes / size) + name;
  }
  return std::to_string(bytes) + "B";
}

std::string FormatMyCnfBytes(uint64_t bytes) {
  static const std::pair<uint64_t, const char*> kUnits[] = {
      {1024ULL * kGiB, "T"}, {kGiB, "G"}, {kMiB, "M"}, {kKiB, "K"}};
  for (const auto& [size, name] : kUnits) {
    if (bytes >= size && bytes % size == 0) return std::to_string(bytes / size) + name;
  }
  return std::to_string(bytes);
}

std::string FormatHumanBytes(double bytes) {
  static const std::pair<double, const char*> kUnits[] = {{1024.0 * kGiB, "TiB"},
                                                          {static_cast<double>(kGiB), "GiB"},
                                                          {static_cast<double>(kMiB), "MiB"},
                                                          {static_cast<double>(kKiB), "KiB"}};
  char buf[64];
  for (const auto& [size, name] : kUnits) {
    if (bytes >= size) {
      std::snprintf(buf, sizeof(buf), "%.1f %s", bytes / size, name);
      return buf;
    }
  }
  std::snprintf(buf, sizeof(buf), "%.0f B", bytes);
  return buf;
}

std::string FormatPgDuration(double seconds) {
  long long ms = std::llround(seconds * 1000);
  if (ms % 1000 != 0) return std::to_string(ms) + "ms";
  long long s = ms / 1000;
  if (s != 0 && s % 3600 == 0) return std::to_string(s / 3600) + "h";
  if (s != 0 && s % 60 == 0) return std::to_string(s / 60) + "min";
  return std::to_string(s) + "s";
}

std::string FormatDecimal(double v, char style, int digits) {
  const char* format = style == 'g' ? "%.*g" : "%.*f";
  const int n = std::snprintf(nullptr, 0, format, digits, v);
  std::string out(static_cast<size_t>(std::max(n, 0)) + 1, '\0');
  std::snprintf(out.data(), out.size(), format, digits, v);
  out.resize(static_cast<size_t>(std::max(n, 0)));
  return out;
}

std::string FormatNumber(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e15) return FormatDecimal(v, 'f', 0);
  return FormatDecimal(v, 'g', 3);
}

std::string FormatTps(double tps) { return FormatDecimal(tps, 'f', tps >= 100 ? 0 : 1) + " tps"; }

std::string FormatEstimateValue(double v) {
  return std::fabs(v) >= 100 ? FormatDecimal(v, 'f', 0) : FormatDecimal(v, 'g', 4);
}

std::string FormatConfigNumber(double v) {
  const double whole = static_cast<double>(static_cast<long long>(v));
  return v == whole ? FormatDecimal(whole, 'f', 0) : FormatDecimal(v, 'g', 6);
}

}  // namespace waltune
