// What a run costs the runner beyond its processes: work that `faultline explore` multiplies
// by hundreds of runs is done only when a run needs it (docs/performance.md, "A scenario
// run's fixed cost").
#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>
#include <string>

#include "support.h"

using faultline::test::NothingLeftBehind;
using faultline::test::run_command;
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
                  const TempDir& tmp) {
  const std::string out = tmp / "trace";
  std::vector<std::string> argv{
      "strace",         "-f", "-qq", "-e",
      "trace=" + calls, "-o", out,   faultline::test::faultline_exe().string()};
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
