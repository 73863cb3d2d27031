// The TAP document of `--tap`: its parts, not its bytes. The plan, a test point per result in
// order, a YAML block (read back with yaml-cpp) under each failure with the root cause, the
// faults fired, the seed and the repro command; a setup failure is `not ok` without `# SKIP`.
// Whether prove itself reads it is tests/integration/tap_prove_test.cc.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "report/tap.h"

namespace faultline {
namespace {

ScenarioResult passing(const std::string& name) {
  ScenarioResult r;
  r.scenario = name;
  r.file = "scenarios/" + name + ".yaml";
  r.passed = true;
  r.seed = 11;
  return r;
}

ScenarioResult caught() {
  ScenarioResult r = passing("echo naive");
  r.passed = false;
  r.seed = 4242;
  r.command_faults = {"client/read:error=EIO"};
  r.faults.push_back({"client/read:error=EIO", 3, 2});
  r.faults.push_back({"server/write:short=1:optional", 0, 0, true});
  FaultEvent e;
  e.time_ms = 5;
  e.pid = 77;
  e.process = "client";
  e.call = "read";
  e.rule = 0;
  e.error = "EIO";
  e.result = -1;
  e.seq = 1;
  e.fd = 3;
  e.channel = "sock";
  r.events.push_back(e);
  // Root cause first, as the runner orders them.
  r.violations.push_back({"exit", "client", "client: exited with status 1, expected 0", 6});
  r.violations.push_back({"stdout", "client", "client: stdout \"ok\" # not seen", 7});
  return r;
}

ScenarioResult not_set_up() {
  ScenarioResult r = passing("needs-limit");
  r.passed = false;
  r.violations.push_back({"setup", "", "cannot create a message queue: ENOSPC"});
  return r;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// The YAML block that follows test point `header` (its lines between `  ---` and `  ...`).
YAML::Node block_after(const std::vector<std::string>& lines, const std::string& header) {
  std::size_t i = 0;
  while (i < lines.size() && lines[i] != header) ++i;
  REQUIRE(i + 1 < lines.size());
  REQUIRE(lines[i + 1] == "  ---");
  std::string yaml;
  for (i += 2; i < lines.size() && lines[i] != "  ..."; ++i) {
    REQUIRE(lines[i].rfind("  ", 0) == 0);  // indented under its test point
    yaml += lines[i].substr(2) + '\n';
  }
  REQUIRE(i < lines.size());  // closed
  return YAML::Load(yaml);
}

}  // namespace

TEST_CASE("TAP has a version, a plan and a test point per result, in order") {
  const auto lines = lines_of(to_tap({passing("a"), caught(), not_set_up(), passing("b")}));
  REQUIRE(lines.size() > 5);
  CHECK(lines[0] == "TAP version 13");
  CHECK(lines[1] == "1..4");
  std::vector<std::string> points;
  for (const auto& l : lines)
    if (l.rfind("ok ", 0) == 0 || l.rfind("not ok ", 0) == 0) points.push_back(l);
  REQUIRE(points.size() == 4);
  CHECK(points[0] == "ok 1 - a");
  CHECK(points[1] == "not ok 2 - echo naive");
  CHECK(points[3] == "ok 4 - b");
  // Every line is TAP: a test point, the header, or inside a YAML block.
  for (const auto& l : lines)
    CHECK((l.rfind("ok ", 0) == 0 || l.rfind("not ok ", 0) == 0 || l.rfind("  ", 0) == 0 ||
           l == "TAP version 13" || l == "1..4"));
}

TEST_CASE("A failure's YAML block has the root cause, the faults fired, the seed and the repro") {
  const auto lines = lines_of(to_tap({caught()}));
  YAML::Node y = block_after(lines, "not ok 1 - echo naive");
  CHECK(y["message"].as<std::string>() == "client: exited with status 1, expected 0");
  CHECK(y["severity"].as<std::string>() == "fail");
  CHECK(y["violation"]["kind"].as<std::string>() == "exit");
  CHECK(y["violation"]["process"].as<std::string>() == "client");
  REQUIRE(y["more_violations"].size() == 1);
  CHECK(y["more_violations"][0]["kind"].as<std::string>() == "stdout");
  CHECK(y["more_violations"][0]["message"].as<std::string>() == "client: stdout \"ok\" # not seen");
  CHECK(y["faults_fired"].as<int>() == 2);
  REQUIRE(y["faults"].size() == 1);  // the optional fault that never fired is not listed
  CHECK(y["faults"][0]["spec"].as<std::string>() == "client/read:error=EIO");
  CHECK(y["faults"][0]["fired"].as<int>() == 2);
  CHECK(y["faults"][0]["events"][0]["event"].as<std::string>().find("read") != std::string::npos);
  CHECK(y["seed"].as<std::uint64_t>() == 4242);
  CHECK(y["repro"].as<std::string>() ==
        "faultline run scenarios/echo naive.yaml --fault 'client/read:error=EIO' --seed 4242");
}

TEST_CASE("A scenario that could not be set up is not ok, with no SKIP directive") {
  const auto lines = lines_of(to_tap({not_set_up()}));
  const std::string header = "not ok 1 - needs-limit (could not be set up)";
  YAML::Node y = block_after(lines, header);
  CHECK(y["severity"].as<std::string>() == "setup");
  CHECK(y["message"].as<std::string>() == "cannot create a message queue: ENOSPC");
  for (const auto& l : lines) CHECK(l.find("SKIP") == std::string::npos);
}

TEST_CASE("With --expect-fail, a caught scenario is ok and one that passed is not, as the exit says") {
  // The harness must agree with `run --expect-fail`'s exit status: prove counts `not ok`.
  const std::vector<std::string> naive = {"scenarios/echo naive.yaml", "scenarios/*-limit.yaml"};
  const auto lines = lines_of(to_tap({caught(), passing("echo naive"), not_set_up(),
                                      passing("robust")},
                                     naive));
  YAML::Node y = block_after(lines, "ok 1 - echo naive (caught: failed as expected)");
  CHECK(y["severity"].as<std::string>() == "caught");
  CHECK(y["message"].as<std::string>() == "client: exited with status 1, expected 0");
  CHECK(std::count(lines.begin(), lines.end(),
                   "not ok 2 - echo naive (not caught: expected to fail, passed)") == 1);
  // A scenario that could not be set up is never caught, whatever it was expected to do.
  CHECK(std::count(lines.begin(), lines.end(), "not ok 3 - needs-limit (could not be set up)") ==
        1);
  CHECK(std::count(lines.begin(), lines.end(), "ok 4 - robust") == 1);
}

TEST_CASE("A # in a scenario name is escaped: it cannot start a directive") {
  ScenarioResult r = passing("retries # TODO later");
  r.passed = false;
  r.violations.push_back({"exit", "p", "p: exited with status 1"});
  const auto lines = lines_of(to_tap({r}));
  CHECK(lines.at(2) == "not ok 1 - retries \\# TODO later");
  CHECK(tap_description("a\nb\\c") == "a b\\\\c");
}

TEST_CASE("Repeated runs are a test point each, named by their run") {
  ScenarioResult first = passing("flaky"), second = caught();
  first.repetition = 1;
  second.repetition = 2;
  first.repetitions = second.repetitions = 2;
  const auto lines = lines_of(to_tap({first, second}));
  CHECK(lines.at(2) == "ok 1 - flaky (run 1/2)");
  CHECK(lines.at(3) == "not ok 2 - echo naive (run 2/2)");
  YAML::Node y = block_after(lines, "not ok 2 - echo naive (run 2/2)");
  CHECK(y["run"].as<int>() == 2);
  CHECK(y["runs"].as<int>() == 2);
}

}  // namespace faultline
