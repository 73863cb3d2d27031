// Runs an exploration: the baseline (recording runs), then one scenario run per fault point,
// N at a time in N worker processes (each point its own Runner::run), then each finding once
// more from its repro.
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

// Where the point runs of run_plan() spent their time, summed over runs (wall ms, steady
// clock): the phases of Runner::run as each run stamped them (RunTimings), and explore's own
// costs around them. Filled for the benchmark (tests/bench/explore_bench.cc).
struct ExploreCosts {
  std::size_t runs = 0;  // point runs that reported back
  double provision_ms = 0, control_ms = 0, spawn_ms = 0, supervise_ms = 0, reap_ms = 0,
         verdict_ms = 0, cleanup_ms = 0;
  double run_ms = 0;         // the whole of Runner::run
  double runner_cpu_ms = 0;  // CPU of the processes that ran the points (not of their programs)
  double classify_ms = 0;    // classify()
  double hand_back_ms = 0;   // the result from the run's process to the explorer: written, read
  double fork_ms = 0;        // fork() of the processes that run the points, in the explorer
  std::size_t forks = 0;
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
  ExploreCosts* costs = nullptr;  // when set, run_plan() adds its point runs' costs to it
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
