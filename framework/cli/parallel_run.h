// `faultline run -j N`: each scenario file in a `faultline run` process of its own, N at a
// time. A runner owns its process tree (subreaper, kill of every descendant at the end), so
// runs in parallel must be separate processes, not threads.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "faultline/run_result.h"

namespace faultline::cli {

struct WorkerArgs {
  std::vector<std::string> faults;  // --fault, passed on to every worker
  std::optional<std::uint64_t> seed;
  bool verbose = false;
  bool no_backtrace = false;
  bool without_faults = false;
};

// Runs every file, at most `jobs` at once; `done` gets each result as its run ends (in the
// order they end). Returns the results in the order of `files`. SIGINT or SIGTERM to this
// process stops starting new runs, passes the signal on to the running ones and sets
// *interrupted to it.
[[nodiscard]] std::vector<ScenarioResult> run_in_parallel(
    const std::vector<std::filesystem::path>& files, const WorkerArgs& args, int jobs,
    const std::function<void(const ScenarioResult&)>& done, int* interrupted);

}  // namespace faultline::cli
