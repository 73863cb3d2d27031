// The seccomp backend end to end: the syscall faults of the interposer's tests on both
// backends, and the programs LD_PRELOAD cannot reach (static, raw syscall(2), stdio's own
// read), which get their faults under seccomp and not under preload alone.
#include <signal.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "support.h"

namespace fs = std::filesystem;
using faultline::test::CommandResult;
using faultline::test::NothingLeftBehind;
using faultline::test::run_faultline;
using faultline::test::TempScenario;
using nlohmann::json;

namespace {

json run_json(const TempScenario& s, CommandResult& r) {
  fs::path out = s.dir() / "result.json";
  r = run_faultline({"run", s.path().string(), "--json", out.string(), "--no-backtrace"});
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  REQUIRE(fs::exists(out));
  std::ifstream in(out);
  return json::parse(in)["scenarios"][0];
}

std::string program(const char* name) {
  return (faultline::test::test_programs_dir() / name).string();
}

// A pipe `p` with "hello" in it, read by `reader` running `command` under `backend`.
std::string pipe_scenario(const std::string& backend, const std::string& command,
                          const std::string& fault) {
  return "scenario: seccomp-pipe\ntimeout: 20s\nchannels: { p: { type: pipe } }\n"
         "processes:\n"
         "  writer:\n    run: [sh, -c, 'echo hello']\n    stdout: { channel: p }\n"
         "  reader:\n    run: " +
         command +
         "\n    stdin: { channel: p }\n"
         "    backend: " +
         backend +
         "\n    expect: { exit: any }\n"
         "faults:\n  - " +
         fault + "\n";
}

const json& process(const json& sc, const std::string& name) {
  for (const auto& p : sc["processes"]) {
    if (p["name"] == name) return p;
  }
  FAIL("no process " << name);
  return sc;
}

}  // namespace

TEST_CASE(
    "A read error fires on the pipe read, not on the loader's library reads, on both backends",
    "[integration][seccomp]") {
  NothingLeftBehind guard;
  std::string backend = GENERATE("preload", "seccomp");
  INFO("backend " << backend);
  TempScenario s(
      pipe_scenario(backend, "[cat]", "{ process: reader, call: read, error: EIO, nth: 1 }"));
  CommandResult r;
  json sc = run_json(s, r);
  CHECK(process(sc, "reader")["exit_code"] == 1);
  CHECK(process(sc, "reader")["stderr"].get<std::string>().find("Input/output error") !=
        std::string::npos);
  CHECK(sc["faults"][0]["fired"] == 1);
  REQUIRE(sc["events"].size() == 1);
  CHECK(sc["events"][0]["call"] == "read");
  CHECK(sc["events"][0]["fd"] == 0);
  CHECK(sc["events"][0]["channel"] == "p");
  CHECK(sc["events"][0]["errno"] == "EIO");
  CHECK(sc["events"][0]["process"] == "reader");
}

TEST_CASE("A delayed read takes at least its delay on both backends", "[integration][seccomp]") {
  NothingLeftBehind guard;
  std::string backend = GENERATE("preload", "seccomp");
  INFO("backend " << backend);
  TempScenario s(
      pipe_scenario(backend, "[cat]", "{ process: reader, call: read, delay: 300ms, nth: 1 }"));
  CommandResult r;
  json sc = run_json(s, r);
  CHECK(process(sc, "reader")["exit_code"] == 0);
  CHECK(process(sc, "reader")["stdout"] == "hello\n");
  CHECK(process(sc, "reader")["duration_ms"].get<double>() >= 300.0);
  CHECK(sc["faults"][0]["fired"] == 1);
}

TEST_CASE("A signal at a read reaches the reading process on both backends",
          "[integration][seccomp]") {
  NothingLeftBehind guard;
  std::string backend = GENERATE("preload", "seccomp");
  INFO("backend " << backend);
  TempScenario s(
      pipe_scenario(backend, "[cat]", "{ process: reader, call: read, signal: SIGUSR1, nth: 1 }"));
  CommandResult r;
  json sc = run_json(s, r);
  CHECK(process(sc, "reader")["signal"] == "SIGUSR1");
  REQUIRE(sc["events"].size() == 1);
  CHECK(sc["events"][0]["call"] == "read");
}

TEST_CASE("A rule on read fails readv too, one on readv only readv, on both backends",
          "[integration][seccomp]") {
  NothingLeftBehind guard;
  std::string backend = GENERATE("preload", "seccomp");
  INFO("backend " << backend);
  const std::string probe = (faultline::test::test_programs_dir() / "fl_probe").string();
  auto exec = [&](const std::string& spec, const std::string& call) {
    return run_faultline(
        {"exec", "-q", "--backend", backend, "--fault", spec, "--", probe, "one", call});
  };
  // nth=1: under seccomp the probe's own report, written to a pipe, is a write too.
  CHECK(exec("read:error=EIO:nth=1", "readv").out == "readv fail EIO\n");
  CHECK(exec("write:error=EPIPE:nth=1", "writev").out == "writev fail EPIPE\n");
  CHECK(exec("readv:error=EIO:nth=1", "read").out == "read ok\n");
  CHECK(exec("writev:error=EPIPE:nth=1", "write").out == "write ok\n");
}

TEST_CASE("An injected EPIPE on a write comes with SIGPIPE on both backends",
          "[integration][seccomp]") {
  NothingLeftBehind guard;
  std::string backend = GENERATE("preload", "seccomp");
  INFO("backend " << backend);
  const std::string probe = (faultline::test::test_programs_dir() / "fl_probe").string();
  auto r = run_faultline({"exec", "-q", "--backend", backend, "--fault", "write:error=EPIPE:nth=1",
                          "--", probe, "default-sigpipe", "one", "write"});
  INFO(r.err);
  // As from the kernel: the signal ends the process in its failed write, before it can print
  // what the write returned. (Under seccomp it came after the answer, and the probe's next
  // write, its report, often got out first.)
  CHECK(r.out.empty());
  CHECK(r.exit_code == 128 + SIGPIPE);
}

TEST_CASE("A SIGPIPE handler runs as the injected EPIPE's write returns, on both backends",
          "[integration][seccomp]") {
  NothingLeftBehind guard;
  std::string backend = GENERATE("preload", "seccomp");
  INFO("backend " << backend);
  const std::string probe = (faultline::test::test_programs_dir() / "fl_probe").string();
  // Several times: a signal raised after the answer arrives late only now and then.
  for (int round = 0; round < 10; ++round) {
    auto r =
        run_faultline({"exec", "-q", "--backend", backend, "--fault", "write:error=EPIPE:nth=1",
                       "--", probe, "sigpipe-handler", "one", "write"});
    INFO("round " << round << "\n" << r.err);
    // The handler's line before the probe's report of the call, and the call failed (with
    // SA_RESTART a call that a signal interrupted while it waited would have been made again).
    REQUIRE(r.out == "sigpipe\nwrite fail EPIPE\n");
    REQUIRE(r.exit_code == 0);
  }
}

TEST_CASE("A forked and exec'd child of the process gets the faults on both backends",
          "[integration][seccomp]") {
  NothingLeftBehind guard;
  std::string backend = GENERATE("preload", "seccomp");
  INFO("backend " << backend);
  // sh forks, the child execs cat: the filter (like LD_PRELOAD) is inherited.
  TempScenario s(pipe_scenario(backend, "'cat; echo \"status $?\"'",
                               "{ process: reader, call: read, error: EIO, nth: 1 }"));
  CommandResult r;
  json sc = run_json(s, r);
  CHECK(process(sc, "reader")["stdout"] == "status 1\n");
  REQUIRE(sc["events"].size() == 1);
  CHECK(sc["events"][0]["pid"] != process(sc, "reader")["pid"]);
}

TEST_CASE("stdio's own read fails under seccomp and not under preload alone",
          "[integration][seccomp]") {
  NothingLeftBehind guard;
  std::string fault = "{ process: reader, call: read, error: EIO }";
  CommandResult r;
  {
    TempScenario s(pipe_scenario("seccomp", "[" + program("sc_fgets_reader") + "]", fault));
    json sc = run_json(s, r);
    CHECK(process(sc, "reader")["stdout"] == "fgets failed: EIO\n");
    CHECK(sc["faults"][0]["fired"] == 1);
  }
  {
    TempScenario s(pipe_scenario("preload", "[" + program("sc_fgets_reader") + "]", fault));
    json sc = run_json(s, r);
    CHECK(process(sc, "reader")["stdout"] == "line: hello\n");
    CHECK(sc["faults"][0]["hits"] == 0);
  }
}

TEST_CASE("A raw syscall(SYS_accept4) fails under seccomp and not under preload alone",
          "[integration][seccomp]") {
  NothingLeftBehind guard;
  for (std::string backend : {"seccomp", "preload"}) {
    INFO("backend " << backend);
    TempScenario s("scenario: raw-accept\ntimeout: 20s\nprocesses:\n  acc:\n    run: [" +
                   program("sc_raw_accept") + ", '${run_dir}/s.sock']\n    backend: " + backend +
                   "\n    expect: { exit: 0 }\nfaults:\n"
                   "  - { process: acc, call: accept, error: ECONNABORTED }\n");
    CommandResult r;
    json sc = run_json(s, r);
    CHECK(process(sc, "acc")["stdout"] ==
          (backend == "seccomp" ? "accept4: ECONNABORTED\n" : "accept4: EAGAIN\n"));
    CHECK(sc["faults"][0]["fired"] == (backend == "seccomp" ? 1 : 0));
  }
}

TEST_CASE(
    "A static program gets seccomp with a notice, and no fault when started by a preloaded shell",
    "[integration][seccomp]") {
  NothingLeftBehind guard;
  std::string fault = "{ process: reader, call: read, error: EIO }";
  CommandResult r;
  {
    TempScenario s(pipe_scenario("preload", "[" + program("sc_static_read") + "]", fault));
    json sc = run_json(s, r);
    CHECK(process(sc, "reader")["stdout"] == "read failed: EIO\n");
    REQUIRE(sc["notes"].size() == 1);
    CHECK(sc["notes"][0].get<std::string>().find("statically linked") != std::string::npos);
  }
  {
    // The shell is dynamic, so nothing switches: preload alone never reaches the static child.
    TempScenario s(pipe_scenario("preload", "'" + program("sc_static_read") + "'", fault));
    json sc = run_json(s, r);
    CHECK(process(sc, "reader")["stdout"] == "read: hello\n");
    CHECK(sc["faults"][0]["fired"] == 0);
  }
}

TEST_CASE("Backend both leaves preloaded processes to the interposer and covers the static ones",
          "[integration][seccomp]") {
  NothingLeftBehind guard;
  // The static program reads the pipe first (hit 1, the supervisor's: it fires), then the
  // dynamic cat reads the rest and the end (hits 2 and 3, the interposer's).
  TempScenario s(pipe_scenario("both", "'" + program("sc_static_read") + "; cat; echo done'",
                               "{ process: reader, call: read, error: EIO, nth: 1 }"));
  CommandResult r;
  json sc = run_json(s, r);
  CHECK(process(sc, "reader")["stdout"] == "read failed: EIO\nhello\ndone\n");
  CHECK(sc["faults"][0]["fired"] == 1);
  CHECK(sc["faults"][0]["hits"] == 3);  // cat's reads counted once, though both backends see them
}

TEST_CASE("short, eof and corrupt under seccomp are rejected naming the preload backend",
          "[integration][seccomp]") {
  NothingLeftBehind guard;
  TempScenario s(pipe_scenario("seccomp", "[cat]", "{ process: reader, call: read, eof: true }"));
  CommandResult r = run_faultline({"run", s.path().string()});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("needs the preload backend") != std::string::npos);
}

TEST_CASE("An unknown backend is a scenario error with the choices", "[integration][seccomp]") {
  NothingLeftBehind guard;
  TempScenario s(pipe_scenario("secomp", "[cat]", "{ process: reader, call: read, error: EIO }"));
  CommandResult r = run_faultline({"run", s.path().string()});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("seccomp") != std::string::npos);
}

TEST_CASE("faultline exec --backend seccomp faults a raw syscall the preload backend misses",
          "[integration][seccomp]") {
  NothingLeftBehind guard;
  TempScenario dir("scenario: unused\n");
  std::string sock = (dir.dir() / "s.sock").string();
  CommandResult seccomp =
      run_faultline({"exec", "-q", "--backend", "seccomp", "--fault", "accept:error=ECONNABORTED",
                     "--", program("sc_raw_accept"), sock});
  CHECK(seccomp.exit_code == 0);
  CHECK(seccomp.out == "accept4: ECONNABORTED\n");
  CommandResult preload = run_faultline(
      {"exec", "-q", "--fault", "accept:error=ECONNABORTED", "--", program("sc_raw_accept"), sock});
  CHECK(preload.out == "accept4: EAGAIN\n");
}

// The supervisor classifies a task's fd once and remembers it (fd_cache.h); these fail when
// what it remembers outlives the file the number named, or when it holds a file open.
TEST_CASE("Under seccomp an fd closed and reopened as a file is classified anew",
          "[integration][seccomp]") {
  NothingLeftBehind guard;
  TempScenario dir("scenario: unused\n");
  fs::path file = dir.dir() / "data.txt";
  std::ofstream(file) << "data\n";
  // The file's read is not on an ipc fd; the pipe's, on the same fd number, is, and fails.
  CommandResult r =
      run_faultline({"exec", "-q", "--backend", "seccomp", "--fault", "read:error=EIO:nth=1", "--",
                     program("sc_fd_reuse"), "reuse", file.string()});
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  CHECK(r.exit_code == 0);
}

TEST_CASE("Under seccomp exec forgets what the fds were (close-on-exec closes them)",
          "[integration][seccomp]") {
  NothingLeftBehind guard;
  TempScenario dir("scenario: unused\n");
  fs::path file = dir.dir() / "data.txt";
  std::ofstream(file) << "data\n";
  CommandResult r =
      run_faultline({"exec", "-q", "--backend", "seccomp", "--fault", "read:error=EIO:nth=1", "--",
                     program("sc_fd_reuse"), "exec", file.string()});
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  CHECK(r.exit_code == 0);
}

TEST_CASE("Under seccomp a pipe's reader sees end of file once the writer closed its end",
          "[integration][seccomp]") {
  NothingLeftBehind guard;
  TempScenario s(
      "scenario: seccomp-eof\ntimeout: 20s\nprocesses:\n"
      "  reader:\n    run: [" +
      program("sc_fd_reuse") +
      ", eof]\n    backend: seccomp\n"
      "faults:\n  - { process: reader, call: [read, write], error: EIO, nth: 1000000 }\n");
  CommandResult r;
  json sc = run_json(s, r);
  CHECK(process(sc, "reader")["exit_code"] == 0);
  CHECK(sc["faults"][0]["hits"].get<int>() >= 3);  // the write, the byte, the end of file
}

TEST_CASE("run -v says how the seccomp backend's notifications were handed over",
          "[integration][seccomp]") {
  NothingLeftBehind guard;
  TempScenario s(
      pipe_scenario("seccomp", "[cat]", "{ process: reader, call: read, error: EIO, nth: 100 }"));
  CommandResult r = run_faultline({"run", "-v", s.path().string(), "--no-backtrace"});
  INFO("stderr:\n" << r.err);
  // Linux 6.6 has the synchronous wake-up, older kernels do not: either is an answer.
  const bool said = r.err.find("[faultline] reader: seccomp backend: ") != std::string::npos &&
                    (r.err.find("wake-up synchronous") != std::string::npos ||
                     r.err.find("wake-up plain") != std::string::npos);
  CHECK(said);
}

TEST_CASE("Under seccomp a call of another ABI (x32) is let through and fails the run as escaped",
          "[integration][seccomp]") {
  // The filter's numbers are the 64-bit ABI's: an x32 or 32-bit (int 0x80) read is another
  // call to it, judged by no rule. It must not pass unnoticed as "no fault fired". (x32 here:
  // int 0x80 needs the kernel's IA32 emulation, which some kernels leave off; both reach the
  // filter as another ABI's call.)
  NothingLeftBehind guard;
  TempScenario s(pipe_scenario("seccomp", "[" + program("sc_x32_read") + "]",
                               "{ process: reader, call: read, error: EIO }"));
  CommandResult r;
  json sc = run_json(s, r);
  CHECK(r.exit_code == 1);
  CHECK(sc["passed"] == false);
  // Not EIO: the rule never judged it (the kernel answers ENOSYS where it has no x32 ABI).
  CHECK(process(sc, "reader")["stdout"] != "read failed: EIO\n");
  CHECK(sc["faults"][0]["fired"] == 0);
  const json& reader = process(sc, "reader");
  REQUIRE(reader.contains("blind_spots"));
  bool foreign = false;
  for (const auto& spot : reader["blind_spots"])
    if (spot["kind"] == "foreign-abi") {
      foreign = true;
      CHECK(spot["escaped"] == true);
      CHECK_THAT(spot["message"].get<std::string>(), Catch::Contains("an x32 system call"));
    }
  CHECK(foreign);
  bool uninjected = false;
  for (const auto& v : sc["violations"])
    uninjected = uninjected || (v["kind"] == "uninjected" && v["process"] == "reader");
  CHECK(uninjected);
}
