// The seccomp backend where pidfd_getfd(2) is refused, as in a container under Docker's or
// Podman's default seccomp profile without CAP_SYS_PTRACE: the whole runner runs under
// sc_no_pidfd_getfd, a real kernel filter that fails pidfd_getfd with EPERM. The listener
// hand-off must not need it, and the sockets must be classified through /proc instead, to
// the same verdicts and events as where it is allowed (each test runs both ways).
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support.h"

namespace fs = std::filesystem;
using faultline::test::CommandResult;
using faultline::test::NothingLeftBehind;
using faultline::test::TempScenario;
using nlohmann::json;

namespace {

std::string program(const char* name) {
  return (faultline::test::test_programs_dir() / name).string();
}

std::string showcase(const char* name) {
  return (faultline::test::scenarios_dir() / "programs" / name).string();
}

// faultline ARGS, under the refusal when `refused`; bounded by `timeout` so that a hand-off
// waiting for itself fails the test instead of hanging it (with -k: a runner blocked in the
// spawn of a child that waits for it defers SIGTERM for good; seen with the exemption for
// the child's own sendmsg taken out).
CommandResult faultline_where(bool refused, std::vector<std::string> args) {
  std::vector<std::string> argv{"timeout", "-k", "5", "60"};
  if (refused) argv.push_back(program("sc_no_pidfd_getfd"));
  argv.push_back(faultline::test::faultline_exe().string());
  argv.insert(argv.end(), args.begin(), args.end());
  return faultline::test::run_command(argv, {"NO_COLOR=1"});
}

json run_json(bool refused, const TempScenario& s, CommandResult& r) {
  fs::path out = s.dir() / "result.json";
  r = faultline_where(refused,
                      {"run", s.path().string(), "--json", out.string(), "--no-backtrace"});
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  REQUIRE(fs::exists(out));
  std::ifstream in(out);
  return json::parse(in)["scenarios"][0];
}

// The events of fault `index`, as "process call channel errno" lines (and the realism note,
// when there is one).
std::vector<std::string> events_of(const json& sc, int index) {
  auto text = [](const json& v, const char* none) {
    return v.is_string() ? v.get<std::string>() : std::string(none);
  };
  std::vector<std::string> out;
  for (const auto& e : sc["events"]) {
    if (e["rule"] != index) continue;
    out.push_back(e["process"].get<std::string>() + " " + e["call"].get<std::string>() + " " +
                  text(e["channel"], "-") + " " + text(e["errno"], "-") +
                  text(e["unrealistic"], ""));
  }
  return out;
}

}  // namespace

TEST_CASE("sc_no_pidfd_getfd refuses pidfd_getfd to what it runs", "[integration][seccomp]") {
  // The premise of every test below: what it runs gets EPERM from pidfd_getfd, as in Docker.
  CommandResult r = faultline::test::run_command(
      {program("sc_no_pidfd_getfd"), "python3", "-c",
       "import ctypes, os\n"
       "libc = ctypes.CDLL(None, use_errno=True)\n"
       "pidfd = os.pidfd_open(os.getpid())\n"
       "r = libc.syscall(438, pidfd, 0, 0)\n"
       "print('refused' if r < 0 and ctypes.get_errno() == 1 else 'allowed')\n"});
  INFO(r.err);
  CHECK(r.out == "refused\n");
}

TEST_CASE("Where pidfd_getfd is refused, a seccomp fault on a pipe fires as where it is allowed",
          "[integration][seccomp]") {
  NothingLeftBehind guard;
  const bool refused = GENERATE(false, true);
  INFO((refused ? "pidfd_getfd refused" : "pidfd_getfd allowed"));
  TempScenario s(
      "scenario: seccomp-pipe\ntimeout: 20s\nchannels: { p: { type: pipe } }\n"
      "processes:\n"
      "  writer:\n    run: [sh, -c, 'echo hello']\n    stdout: { channel: p }\n"
      "  reader:\n    run: [cat]\n    stdin: { channel: p }\n    backend: seccomp\n"
      "    expect: { exit: 1 }\n"
      "faults:\n  - { process: reader, call: read, channel: p, error: EIO, nth: 1 }\n");
  CommandResult r;
  json sc = run_json(refused, s, r);
  CHECK(sc["passed"] == true);
  CHECK(sc["faults"][0]["fired"] == 1);
  CHECK(events_of(sc, 0) == std::vector<std::string>{"reader read p EIO"});
}

TEST_CASE(
    "Where pidfd_getfd is refused, seccomp faults on a unix-stream channel fire on its sockets "
    "only, as where it is allowed",
    "[integration][seccomp]") {
  NothingLeftBehind guard;
  const bool refused = GENERATE(false, true);
  INFO((refused ? "pidfd_getfd refused" : "pidfd_getfd allowed"));
  // The server's accepted socket is bound to the channel's path; the client's has no path of
  // its own, only its peer's. `other` is a channel nobody uses: its faults must not fire.
  // Delays, so that each fires without changing what the programs do next.
  TempScenario s(
      "scenario: seccomp-unix\ntimeout: 20s\n"
      "channels: { ctl: { type: unix-stream }, other: { type: unix-stream } }\n"
      "processes:\n"
      "  server:\n    run: [" +
      showcase("echo_server") +
      ", '${ctl.path}']\n    lifetime: service\n"
      "    ready: { listening: ctl }\n    backend: seccomp\n"
      "  client:\n    after: [server]\n    run: [" +
      showcase("echo_client") +
      ", '${ctl.path}', '2', '2']\n    backend: seccomp\n"
      "    expect: { exit: 0, stdout: { contains: '2 ok' } }\n"
      "faults:\n"
      "  - { process: client, call: send, channel: ctl, delay: 1ms, nth: 3 }\n"
      "  - { process: server, call: write, channel: ctl, delay: 1ms, nth: 2 }\n"
      "  - { process: client, call: send, channel: other, delay: 1ms }\n"
      "  - { process: server, call: read, channel: other, delay: 1ms }\n"
      "expect: { faults: any }\n");
  CommandResult r;
  json sc = run_json(refused, s, r);
  INFO(sc.dump(1));
  CHECK(sc["passed"] == true);
  CHECK(events_of(sc, 0) == std::vector<std::string>{"client send ctl -"});
  CHECK(events_of(sc, 1) == std::vector<std::string>{"server write ctl -"});
  CHECK(sc["faults"][2]["fired"] == 0);
  CHECK(sc["faults"][3]["fired"] == 0);
}

TEST_CASE(
    "Where pidfd_getfd is refused, seccomp faults on a tcp channel fire on its sockets only, as "
    "where it is allowed",
    "[integration][seccomp]") {
  NothingLeftBehind guard;
  const bool refused = GENERATE(false, true);
  INFO((refused ? "pidfd_getfd refused" : "pidfd_getfd allowed"));
  // The server's accepted socket has the channel's port as its own; the client's as its
  // peer's. Delays, so that each fires without changing what the programs do next.
  TempScenario s(
      "scenario: seccomp-tcp\ntimeout: 20s\n"
      "channels: { t: { type: tcp }, other: { type: tcp } }\n"
      "processes:\n"
      "  server:\n    run: [" +
      showcase("tcp_echo_server") +
      ", '${t.port}']\n    lifetime: service\n"
      "    ready: { listening: t }\n    backend: seccomp\n"
      "  client:\n    after: [server]\n    backend: seccomp\n"
      "    run: [python3, -c, \"import socket, sys\\n"
      "s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))\\n"
      "s.sendall(b'hi')\\n"
      "print(s.recv(2).decode())\\n\", '${t.port}']\n"
      "    expect: { exit: 0, stdout: { contains: hi } }\n"
      "faults:\n"
      "  - { process: client, call: send, channel: t, delay: 1ms, nth: 1 }\n"
      "  - { process: server, call: read, channel: t, delay: 1ms, nth: 1 }\n"
      "  - { process: client, call: send, channel: other, delay: 1ms }\n"
      "  - { process: server, call: write, channel: other, delay: 1ms }\n"
      "expect: { faults: any }\n");
  CommandResult r;
  json sc = run_json(refused, s, r);
  INFO(sc.dump(1));
  CHECK(sc["passed"] == true);
  CHECK(events_of(sc, 0) == std::vector<std::string>{"client send t -"});
  CHECK(events_of(sc, 1) == std::vector<std::string>{"server read t -"});
  CHECK(sc["faults"][2]["fired"] == 0);
  CHECK(sc["faults"][3]["fired"] == 0);
}

TEST_CASE(
    "Where pidfd_getfd is refused, a seccomp rule on sendmsg fires on the program's sendmsg and "
    "not on the hand-off's",
    "[integration][seccomp]") {
  NothingLeftBehind guard;
  const bool refused = GENERATE(false, true);
  INFO((refused ? "pidfd_getfd refused" : "pidfd_getfd allowed"));
  // The hand-off's own sendmsg happens under the filter that notifies sendmsg; were it
  // notified, it would wait for a runner that cannot have the listener yet (timeout's 60 s).
  CommandResult r = faultline_where(refused, {"exec", "--backend", "seccomp", "--fault",
                                              "sendmsg:error=ENOBUFS:nth=2", "--", "python3", "-c",
                                              "import socket\n"
                                              "a, b = socket.socketpair()\n"
                                              "for i in range(3):\n"
                                              "  try:\n"
                                              "    a.sendmsg([b'x']); print('sent')\n"
                                              "  except OSError as e:\n"
                                              "    print(e.strerror)\n"});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out == "sent\nNo buffer space available\nsent\n");
  CHECK(r.err.find("sendmsg:error=ENOBUFS:nth=2 fired 1 of 3 calls") != std::string::npos);
}
