// `faultline report` end to end, as ci/demo uses it: a real showcase run's JSON result read
// back, and the exit status saying whether every scenario had the outcome expected of it.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include "support.h"

namespace {
namespace fs = std::filesystem;
using namespace faultline::test;

// A folder for the JSON results, removed with everything in it.
class ResultDir final {
 public:
  [[nodiscard]] fs::path file(const std::string& name) const { return dir_.path() / name; }

 private:
  faultline::test::TempDir dir_{"flreport"};
};

// The showcase's accept pair, run for real: the robust server passes, the naive one fails.
fs::path run_accept_pair(const ResultDir& dir) {
  const fs::path result = dir.file("result.json");
  CommandResult run = run_faultline(
      {"run", (scenarios_dir() / "unix-stream/accept.robust.yaml").string(),
       (scenarios_dir() / "unix-stream/accept.naive.yaml").string(), "--json", result.string()});
  INFO(run.out << run.err);
  REQUIRE(run.exit_code == 1);
  return result;
}

}  // namespace

TEST_CASE("faultline report exits 0 when the robust scenario passed and the naive one was caught") {
  NothingLeftBehind guard;
  ResultDir dir;
  const fs::path result = run_accept_pair(dir);
  CommandResult report = run_faultline({"report", result.string(), "--expect-fail", "*naive.yaml"});
  INFO(report.out << report.err);
  CHECK(report.exit_code == 0);
  CHECK(report.out.find("unix-stream\n") != std::string::npos);
  CHECK(report.out.find("caught      accept.naive.yaml   server: exited with status 1") !=
        std::string::npos);
  CHECK(report.out.find("pass        accept.robust.yaml  passed") != std::string::npos);
  CHECK(report.out.find("2 scenarios: 1 passed, 1 caught, 0 failed, 0 not caught") !=
        std::string::npos);
}

TEST_CASE(
    "faultline report exits 1 and names the scenario that passed when it was expected to fail") {
  NothingLeftBehind guard;
  ResultDir dir;
  const fs::path result = run_accept_pair(dir);
  CommandResult report =
      run_faultline({"report", result.string(), "--expect-fail", "*accept.*.yaml"});
  INFO(report.out << report.err);
  CHECK(report.exit_code == 1);
  CHECK(report.out.find("NOT CAUGHT: " +
                        (scenarios_dir() / "unix-stream/accept.robust.yaml").string()) !=
        std::string::npos);
}

TEST_CASE("faultline report exits 1 when a scenario expected to pass failed") {
  NothingLeftBehind guard;
  ResultDir dir;
  const fs::path result = run_accept_pair(dir);
  CommandResult report = run_faultline({"report", result.string()});
  INFO(report.out << report.err);
  CHECK(report.exit_code == 1);
  CHECK(report.out.find("FAIL: " + (scenarios_dir() / "unix-stream/accept.naive.yaml").string()) !=
        std::string::npos);
}

TEST_CASE(
    "faultline report refuses a file that is not a result with exit 2 and says what writes one") {
  ResultDir dir;
  const fs::path bogus = dir.file("bogus.json");
  std::ofstream(bogus) << R"({"summary": {}})";
  CommandResult report = run_faultline({"report", bogus.string()});
  CHECK(report.exit_code == 2);
  CHECK(report.err.find("not a faultline JSON result") != std::string::npos);
  CommandResult missing = run_faultline({"report", dir.file("missing.json").string()});
  CHECK(missing.exit_code == 2);
  CHECK(missing.err.find("--json FILE") != std::string::npos);
}
