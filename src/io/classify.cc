// Storage class, warnings and the recommended sync method: pure functions of what the OS said
// and what was measured.
#include <fmt/format.h>

#include <algorithm>

#include "waltune/probe.h"

namespace waltune {
namespace {

bool IsVirtualTransport(const std::string& transport) {
  return transport == "virtio" || transport == "xen";
}

bool IsRamDisk(const std::string& disk) {
  return disk.rfind("zram", 0) == 0 || disk.rfind("ram", 0) == 0;
}

std::string ClassFromDevice(const DeviceInfo& device, std::vector<std::string>* evidence) {
  if (IsMemoryFilesystem(device.filesystem)) {
    evidence->push_back(device.filesystem + " keeps files in RAM");
    return "memory";
  }
  if (!device.disks.empty() && std::all_of(device.disks.begin(), device.disks.end(), IsRamDisk)) {
    evidence->push_back(device.disks.front() + " is a RAM-backed block device");
    return "memory";
  }
  if (device.disks.empty()) {
    evidence->push_back("no block device under " + device.filesystem +
                        " (network, FUSE or overlay file system?)");
    return "unknown";
  }
  if (device.transport == "nvme") {
    evidence->push_back(device.disks.front() + " is attached over NVMe");
    return "nvme";
  }
  if (!device.rotational.has_value()) {
    evidence->push_back("rotational flag unreadable");
    return "unknown";
  }
  if (!*device.rotational) {
    evidence->push_back("rotational = 0: non-rotating (flash) device");
    return "ssd";
  }
  if (IsVirtualTransport(device.transport)) {
    evidence->push_back(device.transport +
                        " disks report rotational = 1 by default; the guest cannot see the "
                        "host's media");
    return "unknown";
  }
  evidence->push_back("rotational = 1: spinning disk");
  return "hdd";
}

void AddWarnings(const DeviceInfo& device, double p50_us, Classification* c) {
  const std::string& cls = c->storage_class;
  if (cls == "memory") {
    c->warnings.push_back(fmt::format(
        "{} is memory, not stable storage: flushes return without reaching a disk and a crash "
        "or power loss loses everything; these numbers say nothing about a real WAL device",
        device.path));
    return;
  }
  if (cls == "hdd" && p50_us > 0 && p50_us < kHddMinPlausibleFlushUs) {
    c->warnings.push_back(fmt::format(
        "fdatasync median {:.0f} us is implausibly fast for a rotating disk (one revolution at "
        "7200 rpm takes 8.3 ms): a controller or other cache acknowledges flushes; durable only "
        "if that cache is battery- or flash-backed",
        p50_us));
  }
  bool volatile_cache = device.write_cache == "write back";
  if (cls != "hdd" && volatile_cache && p50_us > 0 && p50_us < kVolatileFlashMinPlausibleFlushUs) {
    c->warnings.push_back(fmt::format(
        "fdatasync median {:.0f} us is implausibly fast for a device with a volatile write-back "
        "cache (flash that empties its cache on every flush needs 0.2-3.5 ms): flushes may be "
        "acknowledged from a cache that a power cut loses",
        p50_us));
  }
  if (volatile_cache) {
    c->warnings.push_back(
        "write_cache is \"write back\" (volatile) and nothing visible here shows power-loss "
        "protection: commits are durable only because each flush empties that cache; never "
        "disable flushes (fsync=off, barrier=0, innodb_flush_method=nosync)");
  }
  if (IsVirtualTransport(device.transport)) {
    c->warnings.push_back(fmt::format(
        "virtual disk ({}): flushes go to the hypervisor, and whether they reach stable storage "
        "depends on the host's cache mode (cache=unsafe ignores them), which the guest cannot see",
        device.transport));
  }
  if (cls == "unknown" && device.disks.empty()) {
    c->warnings.push_back("no local block device found: cannot tell whether flushes on " +
                          device.filesystem + " reach stable storage");
  }
}

}  // namespace

Classification ClassifyStorage(const DeviceInfo& device, double fdatasync_p50_us) {
  Classification c;
  c.evidence = device.evidence;
  c.storage_class = ClassFromDevice(device, &c.evidence);
  if (fdatasync_p50_us > 0) {
    c.evidence.push_back(
        fmt::format("measured: fdatasync of 8 KiB, median {:.1f} us", fdatasync_p50_us));
  }
  AddWarnings(device, fdatasync_p50_us, &c);
  return c;
}

const std::vector<std::string>& SyncMethodNames() {
  static const std::vector<std::string> names = {kFdatasync, kFsync, kOpenDatasync,
                                                 kOpenDatasyncDirect};
  return names;
}

std::string RecommendSyncMethod(std::vector<SyncMethodResult>* methods, const DeviceInfo& device,
                                std::string* reason) {
  double fdatasync_p50_us = 0;
  for (const SyncMethodResult& m : *methods) {
    if (m.method == kFdatasync && m.supported && m.stats.ops > 0) fdatasync_p50_us = m.stats.p50_us;
  }
  const bool volatile_cache = device.write_cache == "write back";
  const SyncMethodResult* fastest = nullptr;
  for (SyncMethodResult& m : *methods) {
    m.safe = m.supported && m.stats.ops > 0;
    if (m.safe && volatile_cache && m.method != kFdatasync && fdatasync_p50_us > 0 &&
        m.stats.p50_us < fdatasync_p50_us / 4) {
      m.safe = false;
      m.note = fmt::format(
          "median {:.1f} us is under a quarter of fdatasync's {:.1f} us on a volatile "
          "write-back cache: this method probably does not flush the device cache",
          m.stats.p50_us, fdatasync_p50_us);
    }
    if (m.safe && (fastest == nullptr || m.stats.p50_us < fastest->stats.p50_us)) fastest = &m;
  }
  if (fastest == nullptr) {
    *reason = "no sync method completed";
    return "";
  }
  const double limit_us = fastest->stats.p50_us * 1.10;
  for (const std::string& name : SyncMethodNames()) {
    for (const SyncMethodResult& m : *methods) {
      if (m.method != name || !m.safe || m.stats.p50_us > limit_us) continue;
      if (&m == fastest) {
        *reason = fmt::format("fastest safe method: median {:.1f} us", m.stats.p50_us);
      } else {
        *reason = fmt::format(
            "median {:.1f} us, within 10% of the fastest safe method ({} at {:.1f} us); "
            "preferred in the order fdatasync, fsync, open_datasync, open_datasync_direct",
            m.stats.p50_us, fastest->method, fastest->stats.p50_us);
      }
      return m.method;
    }
  }
  return "";  // unreachable: `fastest` itself is within the limit
}

}  // namespace waltune
