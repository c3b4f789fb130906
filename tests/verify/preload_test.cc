// The flush-delay preload library really delays flushes: a child process that flushes N times
// with a delay of D us cannot finish in less than N * D.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "process.h"

namespace waltune::verify {
namespace {

double RunWithPreload(const std::string& flag, uint64_t delay_us) {
  char dir[] = "/tmp/waltune-preloadtest-XXXXXX";
  EXPECT_NE(mkdtemp(dir), nullptr);
  // A copy in the temp dir: LD_PRELOAD cannot name a path with spaces or colons, and the
  // checkout (where the build puts the library) may have them.
  const std::string lib = std::string(dir) + "/libwaltune_flushdelay.so";
  std::filesystem::copy_file(WALTUNE_PRELOAD_PATH, lib);
  SpawnOptions so;
  so.argv = {"/bin/dd", "if=/dev/zero", std::string("of=") + dir + "/f",
             "bs=4096", "count=10",     flag};
  so.extra_env = {"LD_PRELOAD=" + lib, "WALTUNE_FLUSH_DELAY_US=" + std::to_string(delay_us)};
  const double t0 = NowSeconds();
  Status s = RunAndWait(so, 60);
  const double elapsed = NowSeconds() - t0;
  EXPECT_TRUE(s.ok()) << s.ToString();
  unlink((std::string(dir) + "/f").c_str());
  unlink(lib.c_str());
  rmdir(dir);
  return elapsed;
}

TEST(FlushDelayPreload, DelaysEveryWriteToAnODsyncFile) {
  // dd oflag=dsync opens the output with O_DSYNC: 10 writes, each delayed 30 ms.
  EXPECT_GE(RunWithPreload("oflag=dsync", 30000), 10 * 0.030);
}

TEST(FlushDelayPreload, DelaysFsync) {
  // conv=fsync: one fsync at the end; delayed 300 ms.
  EXPECT_GE(RunWithPreload("conv=fsync", 300000), 0.300);
}

}  // namespace
}  // namespace waltune::verify
