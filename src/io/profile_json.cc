// The storage-profile JSON (schema in docs/probe.md) and the --format text table.
#include <fmt/format.h>

#include <cmath>

#include "waltune/probe.h"
#include "waltune/units.h"

namespace waltune {
namespace {

double Round1(double x) { return std::round(x * 10.0) / 10.0; }

nlohmann::json StatsJson(const LatencyStats& s) {
  return {{"ops", s.ops},
          {"p50_us", Round1(s.p50_us)},
          {"p99_us", Round1(s.p99_us)},
          {"max_us", Round1(s.max_us)},
          {"mean_us", Round1(s.mean_us)},
          {"ops_per_s", Round1(s.ops_per_s)}};
}

nlohmann::json MethodJson(const SyncMethodResult& m) {
  nlohmann::json j;
  if (m.supported) {
    j = StatsJson(m.stats);
  } else {
    j = {{"ops", 0},          {"p50_us", nullptr},  {"p99_us", nullptr},
         {"max_us", nullptr}, {"mean_us", nullptr}, {"ops_per_s", nullptr}};
  }
  j["supported"] = m.supported;
  j["safe"] = m.safe;
  if (!m.note.empty()) j["note"] = m.note;
  return j;
}

nlohmann::json MethodsJson(const std::vector<SyncMethodResult>& methods) {
  nlohmann::json j = nlohmann::json::object();
  for (const SyncMethodResult& m : methods) j[m.method] = MethodJson(m);
  return j;
}

nlohmann::json OptionalString(const std::string& s) {
  return s.empty() ? nlohmann::json(nullptr) : nlohmann::json(s);
}

std::string DeviceName(const DeviceInfo& d) {
  std::string name;
  for (const std::string& disk : d.disks) name += (name.empty() ? "" : ",") + disk;
  return name;
}

std::string FormatUs(double us) {
  return us >= 10000 ? fmt::format("{:.1f} ms", us / 1000) : fmt::format("{:.1f} us", us);
}

// "random_write_8k_iops", "random_write_16k_fdatasync_iops", "random_read_8k_iops", ...
std::string RandomIoKey(const RandomIoResult& r) {
  return fmt::format("random_{}_{}k{}_iops", r.read ? "read" : "write", r.block_bytes / 1024,
                     r.flush_each ? "_fdatasync" : "");
}

bool Measured(const RandomIoResult& r) { return r.stats.ops > 0 && r.ops_per_s > 0; }

}  // namespace

nlohmann::json ProfileToJson(const StorageProfile& p) {
  const DeviceInfo& d = p.device;
  nlohmann::json j;
  j["path"] = d.path;
  j["filesystem"] = d.filesystem;
  j["mount_point"] = d.mount_point;
  j["mount_source"] = d.mount_source;
  j["device"] = OptionalString(DeviceName(d));
  j["device_chain"] = d.device_chain;
  j["transport"] = OptionalString(d.transport);
  j["model"] = OptionalString(d.model);
  j["rotational"] = d.rotational.has_value() ? nlohmann::json(*d.rotational) : nullptr;
  j["write_cache"] = OptionalString(d.write_cache);
  j["class"] = p.classification.storage_class;
  j["evidence"] = p.classification.evidence;
  j["sync_methods"] = MethodsJson(p.sync_methods);
  j["append_sync_methods"] = MethodsJson(p.append_sync_methods);
  nlohmann::json sizes = nlohmann::json::array();
  for (const WriteSizeResult& w : p.write_sizes) {
    nlohmann::json e = StatsJson(w.stats);
    e["method"] = w.method;
    e["writes_per_flush"] = w.writes_per_flush;
    e["write_bytes"] = w.write_bytes;
    e["bytes_per_flush"] = w.write_bytes * static_cast<uint64_t>(w.writes_per_flush);
    if (!w.note.empty()) e["note"] = w.note;
    sizes.push_back(e);
  }
  j["write_sizes"] = sizes;
  j["recommended_sync_method"] = p.recommended_sync_method;
  j["recommendation_reason"] = p.recommendation_reason;
  nlohmann::json idle = nlohmann::json::array();
  for (const IdleFlushResult& r : p.flush_after_idle) {
    idle.push_back({{"gap_us", r.gap_us},
                    {"idle_us", Round1(r.idle_p50_us)},
                    {"p50_us", Round1(r.stats.p50_us)},
                    {"p99_us", Round1(r.stats.p99_us)},
                    {"samples", r.stats.ops}});
  }
  j["flush_after_idle"] = idle;
  j["flush_after_idle_method"] = OptionalString(p.flush_after_idle_method);
  j["seq_write_bytes_per_s"] = std::round(p.seq_write_bytes_per_s);
  j["seq_write_bytes"] = p.seq_write_bytes;
  nlohmann::json random_io = nlohmann::json::array();
  for (const RandomIoResult& r : p.random_io) {
    nlohmann::json e = Measured(r) ? StatsJson(r.stats) : nlohmann::json::object();
    e["op"] = r.read ? "read" : "write";
    e["block_bytes"] = r.block_bytes;
    if (!r.read) e["fdatasync_each"] = r.flush_each;
    if (r.read) e["cache"] = OptionalString(r.cache);
    e["sustained_ops_per_s"] = Measured(r) ? nlohmann::json(Round1(r.ops_per_s)) : nullptr;
    if (!r.note.empty()) e["note"] = r.note;
    random_io.push_back(e);
    // The flat figure the model reads (null when not measured).
    j[RandomIoKey(r)] = Measured(r) ? nlohmann::json(Round1(r.ops_per_s)) : nullptr;
  }
  j["random_io"] = random_io;
  j["seq_read_bytes_per_s"] =
      p.seq_read_bytes > 0 ? nlohmann::json(std::round(p.seq_read_bytes_per_s)) : nullptr;
  j["seq_read_bytes"] = p.seq_read_bytes;
  j["seq_read_cache"] = OptionalString(p.seq_read_cache);
  j["buffered_read_bytes_per_s"] =
      p.buffered_read_bytes > 0 ? nlohmann::json(std::round(p.buffered_read_bytes_per_s)) : nullptr;
  j["buffered_read_bytes"] = p.buffered_read_bytes;
  j["clean_fsync_us"] =
      p.clean_fsync_files > 0 ? nlohmann::json(Round1(p.clean_fsync_us)) : nullptr;
  j["clean_fsync_files"] = p.clean_fsync_files;
  nlohmann::json curve = nlohmann::json::array();
  for (const GroupCommitPoint& g : p.group_commit_curve) {
    curve.push_back({{"writers", g.writers},
                     {"commits_per_s", Round1(g.commits_per_s)},
                     {"mean_batch", std::round(g.mean_batch * 100) / 100},
                     {"commits", g.commits},
                     {"flushes", g.flushes},
                     {"commit_p50_us", Round1(g.commit_p50_us)},
                     {"commit_p99_us", Round1(g.commit_p99_us)}});
  }
  j["group_commit_curve"] = curve;
  j["group_commit_method"] = p.group_commit_method;
  j["group_commit_record_bytes"] = p.group_commit_record_bytes;
  j["warnings"] = p.warnings;
  j["probe"] = {{"quick", p.quick},
                {"budget_s", p.budget_s},
                {"elapsed_s", std::round(p.elapsed_s * 100) / 100}};
  return j;
}

std::string ProfileToText(const StorageProfile& p) {
  const DeviceInfo& d = p.device;
  std::string out;
  out += fmt::format("Storage probe of {}\n", d.path);
  out += fmt::format("  file system  {} on {} (mounted at {})\n", d.filesystem,
                     d.mount_source.empty() ? "?" : d.mount_source, d.mount_point);
  std::string chain;
  for (const std::string& c : d.device_chain) chain += (chain.empty() ? "" : " -> ") + c;
  out += fmt::format("  device       {}{}{}\n", chain.empty() ? "none" : chain,
                     d.transport.empty() ? "" : " (" + d.transport + ")",
                     d.model.empty() ? "" : ", model " + d.model);
  out += fmt::format("  rotational   {}    write cache  {}\n",
                     d.rotational.has_value() ? (*d.rotational ? "yes" : "no") : "unknown",
                     d.write_cache.empty() ? "unknown" : d.write_cache);
  out += fmt::format("  class        {}\n\n", p.classification.storage_class);

  auto method_table = [&out](const std::string& title,
                             const std::vector<SyncMethodResult>& methods) {
    out += fmt::format("{}\n  {:<22}{:>12}{:>12}{:>12}{:>12}{:>8}\n", title, "method", "p50", "p99",
                       "max", "ops/s", "ops");
    for (const SyncMethodResult& m : methods) {
      if (!m.supported) {
        out += fmt::format("  {:<22}  unsupported: {}\n", m.method, m.note);
        continue;
      }
      out +=
          fmt::format("  {:<22}{:>12}{:>12}{:>12}{:>12.0f}{:>8}{}\n", m.method,
                      FormatUs(m.stats.p50_us), FormatUs(m.stats.p99_us), FormatUs(m.stats.max_us),
                      m.stats.ops_per_s, m.stats.ops, m.safe ? "" : "  UNSAFE?");
    }
    out += "\n";
  };
  method_table("Sync methods, 8 KiB overwrites of a preallocated segment:", p.sync_methods);
  method_table("Sync methods, 8 KiB appends to a growing file:", p.append_sync_methods);

  out += fmt::format("Write sizes per flush:\n  {:<26}{:>12}{:>12}{:>12}{:>12}\n", "pattern", "p50",
                     "p99", "max", "ops/s");
  for (const WriteSizeResult& w : p.write_sizes) {
    std::string pattern =
        fmt::format("{} {} x {} KiB", w.method, w.writes_per_flush, w.write_bytes / 1024);
    if (w.stats.ops == 0) {
      out += fmt::format("  {:<26}  not measured {}\n", pattern, w.note);
      continue;
    }
    out += fmt::format("  {:<26}{:>12}{:>12}{:>12}{:>12.0f}\n", pattern, FormatUs(w.stats.p50_us),
                       FormatUs(w.stats.p99_us), FormatUs(w.stats.max_us), w.stats.ops_per_s);
  }
  if (!p.flush_after_idle.empty()) {
    out += fmt::format(
        "\nFlush after an idle device ({}, 8 KiB overwrite):\n  {:>10}{:>12}{:>12}{:>8}\n",
        p.flush_after_idle_method, "idle", "p50", "p99", "ops");
    for (const IdleFlushResult& r : p.flush_after_idle) {
      out += fmt::format("  {:>10}{:>12}{:>12}{:>8}\n", FormatUs(r.idle_p50_us),
                         FormatUs(r.stats.p50_us), FormatUs(r.stats.p99_us), r.stats.ops);
    }
  }
  out += fmt::format("\nSequential write: {}/s ({} written, then one fdatasync)\n\n",
                     FormatHumanBytes(p.seq_write_bytes_per_s),
                     FormatHumanBytes(static_cast<double>(p.seq_write_bytes)));
  out += "Random pages (queue depth 1) and cold reads:\n";
  for (const RandomIoResult& r : p.random_io) {
    std::string what = fmt::format("{} KiB {}", r.block_bytes / 1024,
                                   r.read         ? "read (" + r.cache + ")"
                                   : r.flush_each ? "write + fdatasync"
                                                  : "write, one fdatasync at the end");
    if (!Measured(r)) {
      out += fmt::format("  {:<38}  not measured {}\n", what, r.note);
      continue;
    }
    out += fmt::format("  {:<38}{:>12.0f} ops/s  (p50 {})\n", what, r.ops_per_s,
                       FormatUs(r.stats.p50_us));
  }
  if (p.seq_read_bytes > 0) {
    out += fmt::format("Sequential read: {}/s ({} read, {})\n",
                       FormatHumanBytes(p.seq_read_bytes_per_s),
                       FormatHumanBytes(static_cast<double>(p.seq_read_bytes)), p.seq_read_cache);
  }
  if (p.buffered_read_bytes > 0) {
    out +=
        fmt::format("Sequential read through the page cache: {}/s ({} read, cache dropped first)\n",
                    FormatHumanBytes(p.buffered_read_bytes_per_s),
                    FormatHumanBytes(static_cast<double>(p.buffered_read_bytes)));
  }
  if (p.clean_fsync_files > 0) {
    out += fmt::format("fsync of a file with nothing dirty: {} (median pass over {} files)\n",
                       FormatUs(p.clean_fsync_us), p.clean_fsync_files);
  }
  out += "\n";

  out += fmt::format(
      "Group commit ({}, {} B records, leader/follower):\n  {:>8}{:>14}{:>12}{:>12}{:>12}\n",
      p.group_commit_method, p.group_commit_record_bytes, "writers", "commits/s", "mean batch",
      "commit p50", "commit p99");
  for (const GroupCommitPoint& g : p.group_commit_curve) {
    out += fmt::format("  {:>8}{:>14.0f}{:>12.2f}{:>12}{:>12}\n", g.writers, g.commits_per_s,
                       g.mean_batch, FormatUs(g.commit_p50_us), FormatUs(g.commit_p99_us));
  }
  out += fmt::format("\nRecommended sync method: {} ({})\n",
                     p.recommended_sync_method.empty() ? "none" : p.recommended_sync_method,
                     p.recommendation_reason);
  out += "\nEvidence:\n";
  for (const std::string& e : p.classification.evidence) out += "  - " + e + "\n";
  if (!p.warnings.empty()) {
    out += "\nWarnings:\n";
    for (const std::string& w : p.warnings) out += "  ! " + w + "\n";
  }
  out += fmt::format("\n{} run, {:.1f} s\n", p.quick ? "quick" : "full", p.elapsed_s);
  return out;
}

}  // namespace waltune
