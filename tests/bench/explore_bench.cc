// Exploration throughput: `faultline explore` of a two-process scenario (the pipe showcase's
// robust scenario without its own faults, by default) through the explore engine itself,
// with -j1 and -j2 in one run, rounds interleaved. Reports fault runs per second, CPU per run
// and where a point run's time goes: the phases of Runner::run (RunTimings, reported back by
// the processes that ran the points) and explore's own costs (fork, the result's hand-back,
// classification). Reports; asserts nothing but that the baseline passes and every point
// run gives a verdict.
//   bench_explore [ROUNDS] [-j N]... [SCENARIO.yaml]
// ROUNDS (default 3): how many times the whole plan is run per -j value.
#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "explore/explorer.h"
#include "faultline/scenario.h"
#include "support.h"

namespace fs = std::filesystem;
namespace fx = faultline::explore;
using Clock = std::chrono::steady_clock;

namespace {

double cpu_ms(int who) {
  rusage u{};
  ::getrusage(who, &u);
  auto tv = [](const timeval& t) { return t.tv_sec * 1e3 + t.tv_usec / 1e3; };
  return tv(u.ru_utime) + tv(u.ru_stime);
}

struct Figures {
  std::size_t runs = 0;  // point runs with a verdict
  std::size_t lost = 0;  // point runs without one
  double wall_ms = 0, self_cpu_ms = 0, children_cpu_ms = 0;
  fx::ExploreCosts costs;
  std::map<std::string, std::size_t> verdicts;
};

void explore_once(const faultline::Scenario& scenario, const fx::Plan& plan,
                  const faultline::ScenarioResult& baseline, unsigned jobs, Figures& f) {
  fx::ExploreOptions options;
  options.jobs = jobs;
  options.recheck = false;  // only the point runs are measured
  options.costs = &f.costs;
  int interrupted = 0;
  const double self0 = cpu_ms(RUSAGE_SELF), children0 = cpu_ms(RUSAGE_CHILDREN);
  const auto t0 = Clock::now();
  fx::Exploration ex = fx::run_plan(scenario, plan, options, &baseline, &interrupted);
  f.wall_ms += std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  f.self_cpu_ms += cpu_ms(RUSAGE_SELF) - self0;
  f.children_cpu_ms += cpu_ms(RUSAGE_CHILDREN) - children0;
  for (const auto& r : ex.results) {
    if (r.outcome) {
      ++f.runs;
      ++f.verdicts[std::string(fx::to_string(r.outcome->verdict))];
    } else {
      ++f.lost;
    }
  }
  if (interrupted != 0) std::exit(130);
}

void print(const std::string& name, unsigned jobs, const Figures& f) {
  const double n = static_cast<double>(f.runs + f.lost);
  const fx::ExploreCosts& c = f.costs;
  const double reported = c.runs != 0 ? static_cast<double>(c.runs) : 1.0;
  std::printf("%s, %zu point runs, -j%u\n", name.c_str(), f.runs + f.lost, jobs);
  std::printf("  runs/s          %8.1f   (wall %.2f s)\n", n / (f.wall_ms / 1e3), f.wall_ms / 1e3);
  std::printf("  CPU ms per run  %8.2f   (explorer %.2f, its workers and their processes %.2f)\n",
              (f.self_cpu_ms + f.children_cpu_ms) / n, f.self_cpu_ms / n, f.children_cpu_ms / n);
  std::printf("    of which the runners (the workers' own CPU)  %.2f, their programs %.2f\n",
              c.runner_cpu_ms / reported, f.children_cpu_ms / n - c.runner_cpu_ms / reported);
  std::printf("  verdicts       ");
  for (const auto& [v, k] : f.verdicts) std::printf(" %s %zu,", v.c_str(), k);
  std::printf(" no verdict %zu\n", f.lost);
  std::printf("  wall ms per run, by phase (%zu runs reported their timings):\n", c.runs);
  const struct {
    const char* name;
    double total;
    double per;
  } phases[] = {{"Runner::run, whole", c.run_ms, reported},
                {"  provision (run dir, cgroup, channels)", c.provision_ms, reported},
                {"  control block + launch plans", c.control_ms, reported},
                {"  spawn", c.spawn_ms, reported},
                {"  supervise (processes running)", c.supervise_ms, reported},
                {"  reap (end of supervision)", c.reap_ms, reported},
                {"  verdict (counters, events, leaks)", c.verdict_ms, reported},
                {"  clean-up (objects, cgroup, run dir)", c.cleanup_ms, reported},
                {"explore: result hand-back", c.hand_back_ms, n},
                {"explore: classify", c.classify_ms, n},
                {"explore: fork (in the explorer)", c.fork_ms, n}};
  for (const auto& p : phases) std::printf("    %-42s %7.2f\n", p.name, p.total / p.per);
  std::printf("    (%zu forks for %.0f runs)\n", c.forks, n);
}

}  // namespace

int main(int argc, char** argv) {
  // Like `faultline explore`: SIGINT/SIGTERM are read, not delivered.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  ::sigprocmask(SIG_BLOCK, &stop, nullptr);

  int rounds = 3;
  std::vector<unsigned> jobs;
  fs::path file = faultline::test::scenarios_dir() / "pipe" / "robust.yaml";
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "-j") == 0 && i + 1 < argc) {
      jobs.push_back(static_cast<unsigned>(std::max(1, std::atoi(argv[++i]))));
    } else if (std::isdigit(static_cast<unsigned char>(argv[i][0]))) {
      rounds = std::max(1, std::atoi(argv[i]));
    } else {
      file = argv[i];
    }
  }
  if (jobs.empty()) jobs = {1, 2};

  auto loaded = faultline::load_scenario(file);
  if (!loaded.scenario) {
    for (const auto& d : loaded.diagnostics)
      std::fprintf(stderr, "%s: %s\n", file.c_str(), d.message.c_str());
    return 1;
  }
  faultline::Scenario scenario = std::move(*loaded.scenario);
  scenario.faults.clear();  // --without-faults: the showcase's faults are what it tests

  fx::ExploreOptions options;
  options.run.without_faults = true;
  int interrupted = 0;
  fx::Baseline baseline = fx::run_baseline(scenario, options, &interrupted);
  if (!baseline.plan) {
    std::fprintf(stderr, "the baseline of %s did not pass\n", file.c_str());
    return 1;
  }
  fx::Plan& plan = *baseline.plan;
  plan.without_faults = true;
  std::printf("explore %s (%s): %zu sites, %zu fault points, %d rounds per -j\n",
              scenario.name.c_str(), file.c_str(), plan.sites.size(), plan.points.size(), rounds);

  // One warm-up exploration (page cache, first-time paths), then the rounds interleaved.
  {
    Figures warm;
    explore_once(scenario, plan, baseline.runs.front(), jobs.front(), warm);
  }
  std::vector<Figures> figures(jobs.size());
  for (int r = 0; r < rounds; ++r)
    for (std::size_t k = 0; k < jobs.size(); ++k)
      explore_once(scenario, plan, baseline.runs.front(), jobs[k], figures[k]);
  for (std::size_t k = 0; k < jobs.size(); ++k) print(scenario.name, jobs[k], figures[k]);
  return 0;
}
