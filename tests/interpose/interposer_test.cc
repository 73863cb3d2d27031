// libfaultline-interpose.so in real processes: fl_probe run under a control block.
#include <signal.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <fstream>
#include <sstream>

#include "faultline_control.h"
#include "faults/call_table.h"
#include "faults/control_block.h"
#include "probe.h"
#include "rule_engine.h"
#include "support.h"

namespace faultline {
namespace {

using test::lines;
using test::make_fault;
using test::NothingLeftBehind;
using test::out_of;
using test::ProbeRun;

FaultSpec eio(std::vector<std::string> calls = {"write"}) {
  return make_fault(std::move(calls), FaultAction::error, EIO);
}

TEST_CASE("The interposer injects an error into every wrapped call with its failure value") {
  NothingLeftBehind guard;
  const CallInfo& call = GENERATE(from_range(call_table()));
  std::string symbol(call.symbol);
  std::string err_name(call.errnos.back());
  int err = *errno_from_name(err_name);
  err_name = errno_name(err);  // EWOULDBLOCK is EAGAIN
  FaultSpec f = make_fault({symbol}, FaultAction::error, err);
  f.nth = 1;
  ProbeRun run({f});
  CAPTURE(symbol);
  CHECK(out_of(run.probe({"one", symbol})) == symbol + " fail " + err_name + "\n");
  CHECK(run.control().stats(0).hits == 1);
  CHECK(run.control().stats(0).fires == 1);
  auto events = run.control().events();
  REQUIRE(events.size() == 1);
  CHECK(events[0].call == symbol);
  CHECK(events[0].result == -1);
  CHECK(events[0].err_name == err_name);
  CHECK(events[0].rule == 0);
}

TEST_CASE("The interposer passes every wrapped call through when no rule fires") {
  NothingLeftBehind guard;
  const CallInfo& call = GENERATE(from_range(call_table()));
  std::string symbol(call.symbol);
  FaultSpec f = eio({symbol});
  f.nth = 2;
  ProbeRun run({f});
  CAPTURE(symbol);
  CHECK(out_of(run.probe({"one", symbol})) == symbol + " ok\n");
  CHECK(run.control().stats(0).hits == 1);
  CHECK(run.control().stats(0).fires == 0);
}

TEST_CASE("The interposer records the caller's pid, thread, process and return address") {
  NothingLeftBehind guard;
  ProbeRun run({eio()});
  auto out = lines(out_of(run.probe({"ident", "one", "write"}, "server")));
  REQUIRE(out.size() == 2);
  CHECK(out[1] == "write fail EIO");
  std::istringstream ident(out[0]);
  std::string word;
  int pid = 0;
  std::uint64_t text_start = 0, text_end = 0;
  ident >> word >> pid >> std::hex >> text_start >> text_end;
  auto events = run.control().events();
  REQUIRE(events.size() == 1);
  CHECK(events[0].pid == pid);
  CHECK(events[0].tid == pid);
  CHECK(events[0].process == "server");
  CHECK(events[0].fd >= 0);
  CHECK(events[0].caller >= text_start);
  CHECK(events[0].caller < text_end);
}

TEST_CASE("The interposer's short writes on a pipe keep the stream intact") {
  NothingLeftBehind guard;
  ProbeRun run({make_fault({"write"}, FaultAction::short_transfer, 7)});
  CHECK(out_of(run.probe({"transfer", "1000"})) == "transfer 1000 writes=143 reads=1 intact\n");
  // The last write asks for the 6 bytes left: short=7 cannot shorten it, so it is no hit.
  CHECK(run.control().stats(0).hits == 142);
  CHECK(run.control().stats(0).fires == 142);
  auto events = run.control().events();
  REQUIRE(events.size() == 142);
  CHECK(events[0].bytes == 7);
  CHECK(events.back().bytes == 7);
}

TEST_CASE("The interposer's short reads on a pipe leave the rest for the next read") {
  NothingLeftBehind guard;
  ProbeRun run({make_fault({"read"}, FaultAction::short_transfer, 10)});
  CHECK(out_of(run.probe({"transfer", "1000"})) == "transfer 1000 writes=1 reads=100 intact\n");
  // The reader asks for what is left: its last read, of 10 bytes, is not shortened nor a hit.
  CHECK(run.control().stats(0).hits == 99);
  CHECK(run.control().stats(0).fires == 99);
}

TEST_CASE("The interposer's short send and recv keep a stream socket intact") {
  NothingLeftBehind guard;
  ProbeRun run({make_fault({"send"}, FaultAction::short_transfer, 100),
                make_fault({"recv"}, FaultAction::short_transfer, 250)});
  CHECK(out_of(run.probe({"stream", "1000"})) == "stream 1000 writes=10 reads=4 intact\n");
}

TEST_CASE("The interposer's eof makes a read return 0 and keeps the data for the next one") {
  NothingLeftBehind guard;
  FaultSpec f = make_fault({"read"}, FaultAction::eof);
  f.nth = 2;
  ProbeRun run({f});
  CHECK(out_of(run.probe({"reads", "4"})) == "reads a eof b c\n");
  CHECK(run.control().stats(0).fires == 1);
}

TEST_CASE("The interposer applies after and every together across calls") {
  NothingLeftBehind guard;
  FaultSpec f = eio();
  f.after = 2;
  f.every = 3;
  ProbeRun run({f});
  CHECK(out_of(run.probe({"repeat", "write", "11"})) == "write . . . . EIO . . EIO . . EIO\n");
}

TEST_CASE("The interposer caps fires at times") {
  NothingLeftBehind guard;
  FaultSpec f = eio();
  f.times = 2;
  ProbeRun run({f});
  CHECK(out_of(run.probe({"repeat", "write", "5"})) == "write EIO EIO . . .\n");
  CHECK(run.control().stats(0).hits == 5);
  CHECK(run.control().stats(0).fires == 2);
}

TEST_CASE("The interposer's probability follows the seed as the rule engine predicts") {
  NothingLeftBehind guard;
  FaultSpec f = eio();
  f.probability = 0.5;
  test::ScratchDir dir;
  auto model = ControlBlock::create(dir.path() / "model", {f}, 99);
  std::string expected = "write";
  for (int i = 0; i < 60; ++i) {
    std::uint64_t hit = 0;
    expected +=
        test::decide_call(model.raw(), FL_CALL_write, "proc", FL_FD_IPC, &hit) < 0 ? " ." : " EIO";
  }
  ProbeRun a({f}, 99), b({f}, 99);
  CHECK(out_of(a.probe({"repeat", "write", "60"})) == expected + "\n");
  CHECK(out_of(b.probe({"repeat", "write", "60"})) == expected + "\n");
}

TEST_CASE("The interposer applies a rule to its process only") {
  NothingLeftBehind guard;
  FaultSpec f = eio();
  f.process = "server";
  ProbeRun run({f});
  CHECK(out_of(run.probe({"one", "write"}, "client")) == "write ok\n");
  CHECK(out_of(run.probe({"one", "write"}, "server")) == "write fail EIO\n");
  CHECK(run.control().stats(0).hits == 1);
}

TEST_CASE("The interposer lets the first rule that fires win") {
  NothingLeftBehind guard;
  FaultSpec first = eio(), second = make_fault({"write"}, FaultAction::error, EPIPE);
  first.nth = 2;
  second.every = 2;
  ProbeRun run({first, second});
  CHECK(out_of(run.probe({"repeat", "write", "4"})) == "write . EIO . EPIPE\n");
  CHECK(run.control().stats(1).hits == 4);
  CHECK(run.control().stats(1).fires == 1);
}

TEST_CASE("The interposer leaves regular files alone unless the rule says fd=any") {
  NothingLeftBehind guard;
  FaultSpec by_default = eio({"read"}), any = eio({"read"});
  any.fd = FdClass::any;
  ProbeRun plain({by_default}), all({any});
  auto file = plain.dir().path() / "data";
  std::ofstream(file) << "hello";
  CHECK(out_of(plain.probe({"read-file", file.string()})) == "read-file ok\n");
  CHECK(plain.control().stats(0).hits == 0);
  CHECK(out_of(all.probe({"read-file", file.string()})) == "read-file fail EIO\n");
  CHECK(all.control().stats(0).fires == 1);
}

TEST_CASE("The interposer preserves errno when nothing fires") {
  NothingLeftBehind guard;
  FaultSpec later = eio({"read"});
  later.nth = 100;
  ProbeRun run({later, eio({"shmget"})});
  CHECK(out_of(run.probe({"errno", "read"})) == "errno 4242\n");   // armed, did not fire
  CHECK(out_of(run.probe({"errno", "write"})) == "errno 4242\n");  // not armed
  CHECK(run.control().stats(0).hits == 1);
}

TEST_CASE("The interposer passes everything through without FAULTLINE_CONTROL") {
  NothingLeftBehind guard;
  auto r = test::run_probe({"one", "write", "errno", "read"}, {});
  CHECK(out_of(r) == "write ok\nerrno 4242\n");
  CHECK(r.err.empty());
}

TEST_CASE("The interposer passes through and says so when the control block version differs") {
  NothingLeftBehind guard;
  ProbeRun run({eio()});
  run.control().raw()->version = FL_CONTROL_VERSION + 1;
  auto r = run.probe({"one", "write"});
  CHECK(out_of(r) == "write ok\n");
  CHECK_THAT(r.err, Catch::Contains("version"));
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK(run.control().stats(0).hits == 0);
}

// Loud, not silent: a process that has FAULTLINE_CONTROL runs without fault injection here.
TEST_CASE("The interposer passes through and says so when the control file is not one") {
  NothingLeftBehind guard;
  test::ScratchDir dir;
  auto bogus = dir.path() / "control";
  std::ofstream(bogus) << std::string(64, 'x');
  auto r = test::run_probe({"one", "write"}, {"FAULTLINE_CONTROL=" + bogus.string()});
  CHECK(out_of(r) == "write ok\n");
  CHECK_THAT(r.err,
             Catch::Contains("runs WITHOUT fault injection") && Catch::Contains("wrong size"));
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
}

TEST_CASE("The interposer says which pid and errno when it cannot open the control file") {
  NothingLeftBehind guard;
  test::ScratchDir dir;
  auto missing = dir.path() / "no-such-control";
  auto r = test::run_probe({"one", "write"},
                           {"FAULTLINE_CONTROL=" + missing.string(), "FAULTLINE_CONTROL_FD=1000"});
  CHECK(out_of(r) == "write ok\n");
  CHECK_THAT(r.err, Catch::StartsWith("faultline: pid ") && Catch::Contains("fd 1000: EBADF") &&
                        Catch::Contains("ENOENT"));
}

TEST_CASE("The interposer shares counters across fork: nth=2 fires in whichever call is second") {
  NothingLeftBehind guard;
  FaultSpec f = eio();
  f.nth = 2;
  ProbeRun run({f});
  auto out = lines(out_of(run.probe({"forked", "write"})));
  REQUIRE(out.size() == 2);
  std::istringstream child(out[0]), parent(out[1]);
  std::string role, call, result;
  int child_pid = 0, parent_pid = 0;
  child >> role >> child_pid >> call >> result;
  CHECK(role == "child");
  CHECK(result == "ok");
  parent >> role >> parent_pid >> call >> result;
  CHECK(role == "parent");
  CHECK(result == "EIO");
  CHECK(run.control().stats(0).hits == 2);
  auto events = run.control().events();
  REQUIRE(events.size() == 1);
  CHECK(events[0].pid == parent_pid);
}

TEST_CASE("The interposer keeps counting across exec") {
  NothingLeftBehind guard;
  FaultSpec f = eio();
  f.nth = 2;
  ProbeRun run({f});
  CHECK(out_of(run.probe({"one", "write", "exec", "one", "write"})) ==
        "write ok\nwrite fail EIO\n");
}

TEST_CASE("The interposer fires exactly under threads and fork together") {
  NothingLeftBehind guard;
  constexpr std::uint64_t threads = 4, calls = 100000, total = threads * calls * 2;
  FaultSpec f = eio({"read"});
  std::uint64_t expected = 0;
  SECTION("every") {
    f.every = 7;
    expected = total / 7;
  }
  SECTION("times") {
    f.times = 1000;
    expected = 1000;
  }
  SECTION("nth") {
    f.nth = 123457;
    expected = 1;
  }
  ProbeRun run({f});
  auto out = lines(out_of(run.probe({"hammer", std::to_string(threads), std::to_string(calls)})));
  REQUIRE(out.size() == 2);
  std::uint64_t injected = 0;
  for (const auto& line : out) {
    std::istringstream in(line);
    std::string word, inj;
    int pid = 0;
    std::uint64_t n = 0;
    in >> word >> pid >> inj >> n;
    injected += n;
  }
  CHECK(injected == expected);
  CHECK(run.control().stats(0).hits == total);
  CHECK(run.control().stats(0).fires == expected);
  std::uint64_t kept = std::min<std::uint64_t>(expected, FL_EVENT_RING);
  CHECK(run.control().events().size() == kept);
  CHECK(run.control().events_lost() == expected - kept);
}

TEST_CASE("The interposer delays a call, then makes it") {
  NothingLeftBehind guard;
  FaultSpec f = make_fault({"write"}, FaultAction::delay);
  f.delay_min = f.delay_max = std::chrono::milliseconds(30);
  ProbeRun run({f});
  std::istringstream in(out_of(run.probe({"elapsed", "write"})));
  std::string word;
  long long ns = 0;
  in >> word >> ns;
  CHECK(ns >= 30'000'000);
  auto events = run.control().events();
  REQUIRE(events.size() == 1);
  CHECK(events[0].result == 1);
  CHECK(events[0].bytes == 1);
}

TEST_CASE("The interposer raises a signal on the calling thread, then makes the call") {
  NothingLeftBehind guard;
  ProbeRun run({make_fault({"write"}, FaultAction::signal, SIGUSR1)});
  CHECK(out_of(run.probe({"usr1", "write"})) == "usr1 handled-on-caller 1 ok\n");
  CHECK(run.control().stats(0).fires == 1);
}

TEST_CASE("The interposer records a crash-point signal before the process dies of it") {
  NothingLeftBehind guard;
  ProbeRun run({make_fault({"write"}, FaultAction::signal, SIGTERM)});
  auto r = run.probe({"one", "write"});
  CHECK(r.term_signal == SIGTERM);
  CHECK(r.out.empty());
  auto events = run.control().events();
  REQUIRE(events.size() == 1);
  CHECK(events[0].call == "write");
}

TEST_CASE("The interposer keeps the fortify check of __read_chk") {
  NothingLeftBehind guard;
  FaultSpec armed = eio({"read"});
  armed.nth = 100;
  ProbeRun run({armed});
  auto r = run.probe({"chk-overflow"});
  CHECK(r.term_signal == SIGABRT);
  auto plain = test::run_probe({"chk-overflow"}, {});
  CHECK(plain.term_signal == SIGABRT);
}

}  // namespace
}  // namespace faultline
