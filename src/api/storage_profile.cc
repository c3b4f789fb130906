// StorageSpecFromProfile: reads the storage profile `waltune probe` prints (schema in
// docs/probe.md) into the StorageSpec the model uses. Every problem is InvalidArgument naming
// the sub-field, e.g. "constraints.storage_profile.sync_methods.fdatasync.p50_us".
#include <fmt/format.h>

#include "waltune/request.h"
#include "waltune/storage.h"

namespace waltune {
namespace {

using nlohmann::json;

// Below this median flush an "unknown" device is treated like flash with power-loss protection,
// above kUnknownHddFlushUs like a disk. Unit: us.
constexpr double kUnknownFastFlushUs = 100;
constexpr double kUnknownHddFlushUs = 3000;

class ProfileReader {
 public:
  ProfileReader(const json& profile, std::string field) : p_(profile), field_(std::move(field)) {}

  Result<StorageSpec> Read() {
    if (!p_.is_object()) return Bad("", "must be the JSON object printed by `waltune probe`");
    WALTUNE_RETURN_IF_ERROR(ReadClass());
    WALTUNE_RETURN_IF_ERROR(ReadSyncMethods());
    WALTUNE_RETURN_IF_ERROR(ReadBandwidth());
    WALTUNE_RETURN_IF_ERROR(ReadCurve());
    WALTUNE_RETURN_IF_ERROR(ReadFlushAfterIdle());
    WALTUNE_RETURN_IF_ERROR(ReadDescription());
    MapClass();
    WALTUNE_RETURN_IF_ERROR(ReadMeasuredRates());
    spec_.measured = true;
    return spec_;
  }

 private:
  std::string Sub(const std::string& sub) const {
    return sub.empty() ? field_ : field_ + "." + sub;
  }
  Status Bad(const std::string& sub, const std::string& message) const {
    return Status::InvalidArgument(Sub(sub), message);
  }

  // A required number >= `min` (strictly greater when `strict`).
  Result<double> Number(const json& obj, const std::string& key, const std::string& sub, double min,
                        bool strict) const {
    if (!obj.contains(key)) return Bad(sub, "missing");
    const json& v = obj[key];
    if (!v.is_number()) return Bad(sub, "must be a number");
    double x = v.get<double>();
    if (x < min || (strict && x == min) || x != x) {
      return Bad(sub, fmt::format("must be {} {}, got {}", strict ? "more than" : "at least", min,
                                  v.dump()));
    }
    return x;
  }

  Status ReadClass() {
    if (!p_.contains("class") || !p_["class"].is_string()) {
      return Bad("class", "missing; expected one of hdd, ssd, nvme, memory, unknown");
    }
    class_ = p_["class"].get<std::string>();
    if (class_ != "hdd" && class_ != "ssd" && class_ != "nvme" && class_ != "memory" &&
        class_ != "unknown") {
      return Bad("class", "'" + class_ + "' is not one of hdd, ssd, nvme, memory, unknown");
    }
    if (p_.contains("write_cache") && !p_["write_cache"].is_null()) {
      if (!p_["write_cache"].is_string()) return Bad("write_cache", "must be a string or null");
      write_cache_ = p_["write_cache"].get<std::string>();
    }
    return Status::Ok();
  }

  Status ReadSyncMethods() {
    if (!p_.contains("sync_methods") || !p_["sync_methods"].is_object()) {
      return Bad("sync_methods", "missing; expected an object of measured methods");
    }
    const json& methods = p_["sync_methods"];
    for (const auto& [name, m] : methods.items()) {
      const std::string sub = "sync_methods." + name;
      if (!m.is_object()) return Bad(sub, "must be an object");
      if (m.contains("supported") && !m["supported"].is_boolean()) {
        return Bad(sub + ".supported", "must be true or false");
      }
      if (m.contains("supported") && !m["supported"].get<bool>()) continue;
      auto p50 = Number(m, "p50_us", sub + ".p50_us", 0, true);
      if (!p50.ok()) return p50.status();
      auto p99 = Number(m, "p99_us", sub + ".p99_us", 0, true);
      if (!p99.ok()) return p99.status();
      if (*p99 < *p50) return Bad(sub + ".p99_us", "is below p50_us");
      auto ops = Number(m, "ops_per_s", sub + ".ops_per_s", 0, true);
      if (!ops.ok()) return ops.status();
    }
    if (!p_.contains("recommended_sync_method") || !p_["recommended_sync_method"].is_string()) {
      return Bad("recommended_sync_method", "missing; expected the name of a sync method");
    }
    const std::string rec = p_["recommended_sync_method"].get<std::string>();
    if (rec.empty())
      return Bad("recommended_sync_method", "empty: the probe found no usable method");
    if (!methods.contains(rec)) {
      return Bad("recommended_sync_method", "'" + rec + "' is not one of sync_methods");
    }
    const json& chosen = methods[rec];
    if (chosen.contains("supported") && !chosen["supported"].get<bool>()) {
      return Bad("recommended_sync_method", "'" + rec + "' is marked unsupported");
    }
    spec_.recommended_sync_method = rec;
    spec_.flush_p50_us = chosen["p50_us"].get<double>();
    spec_.flush_p99_us = chosen["p99_us"].get<double>();
    return Status::Ok();
  }

  Status ReadBandwidth() {
    auto bw = Number(p_, "seq_write_bytes_per_s", "seq_write_bytes_per_s", 0, true);
    if (!bw.ok()) return bw.status();
    spec_.seq_write_bytes_per_s = *bw;
    return Status::Ok();
  }

  Status ReadCurve() {
    if (!p_.contains("group_commit_curve")) return Status::Ok();
    const json& curve = p_["group_commit_curve"];
    if (!curve.is_array()) return Bad("group_commit_curve", "must be an array");
    for (size_t i = 0; i < curve.size(); ++i) {
      const std::string sub = fmt::format("group_commit_curve[{}]", i);
      const json& point = curve[i];
      if (!point.is_object()) return Bad(sub, "must be an object");
      if (!point.contains("writers") || !point["writers"].is_number_integer() ||
          point["writers"].get<int64_t>() < 1 || point["writers"].get<int64_t>() > 100000) {
        return Bad(sub + ".writers", "must be a positive integer");
      }
      auto cps = Number(point, "commits_per_s", sub + ".commits_per_s", 0, true);
      if (!cps.ok()) return cps.status();
      auto batch = Number(point, "mean_batch", sub + ".mean_batch", 1, false);
      if (!batch.ok()) return batch.status();
      spec_.group_commit_curve.push_back(
          {static_cast<int>(point["writers"].get<int64_t>()), *cps, *batch});
    }
    return Status::Ok();
  }

  // Optional (older probes lack it; null: not measured): the recommended method's flush after
  // an idle gap, idle_us strictly ascending.
  Status ReadFlushAfterIdle() {
    if (!p_.contains("flush_after_idle") || p_["flush_after_idle"].is_null()) {
      return Status::Ok();
    }
    const json& points = p_["flush_after_idle"];
    if (!points.is_array()) return Bad("flush_after_idle", "must be an array");
    if (points.size() > 64) return Bad("flush_after_idle", "has more than 64 points");
    for (size_t i = 0; i < points.size(); ++i) {
      const std::string sub = fmt::format("flush_after_idle[{}]", i);
      const json& point = points[i];
      if (!point.is_object()) return Bad(sub, "must be an object");
      auto idle = Number(point, "idle_us", sub + ".idle_us", 0, true);
      if (!idle.ok()) return idle.status();
      if (*idle > 3.6e9) return Bad(sub + ".idle_us", "must be at most an hour (3.6e9 us)");
      if (!spec_.flush_after_idle.empty() && *idle <= spec_.flush_after_idle.back().idle_us) {
        return Bad(sub + ".idle_us", "must be larger than the previous point's");
      }
      auto p50 = Number(point, "p50_us", sub + ".p50_us", 0, true);
      if (!p50.ok()) return p50.status();
      if (*p50 > 3.6e9) return Bad(sub + ".p50_us", "must be at most an hour (3.6e9 us)");
      if (!point.contains("samples") || !point["samples"].is_number_integer() ||
          point["samples"].get<int64_t>() < 1 || point["samples"].get<int64_t>() > 100000000) {
        return Bad(sub + ".samples", "must be a positive integer");
      }
      spec_.flush_after_idle.push_back(StorageSpec::IdleFlushPoint{
          *idle, *p50, static_cast<int>(point["samples"].get<int64_t>())});
    }
    return Status::Ok();
  }

  Status ReadDescription() {
    for (const char* key : {"path", "device", "filesystem"}) {
      if (p_.contains(key) && !p_[key].is_null() && !p_[key].is_string()) {
        return Bad(key, "must be a string");
      }
    }
    auto text = [this](const char* key) {
      return p_.contains(key) && p_[key].is_string() ? p_[key].get<std::string>() : "";
    };
    path_ = text("path");
    device_ = text("device");
    filesystem_ = text("filesystem");
    return Status::Ok();
  }

  // The model's storage class: from the probe's class and whether the cache is volatile, or
  // for "unknown" and "memory" from the measured flush time.
  void MapClass() {
    const bool write_through = write_cache_ == "write through";
    StorageClass cls;
    if (class_ == "hdd") {
      cls = StorageClass::kHdd;
    } else if (class_ == "ssd") {
      cls = write_through ? StorageClass::kEnterpriseFlash : StorageClass::kSataSsd;
    } else if (class_ == "nvme") {
      cls = write_through ? StorageClass::kEnterpriseFlash : StorageClass::kConsumerNvme;
    } else if (class_ == "memory") {
      cls = StorageClass::kMemory;
    } else if (spec_.flush_p50_us < kUnknownFastFlushUs) {
      cls = StorageClass::kEnterpriseFlash;
    } else if (spec_.flush_p50_us < kUnknownHddFlushUs) {
      cls = StorageClass::kSataSsd;
    } else {
      cls = StorageClass::kHdd;
    }
    const StorageSpec preset = StoragePreset(cls);
    spec_.storage_class = cls;
    // Rates an older probe did not measure come from the preset (ReadMeasuredRates replaces
    // the ones it did measure).
    spec_.random_write_iops = preset.random_write_iops;
    spec_.random_write_16k_iops = preset.random_write_16k_iops;
    spec_.random_write_flushed_iops = preset.random_write_flushed_iops;
    spec_.random_write_flushed_16k_iops = preset.random_write_flushed_16k_iops;
    spec_.random_read_iops = preset.random_read_iops;
    spec_.random_read_16k_iops = preset.random_read_16k_iops;
    spec_.seq_read_bytes_per_s = preset.seq_read_bytes_per_s;
    // A cache the OS calls "write back", or one it says nothing about, is volatile; RAM always is.
    spec_.volatile_write_cache = class_ == "memory" || !write_through;
    spec_.atomic_page_writes = false;
    std::string where = device_.empty() ? filesystem_ : device_ + ", " + filesystem_;
    spec_.name =
        fmt::format("measured {} storage{}{}", class_, where.empty() ? "" : " (" + where + ")",
                    path_.empty() ? "" : " at " + path_);
    spec_.source = path_.empty() ? "waltune probe" : path_;
  }

  // The read and random-write rates a newer probe measures (docs/probe.md): optional, null when
  // not measured; where present they replace the preset's number, so page writes and recovery
  // page reads come from the device, not from the class (a virtio disk says rotational=1).
  Status ReadMeasuredRates() {
    struct Rate {
      const char* key;
      double StorageSpec::*field;
    };
    const Rate rates[] = {
        {"random_write_8k_iops", &StorageSpec::random_write_iops},
        {"random_write_16k_iops", &StorageSpec::random_write_16k_iops},
        {"random_write_8k_fdatasync_iops", &StorageSpec::random_write_flushed_iops},
        {"random_write_16k_fdatasync_iops", &StorageSpec::random_write_flushed_16k_iops},
        {"random_read_8k_iops", &StorageSpec::random_read_iops},
        {"random_read_16k_iops", &StorageSpec::random_read_16k_iops},
        {"seq_read_bytes_per_s", &StorageSpec::seq_read_bytes_per_s},
        {"buffered_read_bytes_per_s", &StorageSpec::buffered_read_bytes_per_s},
        {"clean_fsync_us", &StorageSpec::clean_fsync_us},
    };
    std::string measured;
    for (const Rate& r : rates) {
      if (!p_.contains(r.key) || p_[r.key].is_null()) continue;
      auto v = Number(p_, r.key, r.key, 0, true);
      if (!v.ok()) return v.status();
      spec_.*(r.field) = *v;
      measured += (measured.empty() ? "" : ", ") + std::string(r.key);
    }
    spec_.measured_rates = measured;
    return Status::Ok();
  }

  const json& p_;
  const std::string field_;
  StorageSpec spec_;
  std::string class_;
  std::string write_cache_;
  std::string path_;
  std::string device_;
  std::string filesystem_;
};

}  // namespace

Result<StorageSpec> StorageSpecFromProfile(const nlohmann::json& profile,
                                           const std::string& field) {
  return ProfileReader(profile, field).Read();
}

}  // namespace waltune
