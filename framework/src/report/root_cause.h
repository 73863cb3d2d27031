// The order in which a failed scenario's violations are told: the root cause first. `run`
// (console, JSON) and `report` both order with this, so they headline the same violation.
#pragma once

#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "faultline/run_result.h"

namespace faultline {

// What ranks a violation as a cause besides its own fields.
struct CauseContext {
  std::set<std::string> faulted;      // processes in which a fault was injected
  std::set<std::string> hung;         // processes still running at the timeout
  std::set<std::string> broken_pipe;  // died of SIGPIPE (or a shell's exit 141): a consequence
};

[[nodiscard]] CauseContext cause_context(const ScenarioResult& result);
// The same from a scenario of the JSON result (fields it lacks are taken as absent).
[[nodiscard]] CauseContext cause_context(const nlohmann::json& scenario);

// Stable sort, first: the run's own trouble (interrupted, setup); then failures of a process
// a fault was injected into (the timeout counts as one when such a process hung); then the
// rest. Within each, what was found at the end (leaks, faults that never fired) last, a death
// of SIGPIPE after the others (it follows from a reader that went away), then by time
// (violations without a time last), then in the order they were found.
void order_by_root_cause(std::vector<Violation>& violations, const CauseContext& context);

}  // namespace faultline
