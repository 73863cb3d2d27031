// load_scenario() on valid files: every field lands where it belongs.
#include <catch2/catch.hpp>

#include <csignal>

#include "faultline/scenario.h"
#include "support.h"

using namespace std::chrono_literals;
using faultline::ChannelType;
using faultline::load_scenario;
using faultline::test::TempScenario;

namespace {

std::string all_diagnostics(const faultline::LoadResult& r) {
  std::string out;
  for (const auto& d : r.diagnostics) out += d.format() + "\n";
  return out;
}

constexpr const char* kFull = R"(scenario: full
description: Every field at once.
timeout: 1.5s
seed: 42
channels:
  ctl: { type: unix-stream }
  port: { type: tcp }
  p: { type: pipe }
  q: { type: pipe }
  seg: { type: shm, size: 8192 }
  map: { type: mmap, size: 4096, backing: file }
  sems: { type: semaphore, count: 3 }
  mq: { type: posix-mq, size: 128, count: 4 }
processes:
  server:
    run: [programs/echo_server, --unix, "${ctl.path}"]
    lifetime: service
    ready: { listening: ctl }
    stop_signal: INT
    grace: 500ms
    env: { MODE: fast, LEVEL: 3 }
    cwd: /tmp
    expect: { exit: [0, 1], stderr: { contains: listening } }
  client:
    after: server
    run: "echo hello | cat"
    stdout: { channel: p }
    fds: { 3: q.read, 4: q.write }
    expect:
      signal: SIGSEGV
      stderr: { matches: "^oops [0-9]+$", equals: "x" }
      within: 2s
  watcher:
    after: [server, client]
    run: [programs/watch]
    stdin: { channel: p }
    ready: { stdout: "ready on .*" }
    stop_signal: 9
    expect: { exit: nonzero, stdout: [{ contains: a }, { contains: [b, c] }] }
  last:
    run: [programs/last]
    ready: { delay: 200ms }
    expect: { exit: any }
  filewait:
    run: [programs/fw]
    ready: { file: /tmp/x }
faults:
  - process: server
    call: accept
    error: ECONNABORTED
    nth: 1
  - call: [read, recv]
    short: 1
    probability: 0.3
    channel: ctl
  - call: read
    delay: 10ms..50ms
    after: 2
    every: 3
    times: 4
    fd: any
    site: server.c:42
  - call: write
    error: ENOMEM
    force: true
  - call: write
    signal: SIGABRT
  - call: read
    eof:
expect:
  faults: fired
  leaks: any
)";

}  // namespace

TEST_CASE("A full scenario loads with every top-level field") {
  TempScenario file(kFull);
  auto r = load_scenario(file.path());
  INFO(all_diagnostics(r));
  REQUIRE(r.diagnostics.empty());
  REQUIRE(r.scenario);
  const auto& s = *r.scenario;
  CHECK(s.name == "full");
  CHECK(s.description == "Every field at once.");
  CHECK(s.timeout == 1500ms);
  CHECK(s.seed == 42u);
  CHECK(s.file == file.path());
  CHECK(s.dir == file.dir());
  CHECK(s.faults_expect == faultline::Scenario::FaultsExpect::fired);
  CHECK(s.leaks_expect == faultline::Scenario::LeaksExpect::any);
}

TEST_CASE("A full scenario loads its channels in file order with their options") {
  TempScenario file(kFull);
  auto r = load_scenario(file.path());
  INFO(all_diagnostics(r));
  REQUIRE(r.scenario);
  const auto& c = r.scenario->channels;
  REQUIRE(c.size() == 8);
  CHECK(c[0].name == "ctl");
  CHECK(c[0].type == ChannelType::unix_stream);
  CHECK(c[0].where.line == 6);
  CHECK(c[0].where.column == 3);
  CHECK(c[1].type == ChannelType::tcp);
  CHECK(c[4].type == ChannelType::shm);
  CHECK(c[4].size == 8192);
  CHECK(c[5].type == ChannelType::mmap);
  CHECK(c[5].backing == "file");
  CHECK(c[6].count == 3);
  CHECK(c[7].type == ChannelType::posix_mq);
  CHECK(c[7].size == 128);
  CHECK(c[7].count == 4);
}

TEST_CASE("A full scenario loads its processes in file order with every field") {
  TempScenario file(kFull);
  auto r = load_scenario(file.path());
  INFO(all_diagnostics(r));
  REQUIRE(r.scenario);
  const auto& ps = r.scenario->processes;
  REQUIRE(ps.size() == 5);
  CHECK(ps[0].name == "server");
  CHECK(ps[1].name == "client");
  CHECK(ps[2].name == "watcher");
  CHECK(ps[3].name == "last");
  CHECK(ps[4].name == "filewait");

  const auto& server = ps[0];
  CHECK(server.argv == std::vector<std::string>{"programs/echo_server", "--unix", "${ctl.path}"});
  CHECK_FALSE(server.shell);
  CHECK(server.lifetime == faultline::Lifetime::service);
  CHECK(server.ready.kind == faultline::Readiness::Kind::listening);
  CHECK(server.ready.value == "ctl");
  CHECK(server.stop_signal == SIGINT);
  CHECK(server.grace == 500ms);
  CHECK(server.env == std::map<std::string, std::string>{{"LEVEL", "3"}, {"MODE", "fast"}});
  CHECK(server.cwd == "/tmp");
  CHECK(server.expect.declared);
  REQUIRE(server.expect.exit);
  CHECK(server.expect.exit->kind == faultline::ExitExpectation::Kind::codes);
  CHECK(server.expect.exit->codes == std::vector<int>{0, 1});
  REQUIRE(server.expect.stderr_text.size() == 1);
  CHECK(server.expect.stderr_text[0].op == faultline::TextExpectation::Op::contains);
  CHECK(server.expect.stderr_text[0].value == "listening");
  CHECK(server.where.line == 15);

  const auto& client = ps[1];
  CHECK(client.after == std::vector<std::string>{"server"});
  CHECK(client.shell);
  CHECK(client.argv == std::vector<std::string>{"/bin/sh", "-c", "echo hello | cat"});
  CHECK(client.stdout_channel == "p");
  REQUIRE(client.fds.size() == 2);
  CHECK(client.fds[0].fd == 3);
  CHECK(client.fds[0].channel == "q");
  CHECK_FALSE(client.fds[0].write_end);
  CHECK(client.fds[1].fd == 4);
  CHECK(client.fds[1].write_end);
  CHECK(client.lifetime == faultline::Lifetime::task);
  CHECK(client.stop_signal == SIGTERM);
  CHECK(client.grace == 2s);
  CHECK(client.expect.signal == SIGSEGV);
  CHECK_FALSE(client.expect.exit);
  REQUIRE(client.expect.stderr_text.size() == 2);
  CHECK(client.expect.stderr_text[0].op == faultline::TextExpectation::Op::matches);
  CHECK(client.expect.stderr_text[0].value == "^oops [0-9]+$");
  CHECK(client.expect.stderr_text[1].op == faultline::TextExpectation::Op::equals);
  CHECK(client.expect.within == 2s);

  const auto& watcher = ps[2];
  CHECK(watcher.after == std::vector<std::string>{"server", "client"});
  CHECK(watcher.stdin_channel == "p");
  CHECK(watcher.ready.kind == faultline::Readiness::Kind::stdout_regex);
  CHECK(watcher.ready.value == "ready on .*");
  CHECK(watcher.stop_signal == SIGKILL);
  CHECK(watcher.expect.exit->kind == faultline::ExitExpectation::Kind::nonzero);
  REQUIRE(watcher.expect.stdout_text.size() == 3);
  CHECK(watcher.expect.stdout_text[2].value == "c");

  CHECK(ps[3].ready.kind == faultline::Readiness::Kind::delay);
  CHECK(ps[3].ready.delay == 200ms);
  CHECK(ps[3].expect.exit->kind == faultline::ExitExpectation::Kind::any);
  CHECK(ps[4].ready.kind == faultline::Readiness::Kind::file);
  CHECK(ps[4].ready.value == "/tmp/x");
  CHECK_FALSE(ps[4].expect.declared);
}

TEST_CASE("A full scenario loads its faults with actions, triggers and matches") {
  TempScenario file(kFull);
  auto r = load_scenario(file.path());
  INFO(all_diagnostics(r));
  REQUIRE(r.scenario);
  const auto& f = r.scenario->faults;
  REQUIRE(f.size() == 6);
  CHECK(f[0].to_string() == "server/accept:error=ECONNABORTED:nth=1");
  CHECK(f[0].where.line == 48);
  CHECK(f[0].where.column == 5);
  CHECK(f[1].calls == std::vector<std::string>{"read", "recv"});
  CHECK(f[1].to_string() == "read,recv:short=1:probability=0.3:channel=ctl");
  CHECK(f[2].delay_min == 10ms);
  CHECK(f[2].delay_max == 50ms);
  CHECK(f[2].to_string() ==
        "read:delay=10ms..50ms:after=2:every=3:times=4:fd=any:site=server.c:42");
  CHECK(f[3].force);
  CHECK(f[3].to_string() == "write:error=ENOMEM:force");
  CHECK(f[4].action == faultline::FaultAction::signal);
  CHECK(f[4].signal == SIGABRT);
  CHECK(f[5].action == faultline::FaultAction::eof);
}

TEST_CASE("A minimal scenario gets the documented defaults") {
  TempScenario file("scenario: tiny\nprocesses:\n  app: { run: [true] }\n");
  auto r = load_scenario(file.path());
  INFO(all_diagnostics(r));
  REQUIRE(r.scenario);
  CHECK(r.scenario->timeout == 30s);
  CHECK_FALSE(r.scenario->seed);
  CHECK(r.scenario->faults_expect == faultline::Scenario::FaultsExpect::fired);
  CHECK(r.scenario->leaks_expect == faultline::Scenario::LeaksExpect::none);
  REQUIRE(r.scenario->processes.size() == 1);
  CHECK(r.scenario->processes[0].ready.kind == faultline::Readiness::Kind::none);
}

TEST_CASE("A fault may be written in the command-line form as a list item") {
  TempScenario file(
      "scenario: t\nprocesses:\n  server: { run: [x] }\n"
      "faults:\n  - server/accept:error=EMFILE:nth=1\n  - call: read\n    eof:\n");
  auto r = load_scenario(file.path());
  INFO(all_diagnostics(r));
  REQUIRE(r.scenario);
  REQUIRE(r.scenario->faults.size() == 2);
  CHECK(r.scenario->faults[0].to_string() == "server/accept:error=EMFILE:nth=1");
  CHECK(r.scenario->faults[0].where.line == 5);
  CHECK(r.scenario->faults[1].to_string() == "read:eof");
}
