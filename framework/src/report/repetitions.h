// `faultline run --repeat N`: the runs of one scenario counted together (pass/fail counts and
// the seeds of the failing runs), for the console summary and the JSON result.
#pragma once

#include <cstdint>
#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include "faultline/run_result.h"
#include "report/console.h"

namespace faultline {

struct RepetitionTally {
  std::string scenario;
  std::filesystem::path file;
  unsigned runs = 0;    // runs made (fewer than --repeat after --until-fail stopped)
  unsigned asked = 0;   // --repeat N
  unsigned passed = 0;  // runs that passed
  unsigned failed = 0;  // runs that failed (a verdict on the program)
  unsigned setup = 0;   // runs that could not be set up (no verdict)
  std::vector<std::uint64_t> failing_seeds;       // of the failed runs, in run order
  const ScenarioResult* first_failure = nullptr;  // in the results tallied
};

// One tally per repeated scenario, in the order of their first run; empty when no result is
// a repetition.
[[nodiscard]] std::vector<RepetitionTally> tally_repetitions(
    const std::vector<ScenarioResult>& results);
// "repeat flaky: 12 of 20 runs passed, 8 failed (seeds 1, 2, ...)" per repeated scenario,
// after a heading line; nothing when none was repeated.
void print_repetition_summary(std::ostream& out, const std::vector<ScenarioResult>& results,
                              const ConsoleStyle& style);

}  // namespace faultline
