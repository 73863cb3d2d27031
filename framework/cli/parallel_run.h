// `faultline run -j N`: scenarios in N worker processes forked from this one, each with a
// Runner of its own that runs one scenario after the other. A runner owns its process tree
// (subreaper, kill of every descendant at the end), so runs in parallel must be separate
// processes, not threads; a worker outlives its scenarios, so that a scenario costs a run,
// not the start of a program.
#pragma once

#include <functional>
#include <vector>

#include "faultline/run_result.h"
#include "faultline/runner.h"
#include "faultline/scenario.h"

namespace faultline::cli {

// Runs every scenario with `options`, at most `jobs` at once; `done` gets each result with
// its index in `scenarios` as its run ends (in the order they end), and may add to it.
// Returns the results in the order of `scenarios`. SIGINT or SIGTERM to this process (blocked
// while it runs, with SIGCHLD) stops starting new runs, passes the signal on to the running
// ones and sets *interrupted to it. A scenario for which `wanted`, asked just before it would
// start, says false is not run and has no result (`run --until-fail`).
[[nodiscard]] std::vector<ScenarioResult> run_in_parallel(
    const std::vector<Scenario>& scenarios, const RunOptions& options, int jobs,
    const std::function<void(std::size_t, ScenarioResult&)>& done, int* interrupted,
    const std::function<bool(std::size_t)>& wanted = {});

}  // namespace faultline::cli
