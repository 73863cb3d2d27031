// Runs an exploration: the baseline (recording runs), then one scenario run per fault point,
// N at a time, each in a process of its own, then each finding once more from its repro.
#pragma once

#include <functional>
#include <optional>
#include <vector>

#include "explore/exploration.h"
#include "faultline/duration.h"
#include "faultline/runner.h"
#include "faultline/scenario.h"

namespace faultline::explore {

struct Progress {
  std::size_t done = 0;   // point runs finished
  std::size_t total = 0;  // point runs to do
  std::size_t findings = 0;
  double runs_per_second = 0;
  double eta_seconds = 0;
};

struct ExploreOptions {
  PlanOptions plan;
  unsigned baseline_runs = 2;
  unsigned jobs = 1;
  std::optional<Duration> budget;         // no new run after this long
  std::optional<std::uint64_t> max_runs;  // no more point runs than this
  Shard shard;
  bool compare_baseline = false;
  bool recheck = true;  // run each finding's repro once more (flaky when it differs)
  RunOptions run;       // seed, interposer, backtraces
  std::function<void(const Progress&)> progress;
};

struct Baseline {
  std::vector<ScenarioResult> runs;  // the recording runs, all passing when `plan` is set
  std::optional<Plan> plan;          // unset: the baseline failed; runs.back() says how
};

// Runs the scenario unchanged (its own faults included) options.baseline_runs times with
// recording on. Stops at the first run that does not pass.
[[nodiscard]] Baseline run_baseline(const Scenario& scenario, const ExploreOptions& options,
                                    int* interrupted);

// Runs the plan's points of this shard. SIGINT/SIGTERM stop it: what finished is kept and
// *interrupted says which signal.
[[nodiscard]] Exploration run_plan(const Scenario& scenario, Plan plan,
                                   const ExploreOptions& options, const ScenarioResult* baseline,
                                   int* interrupted);

}  // namespace faultline::explore
