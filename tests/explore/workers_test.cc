// How `faultline explore` runs its points (framework/src/explore/explorer.cc): in -j workers
// forked once, each running one point after the other in a Runner::run of its own, and a
// worker that dies takes only the point it was running with it.
#include <catch2/catch.hpp>
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "explore/explorer.h"
#include "faultline/scenario.h"
#include "runner/run_directory.h"
#include "support.h"

namespace fs = std::filesystem;
namespace fx = faultline::explore;
using faultline::test::NothingLeftBehind;
using faultline::test::PrivateTmpdir;
using faultline::test::TempDir;
using faultline::test::TempScenario;

namespace {

faultline::Scenario load(const fs::path& file) {
  auto loaded = faultline::load_scenario(file);
  REQUIRE(loaded.scenario);
  return std::move(*loaded.scenario);
}

}  // namespace

TEST_CASE("explore runs its points in -j workers forked once, each taking one point after the "
          "other",
          "[explore]") {
  NothingLeftBehind clean;
  TempScenario file(
      "scenario: explore-workers\n"
      "channels: { p: { type: pipe } }\n"
      "processes:\n"
      "  writer: { run: [sh, -c, 'for i in 1 2 3 4; do echo hello$i; done'], stdout: { channel: "
      "p } }\n"
      "  reader: { run: [cat], stdin: { channel: p }, expect: { stdout: { contains: hello4 } } "
      "}\n");
  const faultline::Scenario scenario = load(file.path());
  fx::ExploreOptions options;
  options.jobs = 2;
  options.recheck = false;
  int interrupted = 0;
  fx::Baseline baseline = fx::run_baseline(scenario, options, &interrupted);
  REQUIRE(baseline.plan);
  const std::size_t points = baseline.plan->points.size();
  REQUIRE(points >= 4);

  fx::ExploreCosts costs;
  options.costs = &costs;
  fx::Exploration ex =
      fx::run_plan(scenario, *baseline.plan, options, &baseline.runs.front(), &interrupted);
  CHECK(interrupted == 0);
  // Every point ran, in a Runner::run of its own, and reported its timings back ...
  CHECK(ex.points_run() == points);
  CHECK(costs.runs == points);
  for (const auto& r : ex.results) {
    REQUIRE(r.outcome);
    CHECK(r.outcome->verdict != fx::Verdict::setup);
  }
  // ... through no more workers than -j: not one process per point.
  CHECK(costs.forks >= 1);
  CHECK(costs.forks <= 2);
}

TEST_CASE("a worker of explore that dies takes only the point it was running, and the exploration "
          "goes on",
          "[explore]") {
  NothingLeftBehind clean;
  TempDir marks("flworkers-mark");
  const fs::path marker = marks.path() / "kill-once";
  // Once the marker exists, the first run that removes it kills its runner: the worker.
  TempScenario file(
      "scenario: explore-worker-dies\n"
      "channels: { p: { type: pipe } }\n"
      "processes:\n"
      "  writer:\n"
      "    run: [sh, -c, 'if rm " +
      marker.string() +
      " 2>/dev/null; then kill -KILL $PPID; fi; for i in 1 2 3; do echo hello$i; done']\n"
      "    stdout: { channel: p }\n"
      "  reader: { run: [cat], stdin: { channel: p }, expect: { stdout: { contains: hello3 } } "
      "}\n");
  const faultline::Scenario scenario = load(file.path());
  fx::Exploration ex;
  std::size_t points = 0;
  {
    // TMPDIR pointed at a folder of the test's own while it lives, so that the gc below sees
    // only the runs of this test.
    PrivateTmpdir tmp("flworkers");
    fx::ExploreOptions options;
    options.jobs = 2;
    options.recheck = false;
    int interrupted = 0;
    fx::Baseline baseline = fx::run_baseline(scenario, options, &interrupted);
    REQUIRE(baseline.plan);
    points = baseline.plan->points.size();
    REQUIRE(points >= 3);
    std::ofstream(marker).put('x');
    ex = fx::run_plan(scenario, *baseline.plan, options, &baseline.runs.front(), &interrupted);
    CHECK(interrupted == 0);
    // What the killed runner left (its run directory, cgroup, processes) is gc's to remove.
    (void)faultline::collect_garbage();
  }
  CHECK_FALSE(fs::exists(marker));
  CHECK(ex.points_run() == points);
  std::size_t lost = 0;
  for (const auto& r : ex.results) {
    REQUIRE(r.outcome);
    if (r.outcome->verdict != fx::Verdict::setup) continue;
    ++lost;
    CHECK_THAT(r.outcome->detail, Catch::Contains("killed by signal 9"));
  }
  CHECK(lost == 1);
}
