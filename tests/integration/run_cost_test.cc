// What a run costs the runner beyond its processes: work that `faultline explore` multiplies
// by hundreds of runs is done only when a run needs it (docs/performance.md, "A scenario
// run's fixed cost").
#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "support.h"

using faultline::test::NothingLeftBehind;
using faultline::test::run_command;
using faultline::test::run_faultline;
using faultline::test::TempDir;
using faultline::test::TempScenario;

namespace {

const char* const kPipeScenario = R"y(scenario: two-process-pipe
channels: { p: { type: pipe } }
processes:
  writer: { run: [printf, "hello\n"], stdout: { channel: p } }
  reader: { run: [cat], stdin: { channel: p }, expect: { stdout: { contains: hello } } }
)y";

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// `faultline ARGS` under strace -f, its system calls of `calls` written to a file; returns it.
std::string trace(const std::vector<std::string>& args, const std::string& calls,
                  const TempDir& tmp, bool fd_paths = false) {
  const std::string out = tmp / "trace";
  std::vector<std::string> argv{
      "strace",         "-f", "-qq", "-e",
      "trace=" + calls, "-o", out,   faultline::test::faultline_exe().string()};
  if (fd_paths) argv.insert(argv.begin() + 1, "-y");  // each fd with its path
  argv.insert(argv.end(), args.begin(), args.end());
  // A folder of its own for the run directories: no dead run of someone else to clean up.
  auto r = run_command(argv, {"TMPDIR=" + tmp.path().string(), "NO_COLOR=1"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  return read_file(out);
}

}  // namespace

TEST_CASE("A run whose processes all ended by themselves does not list /proc",
          "[integration][cost]") {
  NothingLeftBehind guard;
  TempDir tmp("fltrace");
  TempScenario scenario(kPipeScenario);
  const std::string t = trace({"run", scenario.path().string()}, "openat", tmp);
  // The trace is of the runner: it opened the scenario file.
  REQUIRE(t.find(scenario.path().string()) != std::string::npos);
  // Listing /proc (every process of the machine, one file each) is for processes left
  // behind; with none, the runner knows it from waitid() alone.
  CHECK(t.find("openat(AT_FDCWD, \"/proc\", ") == std::string::npos);
}

TEST_CASE("A run's processes are created in its cgroup: nobody writes cgroup.procs",
          "[integration][cost]") {
  NothingLeftBehind guard;
  TempDir tmp("fltrace");
  TempScenario scenario(kPipeScenario);
  // -y: each fd with its path. Moving a process into a cgroup waits for an RCU grace period
  // (3-15 ms a run here); created there by clone3(CLONE_INTO_CGROUP), it is not moved.
  const std::string t = trace({"run", scenario.path().string()}, "write,clone3", tmp, true);
  if (t.find("CLONE_INTO_CGROUP") == std::string::npos) {
    // No cgroup v2 group for the run (not root, a read-only hierarchy): nothing to check.
    CHECK(t.find("cgroup.procs>") == std::string::npos);
    WARN("the run had no cgroup here: not checked");
    return;
  }
  CHECK(t.find("cgroup.procs>") == std::string::npos);
}

TEST_CASE("The runner starts without loading a C++ library", "[integration][cost]") {
  // Every shared library of the runner was mapped and its symbols bound at each start, before
  // main (and before its SIGINT/SIGTERM handling): libstdc++, yaml-cpp, fmt and libseccomp are
  // linked into it (cmake/StaticRuntime.cmake), libdw is dlopened for site=.
  auto r = run_command({"readelf", "-d", faultline::test::faultline_exe().string()});
  REQUIRE(r.exit_code == 0);
  std::vector<std::string> needed;
  const std::regex entry(R"(\(NEEDED\)\s+Shared library: \[([^\]]+)\])");
  for (auto it = std::sregex_iterator(r.out.begin(), r.out.end(), entry);
       it != std::sregex_iterator(); ++it)
    needed.push_back((*it)[1]);
  INFO(r.out);
  REQUIRE_FALSE(needed.empty());
  for (const auto& library : needed) {
    INFO(library);
    CHECK(library.find("libdw") == std::string::npos);
    CHECK(library.find("libelf") == std::string::npos);
    // libc, libm, and the dynamic loader itself (which is there in any case).
    if (FAULTLINE_STATIC_RUNTIME)
      CHECK((library == "libc.so.6" || library == "libm.so.6" || library.starts_with("ld-linux")));
  }
  if (!FAULTLINE_STATIC_RUNTIME)
    WARN("built with FAULTLINE_STATIC_RUNTIME off: only libdw checked");
}

TEST_CASE("The runner loads libdw only when a run names a site", "[integration][cost]") {
  NothingLeftBehind guard;
  TempDir tmp("fltrace");
  TempScenario scenario(kPipeScenario);
  // libdw and the four libraries it needs were loaded and relocated at every start; only
  // site= (and naming recorded call sites) uses them.
  const std::string plain = trace({"run", scenario.path().string()}, "openat", tmp);
  REQUIRE(plain.find(scenario.path().string()) != std::string::npos);
  CHECK(plain.find("libdw") == std::string::npos);
  CHECK(plain.find("libelf") == std::string::npos);
  // A site is resolved before the run: that is when libdw is opened (this one is in no
  // program, which the resolution says: wrong input).
  const std::string out = tmp / "trace-site";
  auto r = run_command({"strace", "-f", "-qq", "-e", "trace=openat", "-o", out,
                        faultline::test::faultline_exe().string(), "run", scenario.path().string(),
                        "--fault", "read:eof:site=no_such_function"},
                       {"TMPDIR=" + tmp.path().string(), "NO_COLOR=1"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("no function no_such_function in") != std::string::npos);
  CHECK(read_file(out).find("libdw.so.1") != std::string::npos);
}

TEST_CASE("run --timings prints every phase of a run, which add up to no more than the run",
          "[integration][timings]") {
  NothingLeftBehind guard;
  // `second` waits for `first` to end: 300 ms of readiness, not of running.
  TempScenario scenario(R"y(scenario: timed
processes:
  first: { run: 'sleep 0.3' }
  second: { run: 'echo hi', after: [first], expect: { stdout: { contains: hi } } }
)y");
  const auto json_path = scenario.dir() / "result.json";
  auto r =
      run_faultline({"run", scenario.path().string(), "--timings", "--json", json_path.string()});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  std::smatch m;
  const std::regex line(
      R"(timings \(ms\): provision ([0-9.]+), control block ([0-9.]+), spawn ([0-9.]+), )"
      R"(readiness ([0-9.]+), run ([0-9.]+), reap ([0-9.]+), verdict ([0-9.]+), )"
      R"(clean-up ([0-9.]+); ([0-9.]+) of the run's ([0-9.]+))");
  REQUIRE(std::regex_search(r.out, m, line));
  double sum = 0;
  for (int i = 1; i <= 8; ++i) sum += std::stod(m[i]);
  CHECK(std::stod(m[4]) >= 250);  // readiness: the wait for `first`
  CHECK(std::stod(m[5]) < 250);   // run: `second` only
  CHECK(std::stod(m[9]) == Approx(sum).margin(0.05));
  CHECK(std::stod(m[9]) <= std::stod(m[10]));
  // The command's own time around the runs.
  std::smatch own;
  REQUIRE(std::regex_search(
      r.out, own,
      std::regex(R"(timings \(ms\): load and check [0-9.]+, gc [0-9.]+, runs [0-9.]+, )"
                 R"(reports [0-9.]+; faultline's CPU ([0-9.]+) before main, ([0-9.]+) in all)")));
  // The program's own start (exec, the dynamic loader, constructors) costs some CPU, and is
  // part of all the CPU the command used.
  CHECK(std::stod(own[1]) > 0);
  CHECK(std::stod(own[1]) <= std::stod(own[2]));
  // The same phases in the JSON result, all there and within the run's duration.
  std::ifstream in(json_path);
  const auto j = nlohmann::json::parse(in)["scenarios"][0];
  double json_sum = 0;
  for (const char* phase :
       {"provision", "control_block", "spawn", "readiness", "run", "reap", "verdict", "cleanup"}) {
    INFO(phase);
    REQUIRE(j["timings_ms"].contains(phase));
    CHECK(j["timings_ms"][phase].get<double>() >= 0);
    json_sum += j["timings_ms"][phase].get<double>();
  }
  CHECK(j["timings_ms"]["readiness"].get<double>() >= 250);
  // The phases cover the run end to end: their sum is its duration, up to rounding.
  CHECK(json_sum <= j["duration_ms"].get<double>() + 1e-6);
  // -v prints a scenario's line too; a plain run does not.
  auto verbose = run_faultline({"run", scenario.path().string(), "-v"});
  CHECK(verbose.out.find("timings (ms): provision") != std::string::npos);
  auto plain = run_faultline({"run", scenario.path().string()});
  CHECK(plain.out.find("timings") == std::string::npos);
}
