// The public instance API against real PostgreSQL and MariaDB servers.
#include "waltune/instance.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <filesystem>

#include "process.h"

namespace waltune {
namespace {

// Kill, restart with settings, refuse a TCP setting, report a bad setting with the log tail,
// and leave neither processes nor the temp dir behind.
template <typename Instance>
void ExerciseInstance(const SettingList& good, const std::string& bad_name) {
  std::string dir;
  {
    Instance inst;
    ASSERT_TRUE(inst.Create().ok());
    dir = inst.dir();
    struct stat st;
    ASSERT_EQ(stat(dir.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);
    Status s = inst.Start(good);
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_TRUE(inst.ConnectCheck().ok());
    EXPECT_GT(inst.last_start_s(), 0);
    EXPECT_FALSE(inst.version().empty());
    const pid_t old = inst.pid();
    ASSERT_TRUE(inst.Kill().ok());
    EXPECT_FALSE(inst.running());
    EXPECT_NE(kill(old, 0), 0);  // really gone, not a zombie of ours
    EXPECT_FALSE(verify::GroupAlive(old));
    s = inst.Start(good);
    ASSERT_TRUE(s.ok()) << s.ToString();
    ASSERT_TRUE(inst.Stop().ok());
    EXPECT_TRUE(inst.Start({{"port", "5433"}}).IsInvalidArgument());
    s = inst.Start({{bad_name, "1"}});
    EXPECT_FALSE(s.ok());
    EXPECT_NE(s.message().find(bad_name), std::string::npos) << s.ToString();
    EXPECT_FALSE(inst.running());
    s = inst.Start(good);  // still usable afterwards
    ASSERT_TRUE(s.ok()) << s.ToString();
  }  // destructor: kill + remove
  EXPECT_FALSE(std::filesystem::exists(dir));
  EXPECT_TRUE(verify::ProcessesMentioning(dir).empty());
}

TEST(PostgresInstance, StartKillRestartStop) {
  ExerciseInstance<PostgresInstance>(
      {{"synchronous_commit", "on"}, {"max_wal_size", "1GB"}, {"wal_compression", "lz4"}},
      "no_such_parameter_waltune");
}

TEST(MariadbInstance, StartKillRestartStop) {
  ExerciseInstance<MariadbInstance>(
      {{"innodb_flush_log_at_trx_commit", "1"}, {"innodb_log_file_size", "256M"}},
      "no-such-option-waltune");
}

}  // namespace
}  // namespace waltune
