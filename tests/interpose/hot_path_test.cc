// What an armed call that does not fire costs in system calls of the interposer's own
// (docs/how-it-works.md, "Matching asks the kernel"): an fd is looked at once, whatever its
// number; a mapping of an fd is answered from the fd cache; a channel= rule whose channel the
// object cannot be costs no look at all. Counted with strace between two marks fl_probe makes
// around the calls under test.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "probe.h"

using faultline::ControlBlock;
using faultline::ControlContext;
using faultline::FaultAction;
using faultline::test::make_fault;
using faultline::test::ScratchDir;

namespace {

constexpr int kCalls = 50;

struct Traced {
  std::string out;  // the probe's stdout
  int looks = -1;   // stat-family system calls between the marks; -1: no marks in the trace
};

// fl_probe ARGS under strace, with the interposer and `control`; counts the fstat, newfstatat,
// fstatfs and statx calls between the probe's "fl-begin" and "fl-end" marks.
Traced traced_probe(const ControlBlock& control, const std::vector<std::string>& args,
                    const ScratchDir& dir) {
  const std::string trace = (dir.path() / "trace").string();
  std::vector<std::string> argv{"strace",
                                "-f",
                                "-qq",
                                "-e",
                                "trace=write,fstat,newfstatat,fstatfs,statx",
                                "-o",
                                trace,
                                "-E",
                                "LD_PRELOAD=" + faultline::test::interposer_path().string(),
                                "-E",
                                "FAULTLINE_CONTROL=" + control.path().string(),
                                "-E",
                                "FAULTLINE_PROCESS=proc",
                                (faultline::test::test_programs_dir() / "fl_probe").string()};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = faultline::test::run_command(argv);
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  REQUIRE(r.exit_code == 0);
  std::ifstream in(trace);
  Traced t{r.out, -1};
  bool inside = false;
  for (std::string line; std::getline(in, line);) {
    if (line.find("\"fl-begin\"") != std::string::npos) {
      inside = true;
      t.looks = 0;
    } else if (line.find("\"fl-end\"") != std::string::npos) {
      inside = false;
    } else if (inside && line.find("write(") == std::string::npos) {
      ++t.looks;
    }
  }
  INFO("trace:\n" << std::string(std::istreambuf_iterator<char>(std::ifstream(trace).rdbuf()), {}));
  return t;
}

}  // namespace

TEST_CASE("An armed write on fd 5000 looks at its fd once, as on a small fd",
          "[interpose][hot_path]") {
  ScratchDir dir("flhot");
  // Never fires: every call asks the rule engine, which needs the fd's class (fd=ipc).
  auto spec = make_fault({"write"}, FaultAction::error, EIO);
  spec.nth = 1000000000000ULL;
  auto cb = ControlBlock::create(dir.path() / "control", {spec}, 1);
  for (int fd : {5, 5000}) {
    CAPTURE(fd);
    auto t = traced_probe(cb, {"writes-at", std::to_string(fd), std::to_string(kCalls)}, dir);
    CHECK(t.out == "writes-at " + std::to_string(fd) + " failed 0\n");
    // The first call classifies the fd (one fstat); the others are answered from the cache.
    CHECK(t.looks == 1);
  }
  CHECK(cb.stats(0).hits == 2 * kCalls);
  CHECK(cb.stats(0).fires == 0);
}

TEST_CASE("Private mappings of one fd under an mmap rule look at the fd once",
          "[interpose][hot_path]") {
  ScratchDir dir("flhot");
  const auto file = dir.path() / "data";
  std::ofstream(file) << std::string(4096, 'x');
  // fd=ipc: a private mapping of a regular file is never the rule's.
  auto cb = ControlBlock::create(dir.path() / "control",
                                 {make_fault({"mmap"}, FaultAction::error, ENOMEM)}, 1);
  auto t = traced_probe(cb, {"mmaps", file.string(), std::to_string(kCalls)}, dir);
  CHECK(t.out == "mmaps failed 0\n");
  // Classified once (fstat, and fstatfs: a POSIX message queue is a regular file too), not
  // once per call.
  CHECK(t.looks == 2);
  CHECK(cb.stats(0).hits == 0);
}

TEST_CASE("A shared mapping of a file is still ipc, from the fd cache", "[interpose][hot_path]") {
  ScratchDir dir("flhot");
  const auto file = dir.path() / "data";
  std::ofstream(file) << std::string(4096, 'x');
  auto cb = ControlBlock::create(dir.path() / "control",
                                 {make_fault({"mmap"}, FaultAction::error, ENOMEM)}, 1);
  // The private mappings classify the fd (cached as a file); the shared one of the same fd
  // must not take the private view from the cache: processes mapping a file share it.
  auto r = faultline::test::run_probe(
      {"mmaps", file.string(), "2", "smmaps", file.string(), "1", "mmaps", file.string(), "1"},
      {"FAULTLINE_CONTROL=" + cb.path().string(), "FAULTLINE_PROCESS=proc"});
  CHECK(faultline::test::out_of(r) == "mmaps failed 0\nsmmaps failed 1\nmmaps failed 0\n");
  CHECK(cb.stats(0).hits == 1);
}

TEST_CASE("open under a channel= rule whose channel no path can be costs no look",
          "[interpose][hot_path]") {
  ScratchDir dir("flhot");
  const auto file = dir.path() / "data";
  std::ofstream(file) << "x";
  ControlContext context;
  // A TCP channel (a port only) and a Unix socket channel (a path only): an open() of a file
  // is never the first, and the second only when it opens that very path.
  context.channels.push_back({"tcp", -1, 0, 4242, 0, 0, ""});
  context.channels.push_back({"sock", -1, 0, 0, 0, 0, (dir.path() / "sock").string()});
  auto on_tcp = make_fault({"open", "openat"}, FaultAction::error, EACCES);
  on_tcp.channel = "tcp";
  auto on_sock = make_fault({"open", "openat"}, FaultAction::error, EACCES);
  on_sock.channel = "sock";
  auto cb = ControlBlock::create(dir.path() / "control", {on_tcp, on_sock}, 1, context);
  auto t = traced_probe(cb, {"opens", file.string(), std::to_string(kCalls)}, dir);
  CHECK(t.out == "opens failed 0\n");
  CHECK(t.looks == 0);
  CHECK(cb.stats(0).hits == 0);
  CHECK(cb.stats(1).hits == 0);
  // Why they never fired is still counted.
  CHECK(cb.misses(0)[FL_MISS_CHANNEL] == kCalls);
  // The path channel still matches its own path (the open then fails as the rule says).
  auto r = traced_probe(cb, {"opens", (dir.path() / "sock").string(), "1"}, dir);
  CHECK(r.out == "opens failed 1\n");
  CHECK(cb.stats(1).fires == 1);
}
