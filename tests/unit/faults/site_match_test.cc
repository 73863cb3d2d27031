// site= end to end: faults compiled with the probe's ELF file, site_probe run with the
// interposer preloaded; a fault fires only for the read() of the function or line it names.
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <stdexcept>

#include "faultline/fault_spec.h"
#include "faults/control_block.h"
#include "site_test_support.h"
#include "support.h"

namespace faultline {
namespace {

namespace fs = std::filesystem;
using test::probe_line;
using test::probe_program;

FaultSpec parse(const std::string& text) {
  Diagnostics ds;
  auto spec = parse_fault_spec(text, ds);
  INFO(text);
  REQUIRE(spec);
  return *spec;
}

// site_probe's output under one fault, and the fault's counters afterwards.
struct ProbeOutcome {
  std::string out;
  ControlBlock::RuleStats stats;
};

ProbeOutcome run_probe_under(const std::string& fault, const std::string& mode = "") {
  test::TempDir dir("fltest-site");
  ControlContext context;
  context.programs = {probe_program()};
  ControlBlock control = ControlBlock::create(dir.path() / "control", {parse(fault)}, 1, context);
  std::vector<std::string> command{probe_program().string()};
  if (!mode.empty()) command.push_back(mode);
  test::CommandResult r = test::run_command(
      command, {"LD_PRELOAD=" + test::interposer_path().string(),
                "FAULTLINE_CONTROL=" + control.path().string(), "FAULTLINE_PROCESS=probe"});
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  CHECK(r.exit_code == 0);
  return {r.out, control.stats(0)};
}

TEST_CASE("A fault with site=FUNCTION fires only for calls made from that function") {
  test::NothingLeftBehind guard;
  auto second = run_probe_under("read:error=EIO:site=probe_read_second");
  CHECK(second.out == "first ok\nsecond fail EIO\n");
  CHECK(second.stats.hits == 1);
  CHECK(second.stats.fires == 1);
  auto first = run_probe_under("read:error=EIO:site=probe_read_first");
  CHECK(first.out == "first fail EIO\nsecond ok\n");
}

TEST_CASE("A fault with site=FILE:LINE fires only for calls made from that line") {
  test::NothingLeftBehind guard;
  std::string line = std::to_string(probe_line("SITE_PROBE_FIRST_READ"));
  auto first = run_probe_under("read:error=EIO:site=site_probe.c:" + line);
  CHECK(first.out == "first fail EIO\nsecond ok\n");
  CHECK(first.stats.hits == 1);
  CHECK(first.stats.fires == 1);
}

TEST_CASE("A fault with site= counts no call made from elsewhere") {
  test::NothingLeftBehind guard;
  // main() reads nothing itself: the function exists, but no read() is made from it.
  auto from_main = run_probe_under("read:error=EIO:site=main");
  CHECK(from_main.out == "first ok\nsecond ok\n");
  CHECK(from_main.stats.hits == 0);
}

// A calling context, site=INNER<CALLER: the helper's read fires only when the helper was
// called from the named caller (the interposer walks the stack with libunwind).
TEST_CASE("A fault with a calling context fires only for calls from the named caller") {
  test::NothingLeftBehind guard;
  auto second =
      run_probe_under("read:error=EIO:site=probe_read_helper<probe_via_second", "context");
  CHECK_THAT(second.out, Catch::StartsWith("via first ok\nvia second fail EIO\n"));
  CHECK(second.stats.hits == 1);
  CHECK(second.stats.fires == 1);
  auto first = run_probe_under("read:error=EIO:site=probe_read_helper<probe_via_first", "context");
  CHECK_THAT(first.out, Catch::StartsWith("via first fail EIO\nvia second ok\n"));
  CHECK(first.stats.hits == 1);
  // Three frames: the callers' own caller is main.
  auto deep =
      run_probe_under("read:error=EIO:site=probe_read_helper<probe_via_second<main", "context");
  CHECK_THAT(deep.out, Catch::StartsWith("via first ok\nvia second fail EIO\n"));
  // The helper is never called from main itself: the caller matches, the context does not.
  auto none = run_probe_under("read:error=EIO:site=probe_read_helper<main", "context");
  CHECK_THAT(none.out, Catch::StartsWith("via first ok\nvia second ok\n"));
  CHECK(none.stats.hits == 0);
  // The helper alone (one frame) is both.
  auto both = run_probe_under("read:error=EIO:site=probe_read_helper", "context");
  CHECK_THAT(both.out, Catch::StartsWith("via first fail EIO\nvia second fail EIO\n"));
}

TEST_CASE("libunwind, loaded for a calling context, stays private to the interposer") {
  test::NothingLeftBehind guard;
  // Its _Unwind_* in the global scope would replace libgcc_s's C++ exception unwinder in
  // the program under test.
  auto run = run_probe_under("read:error=EIO:site=probe_read_helper<probe_via_second", "context");
  CHECK_THAT(run.out, Catch::Contains("\nunwinder "));
  CHECK_THAT(run.out, !Catch::Contains("libunwind"));
  CHECK(run.stats.fires == 1);  // and it was loaded: the context matched
}

TEST_CASE("A calling context whose frame is in no program is rejected when it is compiled") {
  test::TempDir dir("fltest-site");
  ControlContext context;
  context.programs = {probe_program()};
  CHECK_THROWS_WITH(
      ControlBlock::create(dir.path() / "control",
                           {parse("read:error=EIO:site=probe_read_helper<nowhere")}, 1, context),
      Catch::Contains("frame 2 of the calling context: site=nowhere: no function nowhere"));
}

TEST_CASE("A fault whose site is in no program of the run is rejected when it is compiled") {
  test::TempDir dir("fltest-site");
  ControlContext context;
  context.programs = {probe_program()};
  CHECK_THROWS_WITH(
      ControlBlock::create(dir.path() / "control", {parse("read:error=EIO:site=nowhere")}, 1,
                           context),
      Catch::Contains("site=nowhere: no function nowhere in " + probe_program().string()));
}

}  // namespace
}  // namespace faultline
