// `faultline run -j N`: scenarios in runner processes of their own, at the same time, with
// the reports, JSON and exit status a serial run gives.
#include <signal.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "support.h"

namespace fs = std::filesystem;
using faultline::test::CommandResult;
using faultline::test::NothingLeftBehind;
using faultline::test::run_faultline;
using faultline::test::TempScenario;
using nlohmann::json;

namespace {

// A scenario whose process creates `mine` and then waits for `theirs`: two of them pass only
// when they run at the same time.
std::string rendezvous(const std::string& name, const fs::path& mine, const fs::path& theirs) {
  return fmt::format(R"y(scenario: {}
timeout: 10s
processes:
  p: {{ run: 'touch {}; while [ ! -e {} ]; do sleep 0.01; done; echo met' }}
)y",
                     name, mine.string(), theirs.string());
}

json read_json(const fs::path& p) {
  std::ifstream in(p);
  return json::parse(in);
}

}  // namespace

TEST_CASE("run -j 2 runs two scenarios at the same time", "[integration][parallel]") {
  NothingLeftBehind guard;
  TempScenario marks("scenario: unused\nprocesses: { p: { run: [true] } }\n");
  fs::path a = marks.dir() / "a", b = marks.dir() / "b";
  TempScenario first(rendezvous("first", a, b));
  TempScenario second(rendezvous("second", b, a));
  fs::path out = marks.dir() / "result.json";
  CommandResult r = run_faultline(
      {"run", "-j", "2", first.path().string(), second.path().string(), "--json", out.string()});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("PASS  first") != std::string::npos);
  CHECK(r.out.find("PASS  second") != std::string::npos);
  CHECK(r.out.find("2 passed, 0 failed") != std::string::npos);
  json j = read_json(out);
  REQUIRE(j["scenarios"].size() == 2);
  // In the order of the command line, whichever ended first.
  CHECK(j["scenarios"][0]["scenario"] == "first");
  CHECK(j["scenarios"][1]["scenario"] == "second");
  CHECK(j["scenarios"][0]["processes"][0]["stdout"] == "met\n");
}

TEST_CASE("run -j reports a failed scenario as a serial run does, exit 1",
          "[integration][parallel]") {
  NothingLeftBehind guard;
  TempScenario good("scenario: good\nprocesses: { p: { run: [true] } }\n");
  TempScenario bad(R"y(scenario: bad
processes:
  p: { run: [sh, -c, "echo oops >&2; exit 4"] }
faults:
  - { call: read, error: EIO, nth: 1000 }
)y");
  fs::path out = good.dir() / "result.xml";
  CommandResult r = run_faultline(
      {"run", "--jobs", "2", good.path().string(), bad.path().string(), "--junit", out.string()});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("FAIL  bad") != std::string::npos);
  CHECK(r.out.find("p: exited with status 4, expected exit 0") != std::string::npos);
  CHECK(r.out.find("| oops") != std::string::npos);
  CHECK(r.out.find("1 passed, 1 failed") != std::string::npos);
  std::ifstream in(out);
  std::string xml((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(xml.find("tests=\"2\" failures=\"1\"") != std::string::npos);
}

TEST_CASE("SIGTERM to run -j stops every runner and what they started",
          "[integration][parallel][signals]") {
  NothingLeftBehind guard;
  TempScenario marks("scenario: unused\nprocesses: { p: { run: [true] } }\n");
  fs::path started = marks.dir() / "started";
  // The first scenario's process sends SIGTERM to `faultline run -j` (its runner's parent)
  // once the second scenario's service is up.
  TempScenario first(fmt::format(R"y(scenario: first
timeout: 30s
processes:
  killer: {{ run: 'while [ ! -e {} ]; do sleep 0.01; done; kill -TERM $(ps -o ppid= -p $PPID); exec sleep 1000' }}
)y",
                                 started.string()));
  TempScenario second(fmt::format(R"y(scenario: second
timeout: 30s
processes:
  service: {{ run: 'touch {}; exec sleep 1000', lifetime: service }}
  task: {{ run: [sleep, "1000"] }}
)y",
                                  started.string()));
  fs::path out = marks.dir() / "result.json";
  CommandResult r = run_faultline(
      {"run", "-j", "2", first.path().string(), second.path().string(), "--json", out.string()});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 128 + SIGTERM);
  json j = read_json(out);
  REQUIRE(j["scenarios"].size() == 2);
  CHECK(j["scenarios"][0]["interrupted"] == true);
  CHECK(j["scenarios"][1]["interrupted"] == true);
}

TEST_CASE("run -j 2 runs its scenarios in two runners, each taking one after the other",
          "[integration][parallel]") {
  NothingLeftBehind guard;
  // A process's parent is the runner that runs its scenario.
  std::vector<std::unique_ptr<TempScenario>> scenarios;
  std::vector<std::string> args{"run", "-j", "2"};
  for (int i = 0; i < 6; ++i) {
    scenarios.push_back(std::make_unique<TempScenario>(
        fmt::format("scenario: s{}\nprocesses: {{ p: {{ run: 'echo $PPID' }} }}\n", i)));
    args.push_back(scenarios.back()->path().string());
  }
  fs::path out = scenarios.front()->dir() / "result.json";
  args.insert(args.end(), {"--json", out.string()});
  CommandResult r = run_faultline(args);
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  json j = read_json(out);
  REQUIRE(j["scenarios"].size() == 6);
  std::set<std::string> runners;
  for (const auto& sc : j["scenarios"]) runners.insert(sc["processes"][0]["stdout"]);
  // Not a new `faultline` per scenario (its start cost more than a run): two workers.
  CHECK(runners.size() <= 2);
}
