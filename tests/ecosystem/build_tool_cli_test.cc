// What build tools call (CMake's faultline_add_scenario, docs/cmake.md): `run --expect-fail`
// passes only on a caught bug, never on wrong input or a run that could not be set up, and
// `check --json` tells a scenario's timeout before its programs are built.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "support.h"

namespace fs = std::filesystem;
using faultline::test::CommandResult;
using faultline::test::NothingLeftBehind;
using faultline::test::run_command;
using faultline::test::run_faultline;
using faultline::test::TempDir;
using faultline::test::TempScenario;
using nlohmann::json;

namespace {

// `cat` fails on the EIO of its first read: the scenario fails on a verdict (exit 1).
const std::string kCatFails = R"y(scenario: cat-fails
timeout: 7s
channels: { p: { type: pipe } }
processes:
  tx: { run: [printf, "hello\n"], stdout: { channel: p } }
  rx: { run: [cat], stdin: { channel: p } }
faults:
  - { process: rx, call: read, error: EIO, nth: 1 }
)y";

// The same without the fault: it passes.
const std::string kCatPasses = R"y(scenario: cat-passes
timeout: 2500ms
channels: { p: { type: pipe } }
processes:
  tx: { run: [printf, "hello\n"], stdout: { channel: p } }
  rx: { run: [cat], stdin: { channel: p } }
)y";

json read_json(const fs::path& p) {
  std::ifstream in(p);
  return json::parse(in);
}

}  // namespace

TEST_CASE("run --expect-fail exits 0 when the scenario fails on a verdict, and says caught",
          "[ecosystem][expect-fail]") {
  NothingLeftBehind guard;
  TempScenario s(kCatFails);
  CommandResult plain = run_faultline({"run", s.path().string()});
  INFO(plain.out << plain.err);
  REQUIRE(plain.exit_code == 1);

  CommandResult r = run_faultline({"run", s.path().string(), "--expect-fail", "*"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("FAIL  cat-fails") != std::string::npos);  // the details as always
  CHECK(r.out.find("caught      s.yaml  rx: exited with status 1") != std::string::npos);
  CHECK(r.out.find("1 scenario: 0 passed, 1 caught, 0 failed, 0 not caught") != std::string::npos);
}

TEST_CASE("run --expect-fail exits 1 when the scenario passes: not caught",
          "[ecosystem][expect-fail]") {
  NothingLeftBehind guard;
  TempScenario s(kCatPasses);
  CommandResult r = run_faultline({"run", s.path().string(), "--expect-fail", "*"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("NOT CAUGHT  s.yaml") != std::string::npos);
}

TEST_CASE("run --expect-fail judges only the scenarios its glob names",
          "[ecosystem][expect-fail]") {
  NothingLeftBehind guard;
  TempScenario fails(kCatFails, "fails.naive.yaml");
  TempScenario passes(kCatPasses, "passes.yaml");
  CommandResult r = run_faultline(
      {"run", fails.path().string(), passes.path().string(), "--expect-fail", "*.naive.yaml"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("1 passed, 1 caught, 0 failed, 0 not caught") != std::string::npos);
  // The scenario that must pass fails the run when it fails.
  CommandResult both = run_faultline(
      {"run", fails.path().string(), passes.path().string(), "--expect-fail", "*passes.yaml"});
  INFO(both.out << both.err);
  CHECK(both.exit_code == 1);
  CHECK(both.out.find("0 passed, 0 caught, 1 failed, 1 not caught") != std::string::npos);
}

TEST_CASE("run --expect-fail does not take wrong input for a caught bug",
          "[ecosystem][expect-fail]") {
  TempScenario s(R"y(scenario: typo
processes:
  rx: { run: [./no-such-program] }
)y");
  CommandResult r = run_faultline({"run", s.path().string(), "--expect-fail", "*"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("program './no-such-program' not found") != std::string::npos);
  CommandResult spec =
      run_faultline({"run", s.path().string(), "--expect-fail", "*", "--fault", "read:bogus"});
  CHECK(spec.exit_code == 2);
}

TEST_CASE("run --expect-fail does not take a scenario that could not be set up for a caught bug",
          "[ecosystem][expect-fail][setup]") {
  NothingLeftBehind guard;
  const fs::path scenario = faultline::test::scenarios_dir() / "posix-mq" / "naive.yaml";
  // Room for less than one queue: mq_open fails with EMFILE before any program runs.
  CommandResult r =
      run_command({"prlimit", "--msgqueue=1000", faultline::test::faultline_exe().string(), "run",
                   scenario.string(), "--expect-fail", "*"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 3);
  CHECK(r.out.find("SETUP") != std::string::npos);
  CHECK(r.out.find("0 caught") != std::string::npos);
}

TEST_CASE("check --json gives each scenario's timeout, also before its programs are built",
          "[ecosystem][check]") {
  TempScenario unbuilt(R"y(scenario: not-built-yet
timeout: 1.5s
processes:
  server: { run: [./server-built-later] }
  client: { run: [./client-built-later] }
)y");
  TempScenario bad(R"y(scenario: bad
timeout: soon
processes:
  p: { run: [true] }
)y");
  TempScenario fine(kCatPasses);
  TempDir out_dir("flcheck");
  const fs::path out = out_dir.path() / "check.json";
  CommandResult r = run_faultline({"check", unbuilt.path().string(), bad.path().string(),
                                   fine.path().string(), "--json", out.string()});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 2);  // as without --json: the errors are on stderr too
  CHECK(r.err.find("./server-built-later' not found") != std::string::npos);
  json files = read_json(out)["files"];
  REQUIRE(files.size() == 3);

  CHECK(files[0]["file"] == unbuilt.path().string());
  CHECK(files[0]["scenario"] == "not-built-yet");
  CHECK(files[0]["timeout_ms"] == 1500.0);
  CHECK(files[0]["processes"] == json::array({"server", "client"}));
  CHECK(files[0]["ok"] == false);
  REQUIRE(files[0]["errors"].size() == 2);
  CHECK(files[0]["errors"][0]["line"] == 4);
  CHECK(files[0]["errors"][0]["message"].get<std::string>().find("server-built-later") !=
        std::string::npos);

  // A file that does not load has no scenario to tell about: its errors only.
  CHECK(files[1]["scenario"].is_null());
  CHECK(files[1]["timeout_ms"].is_null());
  CHECK(files[1]["ok"] == false);
  CHECK(files[1]["errors"][0]["line"] == 2);

  CHECK(files[2]["scenario"] == "cat-passes");
  CHECK(files[2]["timeout_ms"] == 2500.0);
  CHECK(files[2]["ok"] == true);
  CHECK(files[2]["errors"].empty());
}
