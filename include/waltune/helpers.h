// Where waltune finds its helpers: the power-cut file system (waltune-powercut) and the
// flush-delay LD_PRELOAD library (libwaltune_flushdelay.so). Both are looked up relative to the
// running executable (/proc/self/exe), so a relocated install (another prefix, DESTDIR) works:
//   1. build tree: next to the executable (build/waltune, build/waltune-powercut, ...);
//   2. install tree: <bindir>/WALTUNE_HELPER_RELDIR, i.e. ../libexec/waltune under the
//      GNUInstallDirs defaults (the top-level CMakeLists.txt computes it from the install dirs).
#ifndef WALTUNE_HELPERS_H_
#define WALTUNE_HELPERS_H_

#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <string>

namespace waltune {

// The directory of the running executable ("" when /proc is not mounted).
inline std::string ExecutableDir() {
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n <= 0) return "";
  std::string path(self, static_cast<size_t>(n));
  return path.substr(0, path.rfind('/'));
}

// The full path of helper `name`, or "" when neither layout has it.
inline std::string FindHelper(const std::string& name) {
  const std::string dir = ExecutableDir();
  if (dir.empty()) return "";
  std::string candidates[] = {dir + "/" + name,
#ifdef WALTUNE_HELPER_RELDIR
                              dir + "/" WALTUNE_HELPER_RELDIR "/" + name
#endif
  };
  for (const std::string& path : candidates) {
    if (path.empty() || access(path.c_str(), R_OK) != 0) continue;
    // Without the "bin/.." of the install layout (and symlinks resolved).
    char real[PATH_MAX];
    return realpath(path.c_str(), real) != nullptr ? std::string(real) : path;
  }
  return "";
}

}  // namespace waltune

#endif  // WALTUNE_HELPERS_H_
