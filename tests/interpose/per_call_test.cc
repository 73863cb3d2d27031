// Per-call tests generated from the call table (interpose/calls.def): every wrapped call, every
// fault kind it allows, on a real IPC object in fl_probe.
#include <mqueue.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <sstream>

#include "faultline/fault_spec.h"
#include "faults/call_table.h"
#include "faults/control_block.h"
#include "probe.h"
#include "support.h"

namespace faultline {
namespace {

using test::lines;
using test::make_fault;
using test::NothingLeftBehind;
using test::out_of;
using test::ProbeRun;

constexpr FaultAction kAllKinds[] = {
    FaultAction::error, FaultAction::short_transfer, FaultAction::eof,
    FaultAction::delay, FaultAction::reset,          FaultAction::corrupt,
    FaultAction::drop,  FaultAction::signal,         FaultAction::spurious};

// The calls of the table that allow `kind`, for GENERATE.
std::vector<CallInfo> calls_allowing(FaultAction kind) {
  std::vector<CallInfo> out;
  for (const CallInfo& c : call_table())
    if (call_allows(c, kind)) out.push_back(c);
  return out;
}

// "read first=3 second=5 got=abc" as {"call": "read", "first": "3", ...}.
std::map<std::string, std::string> fields(const std::string& line) {
  std::map<std::string, std::string> out;
  std::istringstream in(line);
  std::string word;
  in >> out["call"];
  while (in >> word) {
    auto eq = word.find('=');
    if (eq != std::string::npos) out[word.substr(0, eq)] = word.substr(eq + 1);
  }
  return out;
}

// One `data SYMBOL` run under `fault` (fires on the first call): its fields and the one event.
std::map<std::string, std::string> data_under(const std::string& symbol, FaultSpec fault) {
  fault.nth = 1;
  ProbeRun run({fault});
  auto out = lines(out_of(run.probe({"data", symbol})));
  REQUIRE(out.size() == 1);
  auto f = fields(out[0]);
  CHECK(f["call"] == symbol);
  CHECK(run.control().stats(0).fires == 1);
  auto events = run.control().events();
  REQUIRE(events.size() == 1);
  CHECK(events[0].call == symbol);
  return f;
}

bool is_message_send(const CallInfo& c) { return c.family == "SYS"; }  // msgsnd, mq_send
bool is_mmsg(const CallInfo& c) { return c.family == "MMSG"; }

// Removes what a probe that died announced on stderr ("probe-made KIND WHAT").
class ProbeLeftovers final {
 public:
  explicit ProbeLeftovers(const std::string* err) : err_(err) {}
  ~ProbeLeftovers() {
    for (const auto& line : lines(*err_)) {
      std::istringstream in(line);
      std::string tag, kind, what;
      in >> tag >> kind >> what;
      if (tag != "probe-made") continue;
      if (kind == "msg") msgctl(std::stoi(what), IPC_RMID, nullptr);
      if (kind == "shm") shmctl(std::stoi(what), IPC_RMID, nullptr);
      if (kind == "sem") semctl(std::stoi(what), 0, IPC_RMID);
      if (kind == "name") {
        shm_unlink(what.c_str());
        mq_unlink(what.c_str());
      }
      if (kind == "dir") {
        std::error_code ec;
        std::filesystem::remove_all(what, ec);
      }
    }
  }
  ProbeLeftovers(const ProbeLeftovers&) = delete;
  ProbeLeftovers& operator=(const ProbeLeftovers&) = delete;

 private:
  const std::string* err_;
};

TEST_CASE("Per call: an error rule returns the call's failure value and errno, and records it") {
  NothingLeftBehind guard;
  const CallInfo& call = GENERATE(from_range(call_table()));
  std::string symbol(call.symbol);
  CAPTURE(symbol);
  // The first errno of the man page list, so that another one than the old test's is used.
  int err = *errno_from_name(call.errnos.front());
  FaultSpec f = make_fault({symbol}, FaultAction::error, err);
  ProbeRun run({f});
  CHECK(out_of(run.probe({"one", symbol})) == symbol + " fail " + errno_name(err) + "\n");
  CHECK(run.control().stats(0).hits == 1);
  auto events = run.control().events();
  REQUIRE(events.size() == 1);
  CHECK(events[0].call == symbol);
  CHECK(events[0].result == -1);
  CHECK(events[0].err == err);
}

TEST_CASE("Per call: a rule that does not fire leaves the result and errno as they were") {
  NothingLeftBehind guard;
  const CallInfo& call = GENERATE(from_range(call_table()));
  std::string symbol(call.symbol);
  CAPTURE(symbol);
  FaultSpec f = make_fault({symbol}, FaultAction::error, EIO);
  f.nth = 3;
  ProbeRun run({f});
  // The slow path runs twice without firing; errno must stay at the probe's sentinel.
  CHECK(out_of(run.probe({"one", symbol, "errno", symbol})) == symbol + " ok\nerrno 4242\n");
  CHECK(run.control().stats(0).hits == 2);
  CHECK(run.control().stats(0).fires == 0);
  CHECK(run.control().events().empty());
}

TEST_CASE("Per call: a delay rule makes the call wait at least the delay, then makes it") {
  NothingLeftBehind guard;
  const CallInfo& call = GENERATE(from_range(call_table()));
  std::string symbol(call.symbol);
  CAPTURE(symbol);
  FaultSpec f = make_fault({symbol}, FaultAction::delay);
  f.delay_min = f.delay_max = std::chrono::milliseconds(15);
  ProbeRun run({f});
  auto out = lines(out_of(run.probe({"elapsed", symbol, "one", symbol})));
  REQUIRE(out.size() == 2);
  std::istringstream in(out[0]);
  std::string word;
  long long ns = 0;
  in >> word >> ns;
  CHECK(ns >= 15'000'000);
  CHECK(out[1] == symbol + " ok");  // the real call is made after the delay
  auto events = run.control().events();
  REQUIRE(events.size() == 2);
  CHECK(events[0].call == symbol);
  CHECK(events[0].result != -1);
}

TEST_CASE("Per call: a signal rule kills the caller with that signal at that call") {
  NothingLeftBehind guard;
  const CallInfo& call = GENERATE(from_range(call_table()));
  std::string symbol(call.symbol);
  CAPTURE(symbol);
  ProbeRun run({make_fault({symbol}, FaultAction::signal, SIGUSR2)});
  auto r = run.probe({"ident", "one", symbol});
  ProbeLeftovers cleanup(&r.err);
  CHECK(r.term_signal == SIGUSR2);
  auto out = lines(r.out);
  REQUIRE(out.size() == 1);  // ident, and nothing after the call
  std::istringstream ident(out[0]);
  std::string word;
  int pid = 0;
  ident >> word >> pid;
  auto events = run.control().events();
  REQUIRE(events.size() == 1);
  CHECK(events[0].call == symbol);
  CHECK(events[0].pid == pid);
}

TEST_CASE("Per call: short lets at most N bytes (messages for *mmsg) through, the rest follows") {
  NothingLeftBehind guard;
  const CallInfo& call = GENERATE(from_range(calls_allowing(FaultAction::short_transfer)));
  std::string symbol(call.symbol);
  CAPTURE(symbol);
  auto f =
      data_under(symbol, make_fault({symbol}, FaultAction::short_transfer, is_mmsg(call) ? 1 : 3));
  CHECK(f["first"] == (is_mmsg(call) ? "1" : "3"));
  CHECK(f["second"] == (is_mmsg(call) ? "1" : "5"));
  CHECK(f["got"] == "abcdefgh");
  CHECK(f["flips"] == "0");
}

TEST_CASE("Per call: eof makes a read return 0 and leaves the data for the next one") {
  NothingLeftBehind guard;
  const CallInfo& call = GENERATE(from_range(calls_allowing(FaultAction::eof)));
  std::string symbol(call.symbol);
  CAPTURE(symbol);
  auto f = data_under(symbol, make_fault({symbol}, FaultAction::eof));
  CHECK(f["first"] == "0");
  CHECK(f["second"] == "8");
  CHECK(f["got"] == "abcdefgh");
  CHECK(f["peer"] == "open");
}

TEST_CASE("Per call: corrupt flips exactly the asked bits of the data read") {
  NothingLeftBehind guard;
  const CallInfo& call = GENERATE(from_range(calls_allowing(FaultAction::corrupt)));
  std::string symbol(call.symbol);
  CAPTURE(symbol);
  FaultSpec fault = make_fault({symbol}, FaultAction::corrupt);
  fault.corrupt_bits = 3;
  auto f = data_under(symbol, fault);
  CHECK(f["first"] == (is_mmsg(call) ? "2" : "8"));
  CHECK(f["flips"] == "3");
  CHECK(f["got"] != "abcdefgh");
}

TEST_CASE("Per call: drop reports the data sent and delivers nothing") {
  NothingLeftBehind guard;
  const CallInfo& call = GENERATE(from_range(calls_allowing(FaultAction::drop)));
  std::string symbol(call.symbol);
  CAPTURE(symbol);
  // The probe's byte streams (pipe, stream socketpair) never lose data, so drop is refused
  // on them (realism_test.cc); force shows what it does where the kernel would lose a message.
  FaultSpec drop = make_fault({symbol}, FaultAction::drop);
  drop.force = true;
  auto f = data_under(symbol, drop);
  CHECK(f["first"] == (is_mmsg(call) ? "2" : is_message_send(call) ? "0" : "8"));
  CHECK(f["got"] == "");
}

TEST_CASE("Per call: reset fails this and every later call on the stream and ends the peer's") {
  NothingLeftBehind guard;
  const CallInfo& call = GENERATE(from_range(calls_allowing(FaultAction::reset)));
  std::string symbol(call.symbol);
  CAPTURE(symbol);
  auto f = data_under(symbol, make_fault({symbol}, FaultAction::reset));
  CHECK(f["first"] == "ECONNRESET");
  CHECK(f["second"] == "ECONNRESET");
  CHECK(f["got"] == "");
  CHECK(f["peer"] == "eof");
}

TEST_CASE("Per call: reset leaves a non-stream fd alone") {
  NothingLeftBehind guard;
  // A pipe is no connection: the rule does not match it.
  ProbeRun run(
      {make_fault({"read"}, FaultAction::reset), make_fault({"write"}, FaultAction::reset)});
  CHECK(out_of(run.probe({"one", "write", "one", "read"})) == "write ok\nread ok\n");
  CHECK(run.control().stats(0).hits == 0);
  CHECK(run.control().stats(1).hits == 0);
}

TEST_CASE("Per call: spurious makes a readiness call report an fd that has nothing") {
  NothingLeftBehind guard;
  const CallInfo& call = GENERATE(from_range(calls_allowing(FaultAction::spurious)));
  std::string symbol(call.symbol);
  CAPTURE(symbol);
  FaultSpec fault = make_fault({symbol}, FaultAction::spurious);
  fault.nth = 1;
  ProbeRun run({fault});
  CHECK(out_of(run.probe({"ready", symbol, "ready", symbol})) ==
        symbol + " r=1 ready=1 then=EAGAIN\n" + symbol + " r=0 ready=0 then=EAGAIN\n");
  auto events = run.control().events();
  REQUIRE(events.size() == 1);
  CHECK(events[0].call == symbol);
  CHECK(events[0].result == 1);
}

TEST_CASE("Per call: a kind the call does not allow never affects it") {
  NothingLeftBehind guard;
  const CallInfo& call = GENERATE(from_range(call_table()));
  std::string symbol(call.symbol);
  CAPTURE(symbol);
  // Compiled directly, past the spec validation that would reject them.
  std::vector<FaultSpec> faults;
  for (FaultAction kind : kAllKinds) {
    if (call_allows(call, kind)) continue;
    FaultSpec f = make_fault({symbol}, kind, 1);
    f.fd = FdClass::any;
    faults.push_back(f);
  }
  REQUIRE(!faults.empty());
  ProbeRun run(faults);
  CHECK(out_of(run.probe({"one", symbol})) == symbol + " ok\n");
  for (std::size_t i = 0; i < faults.size(); ++i) CHECK(run.control().stats(i).hits == 0);
  CHECK(run.control().events().empty());
}

// The spec text of one kind on one call, as a user writes it.
std::string spec_of(const CallInfo& call, FaultAction kind) {
  std::string s(call.symbol);
  switch (kind) {
    case FaultAction::error:
      return s + ":error=" + std::string(call.errnos.front());
    case FaultAction::short_transfer:
      return s + ":short=1";
    case FaultAction::delay:
      return s + ":delay=10ms";
    case FaultAction::signal:
      return s + ":signal=SIGTERM";
    default:
      return s + ":" + std::string(to_string(kind));
  }
}

TEST_CASE("Per call: the spec parser accepts exactly the kinds the table allows") {
  const CallInfo& call = GENERATE(from_range(call_table()));
  for (FaultAction kind : kAllKinds) {
    std::string text = spec_of(call, kind);
    CAPTURE(text);
    Diagnostics diags;
    auto spec = parse_fault_spec(text, diags);
    CHECK(spec.has_value() == call_allows(call, kind));
    CHECK(diags.empty() == call_allows(call, kind));
  }
}

TEST_CASE("The spec parser rejects short on accept and a foreign errno unless forced") {
  Diagnostics a, b, c;
  CHECK_FALSE(parse_fault_spec("accept:short=1", a).has_value());
  CHECK_FALSE(a.empty());
  CHECK_FALSE(parse_fault_spec("read:error=ECONNABORTED", b).has_value());
  CHECK_FALSE(b.empty());
  auto forced = parse_fault_spec("read:error=ECONNABORTED:force", c);
  REQUIRE(forced.has_value());
  CHECK(forced->force);
  CHECK(forced->error == ECONNABORTED);
}

TEST_CASE("A forced foreign errno is injected as asked") {
  NothingLeftBehind guard;
  Diagnostics diags;
  auto spec = parse_fault_spec("read:error=ECONNABORTED:force", diags);
  REQUIRE(spec.has_value());
  ProbeRun run({*spec});
  CHECK(out_of(run.probe({"one", "read"})) == "read fail ECONNABORTED\n");
}

TEST_CASE("Per call: open and openat pass the creation mode through the wrapper") {
  NothingLeftBehind guard;
  const std::string symbol = GENERATE("open", "open64", "openat", "openat64");
  CAPTURE(symbol);
  FaultSpec armed = make_fault({symbol}, FaultAction::error, EIO);
  armed.fd = FdClass::any;
  armed.nth = 100;
  ProbeRun run({armed});
  CHECK(out_of(run.probe({"creat-mode", symbol})) == symbol + " mode 641\n");
  CHECK(run.control().stats(0).hits == 1);  // the slow path saw it
  CHECK(out_of(test::run_probe({"creat-mode", symbol}, {})) == symbol + " mode 641\n");
}

TEST_CASE("Triggers on a new call: nth, after and every alone") {
  NothingLeftBehind guard;
  FaultSpec f = make_fault({"sendmmsg"}, FaultAction::error, ENOBUFS);
  std::string expected;
  SECTION("nth") {
    f.nth = 3;
    expected = "sendmmsg . . ENOBUFS . . .\n";
  }
  SECTION("after") {
    f.after = 4;
    expected = "sendmmsg . . . . ENOBUFS ENOBUFS\n";
  }
  SECTION("every") {
    f.every = 2;
    expected = "sendmmsg . ENOBUFS . ENOBUFS . ENOBUFS\n";
  }
  SECTION("every with times") {
    f.every = 2;
    f.times = 2;
    expected = "sendmmsg . ENOBUFS . ENOBUFS . .\n";
  }
  ProbeRun run({f});
  CHECK(out_of(run.probe({"repeat", "sendmmsg", "6"})) == expected);
  CHECK(run.control().stats(0).hits == 6);
}

TEST_CASE("Triggers on a new call: probability 1 always fires, a small one follows the seed") {
  NothingLeftBehind guard;
  FaultSpec always = make_fault({"mq_send"}, FaultAction::error, EAGAIN);
  always.probability = 1.0;
  ProbeRun run({always});
  CHECK(out_of(run.probe({"repeat", "mq_send", "4"})) == "mq_send EAGAIN EAGAIN EAGAIN EAGAIN\n");
  FaultSpec rare = always;
  rare.probability = 0.25;
  ProbeRun a({rare}, 7), b({rare}, 7);
  std::string first = out_of(a.probe({"repeat", "mq_send", "40"}));
  CHECK(first == out_of(b.probe({"repeat", "mq_send", "40"})));
  CHECK(a.control().stats(0).fires > 0);
  CHECK(a.control().stats(0).fires < 40);
}

}  // namespace
}  // namespace faultline
