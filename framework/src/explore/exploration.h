// The result of exploring one scenario: every planned point's outcome, and the findings
// (one per bug class per site) with the command that reproduces each.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "explore/plan.h"
#include "explore/verdict.h"

namespace faultline::explore {

struct PointResult {
  std::optional<Outcome> outcome;  // nullopt: not run (another shard's, budget, interrupted)
  // The finding this point represents was run again from its repro command.
  std::optional<Verdict> rerun;
  std::string rerun_detail;
};

struct Finding {
  Verdict verdict = Verdict::crash;
  std::size_t site = 0;             // into Plan::sites
  std::vector<std::size_t> points;  // every point (into Plan::points) that reveals it
  std::string process;              // who it is about
  std::string detail;               // the first point's why
  bool flaky = false;               // its repro did not give the same verdict again
  std::optional<Verdict> rerun;     // what the repro gave, when it was run
};

struct Exploration {
  Plan plan;
  std::vector<PointResult> results;  // parallel to plan.points
  std::vector<Finding> findings;     // most severe first
  Shard shard;
  unsigned runs = 0;  // scenario runs, the baseline and re-checks included
  double duration_ms = 0;
  bool stopped_by_budget = false;
  int interrupted_by = 0;  // SIGINT/SIGTERM
  std::vector<std::string> notes;
  [[nodiscard]] std::size_t points_run() const;
};

// Groups the outcomes: one finding per (site, bug class), its points in plan order, the
// first one its representative; most severe class first, then plan order. Keeps the rerun
// facts recorded on the representatives.
[[nodiscard]] std::vector<Finding> group_findings(const Plan& plan,
                                                  const std::vector<PointResult>& results);

// `faultline run FILE --fault 'SPEC' --seed S`, FILE relative to the working folder when
// it lies below it.
[[nodiscard]] std::string repro_command(const Plan& plan, const Point& point);

}  // namespace faultline::explore
