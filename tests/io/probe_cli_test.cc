// Integration tests of the `waltune probe` command line (the built binary).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "waltune/request.h"

namespace waltune {
namespace {

namespace fs = std::filesystem;

struct CliRun {
  int exit_code = -1;   // when it exited
  int term_signal = 0;  // when a signal killed it
  std::string out;
  std::string err;
};

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string MakeScratchDir() {
  fs::create_directories(WALTUNE_SCRATCH_DIR);
  std::string templ = std::string(WALTUNE_SCRATCH_DIR) + "/cli-XXXXXX";
  EXPECT_NE(::mkdtemp(templ.data()), nullptr);
  return templ;
}

int CountProbeFiles(const std::string& dir) {
  int n = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().filename().string().rfind(".waltune-probe-", 0) == 0) ++n;
  }
  return n;
}

// Starts argv with stdout/stderr redirected to files in `scratch`; returns the pid.
pid_t Start(const std::vector<std::string>& argv, const std::string& scratch) {
  pid_t pid = ::fork();
  if (pid == 0) {
    int out = ::open((scratch + "/stdout").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int err = ::open((scratch + "/stderr").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(out, STDOUT_FILENO);
    ::dup2(err, STDERR_FILENO);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  return pid;
}

CliRun Wait(pid_t pid, const std::string& scratch) {
  CliRun r;
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) r.term_signal = WTERMSIG(status);
  r.out = Slurp(scratch + "/stdout");
  r.err = Slurp(scratch + "/stderr");
  return r;
}

class ProbeCliTest : public ::testing::Test {
 protected:
  void SetUp() override { io_dir_ = MakeScratchDir(); }
  void TearDown() override { fs::remove_all(io_dir_); }

  CliRun Probe(std::vector<std::string> args) {
    args.insert(args.begin(), {WALTUNE_BINARY, "probe"});
    return Wait(Start(args, io_dir_), io_dir_);
  }

  std::string io_dir_;  // holds the captured output (and is a disk directory to probe)
};

TEST_F(ProbeCliTest, MissingDirectoryExitsTwoWithJsonErrorNamingPath) {
  CliRun r = Probe({"--path", "/nonexistent/dir"});
  EXPECT_EQ(r.exit_code, 2);
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["error"]["field"], "--path");
  EXPECT_NE(j["error"]["message"].get<std::string>().find("/nonexistent/dir"), std::string::npos);
}

TEST_F(ProbeCliTest, UnwritableDirectoryExitsTwo) {
  CliRun r = Probe({"--path", "/proc"});
  EXPECT_EQ(r.exit_code, 2);
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["error"]["field"], "--path");
  EXPECT_NE(j["error"]["message"].get<std::string>().find("cannot create a file"),
            std::string::npos);
}

TEST_F(ProbeCliTest, PathIsRequired) {
  CliRun r = Probe({});
  EXPECT_EQ(r.exit_code, 2);
}

TEST_F(ProbeCliTest, DiskProfileJsonIsAcceptedByAdvise) {
  const std::string target = io_dir_ + "/target";
  fs::create_directory(target);
  CliRun r = Probe({"--path", target, "--quick", "--seconds", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");  // no progress line when stderr is not a terminal
  auto j = nlohmann::json::parse(r.out);
  for (const char* key :
       {"path", "filesystem", "device", "rotational", "write_cache", "class", "sync_methods",
        "recommended_sync_method", "seq_write_bytes_per_s", "group_commit_curve", "warnings"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j["group_commit_curve"].size(), 5u);
  EXPECT_EQ(j["path"], fs::canonical(target).string());
  auto spec = StorageSpecFromProfile(j, "--storage-profile");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_TRUE(spec->measured);
  EXPECT_GT(spec->flush_p50_us, 0);
  EXPECT_EQ(CountProbeFiles(target), 0);
}

TEST_F(ProbeCliTest, TextFormatOnShmShowsClassAndWarning) {
  CliRun r = Probe({"--path", "/dev/shm", "--quick", "--seconds", "1", "--format", "text"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("class        memory"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Warnings:"), std::string::npos);
  EXPECT_NE(r.out.find("Group commit"), std::string::npos);
}

TEST_F(ProbeCliTest, ProgressLineOnlyOnATerminal) {
  if (::access("/usr/bin/script", X_OK) != 0) GTEST_SKIP() << "util-linux script(1) missing";
  // script(1) gives the command a pseudo-terminal; its output is what the terminal showed.
  // It runs the command through the shell: the binary's path is quoted (it may hold spaces).
  std::string quoted = "'";
  for (char c : std::string(WALTUNE_BINARY))
    quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  quoted += "'";
  const std::string cmd = quoted + " probe --path /dev/shm --seconds 1 --format text";
  Wait(Start({"/usr/bin/script", "-qec", cmd, "/dev/null"}, io_dir_), io_dir_);
  const std::string terminal = Slurp(io_dir_ + "/stdout");
  EXPECT_NE(terminal.find("probe [1/"), std::string::npos) << terminal;
  EXPECT_NE(terminal.find("group commit, 16 writers"), std::string::npos);
}

TEST_F(ProbeCliTest, CtrlCRemovesProbeFiles) {
  const std::string target = io_dir_ + "/target";
  fs::create_directory(target);
  pid_t pid = Start({WALTUNE_BINARY, "probe", "--path", target, "--seconds", "60"}, io_dir_);
  bool saw = false;
  for (int i = 0; i < 200 && !saw; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    saw = CountProbeFiles(target) > 0;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  ::kill(pid, SIGINT);
  CliRun r = Wait(pid, io_dir_);
  EXPECT_TRUE(saw);
  EXPECT_EQ(r.term_signal, SIGINT);
  EXPECT_EQ(CountProbeFiles(target), 0);
  EXPECT_TRUE(fs::is_empty(target));
}

}  // namespace
}  // namespace waltune
