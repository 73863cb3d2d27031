// `faultline report`: JSON results read back as one line per scenario under its folder, each
// judged against the outcome its file name says it must have.
#include "report/result_summary.h"

#include <catch2/catch.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {
using faultline::print_result_summary;
using faultline::ResultSummaryOptions;
using nlohmann::json;

json scenario(const std::string& file, bool passed) {
  return {{"scenario", "s"},
          {"file", file},
          {"passed", passed},
          {"processes", json::array()},
          {"faults",
           json::array(
               {{{"spec", "server/accept:error=ECONNABORTED:nth=1"}, {"hits", 1}, {"fired", 1}}})},
          {"violations",
           passed ? json::array()
                  : json::array({{{"kind", "exit"},
                                  {"process", "server"},
                                  {"message", "server: exited with status 1, expected 0"}}})}};
}

json result(const std::vector<json>& scenarios) {
  json r;
  r["scenarios"] = scenarios;
  return r;
}

const ResultSummaryOptions kNaiveMustFail{{"*naive.yaml"}, false};

// The line of the report naming `name`, or "" when there is none.
std::string line_of(const std::string& report, const std::string& name) {
  std::istringstream in(report);
  for (std::string line; std::getline(in, line);)
    if (line.find(name) != std::string::npos) return line;
  return "";
}

}  // namespace

TEST_CASE("A robust scenario that passes and a naive one that fails are both as expected") {
  std::ostringstream out;
  auto counts = print_result_summary(
      out, result({scenario("s/pipe/robust.yaml", true), scenario("s/pipe/naive.yaml", false)}),
      kNaiveMustFail);
  INFO(out.str());
  CHECK(counts.passed == 1);
  CHECK(counts.caught == 1);
  CHECK(counts.as_expected());
  CHECK(line_of(out.str(), "robust.yaml").find("pass ") != std::string::npos);
  CHECK(line_of(out.str(), "naive.yaml").find("caught") != std::string::npos);
}

TEST_CASE("A caught scenario's line gives its first violation and the faults that fired") {
  std::ostringstream out;
  (void)print_result_summary(out, result({scenario("s/unix-stream/accept.naive.yaml", false)}),
                             kNaiveMustFail);
  INFO(out.str());
  CHECK(line_of(out.str(), "accept.naive.yaml") ==
        "  caught      accept.naive.yaml  server: exited with status 1, expected 0; injected "
        "server/accept:error=ECONNABORTED:nth=1 x1");
}

TEST_CASE("A naive scenario that passes is not caught and makes the report fail") {
  std::ostringstream out;
  auto counts =
      print_result_summary(out, result({scenario("s/pipe/naive.yaml", true)}), kNaiveMustFail);
  INFO(out.str());
  CHECK(counts.not_caught == 1);
  CHECK_FALSE(counts.as_expected());
  CHECK(line_of(out.str(), "  NOT CAUGHT  naive.yaml") != "");
  CHECK(line_of(out.str(), "NOT CAUGHT: s/pipe/naive.yaml") != "");
}

TEST_CASE("A robust scenario that fails makes the report fail") {
  std::ostringstream out;
  auto counts =
      print_result_summary(out, result({scenario("s/shm/robust.yaml", false)}), kNaiveMustFail);
  INFO(out.str());
  CHECK(counts.failed == 1);
  CHECK_FALSE(counts.as_expected());
  CHECK(line_of(out.str(), "  FAIL        robust.yaml  server: exited") != "");
}

TEST_CASE("Without --expect-fail every failed scenario is a failure, naive or not") {
  std::ostringstream out;
  auto counts = print_result_summary(out, result({scenario("s/pipe/naive.yaml", false)}),
                                     ResultSummaryOptions{});
  CHECK(counts.failed == 1);
  CHECK(counts.caught == 0);
}

TEST_CASE("Scenarios are listed under their folder, each folder once, in the order of the run") {
  std::ostringstream out;
  (void)print_result_summary(
      out,
      result({scenario("s/msgqueue/naive.yaml", false), scenario("s/msgqueue/robust.yaml", true),
              scenario("s/pipe/naive.yaml", false)}),
      kNaiveMustFail);
  const std::string text = out.str();
  INFO(text);
  CHECK(text.rfind("msgqueue\n", 0) == 0);
  CHECK(text.find("\nmsgqueue\n") == std::string::npos);
  const auto pipe = text.find("\npipe\n");
  REQUIRE(pipe != std::string::npos);
  CHECK(text.find("robust.yaml") < pipe);
  CHECK(text.find("3 scenarios: 1 passed, 2 caught, 0 failed, 0 not caught") != std::string::npos);
}

TEST_CASE("A hung scenario's reason names the call each live process was blocked in") {
  json hung = scenario("s/udp/naive.yaml", false);
  hung["violations"] =
      json::array({{{"kind", "timeout"},
                    {"process", ""},
                    {"message", "scenario timed out after 3s (still running: client)"}}});
  hung["processes"] =
      json::array({{{"name", "client"},
                    {"at_timeout", json::array({{{"syscall", "recvfrom(0x3, 0x7ffd, 0x40)"}}})}}});
  CHECK(faultline::failure_reason(hung) ==
        "scenario timed out after 3s (still running: client); client blocked in recvfrom; injected "
        "server/accept:error=ECONNABORTED:nth=1 x1");
}

TEST_CASE("More than one violation is counted after the first") {
  json s = scenario("s/pipe/naive.yaml", false);
  s["violations"].push_back(
      {{"kind", "stdout"}, {"process", "reader"}, {"message", "reader: stdout lacks"}});
  CHECK(faultline::failure_reason(s).find("expected 0 (+1 more);") != std::string::npos);
}

TEST_CASE("A crash is the reason given even when a leak was reported before it") {
  json s = scenario("s/mmap/naive.yaml", false);
  s["violations"] = json::array(
      {{{"kind", "leaks"}, {"process", "writer"}, {"message", "writer left /x behind"}},
       {{"kind", "signal"}, {"process", "writer"}, {"message", "writer: killed by SIGBUS"}}});
  CHECK(faultline::failure_reason(s).rfind("writer: killed by SIGBUS (+1 more);", 0) == 0);
}

TEST_CASE("The headline is the first failure in time, whatever order the checks found them") {
  json s = scenario("s/pipe/naive.yaml", false);
  s["violations"] = json::array(
      {{{"kind", "exit"}, {"process", "server"}, {"message", "server: late"}, {"time_ms", 90.0}},
       {{"kind", "exit"}, {"process", "client"}, {"message", "client: early"}, {"time_ms", 10.0}}});
  CHECK(faultline::failure_reason(s).rfind("client: early (+1 more)", 0) == 0);
}

TEST_CASE("The headline prefers the process a fault was injected into") {
  // gzip's short write made it fail; the upstream compress then died of SIGPIPE, first in
  // the list and no later in time.
  json s = scenario("s/pipe/naive.yaml", false);
  s["processes"] = json::array({{{"name", "compress"}, {"signal", "SIGPIPE"}},
                                {{"name", "gzip"}, {"exit_code", 1}},
                                {{"name", "client"}, {"exit_code", 1}}});
  s["events"] = json::array({{{"process", "gzip"}, {"call", "write"}}});
  s["violations"] = json::array({{{"kind", "signal"},
                                  {"process", "compress"},
                                  {"message", "compress: killed by SIGPIPE"},
                                  {"time_ms", 5.0}},
                                 {{"kind", "exit"},
                                  {"process", "client"},
                                  {"message", "client: exited with status 1"},
                                  {"time_ms", 4.0}},
                                 {{"kind", "exit"},
                                  {"process", "gzip"},
                                  {"message", "gzip: exited with status 1"},
                                  {"time_ms", 5.0}}});
  CHECK(faultline::failure_reason(s).rfind("gzip: exited with status 1 (+2 more)", 0) == 0);
}

TEST_CASE("A scenario that could not be set up is never caught, and fails the report") {
  json s = scenario("s/posix-mq/naive.yaml", false);
  s["outcome"] = "setup";
  s["violations"] = json::array(
      {{{"kind", "setup"},
        {"process", ""},
        {"message", "channel 'in' (posix-mq): mq_open failed: RLIMIT_MSGQUEUE exceeded"}}});
  std::ostringstream out;
  auto counts = print_result_summary(out, result({s}), kNaiveMustFail);
  INFO(out.str());
  CHECK(counts.caught == 0);
  CHECK(counts.setup == 1);
  CHECK_FALSE(counts.as_expected());
  CHECK(line_of(out.str(), "naive.yaml").find("SETUP") != std::string::npos);
  CHECK(line_of(out.str(), "naive.yaml").find("RLIMIT_MSGQUEUE") != std::string::npos);
}

TEST_CASE("A document that is not a faultline result is refused with what is missing") {
  std::ostringstream out;
  CHECK_THROWS_WITH(print_result_summary(out, json{{"summary", 1}}, kNaiveMustFail),
                    Catch::Contains("not a faultline JSON result") && Catch::Contains("scenarios"));
}
