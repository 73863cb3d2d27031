// `faultline run --repeat N [--until-fail]`: a scenario that fails only sometimes, made so on
// purpose: its one write to a pipe fails with EIO at probability 0.5, which the interposer
// decides from (seed, rule, call number). Each run draws its own seed, so some runs pass and
// some fail; a seed reproduces its run's verdict when given back with --seed.
#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "support.h"

namespace fs = std::filesystem;
using faultline::test::CommandResult;
using faultline::test::NothingLeftBehind;
using faultline::test::PrivateTmpdir;
using faultline::test::run_faultline;
using faultline::test::TempScenario;
using nlohmann::json;

namespace {

// `echo` exits 1 when its write fails: the scenario fails exactly when the fault fired.
constexpr const char* kFlaky = R"y(scenario: coin-toss
timeout: 10s
channels: { words: { type: pipe } }
processes:
  writer: { run: "echo hello", stdout: { channel: words } }
  reader: { run: [cat], stdin: { channel: words } }
faults:
  - { process: writer, call: write, channel: words, error: EIO, probability: 0.5, optional: true }
)y";

std::string describe(const CommandResult& r) {
  return "exit " + std::to_string(r.exit_code) + "\nstdout:\n" + r.out + "\nstderr:\n" + r.err;
}

json load(const fs::path& file) {
  std::ifstream in(file);
  REQUIRE(in.good());
  return json::parse(in);
}

}  // namespace

TEST_CASE(
    "run --repeat 20 counts passes and failures and lists the failing seeds, which "
    "reproduce",
    "[integration][repeat]") {
  PrivateTmpdir tmp;
  NothingLeftBehind guard;
  TempScenario s(kFlaky);
  const fs::path out = s.dir() / "r.json", xml = s.dir() / "r.xml", tap = s.dir() / "r.tap";
  CommandResult r = run_faultline({"run", s.path().string(), "--repeat", "20", "--json",
                                   out.string(), "--junit", xml.string(), "--tap", tap.string()});
  INFO(describe(r));
  const json doc = load(out);
  const json& runs = doc.at("scenarios");
  REQUIRE(runs.size() == 20);
  std::vector<std::uint64_t> failing;
  std::uint64_t a_passing = 0;
  std::set<std::uint64_t> seeds;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    CHECK(runs[i].at("repetition") == i + 1);
    CHECK(runs[i].at("repetitions") == 20);
    seeds.insert(runs[i].at("seed").get<std::uint64_t>());
    if (runs[i].at("passed") == true)
      a_passing = runs[i].at("seed").get<std::uint64_t>();
    else
      failing.push_back(runs[i].at("seed").get<std::uint64_t>());
  }
  CHECK(seeds.size() == 20);  // a seed of its own each
  // 20 fair coin tosses that all land the same way: 2 in a million.
  REQUIRE(!failing.empty());
  REQUIRE(failing.size() < 20);
  const std::size_t passed = 20 - failing.size();
  CHECK(r.exit_code == 1);  // a run failed

  const json& tally = doc.at("repeat").at(0);
  CHECK(tally.at("scenario") == "coin-toss");
  CHECK(tally.at("runs") == 20);
  CHECK(tally.at("passed") == passed);
  CHECK(tally.at("failed") == failing.size());
  CHECK(tally.at("passed").get<std::size_t>() + tally.at("failed").get<std::size_t>() == 20);
  CHECK(tally.at("failing_seeds").get<std::vector<std::uint64_t>>() == failing);

  // The console: each run's line, then the counts and the seeds.
  CHECK_THAT(r.out, Catch::Contains("coin-toss  (run 20/20, "));
  CHECK_THAT(r.out, Catch::Contains(std::to_string(passed) + " passed, " +
                                    std::to_string(failing.size()) + " failed"));
  CHECK_THAT(r.out,
             Catch::Contains("coin-toss: " + std::to_string(passed) + " of 20 runs passed, " +
                             std::to_string(failing.size()) + " failed"));
  std::string seed_list;
  for (auto seed : failing) seed_list += (seed_list.empty() ? "" : " ") + std::to_string(seed);
  CHECK_THAT(r.out, Catch::Contains("failing seeds: " + seed_list));

  // JUnit and TAP: a testcase / test point per run.
  std::ifstream tap_in(tap);
  std::string line;
  std::size_t ok = 0, not_ok = 0;
  while (std::getline(tap_in, line)) {
    ok += line.rfind("ok ", 0) == 0 ? 1 : 0;
    not_ok += line.rfind("not ok ", 0) == 0 ? 1 : 0;
  }
  CHECK(ok == passed);
  CHECK(not_ok == failing.size());
  std::ifstream xml_in(xml);
  const std::string junit{std::istreambuf_iterator<char>(xml_in), {}};
  CHECK_THAT(junit, Catch::Contains("tests=\"20\" failures=\"" + std::to_string(failing.size())));
  CHECK_THAT(junit, Catch::Contains("name=\"coin-toss (run 7/20)\""));

  // `faultline report` still reads it: a line per run.
  CommandResult report = run_faultline({"report", out.string()});
  INFO(describe(report));
  CHECK(report.exit_code == 1);
  CHECK_THAT(report.out, Catch::Contains("20 scenarios: " + std::to_string(passed) + " passed"));

  // Alone, with its seed, each failing run fails again and a passing one passes again.
  for (std::size_t i = 0; i < std::min<std::size_t>(failing.size(), 3); ++i) {
    CommandResult again =
        run_faultline({"run", s.path().string(), "--seed", std::to_string(failing[i])});
    INFO(describe(again));
    CHECK(again.exit_code == 1);
    CHECK_THAT(again.out, Catch::Contains("FAIL  coin-toss"));
  }
  CommandResult again =
      run_faultline({"run", s.path().string(), "--seed", std::to_string(a_passing)});
  INFO(describe(again));
  CHECK(again.exit_code == 0);
}

TEST_CASE("run --repeat --until-fail stops a scenario at its first failed run",
          "[integration][repeat]") {
  PrivateTmpdir tmp;
  NothingLeftBehind guard;
  TempScenario s(kFlaky);
  const fs::path out = s.dir() / "r.json";
  CommandResult r = run_faultline(
      {"run", s.path().string(), "--repeat", "40", "--until-fail", "--json", out.string()});
  INFO(describe(r));
  const json runs = load(out).at("scenarios");
  // Forty passes in a row: about one in a trillion.
  REQUIRE(runs.size() <= 40);
  CHECK(runs.back().at("passed") == false);
  for (std::size_t i = 0; i + 1 < runs.size(); ++i) CHECK(runs[i].at("passed") == true);
  CHECK(r.exit_code == 1);
  if (runs.size() < 40) CHECK_THAT(r.out, Catch::Contains("(stopped at the first failure of 40)"));
}

TEST_CASE("run --repeat with --seed runs every repetition with that seed, and says so",
          "[integration][repeat]") {
  PrivateTmpdir tmp;
  NothingLeftBehind guard;
  TempScenario s(kFlaky);
  const fs::path out = s.dir() / "r.json";
  CommandResult r = run_faultline(
      {"run", s.path().string(), "--repeat", "4", "--seed", "12345", "--json", out.string()});
  INFO(describe(r));
  CHECK_THAT(r.out, Catch::Contains("every run uses seed 12345 (--seed)"));
  const json runs = load(out).at("scenarios");
  REQUIRE(runs.size() == 4);
  for (const auto& run : runs) {
    CHECK(run.at("seed") == 12345);
    CHECK(run.at("passed") == runs[0].at("passed"));  // the same seed, the same verdict
  }
}

TEST_CASE("run --repeat -j 3 runs the repetitions in parallel, counted the same way",
          "[integration][repeat][parallel]") {
  PrivateTmpdir tmp;
  NothingLeftBehind guard;
  TempScenario flaky(kFlaky);
  TempScenario steady("scenario: steady\nprocesses: { p: { run: [true] } }\n", "steady.yaml");
  const fs::path out = flaky.dir() / "r.json";
  CommandResult r = run_faultline({"run", "-j", "3", "--repeat", "10", flaky.path().string(),
                                   steady.path().string(), "--json", out.string()});
  INFO(describe(r));
  const json doc = load(out);
  REQUIRE(doc.at("scenarios").size() == 20);
  // In order: the flaky scenario's ten runs, then the steady one's, each numbered.
  for (std::size_t i = 0; i < 20; ++i) {
    CHECK(doc["scenarios"][i].at("scenario") == (i < 10 ? "coin-toss" : "steady"));
    CHECK(doc["scenarios"][i].at("repetition") == i % 10 + 1);
  }
  REQUIRE(doc.at("repeat").size() == 2);
  CHECK(doc["repeat"][0].at("runs") == 10);
  CHECK(doc["repeat"][0].at("passed").get<int>() + doc["repeat"][0].at("failed").get<int>() == 10);
  CHECK(doc["repeat"][1].at("passed") == 10);
  CHECK(r.exit_code == (doc["repeat"][0].at("failed") == 0 ? 0 : 1));
}

TEST_CASE("run --repeat --until-fail -j 2 starts no run of a scenario after its failure is in",
          "[integration][repeat][parallel]") {
  PrivateTmpdir tmp;
  NothingLeftBehind guard;
  TempScenario s(kFlaky);
  const fs::path out = s.dir() / "r.json";
  CommandResult r = run_faultline({"run", "-j", "2", s.path().string(), "--repeat", "40",
                                   "--until-fail", "--json", out.string()});
  INFO(describe(r));
  const json runs = load(out).at("scenarios");
  // Runs start in order and every started one is reported: runs 1..M, with a failure among
  // them, and M far below 40 (the runs in flight when the first failure came in finish).
  bool failed = false;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    CHECK(runs[i].at("repetition") == i + 1);
    failed = failed || runs[i].at("passed") == false;
  }
  CHECK(failed);
  CHECK(runs.size() < 40);
  CHECK(r.exit_code == 1);
}

TEST_CASE("run --until-fail without --repeat is wrong input", "[integration][repeat]") {
  TempScenario s("scenario: steady\nprocesses: { p: { run: [true] } }\n");
  CommandResult r = run_faultline({"run", s.path().string(), "--until-fail"});
  INFO(describe(r));
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("--repeat"));
}
