// The request contract: aliases, units, hints, upstream results and every bad-input form.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "test_util.h"
#include "waltune/units.h"

namespace waltune {
namespace {

using testing::Request;
using json = nlohmann::json;

Scenario ParseOk(const json& request) {
  auto s = ParseRequest(request);
  EXPECT_TRUE(s.ok()) << request.dump() << " -> " << s.status().ToString();
  return s.ok() ? *s : Scenario{};
}

bool HasAssumption(const Scenario& s, const std::string& field, const std::string& source) {
  for (const auto& a : s.assumptions) {
    if (a.field == field && AssumptionSourceName(a.source) == source) return true;
  }
  return false;
}

TEST(RequestAliases, EngineSpellings) {
  struct Case {
    const char* text;
    Engine engine;
    int major;
  };
  const std::vector<Case> cases = {
      {"PostgreSQL", Engine::kPostgreSQL, 17}, {"postgres", Engine::kPostgreSQL, 17},
      {"pg", Engine::kPostgreSQL, 17},         {"postgresql 16", Engine::kPostgreSQL, 16},
      {"MySQL/InnoDB", Engine::kMySQL, 8},     {"mysql", Engine::kMySQL, 8},
      {"innodb", Engine::kMySQL, 8},           {"MariaDB", Engine::kMariaDB, 11},
      {"mariadb", Engine::kMariaDB, 11},       {"SQLite", Engine::kSQLite, 3},
      {"sqlite3", Engine::kSQLite, 3},
  };
  for (const auto& c : cases) {
    Scenario s = ParseOk(Request({{"db_engine", c.text}}));
    EXPECT_EQ(s.engine, c.engine) << c.text;
    EXPECT_EQ(s.version.major, c.major) << c.text;
  }
}

TEST(RequestAliases, DurabilitySpellings) {
  const std::vector<std::pair<const char*, Durability>> cases = {
      {"strict", Durability::kStrict},     {"fsync every commit", Durability::kStrict},
      {"standard", Durability::kStandard}, {"group commit", Durability::kStrict},
      {"relaxed", Durability::kRelaxed},   {"Relaxed", Durability::kRelaxed},
  };
  for (const auto& [text, level] : cases) {
    Scenario s = ParseOk(Request({{"db_engine", "pg"}, {"durability_requirement", text}}));
    EXPECT_EQ(s.durability, level) << text;
    EXPECT_FALSE(HasAssumption(s, "constraints.durability_requirement", "default"));
  }
}

TEST(RequestAliases, RatesDurationsAndStorage) {
  for (const json& rate : {json(5000), json("5000"), json("5000 tps"), json("5k tps")}) {
    EXPECT_DOUBLE_EQ(
        ParseOk(Request({{"db_engine", "pg"}, {"write_rate", rate}})).workload.write_rate_tps, 5000)
        << rate.dump();
  }
  EXPECT_DOUBLE_EQ(
      ParseOk(Request({{"db_engine", "pg"}, {"write_rate", "300 tx/s"}})).workload.write_rate_tps,
      300);
  const std::vector<std::pair<json, double>> durations = {
      {json(45), 45}, {json("45s"), 45}, {json("2min"), 120}, {json("1h"), 3600}};
  for (const auto& [d, seconds] : durations) {
    EXPECT_DOUBLE_EQ(
        ParseOk(Request({{"db_engine", "pg"}, {"recovery_time_target", d}})).recovery_target_s,
        seconds);
  }
  const std::vector<std::pair<const char*, StorageClass>> storage = {
      {"SSD", StorageClass::kSataSsd},
      {"SATA SSD", StorageClass::kSataSsd},
      {"HDD", StorageClass::kHdd},
      {"NVMe", StorageClass::kConsumerNvme},
      {"NVMe with power-loss protection", StorageClass::kEnterpriseFlash},
      {"battery-backed cache", StorageClass::kBatteryBackedCache},
      {"BBU", StorageClass::kBatteryBackedCache},
  };
  for (const auto& [text, cls] : storage) {
    EXPECT_EQ(ParseOk(Request({{"db_engine", "pg"}, {"storage_type", text}})).storage.storage_class,
              cls)
        << text;
  }
}

TEST(RequestDefaults, MissingDurabilityIsStandardAndSaysSo) {
  Scenario s = ParseOk(Request({{"db_engine", "PostgreSQL"}}));
  EXPECT_EQ(s.durability, Durability::kStandard);
  EXPECT_TRUE(HasAssumption(s, "constraints.durability_requirement", "default"));
  EXPECT_TRUE(HasAssumption(s, "constraints.engine_version", "default"));
  EXPECT_TRUE(HasAssumption(s, "constraints.write_rate", "default"));
  EXPECT_TRUE(HasAssumption(s, "constraints.storage_type", "default"));
}

TEST(RequestHints, QueryTextFillsGapsButNeverBeatsConstraints) {
  Scenario s = ParseOk(
      Request({{"db_engine", "pg"}},
              "Payments platform, about 20k tps on NVMe, we must recover within 30 seconds"));
  EXPECT_EQ(s.durability, Durability::kStrict);
  EXPECT_DOUBLE_EQ(s.workload.write_rate_tps, 20000);
  EXPECT_DOUBLE_EQ(s.recovery_target_s, 30);
  EXPECT_EQ(s.storage.storage_class, StorageClass::kConsumerNvme);
  EXPECT_TRUE(HasAssumption(s, "constraints.durability_requirement", "inferred"));
  EXPECT_TRUE(HasAssumption(s, "constraints.write_rate", "inferred"));
  EXPECT_TRUE(HasAssumption(s, "constraints.recovery_time_target", "inferred"));

  // Explicit beats inferred (write rate), with a warning; for durability an explicit statement
  // of loss aversion in the text wins over a weaker constraint (safety asymmetry), also warned.
  Scenario explicit_wins = ParseOk(Request(
      {{"db_engine", "pg"}, {"durability_requirement", "relaxed"}, {"write_rate", "100 tps"}},
      "payments, no data loss, 20k tps"));
  EXPECT_EQ(explicit_wins.durability, Durability::kStrict);
  EXPECT_DOUBLE_EQ(explicit_wins.workload.write_rate_tps, 100);
  EXPECT_GE(explicit_wins.warnings.size(), 2u);
  // A domain word alone does not override an explicit constraint (only warns).
  Scenario domain = ParseOk(Request({{"db_engine", "pg"}, {"durability_requirement", "relaxed"}},
                                    "payments reporting replica"));
  EXPECT_EQ(domain.durability, Durability::kRelaxed);
  EXPECT_FALSE(domain.warnings.empty());

  EXPECT_EQ(ParseOk(Request({{"db_engine", "pg"}}, "staging analytics copy")).durability,
            Durability::kRelaxed);
  EXPECT_EQ(ParseOk(Request({{"db_engine", "pg"}}, "we can lose a second of data")).durability,
            Durability::kStandard);
}

TEST(RequestHints, OutOfScopeTopicsAreNoted) {
  Scenario s = ParseOk(Request({{"db_engine", "mysql"}},
                               "Which indexes should we add, and should we use serializable "
                               "isolation? Also set up a replica for failover."));
  ASSERT_GE(s.out_of_scope.size(), 3u);
  EXPECT_EQ(s.replication, Replication::kPhysical);  // still sets the binary log
}

TEST(RequestUpstream, EngineFromUpstreamObjectOrText) {
  Scenario a = ParseOk(json{{"upstream_results", {{"selected_engine", "PostgreSQL 16"}}}});
  EXPECT_EQ(a.engine, Engine::kPostgreSQL);
  EXPECT_EQ(a.version.major, 16);
  EXPECT_TRUE(HasAssumption(a, "constraints.db_engine", "upstream"));
  Scenario b = ParseOk(json{{"upstream_results", {{"engine", "mariadb"}}}});
  EXPECT_EQ(b.engine, Engine::kMariaDB);
  Scenario c = ParseOk(json{{"upstream_results", "We recommend MySQL 8.4 for this workload."}});
  EXPECT_EQ(c.engine, Engine::kMySQL);
}

// Every bad-input form: the error names the field.
TEST(RequestErrors, NameTheField) {
  const std::vector<std::pair<json, std::string>> cases = {
      {json::array(), "request"},
      {json{{"constraints", "pg"}}, "constraints"},
      {json{{"query", "hello"}}, "constraints.db_engine"},
      {Request({{"db_engine", "oracle"}}), "constraints.db_engine"},
      {Request({{"db_engine", 5}}), "constraints.db_engine"},
      {Request({{"db_engine", "pg"}, {"engine_version", "9.6"}}), "constraints.engine_version"},
      {Request({{"db_engine", "pg"}, {"engine_version", "latest"}}), "constraints.engine_version"},
      {Request({{"db_engine", "mariadb"}, {"engine_version", "10.4"}}),
       "constraints.engine_version"},
      {Request({{"db_engine", "mysql"}, {"engine_version", "5.6"}}), "constraints.engine_version"},
      {Request({{"db_engine", "pg"}, {"durability_requirement", "maybe"}}),
       "constraints.durability_requirement"},
      {Request({{"db_engine", "pg"}, {"write_rate", -5}}), "constraints.write_rate"},
      {Request({{"db_engine", "pg"}, {"write_rate", "0"}}), "constraints.write_rate"},
      {Request({{"db_engine", "pg"}, {"write_rate", "5000 MB"}}), "constraints.write_rate"},
      {Request({{"db_engine", "pg"}, {"write_rate", "1e12 tps"}}), "constraints.write_rate"},
      {Request({{"db_engine", "pg"}, {"write_rate", true}}), "constraints.write_rate"},
      {Request({{"db_engine", "pg"}, {"recovery_time_target", "-1s"}}),
       "constraints.recovery_time_target"},
      {Request({{"db_engine", "pg"}, {"recovery_time_target", "60 tps"}}),
       "constraints.recovery_time_target"},
      {Request({{"db_engine", "pg"}, {"recovery_time_target", "100 days"}}),
       "constraints.recovery_time_target"},
      {Request({{"db_engine", "pg"}, {"storage_type", "floppy"}}), "constraints.storage_type"},
      {Request({{"db_engine", "pg"}, {"concurrency", 0}}), "constraints.concurrency"},
      {Request({{"db_engine", "pg"}, {"concurrency", 2.5}}), "constraints.concurrency"},
      {Request({{"db_engine", "pg"}, {"concurrency", "lots"}}), "constraints.concurrency"},
      {Request({{"db_engine", "pg"}, {"memory", "16 parsecs"}}), "constraints.memory"},
      {Request({{"db_engine", "pg"}, {"data_size", "-1GB"}}), "constraints.data_size"},
      {Request({{"db_engine", "pg"}, {"data_size", "1GB"}, {"working_set", "2GB"}}),
       "constraints.working_set"},
      {Request({{"db_engine", "mariadb"}, {"buffer_pool", "lots"}}), "constraints.buffer_pool"},
      {Request({{"db_engine", "mariadb"}, {"buffer_pool", "100KB"}}), "constraints.buffer_pool"},
      {Request({{"db_engine", "mariadb"}, {"buffer_pool", -1}}), "constraints.buffer_pool"},
      {Request({{"db_engine", "mariadb"}, {"memory", "8GB"}, {"buffer_pool", "16GB"}}),
       "constraints.buffer_pool"},
      {Request({{"db_engine", "pg"}, {"replication", "quantum"}}), "constraints.replication"},
      {Request({{"db_engine", "pg"}, {"txn_write_bytes", "2TB"}}), "constraints.txn_write_bytes"},
      {json{{"upstream_results", {{"engine", "db2"}}}}, "upstream_results.engine"},
  };
  for (const auto& [request, field] : cases) {
    auto s = ParseRequest(request);
    ASSERT_FALSE(s.ok()) << request.dump();
    EXPECT_TRUE(s.status().IsInvalidArgument());
    EXPECT_EQ(s.status().field(), field) << request.dump() << ": " << s.status().message();
    EXPECT_FALSE(s.status().message().empty());
  }
}

TEST(RequestErrors, InvalidJsonText) {
  auto s = ParseRequestText("{\"constraints\": {");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().field(), "request");
  EXPECT_NE(s.status().message().find("invalid JSON"), std::string::npos);
}

TEST(RequestWarnings, UnknownFieldsAreReportedNotSilentlyDropped) {
  Scenario s =
      ParseOk(json{{"constraints", {{"db_engine", "pg"}, {"wal_magic", 1}}}, {"extra", true}});
  ASSERT_EQ(s.warnings.size(), 2u);
}

}  // namespace
}  // namespace waltune
