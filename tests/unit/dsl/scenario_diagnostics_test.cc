// load_scenario() on broken files: every problem reported, at its line:column, with a hint.
#include <algorithm>
#include <catch2/catch.hpp>

#include "faultline/scenario.h"
#include "support.h"

using faultline::Diagnostic;
using faultline::Diagnostics;
using faultline::test::TempScenario;

namespace {

Diagnostics load_errors(const std::string& yaml) {
  TempScenario file(yaml);
  auto r = faultline::load_scenario(file.path());
  CHECK_FALSE(r.scenario);
  for (const auto& d : r.diagnostics) {
    CHECK(d.where.file == file.path().string());
    CHECK_FALSE(d.hint.empty());
  }
  return r.diagnostics;
}

faultline::LoadResult load_text(const std::string& yaml) {
  TempScenario file(yaml);
  return faultline::load_scenario(file.path());
}

std::string describe(const Diagnostics& ds) {
  std::string out;
  for (const auto& d : ds) {
    out += std::to_string(d.where.line) + ":" + std::to_string(d.where.column) + " " + d.message +
           " | " + d.hint + "\n";
  }
  return out;
}

// The one diagnostic of `ds`, checked to be at line:column with `message` in its text.
const Diagnostic& only(const Diagnostics& ds, int line, int column, const std::string& message) {
  INFO(describe(ds));
  REQUIRE(ds.size() == 1);
  CHECK(ds[0].where.line == line);
  CHECK(ds[0].where.column == column);
  CHECK_THAT(ds[0].message, Catch::Contains(message));
  return ds[0];
}

const std::string kHead = "scenario: t\n";  // line 1

}  // namespace

TEST_CASE("An unknown top-level key is reported with a suggestion") {
  auto ds = load_errors(kHead + "tmeout: 10s\nprocesses:\n  a: { run: [x] }\n");
  const auto& d = only(ds, 2, 1, "unknown key 'tmeout'");
  CHECK(d.hint == "did you mean 'timeout'?");
}

TEST_CASE("An unknown process key is reported with a suggestion") {
  auto ds = load_errors(kHead + "processes:\n  a:\n    run: [x]\n    lifetme: service\n");
  const auto& d = only(ds, 5, 5, "unknown key 'lifetme'");
  CHECK(d.hint == "did you mean 'lifetime'?");
}

TEST_CASE("An unknown key with no close match lists the known keys") {
  auto ds = load_errors(kHead + "processes:\n  a: { run: [x], zzzzz: 1 }\n");
  const auto& d = only(ds, 3, 18, "unknown key 'zzzzz'");
  CHECK_THAT(d.hint, Catch::Contains("stop_signal"));
}

TEST_CASE("A YAML syntax error is one diagnostic at its position") {
  auto ds = load_errors(kHead + "processes:\n  a: { run: [x }\n");
  const auto& d = only(ds, 3, 16, "YAML syntax error");
  CHECK_FALSE(d.hint.empty());
}

TEST_CASE("A missing scenario name is reported") {
  auto ds = load_errors("processes:\n  a: { run: [x] }\n");
  only(ds, 1, 1, "no name");
}

TEST_CASE("A bad duration is reported with the units") {
  auto ds = load_errors(kHead + "timeout: 10\nprocesses:\n  a: { run: [x] }\n");
  const auto& d = only(ds, 2, 10, "'10' is not a duration");
  CHECK_THAT(d.hint, Catch::Contains("10s"));
}

TEST_CASE("A wrong type is reported") {
  auto ds = load_errors(kHead + "seed: [1, 2]\nprocesses:\n  a: { run: [x] }\n");
  only(ds, 2, 7, "seed must be a single value, not a list");
}

TEST_CASE("A negative seed is reported") {
  auto ds = load_errors(kHead + "seed: -4\nprocesses:\n  a: { run: [x] }\n");
  only(ds, 2, 7, "seed must be a whole number");
}

TEST_CASE("An unknown channel type lists the eleven types") {
  auto ds =
      load_errors(kHead + "channels:\n  c: { type: socket }\nprocesses:\n  a: { run: [x] }\n");
  const auto& d = only(ds, 3, 14, "unknown type 'socket'");
  for (const char* t : {"pipe", "fifo", "msgqueue", "posix-mq", "shm", "mmap", "semaphore",
                        "unix-stream", "unix-dgram", "tcp", "udp"}) {
    CHECK_THAT(d.hint, Catch::Contains(t));
  }
}

TEST_CASE("A misspelt channel type gets a suggestion") {
  auto ds =
      load_errors(kHead + "channels:\n  c: { type: unix-steam }\nprocesses:\n  a: { run: [x] }\n");
  const auto& d = only(ds, 3, 14, "unknown type 'unix-steam'");
  CHECK_THAT(d.hint, Catch::StartsWith("did you mean 'unix-stream'?"));
}

TEST_CASE("A bad channel or process name is reported") {
  auto ds =
      load_errors(kHead + "channels:\n  9c: { type: pipe }\nprocesses:\n  a.b: { run: [x] }\n");
  INFO(describe(ds));
  REQUIRE(ds.size() == 2);
  CHECK(ds[0].where.line == 3);
  CHECK_THAT(ds[0].message, Catch::Contains("'9c' is not a valid channel name"));
  CHECK(ds[1].where.line == 5);
  CHECK_THAT(ds[1].message, Catch::Contains("'a.b' is not a valid process name"));
}

TEST_CASE("An option that does not apply to the channel type is reported") {
  auto ds = load_errors(
      kHead + "channels:\n  c: { type: pipe, size: 10 }\nprocesses:\n  a: { run: [x] }\n");
  only(ds, 3, 20, "'size' does not apply to a pipe channel");
}

TEST_CASE("A reference to an unknown process in after is reported with a suggestion") {
  auto ds = load_errors(
      kHead + "processes:\n  server: { run: [x] }\n  client: { run: [y], after: [sever] }\n");
  const auto& d = only(ds, 4, 31, "unknown process 'sever'");
  CHECK(d.hint == "did you mean 'server'?");
}

TEST_CASE("A cycle in after is reported") {
  auto ds = load_errors(kHead +
                        "processes:\n  a: { run: [x], after: c }\n  b: { run: [x], after: a }\n"
                        "  c: { run: [x], after: b }\n");
  const auto& d = only(ds, 4, 25, "after: forms a cycle: a -> c -> b -> a");
  CHECK_THAT(d.hint, Catch::Contains("remove one"));
}

TEST_CASE("A process waiting for itself is reported") {
  auto ds = load_errors(kHead + "processes:\n  a: { run: [x], after: a }\n");
  only(ds, 3, 25, "waits for itself");
}

TEST_CASE("Listening on an unknown channel is reported") {
  auto ds = load_errors(kHead +
                        "channels:\n  ctl: { type: tcp }\nprocesses:\n  a:\n    run: [x]\n    "
                        "ready: { listening: cttl }\n");
  const auto& d = only(ds, 7, 25, "unknown channel 'cttl'");
  CHECK(d.hint == "did you mean 'ctl'?");
}

TEST_CASE("Listening on a channel that cannot listen is reported") {
  auto ds = load_errors(kHead +
                        "channels:\n  q: { type: msgqueue }\nprocesses:\n  a:\n    run: [x]\n    "
                        "ready: { listening: q }\n");
  const auto& d = only(ds, 7, 25, "'q' is a msgqueue");
  CHECK_THAT(d.hint, Catch::Contains("unix-stream, unix-dgram, tcp and udp"));
}

TEST_CASE("Wiring stdin, stdout or fds to a non-pipe channel is reported") {
  auto ds = load_errors(kHead +
                        "channels:\n  f: { type: fifo }\nprocesses:\n  a:\n    run: [x]\n"
                        "    stdin: { channel: f }\n    stdout: { channel: f }\n"
                        "    fds: { 3: f.read }\n");
  INFO(describe(ds));
  REQUIRE(ds.size() == 3);
  CHECK(ds[0].where.line == 7);
  CHECK(ds[0].where.column == 23);
  CHECK_THAT(ds[0].message, Catch::Contains("stdin can only be wired to a pipe channel"));
  CHECK(ds[1].where.line == 8);
  CHECK_THAT(ds[1].message, Catch::Contains("stdout can only be wired to a pipe channel"));
  CHECK(ds[2].where.line == 9);
  CHECK(ds[2].where.column == 15);
  CHECK_THAT(ds[2].message, Catch::Contains("fd 3 can only be wired to a pipe channel"));
}

TEST_CASE("A pipe end other than read or write is reported") {
  auto ds = load_errors(
      kHead +
      "channels:\n  p: { type: pipe }\nprocesses:\n  a:\n    run: [x]\n    fds: { 3: p.input }\n");
  only(ds, 7, 15, "CHANNEL.read or CHANNEL.write");
}

TEST_CASE("A process with neither run nor peer is reported") {
  auto ds = load_errors(kHead + "processes:\n  a: { lifetime: task }\n");
  only(ds, 3, 3, "neither run: nor peer:");
}

TEST_CASE("A process with both run and peer is reported") {
  auto ds = load_errors(kHead +
                        "channels:\n  c: { type: tcp }\nprocesses:\n  a:\n    run: [x]\n    peer: "
                        "{ mode: echo, channel: c }\n");
  only(ds, 7, 5, "both run: and peer:");
}

TEST_CASE("A built-in peer over a socket loads with its channel and becomes ready on listening") {
  faultline::LoadResult r =
      load_text(kHead +
                "channels:\n  c: { type: tcp }\nprocesses:\n  a:\n    peer: { mode: "
                "echo, channel: c, count: 10, size: 1..512, allow_loss: true }\n");
  INFO(describe(r.diagnostics));
  REQUIRE(r.scenario);
  const faultline::ProcessSpec& p = r.scenario->processes.at(0);
  REQUIRE(p.peer);
  CHECK(p.peer->mode == "echo");
  CHECK(p.peer->channel == "c");
  CHECK(p.peer->count == 10u);
  CHECK(p.peer->size == "1..512");
  CHECK(p.peer->allow_loss);
  CHECK(p.ready.kind == faultline::Readiness::Kind::listening);
  CHECK(p.ready.value == "c");
}

TEST_CASE("Keys of peer are checked") {
  auto ds = load_errors(kHead +
                        "channels:\n  c: { type: tcp }\nprocesses:\n  a:\n    peer: "
                        "{ mdoe: echo, channel: c }\n");
  INFO(describe(ds));
  REQUIRE(ds.size() == 2);
  CHECK_THAT(ds[0].message + ds[1].message, Catch::Contains("no mode"));
  bool hinted = false;
  for (const auto& d : ds) hinted = hinted || d.hint == "did you mean 'mode'?";
  CHECK(hinted);
}

TEST_CASE("A peer size that is neither N nor MIN..MAX is reported") {
  auto ds = load_errors(kHead +
                        "channels:\n  c: { type: tcp }\nprocesses:\n  a:\n    peer: "
                        "{ mode: echo, channel: c, size: big }\n");
  only(ds, 6, 43, "peer size 'big' is not N or MIN..MAX");
}

TEST_CASE("A bad regular expression is reported at load time") {
  auto ds =
      load_errors(kHead + "processes:\n  a:\n    run: [x]\n    ready: { stdout: \"ready (\" }\n");
  const auto& d = only(ds, 5, 22, "not a valid regular expression");
  CHECK_THAT(d.hint, Catch::Contains("ECMAScript"));
}

TEST_CASE("A bad regular expression in an expectation is reported") {
  auto ds = load_errors(
      kHead + "processes:\n  a:\n    run: [x]\n    expect: { stderr: { matches: \"[a-\" } }\n");
  only(ds, 5, 34, "not a valid regular expression");
}

TEST_CASE("A bad signal name is reported") {
  auto ds = load_errors(kHead + "processes:\n  a:\n    run: [x]\n    stop_signal: SIGFOO\n");
  only(ds, 5, 18, "'SIGFOO' is not a signal");
}

TEST_CASE("A bad lifetime gets a suggestion") {
  auto ds = load_errors(kHead + "processes:\n  a:\n    run: [x]\n    lifetime: servce\n");
  const auto& d = only(ds, 5, 15, "lifetime must be one of task, service");
  CHECK(d.hint == "did you mean 'service'?");
}

TEST_CASE("A bad exit expectation is reported") {
  auto ds = load_errors(kHead + "processes:\n  a:\n    run: [x]\n    expect: { exit: nonzer }\n");
  const auto& d = only(ds, 5, 21, "'nonzer' is not an exit status");
  CHECK(d.hint == "did you mean 'nonzero'?");
}

TEST_CASE("Expecting both an exit status and a signal is reported") {
  auto ds = load_errors(
      kHead + "processes:\n  a:\n    run: [x]\n    expect: { exit: 0, signal: SIGSEGV }\n");
  only(ds, 5, 24, "both exit and signal");
}

TEST_CASE("A fault with an unknown process or channel is reported") {
  auto ds = load_errors(kHead +
                        "channels:\n  ctl: { type: tcp }\nprocesses:\n  server: { run: [x] }\n"
                        "faults:\n  - process: srver\n    call: accept\n    error: EMFILE\n"
                        "  - call: read\n    eof:\n    channel: ctrl\n");
  INFO(describe(ds));
  REQUIRE(ds.size() == 2);
  CHECK(ds[0].where.line == 7);
  CHECK(ds[0].where.column == 14);
  CHECK_THAT(ds[0].message, Catch::Contains("unknown process 'srver'"));
  CHECK(ds[0].hint == "did you mean 'server'?");
  CHECK(ds[1].where.line == 12);
  CHECK(ds[1].where.column == 14);
  CHECK_THAT(ds[1].message, Catch::Contains("unknown channel 'ctrl'"));
}

TEST_CASE("A fault with an unknown call or key is reported with suggestions") {
  auto ds = load_errors(kHead +
                        "processes:\n  a: { run: [x] }\n"
                        "faults:\n  - call: [read, acept]\n    error: EINTR\n    nht: 1\n");
  INFO(describe(ds));
  REQUIRE(ds.size() == 2);
  CHECK(ds[0].where.line == 5);
  CHECK(ds[0].where.column == 18);
  CHECK_THAT(ds[0].message, Catch::Contains("unknown call 'acept'"));
  CHECK_THAT(ds[0].hint, Catch::StartsWith("did you mean 'accept'?"));
  CHECK(ds[1].where.line == 7);
  CHECK(ds[1].where.column == 5);
  CHECK(ds[1].hint == "did you mean 'nth'?");
}

TEST_CASE("A fault whose errno the call cannot return is reported at the errno") {
  auto ds = load_errors(kHead +
                        "processes:\n  a: { run: [x] }\n"
                        "faults:\n  - call: accept\n    error: ENOSPC\n");
  const auto& d = only(ds, 6, 5, "accept never fails with ENOSPC");
  CHECK_THAT(d.message, Catch::Contains("ECONNABORTED"));
  CHECK_THAT(d.hint, Catch::Contains("force"));
}

TEST_CASE("A fault kind the call does not accept is reported at the action") {
  auto ds = load_errors(kHead +
                        "processes:\n  a: { run: [x] }\n"
                        "faults:\n  - call: accept\n    short: 1\n");
  const auto& d = only(ds, 6, 5, "accept cannot be faulted with 'short'");
  CHECK_THAT(d.message, Catch::Contains("error, delay, signal"));
}

TEST_CASE("Unknown top-level expect values are reported") {
  auto ds = load_errors(kHead + "processes:\n  a: { run: [x] }\nexpect: { faults: fire }\n");
  const auto& d = only(ds, 4, 19, "expect faults must be one of fired, any");
  CHECK(d.hint == "did you mean 'fired'?");
}

TEST_CASE("A key given twice is reported") {
  auto ds = load_errors(kHead + "timeout: 1s\ntimeout: 2s\nprocesses:\n  a: { run: [x] }\n");
  only(ds, 3, 1, "'timeout' is given twice");
}

TEST_CASE("Every error in a file is reported, in file order") {
  auto ds = load_errors(
      "scenario: many\n"                 // 1
      "timeout: soon\n"                  // 2
      "channels:\n"                      // 3
      "  c: { type: pipe }\n"            // 4
      "  d: { type: carrier-pigeon }\n"  // 5
      "processes:\n"                     // 6
      "  a:\n"                           // 7
      "    run: [x]\n"                   // 8
      "    after: [nobody]\n"            // 9
      "    ready: { listening: c }\n"    // 10
      "  b:\n"                           // 11
      "    grace: forever\n"             // 12
      "    stdin: { channel: d }\n"      // 13
      "faults:\n"                        // 14
      "  - call: read\n"                 // 15
      "    error: EFAULTY\n"             // 16
      "    probability: 2\n");           // 17
  INFO(describe(ds));
  std::vector<std::pair<int, int>> where;
  for (const auto& d : ds) where.emplace_back(d.where.line, d.where.column);
  // d's bad type is reported once; b's stdin on the broken channel d stays quiet.
  CHECK(where == std::vector<std::pair<int, int>>{
                     {2, 10}, {5, 14}, {9, 13}, {10, 25}, {11, 3}, {12, 12}, {16, 12}, {17, 18}});
}

TEST_CASE("An unreadable file is one diagnostic naming the file") {
  auto r = faultline::load_scenario("/nonexistent/scenario.yaml");
  CHECK_FALSE(r.scenario);
  REQUIRE(r.diagnostics.size() == 1);
  CHECK(r.diagnostics[0].where.file == "/nonexistent/scenario.yaml");
  CHECK_THAT(r.diagnostics[0].message, Catch::Contains("cannot read"));
}

TEST_CASE("An empty file is reported") {
  auto ds = load_errors("");
  only(ds, 1, 1, "empty");
}

TEST_CASE("A fault in the command-line form is reported at the column inside it") {
  auto ds = load_errors(kHead + "processes:\n  a: { run: [x] }\nfaults:\n  - read:eof:nht=2\n");
  const auto& d = only(ds, 5, 14, "unknown fault key 'nht'");
  CHECK(d.hint == "did you mean 'nth'?");
}

TEST_CASE("A fault in the command-line form naming an unknown process is reported") {
  auto ds = load_errors(kHead + "processes:\n  a: { run: [x] }\nfaults:\n  - b/read:eof\n");
  only(ds, 5, 5, "unknown process 'b'");
}

TEST_CASE("A short fault on a datagram channel is refused before the run: it travels whole") {
  const std::string head = kHead +
                           "channels:\n  d: { type: unix-dgram }\n  u: { type: udp }\n"
                           "processes:\n  a: { run: [x] }\nfaults:\n";
  auto ds = load_errors(head + "  - { process: a, call: recv, short: 3, channel: d }\n");
  const auto& d = only(ds, 8, 5, "on a unix-dgram channel: impossible: a datagram");
  CHECK_THAT(d.hint, Catch::Contains("force"));
  only(load_errors(head + "  - a/sendto:short=3:channel=u\n"), 8, 5, "on a udp channel");
  // recvmmsg's short is a count of messages, which the kernel does cut.
  CHECK(load_text(head + "  - { call: recvmmsg, short: 1, channel: u }\n").scenario);
  CHECK(load_text(head + "  - { call: recv, short: 3, channel: d, force: true }\n").scenario);
}

TEST_CASE("drop on a stream channel is refused before the run: a stream loses nothing") {
  const std::string head = kHead +
                           "channels:\n  f: { type: fifo }\n  t: { type: tcp }\n"
                           "processes:\n  a: { run: [x] }\nfaults:\n";
  only(load_errors(head + "  - { call: write, drop: true, channel: f }\n"), 8, 5,
       "on a fifo channel: impossible: a pipe, FIFO or stream socket");
  only(load_errors(head + "  - send:drop:channel=t\n"), 8, 5, "on a tcp channel");
  CHECK(load_text(head + "  - { call: write, drop: true, channel: f, force: }\n").scenario);
}

TEST_CASE("ready: stderr loads its regex like ready: stdout") {
  auto r = load_text(
      kHead + "processes:\n  a:\n    run: [x]\n    ready: { stderr: \"listening on [0-9]+\" }\n");
  INFO(describe(r.diagnostics));
  REQUIRE(r.scenario);
  const auto& p = r.scenario->processes[0];
  CHECK(p.ready.kind == faultline::Readiness::Kind::stderr_regex);
  CHECK(p.ready.value == "listening on [0-9]+");
}

TEST_CASE("A bad regular expression in ready: stderr is reported at load time") {
  auto ds =
      load_errors(kHead + "processes:\n  a:\n    run: [x]\n    ready: { stderr: \"ready (\" }\n");
  only(ds, 5, 22, "not a valid regular expression");
}

TEST_CASE("ready: stderr on an fd 2 wired to a channel cannot be watched") {
  auto ds = load_errors(kHead +
                        "channels: { p: { type: pipe } }\nprocesses:\n  a:\n    run: [x]\n"
                        "    fds: { 2: p.write }\n    ready: { stderr: up }\n  b: { run: [y], "
                        "stdin: { channel: p } }\n");
  only(ds, 7, 14, "ready: stderr cannot be watched");
}

TEST_CASE("ready: with a misspelt condition suggests stderr") {
  auto ds = load_errors(kHead + "processes:\n  a:\n    run: [x]\n    ready: { stder: up }\n");
  INFO(describe(ds));
  CHECK(std::any_of(ds.begin(), ds.end(), [](const Diagnostic& d) {
    return d.message.find("unknown key 'stder'") != std::string::npos &&
           d.hint.find("did you mean 'stderr'") != std::string::npos;
  }));
}

TEST_CASE("stdio: takes capture or pty") {
  auto r = load_text(kHead + "processes:\n  a: { run: [x], stdio: pty }\n  b: { run: [y] }\n");
  INFO(describe(r.diagnostics));
  REQUIRE(r.scenario);
  CHECK(r.scenario->processes[0].stdio_pty);
  CHECK_FALSE(r.scenario->processes[1].stdio_pty);
  auto ds = load_errors(kHead + "processes:\n  a: { run: [x], stdio: tty }\n");
  REQUIRE(ds.size() == 1);
  CHECK_THAT(ds[0].message, Catch::Contains("stdio"));
}

TEST_CASE("ready: stderr under stdio: pty is refused: both streams go to one terminal") {
  auto ds = load_errors(kHead +
                        "processes:\n  a:\n    run: [x]\n    stdio: pty\n    ready: { stderr: up }\n");
  only(ds, 6, 14, "under stdio: pty");
}
