// Checks a finished run against what the scenario expects (DESIGN.md sections 2 and 6) and
// turns every miss into a Violation whose message says what happened and what was expected.
#pragma once

#include <vector>

#include "faultline/run_result.h"
#include "faultline/scenario.h"

namespace faultline {

// One process: exit status or signal (with the defaults for tasks and services), output,
// duration. Processes killed at the scenario timeout are judged by the timeout alone.
[[nodiscard]] std::vector<Violation> check_process(const ProcessSpec& spec,
                                                   const ProcessResult& result);

// Scenario-wide: timeout, interruption, faults: fired.
[[nodiscard]] std::vector<Violation> check_scenario(const Scenario& scenario,
                                                    const ScenarioResult& result);

}  // namespace faultline
