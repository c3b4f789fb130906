#include "waltune/json_input.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace waltune {

Result<nlohmann::json> ParseJsonInput(std::string_view text, const std::string& field) {
  bool too_deep = false;
  // The parser callback sees the depth of every value as it is parsed; past the limit the
  // parse stops at once (the exception is caught below), before a deep tree exists.
  auto limit = [&too_deep](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
    if (depth >= kMaxJsonDepth) {  // depth counts from 0 at the outermost value
      too_deep = true;
      throw std::length_error("too deep");
    }
    return true;
  };
  try {
    return nlohmann::json::parse(text.begin(), text.end(), limit);
  } catch (const nlohmann::json::exception& e) {  // parse_error; out_of_range 406 (1e999)
    return Status::InvalidArgument(field, std::string("invalid JSON: ") + e.what());
  } catch (const std::length_error&) {
    if (!too_deep) throw;
    return Status::InvalidArgument(
        field, fmt::format("JSON nested deeper than {} levels; no waltune input needs that",
                           kMaxJsonDepth));
  }
}

// With open/read: an istreambuf_iterator over an ifstream throws when read() fails (a directory
// opens, then reads EISDIR), which reached the user as "unexpected exception (a waltune bug)".
Result<std::string> ReadInputFileText(const std::string& path, const std::string& field) {
  auto refuse = [&](int err) {
    return Status::InvalidArgument(field, "cannot read '" + path + "': " + std::strerror(err));
  };
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return refuse(errno);
  std::string text;
  char buf[65536];
  while (true) {
    const ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      close(fd);
      return refuse(err);
    }
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return text;
}

Result<nlohmann::json> ReadJsonInputFile(const std::string& path, const std::string& field) {
  Result<std::string> text = ReadInputFileText(path, field);
  if (!text.ok()) return text.status();
  return ParseJsonInput(*text, field);
}

}  // namespace waltune
