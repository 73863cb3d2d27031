// `run --repeat`: the runs of a scenario counted together, in the console summary and in the
// JSON result's "repeat" list; a result without repetitions has neither.
#include <catch2/catch.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "report/json.h"
#include "report/repetitions.h"

namespace faultline {
namespace {

ScenarioResult run_of(const std::string& name, unsigned k, unsigned n, bool passed,
                      std::uint64_t seed) {
  ScenarioResult r;
  r.scenario = name;
  r.file = name + ".yaml";
  r.passed = passed;
  r.seed = seed;
  r.repetition = k;
  r.repetitions = n;
  if (!passed) r.violations.push_back({"exit", "p", "p: exited with status 1, expected 0"});
  return r;
}

}  // namespace

TEST_CASE("Repeated runs are tallied per scenario with the seeds of the failing ones") {
  std::vector<ScenarioResult> results{
      run_of("flaky", 1, 4, true, 10),  run_of("flaky", 2, 4, false, 20),
      run_of("flaky", 3, 4, true, 30),  run_of("flaky", 4, 4, false, 40),
      run_of("steady", 1, 4, true, 50), run_of("steady", 2, 4, true, 60)};
  results.back().violations.push_back({"setup", "", "no more queues"});
  results.back().passed = false;
  const auto tallies = tally_repetitions(results);
  REQUIRE(tallies.size() == 2);
  CHECK(tallies[0].scenario == "flaky");
  CHECK(tallies[0].runs == 4);
  CHECK(tallies[0].passed == 2);
  CHECK(tallies[0].failed == 2);
  CHECK(tallies[0].failing_seeds == std::vector<std::uint64_t>{20, 40});
  // A run that could not be set up is neither a pass nor a failure of the program.
  CHECK(tallies[1].runs == 2);
  CHECK(tallies[1].passed == 1);
  CHECK(tallies[1].failed == 0);
  CHECK(tallies[1].setup == 1);
  CHECK(tallies[1].failing_seeds.empty());

  std::ostringstream out;
  print_repetition_summary(out, results, ConsoleStyle{});
  const std::string text = out.str();
  CHECK(text.find("flaky: 2 of 4 runs passed, 2 failed") != std::string::npos);
  CHECK(text.find("failing seeds: 20 40") != std::string::npos);
  CHECK(text.find("rerun one:     faultline run flaky.yaml --seed 20") != std::string::npos);
  // stopped early (--until-fail): fewer runs than asked for
  CHECK(text.find("steady: 1 of 2 runs passed, 0 failed, 1 could not be set up (stopped at the "
                  "first failure of 4)") != std::string::npos);

  const nlohmann::json j = to_json(results);
  REQUIRE(j.at("repeat").size() == 2);
  CHECK(j["repeat"][0]["runs"] == 4);
  CHECK(j["repeat"][0]["failed"] == 2);
  CHECK(j["repeat"][0]["failing_seeds"] == nlohmann::json::array({20, 40}));
  CHECK(j["scenarios"][1]["repetition"] == 2);
  CHECK(j["scenarios"][1]["repetitions"] == 4);
}

TEST_CASE("A run without --repeat has no repeat summary and no repeat list") {
  ScenarioResult r = run_of("once", 0, 0, false, 7);
  std::ostringstream out;
  print_repetition_summary(out, {r}, ConsoleStyle{});
  CHECK(out.str().empty());
  const nlohmann::json j = to_json(std::vector<ScenarioResult>{r});
  CHECK_FALSE(j.contains("repeat"));
  CHECK_FALSE(j["scenarios"][0].contains("repetition"));
}

}  // namespace faultline
