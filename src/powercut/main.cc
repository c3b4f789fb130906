// waltune-powercut: a FUSE file system that forgets unflushed writes on a "power cut".
//   waltune-powercut BACKING_DIR MOUNTPOINT [--control=SOCKET] [--file-sync-commits-names]
//                    [--sync-backing] [--cache-timeout=SECONDS] [libfuse options: -f -d -o ...]
//   waltune-powercut --send=SOCKET cut|sync|stats|ping
// See docs/powercut.md.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "powercut/powercut_fs.h"
#include "waltune/parse_number.h"
#include "waltune/powercut.h"

namespace {

constexpr char kUsage[] =
    "usage: waltune-powercut BACKING_DIR MOUNTPOINT [--control=SOCKET]\n"
    "           [--file-sync-commits-names] [--sync-backing] [--cache-timeout=SECONDS]\n"
    "           [libfuse options, e.g. -f -d -o allow_other,default_permissions,auto_unmount]\n"
    "       waltune-powercut --send=SOCKET 'cut'|'cut random SEED'|sync|stats|ping\n";

bool TakeValue(const std::string& arg, const std::string& flag, std::string* value) {
  if (arg.rfind(flag + "=", 0) != 0) return false;
  *value = arg.substr(flag.size() + 1);
  return true;
}

int Send(const std::string& socket, const std::string& command) {
  auto reply = waltune::powercut::SendControlCommand(socket, command);
  if (!reply.ok()) {
    std::fprintf(stderr, "waltune-powercut: %s\n", reply.status().ToString().c_str());
    return 1;
  }
  std::printf("%s\n", reply->c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  waltune::powercut::FsOptions options;
  std::vector<std::string> positional;
  std::string value;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (TakeValue(arg, "--send", &value)) {
      std::string command;
      for (int j = i + 1; j < argc; ++j) {
        if (j > i + 1) command += ' ';
        command += argv[j];
      }
      if (command.empty()) break;
      return Send(value, command);
    } else if (TakeValue(arg, "--control", &value)) {
      options.control_socket = value;
    } else if (TakeValue(arg, "--cache-timeout", &value)) {
      std::optional<double> sec = waltune::ParseFiniteDouble(value);
      if (!sec || *sec < 0) {
        std::fprintf(stderr, "waltune-powercut: --cache-timeout needs seconds >= 0, not '%s'\n",
                     value.c_str());
        return 2;
      }
      options.cache_timeout_sec = *sec;
    } else if (arg == "--sync-backing") {
      options.sync_backing = true;
    } else if (arg == "--file-sync-commits-names") {
      options.file_sync_commits_names = true;
    } else if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (arg == "-o" && i + 1 < argc) {
      options.fuse_args.push_back(arg);
      options.fuse_args.push_back(argv[++i]);
    } else if (!arg.empty() && arg[0] == '-') {
      options.fuse_args.push_back(arg);
    } else {
      positional.push_back(arg);
    }
  }
  if (positional.size() != 2) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  options.backing_dir = positional[0];
  options.mountpoint = positional[1];
  return waltune::powercut::RunPowercutFs(options);
}
