// Reading a whole request: the examples of issue 10 end to end, explicit vs inferred values and
// their warnings, versions that flow into the advice, checked numbers, and the safety property.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "corpus.h"
#include "test_util.h"
#include "waltune/query_reader.h"

namespace waltune {
namespace {

using json = nlohmann::json;
using testing::AdviseOk;
using testing::Request;
using testing::Value;

Scenario ParseOk(const json& request) {
  auto s = ParseRequest(request);
  EXPECT_TRUE(s.ok()) << request.dump() << " -> " << s.status().ToString();
  return s.ok() ? *s : Scenario{};
}

const Assumption* FindAssumption(const Scenario& s, const std::string& field) {
  const Assumption* last = nullptr;
  for (const auto& a : s.assumptions) {
    if (a.field == field) last = &a;
  }
  return last;
}

bool AnyWarningContains(const std::vector<std::string>& warnings, const std::string& text) {
  for (const auto& w : warnings) {
    if (w.find(text) != std::string::npos) return true;
  }
  return false;
}

// The first example of issue 10: read as standard before, with synchronous_commit=off.
TEST(IssueExamples, ZeroRpoIsStrictAndNeverAsynchronous) {
  json request = {{"query", "Zero RPO: no acknowledged transaction may ever be lost. 30k tps."},
                  {"constraints",
                   {{"db_engine", "PostgreSQL"},
                    {"engine_version", "16"},
                    {"storage_type", "SATA SSD"},
                    {"recovery_time_target", "60s"}}}};
  Scenario s = ParseOk(request);
  EXPECT_EQ(s.durability, Durability::kStrict);
  EXPECT_DOUBLE_EQ(s.workload.write_rate_tps, 30000);
  const Assumption* a = FindAssumption(s, "constraints.durability_requirement");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->source, AssumptionSource::kInferred);
  EXPECT_NE(a->reason.find("zero rpo"), std::string::npos) << a->reason;
  Advice advice = AdviseOk(request);
  EXPECT_EQ(advice.durability, Durability::kStrict);
  EXPECT_NE(Value(advice, "synchronous_commit"), "off");
  EXPECT_EQ(AdviceToJson(advice)["durability_level"], "strict");
}

TEST(IssueExamples, CurlyApostrophesAndIncidentalWords) {
  EXPECT_EQ(
      ParseOk(Request({{"db_engine", "pg"}}, "We can\xE2\x80\x99t lose any orders.")).durability,
      Durability::kStrict);
  EXPECT_EQ(ParseOk(Request({{"db_engine", "pg"}},
                            "Throwaway test database, in order to reproduce a bug."))
                .durability,
            Durability::kRelaxed);
}

// "We run MySQL 8.0.20": the version flows into the advice, which must not use
// innodb_redo_log_capacity (MySQL 8.0.30+; 8.0.20 refuses to start with it).
TEST(IssueExamples, VersionInProseReachesTheAdvice) {
  json mysql = {{"query", "We run MySQL 8.0.20 for the orders service, 2000 tps."}};
  Scenario s = ParseOk(mysql);
  EXPECT_EQ(s.engine, Engine::kMySQL);
  EXPECT_EQ(s.version, (EngineVersion{8, 0, 20}));
  EXPECT_EQ(FindAssumption(s, "constraints.engine_version")->source, AssumptionSource::kInferred);
  Advice a = AdviseOk(mysql);
  EXPECT_EQ(a.Find("innodb_redo_log_capacity"), nullptr);
  EXPECT_NE(a.Find("innodb_log_file_size"), nullptr);

  // PostgreSQL 12 rejects wal_compression = 'lz4' (new in 15).
  for (const json& req :
       {json{{"query", "PostgreSQL 12, about 3k tps"}},
        json{{"query", "Tune WAL please."},
             {"upstream_results", {{"recommendation", "Recommended: PostgreSQL 13"}}}},
        json{{"query", "Tune WAL please."}, {"upstream_results", "Recommended: PostgreSQL 13"}},
        json{{"query", "pg13, 500 tps"}}}) {
    Scenario pg = ParseOk(req);
    EXPECT_EQ(pg.engine, Engine::kPostgreSQL) << req.dump();
    EXPECT_LT(pg.version.major, 15) << req.dump();
    Advice pa = AdviseOk(req);
    const std::string compression = Value(pa, "wal_compression");
    EXPECT_EQ(compression.find("lz4"), std::string::npos) << req.dump();
    EXPECT_EQ(compression.find("zstd"), std::string::npos) << req.dump();
  }
}

TEST(IssueExamples, OtherProse) {
  Scenario s =
      ParseOk(Request({{"db_engine", "pg"}},
                      "32 app connections, NVMe drives with PLP, back online within 2 minutes, 400 "
                      "transactions a second"));
  EXPECT_EQ(s.workload.concurrency, 32);
  EXPECT_EQ(s.storage.storage_class, StorageClass::kEnterpriseFlash);
  EXPECT_DOUBLE_EQ(s.recovery_target_s, 120);
  EXPECT_DOUBLE_EQ(s.workload.write_rate_tps, 400);
  EXPECT_EQ(
      ParseOk(Request({{"db_engine", "mysql"}}, "RAID controller with BBU")).storage.storage_class,
      StorageClass::kBatteryBackedCache);
  for (const char* field : {"constraints.concurrency", "constraints.storage_type",
                            "constraints.recovery_time_target", "constraints.write_rate"}) {
    const Assumption* a = FindAssumption(s, field);
    ASSERT_NE(a, nullptr) << field;
    EXPECT_EQ(a->source, AssumptionSource::kInferred) << field;
    EXPECT_NE(a->reason.find("the query says \""), std::string::npos) << a->reason;
  }
}

TEST(IssueExamples, GroupCommitIsStrictAndSaysSo) {
  Scenario s = ParseOk(Request({{"db_engine", "pg"}, {"durability_requirement", "group commit"}}));
  EXPECT_EQ(s.durability, Durability::kStrict);
  const Assumption* a = FindAssumption(s, "constraints.durability_requirement");
  ASSERT_NE(a, nullptr);
  EXPECT_NE(a->reason.find("synchronous group commit"), std::string::npos);
  Advice advice =
      AdviseOk(Request({{"db_engine", "pg"}, {"durability_requirement", "group commit"}}));
  EXPECT_EQ(Value(advice, "synchronous_commit"), "on");
}

TEST(Precedence, ExplicitBeatsInferredAndEveryConflictIsAWarning) {
  Scenario v = ParseOk(
      Request({{"db_engine", "pg"}, {"engine_version", "16"}}, "We are on PostgreSQL 13 today."));
  EXPECT_EQ(v.version.major, 16);
  EXPECT_TRUE(AnyWarningContains(v.warnings, "postgresql 13"))
      << ::testing::PrintToString(v.warnings);

  Scenario e = ParseOk(Request({{"db_engine", "mysql"}}, "Our Postgres 15 box is slow."));
  EXPECT_EQ(e.engine, Engine::kMySQL);
  EXPECT_EQ(e.version.major, 8);  // not the 15 of another engine
  EXPECT_TRUE(AnyWarningContains(e.warnings, "constraints.db_engine"));

  Scenario r = ParseOk(Request({{"db_engine", "pg"}, {"write_rate", "500 tps"}}, "about 20k tps"));
  EXPECT_DOUBLE_EQ(r.workload.write_rate_tps, 500);
  EXPECT_TRUE(AnyWarningContains(r.warnings, "constraints.write_rate"));

  Scenario st = ParseOk(Request({{"db_engine", "pg"}, {"storage_type", "HDD"}}, "on NVMe"));
  EXPECT_EQ(st.storage.storage_class, StorageClass::kHdd);
  EXPECT_TRUE(AnyWarningContains(st.warnings, "constraints.storage_type"));

  Scenario rec = ParseOk(json{{"upstream_results",
                               "We considered MySQL 8.4 but recommend "
                               "PostgreSQL 15 for this workload."}});
  EXPECT_EQ(rec.engine, Engine::kPostgreSQL);
  EXPECT_EQ(rec.version.major, 15);

  Scenario up = ParseOk(json{{"query", "we run PostgreSQL 13"},
                             {"upstream_results", {{"selected_engine", "PostgreSQL 16"}}}});
  EXPECT_EQ(up.version.major, 16);
  EXPECT_TRUE(AnyWarningContains(up.warnings, "postgresql 13"));

  // The same value twice is not a conflict.
  Scenario same = ParseOk(Request({{"db_engine", "pg"}, {"engine_version", "16.2"}},
                                  "PostgreSQL 16 with 32 connections"));
  EXPECT_TRUE(same.warnings.empty()) << ::testing::PrintToString(same.warnings);
}

TEST(Precedence, DurabilityTakesTheStricterOfConstraintAndLossAverseText) {
  // Loss-averse text beats a weaker constraint, from the query, the excerpt or upstream.
  for (const json& req :
       {Request({{"db_engine", "pg"}, {"durability_requirement", "relaxed"}},
                "no acknowledged transaction may ever be lost"),
        json{{"constraints", {{"db_engine", "pg"}, {"durability_requirement", "standard"}}},
             {"reference_excerpt", "Requirement R4: committed data must never be lost."}},
        json{{"constraints", {{"db_engine", "pg"}, {"durability_requirement", "standard"}}},
             {"upstream_results", {{"engine", "PostgreSQL"}, {"notes", "zero RPO required"}}}}}) {
    Scenario s = ParseOk(req);
    EXPECT_EQ(s.durability, Durability::kStrict) << req.dump();
    EXPECT_TRUE(AnyWarningContains(s.warnings, "used strict")) << req.dump();
  }
  // A stricter constraint stays, and a looser text is a warning.
  Scenario s = ParseOk(
      Request({{"db_engine", "pg"}, {"durability_requirement", "strict"}}, "we can lose a second"));
  EXPECT_EQ(s.durability, Durability::kStrict);
  EXPECT_FALSE(s.warnings.empty());
  // A tolerant text does not loosen an explicit standard either.
  Scenario t = ParseOk(Request({{"db_engine", "pg"}, {"durability_requirement", "standard"}},
                               "it is a throwaway cache"));
  EXPECT_EQ(t.durability, Durability::kStandard);
  EXPECT_FALSE(t.warnings.empty());
  // A tolerant sentence in a reference excerpt (documentation) never relaxes the answer.
  Scenario doc = ParseOk(json{{"constraints", {{"db_engine", "pg"}}},
                              {"reference_excerpt",
                               "With synchronous_commit=off you can lose "
                               "a few seconds of data; that is fine for "
                               "caches."}});
  EXPECT_EQ(doc.durability, Durability::kStandard);
  EXPECT_EQ(FindAssumption(doc, "constraints.durability_requirement")->source,
            AssumptionSource::kDefault);
  // Nor does a domain word in it ("orders" in a manual is not the user's data).
  Scenario doc2 = ParseOk(json{{"constraints", {{"db_engine", "pg"}}},
                               {"reference_excerpt",
                                "WAL records are replayed in LSN order; "
                                "the orders table in this example..."}});
  EXPECT_EQ(doc2.durability, Durability::kStandard);
}

TEST(CorruptionRisk, OnlyWhenSaidNeverByDefault) {
  EXPECT_FALSE(ParseOk(Request({{"db_engine", "sqlite"}})).accepts_corruption_risk);
  EXPECT_FALSE(ParseOk(Request({{"db_engine", "sqlite"}, {"durability_requirement", "relaxed"}}))
                   .accepts_corruption_risk);
  EXPECT_TRUE(ParseOk(Request({{"db_engine", "sqlite"}, {"accepts_corruption_risk", true}}))
                  .accepts_corruption_risk);
  Scenario text = ParseOk(Request({{"db_engine", "sqlite"}},
                                  "Build cache; corruption is acceptable, we can rebuild "
                                  "the database."));
  EXPECT_TRUE(text.accepts_corruption_risk);
  EXPECT_EQ(text.durability, Durability::kRelaxed);
  EXPECT_EQ(FindAssumption(text, "constraints.accepts_corruption_risk")->source,
            AssumptionSource::kInferred);
  Scenario negated =
      ParseOk(Request({{"db_engine", "sqlite"}, {"durability_requirement", "relaxed"}},
                      "corruption is not acceptable"));
  EXPECT_FALSE(negated.accepts_corruption_risk);
  Scenario strict = ParseOk(Request({{"db_engine", "sqlite"}},
                                    "No data loss. We can rebuild the database if it corrupts."));
  EXPECT_EQ(strict.durability, Durability::kStrict);
  EXPECT_FALSE(strict.accepts_corruption_risk);
}

TEST(CheckedNumbers, AbsurdOrMalformedNumbersNameTheField) {
  const std::vector<std::pair<json, std::string>> cases = {
      {Request({{"db_engine", "pg"}}, "we need 9000000000 tps"), "query"},
      {Request({{"db_engine", "pg"}}, "about 2 million connections"), "query"},
      {Request({{"db_engine", "pg"}}, "we run PostgreSQL 9.6"), "query"},
      {Request({{"db_engine", "pg"}, {"concurrency", "1e400"}}), "constraints.concurrency"},
      {Request({{"db_engine", "pg"}, {"concurrency", "12abc"}}), "constraints.concurrency"},
      {Request({{"db_engine", "pg"}, {"cpu_cores", "99999999999999999999"}}),
       "constraints.cpu_cores"},
      {Request({{"db_engine", "pg"}, {"engine_version", "99999999999"}}),
       "constraints.engine_version"},
      {Request({{"db_engine", "pg"}, {"engine_version", "16.99999"}}),
       "constraints.engine_version"},
      {Request({{"db_engine", "sqlite"}, {"accepts_corruption_risk", "yes"}}),
       "constraints.accepts_corruption_risk"},
      {json{{"upstream_results", {{"engine", "db2"}}}}, "upstream_results.engine"},
      {Request({{"db_engine", "pg"}}, std::string(100001, 'a')), "query"},
      {json{{"constraints", {{"db_engine", "pg"}}},
            {"reference_excerpt", std::string(200000, ' ')}},
       "reference_excerpt"},
      // fuzz_request: a 56,612-character db_engine overflowed the stack in std::regex.
      {Request({{"db_engine", "Postgre" + std::string(60000, ']')}}), "constraints.db_engine"},
      {Request({{"db_engine", "pg"}, {"engine_version", std::string(5000, ' ') + "16"}}),
       "constraints.engine_version"},
      {json{{"upstream_results", {{"notes", std::string(100001, 'x')}}}}, "upstream_results"},
      // A number longer than the reader reads whole is refused, not read in pieces ("30 tps").
      {Request({{"db_engine", "pg"}}, "we need 5003" + std::string(126, '3') + "30 tps"), "query"},
      {Request({{"db_engine", "pg"},
                {"durability_requirement", "we can lose " + std::string(70, '1') + " s"}}),
       "constraints.durability_requirement"},
  };
  for (const auto& [request, field] : cases) {
    auto s = ParseRequest(request);
    ASSERT_FALSE(s.ok()) << request.dump();
    EXPECT_EQ(s.status().field(), field) << request.dump() << ": " << s.status().message();
  }
}

// A setting that lets an acknowledged commit be lost on a crash or power loss.
std::string AsynchronousSetting(const nlohmann::ordered_json& advice) {
  const auto& wal = advice["wal_config"];
  auto text = [&](const char* name) -> std::string {
    for (const auto* section : {&wal, &advice["checkpoint_strategy"], &advice["group_commit"]}) {
      if (section->contains(name)) {
        const auto& v = (*section)[name];
        return v.is_string() ? v.get<std::string>() : v.dump();
      }
    }
    return "";
  };
  std::string v = text("synchronous_commit");
  if (v == "off") return "synchronous_commit=off";  // local/remote_* still flush locally
  if (text("fsync") == "off") return "fsync=off";
  v = text("innodb_flush_log_at_trx_commit");
  if (!v.empty() && v != "1") return "innodb_flush_log_at_trx_commit=" + v;
  v = text("sync_binlog");
  if (!v.empty() && v != "1") return "sync_binlog=" + v;
  // SQLite: in WAL mode NORMAL syncs only at checkpoints (commits lost on power loss), OFF
  // never syncs; FULL/EXTRA sync the WAL at every commit.
  v = text("synchronous");
  if (!v.empty() && v != "FULL" && v != "EXTRA" && v != "2" && v != "3") {
    return "synchronous=" + v;
  }
  return "";
}

// The safety property of issue 10: no request whose text expresses loss aversion ever gets an
// asynchronous-commit setting, whatever the engine, rate or explicit durability constraint.
TEST(SafetyProperty, LossAverseTextNeverGetsAsynchronousCommit) {
  int checked = 0;
  for (const json& p : testing::Phrasings()) {
    if (p.at("durability") != "strict") continue;
    const std::string text = p.at("text").get<std::string>();
    for (const char* engine : {"PostgreSQL", "MySQL", "MariaDB", "SQLite"}) {
      for (const char* rate : {"50 tps", "5000 tps", "200k tps"}) {
        // With no durability constraint, and (at one rate) with an explicit "relaxed".
        for (const char* level : {"", "relaxed"}) {
          if (*level && std::string(rate) != "5000 tps") continue;
          json constraints = {{"db_engine", engine}, {"write_rate", rate}};
          if (*level) constraints["durability_requirement"] = level;
          auto s = ParseRequest(Request(constraints, text));
          ASSERT_TRUE(s.ok()) << text << " / " << engine << ": " << s.status().ToString();
          if (*level) {
            // An explicit constraint only yields to an explicit statement, not a domain word.
            QueryReading q = ReadQuery(text);
            if (q.loss_averse->strength != Strength::kExplicit) continue;
          }
          auto json_advice = AdviceToJson(Solve(*s));
          EXPECT_EQ(json_advice["durability_level"], "strict") << text << " / " << engine;
          EXPECT_EQ(AsynchronousSetting(json_advice), "")
              << text << " / " << engine << " / " << rate << " / " << level;
          ++checked;
        }
      }
    }
  }
  EXPECT_GE(checked, 60 * 4 * 3);  // at least 60 loss-averse phrasings x 4 engines x 3 rates
}

}  // namespace
}  // namespace waltune
