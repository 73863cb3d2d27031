// to_html() of run results built here: every way a process can end has its data-outcome, a
// fault marker per event on its process's row, the hang snapshot and the root cause first;
// whatever the result's texts hold stays text. (tests/integration/html_report_test.cc opens
// real reports in a browser.)
#include "report/html.h"

#include <catch2/catch.hpp>
#include <string>

using namespace faultline;

namespace {

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

ProcessResult process(const std::string& name) {
  ProcessResult p;
  p.name = name;
  p.pid = 100;
  p.started = true;
  p.start_ms = 1;
  p.end_ms = 50;
  return p;
}

ScenarioResult hung_scenario() {
  ScenarioResult r;
  r.scenario = "hangs <b>";
  r.file = "/x/hang's.yaml";
  r.seed = 42;
  r.duration = std::chrono::milliseconds(3000);
  r.timed_out = true;
  auto exited = process("exited");
  exited.exit_code = 1;
  auto signalled = process("signalled");
  signalled.term_signal = 9;
  auto hung = process("hung");
  hung.killed_at_timeout = true;
  hung.end_ms = 3000;
  hung.at_timeout.push_back({101, "hung", "S (sleeping)", "semtimedop(1, 2, 3)", "do_semtimedop",
                             "#0 wait_for_lock </script>"});
  auto service = process("service");
  service.service = true;
  service.stopped_by_runner = true;
  service.ready_ms = 5;
  ProcessResult never;
  never.name = "never";
  never.not_started_reason = "no such program";
  r.processes = {exited, signalled, hung, service, never};
  FaultEvent e;
  e.time_ms = 20;
  e.process = "signalled";
  e.call = "semop";
  e.seq = 1;
  e.fd = 7;
  e.channel = "lock";
  e.fault = "signalled/semop:signal=SIGKILL";
  r.events = {e, e};
  r.events[1].seq = 2;
  r.events[1].process = "a child of nobody";
  r.faults.push_back({"signalled/semop:signal=SIGKILL", 2, 2});
  r.violations = {{"timeout", "", "scenario timed out after 3s (still running: hung)", 3000},
                  {"exit", "exited", "exited: exited with status 1, expected 0", 50}};
  return r;
}

}  // namespace

TEST_CASE("the HTML report names how each process ended") {
  const std::string page = to_html({hung_scenario()});
  CHECK(count(page, "<tr class=\"process\"") == 5);
  CHECK(page.find("data-name=\"exited\" data-outcome=\"exited\"") != std::string::npos);
  CHECK(page.find("data-exit-code=\"1\"") != std::string::npos);
  CHECK(page.find("data-name=\"signalled\" data-outcome=\"signal\"") != std::string::npos);
  CHECK(page.find("data-signal=\"SIGKILL\"") != std::string::npos);
  CHECK(page.find("data-name=\"hung\" data-outcome=\"killed-at-timeout\"") != std::string::npos);
  CHECK(page.find("data-name=\"service\" data-outcome=\"stopped\" data-lifetime=\"service\"") !=
        std::string::npos);
  CHECK(page.find("data-name=\"never\" data-outcome=\"not-started\"") != std::string::npos);
  CHECK(page.find("not started: no such program") != std::string::npos);
}

TEST_CASE("the HTML report's timeline has a bar per started process, marks and markers") {
  const std::string page = to_html({hung_scenario()});
  CHECK(count(page, "<rect class=\"bar") == 4);  // not the one that never started
  CHECK(count(page, "<rect class=\"bar hung\"") == 1);
  CHECK(count(page, "<line class=\"ready\"") == 1);
  CHECK(count(page, "<g class=\"fault-marker\"") == 2);
  CHECK(page.find(">other</text>") != std::string::npos);        // an event of no known process
  CHECK(page.find("semop(id 7 on lock)") != std::string::npos);  // the tooltip: id, channel
  CHECK(count(page, "<g class=\"violation-marker\"") == 2);
}

TEST_CASE("the HTML report shows the hang snapshot and the root cause first") {
  const std::string page = to_html({hung_scenario()});
  CHECK(page.find("<section class=\"hang\">") != std::string::npos);
  CHECK(page.find("semtimedop(1, 2, 3)") != std::string::npos);
  CHECK(page.find("#0 wait_for_lock &lt;/script&gt;") != std::string::npos);
  const auto root = page.find("<li class=\"violation root-cause\" data-kind=\"timeout\"");
  CHECK(root != std::string::npos);
  CHECK(root < page.find("<li class=\"violation\" data-kind=\"exit\""));
  CHECK(page.find("id=\"summary\" data-scenarios=\"1\" data-passed=\"0\" data-failed=\"1\" "
                  "data-setup=\"0\"") != std::string::npos);
}

TEST_CASE("the HTML report escapes names and quotes the run-again command for a shell") {
  const std::string page = to_html({hung_scenario()});
  CHECK(page.find("hangs <b>") == std::string::npos);
  CHECK(page.find("hangs &lt;b&gt;") != std::string::npos);
  CHECK(page.find("faultline run &#39;/x/hang&#39;\\&#39;&#39;s.yaml&#39; --seed 42") !=
        std::string::npos);
  CHECK(shell_word("plain/path-1.yaml") == "plain/path-1.yaml");
  CHECK(shell_word("a b") == "'a b'");
  CHECK(shell_word("it's") == "'it'\\''s'");
  CHECK(shell_word("") == "''");
}
