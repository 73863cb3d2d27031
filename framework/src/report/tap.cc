// to_tap(); see tap.h. The YAML block is written by hand in the subset TAP consumers read
// (TAP::Parser's YAMLish: mappings, sequences of mappings, double-quoted scalars, numbers).
#include "report/tap.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "report/console.h"
#include "report/event_line.h"
#include "report/result_summary.h"

namespace faultline {
namespace {

// Under each failure, the first few events (the JSON result has them all).
constexpr std::size_t kEventsShown = 5;

std::string point_name(const ScenarioResult& r) {
  return r.repetitions ? fmt::format("{} (run {}/{})", r.scenario, r.repetition, r.repetitions)
                       : r.scenario;
}

// The YAML diagnostic block of a failed or unset-up scenario, indented two spaces.
std::string diagnostics(const ScenarioResult& r, const char* severity) {
  std::string y = "  ---\n";
  const Violation* cause = r.violations.empty() ? nullptr : &r.violations.front();
  y += fmt::format("  message: {}\n", tap_yaml_string(cause ? cause->message : "failed"));
  y += fmt::format("  severity: {}\n", severity);
  if (cause) {
    y += "  violation:\n";
    y += fmt::format("    kind: {}\n", tap_yaml_string(cause->kind));
    if (!cause->process.empty())
      y += fmt::format("    process: {}\n", tap_yaml_string(cause->process));
    if (cause->time_ms >= 0) y += fmt::format("    time_ms: {:.1f}\n", cause->time_ms);
  }
  // Sequences hold mappings only: TAP::Parser's YAMLish reads `- "a: b"` as a mapping.
  if (r.violations.size() > 1) {
    y += "  more_violations:\n";
    for (std::size_t i = 1; i < r.violations.size(); ++i)
      y += fmt::format("    - kind: {}\n      message: {}\n", tap_yaml_string(r.violations[i].kind),
                       tap_yaml_string(r.violations[i].message));
  }
  std::uint64_t fired = 0;
  for (const auto& f : r.faults) fired += f.fired;
  y += fmt::format("  faults_fired: {}\n", fired);
  if (fired > 0) {
    y += "  faults:\n";
    for (std::size_t i = 0; i < r.faults.size(); ++i) {
      const auto& f = r.faults[i];
      if (f.fired == 0) continue;
      y += fmt::format("    - spec: {}\n      fired: {}\n      hits: {}\n", tap_yaml_string(f.spec),
                       f.fired, f.hits);
      std::size_t shown = 0;
      for (const auto& e : r.events) {
        if (e.rule != static_cast<int>(i) || ++shown > kEventsShown) continue;
        if (shown == 1) y += "      events:\n";
        y += fmt::format("        - event: {}\n", tap_yaml_string(format_event(e)));
      }
    }
  }
  y += fmt::format("  seed: {}\n", r.seed);
  if (r.repetitions) y += fmt::format("  run: {}\n  runs: {}\n", r.repetition, r.repetitions);
  if (!r.file.empty()) {
    y += fmt::format("  file: {}\n", tap_yaml_string(r.file.string()));
    y += fmt::format("  repro: {}\n", tap_yaml_string(rerun_command(r)));
  }
  y += "  ...\n";
  return y;
}

}  // namespace

std::string tap_description(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\n' || c == '\r') {
      out += ' ';
    } else if (c == '#' || c == '\\') {
      out += '\\';
      out += c;
    } else {
      out += c;
    }
  }
  return out;
}

std::string tap_yaml_string(std::string_view text) {
  return nlohmann::json(std::string(text))
      .dump(-1, ' ', /*ensure_ascii=*/true, nlohmann::json::error_handler_t::replace);
}

std::string to_tap(const std::vector<ScenarioResult>& results,
                   const std::vector<std::string>& expect_fail) {
  std::string out = fmt::format("TAP version 13\n1..{}\n", results.size());
  std::size_t n = 0;
  for (const auto& r : results) {
    ++n;
    const std::string name = tap_description(point_name(r));
    // Judged as `--expect-fail` judges, so that the harness agrees with the exit status: a
    // scenario expected to fail is a passing test point when it failed on a verdict (the
    // block says what was caught), a failing one when it passed; no setup is ever caught.
    const bool expected_to_fail_here = expected_to_fail(r.file.string(), expect_fail);
    if (r.setup_failed()) {
      out += fmt::format("not ok {} - {} (could not be set up)\n", n, name);
      out += diagnostics(r, "setup");
    } else if (expected_to_fail_here && !r.passed) {
      out += fmt::format("ok {} - {} (caught: failed as expected)\n", n, name);
      out += diagnostics(r, "caught");
    } else if (expected_to_fail_here) {
      out += fmt::format("not ok {} - {} (not caught: expected to fail, passed)\n", n, name);
    } else if (r.passed) {
      out += fmt::format("ok {} - {}\n", n, name);
    } else {
      out += fmt::format("not ok {} - {}\n", n, name);
      out += diagnostics(r, "fail");
    }
  }
  return out;
}

}  // namespace faultline
