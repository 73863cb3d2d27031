// HTML report of a run (`faultline run --html FILE`, `faultline exec --html FILE`): one
// self-contained page with the summary, and per scenario its verdict, violations (root
// cause first), processes with their output, a timeline of the processes with the faults
// injected (inline SVG), the faults and what hung. Stable ids, classes and data- attributes
// (docs/cli.md, "HTML report") let scripts and tests read it.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "faultline/run_result.h"

namespace faultline {

struct HtmlReportOptions {
  std::string title = "faultline run";
  // The command that runs the results again when they cannot say it themselves (`exec`
  // has no scenario file); "" = `faultline run FILE ... --seed S` for each scenario.
  std::string rerun;
  // `faultline exec`: no verdict of its own (the program's status is passed through) and the
  // program's output went to the terminal, not into the result.
  bool exec = false;
};

[[nodiscard]] std::string to_html(const std::vector<ScenarioResult>& results,
                                  const HtmlReportOptions& options = {});
// Throws std::runtime_error when the file cannot be written.
void write_html(const std::filesystem::path& file, const std::vector<ScenarioResult>& results,
                const HtmlReportOptions& options = {});

// `text` as one shell word: unchanged when it is made of characters no shell treats
// specially, else in single quotes. For the commands the reports print to copy.
[[nodiscard]] std::string shell_word(std::string_view text);

}  // namespace faultline
