// The read-back comparison of applied settings, with the value shapes the engines really
// return: MariaDB's SHOW GLOBAL VARIABLES (sizes in bytes, ON/OFF, "90.000000") and SQLite's
// PRAGMA name (numbers for synchronous/temp_store, lower-case journal_mode).
#include "settings_check.h"

#include <gtest/gtest.h>

namespace waltune::verify {
namespace {

TEST(MariadbVariableName, NormalisesTheOption) {
  EXPECT_EQ(MariadbVariableName("innodb_flush_log_at_trx_commit"),
            "innodb_flush_log_at_trx_commit");
  EXPECT_EQ(MariadbVariableName("Innodb-Log-File-Size"), "innodb_log_file_size");
  EXPECT_EQ(MariadbVariableName("loose-innodb_doublewrite"), "innodb_doublewrite");
  EXPECT_EQ(MariadbVariableName("loose_sync_binlog"), "sync_binlog");
  EXPECT_EQ(MariadbVariableName("x' OR '1"), "");  // never reaches SQL
  EXPECT_EQ(MariadbVariableName("loose_"), "");
}

TEST(MariadbValueInForce, SizesAgainstBytes) {
  EXPECT_TRUE(MariadbValueInForce("innodb_log_buffer_size", "16M", "16777216"));
  EXPECT_TRUE(MariadbValueInForce("innodb_log_file_size", "4608M", "4831838208"));
  EXPECT_TRUE(MariadbValueInForce("innodb_log_file_size", "1g", "1073741824"));
  EXPECT_TRUE(MariadbValueInForce("innodb_log_file_size", "96k", "98304"));
  // The server raised a value below its minimum (only a warning in the error log).
  EXPECT_FALSE(MariadbValueInForce("innodb_log_buffer_size", "1K", "2097152"));
  EXPECT_FALSE(MariadbValueInForce("innodb_log_file_size", "16E", "16"));  // overflows
}

TEST(MariadbValueInForce, NumbersBooleansAndEnums) {
  EXPECT_TRUE(MariadbValueInForce("innodb_flush_log_at_trx_commit", "2", "2"));
  EXPECT_FALSE(MariadbValueInForce("innodb_flush_log_at_trx_commit", "2", "1"));
  EXPECT_TRUE(MariadbValueInForce("innodb_io_capacity", "2700", "2700"));
  EXPECT_FALSE(MariadbValueInForce("innodb_io_capacity_max", "100", "200"));
  EXPECT_TRUE(MariadbValueInForce("innodb_max_dirty_pages_pct", "90", "90.000000"));
  EXPECT_TRUE(MariadbValueInForce("innodb_doublewrite", "ON", "ON"));
  EXPECT_TRUE(MariadbValueInForce("innodb_doublewrite", "1", "ON"));
  EXPECT_TRUE(MariadbValueInForce("innodb_adaptive_flushing", "true", "ON"));
  EXPECT_TRUE(MariadbValueInForce("innodb_adaptive_flushing", "0", "OFF"));
  EXPECT_FALSE(MariadbValueInForce("innodb_doublewrite", "ON", "OFF"));
  EXPECT_TRUE(MariadbValueInForce("innodb_flush_method", "o_direct", "O_DIRECT"));
  EXPECT_FALSE(MariadbValueInForce("innodb_flush_method", "O_DIRECT", "fsync"));
  // --log-bin takes a file base name; the variable says whether the binary log is on.
  EXPECT_TRUE(MariadbValueInForce("log_bin", "mysql-bin", "ON"));
  EXPECT_FALSE(MariadbValueInForce("log_bin", "mysql-bin", "OFF"));
}

TEST(SqlitePragmaInForce, NumbersAndKeywords) {
  EXPECT_TRUE(SqlitePragmaInForce("synchronous", "FULL", "2"));
  EXPECT_TRUE(SqlitePragmaInForce("synchronous", "normal", "1"));
  EXPECT_TRUE(SqlitePragmaInForce("synchronous", "OFF", "0"));
  EXPECT_TRUE(SqlitePragmaInForce("synchronous", "EXTRA", "3"));
  EXPECT_TRUE(SqlitePragmaInForce("synchronous", "2", "2"));
  EXPECT_FALSE(SqlitePragmaInForce("synchronous", "FULL", "1"));
  EXPECT_TRUE(SqlitePragmaInForce("journal_mode", "WAL", "wal"));
  EXPECT_FALSE(SqlitePragmaInForce("journal_mode", "WAL", "delete"));
  EXPECT_TRUE(SqlitePragmaInForce("wal_autocheckpoint", "1000", "1000"));
  EXPECT_TRUE(SqlitePragmaInForce("journal_size_limit", "5242880", "5242880"));
  EXPECT_TRUE(SqlitePragmaInForce("cache_size", "-2000", "-2000"));
  // page_size set after the database left its empty state is ignored.
  EXPECT_FALSE(SqlitePragmaInForce("page_size", "8192", "4096"));
  EXPECT_TRUE(SqlitePragmaInForce("temp_store", "MEMORY", "2"));
  EXPECT_TRUE(SqlitePragmaInForce("auto_vacuum", "incremental", "2"));
  EXPECT_FALSE(SqlitePragmaInForce("auto_vacuum", "FULL", "0"));
  EXPECT_TRUE(SqlitePragmaInForce("foreign_keys", "ON", "1"));
  EXPECT_TRUE(SqlitePragmaInForce("locking_mode", "NORMAL", "normal"));
  EXPECT_FALSE(SqlitePragmaInForce("synchronous", "sometimes", "1"));
}

}  // namespace
}  // namespace waltune::verify
