// Unit tests of the backends (preload, seccomp, both): the environment and the filter each
// gives a process, asked through the launch planner as Runner::run asks, and directly.
#include "runner/injection_backend.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "runner/run_steps.h"
#include "seccomp/filter.h"
#include "support.h"

using namespace faultline;

namespace {

const std::string kInterposer = "/opt/faultline/lib/libfaultline-interpose.so";

FaultSpec fault(const std::string& text) {
  Diagnostics d;
  auto spec = parse_fault_spec(text, d);
  REQUIRE(spec);
  return *spec;
}

// One process "p" running /bin/true under `backend`, with the faults given.
Scenario one_process(Backend backend, const std::filesystem::path& dir,
                     std::map<std::string, std::string> env = {},
                     std::vector<FaultSpec> faults = {fault("p/read:error=EIO")}) {
  Scenario s;
  s.name = "backend-choice";
  s.dir = dir;
  ProcessSpec p;
  p.name = "p";
  p.argv = {"/bin/true"};
  p.backend = backend;
  p.env = std::move(env);
  s.processes.push_back(std::move(p));
  s.faults = std::move(faults);
  return s;
}

// What the launch planner makes of the scenario's one process, the runner having been
// started with `runner_preload` as its LD_PRELOAD (nullptr: none).
struct Planned {
  std::vector<std::string> env;
  bool control_fd_inherited = false;
  std::optional<SeccompPlan> seccomp;
  std::string setup_error;
  std::optional<std::string> var(std::string_view name) const {
    const std::string prefix = std::string(name) + "=";
    for (const auto& kv : env)
      if (kv.rfind(prefix, 0) == 0) return kv.substr(prefix.size());
    return std::nullopt;
  }
};
Planned plan_one(const Scenario& scenario, const char* runner_preload) {
  RunOptions options;
  options.interposer = kInterposer;
  ProvisionedRun run(scenario, false);
  if (runner_preload)
    run.env["LD_PRELOAD"] = runner_preload;
  else
    run.env.erase("LD_PRELOAD");
  CompiledControl control(run, scenario.faults, nullptr, 1, false);
  LaunchSet launch = LaunchPlanner(scenario, options, scenario.faults, 1).plan(run, control);
  Planned out;
  out.setup_error = launch.setup_error;
  if (!launch.plans.empty()) {
    const LaunchPlan& plan = launch.plans.front();
    out.env = plan.env;
    out.control_fd_inherited = plan.fds.count(control.fd_number) != 0;
    out.seccomp = plan.seccomp;
  }
  return out;
}

}  // namespace

TEST_CASE("preload puts the interposer ahead of the runner's own LD_PRELOAD",
          "[backend][preload]") {
  test::NothingLeftBehind guard;
  test::TempDir dir;
  const Scenario s = one_process(Backend::preload, dir.path());
  CHECK(plan_one(s, "/usr/lib/libjemalloc.so").var("LD_PRELOAD") ==
        kInterposer + ":/usr/lib/libjemalloc.so");
  CHECK(plan_one(s, "").var("LD_PRELOAD") == kInterposer);
  Planned p = plan_one(s, nullptr);
  CHECK(p.var("LD_PRELOAD") == kInterposer);
  CHECK(p.control_fd_inherited);
  CHECK_FALSE(p.seccomp);
  CHECK(p.var("FAULTLINE_CONTROL_FD"));
  CHECK(p.var("FAULTLINE_PROCESS") == "p");
}

TEST_CASE("seccomp keeps the runner's own LD_PRELOAD without the interposer, and a filter",
          "[backend][seccomp]") {
  test::NothingLeftBehind guard;
  test::TempDir dir;
  const Scenario s = one_process(Backend::seccomp, dir.path());
  CHECK(plan_one(s, "/usr/lib/libjemalloc.so").var("LD_PRELOAD") == "/usr/lib/libjemalloc.so");
  CHECK_FALSE(plan_one(s, "").var("LD_PRELOAD"));
  Planned p = plan_one(s, nullptr);
  CHECK_FALSE(p.var("LD_PRELOAD"));
  CHECK_FALSE(p.control_fd_inherited);
  // The control-block variables reach every process, whatever its backend.
  CHECK(p.var("FAULTLINE_CONTROL"));
  CHECK(p.var("FAULTLINE_CONTROL_FD"));
  REQUIRE(p.seccomp);
  CHECK(p.seccomp->filter->syscall_count() > 0);
  CHECK(p.seccomp->control != nullptr);
  CHECK_FALSE(p.seccomp->skip_interposed);
}

TEST_CASE("both preloads the interposer and filters the calls it cannot reach", "[backend][both]") {
  test::NothingLeftBehind guard;
  test::TempDir dir;
  const Scenario s = one_process(Backend::both, dir.path());
  CHECK(plan_one(s, "/usr/lib/libjemalloc.so").var("LD_PRELOAD") ==
        kInterposer + ":/usr/lib/libjemalloc.so");
  Planned p = plan_one(s, nullptr);
  CHECK(p.var("LD_PRELOAD") == kInterposer);
  CHECK(p.control_fd_inherited);
  REQUIRE(p.seccomp);
  CHECK(p.seccomp->skip_interposed);
}

TEST_CASE("an LD_PRELOAD in the process's own env replaces what the backend composed",
          "[backend]") {
  test::NothingLeftBehind guard;
  test::TempDir dir;
  const auto backend = GENERATE(Backend::preload, Backend::seccomp, Backend::both);
  const Scenario s = one_process(backend, dir.path(),
                                 {{"LD_PRELOAD", "/usr/lib/libasan.so.8:${scenario_dir}/x.so"}});
  CHECK(plan_one(s, "/usr/lib/libjemalloc.so").var("LD_PRELOAD") ==
        "/usr/lib/libasan.so.8:" + dir.path().string() + "/x.so");
}

TEST_CASE("seccomp installs no filter when no call is armed", "[backend][seccomp]") {
  test::NothingLeftBehind guard;
  test::TempDir dir;
  Planned p = plan_one(one_process(Backend::seccomp, dir.path(), {}, {}), nullptr);
  CHECK(p.setup_error.empty());
  CHECK_FALSE(p.seccomp);
}

TEST_CASE("seccomp refuses to start a process with a fault only preload can inject",
          "[backend][seccomp]") {
  test::NothingLeftBehind guard;
  test::TempDir dir;
  const auto faults = std::vector<FaultSpec>{fault("p/read:short=7")};
  CHECK_THAT(plan_one(one_process(Backend::seccomp, dir.path(), {}, faults), nullptr).setup_error,
             Catch::Contains("needs the preload backend") && Catch::Contains("'p'"));
  CHECK(plan_one(one_process(Backend::both, dir.path(), {}, faults), nullptr).setup_error.empty());
  CHECK(
      plan_one(one_process(Backend::preload, dir.path(), {}, faults), nullptr).setup_error.empty());
}

TEST_CASE("each backend is one sibling of the base, picked by kind", "[backend]") {
  BackendResources resources(kInterposer, 1000, nullptr, nullptr);
  RunBackends backends(resources);
  for (Backend kind : {Backend::preload, Backend::seccomp, Backend::both})
    CHECK(backends.get(kind).kind() == kind);
  Environment env{{"LD_PRELOAD", "/usr/lib/libjemalloc.so"}, {"HOME", "/root"}};
  Environment preload = env, seccomp = env;
  backends.get(Backend::preload).compose_environment(preload);
  backends.get(Backend::seccomp).compose_environment(seccomp);
  CHECK(preload ==
        Environment{{"LD_PRELOAD", kInterposer + ":/usr/lib/libjemalloc.so"}, {"HOME", "/root"}});
  CHECK(seccomp == env);
}
