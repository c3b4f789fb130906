// Request parsing: JSON -> Scenario, per docs/contract.md. Free text (query, reference_excerpt,
// upstream_results) is read by the query reader (waltune/query_reader.h, docs/query-reading.md).
//
// Precedence for every input: explicit constraint > upstream_results > the free-text query >
// default, and a disagreement between two of them is a warning, never a silent choice.
// One exception, for safety: durability. Reading strict as standard loses data, the reverse only
// costs speed, so an explicit statement of loss aversion anywhere in the text ("no acknowledged
// transaction may ever be lost") makes the answer strict even when the constraint asks for less,
// and the warning says so. Everything not explicit is listed in Scenario::assumptions with the
// words it was read from.
#include "waltune/request.h"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <cmath>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "waltune/engine.h"
#include "waltune/json_input.h"
#include "waltune/model.h"
#include "waltune/query_reader.h"
#include "waltune/units.h"
#include "waltune/workload.h"

namespace waltune {
namespace {

using json = nlohmann::json;

// A JSON scalar as text: strings as-is, numbers formatted, anything else is an error.
Result<std::string> ScalarText(const json& v, const std::string& field, const char* expected) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number()) return FormatNumber(v.get<double>());
  return Status::InvalidArgument(
      field, std::string("must be ") + expected + ", got " + std::string(v.type_name()));
}

// Quotes text for a reason: "the query says \"...\"".
std::string Quote(const std::string& s) { return "\"" + s + "\""; }

// ----- engine ------------------------------------------------------------------------------

struct EngineMatch {
  Engine engine;
  std::optional<std::string> version_text;
};

// Recognises an engine's name, key or alias in the engine table with an optional version as
// the whole text: "postgres", "pg", "postgresql 16", "mysql 8.0.36", "innodb", "mariadb 10.11",
// "sqlite3" (SQLite 3).
// std::regex matches by recursion, one level per character here: a name longer than any engine
// name with a version is not tried (200,000 characters overflowed the stack).
std::optional<EngineMatch> MatchEngine(const std::string& raw) {
  if (raw.size() > 100) return std::nullopt;
  static const std::regex kPattern(R"(^\s*(.+?)\s*[-]?\s*(?:v(?:ersion)?\s*)?([0-9][0-9.]*)?\s*$)",
                                   std::regex::icase);
  std::smatch m;
  if (!std::regex_match(raw, m, kPattern)) return std::nullopt;
  std::optional<Engine> engine = EngineByName(m[1].str());
  if (!engine) return std::nullopt;
  EngineMatch match{*engine, std::nullopt};
  if (m[2].matched) match.version_text = m[2].str();
  return match;
}

// Checked: std::from_chars, never an exception; every part at most 4 digits.
Result<EngineVersion> ParseVersion(const std::string& text, const std::string& field) {
  static const std::regex kVersion(R"(^\s*v?(\d{1,4})(?:\.(\d{1,4}))?(?:\.(\d{1,4}))?\s*$)");
  std::smatch m;
  if (!std::regex_match(text, m, kVersion)) {
    return Status::InvalidArgument(field, "'" + text +
                                              "' is not a version such as \"16\", "
                                              "\"8.0.36\" or \"10.11\"");
  }
  EngineVersion v;
  int* parts[] = {&v.major, &v.minor, &v.patch};
  for (int k = 0; k < 3; ++k) {
    if (!m[k + 1].matched) continue;
    const std::string digits = m[k + 1].str();
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), *parts[k]);
    if (ec != std::errc() || ptr != digits.data() + digits.size()) {
      return Status::InvalidArgument(field, "'" + text + "' is not a version");
    }
  }
  return v;
}

// ----- storage ------------------------------------------------------------------------------

std::optional<StorageClass> MatchStorage(const std::string& raw) {
  std::string s = NormalizeQueryText(raw);
  auto has = [&](const char* w) { return s.find(w) != std::string::npos; };
  bool plp = has("power-loss") || has("power loss") || has("plp") || has("enterprise") ||
             has("datacenter") || has("data center") || has("capacitor");
  if (has("battery") || has("bbu") || has("bbwc") || has("flash-backed") || has("fbwc") ||
      has("nvram") || has("write-back controller")) {
    return StorageClass::kBatteryBackedCache;
  }
  if (has("hdd") || has("spinning") || has("rotational") || has("rpm") || has("hard disk") ||
      has("hard drive") || s == "disk" || has("sas disk")) {
    return StorageClass::kHdd;
  }
  if (has("nvme")) return plp ? StorageClass::kEnterpriseFlash : StorageClass::kConsumerNvme;
  if (has("ssd") || has("flash") || has("solid")) {
    return plp ? StorageClass::kEnterpriseFlash : StorageClass::kSataSsd;
  }
  return std::nullopt;
}

// ----- upstream_results ---------------------------------------------------------------------

struct UpstreamReading {
  std::optional<Engine> engine;
  std::optional<std::string> version_text;
  std::string where;  // "upstream_results.selected_engine", "upstream_results (text)"
  std::string evidence;
  // Set when a named engine field holds an engine waltune does not know.
  std::optional<std::string> unknown_engine;
  // Every string in the upstream results, for durability signals.
  std::string text;
};

void CollectText(const json& v, std::string* out) {
  if (v.is_string()) {
    *out += v.get<std::string>();
    *out += ". ";
  } else if (v.is_object() || v.is_array()) {
    for (const auto& item : v) CollectText(item, out);
  }
}

std::string ScalarString(const json& v) {
  return v.is_string() ? v.get<std::string>() : FormatNumber(v.get<double>());
}

// Reads an engine (and version) from one string: the whole string as a name, else a name inside
// prose ("Recommended: PostgreSQL 13").
std::optional<EngineMatch> EngineFromString(const std::string& s, std::string* evidence) {
  if (auto m = MatchEngine(s)) {
    *evidence = s;
    return m;
  }
  std::optional<Reading<EngineVersion>> version;
  auto e = FindEngine(NormalizeQueryText(s), &version);
  if (!e) return std::nullopt;
  *evidence = version ? version->evidence : e->evidence;
  EngineMatch m{e->value, std::nullopt};
  if (version) m.version_text = version->value.ToString();
  return m;
}

UpstreamReading ReadUpstream(const json& up) {
  UpstreamReading out;
  CollectText(up, &out.text);
  auto take = [&](const std::string& s, const std::string& where) -> bool {
    std::string evidence;
    auto m = EngineFromString(s, &evidence);
    if (!m) return false;
    out.engine = m->engine;
    if (m->version_text) out.version_text = m->version_text;
    out.where = where;
    out.evidence = evidence;
    return true;
  };
  if (up.is_object()) {
    static const char* kEngineKeys[] = {
        "engine", "selected_engine", "db_engine", "recommended_engine", "database", "choice"};
    for (const char* key : kEngineKeys) {
      if (!up.contains(key)) continue;
      const json& v = up[key];
      const std::string where = std::string("upstream_results.") + key;
      if (v.is_string()) {
        if (!take(v.get<std::string>(), where)) out.unknown_engine = v.get<std::string>();
        out.where = where;
        break;
      }
      if (v.is_object()) {  // {"engine": {"name": "PostgreSQL", "version": "16"}}
        for (const char* inner : {"name", "engine"}) {
          if (v.contains(inner) && v[inner].is_string() &&
              !take(v[inner].get<std::string>(), where + "." + inner)) {
            out.unknown_engine = v[inner].get<std::string>();
            out.where = where + "." + inner;
          }
        }
        for (const char* inner : {"version", "engine_version"}) {
          if (v.contains(inner) && (v[inner].is_string() || v[inner].is_number())) {
            out.version_text = ScalarString(v[inner]);
          }
        }
        if (out.engine || out.unknown_engine) break;
      }
    }
    for (const char* key : {"engine_version", "version", "selected_version"}) {
      if (up.contains(key) && (up[key].is_string() || up[key].is_number())) {
        out.version_text = ScalarString(up[key]);
        break;
      }
    }
    // "recommendation": "Recommended: PostgreSQL 13", or any other text in the object.
    if (!out.engine && !out.unknown_engine) {
      for (const char* key : {"recommendation", "summary", "result", "answer"}) {
        if (up.contains(key) && up[key].is_string() &&
            take(up[key].get<std::string>(), std::string("upstream_results.") + key)) {
          break;
        }
      }
    }
    if (!out.engine && !out.unknown_engine) {
      std::optional<std::string> keep_version = out.version_text;
      if (take(out.text, "upstream_results (text)") && keep_version) {
        out.version_text = keep_version;
      }
    }
  } else if (up.is_string()) {
    take(up.get<std::string>(), "upstream_results (text)");
  }
  return out;
}

// ----- the parser ------------------------------------------------------------------------------

class RequestParser {
 public:
  RequestParser(const json& request, const ParseOptions& options)
      : request_(request), options_(options) {}

  Result<Scenario> Parse() {
    if (!request_.is_object()) {
      return Status::InvalidArgument(
          "request", "must be a JSON object, got " + std::string(request_.type_name()));
    }
    WALTUNE_RETURN_IF_ERROR(CheckTopLevel());
    // The reader is a few dozen regular expressions: about 50 ms per 1000 characters. Texts are
    // read whole (a loss-averse sentence at the end must not be cut off), so very long ones are
    // refused rather than truncated.
    WALTUNE_RETURN_IF_ERROR(CheckLength("query", query_));
    WALTUNE_RETURN_IF_ERROR(CheckLength("reference_excerpt", excerpt_text_));
    text_ = ReadQuery(query_);
    if (!text_.absurd.empty()) return Status::InvalidArgument("query", text_.absurd.front());
    excerpt_ = ReadQuery(excerpt_text_);
    if (request_.contains("upstream_results") && !request_["upstream_results"].is_null()) {
      std::string upstream_text;  // checked before any of it is read
      CollectText(request_["upstream_results"], &upstream_text);
      WALTUNE_RETURN_IF_ERROR(CheckLength("upstream_results", upstream_text));
      upstream_ = ReadUpstream(request_["upstream_results"]);
      upstream_text_ = ReadQuery(upstream_.text);
    }
    WALTUNE_RETURN_IF_ERROR(ParseEngine());
    WALTUNE_RETURN_IF_ERROR(ParseDurabilityField());
    WALTUNE_RETURN_IF_ERROR(ParseRates());
    WALTUNE_RETURN_IF_ERROR(ParseStorage());
    WALTUNE_RETURN_IF_ERROR(ParseWorkloadShape());
    WALTUNE_RETURN_IF_ERROR(ParseReplication());
    WALTUNE_RETURN_IF_ERROR(ParseCorruptionRisk());
    WALTUNE_RETURN_IF_ERROR(ParseCalibration());
    s_.out_of_scope = text_.out_of_scope;
    return std::move(s_);
  }

 private:
  Status CheckTopLevel() {
    static const std::set<std::string> kTop = {"query", "constraints", "reference_excerpt",
                                               "upstream_results"};
    for (const auto& [key, value] : request_.items()) {
      if (!kTop.count(key)) s_.warnings.push_back("unknown request field '" + key + "' ignored");
    }
    if (request_.contains("query") && !request_["query"].is_null()) {
      if (!request_["query"].is_string()) {
        return Status::InvalidArgument("query", "must be a string");
      }
      query_ = request_["query"].get<std::string>();
    }
    if (request_.contains("reference_excerpt") && !request_["reference_excerpt"].is_null()) {
      if (!request_["reference_excerpt"].is_string()) {
        return Status::InvalidArgument("reference_excerpt", "must be a string");
      }
      excerpt_text_ = request_["reference_excerpt"].get<std::string>();
    }
    if (request_.contains("constraints") && !request_["constraints"].is_null()) {
      if (!request_["constraints"].is_object()) {
        return Status::InvalidArgument("constraints", "must be a JSON object");
      }
      c_ = request_["constraints"];
    } else {
      c_ = json::object();
    }
    static const std::set<std::string> kKnown = {"db_engine",
                                                 "engine_version",
                                                 "durability_requirement",
                                                 "write_rate",
                                                 "recovery_time_target",
                                                 "storage_type",
                                                 "concurrency",
                                                 "txn_write_bytes",
                                                 "rows_per_txn",
                                                 "row_bytes",
                                                 "data_size",
                                                 "memory",
                                                 "working_set",
                                                 "buffer_pool",
                                                 "replication",
                                                 "storage_profile",
                                                 "cpu_cores",
                                                 "write_pattern",
                                                 "accepts_corruption_risk",
                                                 "statements_per_txn"};
    for (const auto& [key, value] : c_.items()) {
      if (!kKnown.count(key)) {
        s_.warnings.push_back("unknown constraint 'constraints." + key + "' ignored");
      } else if (value.is_string() && value.get_ref<const std::string&>().size() > kMaxValueChars) {
        return Status::InvalidArgument(
            F(key.c_str()), "is " + std::to_string(value.get_ref<const std::string&>().size()) +
                                " characters long; a constraint's value is at most " +
                                std::to_string(kMaxValueChars) + " (a file path at most)");
      }
    }
    return Status::Ok();
  }

  static constexpr size_t kMaxTextChars = 100000;
  // A constraint is a word, a number with a unit or a file path (storage_profile): PATH_MAX.
  static constexpr size_t kMaxValueChars = 4096;
  // Also refuses a number longer than the reader reads whole (NormalizeQueryText breaks it):
  // reading "5003...(130 digits) tps" in pieces would be a silent guess.
  static Status CheckLength(const std::string& field, const std::string& text) {
    if (text.size() > kMaxTextChars) {
      return Status::InvalidArgument(field, "is " + std::to_string(text.size()) +
                                                " characters long; at most 100000 are read. Keep "
                                                "the part about the workload and its durability");
    }
    if (size_t digits = LongestDigitRun(text); digits > kMaxQueryTokenChars) {
      return Status::InvalidArgument(field,
                                     "holds a number of " + std::to_string(digits) +
                                         " digits; no quantity waltune reads has more than " +
                                         std::to_string(kMaxQueryTokenChars));
    }
    return Status::Ok();
  }

  bool Has(const char* key) const { return c_.contains(key) && !c_[key].is_null(); }
  static std::string F(const char* key) { return std::string("constraints.") + key; }

  void Assume(std::string field, std::string value, AssumptionSource source, std::string reason) {
    s_.assumptions.push_back(
        Assumption{std::move(field), std::move(value), source, std::move(reason)});
    if (source == AssumptionSource::kDefault) {
      ++s_.defaulted_inputs;
    } else if (source == AssumptionSource::kInferred) {
      ++s_.inferred_inputs;
    }
  }

  // A value given explicitly and also read from the query: a warning when they differ.
  void WarnConflict(const char* key, const std::string& explicit_value,
                    const std::string& read_value, const std::string& evidence) {
    s_.warnings.push_back(F(key) + " is " + explicit_value + " but the query says " +
                          Quote(evidence) + " (" + read_value + "); used the constraint");
  }

  Status ParseEngine() {
    std::optional<EngineMatch> match;
    std::string version_field = F("engine_version");
    std::optional<AssumptionSource> engine_source;
    std::string engine_reason;
    const std::optional<Reading<Engine>>& prose = text_.engine;
    if (text_.engines_named.size() > 1) {
      std::string names;
      for (Engine e : text_.engines_named)
        names += (names.empty() ? "" : ", ") + std::string(EngineName(e));
      s_.warnings.push_back("the query names several engines (" + names + "); read " +
                            EngineName(text_.engine->value) + " from " +
                            Quote(text_.engine->evidence) +
                            " unless constraints.db_engine says otherwise");
    }
    if (Has("db_engine")) {
      if (!c_["db_engine"].is_string()) {
        return Status::InvalidArgument(F("db_engine"), "must be a string such as \"PostgreSQL\"");
      }
      std::string raw = c_["db_engine"].get<std::string>();
      match = MatchEngine(raw);
      if (!match) {
        return Status::InvalidArgument(
            F("db_engine"),
            "unknown engine '" + raw + "'; waltune knows " + EngineNameList(" and "));
      }
      if (prose && prose->value != match->engine && text_.engines_named.size() == 1) {
        WarnConflict("db_engine", EngineName(match->engine), EngineName(prose->value),
                     prose->evidence);
      }
      if (upstream_.engine && *upstream_.engine != match->engine) {
        s_.warnings.push_back(F("db_engine") + " is " + EngineName(match->engine) + " but " +
                              upstream_.where + " says " + Quote(upstream_.evidence) +
                              "; used the constraint");
      }
    } else if (upstream_.unknown_engine) {
      return Status::InvalidArgument(
          upstream_.where,
          "unknown engine '" + *upstream_.unknown_engine + "' in upstream_results");
    } else if (upstream_.engine) {
      match = EngineMatch{*upstream_.engine, upstream_.version_text};
      engine_source = AssumptionSource::kUpstream;
      engine_reason =
          "db_engine not given; taken from " + upstream_.where + ": " + Quote(upstream_.evidence);
      version_field = "upstream_results";
      if (prose && prose->value != *upstream_.engine) {
        s_.warnings.push_back(upstream_.where + " says " + Quote(upstream_.evidence) +
                              " but the query says " + Quote(prose->evidence) +
                              "; used upstream_results (set constraints.db_engine to choose)");
      }
    } else if (prose) {
      match = EngineMatch{prose->value, std::nullopt};
      engine_source = AssumptionSource::kInferred;
      engine_reason = "db_engine not given; the query says " + Quote(prose->evidence);
    }
    if (!match) {
      return Status::InvalidArgument(F("db_engine"),
                                     "is required: name the engine (" + EngineNameList(" or ") +
                                         ") in constraints.db_engine or upstream_results");
    }
    s_.engine = match->engine;
    if (engine_source) Assume(F("db_engine"), EngineName(s_.engine), *engine_source, engine_reason);

    // Version: constraints.engine_version > version inside constraints.db_engine >
    // upstream_results > the query (when it names the same engine) > default.
    const EngineAdvisor& advisor = AdvisorFor(s_.engine);
    std::optional<std::string> version_text;
    std::optional<AssumptionSource> version_source;
    std::string version_reason;
    if (Has("engine_version")) {
      auto text = ScalarText(c_["engine_version"], F("engine_version"), "a version string");
      if (!text.ok()) return text.status();
      version_text = *text;
      version_field = F("engine_version");
    } else if (match->version_text) {
      version_text = match->version_text;
      if (version_field == F("engine_version")) version_field = F("db_engine");
      if (engine_source == AssumptionSource::kUpstream) {
        version_source = AssumptionSource::kUpstream;
        version_reason = "taken from " + upstream_.where + ": " + Quote(upstream_.evidence);
      }
    } else if (!Has("db_engine") && upstream_.engine && upstream_.version_text) {
      version_text = upstream_.version_text;
      version_field = "upstream_results";
      version_source = AssumptionSource::kUpstream;
      version_reason = "taken from " + upstream_.where;
    } else if (prose && prose->value == s_.engine && text_.version) {
      version_text = text_.version->value.ToString();
      version_field = "query";
      version_source = AssumptionSource::kInferred;
      version_reason = "engine_version not given; the query says " + Quote(text_.version->evidence);
    }
    if (version_text) {
      auto v = ParseVersion(*version_text, version_field);
      if (!v.ok()) return v.status();
      s_.version = *v;
      Status st = advisor.CheckVersion(s_.version, &s_.warnings);
      if (!st.ok()) return Status::InvalidArgument(version_field, st.message());
      if (version_source) {
        Assume(F("engine_version"), s_.version.ToString(), *version_source, version_reason);
      }
      // The query names another version of the same engine: say so.
      if (version_field != "query" && prose && prose->value == s_.engine && text_.version &&
          !SameVersion(text_.version->value, s_.version)) {
        s_.warnings.push_back(version_field + " gives version " + s_.version.ToString() +
                              " but the query says " + Quote(text_.version->evidence) + "; used " +
                              version_field);
      }
    } else {
      s_.version = advisor.DefaultVersion();
      Assume(F("engine_version"), s_.version.ToString(), AssumptionSource::kDefault,
             "not given; assumed the newest version waltune models");
    }
    return Status::Ok();
  }

  // "16" and "16.2" agree; "8.0" and "8.0.20" agree; "13" and "16" do not.
  static bool SameVersion(const EngineVersion& text, const EngineVersion& chosen) {
    if (text.major != chosen.major) return false;
    if (text.minor && chosen.minor && text.minor != chosen.minor) return false;
    if (text.patch && chosen.patch && text.patch != chosen.patch) return false;
    return true;
  }

  // The strongest loss-averse statement in any text of the request (query, reference_excerpt,
  // upstream_results), and where it was found.
  // A reference excerpt is usually documentation: its domain words ("orders", "bank") are not
  // about the user's data, so only its explicit statements count.
  std::optional<DurabilityReading> LossAverse(std::string* where) const {
    std::optional<DurabilityReading> best;
    for (const auto& [reading, name] :
         {std::pair<const QueryReading*, const char*>{&text_, "the query"},
          {&excerpt_, "reference_excerpt"},
          {&upstream_text_, "upstream_results"}}) {
      if (!reading->loss_averse) continue;
      if (reading == &excerpt_ && reading->loss_averse->strength != Strength::kExplicit) continue;
      if (!best || reading->loss_averse->strength > best->strength) {
        best = reading->loss_averse;
        *where = name;
      }
    }
    return best;
  }

  // Durability: explicit beats inferred and inferred beats default, EXCEPT that an explicit
  // statement of loss aversion in any text wins over a less durable constraint (with a warning):
  // never answer less durably than the user may have asked for.
  Status ParseDurabilityField() {
    std::string averse_where;
    const std::optional<DurabilityReading> averse = LossAverse(&averse_where);
    const std::optional<DurabilityReading>& tolerant = text_.loss_tolerant;
    const bool averse_explicit = averse && averse->strength == Strength::kExplicit;
    const bool tolerant_explicit = tolerant && tolerant->strength == Strength::kExplicit;

    if (Has("durability_requirement")) {
      if (!c_["durability_requirement"].is_string()) {
        return Status::InvalidArgument(F("durability_requirement"),
                                       "must be a string: \"strict\", \"standard\" or \"relaxed\"");
      }
      const std::string raw = c_["durability_requirement"].get<std::string>();
      WALTUNE_RETURN_IF_ERROR(CheckLength(F("durability_requirement"), raw));
      auto d = ReadDurabilityPhrase(raw);
      if (!d) {
        return Status::InvalidArgument(
            F("durability_requirement"),
            "'" + raw +
                "' is not a durability requirement; expected \"strict\" (\"fsync every "
                "commit\", \"group commit\"), \"standard\" or \"relaxed\"");
      }
      s_.durability = d->level;
      const std::string norm = NormalizeQueryText(raw);
      if (norm.find("group commit") != std::string::npos && d->level == Durability::kStrict) {
        Assume(
            F("durability_requirement"), "strict", AssumptionSource::kInferred,
            Quote(raw) +
                " read as synchronous group commit: commits are grouped into one "
                "flush AND every acknowledged commit is durable (strict). Say \"standard\" for a "
                "bounded loss window of about a second");
      } else if (d->evidence != norm) {
        Assume(F("durability_requirement"), DurabilityName(d->level), AssumptionSource::kInferred,
               Quote(raw) + " read as " + DurabilityName(d->level) + " from " + Quote(d->evidence));
      }
      if (d->level != Durability::kStrict && averse_explicit) {
        s_.durability = Durability::kStrict;
        s_.warnings.push_back(F("durability_requirement") + " is " + Quote(raw) + " but " +
                              averse_where + " says " + Quote(averse->evidence) +
                              "; used strict, the more durable reading (change the text or "
                              "the constraint if loss is really acceptable)");
        Assume(F("durability_requirement"), "strict", AssumptionSource::kInferred,
               averse_where + " says " + Quote(averse->evidence) +
                   ", which is stricter than the constraint " + Quote(raw));
      } else if (d->level != Durability::kStrict && averse) {
        s_.warnings.push_back(F("durability_requirement") + " is " + Quote(raw) + " but " +
                              averse_where + " mentions " + Quote(averse->evidence) + "; kept " +
                              DurabilityName(d->level) +
                              " as the constraint says. Say \"strict\" if no committed "
                              "transaction may be lost");
      } else if (tolerant_explicit && tolerant->level != d->level) {
        s_.warnings.push_back(F("durability_requirement") + " is " + Quote(raw) + " (" +
                              DurabilityName(s_.durability) + ") but the query says " +
                              Quote(tolerant->evidence) + " (" + DurabilityName(tolerant->level) +
                              "); used " + DurabilityName(s_.durability));
      }
      return Status::Ok();
    }

    if (averse_explicit) {
      s_.durability = Durability::kStrict;
      Assume(F("durability_requirement"), "strict", AssumptionSource::kInferred,
             averse_where + " says " + Quote(averse->evidence));
      if (tolerant_explicit) {
        s_.warnings.push_back(averse_where + " says " + Quote(averse->evidence) +
                              " but the query also says " + Quote(tolerant->evidence) +
                              "; used strict, the more durable reading");
      }
    } else if (tolerant_explicit) {
      s_.durability = tolerant->level;
      std::string reason = "the query says " + Quote(tolerant->evidence);
      if (averse) {
        reason += "; this statement about loss is taken over the domain word " +
                  Quote(averse->evidence) + " in " + averse_where;
      }
      Assume(F("durability_requirement"), DurabilityName(s_.durability),
             AssumptionSource::kInferred, reason);
    } else if (averse) {
      s_.durability = Durability::kStrict;
      std::string reason = averse_where + " says " + Quote(averse->evidence) +
                           "; data of this kind is usually not allowed to be lost";
      if (tolerant) reason += " (taken over " + Quote(tolerant->evidence) + ")";
      Assume(F("durability_requirement"), "strict", AssumptionSource::kInferred, reason);
    } else if (tolerant) {
      s_.durability = tolerant->level;
      Assume(F("durability_requirement"), DurabilityName(s_.durability),
             AssumptionSource::kInferred,
             "the query says " + Quote(tolerant->evidence) +
                 "; data of this kind can usually be rebuilt. Say \"strict\" if it cannot");
    } else {
      s_.durability = Durability::kStandard;
      Assume(F("durability_requirement"), "standard", AssumptionSource::kDefault,
             "not given and the text says nothing about data loss; waltune assumes standard "
             "(loss window of about a second on a crash). Say \"strict\" if no committed "
             "transaction may be lost");
    }
    return Status::Ok();
  }

  Status ParseRates() {
    if (Has("write_rate")) {
      auto text = ScalarText(c_["write_rate"], F("write_rate"), "a rate such as \"5000 tps\"");
      if (!text.ok()) return text.status();
      auto rate = ParseRateTps(*text, F("write_rate"));
      if (!rate.ok()) return rate.status();
      if (*rate <= 0) return Status::InvalidArgument(F("write_rate"), "must be greater than 0");
      if (*rate > kMaxWriteRateTps) {
        return Status::InvalidArgument(F("write_rate"), "'" + *text +
                                                            "' is absurd: above 5M tps no single "
                                                            "server commits that fast");
      }
      s_.workload.write_rate_tps = *rate;
      if (text_.write_rate_tps && std::fabs(text_.write_rate_tps->value - *rate) > 0.01 * *rate) {
        WarnConflict("write_rate", FormatNumber(*rate) + " tps",
                     FormatNumber(text_.write_rate_tps->value) + " tps",
                     text_.write_rate_tps->evidence);
      }
    } else if (text_.write_rate_tps) {
      s_.workload.write_rate_tps = text_.write_rate_tps->value;
      Assume(F("write_rate"), FormatNumber(s_.workload.write_rate_tps) + " tps",
             AssumptionSource::kInferred,
             "the query says " + Quote(text_.write_rate_tps->evidence));
    } else {
      s_.workload.write_rate_tps = 1000;
      Assume(F("write_rate"), "1000 tps", AssumptionSource::kDefault,
             "not given; a moderate OLTP write rate");
    }

    if (Has("recovery_time_target")) {
      auto text = ScalarText(c_["recovery_time_target"], F("recovery_time_target"),
                             "a duration such as \"60s\"");
      if (!text.ok()) return text.status();
      auto d = ParseDurationS(*text, F("recovery_time_target"));
      if (!d.ok()) return d.status();
      if (*d <= 0) {
        return Status::InvalidArgument(F("recovery_time_target"), "must be greater than 0");
      }
      if (*d > kMaxRecoveryTargetS) {
        return Status::InvalidArgument(F("recovery_time_target"),
                                       "'" + *text + "' is absurd: more than 7 days");
      }
      s_.recovery_target_s = *d;
      if (text_.recovery_target_s && std::fabs(text_.recovery_target_s->value - *d) > 0.01 * *d) {
        WarnConflict("recovery_time_target", FormatPgDuration(*d),
                     FormatPgDuration(text_.recovery_target_s->value),
                     text_.recovery_target_s->evidence);
      }
    } else if (text_.recovery_target_s) {
      s_.recovery_target_s = text_.recovery_target_s->value;
      Assume(F("recovery_time_target"), FormatPgDuration(s_.recovery_target_s),
             AssumptionSource::kInferred,
             "the query says " + Quote(text_.recovery_target_s->evidence));
    } else {
      s_.recovery_target_s = 60;
      Assume(F("recovery_time_target"), "60s", AssumptionSource::kDefault,
             "not given; one minute of crash recovery is a common service-level target");
    }
    return Status::Ok();
  }

  Status ParseStorage() {
    json profile = options_.storage_profile;
    std::string profile_field = "--storage-profile";
    if (profile.is_null() && Has("storage_profile")) {
      profile = c_["storage_profile"];
      profile_field = F("storage_profile");
    }
    if (!profile.is_null()) {
      auto spec = StorageSpecFromProfile(profile, profile_field);
      if (!spec.ok()) return spec.status();
      s_.storage = *spec;
      if (profile.contains("warnings") && profile["warnings"].is_array()) {
        for (const json& w : profile["warnings"]) {
          if (w.is_string()) s_.warnings.push_back("storage profile: " + w.get<std::string>());
        }
      }
      if (Has("storage_type")) {
        s_.warnings.push_back(
            "constraints.storage_type is overridden by the measured storage "
            "profile");
      }
      return Status::Ok();
    }
    if (Has("storage_type")) {
      if (!c_["storage_type"].is_string()) {
        return Status::InvalidArgument(F("storage_type"), "must be a string such as \"NVMe\"");
      }
      std::string raw = c_["storage_type"].get<std::string>();
      auto cls = MatchStorage(raw);
      if (!cls) {
        return Status::InvalidArgument(F("storage_type"),
                                       "unknown storage '" + raw +
                                           "'; expected HDD, SSD, NVMe, \"NVMe with power-loss "
                                           "protection\" or \"battery-backed cache\"");
      }
      // The query may add what the constraint leaves open: "NVMe" + "drives with PLP".
      if ((*cls == StorageClass::kConsumerNvme || *cls == StorageClass::kSataSsd) &&
          text_.storage && text_.storage->value == StorageClass::kEnterpriseFlash) {
        cls = StorageClass::kEnterpriseFlash;
        s_.storage = StoragePreset(*cls);
        Assume(F("storage_type"), s_.storage.name, AssumptionSource::kInferred,
               "'" + raw + "' with power-loss protection: the query says " +
                   Quote(text_.storage->evidence));
        return Status::Ok();
      }
      s_.storage = StoragePreset(*cls);
      if (text_.storage && text_.storage->value != *cls) {
        WarnConflict("storage_type", Quote(raw), StorageClassWord(text_.storage->value),
                     text_.storage->evidence);
      }
      if (*cls == StorageClass::kConsumerNvme || *cls == StorageClass::kSataSsd) {
        Assume(F("storage_type"), s_.storage.name, AssumptionSource::kInferred,
               "'" + raw +
                   "' does not say whether the drive has power-loss protection; "
                   "assumed it has none (slower flushes). Say \"with power-loss protection\" "
                   "or run `waltune probe`");
      }
    } else if (text_.storage) {
      s_.storage = StoragePreset(text_.storage->value);
      std::string reason = "the query says " + Quote(text_.storage->evidence);
      if (text_.storage->value == StorageClass::kConsumerNvme ||
          text_.storage->value == StorageClass::kSataSsd) {
        reason += "; nothing about power-loss protection, so assumed none (slower flushes)";
      }
      Assume(F("storage_type"), s_.storage.name, AssumptionSource::kInferred, reason);
    } else {
      s_.storage = StoragePreset(StorageClass::kSataSsd);
      Assume(F("storage_type"), s_.storage.name, AssumptionSource::kDefault,
             "not given; assumed a consumer SSD. Run `waltune probe` to measure");
    }
    return Status::Ok();
  }

  // A positive number from JSON or text; checked parsing (std::from_chars), never an exception.
  Result<double> PositiveNumber(const char* key, double max, bool integer) {
    const json& v = c_[key];
    double x;
    if (v.is_number()) {
      x = v.get<double>();
    } else if (v.is_string()) {
      std::string t = NormalizeText(v.get<std::string>());
      const char* first = t.data();
      if (!t.empty() && t[0] == '+') ++first;
      auto [ptr, ec] = std::from_chars(first, t.data() + t.size(), x);
      if (t.empty() || ec == std::errc::invalid_argument || ptr != t.data() + t.size()) {
        return Status::InvalidArgument(F(key), "'" + v.get<std::string>() + "' is not a number");
      }
      if (ec == std::errc::result_out_of_range) {
        return Status::InvalidArgument(F(key), "'" + v.get<std::string>() + "' is absurd");
      }
    } else {
      return Status::InvalidArgument(F(key), "must be a number");
    }
    if (!std::isfinite(x) || x <= 0) {
      return Status::InvalidArgument(F(key), "must be a positive number");
    }
    if (integer && x != std::floor(x)) {
      return Status::InvalidArgument(F(key), "must be a whole number");
    }
    if (x > max) {
      return Status::InvalidArgument(F(key), "is absurd: more than " + FormatNumber(max));
    }
    return x;
  }
  Result<uint64_t> Bytes(const char* key, uint64_t min_bytes) {
    auto text = ScalarText(c_[key], F(key), "a size such as \"64GB\"");
    if (!text.ok()) return text.status();
    auto b = ParseBytes(*text, F(key));
    if (!b.ok()) return b.status();
    if (*b < min_bytes) {
      return Status::InvalidArgument(
          F(key), "'" + *text + "' is too small (at least " + FormatHumanBytes(min_bytes) + ")");
    }
    return *b;
  }

  Status ParseWorkloadShape() {
    Workload& w = s_.workload;
    if (Has("concurrency")) {
      auto n = PositiveNumber("concurrency", kMaxConcurrency, true);
      if (!n.ok()) return n.status();
      w.concurrency = static_cast<int>(*n);
      if (text_.concurrency && text_.concurrency->value != w.concurrency) {
        WarnConflict("concurrency", std::to_string(w.concurrency),
                     std::to_string(text_.concurrency->value), text_.concurrency->evidence);
      }
    } else if (text_.concurrency && text_.concurrency->value <= kMaxConcurrency) {
      w.concurrency = text_.concurrency->value;
      Assume(F("concurrency"), std::to_string(w.concurrency), AssumptionSource::kInferred,
             "the query says " + Quote(text_.concurrency->evidence));
    } else {
      w.concurrency = 8;
      Assume(F("concurrency"), "8", AssumptionSource::kDefault,
             "not given; 8 clients committing at once");
    }
    if (Has("rows_per_txn")) {
      auto n = PositiveNumber("rows_per_txn", 1e6, true);
      if (!n.ok()) return n.status();
      w.rows_per_txn = static_cast<int>(*n);
    }
    // Round trips per transaction, BEGIN and COMMIT included; absent: 0 = the model derives it
    // from the shape (rows_per_txn).
    if (Has("statements_per_txn")) {
      auto n = PositiveNumber("statements_per_txn", 1e4, true);
      if (!n.ok()) return n.status();
      w.statements_per_txn = static_cast<int>(*n);
    }
    if (Has("row_bytes")) {
      auto b = Bytes("row_bytes", 1);
      if (!b.ok()) return b.status();
      w.row_bytes = *b;
    }
    if (Has("txn_write_bytes")) {
      auto b = Bytes("txn_write_bytes", 1);
      if (!b.ok()) return b.status();
      if (*b > 1 * kGiB) {
        return Status::InvalidArgument(F("txn_write_bytes"), "is absurd: more than 1 GiB");
      }
      w.txn_write_bytes = *b;
      if (!Has("rows_per_txn")) {
        w.rows_per_txn = std::max<int>(1, static_cast<int>(w.txn_write_bytes / w.row_bytes));
      }
    } else {
      w.txn_write_bytes = static_cast<uint64_t>(w.rows_per_txn) * w.row_bytes;
      if (!Has("rows_per_txn")) {
        Assume(F("txn_write_bytes"), std::to_string(w.txn_write_bytes) + " bytes",
               AssumptionSource::kDefault, "not given; 4 rows of 100 bytes per transaction");
      }
    }
    if (Has("memory")) {
      auto b = Bytes("memory", 64 * kMiB);
      if (!b.ok()) return b.status();
      w.memory_bytes = *b;
    } else if (text_.memory_bytes && text_.memory_bytes->value >= 64 * kMiB) {
      w.memory_bytes = text_.memory_bytes->value;
      Assume(F("memory"), FormatHumanBytes(w.memory_bytes), AssumptionSource::kInferred,
             "the query says " + Quote(text_.memory_bytes->evidence));
    }
    if (Has("buffer_pool")) {
      auto b = Bytes("buffer_pool", kMiB);
      if (!b.ok()) return b.status();
      w.buffer_pool_bytes = *b;
      if (w.memory_bytes && w.buffer_pool_bytes > w.memory_bytes) {
        return Status::InvalidArgument(F("buffer_pool"), "is larger than constraints.memory");
      }
    }
    if (Has("data_size")) {
      auto b = Bytes("data_size", 1);
      if (!b.ok()) return b.status();
      w.data_size_bytes = *b;
    } else if (text_.data_size_bytes) {
      w.data_size_bytes = text_.data_size_bytes->value;
      Assume(F("data_size"), FormatHumanBytes(w.data_size_bytes), AssumptionSource::kInferred,
             "the query says " + Quote(text_.data_size_bytes->evidence));
    }
    const bool inferred_ws_fits =
        text_.working_set_bytes &&
        (!w.data_size_bytes || text_.working_set_bytes->value <= w.data_size_bytes);
    if (text_.working_set_bytes && !Has("working_set") && !inferred_ws_fits) {
      s_.warnings.push_back("the query says " + Quote(text_.working_set_bytes->evidence) +
                            ", larger than the data size; ignored");
    }
    if (Has("working_set")) {
      auto b = Bytes("working_set", 1);
      if (!b.ok()) return b.status();
      w.working_set_bytes = *b;
      if (w.data_size_bytes && w.working_set_bytes > w.data_size_bytes) {
        return Status::InvalidArgument(F("working_set"), "is larger than constraints.data_size");
      }
    } else if (inferred_ws_fits) {
      w.working_set_bytes = text_.working_set_bytes->value;
      Assume(F("working_set"), FormatHumanBytes(w.working_set_bytes), AssumptionSource::kInferred,
             "the query says " + Quote(text_.working_set_bytes->evidence));
    } else if (w.data_size_bytes) {
      w.working_set_bytes = std::max<uint64_t>(w.data_size_bytes / 5, 8192);
      Assume(F("working_set"), FormatHumanBytes(w.working_set_bytes), AssumptionSource::kDefault,
             "not given; assumed writes go to 20% of data_size");
    } else {
      w.working_set_bytes = w.memory_bytes ? w.memory_bytes / 4 : 2 * kGiB;
      Assume(F("working_set"), FormatHumanBytes(w.working_set_bytes), AssumptionSource::kDefault,
             w.memory_bytes ? "not given; assumed a quarter of memory is written to"
                            : "not given; assumed 2 GiB of pages receive the writes");
    }
    WALTUNE_RETURN_IF_ERROR(ParseWritePattern());
    if (Has("cpu_cores")) {
      auto n = PositiveNumber("cpu_cores", 4096, true);
      if (!n.ok()) return n.status();
      s_.cpu_cores = static_cast<int>(*n);
    } else {
      s_.cpu_cores = 8;
      Assume(F("cpu_cores"), "8", AssumptionSource::kDefault,
             "not given; sets the CPU ceiling of commit rate");
    }
    return Status::Ok();
  }

  // "random" (updates spread over the working set), "mixed", or "append" (inserts at the tail).
  Status ParseWritePattern() {
    std::string pattern = "random";
    if (Has("write_pattern")) {
      if (!c_["write_pattern"].is_string()) {
        return Status::InvalidArgument(F("write_pattern"),
                                       "must be \"random\", \"mixed\" or \"append\"");
      }
      pattern = NormalizeText(c_["write_pattern"].get<std::string>());
    } else if (text_.write_pattern) {
      pattern = text_.write_pattern->value;
      Assume(F("write_pattern"), pattern, AssumptionSource::kInferred,
             "the query says " + Quote(text_.write_pattern->evidence));
    } else {
      Assume(F("write_pattern"), "random", AssumptionSource::kDefault,
             "not given; assumed row writes land on random pages of the working set, the worst "
             "case for full-page images and checkpoint writes (say \"append\" for insert-only "
             "tables)");
    }
    if (pattern == "random" || pattern == "random updates" || pattern == "updates" ||
        pattern == "oltp") {
      s_.workload.random_page_fraction = 1.0;
    } else if (pattern == "mixed") {
      s_.workload.random_page_fraction = 0.5;
    } else if (pattern == "append" || pattern == "append-only" || pattern == "insert-only" ||
               pattern == "inserts" || pattern == "sequential") {
      s_.workload.random_page_fraction = 0.0;
    } else {
      return Status::InvalidArgument(F("write_pattern"), "'" + pattern +
                                                             "' is not one of random, mixed, "
                                                             "append");
    }
    return Status::Ok();
  }

  Status ParseReplication() {
    if (Has("replication")) {
      if (!c_["replication"].is_string()) {
        return Status::InvalidArgument(F("replication"),
                                       "must be \"none\", \"physical\" or \"logical\"");
      }
      std::string r = NormalizeText(c_["replication"].get<std::string>());
      if (r == "none" || r == "no" || r == "off") {
        s_.replication = Replication::kNone;
      } else if (r == "physical" || r == "streaming" || r == "binlog" || r == "async" ||
                 r == "replica" || r == "standby") {
        s_.replication = Replication::kPhysical;
      } else if (r == "logical" || r == "cdc") {
        s_.replication = Replication::kLogical;
      } else {
        return Status::InvalidArgument(F("replication"), "'" + r +
                                                             "' is not one of none, physical, "
                                                             "logical");
      }
      if (text_.replication && text_.replication->value != s_.replication) {
        WarnConflict("replication", ReplicationName(s_.replication),
                     ReplicationName(text_.replication->value), text_.replication->evidence);
      }
    } else if (text_.replication) {
      s_.replication = text_.replication->value;
      Assume(F("replication"), ReplicationName(s_.replication), AssumptionSource::kInferred,
             "the query says " + Quote(text_.replication->evidence) +
                 (s_.replication == Replication::kNone
                      ? std::string("")
                      : "; only the WAL level / binary log is set for it"));
    }
    return Status::Ok();
  }

  // Acceptance of corruption risk on power loss (SQLite synchronous=OFF): only when the user says
  // so, in constraints.accepts_corruption_risk (a boolean) or in words ("corruption is
  // acceptable", "we can rebuild the database"). Never from a default, never with strict.
  Status ParseCorruptionRisk() {
    if (Has("accepts_corruption_risk")) {
      const json& v = c_["accepts_corruption_risk"];
      if (!v.is_boolean()) {
        return Status::InvalidArgument(F("accepts_corruption_risk"), "must be true or false");
      }
      s_.accepts_corruption_risk = v.get<bool>();
      if (s_.accepts_corruption_risk && s_.durability == Durability::kStrict) {
        s_.warnings.push_back(
            "constraints.accepts_corruption_risk is true but the durability "
            "is strict; strict settings never risk corruption");
      }
      return Status::Ok();
    }
    if (!text_.accepts_corruption_risk) return Status::Ok();
    if (s_.durability == Durability::kStrict) {
      s_.warnings.push_back("the query says " + Quote(text_.accepts_corruption_risk->evidence) +
                            " but the durability is strict; corruption risk is not accepted");
      return Status::Ok();
    }
    s_.accepts_corruption_risk = true;
    Assume(F("accepts_corruption_risk"), "true", AssumptionSource::kInferred,
           "the query says " + Quote(text_.accepts_corruption_risk->evidence));
    return Status::Ok();
  }

  // `replay_workload` (written by `verify --calibrate`): the verify workload the replay rate
  // was measured on; empty when absent.
  static Status ReadReplayWorkload(const json& e, const std::string& where, std::string* out) {
    if (!e.contains("replay_workload") || e["replay_workload"].is_null()) return Status::Ok();
    const json& w = e["replay_workload"];
    const auto named = w.is_string() ? VerifyWorkloadNamed(w.get<std::string>()) : std::nullopt;
    if (!named) {
      return Status::InvalidArgument(
          where + ".replay_workload",
          "must be the name of a verify workload (" + VerifyWorkloadNameList() + ")");
    }
    *out = VerifyWorkloadName(*named);
    return Status::Ok();
  }

  // The crash windows a PostgreSQL replay rate was measured on (`verify --worst-case
  // --calibrate`, read back with pg_waldump): the five `replay_window_*` numbers all or none,
  // the counts whole, beside the replay_bytes_per_s they explain. The engine checks what an
  // image may measure (EngineAdvisor::CheckImageCalibration).
  static Status ReadReplayWindow(const json& e, const std::string& where, Calibration* c) {
    static constexpr std::array<const char*, 5> kNames = {
        "replay_window_record_bytes", "replay_window_fpi_bytes", "replay_window_fpi_count",
        "replay_window_transactions", "replay_window_redo_s"};
    std::array<std::optional<double>, 5> v;
    int given = 0;
    for (size_t i = 0; i < kNames.size(); ++i) {
      const char* name = kNames[i];
      if (!e.contains(name) || e[name].is_null()) continue;
      ++given;
      // Bytes and counts of a window of at most 2^50 bytes; a replay of at most a day.
      const double max = i == 4 ? 86400 : std::pow(2.0, 50);
      const json& x = e[name];
      if (!x.is_number() || !(x.get<double>() > 0) || x.get<double>() > max) {
        return Status::InvalidArgument(where + "." + name,
                                       "must be a number in (0, " + FormatNumber(max) + "]");
      }
      if ((i == 2 || i == 3) && x.get<double>() != std::floor(x.get<double>())) {
        return Status::InvalidArgument(where + "." + name, "must be a whole number");
      }
      v[i] = x.get<double>();
    }
    if (given == 0) return Status::Ok();
    for (size_t i = 0; i < kNames.size(); ++i) {
      if (v[i]) continue;
      return Status::InvalidArgument(
          where + "." + kNames[i],
          "is missing: the replay_window_* numbers describe one set of crash windows together "
          "(records, images, their count, transactions and the replay time)");
    }
    if (!c->replay_bytes_per_s) {
      return Status::InvalidArgument(where + ".replay_bytes_per_s",
                                     "is missing: replay_window_* describe the windows it was "
                                     "measured on");
    }
    c->replay_window = CalibrationReplayWindow{*v[0], *v[1], *v[2], *v[3], *v[4]};
    return Status::Ok();
  }

  // `engine_version` (written by `verify --calibrate`: the server's own version string, such as
  // "15.18", "16beta2" or "10.11.6-MariaDB-0+deb12u1"): its major version, the leading number;
  // absent or null when unknown.
  static Status ReadEngineMajor(const json& e, const std::string& where, Calibration* c) {
    if (!e.contains("engine_version") || e["engine_version"].is_null()) return Status::Ok();
    static const std::regex kMajor(R"(^\s*v?(\d{1,4})(?:\D.*)?$)");
    const json& v = e["engine_version"];
    std::smatch m;
    const std::string text = v.is_string() ? v.get<std::string>() : std::string();
    int major = 0;
    if (std::regex_match(text, m, kMajor)) {
      const std::string digits = m[1].str();
      std::from_chars(digits.data(), digits.data() + digits.size(), major);
    }
    if (major <= 0) {
      return Status::InvalidArgument(where + ".engine_version",
                                     "must be the server's version string, such as \"15.18\"");
    }
    c->engine_major = major;
    return Status::Ok();
  }

  // A calibration map's key: a whole number in [min, max] spelled in at most six digits, else 0.
  static long WholeCountKey(const std::string& key, long min, long max) {
    if (key.empty() || key.size() > 6 || key.find_first_not_of("0123456789") != std::string::npos) {
      return 0;
    }
    long n = 0;
    std::from_chars(key.data(), key.data() + key.size(), n);
    return n >= min && n <= max ? n : 0;
  }

  // `statement_cpu_by_clients`: {"16": us, "64": us}, the several-clients CPU per statement at
  // each client count calibrated; then the file's own pair joins it when it names its count.
  static Status ReadStatementCpuByClients(const json& e, const std::string& where, Calibration* c) {
    constexpr double kMaxClients = 100000;
    constexpr double kMaxStatementUs = 1e7;  // 10 s
    const std::string field = where + ".statement_cpu_by_clients";
    if (e.contains("statement_cpu_by_clients") && !e["statement_cpu_by_clients"].is_null()) {
      const json& m = e["statement_cpu_by_clients"];
      if (!m.is_object()) {
        return Status::InvalidArgument(field, "must be an object of client count: us");
      }
      for (const auto& [count, us] : m.items()) {
        const long clients = WholeCountKey(count, 2, static_cast<long>(kMaxClients));
        if (clients == 0) {
          return Status::InvalidArgument(
              field + "." + count,
              "the key must be a whole number of clients, 2 to " + FormatNumber(kMaxClients));
        }
        if (!us.is_number() || !(us.get<double>() > 0 && us.get<double>() <= kMaxStatementUs)) {
          return Status::InvalidArgument(
              field + "." + count,
              "must be a number in (0, " + FormatNumber(kMaxStatementUs) + "]");
        }
        c->statement_cpu_by_clients[static_cast<int>(clients)] = us.get<double>();
      }
    }
    if (c->statement_cpu_concurrent_us && c->statement_cpu_clients > 0) {
      c->statement_cpu_by_clients.emplace(c->statement_cpu_clients,
                                          *c->statement_cpu_concurrent_us);
    }
    return Status::Ok();
  }

  // `statements_cpu_us_by_clients`: {"16": {"1": us, "7": us}, ...}, the CPU of a transaction's
  // statements measured at each client count (1 for one client), by statements per
  // transaction.
  static Status ReadStatementsCpuByClients(const json& e, const std::string& where,
                                           Calibration* c) {
    constexpr long kMaxClients = 100000;
    constexpr long kMaxStatements = 10000;
    constexpr double kMaxTxnUs = 1e7;  // 10 s
    const std::string field = where + ".statements_cpu_us_by_clients";
    if (!e.contains("statements_cpu_us_by_clients") ||
        e["statements_cpu_us_by_clients"].is_null()) {
      return Status::Ok();
    }
    const json& m = e["statements_cpu_us_by_clients"];
    if (!m.is_object()) {
      return Status::InvalidArgument(
          field, "must be an object of client count: {statements per transaction: us}");
    }
    for (const auto& [count, by_statements] : m.items()) {
      const long clients = WholeCountKey(count, 1, kMaxClients);
      if (clients == 0) {
        return Status::InvalidArgument(
            field + "." + count,
            "the key must be a whole number of clients, 1 to " + FormatNumber(kMaxClients));
      }
      if (!by_statements.is_object()) {
        return Status::InvalidArgument(field + "." + count,
                                       "must be an object of statements per transaction: us");
      }
      for (const auto& [k, us] : by_statements.items()) {
        const long statements = WholeCountKey(k, 1, kMaxStatements);
        if (statements == 0) {
          return Status::InvalidArgument(
              field + "." + count + "." + k,
              "the key must be a whole number of statements, 1 to " + FormatNumber(kMaxStatements));
        }
        if (!us.is_number() || !(us.get<double>() > 0 && us.get<double>() <= kMaxTxnUs)) {
          return Status::InvalidArgument(
              field + "." + count + "." + k,
              "must be a number in (0, " + FormatNumber(kMaxTxnUs) + "]");
        }
        c->statements_cpu_us_by_clients[static_cast<int>(clients)][static_cast<int>(statements)] =
            us.get<double>();
      }
    }
    return Status::Ok();
  }

  // One full-page image as verify measured it: `fpi_bytes` and `fpi_page_bytes` both or
  // neither, each a positive number, with the `fpi_compression` they were measured with. What
  // an image may measure is the engine's fact (its block size, how it stores an image, which
  // compressions it has), so the engine checks the values once the replay window is read too
  // (EngineAdvisor::CheckImageCalibration, in ParseCalibration).
  static Status ReadImageSize(const json& e, const std::string& where, Calibration* c) {
    // A bound far above any engine's page, so that nothing the model multiplies overflows.
    constexpr double kMaxImageBytes = 1 << 30;
    for (const auto& [name, out] :
         {std::pair<const char*, std::optional<double>*>{"fpi_bytes", &c->fpi_bytes},
          {"fpi_page_bytes", &c->fpi_page_bytes}}) {
      if (!e.contains(name) || e[name].is_null()) continue;
      const json& v = e[name];
      if (!v.is_number() || !(v.get<double>() > 0 && v.get<double>() <= kMaxImageBytes)) {
        return Status::InvalidArgument(where + "." + name, "must be a positive number of bytes");
      }
      *out = v.get<double>();
    }
    if (c->fpi_bytes.has_value() != c->fpi_page_bytes.has_value()) {
      const char* missing = c->fpi_bytes ? "fpi_page_bytes" : "fpi_bytes";
      return Status::InvalidArgument(
          where + "." + missing,
          "is missing: fpi_bytes and fpi_page_bytes are measured together (one image's WAL "
          "bytes and its page's bytes before compression)");
    }
    if (c->fpi_bytes) {
      if (!e.contains("fpi_compression") || !e["fpi_compression"].is_string()) {
        return Status::InvalidArgument(where + ".fpi_compression",
                                       "must name the compression the images were measured with");
      }
      c->fpi_compression = e["fpi_compression"].get<std::string>();
    }
    return Status::Ok();
  }

  // The calibration's numbers advise uses, for its `assumptions`.
  static std::string CalibrationNumbersUsed(const Calibration& c) {
    std::string used;
    for (const auto& [name, value] :
         {std::pair<const char*, const std::optional<double>&>{"txn_cpu_us", c.txn_cpu_us},
          {"statement_cpu_one_client_us", c.statement_cpu_one_client_us},
          {"statement_cpu_concurrent_us", c.statement_cpu_concurrent_us},
          {"wal_bytes_per_txn", c.wal_bytes_per_txn},
          {"wal_record_bytes_per_txn", c.wal_record_bytes_per_txn},
          {"fpi_bytes", c.fpi_bytes},
          {"fpi_page_bytes", c.fpi_page_bytes},
          {"replay_bytes_per_s", c.replay_bytes_per_s},
          {"replay_buffer_miss_fraction", c.replay_buffer_miss_fraction},
          {"restart_overhead_s", c.restart_overhead_s}}) {
      if (!value) continue;
      used += (used.empty() ? "" : ", ") + std::string(name) + " " + FormatNumber(*value);
      if (&value == &c.fpi_bytes) used += " (" + c.fpi_compression + ")";
    }
    if (c.statement_cpu_by_clients.size() > 1) {
      used += ", statement CPU by clients";
      for (const auto& [clients, us] : c.statement_cpu_by_clients) {
        used += " " + std::to_string(clients) + ": " + FormatNumber(us);
      }
    }
    for (const auto& [clients, by_statements] : c.statements_cpu_us_by_clients) {
      if (by_statements.size() < 2) continue;
      std::string shapes;
      for (const auto& [k, us] : by_statements) {
        shapes += fmt::format("{}{:.1f} us at {}", shapes.empty() ? "" : " and ", us, k);
      }
      used += fmt::format(", the CPU of the statements with {} client(s) ({} statement(s))",
                          clients, shapes);
    }
    if (c.replay_window) {
      used += ", crash windows of " + FormatNumber(c.replay_window->record_bytes) +
              " bytes of records and " + FormatNumber(c.replay_window->fpi_count) +
              " images replayed in " + FormatNumber(c.replay_window->redo_s) + " s";
    }
    if (c.restart_fit_windows >= kMinRestartLineWindows) {
      used += ", a line over " + std::to_string(c.restart_fit_windows) +
              " whole cold restarts (restart_overhead_s + redo / replay_bytes_per_s)";
    }
    return used;
  }

  Status ParseCalibration() {
    const json& cal = options_.calibration;
    if (cal.is_null()) return Status::Ok();
    const std::string field = "--calibration";
    if (!cal.is_object()) return Status::InvalidArgument(field, "must be a JSON object");
    // Format (docs/verify.md): {"machine": ..., "engines": {"postgresql": {...}, ...}}
    const std::string key = EngineKey(s_.engine);
    if (!cal.contains("engines") || !cal["engines"].is_object()) {
      return Status::InvalidArgument(field + ".engines", "is missing");
    }
    if (!cal["engines"].contains(key)) {
      s_.warnings.push_back(std::string("calibration file has no numbers for ") + key +
                            "; using the model's defaults");
      return Status::Ok();
    }
    const json& e = cal["engines"][key];
    if (!e.is_object()) {
      return Status::InvalidArgument(field + ".engines." + key, "must be an object");
    }
    // `max` bounds what any machine could have measured; beyond it the model's arithmetic
    // would overflow or loop (2^64 WAL bytes per transaction), so the file is refused.
    auto read = [&](const char* name, double max, std::optional<double>* out) -> Status {
      if (!e.contains(name) || e[name].is_null()) return Status::Ok();
      const bool in_range =
          e[name].is_number() && e[name].get<double>() > 0 && e[name].get<double>() <= max;
      if (!in_range) {
        return Status::InvalidArgument(field + ".engines." + key + "." + name,
                                       "must be a number in (0, " + FormatNumber(max) + "]");
      }
      *out = e[name].get<double>();
      return Status::Ok();
    };
    Calibration& c = s_.calibration;
    WALTUNE_RETURN_IF_ERROR(read("txn_cpu_us", 1e7, &c.txn_cpu_us));  // 10 s
    WALTUNE_RETURN_IF_ERROR(
        read("statement_cpu_one_client_us", 1e7, &c.statement_cpu_one_client_us));
    WALTUNE_RETURN_IF_ERROR(
        read("statement_cpu_concurrent_us", 1e7, &c.statement_cpu_concurrent_us));
    std::optional<double> clients;
    WALTUNE_RETURN_IF_ERROR(read("statement_cpu_clients", 100000, &clients));
    if (clients) {
      if (*clients != std::floor(*clients) || *clients < 2) {
        return Status::InvalidArgument(field + ".engines." + key + ".statement_cpu_clients",
                                       "must be a whole number of clients, at least 2");
      }
      c.statement_cpu_clients = static_cast<int>(*clients);
    }
    WALTUNE_RETURN_IF_ERROR(ReadStatementCpuByClients(e, field + ".engines." + key, &c));
    WALTUNE_RETURN_IF_ERROR(ReadStatementsCpuByClients(e, field + ".engines." + key, &c));
    WALTUNE_RETURN_IF_ERROR(read("wal_bytes_per_txn", 1073741824.0, &c.wal_bytes_per_txn));
    WALTUNE_RETURN_IF_ERROR(
        read("wal_record_bytes_per_txn", 1073741824.0, &c.wal_record_bytes_per_txn));
    WALTUNE_RETURN_IF_ERROR(ReadImageSize(e, field + ".engines." + key, &c));
    WALTUNE_RETURN_IF_ERROR(read("replay_bytes_per_s", 1e12, &c.replay_bytes_per_s));
    WALTUNE_RETURN_IF_ERROR(read("restart_overhead_s", 86400, &c.restart_overhead_s));
    if (e.contains("replay_buffer_miss_fraction") && !e["replay_buffer_miss_fraction"].is_null()) {
      const json& f = e["replay_buffer_miss_fraction"];
      if (!f.is_number() || !(f.get<double>() >= 0 && f.get<double>() < 1)) {
        return Status::InvalidArgument(field + ".engines." + key + ".replay_buffer_miss_fraction",
                                       "must be a number in [0, 1)");
      }
      c.replay_buffer_miss_fraction = f.get<double>();
    }
    std::optional<double> fit_windows;
    WALTUNE_RETURN_IF_ERROR(read("restart_fit_windows", 1000, &fit_windows));
    if (fit_windows) {
      if (*fit_windows != std::floor(*fit_windows) || *fit_windows < kMinRestartLineWindows ||
          !c.replay_bytes_per_s || !c.restart_overhead_s) {
        return Status::InvalidArgument(
            field + ".engines." + key + ".restart_fit_windows",
            "must be a whole number of restarts, at least " +
                std::to_string(kMinRestartLineWindows) +
                " (a line needs their spread about it), with replay_bytes_per_s and "
                "restart_overhead_s (the line fitted over them); `waltune verify --calibrate` "
                "with the file refits an older one");
      }
      c.restart_fit_windows = static_cast<int>(*fit_windows);
    }
    WALTUNE_RETURN_IF_ERROR(ReadReplayWindow(e, field + ".engines." + key, &c));
    WALTUNE_RETURN_IF_ERROR(ReadEngineMajor(e, field + ".engines." + key, &c));
    WALTUNE_RETURN_IF_ERROR(
        AdvisorFor(s_.engine).CheckImageCalibration(c, field + ".engines." + key));
    c.cpu_includes_flush_wait = e.contains("durability_level") && e["durability_level"] == "strict";
    c.present = true;
    c.source = cal.contains("machine") && cal["machine"].is_string()
                   ? cal["machine"].get<std::string>()
                   : std::string("calibration file");
    std::string used = CalibrationNumbersUsed(c);
    std::string replay_workload;
    WALTUNE_RETURN_IF_ERROR(ReadReplayWorkload(e, field + ".engines." + key, &replay_workload));
    if (c.replay_bytes_per_s && !replay_workload.empty()) {
      // A replay rate is that workload's mix of records and full-page images: PostgreSQL's
      // `update` replayed at 0.84 of a rate calibrated on `tpcb` (docs/verify.md, "The same
      // calibration on `update`").
      used += "; the replay rate was measured on verify's '" + replay_workload +
              "' workload and holds for its mix of records and full-page images (another "
              "workload's can replay slower: calibrate with the server's own)";
    }
    s_.assumptions.push_back(Assumption{
        "--calibration", used.empty() ? "no usable numbers" : used, AssumptionSource::kCalibration,
        "measured by `waltune verify --calibrate` (" + c.source +
            "); these replace the model's defaults for this engine"});
    return Status::Ok();
  }

  const json& request_;
  const ParseOptions& options_;
  json c_;
  std::string query_;
  std::string excerpt_text_;
  QueryReading text_;           // the query
  QueryReading excerpt_;        // reference_excerpt (only its loss-averse signal is used)
  UpstreamReading upstream_;    // engine/version fields of upstream_results
  QueryReading upstream_text_;  // every string in upstream_results (loss-averse signal only)
  Scenario s_;
};

}  // namespace

Result<Scenario> ParseRequest(const json& request, const ParseOptions& options) {
  return RequestParser(request, options).Parse();
}

Result<Scenario> ParseRequestText(const std::string& text, const ParseOptions& options) {
  auto request = ParseJsonInput(text, "request");  // bad JSON, 1e999, deep nesting: exit 2
  if (!request.ok()) return request.status();
  return ParseRequest(*request, options);
}

}  // namespace waltune
