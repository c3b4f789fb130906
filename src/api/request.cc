// Request parsing: JSON -> Scenario, per shared/CONTRACT.md.
// Order of precedence for every input: explicit constraint > upstream_results > hint in the
// free-text query > default. Everything not explicit is listed in Scenario::assumptions.
#include "waltune/request.h"

#include <cmath>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "waltune/engine.h"
#include "waltune/units.h"

namespace waltune {
namespace {

using json = nlohmann::json;

constexpr double kMaxWriteRateTps = 5e6;        // beyond any single-node engine
constexpr double kMaxRecoveryTargetS = 7 * 86400;
constexpr int kMaxConcurrency = 100000;

std::string FormatNumber(double v) {
  char buf[64];
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    std::snprintf(buf, sizeof(buf), "%.0f", v);
  } else {
    std::snprintf(buf, sizeof(buf), "%.3g", v);
  }
  return buf;
}

// A JSON scalar as text: strings as-is, numbers formatted, anything else is an error.
Result<std::string> ScalarText(const json& v, const std::string& field, const char* expected) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number()) return FormatNumber(v.get<double>());
  return Status::InvalidArgument(field, std::string("must be ") + expected + ", got " +
                                            std::string(v.type_name()));
}

// ----- engine ------------------------------------------------------------------------------

struct EngineMatch {
  Engine engine;
  std::optional<std::string> version_text;
};

// Recognises "postgres", "pg", "postgresql 16", "mysql 8.0.36", "innodb", "mariadb 10.11",
// "sqlite3" as the whole text.
std::optional<EngineMatch> MatchEngine(const std::string& raw) {
  static const std::regex kPattern(
      R"(^\s*(postgresql|postgres|pgsql|pg|mysql\s*/\s*innodb|mysql\s+innodb|mysql|innodb|percona(?:\s+server)?|mariadb|maria\s*db|sqlite\s*3|sqlite)\s*(?:v(?:ersion)?\s*)?([0-9][0-9.]*)?\s*$)",
      std::regex::icase);
  std::smatch m;
  if (!std::regex_match(raw, m, kPattern)) return std::nullopt;
  std::string name = NormalizeText(m[1].str());
  EngineMatch match{Engine::kPostgreSQL, std::nullopt};
  if (name.rfind("post", 0) == 0 || name == "pg" || name == "pgsql") {
    match.engine = Engine::kPostgreSQL;
  } else if (name.rfind("maria", 0) == 0) {
    match.engine = Engine::kMariaDB;
  } else if (name.rfind("sqlite", 0) == 0) {
    match.engine = Engine::kSQLite;
    if (name == "sqlite3" || name == "sqlite 3") match.version_text = "3";
  } else {
    match.engine = Engine::kMySQL;
  }
  if (m[2].matched) match.version_text = m[2].str();
  return match;
}

// Finds an engine named anywhere in free text (word match).
std::optional<Engine> FindEngineInText(const std::string& text) {
  static const std::vector<std::pair<std::regex, Engine>> kPatterns = {
      {std::regex(R"(\b(postgresql|postgres|pgsql)\b)", std::regex::icase), Engine::kPostgreSQL},
      {std::regex(R"(\bmariadb\b)", std::regex::icase), Engine::kMariaDB},
      {std::regex(R"(\b(mysql|innodb|percona)\b)", std::regex::icase), Engine::kMySQL},
      {std::regex(R"(\bsqlite3?\b)", std::regex::icase), Engine::kSQLite},
  };
  std::optional<Engine> found;
  size_t best = std::string::npos;
  for (const auto& [re, engine] : kPatterns) {
    std::smatch m;
    if (std::regex_search(text, m, re) && static_cast<size_t>(m.position(0)) < best) {
      best = m.position(0);
      found = engine;
    }
  }
  return found;
}

Result<EngineVersion> ParseVersion(const std::string& text, const std::string& field) {
  static const std::regex kVersion(R"(^\s*v?(\d{1,3})(?:\.(\d{1,3}))?(?:\.(\d{1,4}))?\s*$)");
  std::smatch m;
  if (!std::regex_match(text, m, kVersion)) {
    return Status::InvalidArgument(field, "'" + text + "' is not a version such as \"16\", "
                                          "\"8.0.36\" or \"10.11\"");
  }
  EngineVersion v;
  v.major = std::stoi(m[1].str());
  if (m[2].matched) v.minor = std::stoi(m[2].str());
  if (m[3].matched) v.patch = std::stoi(m[3].str());
  return v;
}

// ----- durability and storage ---------------------------------------------------------------

Result<Durability> ParseDurability(const std::string& raw, const std::string& field) {
  std::string s = NormalizeText(raw);
  static const std::vector<std::pair<std::vector<std::string>, Durability>> kAliases = {
      {{"strict", "fsync every commit", "fsync on every commit", "fsync each commit",
        "every commit", "sync every commit", "full", "durable", "synchronous", "no data loss",
        "zero data loss"},
       Durability::kStrict},
      {{"standard", "group commit", "normal", "balanced", "bounded", "default"},
       Durability::kStandard},
      {{"relaxed", "async", "asynchronous", "none", "fast", "max throughput", "best effort",
        "off"},
       Durability::kRelaxed},
  };
  for (const auto& [names, level] : kAliases) {
    for (const auto& n : names) {
      if (s == n) return level;
    }
  }
  return Status::InvalidArgument(
      field, "'" + raw + "' is not a durability requirement; expected \"fsync every commit\" "
                         "(strict), \"group commit\" (standard) or \"relaxed\"");
}

std::optional<StorageClass> MatchStorage(const std::string& raw) {
  std::string s = NormalizeText(raw);
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

// ----- hints in the free-text query -----------------------------------------------------------

struct Hints {
  std::optional<Durability> durability;
  std::string durability_evidence;
  std::optional<double> write_rate_tps;
  std::string rate_evidence;
  std::optional<double> recovery_target_s;
  std::string recovery_evidence;
  std::optional<StorageClass> storage;
  std::string storage_evidence;
  std::optional<int> concurrency;
  std::string concurrency_evidence;
  std::optional<Replication> replication;
  std::optional<std::string> write_pattern;
  std::string pattern_evidence;
  std::vector<std::string> out_of_scope;
};

std::optional<std::string> FirstMatch(const std::string& text, const std::regex& re) {
  std::smatch m;
  if (std::regex_search(text, m, re)) return m[0].str();
  return std::nullopt;
}

Hints ReadHints(const std::string& query) {
  Hints h;
  if (query.empty()) return h;
  const auto icase = std::regex::icase;
  // Durability. A stated tolerance for loss wins over the domain words.
  static const std::regex kStandardPhrase(
      R"(\b(can|could|may|ok to|okay to|fine to|acceptable to)\s+(afford to\s+)?lose\s+(about\s+|up to\s+|at most\s+)?(a|one|1)\s+(second|sec|s)\b|lose\s+(at most|up to)\s+(a|one|1)\s+second|bounded\s+loss)",
      icase);
  static const std::regex kRelaxedPhrase(
      R"(\b(analytics|staging|test(ing)?\s+(env|environment|database|db)|dev(elopment)?\s+(env|environment|database|db)|scratch|ephemeral|throwaway|cache|can\s+(afford to\s+)?lose\s+(some|recent|a few|the last|minutes|several)|data\s+loss\s+is\s+(ok|okay|acceptable|fine)|don'?t\s+care\s+about\s+(durability|losing)|re-?loadable|reproducible data)\b)",
      icase);
  static const std::regex kStrictPhrase(
      R"(\b(payments?|financial|finance|banking|bank|ledger|billing|medical|health(care)?|patient|orders?|money|no\s+data\s+loss|zero\s+data\s+loss|(can'?t|cannot|can\s+not|must\s+not|never)\s+lose|every\s+commit\s+(must\s+be\s+)?durable|fully\s+durable)\b)",
      icase);
  if (auto m = FirstMatch(query, kStandardPhrase)) {
    h.durability = Durability::kStandard;
    h.durability_evidence = *m;
  } else if (auto m2 = FirstMatch(query, kStrictPhrase)) {
    h.durability = Durability::kStrict;
    h.durability_evidence = *m2;
  } else if (auto m3 = FirstMatch(query, kRelaxedPhrase)) {
    h.durability = Durability::kRelaxed;
    h.durability_evidence = *m3;
  }
  // Write rate: "20k tps", "5000 transactions per second", "300 tx/s", "2,000 writes/s".
  static const std::regex kRate(
      R"(([0-9][0-9,._]*\s*[km]?)\s*(tps|tx/s|txn/s|transactions?\s*(per|/)\s*s(ec(ond)?)?|writes?\s*(per|/)\s*s(ec(ond)?)?|commits?\s*(per|/)\s*s(ec(ond)?)?|inserts?\s*(per|/)\s*s(ec(ond)?)?))",
      icase);
  std::smatch m;
  if (std::regex_search(query, m, kRate)) {
    std::string num = m[1].str();
    auto rate = ParseRateTps(num + " tps", "query");
    if (rate.ok() && *rate > 0) {
      h.write_rate_tps = *rate;
      h.rate_evidence = m[0].str();
    }
  }
  // Recovery target: "recover within 30 seconds", "recovery time under 2 minutes", "RTO 60s".
  static const std::regex kRecovery(
      R"((recover(y|ed|s)?|restart|rto|back\s+up|downtime)[^.;0-9]{0,40}?([0-9]+(\.[0-9]+)?)\s*(ms|s|sec|secs|seconds?|m|min|mins|minutes?|h|hours?)\b)",
      icase);
  if (std::regex_search(query, m, kRecovery)) {
    auto d = ParseDurationS(m[3].str() + m[5].str(), "query");
    if (d.ok() && *d > 0) {
      h.recovery_target_s = *d;
      h.recovery_evidence = m[0].str();
    }
  }
  // Storage.
  static const std::regex kStorage(
      R"(\b(nvme(\s+(with|w/)\s+power[- ]loss\s+protection)?|enterprise\s+(ssd|nvme)|sata\s+ssd|ssds?|hdds?|spinning\s+(disks?|rust)|hard\s+(disk|drive)s?|battery[- ]backed(\s+(write\s+)?cache)?|bbu|bbwc|7200\s*rpm|15k\s*rpm)\b)",
      icase);
  if (std::regex_search(query, m, kStorage)) {
    if (auto cls = MatchStorage(m[0].str())) {
      h.storage = cls;
      h.storage_evidence = m[0].str();
    }
  }
  static const std::regex kClients(
      R"(\b([0-9]{1,6})\s+(concurrent\s+)?(clients|connections|writers|sessions|threads|backends)\b)",
      icase);
  if (std::regex_search(query, m, kClients)) {
    h.concurrency = std::stoi(m[1].str());
    h.concurrency_evidence = m[0].str();
  }
  static const std::regex kAppend(
      R"(\b(append[- ]only|insert[- ]only|inserts?\s+only|only\s+inserts?|time[- ]series|event\s+(log|store|stream)|audit\s+log)\b)",
      icase);
  if (std::regex_search(query, m, kAppend)) {
    h.write_pattern = "append";
    h.pattern_evidence = m[0].str();
  }
  static const std::regex kLogical(R"(\blogical\s+(replication|decoding)|\bcdc\b|debezium)",
                                   icase);
  static const std::regex kPhysical(
      R"(\b(replica|replicas|replication|standby|standbys|streaming|failover|binlog)\b)", icase);
  if (std::regex_search(query, kLogical)) {
    h.replication = Replication::kLogical;
  } else if (std::regex_search(query, kPhysical)) {
    h.replication = Replication::kPhysical;
  }
  // Parts of the question that belong to other specialists.
  struct Topic {
    std::regex re;
    const char* note;
  };
  static const std::vector<Topic> kTopics = {
      {std::regex(R"(\b(which|what)\s+(database|engine|db)\b|\bshould\s+(i|we)\s+(use|choose|pick|switch)|\bchoose\s+between\b|\b(postgres(ql)?|mysql|mariadb|sqlite)\s+(vs\.?|versus|or)\s+(postgres(ql)?|mysql|mariadb|sqlite)\b|\bmigrat(e|ion)\s+(to|from)\b)",
                  icase),
       "engine choice: waltune configures the engine you run; choosing one is for an "
       "engine-selection step"},
      {std::regex(R"(\b(index(es|ing)?|indices|slow\s+quer(y|ies)|query\s+plans?|explain|join)\b)",
                  icase),
       "indexes and query tuning are out of scope; waltune only configures WAL, checkpoints, "
       "group commit and durability"},
      {std::regex(R"(\b(isolation\s+levels?|serializable|repeatable\s+read|read\s+committed|deadlocks?|locking)\b)",
                  icase),
       "isolation levels and locking are out of scope"},
      {std::regex(R"(\b(schema|normali[sz](e|ation)|table\s+design|data\s+model(l)?ing|partition(ing)?|sharding)\b)",
                  icase),
       "schema design, partitioning and sharding are out of scope"},
      {std::regex(R"(\b(set\s*up|setup|configure|configuring)\s+(a\s+)?(replica(s|tion)?|standby|failover)|\bfailover\b|\bpatroni\b|\bgalera\b|\bgroup\s+replication\b)",
                  icase),
       "replication setup (replicas, failover) is out of scope; waltune only sets the WAL level "
       "or binary log that replication needs"},
  };
  for (const auto& t : kTopics) {
    if (std::regex_search(query, t.re)) h.out_of_scope.push_back(t.note);
  }
  return h;
}

// ----- upstream_results ---------------------------------------------------------------------

struct UpstreamEngine {
  std::optional<std::string> engine_text;  // a string that MatchEngine can read
  std::optional<std::string> version_text;
  std::string where;
};

UpstreamEngine ReadUpstream(const json& up) {
  UpstreamEngine out;
  if (up.is_object()) {
    static const char* kKeys[] = {"engine", "selected_engine", "db_engine", "recommended_engine",
                                  "database", "choice", "recommendation"};
    for (const char* key : kKeys) {
      if (!up.contains(key)) continue;
      const json& v = up[key];
      if (v.is_string()) {
        out.engine_text = v.get<std::string>();
        out.where = std::string("upstream_results.") + key;
        break;
      }
      if (v.is_object()) {  // {"engine": {"name": "PostgreSQL", "version": "16"}}
        for (const char* inner : {"name", "engine"}) {
          if (v.contains(inner) && v[inner].is_string()) {
            out.engine_text = v[inner].get<std::string>();
            out.where = std::string("upstream_results.") + key + "." + inner;
          }
        }
        if (v.contains("version") && (v["version"].is_string() || v["version"].is_number())) {
          out.version_text = v["version"].is_string() ? v["version"].get<std::string>()
                                                      : FormatNumber(v["version"].get<double>());
        }
        if (out.engine_text) break;
      }
    }
    for (const char* key : {"engine_version", "version"}) {
      if (!out.version_text && up.contains(key) &&
          (up[key].is_string() || up[key].is_number())) {
        out.version_text = up[key].is_string() ? up[key].get<std::string>()
                                               : FormatNumber(up[key].get<double>());
      }
    }
    if (!out.engine_text) {  // an engine named somewhere in the object's text
      if (auto e = FindEngineInText(up.dump())) {
        out.engine_text = EngineName(*e);
        out.where = "upstream_results (text)";
      }
    }
  } else if (up.is_string()) {
    if (auto e = FindEngineInText(up.get<std::string>())) {
      out.engine_text = EngineName(*e);
      out.where = "upstream_results (text)";
    }
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
      return Status::InvalidArgument("request", "must be a JSON object, got " +
                                                    std::string(request_.type_name()));
    }
    WALTUNE_RETURN_IF_ERROR(CheckTopLevel());
    hints_ = ReadHints(query_);
    WALTUNE_RETURN_IF_ERROR(ParseEngine());
    WALTUNE_RETURN_IF_ERROR(ParseDurabilityField());
    WALTUNE_RETURN_IF_ERROR(ParseRates());
    WALTUNE_RETURN_IF_ERROR(ParseStorage());
    WALTUNE_RETURN_IF_ERROR(ParseWorkloadShape());
    WALTUNE_RETURN_IF_ERROR(ParseReplication());
    WALTUNE_RETURN_IF_ERROR(ParseCalibration());
    s_.out_of_scope = hints_.out_of_scope;
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
    if (request_.contains("reference_excerpt") && !request_["reference_excerpt"].is_null() &&
        !request_["reference_excerpt"].is_string()) {
      return Status::InvalidArgument("reference_excerpt", "must be a string");
    }
    if (request_.contains("constraints") && !request_["constraints"].is_null()) {
      if (!request_["constraints"].is_object()) {
        return Status::InvalidArgument("constraints", "must be a JSON object");
      }
      c_ = request_["constraints"];
    } else {
      c_ = json::object();
    }
    static const std::set<std::string> kKnown = {
        "db_engine", "engine_version", "durability_requirement", "write_rate",
        "recovery_time_target", "storage_type", "concurrency", "txn_write_bytes", "rows_per_txn",
        "row_bytes", "data_size", "memory", "working_set", "replication", "storage_profile",
        "cpu_cores", "write_pattern", "statements_per_txn"};
    for (const auto& [key, value] : c_.items()) {
      if (!kKnown.count(key)) {
        s_.warnings.push_back("unknown constraint 'constraints." + key + "' ignored");
      }
    }
    return Status::Ok();
  }

  bool Has(const char* key) const { return c_.contains(key) && !c_[key].is_null(); }
  static std::string F(const char* key) { return std::string("constraints.") + key; }

  void Assume(std::string field, std::string value, const char* source, std::string reason) {
    s_.assumptions.push_back(
        Assumption{std::move(field), std::move(value), source, std::move(reason)});
    if (std::string(source) == "default") {
      ++s_.defaulted_inputs;
    } else if (std::string(source) == "inferred") {
      ++s_.inferred_inputs;
    }
  }

  Status ParseEngine() {
    std::optional<EngineMatch> match;
    std::string version_field = F("engine_version");
    const char* engine_source = nullptr;
    std::string engine_reason;
    if (Has("db_engine")) {
      if (!c_["db_engine"].is_string()) {
        return Status::InvalidArgument(F("db_engine"), "must be a string such as \"PostgreSQL\"");
      }
      std::string raw = c_["db_engine"].get<std::string>();
      match = MatchEngine(raw);
      if (!match) {
        return Status::InvalidArgument(
            F("db_engine"), "unknown engine '" + raw +
                                "'; waltune knows PostgreSQL, MySQL/InnoDB, MariaDB and SQLite");
      }
    } else if (request_.contains("upstream_results") && !request_["upstream_results"].is_null()) {
      UpstreamEngine up = ReadUpstream(request_["upstream_results"]);
      if (up.engine_text) {
        match = MatchEngine(*up.engine_text);
        if (!match) {  // e.g. "PostgreSQL 16 on RDS": look for a name inside
          if (auto e = FindEngineInText(*up.engine_text)) match = EngineMatch{*e, std::nullopt};
        }
        if (!match) {
          return Status::InvalidArgument(up.where, "unknown engine '" + *up.engine_text +
                                                       "' in upstream_results");
        }
        if (!match->version_text && up.version_text) match->version_text = up.version_text;
        engine_source = "upstream";
        engine_reason = "db_engine not given; taken from " + up.where;
        version_field = "upstream_results";
      }
    }
    if (!match) {
      if (auto e = FindEngineInText(query_)) {
        match = EngineMatch{*e, std::nullopt};
        engine_source = "inferred";
        engine_reason = "db_engine not given; the query names it";
      }
    }
    if (!match) {
      return Status::InvalidArgument(
          F("db_engine"), "is required: name the engine (PostgreSQL, MySQL/InnoDB, MariaDB or "
                          "SQLite) in constraints.db_engine or upstream_results");
    }
    s_.engine = match->engine;
    if (engine_source) Assume(F("db_engine"), EngineName(s_.engine), engine_source, engine_reason);

    const EngineAdvisor& advisor = AdvisorFor(s_.engine);
    std::optional<std::string> version_text;
    if (Has("engine_version")) {
      auto text = ScalarText(c_["engine_version"], F("engine_version"), "a version string");
      if (!text.ok()) return text.status();
      version_text = *text;
      version_field = F("engine_version");
    } else if (match->version_text) {
      version_text = match->version_text;
      if (version_field == F("engine_version")) version_field = F("db_engine");
    }
    if (version_text) {
      auto v = ParseVersion(*version_text, version_field);
      if (!v.ok()) return v.status();
      s_.version = *v;
      Status st = advisor.CheckVersion(s_.version, &s_.warnings);
      if (!st.ok()) return Status::InvalidArgument(version_field, st.message());
    } else {
      s_.version = advisor.DefaultVersion();
      Assume(F("engine_version"), s_.version.ToString(), "default",
             "not given; assumed the newest version waltune models");
    }
    return Status::Ok();
  }

  Status ParseDurabilityField() {
    if (Has("durability_requirement")) {
      if (!c_["durability_requirement"].is_string()) {
        return Status::InvalidArgument(F("durability_requirement"),
                                       "must be a string: \"strict\", \"standard\" or \"relaxed\"");
      }
      auto d = ParseDurability(c_["durability_requirement"].get<std::string>(),
                               F("durability_requirement"));
      if (!d.ok()) return d.status();
      s_.durability = *d;
    } else if (hints_.durability) {
      s_.durability = *hints_.durability;
      Assume(F("durability_requirement"), DurabilityName(s_.durability), "inferred",
             "the query says \"" + hints_.durability_evidence + "\"");
    } else {
      s_.durability = Durability::kStandard;
      Assume(F("durability_requirement"), "standard", "default",
             "not given; waltune assumes standard (loss window of about a second on a crash)");
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
    } else if (hints_.write_rate_tps && *hints_.write_rate_tps <= kMaxWriteRateTps) {
      s_.workload.write_rate_tps = *hints_.write_rate_tps;
      Assume(F("write_rate"), FormatNumber(s_.workload.write_rate_tps) + " tps", "inferred",
             "the query says \"" + hints_.rate_evidence + "\"");
    } else {
      s_.workload.write_rate_tps = 1000;
      Assume(F("write_rate"), "1000 tps", "default", "not given; a moderate OLTP write rate");
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
    } else if (hints_.recovery_target_s && *hints_.recovery_target_s <= kMaxRecoveryTargetS) {
      s_.recovery_target_s = *hints_.recovery_target_s;
      Assume(F("recovery_time_target"), FormatPgDuration(s_.recovery_target_s), "inferred",
             "the query says \"" + hints_.recovery_evidence + "\"");
    } else {
      s_.recovery_target_s = 60;
      Assume(F("recovery_time_target"), "60s", "default",
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
        s_.warnings.push_back("constraints.storage_type is overridden by the measured storage "
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
        return Status::InvalidArgument(
            F("storage_type"), "unknown storage '" + raw +
                                   "'; expected HDD, SSD, NVMe, \"NVMe with power-loss "
                                   "protection\" or \"battery-backed cache\"");
      }
      s_.storage = StoragePreset(*cls);
      if (*cls == StorageClass::kConsumerNvme || *cls == StorageClass::kSataSsd) {
        Assume(F("storage_type"), s_.storage.name, "inferred",
               "'" + raw + "' does not say whether the drive has power-loss protection; "
               "assumed it has none (slower flushes). Say \"with power-loss protection\" "
               "or run `waltune probe`");
      }
    } else if (hints_.storage) {
      s_.storage = StoragePreset(*hints_.storage);
      Assume(F("storage_type"), s_.storage.name, "inferred",
             "the query says \"" + hints_.storage_evidence + "\"");
    } else {
      s_.storage = StoragePreset(StorageClass::kSataSsd);
      Assume(F("storage_type"), s_.storage.name, "default",
             "not given; assumed a consumer SSD. Run `waltune probe` to measure");
    }
    return Status::Ok();
  }

  Result<double> PositiveNumber(const char* key, double max, bool integer) {
    const json& v = c_[key];
    double x;
    if (v.is_number()) {
      x = v.get<double>();
    } else if (v.is_string()) {
      std::string t = NormalizeText(v.get<std::string>());
      char* end = nullptr;
      x = std::strtod(t.c_str(), &end);
      if (t.empty() || end != t.c_str() + t.size()) {
        return Status::InvalidArgument(F(key), "'" + v.get<std::string>() + "' is not a number");
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
      return Status::InvalidArgument(F(key), "'" + *text + "' is too small (at least " +
                                                 FormatHumanBytes(min_bytes) + ")");
    }
    return *b;
  }

  Status ParseWorkloadShape() {
    Workload& w = s_.workload;
    if (Has("concurrency")) {
      auto n = PositiveNumber("concurrency", kMaxConcurrency, true);
      if (!n.ok()) return n.status();
      w.concurrency = static_cast<int>(*n);
    } else if (hints_.concurrency && *hints_.concurrency >= 1 &&
               *hints_.concurrency <= kMaxConcurrency) {
      w.concurrency = *hints_.concurrency;
      Assume(F("concurrency"), std::to_string(w.concurrency), "inferred",
             "the query says \"" + hints_.concurrency_evidence + "\"");
    } else {
      w.concurrency = 8;
      Assume(F("concurrency"), "8", "default", "not given; 8 clients committing at once");
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
        Assume(F("txn_write_bytes"), std::to_string(w.txn_write_bytes) + " bytes", "default",
               "not given; 4 rows of 100 bytes per transaction");
      }
    }
    if (Has("memory")) {
      auto b = Bytes("memory", 64 * kMiB);
      if (!b.ok()) return b.status();
      w.memory_bytes = *b;
    }
    if (Has("data_size")) {
      auto b = Bytes("data_size", 1);
      if (!b.ok()) return b.status();
      w.data_size_bytes = *b;
    }
    if (Has("working_set")) {
      auto b = Bytes("working_set", 1);
      if (!b.ok()) return b.status();
      w.working_set_bytes = *b;
      if (w.data_size_bytes && w.working_set_bytes > w.data_size_bytes) {
        return Status::InvalidArgument(F("working_set"), "is larger than constraints.data_size");
      }
    } else if (w.data_size_bytes) {
      w.working_set_bytes = std::max<uint64_t>(w.data_size_bytes / 5, 8192);
      Assume(F("working_set"), FormatHumanBytes(w.working_set_bytes), "default",
             "not given; assumed writes go to 20% of data_size");
    } else {
      w.working_set_bytes = w.memory_bytes ? w.memory_bytes / 4 : 2 * kGiB;
      Assume(F("working_set"), FormatHumanBytes(w.working_set_bytes), "default",
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
      Assume(F("cpu_cores"), "8", "default", "not given; sets the CPU ceiling of commit rate");
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
    } else if (hints_.write_pattern) {
      pattern = *hints_.write_pattern;
      Assume(F("write_pattern"), pattern, "inferred",
             "the query says \"" + hints_.pattern_evidence + "\"");
    } else {
      Assume(F("write_pattern"), "random", "default",
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
    } else if (hints_.replication) {
      s_.replication = *hints_.replication;
      Assume(F("replication"), ReplicationName(s_.replication), "inferred",
             "the query mentions replication; only the WAL level / binary log is set for it");
    }
    return Status::Ok();
  }

  Status ParseCalibration() {
    const json& cal = options_.calibration;
    if (cal.is_null()) return Status::Ok();
    const std::string field = "--calibration";
    if (!cal.is_object()) return Status::InvalidArgument(field, "must be a JSON object");
    // Format (docs/verify.md): {"machine": ..., "engines": {"postgresql": {...}, ...}}
    const char* key = s_.engine == Engine::kPostgreSQL ? "postgresql"
                      : s_.engine == Engine::kSQLite   ? "sqlite"
                      : s_.engine == Engine::kMariaDB  ? "mariadb"
                                                       : "mysql";
    if (!cal.contains("engines") || !cal["engines"].is_object()) {
      return Status::InvalidArgument(field + ".engines", "is missing");
    }
    if (!cal["engines"].contains(key)) {
      s_.warnings.push_back(std::string("calibration file has no numbers for ") + key +
                            "; using the model's defaults");
      return Status::Ok();
    }
    const json& e = cal["engines"][key];
    auto read = [&](const char* name, std::optional<double>* out) -> Status {
      if (!e.contains(name) || e[name].is_null()) return Status::Ok();
      if (!e[name].is_number() || e[name].get<double>() <= 0) {
        return Status::InvalidArgument(field + ".engines." + key + "." + name,
                                       "must be a positive number");
      }
      *out = e[name].get<double>();
      return Status::Ok();
    };
    Calibration& c = s_.calibration;
    WALTUNE_RETURN_IF_ERROR(read("txn_cpu_us", &c.txn_cpu_us));
    WALTUNE_RETURN_IF_ERROR(read("wal_bytes_per_txn", &c.wal_bytes_per_txn));
    WALTUNE_RETURN_IF_ERROR(read("replay_bytes_per_s", &c.replay_bytes_per_s));
    WALTUNE_RETURN_IF_ERROR(read("restart_overhead_s", &c.restart_overhead_s));
    c.cpu_includes_flush_wait = e.contains("durability_level") && e["durability_level"] == "strict";
    c.present = true;
    c.source = cal.contains("machine") && cal["machine"].is_string()
                   ? cal["machine"].get<std::string>()
                   : std::string("calibration file");
    std::string used;
    for (const auto& [name, value] : {std::pair<const char*, const std::optional<double>&>{
                                          "txn_cpu_us", c.txn_cpu_us},
                                      {"wal_bytes_per_txn", c.wal_bytes_per_txn},
                                      {"replay_bytes_per_s", c.replay_bytes_per_s},
                                      {"restart_overhead_s", c.restart_overhead_s}}) {
      if (value) used += (used.empty() ? "" : ", ") + std::string(name) + " " + FormatNumber(*value);
    }
    s_.assumptions.push_back(Assumption{
        "--calibration", used.empty() ? "no usable numbers" : used, "calibration",
        "measured by `waltune verify --calibrate` (" + c.source +
            "); these replace the model's defaults for this engine"});
    return Status::Ok();
  }

  const json& request_;
  const ParseOptions& options_;
  json c_;
  std::string query_;
  Hints hints_;
  Scenario s_;
};

}  // namespace

Result<Scenario> ParseRequest(const json& request, const ParseOptions& options) {
  return RequestParser(request, options).Parse();
}

Result<Scenario> ParseRequestText(const std::string& text, const ParseOptions& options) {
  json request;
  try {
    request = json::parse(text);
  } catch (const json::parse_error& e) {
    return Status::InvalidArgument("request", std::string("invalid JSON: ") + e.what());
  }
  return ParseRequest(request, options);
}

}  // namespace waltune
