// Parsing and printing of human quantities: rates, durations, sizes.
// Only the request parser and the CLI accept human text; inside waltune every quantity is a
// plain number with its unit in the name (_bytes, _us, _ms, _s, _tps).
#ifndef WALTUNE_UNITS_H_
#define WALTUNE_UNITS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "waltune/status.h"

namespace waltune {

inline constexpr uint64_t kKiB = 1024;
inline constexpr uint64_t kMiB = 1024 * kKiB;
inline constexpr uint64_t kGiB = 1024 * kMiB;

// "5000", "5000 tps", "5k tps", "300 tx/s", "1.2M tps", "600 tx/min" -> transactions per second.
// `field` is used in the error. Rejects negatives, zero-length text and foreign units.
Result<double> ParseRateTps(std::string_view text, const std::string& field);

// "45" (seconds), "45s", "500ms", "2min", "1.5 h", "1 hour" -> seconds.
Result<double> ParseDurationS(std::string_view text, const std::string& field);

// "4GB", "512 MiB", "1TB", "8192" (bytes), "16kB" -> bytes. Decimal prefixes are read the way
// database configuration reads them (PostgreSQL and MySQL treat MB as MiB): 1GB = 2^30 bytes.
Result<uint64_t> ParseBytes(std::string_view text, const std::string& field);

// PostgreSQL-style size with the largest unit that divides it exactly: 4294967296 -> "4GB",
// 100663296 -> "96MB", 8192 -> "8kB". Used for configuration values.
std::string FormatPgBytes(uint64_t bytes);
// MySQL/MariaDB option-file size: "4G", "96M", "16K", or plain bytes.
std::string FormatMyCnfBytes(uint64_t bytes);
// A human size with one decimal: "1.5 GiB", "512.0 MiB", "8.0 KiB", "17 B".
std::string FormatHumanBytes(double bytes);
// PostgreSQL duration: 600 -> "10min", 30 -> "30s", 3600 -> "1h", 0.2 -> "200ms".
std::string FormatPgDuration(double seconds);

// ----- Numbers as text: one implementation (FormatDecimal), one named function per format.
// `v` as printf writes it with `digits` decimals (style 'f') or significant digits ('g').
std::string FormatDecimal(double v, char style, int digits);
// Whole numbers exactly, others with 3 significant digits: 5000000 -> "5000000",
// 0.25 -> "0.25", 1.23456 -> "1.23" (request messages and assumptions).
std::string FormatNumber(double v);
// A commit rate for text: "12345 tps" from 100 up, "12.5 tps" below.
std::string FormatTps(double tps);
// An estimate in the text report: whole from 100 up ("1234"), else 4 significant digits
// ("0.1235", "12.5").
std::string FormatEstimateValue(double v);
// A numeric configuration value: whole numbers as integers ("1000"), others as printf's %g
// ("0.9", "1.5e-05").
std::string FormatConfigNumber(double v);

// Lower-cases ASCII and trims spaces; used by all alias matching.
std::string NormalizeText(std::string_view text);

// "a, b or c" (last_joint " or "), "a and b" (" and "), "a": names for messages.
std::string JoinNames(const std::vector<std::string>& names, const char* last_joint);

}  // namespace waltune

#endif  // WALTUNE_UNITS_H_
