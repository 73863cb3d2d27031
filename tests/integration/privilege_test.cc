// Processes that drop privileges still get their faults (the control file reaches them as an
// inherited descriptor), and whatever ran without fault injection is named in the report and
// fails a scenario that had faults for it: an attach failure, a child exec'd with LD_PRELOAD
// cleared, a set-user-ID program (AT_SECURE). io_uring is reported, not failed.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "run_json.h"
#include "support.h"

namespace fs = std::filesystem;
using faultline::test::CommandResult;
using faultline::test::NothingLeftBehind;
using faultline::test::run_faultline;
using faultline::test::run_json;
using faultline::test::TempDir;
using faultline::test::TempScenario;
using nlohmann::json;

namespace {

std::string program(const char* name) {
  return (faultline::test::test_programs_dir() / name).string();
}

// "hello" through a pipe to `reader`, which runs `command` (a YAML flow sequence) and has
// `fault`; `expect` is the reader's expect: block.
std::string pipe_scenario(const std::string& command, const std::string& expect,
                          const std::string& fault =
                              "{ process: reader, call: read, "
                              "error: EIO, nth: 1 }",
                          const std::string& extra = "") {
  return "scenario: privilege\ntimeout: 20s\nchannels: { p: { type: pipe } }\n"
         "processes:\n"
         // The reader may end (on its fault) before the writer writes: no SIGPIPE for that.
         "  writer:\n    run: [sh, -c, \"trap '' PIPE; echo hello 2>/dev/null || true\"]\n"
         "    stdout: { channel: p }\n"
         "  reader:\n    run: " +
         command + "\n    stdin: { channel: p }\n    expect: " + expect + "\n" + extra +
         "faults:\n  - " + fault + "\n";
}

const json& process(const json& sc, const std::string& name) {
  for (const auto& p : sc["processes"]) {
    if (p["name"] == name) return p;
  }
  FAIL("no process " << name);
  return sc;
}

bool has_violation(const json& sc, const std::string& kind, const std::string& process,
                   const std::string& text) {
  for (const auto& v : sc["violations"]) {
    if (v["kind"] == kind && v["process"] == process &&
        v["message"].get<std::string>().find(text) != std::string::npos)
      return true;
  }
  return false;
}

// A copy of /usr/bin/cat owned by nobody with the set-user-ID bit: run by root, the kernel
// gives it AT_SECURE and the loader ignores LD_PRELOAD.
std::string setuid_cat(const TempDir& dir) {
  const std::string path = dir / "suid-cat";
  fs::copy_file("/usr/bin/cat", path);
  REQUIRE(::chown(path.c_str(), 65534, 65534) == 0);
  REQUIRE(::chmod(path.c_str(), 04755) == 0);
  // The temporary folder must be reachable, as it is for a test run as root.
  return path;
}

}  // namespace

TEST_CASE("A program exec'd after a drop to nobody still gets its faults") {
  NothingLeftBehind guard;
  // Dropped and exec'd, as runuser does: the exec'd program cannot open the run directory.
  // In-process drops (mode read alone) kept their mapping before too; both are run.
  const std::string how =
      GENERATE(std::string("exec, ") + program("privdrop") + ", read", std::string("read"));
  TempScenario s(pipe_scenario("[" + program("privdrop") + ", " + how + "]",
                               "{ exit: 2, stdout: { contains: 'read failed: EIO' } }") +
                 "expect: { faults: fired }\n");
  CommandResult r;
  json sc = run_json(s, r);
  CHECK(r.exit_code == 0);
  CHECK(sc["passed"] == true);
  CHECK(sc["faults"][0]["fired"] == 1);
  CHECK_FALSE(process(sc, "reader").contains("blind_spots"));
}

TEST_CASE("cat started through runuser -u nobody gets its faults") {
  NothingLeftBehind guard;
  TempScenario s(pipe_scenario("[runuser, -u, nobody, --, cat]",
                               "{ exit: 1, stderr: { contains: 'Input/output error' } }") +
                 "expect: { faults: fired }\n");
  CommandResult r;
  json sc = run_json(s, r);
  CHECK(r.exit_code == 0);
  CHECK(sc["passed"] == true);
  CHECK(sc["events"][0]["process"] == "reader");
}

TEST_CASE("socat started through setpriv as nobody gets its faults") {
  NothingLeftBehind guard;
  TempScenario s(
      pipe_scenario("[setpriv, --reuid=nobody, --regid=nogroup, --clear-groups, socat, -u, "
                    "STDIN, STDOUT]",
                    "{ exit: 1, stderr: { contains: 'Input/output error' } }") +
      "expect: { faults: fired }\n");
  CommandResult r;
  json sc = run_json(s, r);
  CHECK(r.exit_code == 0);
  CHECK(sc["passed"] == true);
  CHECK(sc["faults"][0]["fired"] == 1);
}

TEST_CASE("Processes get the control fd under the usual open-file limit of 1024") {
  NothingLeftBehind guard;
  TempScenario s(pipe_scenario("[runuser, -u, nobody, --, cat]",
                               "{ exit: 1, stderr: { contains: 'Input/output error' } }") +
                 "expect: { faults: fired }\n");
  CommandResult r = faultline::test::run_command(
      {"sh", "-c", "ulimit -n 1024 && exec \"$0\" run \"$1\" --no-backtrace",
       faultline::test::faultline_exe().string(), s.path().string()});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("PASS"));
}

TEST_CASE("A child of Python's subprocess with close_fds and user=nobody gets its faults") {
  NothingLeftBehind guard;
  // close_fds closes every fd above 2 in the child (close_range), then the child drops to
  // nobody and execs cat: the control fd must survive both.
  TempScenario s(pipe_scenario("[/usr/bin/python3, -c, \"import subprocess, sys; "
                               "sys.exit(subprocess.run(['cat'], user='nobody', group='nogroup', "
                               "extra_groups=[], close_fds=True).returncode)\"]",
                               "{ exit: 1, stderr: { contains: 'Input/output error' } }",
                               "{ process: reader, call: read, channel: p, error: EIO, nth: 1 }") +
                 "expect: { faults: fired }\n");
  CommandResult r;
  json sc = run_json(s, r);
  CHECK(r.exit_code == 0);
  CHECK(sc["passed"] == true);
  CHECK(sc["faults"][0]["fired"] == 1);
}

TEST_CASE("A process that cannot attach says so and fails the scenario, in every report") {
  NothingLeftBehind guard;
  // privdrop closes the control fd with a raw close(2), drops to nobody and execs cat: cat
  // has neither the fd nor access to the run directory.
  TempScenario s(pipe_scenario("[" + program("privdrop") + ", exec-closed, cat]", "{ exit: 0 }"));
  const fs::path junit = s.dir() / "junit.xml";
  CommandResult r;
  json sc = run_json(s, r, {"--junit", junit.string()});
  CHECK(r.exit_code == 1);
  CHECK(sc["passed"] == false);
  const json& reader = process(sc, "reader");
  REQUIRE(reader.contains("blind_spots"));
  const json& spot = reader["blind_spots"][0];
  CHECK(spot["kind"] == "not-attached");
  CHECK(spot["escaped"] == true);
  const std::string message = spot["message"];
  CHECK_THAT(message, Catch::Contains("(cat, uid 65534)"));
  CHECK_THAT(message, Catch::Contains("EACCES"));
  CHECK_THAT(message, Catch::Contains("closed before it started"));
  CHECK(has_violation(sc, "uninjected", "reader", "could not attach"));
  // The program's own stderr carries the interposer's one line, with pid and errno.
  CHECK_THAT(reader["stderr"].get<std::string>(),
             Catch::Contains("runs WITHOUT fault injection") && Catch::Contains("EACCES"));
  CHECK_THAT(r.out, Catch::Contains("reader: pid") && Catch::Contains("could not attach"));
  std::ifstream in(junit);
  std::string xml((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK_THAT(xml, Catch::Contains("could not attach"));
}

TEST_CASE(
    "A child exec'd with LD_PRELOAD cleared is named and fails a scenario with faults for it") {
  NothingLeftBehind guard;
  TempScenario s(pipe_scenario("[env, -u, LD_PRELOAD, cat]", "{ exit: 0 }"));
  CommandResult r;
  json sc = run_json(s, r);
  CHECK(r.exit_code == 1);
  const json& spot = process(sc, "reader")["blind_spots"][0];
  CHECK(spot["kind"] == "exec-without-preload");
  CHECK_THAT(spot["message"].get<std::string>(), Catch::Contains("/usr/bin/cat"));
  CHECK(has_violation(sc, "uninjected", "reader", "LD_PRELOAD cleared"));
}

TEST_CASE("Without faults for that process the same child is only reported, and the run passes") {
  NothingLeftBehind guard;
  TempScenario s(pipe_scenario("[env, -u, LD_PRELOAD, cat]", "{ exit: 0 }",
                               "{ process: writer, call: write, delay: 1ms }"));
  CommandResult r;
  json sc = run_json(s, r);
  CHECK(r.exit_code == 0);
  CHECK(sc["passed"] == true);
  CHECK(process(sc, "reader")["blind_spots"][0]["kind"] == "exec-without-preload");
  // Said on the console of a passing run too.
  CHECK_THAT(r.out, Catch::Contains("not seen: reader: ") && Catch::Contains("LD_PRELOAD cleared"));
}

TEST_CASE("Under backend both a child exec'd without the interposer still gets its faults") {
  NothingLeftBehind guard;
  TempScenario s(pipe_scenario("[env, -u, LD_PRELOAD, cat]",
                               "{ exit: 1, stderr: { contains: 'Input/output error' } }",
                               "{ process: reader, call: read, error: EIO, nth: 1 }",
                               "    backend: both\n") +
                 "expect: { faults: fired }\n");
  CommandResult r;
  json sc = run_json(s, r);
  CHECK(r.exit_code == 0);
  CHECK(sc["passed"] == true);
  const json& spot = process(sc, "reader")["blind_spots"][0];
  CHECK(spot["kind"] == "exec-without-preload");
  CHECK(spot["escaped"] == false);
  CHECK_THAT(spot["message"].get<std::string>(), Catch::Contains("seccomp backend"));
}

TEST_CASE("A set-user-ID program is reported as running without the interposer (AT_SECURE)") {
  NothingLeftBehind guard;
  TempDir dir;
  const std::string cat = setuid_cat(dir);
  SECTION("started by the runner") {
    TempScenario s(pipe_scenario("[" + cat + "]", "{ exit: 0 }"));
    CommandResult r;
    json sc = run_json(s, r);
    CHECK(r.exit_code == 1);
    const json& spot = process(sc, "reader")["blind_spots"][0];
    CHECK(spot["kind"] == "not-loaded");
    CHECK_THAT(spot["message"].get<std::string>(), Catch::Contains("AT_SECURE"));
    CHECK(has_violation(sc, "uninjected", "reader", "not loaded"));
  }
  SECTION("exec'd by a process under the interposer") {
    TempScenario s(pipe_scenario("[sh, -c, 'exec " + cat + "']", "{ exit: 0 }"));
    CommandResult r;
    json sc = run_json(s, r);
    CHECK(r.exit_code == 1);
    const json& spot = process(sc, "reader")["blind_spots"][0];
    CHECK(spot["kind"] == "setuid");
    CHECK_THAT(spot["message"].get<std::string>(), Catch::Contains(cat));
  }
}

TEST_CASE("A set-user-ID program with the interposer linked in takes no fault from its caller") {
  // The loader ignores LD_PRELOAD in an AT_SECURE process, but not a library the program
  // links (or /etc/ld.so.preload): there the interposer must not trust FAULTLINE_CONTROL,
  // or whoever starts a set-user-ID program could inject faults into it. The rule would make
  // the first read fail with EIO; the program must read "hello" instead.
  NothingLeftBehind guard;
  TempDir dir;
  const std::string probe = dir / "suid-probe";
  fs::copy_file(program("secure_probe"), probe);
  REQUIRE(::chown(probe.c_str(), 65534, 65534) == 0);
  REQUIRE(::chmod(probe.c_str(), 04755) == 0);
  TempScenario s(pipe_scenario("[" + probe + "]", "{ exit: 0, stdout: { contains: hello } }"));
  CommandResult r;
  json sc = run_json(s, r);
  CHECK(r.exit_code == 1);  // faults were meant for it: not injected is a failure
  CHECK(process(sc, "reader")["exit_code"] == 0);
  CHECK_THAT(process(sc, "reader")["stdout"].get<std::string>(), Catch::Contains("hello"));
  CHECK(sc["faults"][0]["fired"] == 0);
  CHECK(has_violation(sc, "uninjected", "reader", ""));
}

TEST_CASE("A process that sets up an io_uring is reported under both backends") {
  NothingLeftBehind guard;
  const std::string backend = GENERATE(std::string("preload"), std::string("seccomp"));
  const std::string probe = GENERATE(std::string("uring_probe"), std::string("uring_probe_static"),
                                     std::string("liburing_probe"));
  if (backend == "preload" && probe == "uring_probe_static") return;  // gets seccomp anyway
#ifndef FAULTLINE_HAVE_LIBURING
  if (probe == "liburing_probe") {
    WARN("built without liburing (liburing-dev): its set-up functions are not tested");
    return;
  }
#endif
  TempScenario s(pipe_scenario("[" + program(probe.c_str()) + "]", "{ exit: 0 }",
                               "{ process: reader, call: read, delay: 1ms }",
                               "    backend: " + backend + "\n"));
  CommandResult r;
  json sc = run_json(s, r);
  INFO(backend << " " << probe);
  const json& reader = process(sc, "reader");
  if (reader["stdout"].get<std::string>().find("io_uring failed") != std::string::npos) {
    WARN("this kernel refuses io_uring: " << reader["stdout"]);
    return;
  }
  REQUIRE_THAT(reader["stdout"].get<std::string>(),
               Catch::Contains("io_uring fd") || Catch::Contains("io_uring ring"));
  CHECK(r.exit_code == 0);  // reported, not failed: the read rule still applied
  bool seen = false;
  for (const auto& spot : reader["blind_spots"]) seen |= spot["kind"] == "io_uring";
  CHECK(seen);
  CHECK_THAT(r.out, Catch::Contains("set up an io_uring"));
}

TEST_CASE("faultline exec names a process that ran without fault injection") {
  NothingLeftBehind guard;
  CommandResult r = run_faultline({"exec", "--fault", "read:error=EIO", "--", "env", "-u",
                                   "LD_PRELOAD", "sh", "-c", "echo hi | cat"});
  CHECK(r.exit_code == 0);  // exec passes the program's status through
  CHECK_THAT(r.err, Catch::Contains("LD_PRELOAD cleared") && Catch::Contains("/bin/sh"));
}
