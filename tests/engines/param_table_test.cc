// The parameter table and what advise emits from it: every setting exists in the version it is
// emitted for, with an allowed value; dependent settings come together; each setting says how
// it is applied; loss windows are stated with their formula.
#include "param_table.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "test_util.h"

namespace waltune {
namespace {

using engines::CheckAdviceSettings;
using engines::CheckValue;
using engines::FindParam;
using testing::AdviseOk;
using testing::Estimate;
using testing::Request;
using testing::Value;
using json = nlohmann::json;

bool AnyContains(const std::vector<std::string>& texts, const std::string& needle) {
  for (const auto& t : texts) {
    if (t.find(needle) != std::string::npos) return true;
  }
  return false;
}

const ApplyStep* StepFor(const Advice& a, const std::string& name) {
  for (const ApplyStep& s : a.apply) {
    if (s.setting == name) return &s;
  }
  return nullptr;
}

// ----- The table's own facts ---------------------------------------------------------------

TEST(ParamTable, RedoParametersByVersion) {
  EXPECT_EQ(FindParam(Engine::kMySQL, {8, 0, 20}, "innodb_redo_log_capacity"), nullptr);
  EXPECT_NE(FindParam(Engine::kMySQL, {8, 0, 30}, "innodb_redo_log_capacity"), nullptr);
  EXPECT_NE(FindParam(Engine::kMySQL, {8, 4, 0}, "innodb_redo_log_capacity"), nullptr);
  for (EngineVersion v : {EngineVersion{10, 5, 0}, EngineVersion{10, 11, 0}, {11, 4, 0}}) {
    EXPECT_EQ(FindParam(Engine::kMariaDB, v, "innodb_redo_log_capacity"), nullptr);
  }
  // innodb_log_files_in_group: deprecated (ignored) in MariaDB 10.5, gone from 10.6; deprecated
  // in MySQL 8.0.30.
  const engines::ParamSpec* ma105 =
      FindParam(Engine::kMariaDB, {10, 5, 0}, "innodb_log_files_in_group");
  ASSERT_NE(ma105, nullptr);
  EXPECT_EQ(ma105->deprecated_since, (EngineVersion{10, 5, 0}));
  EXPECT_EQ(FindParam(Engine::kMariaDB, {10, 6, 0}, "innodb_log_files_in_group"), nullptr);
  const engines::ParamSpec* my = FindParam(Engine::kMySQL, {8, 0, 36}, "innodb_log_files_in_group");
  ASSERT_NE(my, nullptr);
  EXPECT_EQ(my->deprecated_since, (EngineVersion{8, 0, 30}));
}

TEST(ParamTable, GroupCommitKnobsBelongToOneFlavourEach) {
  EXPECT_NE(FindParam(Engine::kMySQL, {8, 0, 36}, "binlog_group_commit_sync_delay"), nullptr);
  EXPECT_EQ(FindParam(Engine::kMariaDB, {10, 11, 0}, "binlog_group_commit_sync_delay"), nullptr);
  EXPECT_NE(FindParam(Engine::kMariaDB, {10, 11, 0}, "binlog_commit_wait_usec"), nullptr);
  EXPECT_EQ(FindParam(Engine::kMySQL, {8, 4, 0}, "binlog_commit_wait_usec"), nullptr);
  EXPECT_NE(FindParam(Engine::kMySQL, {5, 7, 0}, "innodb_flush_log_at_timeout"), nullptr);
  EXPECT_NE(FindParam(Engine::kMariaDB, {10, 6, 0}, "innodb_flush_log_at_timeout"), nullptr);
}

TEST(ParamTable, WalCompressionValuesByMajor) {
  for (int major : {12, 13, 14}) {
    const engines::ParamSpec* p = FindParam(Engine::kPostgreSQL, {major, 0, 0}, "wal_compression");
    ASSERT_NE(p, nullptr) << major;
    EXPECT_EQ(CheckValue(*p, "on"), "") << major;
    EXPECT_EQ(CheckValue(*p, "off"), "") << major;
    EXPECT_NE(CheckValue(*p, "lz4"), "") << major;
    EXPECT_NE(CheckValue(*p, "zstd"), "") << major;
  }
  for (int major : {15, 16, 17}) {
    const engines::ParamSpec* p = FindParam(Engine::kPostgreSQL, {major, 0, 0}, "wal_compression");
    ASSERT_NE(p, nullptr) << major;
    for (const char* v : {"lz4", "zstd", "pglz", "on", "off"}) EXPECT_EQ(CheckValue(*p, v), "");
    EXPECT_NE(CheckValue(*p, "gzip"), "");
  }
}

TEST(ParamTable, RestartVersusReloadContexts) {
  using engines::ParamContext;
  auto context = [](Engine e, EngineVersion v, const char* name) {
    const engines::ParamSpec* p = FindParam(e, v, name);
    EXPECT_NE(p, nullptr) << name;
    return p ? p->context : ParamContext::kPgSighup;
  };
  EXPECT_EQ(context(Engine::kPostgreSQL, {16, 0, 0}, "wal_level"), ParamContext::kPgPostmaster);
  EXPECT_EQ(context(Engine::kPostgreSQL, {16, 0, 0}, "wal_buffers"), ParamContext::kPgPostmaster);
  EXPECT_EQ(context(Engine::kPostgreSQL, {16, 0, 0}, "max_wal_size"), ParamContext::kPgSighup);
  EXPECT_EQ(context(Engine::kPostgreSQL, {16, 0, 0}, "synchronous_commit"), ParamContext::kPgUser);
  EXPECT_EQ(context(Engine::kPostgreSQL, {16, 0, 0}, "commit_delay"), ParamContext::kPgSuperuser);
  EXPECT_EQ(context(Engine::kMySQL, {8, 4, 0}, "innodb_flush_method"), ParamContext::kMyReadOnly);
  EXPECT_EQ(context(Engine::kMySQL, {8, 4, 0}, "innodb_redo_log_capacity"),
            ParamContext::kMyDynamic);
  EXPECT_EQ(context(Engine::kMySQL, {5, 7, 0}, "innodb_log_buffer_size"),
            ParamContext::kMyReadOnly);
  EXPECT_EQ(context(Engine::kMySQL, {8, 0, 36}, "innodb_log_buffer_size"),
            ParamContext::kMyDynamic);
  EXPECT_EQ(context(Engine::kMariaDB, {10, 6, 0}, "innodb_log_file_size"),
            ParamContext::kMyReadOnly);
  EXPECT_EQ(context(Engine::kMariaDB, {10, 11, 0}, "innodb_log_file_size"),
            ParamContext::kMyDynamic);
  EXPECT_EQ(context(Engine::kSQLite, {3, 46, 0}, "journal_mode"), ParamContext::kSqlitePersistent);
  EXPECT_EQ(context(Engine::kSQLite, {3, 46, 0}, "synchronous"), ParamContext::kSqliteConnection);
}

TEST(ParamTable, LogBinNeedsARealBaseName) {
  for (Engine e : {Engine::kMySQL, Engine::kMariaDB}) {
    const engines::ParamSpec* p = FindParam(e, {10, 11, 0}, "log_bin");
    ASSERT_NE(p, nullptr);
    EXPECT_NE(CheckValue(*p, "ON"), "");
    EXPECT_NE(CheckValue(*p, "1"), "");
    EXPECT_EQ(CheckValue(*p, "mysql-bin"), "");
  }
}

TEST(ParamTable, RangesAreChecked) {
  const engines::ParamSpec* delay = FindParam(Engine::kPostgreSQL, {16, 0, 0}, "commit_delay");
  ASSERT_NE(delay, nullptr);
  EXPECT_EQ(CheckValue(*delay, "100000"), "");
  EXPECT_NE(CheckValue(*delay, "100001"), "");
  const engines::ParamSpec* cap = FindParam(Engine::kMySQL, {8, 0, 36}, "innodb_redo_log_capacity");
  ASSERT_NE(cap, nullptr);
  EXPECT_EQ(CheckValue(*cap, "9G"), "");
  EXPECT_NE(CheckValue(*cap, "4M"), "");    // below 8 MB
  EXPECT_NE(CheckValue(*cap, "200G"), "");  // above 128 GB
  const engines::ParamSpec* wb = FindParam(Engine::kPostgreSQL, {16, 0, 0}, "wal_buffers");
  ASSERT_NE(wb, nullptr);
  EXPECT_EQ(CheckValue(*wb, "-1"), "");
  EXPECT_EQ(CheckValue(*wb, "16MB"), "");
  const engines::ParamSpec* wwd = FindParam(Engine::kPostgreSQL, {16, 0, 0}, "wal_writer_delay");
  ASSERT_NE(wwd, nullptr);
  EXPECT_EQ(CheckValue(*wwd, "200ms"), "");
  EXPECT_NE(CheckValue(*wwd, "20s"), "");
}

// A setting the engine does not have in that version is caught by the advice check.
TEST(ParamTable, CheckCatchesAVersionMismatch) {
  Advice a;
  a.engine = Engine::kMySQL;
  a.wal_config.push_back(Setting::Text("innodb_redo_log_capacity", "4G", ""));
  EXPECT_FALSE(CheckAdviceSettings(a, {8, 0, 20}).empty());
  EXPECT_TRUE(CheckAdviceSettings(a, {8, 0, 30}).empty());
  a.wal_config.push_back(Setting::Text("log_bin", "mysql-bin", ""));
  EXPECT_FALSE(CheckAdviceSettings(a, {8, 0, 30}).empty()) << "log_bin without server_id";
  a.wal_config.push_back(Setting::Number("server_id", 1, ""));
  EXPECT_TRUE(CheckAdviceSettings(a, {8, 0, 30}).empty());
}

// ----- Every emitted setting, every engine x version x level x workload --------------------

struct VersionCase {
  const char* engine;
  const char* version;
  bool modelled;  // false: the request is refused naming constraints.engine_version
};

const VersionCase kVersions[] = {
    {"PostgreSQL", "10", false}, {"PostgreSQL", "11", false}, {"PostgreSQL", "12", true},
    {"PostgreSQL", "13", true},  {"PostgreSQL", "14", true},  {"PostgreSQL", "15", true},
    {"PostgreSQL", "16", true},  {"PostgreSQL", "17", true},  {"MySQL", "5.7", true},
    {"MySQL", "8.0", true},      {"MySQL", "8.0.20", true},   {"MySQL", "8.0.30", true},
    {"MySQL", "8.0.36", true},   {"MySQL", "8.4", true},      {"MariaDB", "10.3", false},
    {"MariaDB", "10.5", true},   {"MariaDB", "10.6", true},   {"MariaDB", "10.11", true},
    {"MariaDB", "11.4", true},   {"SQLite", "3.7.0", true},   {"SQLite", "3.31.1", true},
    {"SQLite", "3.46", true},
};

const json kWorkloads[] = {
    {{"write_rate", "100 tps"},
     {"storage_type", "HDD"},
     {"concurrency", 1},
     {"recovery_time_target", "60s"}},
    {{"write_rate", "5000 tps"},
     {"storage_type", "SSD"},
     {"concurrency", 16},
     {"replication", "physical"},
     {"recovery_time_target", "30s"}},
    {{"write_rate", "50000 tps"},
     {"storage_type", "NVMe"},
     {"concurrency", 64},
     {"replication", "logical"},
     {"recovery_time_target", "10s"},
     {"working_set", "50GB"}},
    {{"write_rate", "2000 tps"},
     {"storage_type", "battery-backed cache"},
     {"concurrency", 8},
     {"recovery_time_target", "5min"}},
};

TEST(EmittedSettings, ExistInTheirVersionWithAllowedValues) {
  int checked = 0;
  for (const VersionCase& vc : kVersions) {
    for (const char* level : {"strict", "standard", "relaxed"}) {
      for (const json& workload : kWorkloads) {
        json c = workload;
        c["db_engine"] = vc.engine;
        c["engine_version"] = vc.version;
        c["durability_requirement"] = level;
        const std::string label =
            std::string(vc.engine) + " " + vc.version + " " + level + " " + workload.dump();
        auto parsed = ParseRequest(Request(c));
        if (!vc.modelled) {
          ASSERT_FALSE(parsed.ok()) << label;
          EXPECT_EQ(parsed.status().field(), "constraints.engine_version") << label;
          continue;
        }
        ASSERT_TRUE(parsed.ok()) << label << ": " << parsed.status().ToString();
        Scenario s = *parsed;
        for (bool corruption_ok : {false, true}) {
          s.accepts_corruption_risk = corruption_ok;
          Advice a = Solve(s);
          // The version the advice is for: MySQL "8.0" alone is advised as 8.0.30.
          EngineVersion v = a.version;
          if (a.engine == Engine::kMySQL && v == EngineVersion{8, 0, 0}) v = {8, 0, 30};
          if (a.engine == Engine::kSQLite) v = std::max(v, EngineVersion{3, 7, 0});
          for (const std::string& problem : CheckAdviceSettings(a, v)) {
            ADD_FAILURE() << label << ": " << problem;
          }
          EXPECT_FALSE(AnyContains(a.warnings, "internal check")) << label;
          const auto params = a.ConfigParameters();
          EXPECT_EQ(a.apply.size(), params.size()) << label;
          for (const auto& [name, value] : params) {
            const ApplyStep* step = StepFor(a, name);
            ASSERT_NE(step, nullptr) << label << " " << name;
            EXPECT_FALSE(step->how.empty()) << label << " " << name;
            EXPECT_NE(a.config_snippet.find(name + " = "), std::string::npos)
                << label << " " << name;
          }
          // Informational entries explain; they are never written to a configuration.
          for (const auto* section :
               {&a.wal_config, &a.checkpoint_settings, &a.group_commit_settings}) {
            for (const Setting& st : *section) {
              if (st.informational) {
                EXPECT_EQ(a.config_snippet.find(st.name + " = "), std::string::npos)
                    << label << " " << st.name;
              }
            }
          }
          ++checked;
        }
      }
    }
  }
  EXPECT_EQ(checked, 19 * 3 * 4 * 2);
}

// ----- Dependent settings ------------------------------------------------------------------

TEST(EmittedSettings, BinaryLogComesWithBaseNameAndServerId) {
  Advice my57 = AdviseOk(Request({{"db_engine", "mysql"},
                                  {"engine_version", "5.7"},
                                  {"durability_requirement", "strict"},
                                  {"replication", "physical"}}));
  EXPECT_EQ(Value(my57, "log_bin"), "mysql-bin");
  EXPECT_EQ(Value(my57, "server_id"), "1");
  EXPECT_EQ(Value(my57, "sync_binlog"), "1");
  EXPECT_EQ(my57.config_snippet.find("log_bin = ON"), std::string::npos);
  EXPECT_NE(my57.config_snippet.find("log_bin = mysql-bin\n"), std::string::npos);
  EXPECT_NE(my57.config_snippet.find("server_id = 1\n"), std::string::npos);

  Advice maria = AdviseOk(Request({{"db_engine", "mariadb"},
                                   {"engine_version", "10.11"},
                                   {"durability_requirement", "strict"},
                                   {"replication", "physical"}}));
  EXPECT_EQ(Value(maria, "log_bin"), "mysql-bin");
  EXPECT_EQ(Value(maria, "server_id"), "1");
  EXPECT_EQ(Value(maria, "sync_binlog"), "1");

  // MySQL 8.0+: the binary log is on by default; only the id is emitted for replication.
  Advice my84 = AdviseOk(Request({{"db_engine", "mysql"},
                                  {"engine_version", "8.4"},
                                  {"durability_requirement", "strict"},
                                  {"replication", "physical"}}));
  EXPECT_EQ(Value(my84, "log_bin"), "<absent>");
  EXPECT_EQ(Value(my84, "server_id"), "1");
  // No replication on 5.7 or MariaDB: no binary log, no id.
  Advice plain = AdviseOk(Request({{"db_engine", "mysql"}, {"engine_version", "5.7"}}));
  EXPECT_EQ(Value(plain, "log_bin"), "<absent>");
  EXPECT_EQ(Value(plain, "server_id"), "<absent>");
}

// ----- Apply instructions ------------------------------------------------------------------

TEST(Apply, PostgresRestartOnlyForPostmasterSettings) {
  Advice a = AdviseOk(Request(
      {{"db_engine", "pg"}, {"engine_version", "16"}, {"durability_requirement", "relaxed"}}));
  ASSERT_NE(StepFor(a, "wal_level"), nullptr);
  EXPECT_EQ(StepFor(a, "wal_level")->method, ApplyMethod::kRestart);
  EXPECT_EQ(StepFor(a, "wal_buffers")->method, ApplyMethod::kRestart);
  EXPECT_EQ(StepFor(a, "synchronous_commit")->method, ApplyMethod::kReload);
  EXPECT_EQ(StepFor(a, "max_wal_size")->method, ApplyMethod::kReload);
  EXPECT_NE(StepFor(a, "max_wal_size")->how.find("pg_reload_conf()"), std::string::npos);
  EXPECT_EQ(StepFor(a, "wal_level")->how.find("pg_reload_conf()"), std::string::npos);
  json j = AdviceToJson(a);
  ASSERT_TRUE(j["apply"].is_array());
  EXPECT_EQ(j["apply"][0]["setting"], "wal_level");
  EXPECT_EQ(j["apply"][0]["method"], "restart");
  EXPECT_NE(AdviceToText(a).find("Needs a restart: wal_level, wal_buffers\n"), std::string::npos);
  EXPECT_NE(a.config_snippet.find("# needs a restart to take effect: wal_level, wal_buffers\n"),
            std::string::npos);
}

TEST(Apply, MysqlPersistVersusRestart) {
  Advice my84 = AdviseOk(Request({{"db_engine", "mysql"}, {"engine_version", "8.4"}}));
  EXPECT_EQ(StepFor(my84, "innodb_flush_log_at_trx_commit")->how.rfind("SET PERSIST ", 0), 0u);
  EXPECT_EQ(StepFor(my84, "innodb_redo_log_capacity")->method, ApplyMethod::kReload);
  EXPECT_NE(StepFor(my84, "innodb_redo_log_capacity")->how.find("SET PERSIST "), std::string::npos);
  EXPECT_EQ(StepFor(my84, "innodb_flush_method")->method, ApplyMethod::kRestart);
  EXPECT_NE(StepFor(my84, "innodb_flush_method")->how.find("SET PERSIST_ONLY"), std::string::npos);
  Advice my57 = AdviseOk(Request({{"db_engine", "mysql"}, {"engine_version", "5.7"}}));
  EXPECT_EQ(StepFor(my57, "innodb_flush_log_at_trx_commit")->how.rfind("SET GLOBAL ", 0), 0u);
  EXPECT_EQ(StepFor(my57, "innodb_log_file_size")->method, ApplyMethod::kRestart);
  EXPECT_EQ(StepFor(my57, "innodb_log_buffer_size")->method, ApplyMethod::kRestart);
  Advice ma106 = AdviseOk(Request({{"db_engine", "mariadb"}, {"engine_version", "10.6"}}));
  EXPECT_EQ(StepFor(ma106, "innodb_log_file_size")->method, ApplyMethod::kRestart);
  Advice ma1011 = AdviseOk(Request({{"db_engine", "mariadb"}, {"engine_version", "10.11"}}));
  EXPECT_EQ(StepFor(ma1011, "innodb_log_file_size")->method, ApplyMethod::kReload);
  EXPECT_EQ(StepFor(ma1011, "innodb_log_file_size")->how.rfind("SET GLOBAL ", 0), 0u);
}

TEST(Apply, SqliteWalIsStoredOtherPragmasPerConnection) {
  Advice a = AdviseOk(Request({{"db_engine", "sqlite"}}));
  EXPECT_EQ(StepFor(a, "journal_mode")->method, ApplyMethod::kPersistentPragma);
  EXPECT_EQ(StepFor(a, "synchronous")->method, ApplyMethod::kSession);
  EXPECT_EQ(StepFor(a, "wal_autocheckpoint")->method, ApplyMethod::kSession);
  EXPECT_EQ(AdviceToJson(a)["apply"][1]["method"], "session");
}

// ----- Loss windows (hand-checked) ---------------------------------------------------------

// PostgreSQL synchronous_commit=off: 3 x wal_writer_delay = 3 x 200 ms = 600 ms.
TEST(LossWindow, PostgresThreeWalWriterDelays) {
  Advice a = AdviseOk(Request({{"db_engine", "pg"}, {"durability_requirement", "relaxed"}}));
  EXPECT_EQ(Value(a, "wal_writer_delay"), "200ms");
  EXPECT_DOUBLE_EQ(a.loss_window_ms, 600);
  EXPECT_NE(a.loss_window.find("3 x wal_writer_delay 200 ms"), std::string::npos);
}

// InnoDB flush_log_at_trx_commit=2: innodb_flush_log_at_timeout = 1 s, stated as not guaranteed.
TEST(LossWindow, InnodbFlushLogAtTimeout) {
  for (const char* engine : {"mysql", "mariadb"}) {
    Advice a = AdviseOk(Request({{"db_engine", engine}, {"durability_requirement", "relaxed"}}));
    EXPECT_EQ(Value(a, "innodb_flush_log_at_trx_commit"), "2");
    EXPECT_EQ(Value(a, "innodb_flush_log_at_timeout"), "1");
    EXPECT_DOUBLE_EQ(a.loss_window_ms, 1000) << engine;
    EXPECT_NE(a.loss_window.find("innodb_flush_log_at_timeout"), std::string::npos);
    EXPECT_NE(a.loss_window.find("can be longer"), std::string::npos);
  }
}

// SQLite NORMAL, 4 rows x 100 bytes = 2 WAL pages per transaction.
// Standard at 50 tps: 100 frames/s, wal_autocheckpoint = min(10 s of frames = 1000, ~1 s of
// frames = max(10, 100)) = 100 pages -> 100 / 2 = 50 transactions = 100 / (2 x 50) = 1.0 s.
// Standard at 2 tps: 4 frames/s, wal_autocheckpoint = max(10, 4) = 10 pages -> 5 transactions,
// 10 / (2 x 2) = 2.5 s: at a low rate the window is longer than 1 s.
// Relaxed (NORMAL) at 50 tps: 10 s of frames = 1000 pages -> 500 transactions, 10.0 s.
TEST(LossWindow, SqliteNormalBoundedByAutocheckpointAtTheStatedRate) {
  auto sqlite = [](const char* level, double tps) {
    return AdviseOk(Request({{"db_engine", "sqlite"},
                             {"durability_requirement", level},
                             {"write_rate", tps},
                             {"concurrency", 1},
                             {"storage_type", "SSD"},
                             {"recovery_time_target", 60}}));
  };
  Advice std50 = sqlite("standard", 50);
  EXPECT_EQ(Value(std50, "synchronous"), "NORMAL");
  EXPECT_EQ(Value(std50, "wal_autocheckpoint"), "100");
  EXPECT_DOUBLE_EQ(Estimate(std50, "unsynced_txns_max"), 50);
  EXPECT_DOUBLE_EQ(std50.loss_window_ms, 1000);
  Advice std2 = sqlite("standard", 2);
  EXPECT_EQ(Value(std2, "wal_autocheckpoint"), "10");
  EXPECT_DOUBLE_EQ(Estimate(std2, "unsynced_txns_max"), 5);
  EXPECT_DOUBLE_EQ(std2.loss_window_ms, 2500);
  EXPECT_NE(std2.loss_window.find("wal_autocheckpoint 10 pages / 2 pages per transaction = 5 "
                                  "transactions, i.e. 2.5 s at the stated 2.0 tps"),
            std::string::npos)
      << std2.loss_window;
  EXPECT_NE(std2.loss_window.find("after writes pause"), std::string::npos);
  Advice rel50 = sqlite("relaxed", 50);
  EXPECT_EQ(Value(rel50, "synchronous"), "NORMAL");
  EXPECT_EQ(Value(rel50, "wal_autocheckpoint"), "1000");
  EXPECT_DOUBLE_EQ(Estimate(rel50, "unsynced_txns_max"), 500);
  EXPECT_DOUBLE_EQ(rel50.loss_window_ms, 10000);
  EXPECT_FALSE(AnyContains(rel50.warnings, "corrupt"));
}

TEST(LossWindow, SqliteOffOnlyWhenCorruptionRiskIsAccepted) {
  auto parsed =
      ParseRequest(Request({{"db_engine", "sqlite"}, {"durability_requirement", "relaxed"}}));
  ASSERT_TRUE(parsed.ok());
  Scenario s = *parsed;
  EXPECT_EQ(Value(Solve(s), "synchronous"), "NORMAL");
  s.accepts_corruption_risk = true;
  Advice off = Solve(s);
  EXPECT_EQ(Value(off, "synchronous"), "OFF");
  EXPECT_DOUBLE_EQ(off.loss_window_ms, 30000);
  EXPECT_TRUE(AnyContains(off.warnings, "corrupt"));
  // Accepting corruption risk never relaxes the stricter levels.
  for (Durability d : {Durability::kStrict, Durability::kStandard}) {
    s.durability = d;
    EXPECT_NE(Value(Solve(s), "synchronous"), "OFF");
  }
}

// ----- Strict stays strict and says what standard would give -------------------------------

TEST(StrictRate, WarnsAndOffersStandardWithoutSwitching) {
  struct Case {
    const char* engine;
    const char* setting;
    const char* strict_value;
    const char* offered;
  };
  for (const Case& c :
       {Case{"pg", "synchronous_commit", "on", "synchronous_commit=off"},
        Case{"mysql", "innodb_flush_log_at_trx_commit", "1", "innodb_flush_log_at_trx_commit=2"},
        Case{"mariadb", "innodb_flush_log_at_trx_commit", "1", "innodb_flush_log_at_trx_commit=2"},
        Case{"sqlite", "synchronous", "FULL", "synchronous=NORMAL"}}) {
    Advice a = AdviseOk(Request({{"db_engine", c.engine},
                                 {"durability_requirement", "strict"},
                                 {"write_rate", "20000 tps"},
                                 {"storage_type", "HDD"},
                                 {"concurrency", 4}}));
    EXPECT_EQ(Value(a, c.setting), c.strict_value) << c.engine;
    EXPECT_EQ(a.loss_window_ms, 0) << c.engine;
    EXPECT_TRUE(
        AnyContains(a.warnings, "durability \"standard\" would use " + std::string(c.offered)))
        << c.engine;
  }
  // No such warning when strict meets the rate.
  Advice ok = AdviseOk(Request({{"db_engine", "pg"},
                                {"durability_requirement", "strict"},
                                {"write_rate", "100 tps"},
                                {"storage_type", "NVMe"}}));
  EXPECT_FALSE(AnyContains(ok.warnings, "would use"));
}

}  // namespace
}  // namespace waltune
