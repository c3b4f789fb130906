// `waltune probe --path DIR [--seconds S] [--quick] [--format json|text]`
#include <fmt/format.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "waltune/env.h"
#include "waltune/probe.h"

namespace waltune::cli {
namespace {

struct ProbeFlags {
  std::string path;
  double seconds = 0;  // 0: the default for the mode
  bool quick = false;
  std::string format = "json";
};

// Bad input exits 2 with {"error": {...}} on stdout (as `advise` does); runtime failure exits 1.
int ReportError(const Status& s, const std::string& format) {
  const int code = s.IsInvalidArgument() ? 2 : 1;
  if (format == "text") {
    std::cerr << "waltune probe: " << s.ToString() << "\n";
  } else {
    PrintError(s);
  }
  return code;
}

int RunProbeCommand(const ProbeFlags& flags) {
  Env* env = Env::Default();
  ProbeOptions options = flags.quick ? ProbeOptions::Quick(flags.path) : ProbeOptions();
  options.path = flags.path;
  if (flags.seconds > 0) options.budget_s = flags.seconds;
  const bool show_progress = env->StderrIsTerminal();
  if (show_progress) {
    options.progress = [](const ProbeProgress& p) {
      std::cerr << fmt::format("\r\033[Kprobe [{}/{}] {:5.1f} s  {}", p.phase, p.phase_count,
                               p.elapsed_s, p.label)
                << std::flush;
    };
  }
  auto profile = RunProbe(env, options);
  if (show_progress) std::cerr << "\r\033[K" << std::flush;
  if (!profile.ok()) return ReportError(profile.status(), flags.format);
  PrintAs(flags.format, *profile, ProfileToText, ProfileToJson);
  return 0;
}

}  // namespace

void SetupProbe(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<ProbeFlags>();
  CLI::App* sub = app.add_subcommand(
      "probe",
      "Measure flush latency, bandwidth and group commit of the storage under DIR "
      "(prints a storage profile for `advise --storage-profile`)");
  sub->add_option("--path", flags->path,
                  "Directory on the storage to measure; the probe writes only its own "
                  "temporary files there and removes them")
      ->required();
  sub->add_option("--seconds", flags->seconds,
                  "Time budget of the measuring phases (default 45, or 7 with --quick)")
      ->check(CLI::Range(0.5, 3600.0));
  sub->add_flag("--quick", flags->quick, "Short run: finishes in under 10 seconds");
  sub->add_option("--format", flags->format, "Output format")
      ->check(CLI::IsMember({"json", "text"}));
  sub->callback([flags, exit_code]() { *exit_code = RunProbeCommand(*flags); });
}

}  // namespace waltune::cli
