// End-to-end tests of the runner through the faultline CLI: every channel type, hung
// processes, daemons, an interrupted or killed runner, bad input.
#include <signal.h>
#include <sys/stat.h>

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

std::string probe() { return (faultline::test::test_programs_dir() / "channel_probe").string(); }

bool alive(long pid) {
  // A zombie is not alive for us: it has run its course and only waits for a reaper.
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  auto close = line.rfind(')');
  return close != std::string::npos && line.size() > close + 2 && line[close + 2] != 'Z';
}

long field_after(const std::string& text, const std::string& key) {
  auto pos = text.find(key);
  if (pos == std::string::npos) return -1;
  return std::stol(text.substr(pos + key.size()));
}

struct ChannelCase {
  const char* type;
  std::string yaml;  // channels + processes
};

}  // namespace

TEST_CASE("every channel type is provisioned, visible to its processes and removed after the run",
          "[integration][channels]") {
  const std::string p = probe();
  auto channel_case = GENERATE_COPY(values<ChannelCase>({
      {"pipe", R"y(channels: { c: { type: pipe } }
processes:
  writer: { run: [echo, hello through a pipe], stdout: { channel: c } }
  reader: { run: [cat], stdin: { channel: c }, expect: { stdout: { equals: "hello through a pipe\n" } } }
)y"},
      {"fifo", fmt::format(R"y(channels: {{ c: {{ type: fifo }} }}
processes:
  user: {{ run: '[ "$FAULTLINE_CH_C_PATH" = "${{c.path}}" ] && [ -p "${{c.path}}" ] && {} fifo ${{c.path}}' }}
)y",
                           p)},
      {"msgqueue", fmt::format(R"y(channels: {{ c: {{ type: msgqueue }} }}
processes:
  user: {{ run: [{}, msgqueue, "${{c.key}}", "${{c.id}}"], expect: {{ stdout: {{ contains: ok }} }} }}
)y",
                               p)},
      {"posix-mq", fmt::format(R"y(channels: {{ c: {{ type: posix-mq }} }}
processes:
  user: {{ run: [{}, posix-mq, "${{c.name}}"], expect: {{ stdout: {{ contains: ok }} }} }}
)y",
                               p)},
      {"shm", fmt::format(R"y(channels: {{ c: {{ type: shm, size: 8192 }} }}
processes:
  user: {{ run: [{}, shm, "${{c.key}}", "${{c.id}}", "${{c.size}}"], expect: {{ stdout: {{ contains: ok }} }} }}
)y",
                          p)},
      {"mmap",
       fmt::format(
           R"y(channels: {{ c: {{ type: mmap, size: 4096 }}, f: {{ type: mmap, backing: file, size: 100 }} }}
processes:
  user: {{ run: [{}, mmap-shm, "${{c.name}}", "${{c.size}}"], expect: {{ stdout: {{ contains: ok }} }} }}
  file_user: {{ run: [{}, mmap-file, "${{f.path}}", "${{f.size}}"], expect: {{ stdout: {{ contains: ok }} }} }}
)y",
           p, p)},
      {"semaphore", fmt::format(R"y(channels: {{ c: {{ type: semaphore, count: 3 }} }}
processes:
  user: {{ run: [{}, semaphore, "${{c.key}}", "${{c.id}}", "${{c.count}}"], expect: {{ stdout: {{ contains: ok }} }} }}
)y",
                                p)},
      {"unix-stream", R"y(channels: { c: { type: unix-stream } }
processes:
  server: { run: [socat, "UNIX-LISTEN:${c.path}", "EXEC:cat"], lifetime: service, ready: { listening: c }, expect: { exit: any } }
  client: { run: 'echo ping | socat - "UNIX-CONNECT:${c.path}"', after: [server], expect: { stdout: { equals: "ping\n" } } }
)y"},
      {"unix-dgram", R"y(channels: { c: { type: unix-dgram } }
processes:
  server:
    run: [python3, -c, "import socket,sys; s=socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1]); print(s.recv(64).decode())", "${c.path}"]
    ready: { listening: c }
    expect: { stdout: { equals: "datagram\n" } }
  client:
    run: [python3, -c, "import socket,sys; socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b'datagram', sys.argv[1])", "${c.path}"]
    after: [server]
)y"},
      {"tcp", R"y(channels: { c: { type: tcp } }
processes:
  server: { run: [socat, "TCP-LISTEN:${c.port},bind=${c.host},reuseaddr", "EXEC:cat"], lifetime: service, ready: { listening: c }, expect: { exit: any } }
  client: { run: 'echo ping | socat - "TCP:${c.host}:$FAULTLINE_CH_C_PORT"', after: [server], expect: { stdout: { equals: "ping\n" } } }
)y"},
      {"udp", R"y(channels: { c: { type: udp } }
processes:
  server:
    run: [python3, -c, "import socket,sys; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((sys.argv[1], int(sys.argv[2]))); print(s.recv(64).decode())", "${c.host}", "${c.port}"]
    ready: { listening: c }
    expect: { stdout: { equals: "datagram\n" } }
  client:
    run: [python3, -c, "import socket,sys; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'datagram', (sys.argv[1], int(sys.argv[2])))", "${c.host}", "${c.port}"]
    after: [server]
)y"},
  }));
  INFO("channel type " << channel_case.type);
  NothingLeftBehind guard;
  TempScenario s("scenario: channel-" + std::string(channel_case.type) + "\ntimeout: 20s\n" +
                 channel_case.yaml);
  faultline::test::CommandResult r;
  json result = run_json(s, r);
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  CHECK(r.exit_code == 0);
  CHECK(result["passed"] == true);
  CHECK(result["violations"].empty());
}

// Debian's socat catches SIGTERM and exits 143 (128 + 15), as a shell reports a process
// that SIGTERM ended: a relay stopped at the end of the run is a clean stop, not a failure.
TEST_CASE("a socat relay service that exits 143 on its stop signal passes without an expect",
          "[integration][processes]") {
  NothingLeftBehind guard;
  TempScenario s(R"y(scenario: socat-relay
timeout: 20s
channels: { back: { type: unix-stream }, front: { type: tcp } }
processes:
  echo: { run: [socat, "UNIX-LISTEN:${back.path},fork", "EXEC:cat"], lifetime: service, ready: { listening: back } }
  relay:
    run: [socat, "TCP-LISTEN:${front.port},bind=${front.host},reuseaddr,fork", "UNIX-CONNECT:${back.path}"]
    lifetime: service
    after: [echo]
    ready: { listening: front }
  client: { run: 'echo ping | socat - "TCP:${front.host}:${front.port}"', after: [relay], expect: { stdout: { equals: "ping\n" } } }
)y");
  faultline::test::CommandResult r;
  json result = run_json(s, r);
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  CHECK(r.exit_code == 0);
  CHECK(result["violations"].empty());
  bool saw_143 = false;
  for (const auto& p : result["processes"])
    if (p["name"] != "client" && p["exit_code"] == 143) saw_143 = true;
  CHECK(saw_143);  // the case this test is for did happen
}

TEST_CASE("a hung process fails the scenario at its timeout with what it was blocked in",
          "[integration][timeout]") {
  NothingLeftBehind guard;
  TempScenario s(R"y(scenario: hung-reader
timeout: 1s
channels: { p: { type: pipe } }
processes:
  writer: { run: [sleep, "1000"], stdout: { channel: p } }
  reader: { run: [cat], stdin: { channel: p } }
)y");
  faultline::test::CommandResult r;
  const json sc = run_json(s, r);
  CHECK(r.exit_code == 1);
  CHECK(sc["timed_out"] == true);
  REQUIRE(!sc["violations"].empty());
  CHECK(sc["violations"][0]["kind"] == "timeout");
  CHECK(r.out.find("scenario timed out after 1s") != std::string::npos);
  const json& reader = sc["processes"][1];
  CHECK(reader["killed_at_timeout"] == true);
  REQUIRE(reader.contains("at_timeout"));
  CHECK(reader["at_timeout"][0]["syscall"].get<std::string>().rfind("read(", 0) == 0);
  // "pipe_read", or "anon_pipe_read" on newer kernels.
  CHECK(reader["at_timeout"][0]["wchan"].get<std::string>().find("pipe_read") != std::string::npos);
  const json& writer = sc["processes"][0];
  REQUIRE(writer.contains("at_timeout"));
  CHECK(writer["at_timeout"][0]["syscall"].get<std::string>().find("nanosleep") !=
        std::string::npos);
}

TEST_CASE("a hung process gets a gdb backtrace in the report when gdb is installed",
          "[integration][timeout]") {
  if (faultline::test::run_command({"sh", "-c", "command -v gdb"}).exit_code != 0) {
    WARN("gdb is not installed: skipped");
    return;
  }
  NothingLeftBehind guard;
  TempScenario s(
      "scenario: hung-sleeper\ntimeout: 500ms\nprocesses:\n  sleeper: { run: [sleep, \"1000\"] "
      "}\n");
  auto r = run_faultline({"run", s.path().string()});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("#0") != std::string::npos);
  CHECK(r.out.find("nanosleep") != std::string::npos);
}

TEST_CASE("a process that forks daemons leaves no process behind", "[integration][processes]") {
  NothingLeftBehind guard;
  TempScenario s(R"y(scenario: daemonizer
timeout: 10s
processes:
  launcher:
    run: 'setsid sleep 1000 & echo daemon=$!; sh -c "sleep 999 & echo grandchild=\$!"; exit 0'
)y");
  faultline::test::CommandResult r;
  const json sc = run_json(s, r);
  std::string out = sc["processes"][0]["stdout"];
  long daemon = field_after(out, "daemon=");
  long grandchild = field_after(out, "grandchild=");
  REQUIRE(daemon > 0);
  REQUIRE(grandchild > 0);
  CHECK(!alive(daemon));
  CHECK(!alive(grandchild));
  CHECK(r.exit_code == 0);
  CHECK(sc["notes"].dump().find("killed at the end") != std::string::npos);
}

TEST_CASE("SIGTERM to the runner mid-run stops every process and removes every channel",
          "[integration][signals]") {
  auto sig = GENERATE(SIGTERM, SIGINT);
  NothingLeftBehind guard;
  TempScenario s(fmt::format(R"y(scenario: interrupted
timeout: 30s
channels: {{ seg: {{ type: shm }}, q: {{ type: msgqueue }}, f: {{ type: fifo }}, s: {{ type: semaphore }} }}
processes:
  service: {{ run: [sleep, "1000"], lifetime: service }}
  killer: {{ run: 'echo runner=$PPID; kill -{} $PPID; exec sleep 1000', after: [service] }}
)y",
                             sig == SIGTERM ? "TERM" : "INT"));
  faultline::test::CommandResult r;
  const json sc = run_json(s, r);
  CHECK(r.exit_code == 128 + sig);
  CHECK(sc["interrupted"] == true);
  for (const auto& p : sc["processes"]) CHECK(!alive(p["pid"].get<long>()));
}

TEST_CASE("faultline gc removes what a SIGKILLed runner left behind", "[integration][signals]") {
  NothingLeftBehind guard;
  TempScenario s(R"y(scenario: killed-runner
channels: { seg: { type: shm }, q: { type: msgqueue }, f: { type: fifo }, m: { type: posix-mq } }
processes:
  killer: { run: 'kill -KILL $PPID' }
)y");
  auto before = faultline::test::snapshot_leftovers();
  auto r = run_faultline({"run", s.path().string()});
  CHECK(r.term_signal == SIGKILL);
  // The runner had no chance to clean up: its objects are still there ...
  CHECK(!faultline::test::new_leftovers(before, faultline::test::snapshot_leftovers()).empty());
  auto gc = run_faultline({"gc"});
  INFO(gc.out << gc.err);
  CHECK(gc.exit_code == 0);
  CHECK(gc.out.find("removed") != std::string::npos);
  // ... and gc removed them all (the guard checks it).
}

TEST_CASE("a bad scenario file is reported as file:line:column with every error, exit 2",
          "[integration][dsl]") {
  TempScenario s("scenario: bad\ntimeout: 10 parsecs\nproceses:\n  a: { run: [true] }\n");
  for (const char* cmd : {"check", "run"}) {
    auto r = run_faultline({cmd, s.path().string()});
    INFO(cmd << "\n" << r.out << r.err);
    CHECK(r.exit_code == 2);
    CHECK(r.err.find(s.path().string() + ":2:10: error:") != std::string::npos);
    CHECK(r.err.find(s.path().string() + ":3:1: error:") != std::string::npos);
    CHECK(r.err.find("did you mean 'processes'") != std::string::npos);
  }
}

TEST_CASE("a program that does not exist is an input error, exit 2", "[integration][dsl]") {
  NothingLeftBehind guard;
  TempScenario s("scenario: missing\nprocesses:\n  a: { run: [./no-such-program] }\n");
  auto r = run_faultline({"run", s.path().string()});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("program './no-such-program' not found") != std::string::npos);
}

TEST_CASE("a fault given with --fault is injected and counted in the result",
          "[integration][faults]") {
  NothingLeftBehind guard;
  TempScenario s(R"y(scenario: pipe-cat
channels: { p: { type: pipe } }
processes:
  writer: { run: [echo, hello], stdout: { channel: p } }
  reader: { run: [cat], stdin: { channel: p } }
)y");
  faultline::test::CommandResult r;
  const json sc = run_json(s, r, {"--fault", "reader/read:error=EIO:nth=1"});
  CHECK(r.exit_code == 1);
  REQUIRE(sc["faults"].size() == 1);
  CHECK(sc["faults"][0]["spec"] == "reader/read:error=EIO:nth=1");
  CHECK(sc["faults"][0]["fired"] == 1);
  CHECK(sc["violations"][0]["message"] == "reader: exited with status 1, expected exit 0");
  CHECK(sc["processes"][1]["stderr"].get<std::string>().find("Input/output error") !=
        std::string::npos);
  REQUIRE(sc["events"].size() == 1);
  CHECK(sc["events"][0]["process"] == "reader");
  CHECK(sc["events"][0]["errno"] == "EIO");
}
