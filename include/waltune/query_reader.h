// Query understanding: what a DBA's free text says about the workload, with the words each value
// was read from. Pure text processing, no I/O. The rules (normalisation, negation, which signal
// wins) are described in docs/query-reading.md.
#ifndef WALTUNE_QUERY_READER_H_
#define WALTUNE_QUERY_READER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "waltune/scenario.h"
#include "waltune/storage.h"

namespace waltune {

// The largest values a request may state, in constraints and in prose alike (request.cc refuses
// larger constraints with exit 2; the reader does not read larger values from text).
inline constexpr double kMaxWriteRateTps = 5e6;  // beyond any single-node engine
inline constexpr double kMaxRecoveryTargetS = 7 * 86400;
inline constexpr int kMaxConcurrency = 100000;

// Lower-cases, maps Unicode quotes/apostrophes/dashes/NBSP/ellipsis to ASCII, drops thousands
// separators inside numbers ("30,000" and "30 000" -> "30000"; a decimal comma "1,5" is kept as
// "1.5" only when it cannot be a thousands group) and collapses runs of white space. A run of
// more than kMaxQueryTokenChars non-space characters is broken by spaces (query_reader.cc: it
// bounds the recursion of std::regex); no word or number the reader reads is that long.
std::string NormalizeQueryText(std::string_view text);

constexpr size_t kMaxQueryTokenChars = 64;

// The longest run of digits in the normalised text, before long runs are broken: a number
// longer than kMaxQueryTokenChars would be read in pieces, so the caller refuses the text.
size_t LongestDigitRun(std::string_view text);

// How strongly a durability reading is stated.
enum class Strength {
  kDomain,    // a word about the data ("payments", "cache", "staging"): a guess
  kExplicit,  // a sentence about loss ("no acknowledged transaction may be lost", "losing a
              // second is fine")
};

// One value read from text: the value and the words (from the normalised text) it came from.
template <typename T>
struct Reading {
  T value{};
  std::string evidence;
};

struct DurabilityReading {
  Durability level = Durability::kStandard;
  Strength strength = Strength::kDomain;
  std::string evidence;
};

struct QueryReading {
  // Engine and version named in the text ("We run MySQL 8.0.20", "pg13", "Postgres v16").
  std::optional<Reading<Engine>> engine;
  std::optional<Reading<EngineVersion>> version;  // only together with `engine`
  // Every distinct engine named (to warn when the text names several).
  std::vector<Engine> engines_named;

  // The loss-averse reading (strict) and the loss-tolerant reading (standard/relaxed), kept
  // apart so that the caller can apply the safety asymmetry and warn about a conflict.
  std::optional<DurabilityReading> loss_averse;
  std::optional<DurabilityReading> loss_tolerant;
  // The one reading this text alone gives: an explicit statement beats a domain word; between
  // two of the same strength the stricter wins.
  std::optional<DurabilityReading> Overall() const;

  std::optional<Reading<double>> write_rate_tps;     // the largest rate stated
  std::optional<Reading<double>> recovery_target_s;  // RTO / "back online within"
  std::optional<Reading<StorageClass>> storage;
  std::optional<Reading<int>> concurrency;
  std::optional<Reading<uint64_t>> working_set_bytes;
  std::optional<Reading<uint64_t>> data_size_bytes;
  std::optional<Reading<uint64_t>> memory_bytes;
  std::optional<Reading<Replication>> replication;
  std::optional<Reading<std::string>> write_pattern;  // "append"
  // "corruption is acceptable", "we can rebuild the database" (SQLite synchronous=OFF).
  std::optional<Reading<bool>> accepts_corruption_risk;
  // Numbers that were read but are absurd ("1e12 tps"): the caller reports them as errors.
  std::vector<std::string> absurd;
  std::vector<std::string> out_of_scope;
};

// Reads everything the text says. `text` may be raw (it is normalised first).
QueryReading ReadQuery(std::string_view text);

// Only the engine and version ("Recommended: PostgreSQL 13", "postgresql-16", "MySQL 8.0.20").
// Versions are accepted only in each engine's plausible range (PostgreSQL 9-30, MySQL 5-9,
// MariaDB 5/10-12, SQLite 3) so that "postgres 2 replicas" is not version 2.
std::optional<Reading<Engine>> FindEngine(std::string_view normalized,
                                          std::optional<Reading<EngineVersion>>* version,
                                          std::vector<Engine>* all_named = nullptr);

// A durability requirement written as a phrase (constraints.durability_requirement): the fixed
// names ("strict", "fsync every commit", "group commit", "relaxed", ...) and, failing those, a
// reading of the phrase as prose. "group commit" is strict: commits grouped AND durable.
std::optional<DurabilityReading> ReadDurabilityPhrase(std::string_view text);

}  // namespace waltune

#endif  // WALTUNE_QUERY_READER_H_
