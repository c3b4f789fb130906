// `waltune advise [FILE|-] [--format json|text|conf] [--storage-profile FILE]
//                 [--calibration FILE]`
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>

#include "commands.h"
#include "waltune/engine.h"
#include "waltune/json_input.h"
#include "waltune/render.h"
#include "waltune/request.h"

namespace waltune::cli {
namespace {

struct AdviseOptions {
  std::string input = "-";
  std::string format = "json";
  std::string storage_profile_path;
  std::string calibration_path;
};

// Reads a file ("-" = stdin). IOError names the option the path came from.
Result<std::string> ReadInput(const std::string& path, const std::string& field) {
  if (path == "-") {
    std::ostringstream ss;
    ss << std::cin.rdbuf();
    return ss.str();
  }
  return ReadInputFileText(path, field);
}

Result<nlohmann::json> ReadJsonFile(const std::string& path, const std::string& field) {
  auto text = ReadInput(path, field);
  if (!text.ok()) return text.status();
  return ParseJsonInput(*text, field);
}

int FailAdvise(const Status& status) {
  PrintError(status);
  std::cerr << "waltune advise: " << status.ToString() << std::endl;
  return 2;
}

int RunAdvise(const AdviseOptions& opt) {
  ParseOptions parse;
  if (!opt.storage_profile_path.empty()) {
    auto j = ReadJsonFile(opt.storage_profile_path, "--storage-profile");
    if (!j.ok()) return FailAdvise(j.status());
    parse.storage_profile = *j;
  }
  if (!opt.calibration_path.empty()) {
    auto j = ReadJsonFile(opt.calibration_path, "--calibration");
    if (!j.ok()) return FailAdvise(j.status());
    parse.calibration = *j;
  }
  auto request = ReadJsonFile(opt.input, "request");
  if (!request.ok()) return FailAdvise(request.status());
  auto scenario = ParseRequest(*request, parse);
  if (!scenario.ok()) return FailAdvise(scenario.status());
  Advice advice = Solve(*scenario);
  if (opt.format == "text") {
    std::cout << AdviceToText(advice);
  } else if (opt.format == "conf") {
    std::cout << AdviceToConf(advice);
  } else {
    std::cout << AdviceToJson(advice).dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
              << std::endl;
  }
  return 0;
}

}  // namespace

void SetupAdvise(CLI::App& app, int* exit_code) {
  auto opt = std::make_shared<AdviseOptions>();
  CLI::App* sub = app.add_subcommand(
      "advise", "Recommend WAL, checkpoint, group-commit and durability settings for a request");
  sub->add_option("request", opt->input, "request JSON file, or - for standard input")
      ->capture_default_str();
  sub->add_option("--format", opt->format, "json (default), text or conf")
      ->check(CLI::IsMember({"json", "text", "conf"}))
      ->capture_default_str();
  sub->add_option("--storage-profile", opt->storage_profile_path,
                  "storage profile JSON printed by `waltune probe` (overrides storage_type)");
  sub->add_option("--calibration", opt->calibration_path,
                  "calibration JSON written by `waltune verify --calibrate`");
  sub->callback([opt, exit_code]() { *exit_code = RunAdvise(*opt); });
}

}  // namespace waltune::cli
