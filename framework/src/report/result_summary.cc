// `faultline report`; see result_summary.h.
#include "report/result_summary.h"

#include <fnmatch.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <stdexcept>

#include <fmt/format.h>

#include "report/root_cause.h"
#include "util/json_numbers.h"

namespace faultline {
namespace {

using nlohmann::json;

std::string paint(bool color, const char* code, std::string_view text) {
  if (!color) return std::string(text);
  return fmt::format("\033[{}m{}\033[0m", code, text);
}

}  // namespace

bool expected_to_fail(const std::string& file, const std::vector<std::string>& expect_fail) {
  return std::any_of(
      expect_fail.begin(), expect_fail.end(),
      [&](const std::string& glob) { return ::fnmatch(glob.c_str(), file.c_str(), 0) == 0; });
}

namespace {

// "read" from the snapshot's "read(0x3, 0x7ffd..., 0x40)": the call is what a reader needs.
std::string call_name(const std::string& syscall) { return syscall.substr(0, syscall.find('(')); }

// "; server blocked in accept" for every process the timeout found alive.
std::string blocked_in(const json& scenario) {
  std::string out;
  for (const auto& p : scenario.at("processes")) {
    if (!p.contains("at_timeout")) continue;
    for (const auto& s : p.at("at_timeout")) {
      std::string call = call_name(s.value("syscall", ""));
      if (call.empty()) continue;
      out += fmt::format("; {} blocked in {}", p.at("name").get<std::string>(), call);
      break;  // the process itself, not each of its children
    }
  }
  return out;
}

// "; injected reader/read:short=7 x14" for every rule that fired.
std::string injected(const json& scenario) {
  std::string out;
  for (const auto& f : scenario.at("faults")) {
    auto fired = f.at("fired").get<std::uint64_t>();
    if (fired == 0) continue;
    out += fmt::format("{} {} x{}", out.empty() ? "; injected" : ",",
                       f.at("spec").get<std::string>(), fired);
  }
  return out;
}

struct Line {
  std::string group;  // the scenario's folder: one mechanism of the showcase
  std::string name;   // its file name, or the scenario's name when it has no file
  std::string path;
  std::string label;
  const char* color_code;
  std::string text;
};

Line summarize(const json& scenario, const ResultSummaryOptions& options,
               ResultSummaryCounts& counts) {
  Line line;
  line.path = scenario.at("file").is_string() ? scenario.at("file").get<std::string>() : "";
  const std::filesystem::path file(line.path);
  line.group = file.has_parent_path() ? file.parent_path().filename().string() : ".";
  line.name =
      line.path.empty() ? scenario.at("scenario").get<std::string>() : file.filename().string();
  if (scenario.value("repetitions", 0u) > 0)  // `run --repeat`: a line per run
    line.name += fmt::format(" run {}/{}", scenario.value("repetition", 0u),
                             scenario.at("repetitions").get<unsigned>());
  const bool passed = scenario.at("passed").get<bool>();
  const bool expect_fail = expected_to_fail(line.path, options.expect_fail);
  bool setup = scenario.value("outcome", std::string()) == "setup";
  for (const auto& v : scenario.at("violations")) setup = setup || v.at("kind") == "setup";
  if (!passed && setup) {
    // Its programs never ran: neither caught nor failed, whatever it was expected to do.
    ++counts.setup;
    line.label = "SETUP";
    line.color_code = "1;33";
    line.text = "could not be set up: " + failure_reason(scenario);
  } else if (passed && !expect_fail) {
    ++counts.passed;
    line.label = "pass";
    line.color_code = "32";
    line.text = "passed" + injected(scenario);
  } else if (!passed && expect_fail) {
    ++counts.caught;
    line.label = "caught";
    line.color_code = "32";
    line.text = failure_reason(scenario);
  } else if (!passed) {
    ++counts.failed;
    line.label = "FAIL";
    line.color_code = "1;31";
    line.text = failure_reason(scenario);
  } else {
    ++counts.not_caught;
    line.label = "NOT CAUGHT";
    line.color_code = "1;31";
    line.text = "passed, but it is expected to fail (--expect-fail)" + injected(scenario);
  }
  return line;
}

}  // namespace

std::string failure_reason(const json& scenario) {
  const auto& violations = scenario.at("violations");
  if (violations.empty()) return {};
  // The root cause first, ordered as `run` orders it (results of older versions had no times:
  // they keep the order they were written in).
  std::vector<Violation> causes;
  for (const auto& v : violations)
    causes.push_back({v.at("kind").get<std::string>(), v.value("process", std::string()),
                      v.at("message").get<std::string>(),
                      v.contains("time_ms") && v.at("time_ms").is_number()
                          ? v.at("time_ms").get<double>()
                          : -1.0});
  order_by_root_cause(causes, cause_context(scenario));
  std::string out = causes.front().message;
  if (violations.size() > 1) out += fmt::format(" (+{} more)", violations.size() - 1);
  return out + blocked_in(scenario) + injected(scenario);
}

ResultSummaryCounts print_result_summary(std::ostream& out, const json& result,
                                         const ResultSummaryOptions& options) {
  ResultSummaryCounts counts;
  std::vector<Line> lines;
  if (auto bad = json_float_out_of_range(result); !bad.empty())
    throw std::runtime_error("a number out of range: " + bad.substr(0, 40));
  try {
    for (const auto& scenario : result.at("scenarios"))
      lines.push_back(summarize(scenario, options, counts));
  } catch (const json::exception& e) {
    throw std::runtime_error(fmt::format(
        "not a faultline JSON result (`faultline run --json FILE` writes one): {}", e.what()));
  }
  // Folders in order of first appearance, each scenario under its own (the run sorts files, so
  // this keeps the run's order).
  std::vector<std::string> groups;
  std::size_t width = 0;
  for (const auto& l : lines) {
    if (std::find(groups.begin(), groups.end(), l.group) == groups.end()) groups.push_back(l.group);
    width = std::max(width, l.name.size());
  }
  for (const auto& group : groups) {
    out << group << '\n';
    for (const auto& l : lines) {
      if (l.group != group) continue;
      out << fmt::format("  {}{}  {:<{}}  {}\n", paint(options.color, l.color_code, l.label),
                         std::string(10 - std::min<std::size_t>(10, l.label.size()), ' '), l.name,
                         width, l.text);
    }
  }
  std::string total = fmt::format("{} scenario{}: {} passed, {} caught, {} failed, {} not caught",
                                  lines.size(), lines.size() == 1 ? "" : "s", counts.passed,
                                  counts.caught, counts.failed, counts.not_caught);
  if (counts.setup) total += fmt::format(", {} could not be set up", counts.setup);
  out << '\n' << paint(options.color, counts.as_expected() ? "32" : "1;31", total) << '\n';
  std::vector<std::string> listed;  // a repeated scenario's file once
  for (const auto& l : lines) {
    if (l.label != "FAIL" && l.label != "NOT CAUGHT" && l.label != "SETUP") continue;
    std::string entry = fmt::format("  {}: {}\n", l.label, l.path);
    if (std::find(listed.begin(), listed.end(), entry) != listed.end()) continue;
    out << entry;
    listed.push_back(std::move(entry));
  }
  return counts;
}

}  // namespace faultline
