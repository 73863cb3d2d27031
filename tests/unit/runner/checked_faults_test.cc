// Unit tests of "validation once": what preflight looks up (channel=, site=) is a value only
// check_faults() builds, the control block compiles it without looking up again, and the run
// reuses preflight's.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <type_traits>

#include "faultline/runner.h"
#include "faultline_control.h"
#include "faults/control_block.h"
#include "runner/run_steps.h"
#include "support.h"

using namespace faultline;
namespace fs = std::filesystem;

namespace {

FaultSpec fault(const std::string& text) {
  Diagnostics d;
  auto spec = parse_fault_spec(text, d);
  REQUIRE(spec);
  return *spec;
}

// Process "p" running `program`, with one channel "a" and `faults`.
Scenario scenario_of(const fs::path& dir, const fs::path& program, std::vector<FaultSpec> faults) {
  Scenario s;
  s.name = "checked-once";
  s.dir = dir;
  ChannelSpec a;
  a.name = "a";
  s.channels.push_back(a);
  ProcessSpec p;
  p.name = "p";
  p.argv = {program.string()};
  s.processes.push_back(std::move(p));
  s.faults = std::move(faults);
  return s;
}

}  // namespace

TEST_CASE("checked faults can only be made by checking them", "[checked-faults]") {
  STATIC_REQUIRE_FALSE(std::is_default_constructible_v<CheckedFaults>);
  STATIC_REQUIRE_FALSE(std::is_constructible_v<CheckedFaults, std::vector<FaultSpec>>);
}

TEST_CASE("a channel= or site= that is not found is recorded, and said by the control block",
          "[checked-faults]") {
  test::TempDir dir;
  CheckedFaults checked =
      check_faults({fault("read:error=EIO:channel=b"), fault("read:error=EIO:channel=a"),
                    fault("read:error=EIO:site=no_such_function")},
                   {"a"}, {});
  REQUIRE(checked.targets().size() == 3);
  CHECK(checked.targets()[0].unknown_channel);
  CHECK(checked.targets()[1].channel == 0);
  CHECK_FALSE(checked.targets()[1].unknown_channel);
  CHECK_FALSE(checked.targets()[2].site.ok());
  ControlContext context;
  context.channels.push_back({});
  context.channels.back().name = "a";
  try {
    (void)ControlBlock::compile(dir.path() / "control", checked, 1, context);
    FAIL("an unknown channel compiled");
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()) ==
          "fault #1 (read): channel=b names no channel of this run (channels: a)");
  }
  CHECK_FALSE(fs::exists(dir.path() / "control"));
  CHECK_THROWS_AS(ControlBlock::compile(dir.path() / "control", checked, 1, ControlContext{}),
                  std::invalid_argument);
}

TEST_CASE("the run compiles the site= preflight looked up, without looking it up again",
          "[checked-faults]") {
  test::NothingLeftBehind guard;
  test::TempDir dir;
  const fs::path program = dir.path() / "prog";
  fs::copy_file(test::test_programs_dir() / "site_probe", program);
  const Scenario s =
      scenario_of(dir.path(), program, {fault("p/read:error=EIO:site=probe_read_first")});
  RunOptions options;
  options.interposer = test::interposer_path();
  PreflightResult pre = check_before_run(s, options);
  CHECK(pre.problems.empty());
  REQUIRE(pre.faults);
  // The program no longer has the function: a second look-up would not find it.
  fs::remove(program);
  std::ofstream(program) << "#!/bin/sh\nexit 0\n";
  fs::permissions(program, fs::perms::owner_all);

  ProvisionedRun run(s, false);
  CompiledControl reused(run, s.faults, pre.faults.get(), 1, false);
  REQUIRE(reused.block.rule_count() == 1);
  CHECK(reused.block.raw()->rules[0].site_count > 0);
  ProvisionedRun again(s, false);
  CHECK_THROWS_WITH(CompiledControl(again, s.faults, nullptr, 1, false),
                    Catch::Contains("probe_read_first"));
}

TEST_CASE("the run looks up again what preflight checked for other faults", "[checked-faults]") {
  test::TempDir dir;
  const Scenario s = scenario_of(dir.path(), "/bin/true", {fault("p/read:error=EIO:channel=a")});
  PreflightResult pre = check_before_run(s, RunOptions{});
  REQUIRE(pre.faults);
  ControlContext context;
  context.channels.push_back({});
  context.channels.back().name = "a";
  CHECK(pre.faults->checked_for(s.faults, context));
  CHECK_FALSE(pre.faults->checked_for({fault("p/read:error=EIO:channel=a:nth=2")}, context));
  CHECK_FALSE(pre.faults->checked_for(s.faults, ControlContext{}));
}
