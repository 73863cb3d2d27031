// `faultline explore`'s plan: the fault points of one scenario, from what its baseline runs
// recorded. A point is one fault at one site at one occurrence, run alone (docs/explore.md).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "faultline/run_result.h"
#include "faultline/scenario.h"
#include "faults/explore_faults.h"

namespace faultline::explore {

// A (process, call, caller) the baseline reached.
struct Site {
  RecordedCall call;
  std::uint64_t reached = 0;  // the most calls made there in one baseline run
  bool unstable = false;      // reached in some baseline runs only, or a different number of times
  // How the reports name it: "server accept4 at accept_loop (server.c:41)"; with a calling
  // context, each frame outward after "<": "... at xwrite (io.c:9) < send_body (main.c:40)".
  [[nodiscard]] std::string where() const;
};

struct Point {
  std::size_t site = 0;  // into Plan::sites
  std::string kind;      // error, short, eof, reset, drop, spurious, crash
  std::string action;    // "error=EMFILE"
  FaultClass cls = FaultClass::hard;
  std::uint64_t nth = 1;
  std::uint64_t depth = 0;  // which of the site's occurrences (0: the first): breadth first
  std::string spec;         // the --fault that runs it, as the repro command says it
  std::string
      id;  // stable identity (sharding, merge): "server/accept4@server+0x1a2f/error=EMFILE#1"
};

struct PlanOptions {
  ErrnoSet errnos = ErrnoSet::realistic;
  // Occurrences per site and fault: nullopt = 1, 2, 3, then powers of two and the last;
  // 0 = every occurrence; K = the first K.
  std::optional<std::uint64_t> occurrences;
  std::vector<std::string> kinds;      // empty = every kind
  std::vector<std::string> processes;  // empty = every process
  std::vector<std::string> calls;      // call symbols or base names; empty = every call
  // Frames a site is (`--context K`): 1, the caller; K, the K innermost (calling context).
  unsigned context = 1;
};

struct Plan {
  std::string scenario;         // its name
  std::filesystem::path file;   // absolute path of the scenario file
  std::uint64_t seed = 0;       // every run of the plan uses it
  bool without_faults = false;  // the scenario's own faults: block was left out
  unsigned context = 1;         // frames per site (--context K); shards of a plan share it
  unsigned baseline_runs = 0;
  double baseline_ms = 0;  // the longest baseline run
  std::vector<Site> sites;
  std::vector<Point> points;  // breadth first: every site's first occurrence, then ...
  std::vector<std::string> notes;
};

// The occurrences explored at a site reached `reached` times.
[[nodiscard]] std::vector<std::uint64_t> occurrences(std::uint64_t reached,
                                                     std::optional<std::uint64_t> limit);

// Sites merged over the baselines (each a passing recording run), points in breadth-first
// order. Throws std::runtime_error on a catalogue fault the spec parser refuses (a bug).
[[nodiscard]] Plan make_plan(const Scenario& scenario, const std::vector<ScenarioResult>& baselines,
                             const PlanOptions& options);

// Whether the scenario can tell a wrong result from a right one (an output expectation or a
// peer); explore says so when it cannot.
[[nodiscard]] bool has_output_oracle(const Scenario& scenario);

// Shard I of N (0-based) by a stable hash of the point's identity: every point in exactly one
// shard, the same one on every machine.
struct Shard {
  unsigned index = 0;
  unsigned total = 1;
};
[[nodiscard]] bool in_shard(const Point& point, Shard shard);
[[nodiscard]] std::uint64_t stable_hash(std::string_view text);

}  // namespace faultline::explore
