// tally_repetitions() and print_repetition_summary(); see repetitions.h.
#include "report/repetitions.h"

#include <fmt/format.h>

#include <algorithm>

namespace faultline {

std::vector<RepetitionTally> tally_repetitions(const std::vector<ScenarioResult>& results) {
  std::vector<RepetitionTally> tallies;
  for (const auto& r : results) {
    if (r.repetitions == 0) continue;
    // Two scenario files may share a name: the file tells them apart.
    auto it = std::find_if(tallies.begin(), tallies.end(), [&](const RepetitionTally& t) {
      return t.scenario == r.scenario && t.file == r.file;
    });
    if (it == tallies.end()) {
      RepetitionTally t;
      t.scenario = r.scenario;
      t.file = r.file;
      tallies.push_back(std::move(t));
      it = tallies.end() - 1;
    }
    ++it->runs;
    it->asked = std::max(it->asked, r.repetitions);
    if (r.passed) {
      ++it->passed;
    } else if (r.setup_failed()) {
      ++it->setup;
    } else {
      ++it->failed;
      it->failing_seeds.push_back(r.seed);
      if (!it->first_failure) it->first_failure = &r;
    }
  }
  return tallies;
}

void print_repetition_summary(std::ostream& out, const std::vector<ScenarioResult>& results,
                              const ConsoleStyle& style) {
  const auto tallies = tally_repetitions(results);
  if (tallies.empty()) return;
  out << "repeated:\n";
  for (const auto& t : tallies) {
    std::string line = fmt::format("  {}: {} of {} run{} passed, {} failed", t.scenario, t.passed,
                                   t.runs, t.runs == 1 ? "" : "s", t.failed);
    if (t.setup) line += fmt::format(", {} could not be set up", t.setup);
    if (t.runs < t.asked) line += fmt::format(" (stopped at the first failure of {})", t.asked);
    const bool bad = t.failed > 0 || t.setup > 0;
    out << (style.color ? fmt::format("\033[{}m{}\033[0m", bad ? "1;31" : "32", line) : line)
        << '\n';
    if (!t.failing_seeds.empty()) {
      std::string seeds;
      for (auto s : t.failing_seeds) seeds += fmt::format("{}{}", seeds.empty() ? "" : " ", s);
      out << fmt::format("    failing seeds: {}\n", seeds);
      out << fmt::format("    rerun one:     {}\n", rerun_command(*t.first_failure));
    }
  }
}

}  // namespace faultline
