// The configuration `waltune advise` emits, applied to real engines: PostgreSQL and MariaDB
// servers from Debian's packages in throwaway temp dirs (unix socket only, run as their
// unprivileged users), and the SQLite library. Each engine must start with the settings and
// report them back as set.
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <mysql.h>
#include <sqlite3.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "waltune/engine.h"
#include "waltune/instance.h"
#include "waltune/request.h"
#include "waltune/units.h"

namespace waltune {
namespace {

using json = nlohmann::json;

Advice AdviseOk(const json& constraints) {
  auto s = ParseRequest(json{{"constraints", constraints}});
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? Solve(*s) : Advice{};
}

// Values as each engine reports them back. Sizes are compared in bytes.
bool SameValue(const std::string& advised, const std::string& reported) {
  if (NormalizeText(advised) == NormalizeText(reported)) return true;
  auto a = ParseBytes(advised, "a");
  auto r = ParseBytes(reported, "r");
  if (a.ok() && r.ok() && *a == *r) return true;
  auto ad = ParseDurationS(advised, "a");
  auto rd = ParseDurationS(reported, "r");
  return ad.ok() && rd.ok() && std::abs(*ad - *rd) < 1e-9;
}

// ----- PostgreSQL --------------------------------------------------------------------------

std::string PgShow(PGconn* conn, const std::string& name) {
  PGresult* res = PQexec(conn, ("SHOW " + name).c_str());
  std::string value = PQresultStatus(res) == PGRES_TUPLES_OK ? PQgetvalue(res, 0, 0) : "<error>";
  PQclear(res);
  return value;
}

class PostgresConfig : public ::testing::TestWithParam<const char*> {};

TEST_P(PostgresConfig, EmittedSettingsStartARealServerAndReadBack) {
  PostgresInstance pg;
  ASSERT_TRUE(pg.Create().ok());
  // The installed server's major version, so the advice uses names it knows.
  const std::string major = pg.version().substr(0, pg.version().find('.'));
  Advice a = AdviseOk({{"db_engine", "PostgreSQL"},
                       {"engine_version", major},
                       {"durability_requirement", GetParam()},
                       {"write_rate", "8000 tps"},
                       {"recovery_time_target", "2min"},
                       {"storage_type", "HDD"},
                       {"concurrency", 32},
                       {"working_set", "8GB"}});
  const auto params = a.ConfigParameters();
  ASSERT_GE(params.size(), 8u);
  Status st = pg.Start(params);
  ASSERT_TRUE(st.ok()) << st.ToString() << "\n" << a.config_snippet;
  PGconn* conn = PQconnectdb(pg.ConnInfo().c_str());
  ASSERT_EQ(PQstatus(conn), CONNECTION_OK) << PQerrorMessage(conn);
  for (const auto& [name, value] : params) {
    std::string shown = PgShow(conn, name);
    EXPECT_TRUE(SameValue(value, shown))
        << name << ": advised " << value << ", server shows " << shown;
  }
  PQfinish(conn);
  EXPECT_TRUE(pg.Stop().ok());
}

INSTANTIATE_TEST_SUITE_P(Levels, PostgresConfig,
                         ::testing::Values("strict", "standard", "relaxed"));

// ----- MariaDB ----------------------------------------------------------------------------

std::string MyVariable(MYSQL* conn, const std::string& name) {
  if (mysql_query(conn, ("SELECT @@GLOBAL." + name).c_str()) != 0) return "<error>";
  MYSQL_RES* res = mysql_store_result(conn);
  MYSQL_ROW row = res ? mysql_fetch_row(res) : nullptr;
  std::string value = row && row[0] ? row[0] : "<null>";
  if (res) mysql_free_result(res);
  return value;
}

bool SameMyValue(const std::string& name, const std::string& advised, const std::string& shown) {
  if (SameValue(advised, shown)) return true;
  if (name == "log_bin") return shown == "1";
  std::string a = NormalizeText(advised);
  if (a == "on") return shown == "1";
  if (a == "off") return shown == "0";
  return false;
}

class MariadbConfig : public ::testing::TestWithParam<const char*> {};

TEST_P(MariadbConfig, EmittedSectionStartsARealMariadbd) {
  MariadbInstance db;
  ASSERT_TRUE(db.Create().ok());
  const std::string version = db.version();  // "10.11.6"
  // A short target keeps the redo file small enough for a test directory.
  Advice a = AdviseOk({{"db_engine", "MariaDB"},
                       {"engine_version", version},
                       {"durability_requirement", GetParam()},
                       {"write_rate", "3000 tps"},
                       {"recovery_time_target", "5s"},
                       {"storage_type", "SSD"},
                       {"concurrency", 16},
                       {"replication", "physical"}});
  auto params = a.ConfigParameters();
  ASSERT_GE(params.size(), 6u);
  // The advice emits server_id with the binary log (dependent settings come together).
  bool has_server_id = false;
  for (const auto& [name, value] : params) has_server_id |= name == "server_id";
  EXPECT_TRUE(has_server_id) << a.config_snippet;
  Status st = db.Start(params);
  ASSERT_TRUE(st.ok()) << st.ToString() << "\n" << a.config_snippet;
  MYSQL* conn = mysql_init(nullptr);
  ASSERT_NE(mysql_real_connect(conn, nullptr, MariadbInstance::kUser, nullptr, nullptr, 0,
                               db.socket_path().c_str(), 0),
            nullptr)
      << mysql_error(conn);
  for (const auto& [name, value] : params) {
    std::string shown = MyVariable(conn, name);
    EXPECT_TRUE(SameMyValue(name, value, shown))
        << name << ": advised " << value << ", server shows " << shown;
  }
  mysql_close(conn);
  EXPECT_TRUE(db.Stop().ok());
}

INSTANTIATE_TEST_SUITE_P(Levels, MariadbConfig, ::testing::Values("strict", "standard", "relaxed"));

// ----- SQLite -----------------------------------------------------------------------------

class SqliteConfig : public ::testing::TestWithParam<const char*> {};

TEST_P(SqliteConfig, PragmasRunAndReadBackAsSet) {
  Advice a = AdviseOk({{"db_engine", "SQLite"},
                       {"engine_version", sqlite3_libversion()},
                       {"durability_requirement", GetParam()},
                       {"write_rate", "2000 tps"},
                       {"recovery_time_target", "10s"},
                       {"storage_type", "NVMe"},
                       {"concurrency", 1}});
  auto dir = MakeTempDir("", "sqlite-config", nullptr);
  ASSERT_TRUE(dir.ok()) << dir.status().ToString();
  const std::string path = *dir + "/test.db";
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  ASSERT_EQ(sqlite3_exec(db, a.config_snippet.c_str(), nullptr, nullptr, &err), SQLITE_OK)
      << (err ? err : "") << "\n"
      << a.config_snippet;
  const std::vector<std::pair<std::string, std::string>> synchronous_codes = {
      {"OFF", "0"}, {"NORMAL", "1"}, {"FULL", "2"}, {"EXTRA", "3"}};
  for (const auto& [name, value] : a.ConfigParameters()) {
    sqlite3_stmt* stmt = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, ("PRAGMA " + name).c_str(), -1, &stmt, nullptr), SQLITE_OK);
    ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW) << name;
    std::string shown = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    sqlite3_finalize(stmt);
    std::string expected = value;
    for (const auto& [word, code] : synchronous_codes) {
      if (name == "synchronous" && value == word) expected = code;
    }
    EXPECT_EQ(NormalizeText(shown), NormalizeText(expected)) << "PRAGMA " << name;
  }
  sqlite3_close(db);
  std::filesystem::remove_all(*dir);
}

INSTANTIATE_TEST_SUITE_P(Levels, SqliteConfig, ::testing::Values("strict", "standard", "relaxed"));

}  // namespace
}  // namespace waltune
