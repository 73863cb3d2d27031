// `faultline explore` and `faultline merge` (docs/explore.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace faultline::cli {

struct ExploreArgs {
  std::vector<std::string> paths;
  unsigned jobs = 1;
  std::string budget;  // "" = none
  std::optional<std::uint64_t> max_runs;
  std::string errnos = "realistic";
  std::string occurrences;  // "" = 1, 2, 3, powers of two, last; "all"; K
  std::string context;      // "" = 1: a site is the caller; K: the K innermost frames
  std::vector<std::string> kinds, processes, calls;
  std::string shard;               // "I/N", 1-based; "" = from the environment
  std::optional<unsigned> shards;  // N for JOB_COMPLETION_INDEX
  std::string json, junit, tap, html, plan;
  std::string trace;  // baselines and each finding's repro run, as a timeline
  bool plan_only = false;
  bool compare_baseline = false;
  std::optional<std::uint64_t> seed;
  unsigned baseline_runs = 2;
  bool no_recheck = false;
  bool without_faults = false;
  bool verbose = false;
  bool no_backtrace = false;
  bool progress = true;
};

[[nodiscard]] int run_explore(ExploreArgs args);

struct MergeArgs {
  std::vector<std::string> files;
  std::string json, junit, tap, html;
};

[[nodiscard]] int run_merge(const MergeArgs& args);

}  // namespace faultline::cli
