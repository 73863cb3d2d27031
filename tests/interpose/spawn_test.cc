// Processes made by vfork+exec, posix_spawn and exec keep the run's rules, counters and their
// process name; a process without FAULTLINE_CONTROL passes every call through.
#include <catch2/catch.hpp>
#include <sstream>

#include "faults/call_table.h"
#include "probe.h"
#include "support.h"

namespace faultline {
namespace {

using test::lines;
using test::make_fault;
using test::NothingLeftBehind;
using test::out_of;
using test::ProbeRun;

int pid_of_ident(const std::string& line) {
  std::istringstream in(line);
  std::string word;
  int pid = 0;
  in >> word >> pid;
  return word == "ident" ? pid : 0;
}

TEST_CASE("A child made by vfork+exec, posix_spawn or exec keeps its name and the counters") {
  NothingLeftBehind guard;
  const std::string how = GENERATE("vfork-exec", "spawn", "exec");
  CAPTURE(how);
  FaultSpec f = make_fault({"write"}, FaultAction::error, EIO);
  f.nth = 2;
  f.process = "server";
  ProbeRun run({f});
  // The parent's write is the rule's first hit, the child's the second.
  auto out =
      lines(out_of(run.probe({"ident", "one", "write", how, "ident", "one", "write"}, "server")));
  REQUIRE(out.size() == 4);
  CHECK(out[1] == "write ok");
  CHECK(out[3] == "write fail EIO");
  int parent = pid_of_ident(out[0]), child = pid_of_ident(out[2]);
  if (how == "exec")
    CHECK(child == parent);
  else
    CHECK(child != parent);
  CHECK(run.control().stats(0).hits == 2);
  auto events = run.control().events();
  REQUIRE(events.size() == 1);
  CHECK(events[0].pid == child);
  CHECK(events[0].process == "server");
}

TEST_CASE("A child spawned without FAULTLINE_CONTROL passes through while its parent is faulted") {
  NothingLeftBehind guard;
  ProbeRun run({make_fault({"write"}, FaultAction::error, EIO)});
  CHECK(out_of(run.probe({"one", "write", "spawn-bare", "one", "write", "errno", "read"})) ==
        "write fail EIO\nwrite ok\nerrno 4242\n");
  CHECK(run.control().stats(0).hits == 1);
}

TEST_CASE("A process without FAULTLINE_CONTROL makes every wrapped call unchanged") {
  NothingLeftBehind guard;
  const CallInfo& call = GENERATE(from_range(call_table()));
  std::string symbol(call.symbol);
  CAPTURE(symbol);
  auto r = test::run_probe({"one", symbol, "errno", symbol}, {"FAULTLINE_PROCESS=server"});
  CHECK(out_of(r) == symbol + " ok\nerrno 4242\n");
}

}  // namespace
}  // namespace faultline
