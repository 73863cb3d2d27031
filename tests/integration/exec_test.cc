// End-to-end tests of `faultline exec`: real programs from Debian packages under injection,
// their exit status and output passed through, and the fault summary on stderr.
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
using nlohmann::json;

namespace {

// C locale: the programs' own error messages are compared.
CommandResult exec(const std::vector<std::string>& args) {
  std::vector<std::string> all{"exec"};
  all.insert(all.end(), args.begin(), args.end());
  return faultline::test::run_faultline(all, {"LC_ALL=C"});
}

// `faultline exec ARGS` with `input` on its stdin, through a shell pipe.
CommandResult exec_with_stdin(const std::string& input, const std::string& args) {
  return faultline::test::run_command(
      {"/bin/sh", "-c",
       "printf '" + input + "' | '" + faultline::test::faultline_exe().string() + "' exec " + args},
      {"LC_ALL=C", "NO_COLOR=1"});
}

}  // namespace

TEST_CASE("exec passes the program's exit status through", "[integration][exec]") {
  NothingLeftBehind guard;
  auto r = exec({"--", "sh", "-c", "exit 7"});
  INFO(r.err);
  CHECK(r.exit_code == 7);
  CHECK(r.err.find("sh exited with status 7") != std::string::npos);
}

TEST_CASE("exec reports a program killed by signal N as status 128+N, as a shell does",
          "[integration][exec]") {
  NothingLeftBehind guard;
  auto r = exec({"--", "sh", "-c", "kill -USR1 $$"});
  INFO(r.err);
  CHECK(r.exit_code == 128 + 10);
  CHECK(r.err.find("sh was killed by SIGUSR1") != std::string::npos);
}

TEST_CASE(
    "an injected read error makes cat fail, and the summary names the fault, its count and "
    "the call",
    "[integration][exec]") {
  NothingLeftBehind guard;
  auto r = exec({"--fault", "read:error=EIO", "--", "sh", "-c", "seq 3 | cat"});
  INFO(r.err);
  CHECK(r.exit_code == 1);
  CHECK(r.out.empty());
  CHECK(r.err.find("cat: -: Input/output error") != std::string::npos);
  CHECK(r.err.find("faultline: read:error=EIO fired 1 of 1 call\n") != std::string::npos);
  CHECK(r.err.find("faultline:   #1 +") != std::string::npos);
  CHECK(r.err.find(" sh read(fd 0) -> -1 EIO at 0x") != std::string::npos);
}

TEST_CASE("exec gives the program faultline's own stdin, where faults apply too",
          "[integration][exec]") {
  NothingLeftBehind guard;
  auto clean = exec_with_stdin("piped in", "-q -- cat");
  INFO(clean.err);
  CHECK(clean.exit_code == 0);
  CHECK(clean.out == "piped in");
  auto failing = exec_with_stdin("piped in", "--fault read:error=EIO -- cat");
  INFO(failing.err);
  CHECK(failing.exit_code == 1);
  CHECK(failing.out.empty());
  CHECK(failing.err.find("read:error=EIO fired 1 of 1 call") != std::string::npos);
}

TEST_CASE("a fault that matches no call is reported as not fired, with what to check",
          "[integration][exec]") {
  NothingLeftBehind guard;
  auto r = exec({"--fault", "recv:error=ECONNRESET", "--", "sh", "-c", "seq 3 | cat"});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out == "1\n2\n3\n");
  CHECK(r.err.find("recv:error=ECONNRESET fired 0 of 0 calls") != std::string::npos);
  CHECK(r.err.find("no fault fired: 0 calls matched; check the call name, process and fd class") !=
        std::string::npos);
}

TEST_CASE("a fault whose trigger is never reached is told apart from one that matches nothing",
          "[integration][exec]") {
  NothingLeftBehind guard;
  auto r = exec({"--fault", "read:error=EIO:nth=50", "--", "sh", "-c", "seq 3 | cat"});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.err.find("read:error=EIO:nth=50 fired 0 of") != std::string::npos);
  CHECK(r.err.find("matched, but no trigger was reached") != std::string::npos);
}

TEST_CASE("the program's stdout passes through byte for byte when nothing fires",
          "[integration][exec]") {
  NothingLeftBehind guard;
  faultline::test::TempDir dir("exec-test");
  std::string bytes;
  for (int round = 0; round < 300; ++round)
    for (int b = 0; b < 256; ++b) bytes += static_cast<char>(b);
  bytes += "no newline at the end";
  fs::path file = dir.path() / "data.bin";
  std::ofstream(file, std::ios::binary) << bytes;
  auto r = exec({"-q", "--", "cat", file.string()});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out == bytes);
  CHECK(r.err.empty());
}

TEST_CASE("the JSON result of exec lists every injected fault event", "[integration][exec]") {
  NothingLeftBehind guard;
  faultline::test::TempDir dir("exec-test");
  fs::path out = dir.path() / "result.json";
  auto r = exec({"--json", out.string(), "--seed", "5", "--fault", "read:error=EIO", "--", "sh",
                 "-c", "seq 3 | cat"});
  INFO(r.err);
  REQUIRE(fs::exists(out));
  std::ifstream in(out);
  json j = json::parse(in);
  const json& s = j["scenarios"][0];
  CHECK(s["seed"] == 5);
  CHECK(s["faults"][0]["fired"] == 1);
  REQUIRE(s["events"].size() == 1);
  const json& e = s["events"][0];
  CHECK(e["seq"] == 1);
  CHECK(e["call"] == "read");
  CHECK(e["process"] == "sh");
  CHECK(e["fault"] == "read:error=EIO");
  CHECK(e["errno"] == "EIO");
  CHECK(e["result"] == -1);
  CHECK(e["fd"] == 0);
  CHECK(e["caller"].get<std::string>().rfind("0x", 0) == 0);
  CHECK(e["pid"].get<int>() > 0);
  CHECK(s["processes"][0]["exit_code"] == 1);
}

TEST_CASE(
    "an injected EINTR on a TCP connect leaves the connection going on, so CPython's connect "
    "(wait until writable, then SO_ERROR) connects",
    "[integration][exec]") {
  NothingLeftBehind guard;
  auto r = exec({"--fault", "connect:error=EINTR:nth=1", "--", "python3", "-c",
                 "import socket;s=socket.socket();s.bind((\"127.0.0.1\",0));s.listen();"
                 "c=socket.socket();c.connect(s.getsockname());c.getpeername()"});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out.empty());
  CHECK(r.err.find("Errno") == std::string::npos);
  CHECK(r.err.find("connect:error=EINTR:nth=1 fired 1 of 1 call") != std::string::npos);
}

TEST_CASE("--name gives the process the name that faults match", "[integration][exec]") {
  NothingLeftBehind guard;
  auto r = exec(
      {"--name", "reader", "--fault", "reader/read:error=EIO", "--", "sh", "-c", "seq 3 | cat"});
  INFO(r.err);
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("reader/read:error=EIO fired 1 of 1 call") != std::string::npos);
}

TEST_CASE("a fault naming a process the program does not run as is wrong input",
          "[integration][exec]") {
  NothingLeftBehind guard;
  auto r = exec({"--fault", "server/read:error=EIO", "--", "true"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("names process 'server', but the program runs as 'true'") != std::string::npos);
}

TEST_CASE(
    "a bad --fault spec stops exec with status 2 and the spec's diagnostic, before the "
    "program runs",
    "[integration][exec]") {
  NothingLeftBehind guard;
  faultline::test::TempDir dir("exec-test");
  fs::path marker = dir.path() / "ran";
  auto r = exec({"--fault", "read:error=EBOGUS", "--", "touch", marker.string()});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("--fault:1:12: error: unknown errno 'EBOGUS'") != std::string::npos);
  CHECK_FALSE(fs::exists(marker));
}

TEST_CASE("a program that does not exist is wrong input (status 2)", "[integration][exec]") {
  NothingLeftBehind guard;
  auto missing = exec({"--", "no-such-program-anywhere"});
  CHECK(missing.exit_code == 2);
  CHECK(missing.err.find("program 'no-such-program-anywhere' not found") != std::string::npos);
  auto none = exec({});
  CHECK(none.exit_code == 2);
  CHECK(none.err.find("no program to run") != std::string::npos);
}

TEST_CASE("a hung program is killed at --timeout, with where it hung, and exec exits 124",
          "[integration][exec]") {
  NothingLeftBehind guard;
  auto r = exec({"--timeout", "300ms", "--no-backtrace", "--", "sleep", "30"});
  INFO(r.err);
  CHECK(r.exit_code == 124);
  CHECK(r.err.find("timed out after 300ms") != std::string::npos);
  CHECK(r.err.find("clock_nanosleep") != std::string::npos);
}

TEST_CASE("SIGINT to exec stops the program, removes the run and exits 130",
          "[integration][exec][signals]") {
  NothingLeftBehind guard;
  // The program interrupts faultline itself ($PPID), then would sleep for ever.
  auto r = exec({"--", "sh", "-c", "echo pid=$$; kill -INT $PPID; exec sleep 1000"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 130);
  auto pos = r.out.find("pid=");
  REQUIRE(pos != std::string::npos);
  long pid = std::stol(r.out.substr(pos + 4));
  CHECK_FALSE(fs::exists("/proc/" + std::to_string(pid) + "/cmdline"));
  CHECK(r.err.find("sh was killed by SIGTERM after faultline got SIGINT") != std::string::npos);
}

TEST_CASE("the program's arguments are taken literally, options and dollar signs included",
          "[integration][exec]") {
  NothingLeftBehind guard;
  // No `--`: the command starts at `sh`, and what follows is sh's, not faultline's.
  auto r = exec({"-q", "sh", "-c", "printf '%s %s %s' \"$0\" \"$1\" '${x}$$'", "--fault", "-n"});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out == "--fault -n ${x}$$");
  CHECK(r.err.empty());
}

TEST_CASE("faultline run's console report lists each event of a failing scenario",
          "[integration][exec][report]") {
  NothingLeftBehind guard;
  faultline::test::TempScenario s(R"y(scenario: cat-under-eio
channels: { c: { type: pipe } }
processes:
  writer: { run: [seq, "3"], stdout: { channel: c } }
  reader: { run: [cat], stdin: { channel: c } }
faults:
  - { process: reader, call: read, error: EIO }
)y");
  auto r =
      faultline::test::run_faultline({"run", s.path().string(), "--no-backtrace"}, {"LC_ALL=C"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("fault reader/read:error=EIO: fired 1 of 1 matching calls") !=
        std::string::npos);
  CHECK(r.out.find("#1 +") != std::string::npos);
  CHECK(r.out.find(" reader read(fd 0 on c) -> -1 EIO at 0x") != std::string::npos);
}
