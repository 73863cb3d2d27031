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

ProbeOutcome run_probe_under(const std::string& fault) {
  test::TempDir dir("fltest-site");
  ControlContext context;
  context.programs = {probe_program()};
  ControlBlock control = ControlBlock::create(dir.path() / "control", {parse(fault)}, 1, context);
  test::CommandResult r = test::run_command(
      {probe_program().string()},
      {"LD_PRELOAD=" + test::interposer_path().string(),
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
