// Recording runs (RunOptions::record, `faultline explore`'s baseline) on real processes: each
// IPC call site counted once per caller with its function, line and site= text, none for
// files and stdout, forked children under their parent's name; a recorded site targets
// exactly that caller; --fault rules come before the scenario's; a Debian program (memcached)
// and a process on the seccomp backend are recorded too.
#include <fmt/format.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "faultline/runner.h"
#include "faultline/scenario.h"
#include "support.h"

namespace fs = std::filesystem;
using faultline::RecordedCall;
using faultline::ScenarioResult;
using faultline::test::CommandResult;
using faultline::test::NothingLeftBehind;
using faultline::test::run_faultline;
using faultline::test::TempScenario;
using nlohmann::json;

namespace {

std::string probe() { return (faultline::test::test_programs_dir() / "record_probe").string(); }
std::string plugin() {
  return (faultline::test::test_programs_dir() / "librecord_plugin.so").string();
}

// "file.c:N": the 1-based line of tests/integration/programs/`file` holding `marker`.
std::string marked_line(const std::string& file, const std::string& marker) {
  std::ifstream in(fs::path(FAULTLINE_SOURCE_DIR) / "tests/integration/programs" / file);
  std::string line;
  for (int n = 1; std::getline(in, line); ++n)
    if (line.find(marker) != std::string::npos) return fmt::format("{}:{}", file, n);
  FAIL("no " << marker << " in " << file);
  return "";
}

std::string probe_scenario(const std::string& faults = "") {
  return fmt::format(R"y(scenario: record-probe
timeout: 20s
processes:
  proc: {{ run: [{}, "${{run_dir}}/out.txt", {}] }}
{})y",
                     probe(), plugin(), faults);
}

ScenarioResult record(const TempScenario& s) {
  auto loaded = faultline::load_scenario(s.path());
  REQUIRE(loaded.scenario);
  faultline::RunOptions options;
  options.record = true;
  options.backtraces = false;
  options.interposer = faultline::test::interposer_path();
  ScenarioResult r = faultline::Runner(options).run(*loaded.scenario);
  for (const auto& v : r.violations) UNSCOPED_INFO("violation: " << v.message);
  for (const auto& c : r.recorded)
    UNSCOPED_INFO(c.process << " " << c.call << " " << c.function << " " << c.location << " "
                            << c.site << " x" << c.count << (c.seccomp ? " seccomp" : ""));
  return r;
}

const RecordedCall* find_call(const ScenarioResult& r, const std::string& process,
                              const std::string& call, const std::string& function = "") {
  const RecordedCall* found = nullptr;
  for (const auto& c : r.recorded) {
    // GCC may clone a function (write_a.constprop.0): the name starts the same.
    if (c.process != process || c.call != call || !c.function.starts_with(function)) continue;
    CHECK(found == nullptr);  // one entry per caller: merged
    found = &c;
  }
  return found;
}

json run_json(const TempScenario& s, const std::vector<std::string>& extra, CommandResult& r) {
  fs::path out = s.dir() / "result.json";
  std::vector<std::string> args{"run", s.path().string(), "--json", out.string(), "--no-backtrace"};
  args.insert(args.end(), extra.begin(), extra.end());
  r = run_faultline(args);
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  REQUIRE(fs::exists(out));
  std::ifstream in(out);
  return json::parse(in)["scenarios"][0];
}

}  // namespace

TEST_CASE("A recording counts each IPC call site once per caller, with function, line and site",
          "[integration][record]") {
  NothingLeftBehind guard;
  TempScenario s(probe_scenario());
  ScenarioResult r = record(s);
  REQUIRE(r.passed);
  // pipe in main, write at write_a (3), write_b (2), write_child (1, the forked child) and
  // plugin_write (1, in a library loaded with dlopen after start), read at read_pipe:
  // nothing of write_file (a regular file) or write_stdout (the captured stdout).
  CHECK(r.recorded.size() == 6);
  for (const auto& c : r.recorded) {
    CHECK(c.process == "proc");
    CHECK_FALSE(c.function.starts_with("write_file"));
    CHECK_FALSE(c.function.starts_with("write_stdout"));
    CHECK_FALSE(c.seccomp);
  }
  struct Expected {
    const char* call;
    const char* function;
    const char* marker;
    std::uint64_t count;
    bool eintr;
  };
  for (const Expected& e : {Expected{"pipe", "main", "SITE_PIPE", 1, false},
                            Expected{"write", "write_a", "SITE_A", 3, false},
                            Expected{"write", "write_b", "SITE_B", 2, true},
                            Expected{"write", "write_child", "SITE_CHILD", 1, true},
                            Expected{"write", "plugin_write", "SITE_PLUGIN", 1, true},
                            Expected{"read", "read_pipe", "SITE_READ", 1, true}}) {
    INFO(e.call << " in " << e.function);
    const RecordedCall* c = find_call(r, "proc", e.call, e.function);
    REQUIRE(c != nullptr);
    CHECK(c->count == e.count);
    const bool in_plugin = std::string(e.function) == "plugin_write";
    CHECK(c->location == marked_line(in_plugin ? "record_plugin.c" : "record_probe.c", e.marker));
    // A caller in a scenario program is written with its basename, one in a library with
    // the library's absolute path.
    CHECK(fs::equivalent(c->module, in_plugin ? plugin() : probe()));
    CHECK(c->site == fmt::format("{}+{:#x}", in_plugin ? c->module : "record_probe", c->offset));
    if (std::string(e.call) == "pipe") continue;
    CHECK(c->shape == "pipe");
    // EINTR: only once the handler without SA_RESTART is installed (write_b on). EAGAIN: the
    // pipe is blocking. Short: a 1-byte pipe write is atomic; a read can always be short.
    CHECK(c->eintr_realistic == e.eintr);
    CHECK_FALSE(c->eagain_realistic);
    CHECK(c->short_realistic == (std::string(e.call) == "read"));
  }
  const RecordedCall* a = find_call(r, "proc", "write", "write_a");
  const RecordedCall* b = find_call(r, "proc", "write", "write_b");
  REQUIRE(a != nullptr);
  REQUIRE(b != nullptr);
  CHECK(a->offset != b->offset);
}

TEST_CASE("A recorded site given to --fault fires at that caller's nth call and nowhere else",
          "[integration][record]") {
  NothingLeftBehind guard;
  TempScenario s(probe_scenario());
  ScenarioResult recorded = record(s);
  REQUIRE(recorded.passed);
  const RecordedCall* a = find_call(recorded, "proc", "write", "write_a");
  REQUIRE(a != nullptr);
  CommandResult r;
  json sc = run_json(s, {"--fault", "proc/write:error=EIO:site=" + a->site + ":nth=2"}, r);
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(sc["processes"][0]["stdout"] == "stdout\na1=ok a2=EIO a3=ok b1=ok b2=ok p1=ok read=6\n");
  CHECK(sc["faults"][0]["fired"] == 1);
  CHECK(sc["faults"][0]["hits"] == 3);  // write_a's calls only
  REQUIRE(sc["events"].size() == 1);
  CHECK(sc["events"][0]["call"] == "write");

  // A site in a library loaded later, by its absolute path.
  const RecordedCall* p = find_call(recorded, "proc", "write", "plugin_write");
  REQUIRE(p != nullptr);
  sc = run_json(s, {"--fault", "proc/write:error=EIO:site=" + p->site + ":nth=1"}, r);
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(sc["processes"][0]["stdout"] == "stdout\na1=ok a2=ok a3=ok b1=ok b2=ok p1=EIO read=6\n");
  CHECK(sc["faults"][0]["hits"] == 1);
}

TEST_CASE("A --fault rule comes before the scenario's own rules on the same call",
          "[integration][record]") {
  NothingLeftBehind guard;
  TempScenario s(probe_scenario(
      "faults: [ { process: proc, call: write, error: ENOSPC, nth: 1, optional: true } ]\n"));
  CommandResult r;
  json sc = run_json(s, {"--fault", "proc/write:error=EIO:nth=1"}, r);
  INFO(r.out << r.err);
  CHECK(sc["processes"][0]["stdout"] == "stdout\na1=EIO a2=ok a3=ok b1=ok b2=ok p1=ok read=6\n");
  // In rule order: the --fault first.
  REQUIRE(sc["faults"].size() == 2);
  CHECK(sc["faults"][0]["spec"].get<std::string>().find("EIO") != std::string::npos);
  CHECK(sc["faults"][0]["fired"] == 1);
  CHECK(sc["faults"][1]["fired"] == 0);
  REQUIRE(sc["events"].size() == 1);
  CHECK(sc["events"][0]["errno"] == "EIO");
  CHECK(r.exit_code == 0);
}

TEST_CASE("A send whose EAGAIN only a socket timeout makes realistic is recorded as such",
          "[integration][record]") {
  NothingLeftBehind guard;
  const std::string programs = (faultline::test::scenarios_dir() / "programs").string();
  TempScenario s(R"y(scenario: sndtimeo-recorded
timeout: 20s
channels: { ctl: { type: unix-stream } }
processes:
  server:
    run: [")y" + programs +
                 R"y(/echo_server", "${ctl.path}"]
    lifetime: service
    ready: { listening: ctl }
  client:
    after: [server]
    run: [")y" + programs +
                 R"y(/echo_client", "${ctl.path}", "3", "3"]
    expect: { exit: 0, stdout: { contains: "3 ok" } }
)y");
  ScenarioResult r = record(s);
  REQUIRE(r.passed);
  const RecordedCall* send = find_call(r, "client", "send");
  REQUIRE(send != nullptr);
  // echo_client sets SO_SNDTIMEO on a blocking socket: EAGAIN is realistic there only as its
  // own deadline expiring.
  CHECK(send->eagain_realistic);
  CHECK_FALSE(send->eagain_nonblocking);
}

TEST_CASE("memcached from Debian is recorded: its accept4 site, as module+offset, targets it",
          "[integration][record][memcached]") {
  if (!fs::exists("/usr/bin/memcached")) FAIL("memcached is not installed; ci/setup installs it");
  NothingLeftBehind guard;
  const std::string scenario = R"y(scenario: memcached-recorded
timeout: 20s
channels: { mc: { type: unix-stream } }
processes:
  memcached:
    run: [memcached, -u, root, -s, "${mc.path}"]
    lifetime: service
    ready: { listening: mc }
  client:
    run: "printf 'version\\r\\nquit\\r\\n' | socat -t 2 - UNIX-CONNECT:${mc.path}"
    after: [memcached]
    expect: { stdout: { contains: VERSION } }
)y";
  TempScenario s(scenario);
  ScenarioResult r = record(s);
  REQUIRE(r.passed);
  const RecordedCall* accept = find_call(r, "memcached", "accept4");
  REQUIRE(accept != nullptr);
  CHECK(accept->count >= 1);
  CHECK(fs::equivalent(accept->module, "/usr/bin/memcached"));
  // Debian strips memcached: no line, and a site written as module+offset.
  CHECK(accept->location.empty());
  CHECK(std::regex_match(accept->site, std::regex("memcached\\+0x[0-9a-f]+")));
  CHECK(accept->shape == "stream");
  // memcached's listening socket is non-blocking (O_NONBLOCK): an EAGAIN there is realistic
  // and transient, not a deadline of its own.
  CHECK(accept->eagain_realistic);
  CHECK(accept->eagain_nonblocking);
  // The client's calls are its own.
  CHECK(find_call(r, "client", "accept4") == nullptr);

  // That site is the accept loop's: EMFILE there is what stdio_test's memcached case injects.
  CommandResult cr;
  json sc = run_json(
      s, {"--fault", "memcached/accept4:error=EMFILE:site=" + accept->site + ":nth=1"}, cr);
  INFO(cr.out << cr.err);
  CHECK(sc["faults"][0]["fired"] == 1);
  CHECK(sc["processes"][0]["stderr"].get<std::string>().find("accept4(): Too many open files") !=
        std::string::npos);
}

TEST_CASE("A process on the seccomp backend is recorded per call, without a site",
          "[integration][record][seccomp]") {
  NothingLeftBehind guard;
  TempScenario s(R"y(scenario: seccomp-recorded
timeout: 20s
channels: { p: { type: pipe }, q: { type: pipe } }
processes:
  writer:
    run: [sh, -c, 'echo hello']
    stdout: { channel: p }
  reader:
    run: [cat]
    stdin: { channel: p }
    backend: seccomp
  writer2:
    run: [sh, -c, 'echo hello']
    stdout: { channel: q }
  pyreader:
    run: [python3, -c, 'import sys; sys.stdin.buffer.read()']
    stdin: { channel: q }
    backend: seccomp
)y");
  ScenarioResult r = record(s);
  REQUIRE(r.passed);
  const RecordedCall* read = find_call(r, "reader", "read");
  REQUIRE(read != nullptr);
  CHECK(read->seccomp);
  CHECK(read->site.empty());
  CHECK(read->offset == 0);
  CHECK(read->count >= 2);  // "hello\n", then the end of the pipe
  CHECK(read->shape == "pipe");
  // cat catches no signal: its blocking read cannot fail with EINTR, nor with EAGAIN.
  CHECK_FALSE(read->eintr_realistic);
  CHECK_FALSE(read->eagain_realistic);
  // python3 catches SIGINT: whether with SA_RESTART is not to be seen from outside, so EINTR
  // counts as realistic.
  const RecordedCall* pyread = find_call(r, "pyreader", "read");
  REQUIRE(pyread != nullptr);
  CHECK(pyread->seccomp);
  CHECK(pyread->eintr_realistic);
  CHECK_FALSE(pyread->eagain_realistic);
  // cat's write goes to its captured stdout: no IPC.
  for (const auto& c : r.recorded) {
    if (c.process == "reader" || c.process == "pyreader") CHECK(c.seccomp);
    CHECK_FALSE((c.process == "reader" && c.call == "write"));
  }
}
