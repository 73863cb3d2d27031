// Console report: one line per scenario (PASS/FAIL with the first reason), details for
// failures (every violation, the faults that fired where, the tail of the output, what hung).
#pragma once

#include <ostream>
#include <vector>

#include "faultline/run_result.h"

namespace faultline {

struct ConsoleStyle {
  bool color = false;    // only on a terminal, never with NO_COLOR
  bool verbose = false;  // details for passing scenarios too
};

void print_scenario(std::ostream& out, const ScenarioResult& r, const ConsoleStyle& style);
// "N passed, M failed" on a line of its own.
void print_summary(std::ostream& out, const std::vector<ScenarioResult>& results,
                   const ConsoleStyle& style);

}  // namespace faultline
