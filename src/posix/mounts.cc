#include "posix/mounts.h"

#include <fstream>
#include <sstream>

namespace waltune::posix {

namespace {

bool IsOctalDigit(char c) { return c >= '0' && c <= '7'; }

bool IsUnder(const std::string& path, const std::string& mount_point) {
  if (mount_point == "/") return true;
  if (path.compare(0, mount_point.size(), mount_point) != 0) return false;
  return path.size() == mount_point.size() || path[mount_point.size()] == '/';
}

}  // namespace

std::string UnescapeMountField(std::string_view field) {
  std::string out;
  out.reserve(field.size());
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size() && IsOctalDigit(field[i + 1]) &&
        IsOctalDigit(field[i + 2]) && IsOctalDigit(field[i + 3])) {
      const int code = (field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 + (field[i + 3] - '0');
      if (code < 256) {
        out.push_back(static_cast<char>(code));
        i += 3;
        continue;
      }
    }
    out.push_back(field[i]);
  }
  return out;
}

namespace {

// One entry a line that `parse(line, &entry)` accepts, with source and mount point unescaped.
template <typename ParseLine>
std::vector<MountEntry> ParseLines(const std::string& text, ParseLine parse) {
  std::vector<MountEntry> mounts;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    MountEntry entry;
    if (!parse(line, &entry)) continue;
    entry.source = UnescapeMountField(entry.source);
    entry.mount_point = UnescapeMountField(entry.mount_point);
    mounts.push_back(std::move(entry));
  }
  return mounts;
}

}  // namespace

std::vector<MountEntry> ParseProcMounts(const std::string& text) {
  return ParseLines(text, [](const std::string& line, MountEntry* entry) {
    std::istringstream fields(line);
    return static_cast<bool>(fields >> entry->source >> entry->mount_point >> entry->fs_type);
  });
}

std::vector<MountEntry> ParseMountInfo(const std::string& text) {
  return ParseLines(text, [](const std::string& line, MountEntry* entry) {
    const size_t dash = line.find(" - ");
    if (dash == std::string::npos) return false;
    std::istringstream before(line.substr(0, dash));
    std::string id, parent, dev, root;
    if (!(before >> id >> parent >> dev >> root >> entry->mount_point)) return false;
    std::istringstream after(line.substr(dash + 3));
    after >> entry->fs_type >> entry->source;
    return true;
  });
}

std::vector<MountEntry> ReadSelfMountInfo() {
  std::ifstream in("/proc/self/mountinfo");
  std::ostringstream text;
  text << in.rdbuf();
  return ParseMountInfo(text.str());
}

const MountEntry* FindMountHolding(const std::vector<MountEntry>& mounts, const std::string& path) {
  const MountEntry* best = nullptr;
  for (const MountEntry& m : mounts) {
    if (!IsUnder(path, m.mount_point)) continue;
    if (best == nullptr || m.mount_point.size() >= best->mount_point.size()) best = &m;
  }
  return best;
}

}  // namespace waltune::posix
