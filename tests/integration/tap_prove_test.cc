// `faultline run --tap`: read by Debian's own TAP consumer, prove (perl's TAP::Harness), as a
// prove user runs it: `prove -e 'faultline run --tap -' SCENARIO...`, one scenario file per
// test file. The pipe showcase's robust twin passes, its naive twin is caught; prove's
// summary counts both. With `--tap -`, stdout is TAP and nothing else.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "support.h"

namespace fs = std::filesystem;
using faultline::test::CommandResult;
using faultline::test::faultline_exe;
using faultline::test::NothingLeftBehind;
using faultline::test::PrivateTmpdir;
using faultline::test::run_command;
using faultline::test::run_faultline;
using faultline::test::scenarios_dir;
using faultline::test::TempScenario;

namespace {

std::string robust() { return (scenarios_dir() / "pipe/robust.yaml").string(); }
std::string naive() { return (scenarios_dir() / "pipe/naive.yaml").string(); }

std::string describe(const CommandResult& r) {
  return "exit " + std::to_string(r.exit_code) + "\nstdout:\n" + r.out + "\nstderr:\n" + r.err;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// prove's "Files=F, Tests=T" line, as {F, T}; {-1, -1} when it has none.
std::pair<int, int> files_and_tests(const std::string& prove_output) {
  std::smatch m;
  static const std::regex line(R"(Files=(\d+), Tests=(\d+))");
  if (!std::regex_search(prove_output, m, line)) return {-1, -1};
  return {std::stoi(m[1]), std::stoi(m[2])};
}

}  // namespace

TEST_CASE("prove reads faultline's TAP: a passing scenario passes, a caught one fails",
          "[integration][tap]") {
  PrivateTmpdir tmp;
  NothingLeftBehind guard;
  const std::string exec = faultline_exe().string() + " run --tap -";

  SECTION("the robust twin alone: all tests successful") {
    CommandResult r = run_command({"prove", "-e", exec, robust()});
    INFO(describe(r));
    CHECK(r.exit_code == 0);
    CHECK(files_and_tests(r.out) == std::pair{1, 1});
    CHECK_THAT(r.out, Catch::Contains("All tests successful."));
    CHECK_THAT(r.out, Catch::Contains("Result: PASS"));
  }

  SECTION("both twins: one file of two fails, with its one test failed") {
    CommandResult r = run_command({"prove", "-e", exec, robust(), naive()});
    INFO(describe(r));
    CHECK(r.exit_code != 0);
    CHECK(files_and_tests(r.out) == std::pair{2, 2});
    CHECK_THAT(r.out, Catch::Contains("Result: FAIL"));
    // The summary names the naive file only: its test 1 failed and faultline exited 1.
    CHECK_THAT(r.out,
               Catch::Matches(
                   R"((.|\n)*naive\.yaml \(Wstat: 256 \(exited 1\) Tests: 1 Failed: 1\)(.|\n)*)"));
    CHECK_THAT(r.out, !Catch::Contains("robust.yaml (Wstat"));
    // Its YAML block is read, not refused (TAP::Parser's YAMLish is a subset of YAML).
    CHECK_THAT(r.out, !Catch::Contains("Parse errors"));
  }

  SECTION("both twins with --expect-fail on the naive one: prove agrees with the exit status") {
    CommandResult r =
        run_command({"prove", "-e", exec + " --expect-fail *naive.yaml", robust(), naive()});
    INFO(describe(r));
    CHECK(r.exit_code == 0);
    CHECK(files_and_tests(r.out) == std::pair{2, 2});
    CHECK_THAT(r.out, Catch::Contains("All tests successful."));
  }

  SECTION("verbose: the diagnostic block under the failure carries the repro command") {
    CommandResult r = run_command({"prove", "-v", "-e", exec, naive()});
    INFO(describe(r));
    CHECK_THAT(r.out, Catch::Contains("not ok 1 - pipe-reader-naive-takes-pieces-for-records"));
    CHECK_THAT(r.out, Catch::Contains("  repro: \"faultline run " + naive()));
    CHECK_THAT(r.out, Catch::Contains("  faults_fired: "));
  }
}

TEST_CASE("run --tap -: stdout is TAP only, the console report goes to stderr",
          "[integration][tap]") {
  PrivateTmpdir tmp;
  NothingLeftBehind guard;
  CommandResult r = run_faultline({"run", "--tap", "-", robust(), naive()});
  INFO(describe(r));
  CHECK(r.exit_code == 1);
  const auto lines = lines_of(r.out);
  REQUIRE(lines.size() >= 4);
  CHECK(lines[0] == "TAP version 13");
  CHECK(lines[1] == "1..2");
  // In the order of the command line.
  CHECK(lines[2] == "ok 1 - pipe-reader-reassembles-short-reads");
  CHECK(lines[3] == "not ok 2 - pipe-reader-naive-takes-pieces-for-records");
  for (const auto& l : lines)
    CHECK((l.rfind("ok ", 0) == 0 || l.rfind("not ok ", 0) == 0 || l.rfind("  ", 0) == 0 ||
           l.rfind("TAP version", 0) == 0 || l.rfind("1..", 0) == 0));
  // What a person reads is all there, on stderr.
  CHECK_THAT(r.err, Catch::Contains("FAIL  pipe-reader-naive"));
  CHECK_THAT(r.err, Catch::Contains("1 passed, 1 failed"));
}

TEST_CASE("run --tap FILE writes the file and leaves the console on stdout", "[integration][tap]") {
  PrivateTmpdir tmp;
  NothingLeftBehind guard;
  TempScenario s("scenario: quiet\nprocesses: { p: { run: [true] } }\n");
  const fs::path tap = s.dir() / "out.tap";
  CommandResult r = run_faultline({"run", s.path().string(), "--tap", tap.string()});
  INFO(describe(r));
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("PASS  quiet"));
  std::ifstream in(tap);
  std::stringstream text;
  text << in.rdbuf();
  CHECK(text.str() == "TAP version 13\n1..1\nok 1 - quiet\n");
}
