// Live-engine tests' check that nothing outlives a test: the children of this process that are
// still alive (or unreaped), read from /proc/*/stat.
#pragma once

#include <sys/types.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace waltune::testing {

inline std::vector<pid_t> OurChildren() {
  std::vector<pid_t> kids;
  const std::string me = std::to_string(getpid());
  for (const auto& e : std::filesystem::directory_iterator("/proc")) {
    std::string name = e.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(e.path() / "stat");
    std::string line;
    if (!std::getline(in, line)) continue;
    std::istringstream rest(line.substr(line.rfind(')') + 2));
    std::string state, ppid;
    rest >> state >> ppid;
    if (ppid == me) kids.push_back(std::stoi(name));
  }
  return kids;
}

}  // namespace waltune::testing
