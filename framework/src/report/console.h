// Console report: one line per scenario (PASS/FAIL with the first reason), details for
// failures (every violation, each fault with the events it injected, the tail of the
// output, what hung).
#pragma once

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "faultline/run_result.h"

namespace faultline {

struct ConsoleStyle {
  bool color = false;    // only on a terminal, never with NO_COLOR
  bool verbose = false;  // details for passing scenarios too
  bool timings = false;  // where the run's time went, phase by phase (also with verbose)
};

void print_scenario(std::ostream& out, const ScenarioResult& r, const ConsoleStyle& style);
// One line: the wall time of each phase of the run (RunTimings), their sum and the run's.
void print_timings(std::ostream& out, const ScenarioResult& r, std::string_view indent);
// The command that runs the scenario again as it ran (its file, seed and --fault rules).
[[nodiscard]] std::string rerun_command(const ScenarioResult& r);
// For every process alive at the timeout: its state, the call it is blocked in, its wait
// channel and the tail of its backtrace; each line starts with `prefix`.
void print_timeout_snapshots(std::ostream& out, const ScenarioResult& r, std::string_view prefix);
// What the run could not see in each process (BlindSpot) and no violation names already:
// "not seen: server: pid 12 (uid 0) set up an io_uring ..."; each line starts with `prefix`.
void print_blind_spots(std::ostream& out, const ScenarioResult& r, std::string_view prefix);
// "N passed, M failed" on a line of its own.
void print_summary(std::ostream& out, const std::vector<ScenarioResult>& results,
                   const ConsoleStyle& style);

}  // namespace faultline
