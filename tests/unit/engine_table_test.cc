// The engine table (waltune/engine_traits.h): every built-in engine is found by each of its
// names, enum -> name -> enum round-trips, and the enums that replaced strings keep their text.
#include <gtest/gtest.h>

#include <string>

#include "targets.h"
#include "waltune/engine.h"
#include "waltune/engine_traits.h"
#include "waltune/model.h"
#include "waltune/request.h"
#include "waltune/verify.h"

namespace waltune {
namespace {

const Engine kBuiltIn[] = {Engine::kPostgreSQL, Engine::kMySQL, Engine::kMariaDB, Engine::kSQLite};

TEST(EngineTable, BuiltInRowsKeepTheirNames) {
  EXPECT_STREQ(EngineName(Engine::kPostgreSQL), "PostgreSQL");
  EXPECT_STREQ(EngineName(Engine::kMySQL), "MySQL/InnoDB");
  EXPECT_STREQ(EngineName(Engine::kMariaDB), "MariaDB");
  EXPECT_STREQ(EngineName(Engine::kSQLite), "SQLite");
  EXPECT_STREQ(EngineKey(Engine::kPostgreSQL), "postgresql");
  EXPECT_STREQ(EngineKey(Engine::kMySQL), "mysql");
  EXPECT_STREQ(EngineKey(Engine::kMariaDB), "mariadb");
  EXPECT_STREQ(EngineKey(Engine::kSQLite), "sqlite");
  ASSERT_GE(AllEngines().size(), 4u);
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(AllEngines()[i], kBuiltIn[i]);
}

TEST(EngineTable, EveryNameKeyAndAliasResolvesAndRoundTrips) {
  for (Engine e : kBuiltIn) {
    const EngineTraits& row = TraitsOf(e);
    EXPECT_EQ(EngineByName(EngineName(e)), e) << row.name;
    EXPECT_EQ(EngineByName(EngineKey(e)), e) << row.name;
    for (const std::string& alias : row.aliases) {
      EXPECT_EQ(EngineByName(alias), e) << alias;
      // The request parser accepts every alias, with and without a version.
      auto s = ParseRequest({{"constraints", {{"db_engine", alias}}}});
      ASSERT_TRUE(s.ok()) << alias << ": " << s.status().ToString();
      EXPECT_EQ(s->engine, e) << alias;
    }
    EXPECT_EQ(&AdvisorFor(e), &row.advisor());
  }
  EXPECT_EQ(EngineByName("  MySQL / InnoDB "), Engine::kMySQL);
  EXPECT_EQ(EngineByName("Maria   DB"), Engine::kMariaDB);
  EXPECT_EQ(EngineByName("oracle"), std::nullopt);
  EXPECT_EQ(EngineByName(""), std::nullopt);
}

TEST(EngineTable, RequestSpellingsWithVersions) {
  struct Case {
    const char* text;
    Engine engine;
    EngineVersion version;
  };
  for (const Case& c : {Case{"pg16", Engine::kPostgreSQL, {16, 0, 0}},
                        Case{"PostgreSQL v15", Engine::kPostgreSQL, {15, 0, 0}},
                        Case{"postgres-14", Engine::kPostgreSQL, {14, 0, 0}},
                        Case{"mysql 8.0.36", Engine::kMySQL, {8, 0, 36}},
                        Case{"Percona Server 8.0", Engine::kMySQL, {8, 0, 0}},
                        Case{"mariadb10.11", Engine::kMariaDB, {10, 11, 0}},
                        Case{"sqlite3", Engine::kSQLite, {3, 0, 0}},
                        Case{"SQLite 3.45", Engine::kSQLite, {3, 45, 0}}}) {
    auto s = ParseRequest({{"constraints", {{"db_engine", c.text}}}});
    ASSERT_TRUE(s.ok()) << c.text << ": " << s.status().ToString();
    EXPECT_EQ(s->engine, c.engine) << c.text;
    EXPECT_EQ(s->version, c.version) << c.text;
  }
  auto bad = ParseRequest({{"constraints", {{"db_engine", "oracle 19"}}}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().field(), "constraints.db_engine");
  EXPECT_NE(bad.status().message().find("PostgreSQL, MySQL/InnoDB, MariaDB and SQLite"),
            std::string::npos);
}

TEST(EngineTable, VerifyRunsWhatTheTableSays) {
  for (Engine e : kBuiltIn) {
    Result<Engine> parsed = ParseVerifyEngine(EngineKey(e));
    EXPECT_EQ(parsed.ok(), TraitsOf(e).verify_supported) << EngineKey(e);
    // Its target file registered a verify target (and survived the link) exactly when the
    // table says verify can run it.
    EXPECT_EQ(verify::FindTargetFactory(e) != nullptr, TraitsOf(e).verify_supported)
        << EngineKey(e);
    if (parsed.ok()) {
      EXPECT_EQ(*parsed, e);
    }
  }
  Result<Engine> mysql = ParseVerifyEngine("innodb");
  ASSERT_FALSE(mysql.ok());
  EXPECT_EQ(mysql.status().field(), "--engine");
  EXPECT_NE(mysql.status().message().find("use mariadb"), std::string::npos);
}

TEST(EngineTable, EnumsForFormerStringsKeepTheirText) {
  EXPECT_STREQ(LimitingFactorName(LimitingFactor::kCpu), "cpu");
  EXPECT_STREQ(LimitingFactorName(LimitingFactor::kFlush), "flush");
  EXPECT_STREQ(LimitingFactorName(LimitingFactor::kBandwidth), "bandwidth");
  EXPECT_STREQ(LimitingFactorName(LimitingFactor::kPageWrites), "page writes");
  EXPECT_STREQ(AssumptionSourceName(AssumptionSource::kDefault), "default");
  EXPECT_STREQ(AssumptionSourceName(AssumptionSource::kInferred), "inferred");
  EXPECT_STREQ(AssumptionSourceName(AssumptionSource::kUpstream), "upstream");
  EXPECT_STREQ(AssumptionSourceName(AssumptionSource::kCalibration), "calibration");
  EXPECT_STREQ(AssumptionSourceName(AssumptionSource::kVerify), "verify");
  for (Durability d : {Durability::kStrict, Durability::kStandard, Durability::kRelaxed}) {
    EXPECT_EQ(DurabilityFromName(DurabilityName(d)), d);
  }
  EXPECT_EQ(DurabilityFromName("Strict"), std::nullopt);
}

}  // namespace
}  // namespace waltune
