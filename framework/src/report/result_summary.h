// `faultline report FILE`: a JSON result (`--json`) read back as one line per scenario,
// grouped by the scenario's folder, each judged against the outcome it is expected to have.
#pragma once

#include <cstddef>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace faultline {

struct ResultSummaryOptions {
  // Globs (fnmatch, `*` crosses `/`) on a scenario's file: a match is expected to fail.
  // Every other scenario is expected to pass.
  std::vector<std::string> expect_fail;
  bool color = false;  // only on a terminal, never with NO_COLOR
};

struct ResultSummaryCounts {
  std::size_t passed = 0;      // expected to pass, and did
  std::size_t caught = 0;      // expected to fail, and did
  std::size_t failed = 0;      // expected to pass, but failed
  std::size_t not_caught = 0;  // expected to fail, but passed
  std::size_t setup = 0;       // could not be set up: no verdict, never caught
  [[nodiscard]] bool as_expected() const { return failed == 0 && not_caught == 0 && setup == 0; }
};

// Whether the scenario of `file` is expected to fail: a glob of `expect_fail` matches it.
[[nodiscard]] bool expected_to_fail(const std::string& file,
                                    const std::vector<std::string>& expect_fail);

// Prints the summary of `result` (the document `--json` writes) and counts the outcomes.
// Throws std::runtime_error naming the missing or mistyped field when `result` is not one.
[[nodiscard]] ResultSummaryCounts print_result_summary(std::ostream& out,
                                                       const nlohmann::json& result,
                                                       const ResultSummaryOptions& options);

// The one-line reason of a failed scenario: its first violation, what a hung process was
// blocked in, and the faults that fired. Empty for a scenario without violations.
[[nodiscard]] std::string failure_reason(const nlohmann::json& scenario);

}  // namespace faultline
