// supervise(): exit states, output capture, `after` order and every readiness kind.
#include "processes/supervisor.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <sstream>

#include "process_test_support.h"
#include "support.h"
#include "util/unique_fd.h"

namespace faultline::test {
namespace {

using namespace std::chrono_literals;

SupervisorOptions quick_options() {
  SupervisorOptions o;
  o.timeout = 20s;
  o.backtraces = false;
  return o;
}

TEST_CASE("A task's exit code, stdout and stderr are recorded", "[processes]") {
  NothingLeftBehind guard;
  RunnerSignalMask mask;
  auto r = supervise({shell("t", "echo out; echo err >&2; exit 3")}, quick_options());
  const ProcessOutcome& o = r.processes.at(0);
  CHECK(o.name == "t");
  CHECK(o.started);
  CHECK(o.pid > 0);
  CHECK(o.exited);
  CHECK(o.exit_code == 3);
  CHECK(o.term_signal == 0);
  CHECK(o.stdout_text == "out\n");
  CHECK(o.stderr_text == "err\n");
  CHECK(o.duration > 0ns);
  CHECK_FALSE(r.timed_out);
  CHECK(r.interrupted_by == 0);
  check_no_children_left();
}

TEST_CASE("A task killed by a signal is recorded with that signal", "[processes]") {
  NothingLeftBehind guard;
  RunnerSignalMask mask;
  auto r = supervise({shell("t", "kill -SEGV $$")}, quick_options());
  CHECK_FALSE(r.processes[0].exited);
  CHECK(r.processes[0].term_signal == SIGSEGV);
  check_no_children_left();
}

TEST_CASE("Live output prefixes each line with the process name", "[processes]") {
  NothingLeftBehind guard;
  RunnerSignalMask mask;
  std::ostringstream live;
  SupervisorOptions options = quick_options();
  options.live_output = &live;
  auto r = supervise({shell("p", "echo one; echo two >&2; printf three")}, options);
  CHECK(live.str().find("[p] one\n") != std::string::npos);
  CHECK(live.str().find("[p!] two\n") != std::string::npos);
  CHECK(live.str().find("[p] three\n") != std::string::npos);
  CHECK(r.processes[0].stdout_text == "one\nthree");
}

TEST_CASE("A task after a task starts once the first one has exited", "[processes]") {
  NothingLeftBehind guard;
  RunnerSignalMask mask;
  TempDir dir;
  auto writer = shell("writer", "sleep 0.1; echo data > " + (dir / "f"));
  auto reader = shell("reader", "cat " + (dir / "f"));
  reader.after = {"writer"};
  auto r = supervise({reader, writer}, quick_options());
  CHECK(r.processes[1].ready);
  CHECK(r.processes[0].exit_code == 0);
  CHECK(r.processes[0].stdout_text == "data\n");
  check_no_children_left();
}

TEST_CASE("A process after a stdout-ready service starts once the regex matched", "[processes]") {
  NothingLeftBehind guard;
  RunnerSignalMask mask;
  TempDir dir;
  // The marker is made just before the line: a client started earlier would not find it.
  auto server = shell(
      "server", "sleep 0.2; touch " + (dir / "m") + "; echo 'listening on 42'; exec sleep 100",
      Lifetime::service);
  server.ready = {Readiness::Kind::stdout_regex, "listening on [0-9]+", {}};
  auto client = shell("client", "test -e " + (dir / "m"));
  client.after = {"server"};
  auto r = supervise({server, client}, quick_options());
  CHECK(r.processes[0].ready);
  CHECK(r.processes[1].started);
  CHECK(r.processes[1].exit_code == 0);
  CHECK(r.processes[0].stopped_by_runner);
  CHECK(r.processes[0].term_signal == SIGTERM);
  check_no_children_left();
}

TEST_CASE("A stdout regex matches a prompt that has no newline yet", "[processes]") {
  NothingLeftBehind guard;
  RunnerSignalMask mask;
  auto server = shell("server", "printf 'ready> '; exec sleep 100", Lifetime::service);
  server.ready = {Readiness::Kind::stdout_regex, "ready>", {}};
  auto client = shell("client", "true");
  client.after = {"server"};
  auto r = supervise({server, client}, quick_options());
  CHECK(r.processes[1].started);
  CHECK(r.processes[0].stdout_text == "ready> ");
}

TEST_CASE("A process after a file-ready service starts once the file exists", "[processes]") {
  NothingLeftBehind guard;
  RunnerSignalMask mask;
  TempDir dir;
  auto server = shell("server", "sleep 0.2; touch " + (dir / "ready") + "; exec sleep 100",
                      Lifetime::service);
  server.ready = {Readiness::Kind::file, dir / "ready", {}};
  auto client = shell("client", "test -e " + (dir / "ready"));
  client.after = {"server"};
  auto r = supervise({server, client}, quick_options());
  CHECK(r.processes[0].ready);
  CHECK(r.processes[1].exit_code == 0);
  check_no_children_left();
}

TEST_CASE("File readiness works when the file's folder does not exist yet", "[processes]") {
  NothingLeftBehind guard;
  RunnerSignalMask mask;
  TempDir dir;
  auto server = shell(
      "server",
      "sleep 0.2; mkdir " + (dir / "sub") + "; touch " + (dir / "sub/ready") + "; exec sleep 100",
      Lifetime::service);
  server.ready = {Readiness::Kind::file, dir / "sub/ready", {}};
  auto client = shell("client", "test -e " + (dir / "sub/ready"));
  client.after = {"server"};
  auto r = supervise({server, client}, quick_options());
  CHECK(r.processes[1].exit_code == 0);
}

TEST_CASE("A process after a delay-ready service starts that long after it", "[processes]") {
  NothingLeftBehind guard;
  RunnerSignalMask mask;
  auto server = shell("server", "exec sleep 100", Lifetime::service);
  server.ready = {Readiness::Kind::delay, "", 300ms};
  auto client = shell("client", "exit 0");
  client.after = {"server"};
  auto r = supervise({server, client}, quick_options());
  REQUIRE(r.processes[1].exit_code == 0);
  // The times the supervisor spawned them (each shell's own clock would add its start-up
  // latency, tens of milliseconds on a loaded machine).
  const auto apart = r.processes[1].started_at - r.processes[0].started_at;
  CHECK(apart >= 300ms);
  CHECK(apart < 5s);
  CHECK(r.processes[1].started_at >= r.processes[0].ready_at);
}

TEST_CASE("A process after a listening service starts once the probe succeeds", "[processes]") {
  NothingLeftBehind guard;
  RunnerSignalMask mask;
  TempDir dir;
  const std::string sock = dir / "s.sock";
  auto server = plan("server",
                     {"/usr/bin/python3", "-c",
                      "import socket, sys, time\n"
                      "time.sleep(0.2)\n"
                      "s = socket.socket(socket.AF_UNIX)\n"
                      "s.bind(sys.argv[1])\n"
                      "s.listen()\n"
                      "time.sleep(100)\n",
                      sock},
                     Lifetime::service);
  server.ready = {Readiness::Kind::listening, "ctl", {}};
  int probes = 0;
  server.listening_probe = [&] {
    ++probes;
    UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, sock.c_str(), sizeof addr.sun_path - 1);
    return connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  };
  auto client = plan("client", {"/usr/bin/python3", "-c",
                                "import socket, sys\n"
                                "s = socket.socket(socket.AF_UNIX)\n"
                                "s.connect(sys.argv[1])\n",
                                sock});
  client.after = {"server"};
  auto r = supervise({server, client}, quick_options());
  CHECK(r.processes[0].ready);
  CHECK(r.processes[1].exit_code == 0);
  CHECK(probes > 1);
  check_no_children_left();
}

TEST_CASE("A dependant of a service that died before it was ready is not started", "[processes]") {
  NothingLeftBehind guard;
  RunnerSignalMask mask;
  auto server = shell("server", "exit 4", Lifetime::service);
  server.ready = {Readiness::Kind::stdout_regex, "never printed", {}};
  auto client = shell("client", "true");
  client.after = {"server"};
  auto report = shell("report", "true");
  report.after = {"client"};
  auto r = supervise({server, client, report}, quick_options());
  CHECK(r.processes[0].exit_code == 4);
  CHECK_FALSE(r.processes[0].ready);
  CHECK_FALSE(r.processes[1].started);
  CHECK(r.processes[1].not_started_reason == "server exited with code 4 before it was ready");
  CHECK_FALSE(r.processes[2].started);
  CHECK(r.processes[2].not_started_reason == "client was not started");
  check_no_children_left();
}

TEST_CASE("A program that cannot be executed is not started, with the errno text", "[processes]") {
  NothingLeftBehind guard;
  RunnerSignalMask mask;
  auto missing = plan("missing", {"/nonexistent/program"});
  auto after = shell("after", "true");
  after.after = {"missing"};
  auto r = supervise({missing, after}, quick_options());
  CHECK_FALSE(r.processes[0].started);
  CHECK(r.processes[0].not_started_reason.find("/nonexistent/program") != std::string::npos);
  CHECK(r.processes[0].not_started_reason.find("No such file or directory") != std::string::npos);
  CHECK_FALSE(r.processes[1].started);
  CHECK(r.processes[1].not_started_reason == "missing was not started");
  check_no_children_left();
}

TEST_CASE("Plans that wait for each other in a cycle are not started", "[processes]") {
  NothingLeftBehind guard;
  RunnerSignalMask mask;
  auto a = shell("a", "true");
  a.after = {"b"};
  auto b = shell("b", "true");
  b.after = {"a"};
  auto r = supervise({a, b}, quick_options());
  CHECK_FALSE(r.processes[0].started);
  CHECK(r.processes[0].not_started_reason.find("cycle") != std::string::npos);
  CHECK_FALSE(r.processes[1].started);
}

}  // namespace
}  // namespace faultline::test
