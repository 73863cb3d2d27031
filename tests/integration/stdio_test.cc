// The standard fds of a process under faultline are what they would be where it really runs:
// read-write (a terminal, systemd's journal socket), reopenable through /dev/stderr, not a
// terminal unless `stdio: pty` asks for one, and never a target of the default fd class.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include <fmt/format.h>

#include "run_json.h"
#include "support.h"

namespace fs = std::filesystem;
using faultline::test::NothingLeftBehind;
using faultline::test::run_faultline;
using faultline::test::run_json;
using faultline::test::TempScenario;
using nlohmann::json;

namespace {

std::string probe() { return (faultline::test::test_programs_dir() / "stdio_probe").string(); }

}  // namespace

TEST_CASE("perror as the first output keeps errno, as on a terminal", "[integration][stdio]") {
  NothingLeftBehind guard;
  TempScenario s(fmt::format(R"y(scenario: perror-keeps-errno
processes:
  logger: {{ run: [{}, perror] }}
)y",
                             probe()));
  faultline::test::CommandResult r;
  json result = run_json(s, r);
  INFO(r.out << r.err);
  const json& p = result["processes"][0];
  CHECK(p["stdout"] == "errno after perror: EMFILE\n");
  CHECK(p["stderr"] == "accept: Too many open files\n");
  CHECK(r.exit_code == 0);
}

TEST_CASE("reopening /dev/stderr or /proc/self/fd/2 for writing loses and truncates nothing",
          "[integration][stdio]") {
  NothingLeftBehind guard;
  TempScenario s(fmt::format(R"y(scenario: reopen-stderr
processes:
  reopener: {{ run: [{}, reopen] }}
  shell: {{ run: 'echo one >&2; echo x > /dev/stderr; echo y >> /dev/stdout; echo two >&2' }}
)y",
                             probe()));
  faultline::test::CommandResult r;
  json result = run_json(s, r);
  INFO(r.out << r.err);
  const json& procs = result["processes"];
  CHECK(procs[0]["stderr"] == "before\nreopened\nafter\n");
  CHECK(procs[0]["stdout"] == "");
  CHECK(procs[1]["stderr"] == "one\nx\ntwo\n");
  CHECK(procs[1]["stdout"] == "y\n");
  CHECK(r.exit_code == 0);
}

TEST_CASE("a write rule of the default fd class never fires on a program's own logging",
          "[integration][stdio]") {
  auto backend = GENERATE(as<std::string>{}, "preload", "seccomp");
  auto fd_class = GENERATE(as<std::string>{}, "", ":fd=any");
  NothingLeftBehind guard;
  TempScenario s(fmt::format(R"y(scenario: logging-is-not-ipc
processes:
  logger: {{ run: [{}, log], backend: {} }}
faults: [ "logger/write:error=EIO{}" ]
)y",
                             probe(), backend, fd_class));
  faultline::test::CommandResult r;
  const json sc = run_json(s, r);
  INFO(backend << fd_class << "\n" << r.out << r.err);
  if (fd_class.empty()) {
    CHECK(sc["faults"][0]["hits"] == 0);
    CHECK(sc["faults"][0]["fired"] == 0);
    CHECK(sc["processes"][0]["stdout"] == "to stdout\nto stdout\nto stdout\n");
    CHECK(sc["processes"][0]["exit_code"] == 0);
    // A fault that never fires fails the scenario, and says the program's writes were not IPC.
    CHECK(r.exit_code == 1);
    CHECK_THAT(sc["violations"][0]["message"].get<std::string>(),
               Catch::Contains("none on an ipc fd"));
  } else {
    CHECK(sc["faults"][0]["fired"].get<int>() > 0);
    CHECK(sc["processes"][0]["exit_code"] == 1);
    CHECK(r.exit_code == 1);
  }
}

TEST_CASE("a process that drops privileges still writes to its captured stdout and stderr",
          "[integration][stdio]") {
  NothingLeftBehind guard;
  TempScenario s(R"y(scenario: drop-privileges
processes:
  dropper:
    run: [setpriv, --reuid=nobody, --regid=nogroup, --clear-groups, sh, -c, "id -un; echo err >&2"]
)y");
  faultline::test::CommandResult r;
  json result = run_json(s, r);
  INFO(r.out << r.err);
  const json& p = result["processes"][0];
  CHECK(p["stdout"] == "nobody\n");
  // (Ends with: the interposer may say on stderr that it could not attach after the drop.)
  CHECK_THAT(p["stderr"].get<std::string>(), Catch::EndsWith("err\n"));
  CHECK(r.exit_code == 0);
}

TEST_CASE("stdio: pty makes fd 1 and 2 a terminal; by default none is", "[integration][stdio]") {
  auto pty = GENERATE(false, true);
  NothingLeftBehind guard;
  TempScenario s(fmt::format(R"y(scenario: terminal-or-not
processes:
  asker: {{ run: [{}, isatty]{} }}
)y",
                             probe(), pty ? ", stdio: pty" : ""));
  faultline::test::CommandResult r;
  json result = run_json(s, r);
  INFO(r.out << r.err);
  const json& p = result["processes"][0];
  CHECK(p["stdout"] ==
        (pty ? "isatty0=0 isatty1=1 isatty2=1\n" : "isatty0=0 isatty1=0 isatty2=0\n"));
  CHECK(r.exit_code == 0);
}

TEST_CASE("Live output (-v) shows a process's lines through the read-write capture",
          "[integration][stdio]") {
  NothingLeftBehind guard;
  TempScenario s(fmt::format(R"y(scenario: live
processes:
  logger: {{ run: [{}, log] }}
)y",
                             probe()));
  auto r = run_faultline({"run", "-v", s.path().string()});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.err.find("[logger] to stdout") != std::string::npos);
  CHECK(r.err.find("[logger!] to stderr") != std::string::npos);
}

namespace {

// A memcached text-protocol client: asks for the version, waits at most 3 s for the answer.
constexpr const char* kMemcachedClient = R"py(
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(3)
try:
    s.connect(sys.argv[1])
    s.sendall(b"version\r\n")
    print(s.recv(100).decode().strip())
except (socket.timeout, TimeoutError):
    print("no answer in 3 s")
    sys.exit(1)
except BlockingIOError:  # connect() with a timeout, on a full backlog
    print("not accepted: the backlog is full")
    sys.exit(1)
)py";

std::string yaml_quoted(const std::string& text) { return json(text).dump(); }

}  // namespace

TEST_CASE("memcached that stops accepting after EMFILE is caught, as it fails in deployment",
          "[integration][stdio][memcached]") {
  if (!fs::exists("/usr/bin/memcached")) FAIL("memcached is not installed; ci/setup installs it");
  NothingLeftBehind guard;
  // memcached's accept path: perror("accept4()"), then `if (errno == EMFILE)` stops accepting
  // until a connection closes (there is none). With a write-only stderr perror() turned errno
  // into EINVAL and memcached went on accepting: the defect was hidden.
  TempScenario s(fmt::format(R"y(scenario: memcached-accept-emfile
timeout: 20s
channels: {{ mc: {{ type: unix-stream }} }}
processes:
  memcached:
    run: [memcached, -u, root, -s, "${{mc.path}}"]
    lifetime: service
    ready: {{ listening: mc }}
  first:
    run: [python3, -c, {0}, "${{mc.path}}"]
    after: [memcached]
  second:
    run: [python3, -c, {0}, "${{mc.path}}"]
    after: [first]
faults: [ "memcached/accept4:error=EMFILE:nth=1" ]
)y",
                             yaml_quoted(kMemcachedClient)));
  faultline::test::CommandResult r;
  const json sc = run_json(s, r);
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  CHECK(sc["faults"][0]["fired"] == 1);
  const json& procs = sc["processes"];
  // memcached saw EMFILE (perror says so) and kept running, but accepted nobody since.
  CHECK(procs[0]["stderr"].get<std::string>().find("accept4(): Too many open files") !=
        std::string::npos);
  CHECK(procs[0]["stopped_by_runner"] == true);
  CHECK(procs[1]["stdout"] == "no answer in 3 s\n");
  CHECK(procs[1]["exit_code"] == 1);
  // The second finds the backlog full of the first's connection, or waits as long.
  CHECK_THAT(
      procs[2]["stdout"].get<std::string>(),
      Catch::Equals("no answer in 3 s\n") || Catch::Equals("not accepted: the backlog is full\n"));
  CHECK(procs[2]["exit_code"] == 1);
}

TEST_CASE("ready: stderr waits for a real program's readiness line on stderr",
          "[integration][stdio][memcached]") {
  if (!fs::exists("/usr/bin/memcached")) FAIL("memcached is not installed; ci/setup installs it");
  NothingLeftBehind guard;
  // memcached -vv says "<N server listening (auto-negotiate)" on stderr once it listens.
  TempScenario s(fmt::format(R"y(scenario: memcached-ready-on-stderr
timeout: 20s
channels: {{ mc: {{ type: unix-stream }} }}
processes:
  memcached:
    run: [memcached, -u, root, -vv, -s, "${{mc.path}}"]
    lifetime: service
    ready: {{ stderr: "server listening" }}
  client:
    run: [python3, -c, {0}, "${{mc.path}}"]
    after: [memcached]
    expect: {{ stdout: {{ matches: "^VERSION [0-9.]+" }} }}
)y",
                             yaml_quoted(kMemcachedClient)));
  faultline::test::CommandResult r;
  json result = run_json(s, r);
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  const json& procs = result["processes"];
  CHECK(procs[0]["stderr"].get<std::string>().find("server listening") != std::string::npos);
}

TEST_CASE("ready: stderr does not match what the process writes to stdout",
          "[integration][stdio]") {
  NothingLeftBehind guard;
  // The line is on stdout only: the client must not start, the service never becomes ready.
  TempScenario s(R"y(scenario: stderr-not-stdout
timeout: 1s
processes:
  server:
    run: 'echo ready; exec sleep 100'
    lifetime: service
    ready: { stderr: "ready" }
  client: { run: ["true"], after: [server] }
)y");
  faultline::test::CommandResult r;
  json result = run_json(s, r);
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  const json& procs = result["processes"];
  CHECK(procs[1]["started"] == false);
}
