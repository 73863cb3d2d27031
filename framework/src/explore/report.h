// explore's console report, JUnit XML and TAP.
#pragma once

#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include "explore/exploration.h"
#include "faultline/run_result.h"

namespace faultline::explore {

struct ReportStyle {
  bool color = false;
  bool verbose = false;  // every point's verdict, not only the findings
  unsigned jobs = 1;
};

void print_exploration(std::ostream& out, const Exploration& e, const ReportStyle& style);
// One line for a scenario whose baseline did not pass (it is not explored).
void print_baseline_failure(std::ostream& out, const ScenarioResult& failed, unsigned run,
                            unsigned runs);
// The closing line over every scenario explored.
void print_explore_summary(std::ostream& out, const std::vector<Exploration>& all,
                           const ReportStyle& style);

// One testcase per finding (a failure, its repro in the message), and one passing testcase
// per scenario with no finding: a CI page lists bugs, not hundreds of absorbed points.
[[nodiscard]] std::string to_junit(const std::vector<Exploration>& all);
void write_junit_file(const std::filesystem::path& file, const std::vector<Exploration>& all);
// TAP version 13 the same way: a `not ok` test point per finding, with a YAML block (the
// detail, the fault, the seed, the repro command), an `ok` one per scenario with no finding.
[[nodiscard]] std::string to_tap(const std::vector<Exploration>& all);

}  // namespace faultline::explore
