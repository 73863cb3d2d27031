// Unit tests of the verdict: process and scenario expectations.
#include "runner/expectations.h"

#include <catch2/catch.hpp>
#include <csignal>

using namespace faultline;

namespace {

ProcessSpec task(const std::string& name) {
  ProcessSpec p;
  p.name = name;
  return p;
}

ProcessResult exited(const std::string& name, int code) {
  ProcessResult r;
  r.name = name;
  r.started = true;
  r.exit_code = code;
  return r;
}

ProcessResult killed(const std::string& name, int sig) {
  ProcessResult r;
  r.name = name;
  r.started = true;
  r.term_signal = sig;
  return r;
}

}  // namespace

TEST_CASE("a task without expect must exit 0", "[expectations]") {
  CHECK(check_process(task("a"), exited("a", 0)).empty());
  auto v = check_process(task("a"), exited("a", 3));
  REQUIRE(v.size() == 1);
  CHECK(v[0].kind == "exit");
  CHECK(v[0].message == "a: exited with status 3, expected exit 0");
}

TEST_CASE("a crash is reported with its signal name", "[expectations]") {
  auto v = check_process(task("reader"), killed("reader", SIGSEGV));
  REQUIRE(v.size() == 1);
  CHECK(v[0].kind == "signal");
  CHECK(v[0].message == "reader: killed by SIGSEGV, expected exit 0");
}

TEST_CASE("exit expectations accept a number, a list, nonzero and any", "[expectations]") {
  ProcessSpec p = task("a");
  p.expect.declared = true;
  p.expect.exit = ExitExpectation{ExitExpectation::Kind::codes, {1, 2}};
  CHECK(check_process(p, exited("a", 2)).empty());
  CHECK(check_process(p, exited("a", 0)).at(0).message ==
        "a: exited with status 0, expected exit 1 or 2");
  p.expect.exit = ExitExpectation{ExitExpectation::Kind::nonzero, {}};
  CHECK(check_process(p, exited("a", 7)).empty());
  CHECK(!check_process(p, exited("a", 0)).empty());
  p.expect.exit = ExitExpectation{ExitExpectation::Kind::any, {}};
  CHECK(check_process(p, exited("a", 99)).empty());
  CHECK(!check_process(p, killed("a", SIGKILL)).empty());
}

TEST_CASE("an expected signal must be the one that killed the process", "[expectations]") {
  ProcessSpec p = task("a");
  p.expect.signal = SIGSEGV;
  CHECK(check_process(p, killed("a", SIGSEGV)).empty());
  CHECK(check_process(p, exited("a", 0)).at(0).message ==
        "a: exited with status 0, expected SIGSEGV");
}

TEST_CASE("a service may exit 0 or die of its stop signal once stopped", "[expectations]") {
  ProcessSpec s = task("server");
  s.lifetime = Lifetime::service;
  ProcessResult r = killed("server", SIGTERM);
  r.stopped_by_runner = true;
  CHECK(check_process(s, r).empty());
  r = exited("server", 0);
  r.stopped_by_runner = true;
  CHECK(check_process(s, r).empty());
}

TEST_CASE("a service that exits 128 + its stop signal once stopped passes, as socat does",
          "[expectations]") {
  ProcessSpec s = task("relay");
  s.lifetime = Lifetime::service;
  ProcessResult r = exited("relay", 128 + SIGTERM);
  r.stopped_by_runner = true;
  CHECK(check_process(s, r).empty());
  // Only for its own stop signal...
  s.stop_signal = SIGINT;
  auto v = check_process(s, r);
  REQUIRE(v.size() == 1);
  CHECK(v[0].kind == "exit");
  CHECK(v[0].message ==
        "relay: exited with status 143 when stopped, expected exit 0, SIGINT or exit 130");
  r.exit_code = 128 + SIGINT;
  CHECK(check_process(s, r).empty());
  // ...and only once the runner has sent it.
  r.stopped_by_runner = false;
  v = check_process(s, r);
  REQUIRE(v.size() == 1);
  CHECK(v[0].kind == "service");
}

TEST_CASE("a service that dies before the tasks finished fails", "[expectations]") {
  ProcessSpec s = task("server");
  s.lifetime = Lifetime::service;
  auto v = check_process(s, exited("server", 1));
  REQUIRE(v.size() == 1);
  CHECK(v[0].kind == "service");
  CHECK(v[0].message == "server: service exited with status 1 before the tasks finished");
}

TEST_CASE("a service that exits 0 on its own before the tasks finished passes", "[expectations]") {
  ProcessSpec s = task("echo");
  s.lifetime = Lifetime::service;
  ProcessResult r = exited("echo", 0);
  r.stopped_by_runner = false;  // it ended before the runner stopped it
  CHECK(check_process(s, r).empty());
}

TEST_CASE("a service killed by a signal it was not sent fails, even its stop signal",
          "[expectations]") {
  ProcessSpec s = task("server");
  s.lifetime = Lifetime::service;
  auto v = check_process(s, killed("server", SIGTERM));
  REQUIRE(v.size() == 1);
  CHECK(v[0].kind == "service");
  CHECK(v[0].message == "server: service killed by SIGTERM before the tasks finished");
  CHECK(!check_process(s, killed("server", SIGSEGV)).empty());
}

TEST_CASE("exit: any on a service accepts death by its own stop signal", "[expectations]") {
  ProcessSpec s = task("server");
  s.lifetime = Lifetime::service;
  s.expect.declared = true;
  s.expect.exit = ExitExpectation{ExitExpectation::Kind::any, {}};
  ProcessResult r = killed("server", SIGTERM);
  r.stopped_by_runner = true;
  CHECK(check_process(s, r).empty());
  // Another signal, or the stop signal from someone else, is still not an exit.
  CHECK(!check_process(s, killed("server", SIGTERM)).empty());
  r = killed("server", SIGSEGV);
  r.stopped_by_runner = true;
  CHECK(!check_process(s, r).empty());
}

TEST_CASE("a service that ignores its stop signal is reported", "[expectations]") {
  ProcessSpec s = task("server");
  s.lifetime = Lifetime::service;
  ProcessResult r = killed("server", SIGKILL);
  r.stopped_by_runner = true;
  r.killed_after_grace = true;
  auto v = check_process(s, r);
  REQUIRE(v.size() == 2);
  CHECK(v[1].message == "server: ignored SIGTERM and was killed after 2s");
}

TEST_CASE("output expectations say what was missing", "[expectations]") {
  ProcessSpec p = task("c");
  p.expect.stdout_text.push_back({TextExpectation::Op::contains, "100 ok"});
  p.expect.stderr_text.push_back({TextExpectation::Op::matches, "^warn: [0-9]+$"});
  ProcessResult r = exited("c", 0);
  r.stdout_text = "99 ok\n";
  r.stderr_text = "warn: 12";
  auto v = check_process(p, r);
  REQUIRE(v.size() == 1);
  CHECK(v[0].kind == "stdout");
  CHECK(v[0].message == "c: stdout does not contain \"100 ok\"");
  p.expect.stdout_text[0] = {TextExpectation::Op::equals, "99 ok"};
  CHECK(check_process(p, r).at(0).message == "c: stdout is not equal to \"99 ok\"");
}

TEST_CASE("within fails a process that took longer", "[expectations]") {
  ProcessSpec p = task("c");
  p.expect.within = std::chrono::milliseconds(100);
  ProcessResult r = exited("c", 0);
  r.duration = std::chrono::milliseconds(250);
  CHECK(check_process(p, r).at(0).message == "c: took 250ms, expected within 100ms");
  r.duration = std::chrono::milliseconds(50);
  CHECK(check_process(p, r).empty());
}

TEST_CASE("a process that was not started is one violation with the reason", "[expectations]") {
  ProcessResult r;
  r.name = "client";
  r.not_started_reason = "server exited before it was ready";
  auto v = check_process(task("client"), r);
  REQUIRE(v.size() == 1);
  CHECK(v[0].kind == "not-started");
  CHECK(v[0].message == "client: not started: server exited before it was ready");
}

TEST_CASE("a fault that never fired fails the scenario by default, saying why", "[expectations]") {
  Scenario s;  // no expect: the default
  s.timeout = std::chrono::seconds(5);
  ScenarioResult r;
  r.faults = {{"a/read:eof", 0, 0},
              {"b/write:error=EIO:nth=9", 3, 0},
              {"accept:error=EMFILE", 1, 1},
              {"c/read:eof", 0, 0, false,
               "12 calls of read were made by c, none on an ipc fd (12 on a file fd)"}};
  auto v = check_scenario(s, r);
  REQUIRE(v.size() == 3);
  CHECK(v[0].kind == "faults");
  CHECK(v[0].message == "fault a/read:eof never fired: no matching call was made");
  CHECK(v[1].message ==
        "fault b/write:error=EIO:nth=9 never fired: 3 matching calls, trigger not reached");
  CHECK(v[2].message ==
        "fault c/read:eof never fired: 12 calls of read were made by c, none on an ipc fd (12 "
        "on a file fd)");
}

TEST_CASE("an optional fault, or faults: any, may never fire", "[expectations]") {
  Scenario s;
  s.timeout = std::chrono::seconds(5);
  ScenarioResult r;
  r.faults = {{"a/read:eof:optional", 0, 0, true}, {"accept:error=EMFILE", 1, 1}};
  CHECK(check_scenario(s, r).empty());
  r.faults.push_back({"b/write:error=EIO", 0, 0});
  CHECK(check_scenario(s, r).size() == 1);
  s.faults_expect = Scenario::FaultsExpect::any;
  CHECK(check_scenario(s, r).empty());
}

TEST_CASE("a timeout names the processes that were still running", "[expectations]") {
  Scenario s;
  s.timeout = std::chrono::seconds(1);
  ScenarioResult r;
  r.timed_out = true;
  ProcessResult p = exited("writer", 0);
  ProcessResult q;
  q.name = "reader";
  q.started = true;
  q.killed_at_timeout = true;
  r.processes = {p, q};
  auto v = check_scenario(s, r);
  REQUIRE(v.size() == 1);
  CHECK(v[0].message == "scenario timed out after 1s (still running: reader)");
  CHECK(check_process(task("reader"), q).empty());
}
