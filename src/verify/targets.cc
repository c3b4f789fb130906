// The target factory and the engine-independent helpers of targets.h; each engine's target is
// in targets/<engine>.cc.
#include "targets.h"

#include <fcntl.h>
#include <unistd.h>

#include <cassert>
#include <charconv>
#include <filesystem>
#include <map>
#include <string_view>
#include <vector>

#include "targets/server_target.h"

namespace waltune::verify {

std::string RecoveryLogTail(const std::string& before_crash, const std::string& restart,
                            size_t max_error_lines) {
  std::vector<std::string_view> errors;
  std::string_view rest = before_crash;
  while (!rest.empty()) {
    const size_t eol = rest.find('\n');
    const std::string_view line = rest.substr(0, eol);
    rest = eol == std::string_view::npos ? std::string_view() : rest.substr(eol + 1);
    if (line.find("[ERROR]") != std::string_view::npos ||
        line.find("ERROR:") != std::string_view::npos ||
        line.find("PANIC:") != std::string_view::npos) {
      errors.push_back(line);
    }
  }
  std::string out;
  if (!errors.empty()) {
    out = "errors logged before the crash:\n";
    const size_t first = errors.size() > max_error_lines ? errors.size() - max_error_lines : 0;
    for (size_t i = first; i < errors.size(); ++i) {
      out += std::string(errors[i].substr(0, 500)) + "\n";
    }
    out += "the restart:\n";
  }
  const size_t room = out.size() < kRecoveryLogTailBytes ? kRecoveryLogTailBytes - out.size() : 0;
  out += restart.size() > room ? restart.substr(restart.size() - room) : restart;
  return out;
}

std::optional<uint64_t> ParseU64Text(std::string_view text) {
  uint64_t v = 0;
  const char* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, v);
  if (text.empty() || ec != std::errc() || p != end) return std::nullopt;
  return v;
}

Result<uint64_t> EvictFromPageCache(const std::string& dir) {
  // sync(2) first: DONTNEED drops clean pages only, dirty ones would be written and stay.
  sync();
  uint64_t files = 0;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(
           dir, std::filesystem::directory_options::skip_permission_denied, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code type_ec;
    if (!it->is_regular_file(type_ec) || it->is_symlink(type_ec)) continue;
    int fd = open(it->path().c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) continue;  // e.g. a socket or a file that vanished: nothing cached to drop
    fdatasync(fd);
    if (posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) == 0) ++files;
    close(fd);
  }
  if (ec) return Status::IOError("evict " + dir, ec.message());
  return files;
}

namespace {
// Filled by the static initializers of targets/<engine>.cc, before main().
std::map<Engine, TargetFactory>& Factories() {
  static std::map<Engine, TargetFactory> factories;
  return factories;
}
}  // namespace

bool RegisterTarget(Engine engine, TargetFactory factory) {
  assert(factory != nullptr && Factories().count(engine) == 0);
  Factories()[engine] = factory;
  return true;
}

TargetFactory FindTargetFactory(Engine engine) {
  auto it = Factories().find(engine);
  return it == Factories().end() ? nullptr : it->second;
}

Result<std::unique_ptr<Target>> MakeTarget(const VerifyOptions& options) {
  TargetFactory factory = FindTargetFactory(options.engine);
  if (factory == nullptr) {
    return Status::InvalidArgument(
        "--engine", std::string("no verify target for ") + EngineName(options.engine));
  }
  return factory(options);
}

}  // namespace waltune::verify
