// The runner's fixed cost per run: a two-process scenario run N times in this process by one
// faultline::Runner, one run after the other, the way `faultline explore` runs its fault
// points. Reports runs/s, CPU per run (the runner's own and its processes') and where the
// wall time of a run goes (RunTimings). Reports; asserts nothing but that every run passes.
//   bench_runner_cost [RUNS] [-j JOBS] [SCENARIO.yaml ...]
// Without a scenario: the showcase's pipe scenario (short reads, 100 records) and a minimal
// `printf | cat` pipe. -j N forks N workers, each with its own Runner, sharing the runs.
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "faultline/runner.h"
#include "faultline/scenario.h"
#include "support.h"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

// Milliseconds spent, summed over runs; sent whole through a pipe from a worker.
struct Totals {
  int runs = 0;
  int failed = 0;
  double self_cpu_ms = 0;  // the runner (this process)
  double provision_ms = 0, control_ms = 0, spawn_ms = 0, supervise_ms = 0, reap_ms = 0,
         verdict_ms = 0, cleanup_ms = 0;
};

double ms(faultline::Duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

double cpu_ms(int who) {
  rusage u{};
  ::getrusage(who, &u);
  auto tv = [](const timeval& t) { return t.tv_sec * 1e3 + t.tv_usec / 1e3; };
  return tv(u.ru_utime) + tv(u.ru_stime);
}

Totals run_sequentially(const faultline::Scenario& scenario, int runs) {
  faultline::Runner runner(faultline::RunOptions{});
  Totals t;
  const double self_before = cpu_ms(RUSAGE_SELF);
  for (int i = 0; i < runs; ++i) {
    faultline::ScenarioResult r = runner.run(scenario);
    ++t.runs;
    if (!r.passed && t.failed++ == 0) {
      for (const auto& v : r.violations) std::fprintf(stderr, "  failed: %s\n", v.message.c_str());
    }
    t.provision_ms += ms(r.timings.provision);
    t.control_ms += ms(r.timings.control);
    t.spawn_ms += ms(r.timings.spawn);
    t.supervise_ms += ms(r.timings.supervise);
    t.reap_ms += ms(r.timings.reap);
    t.verdict_ms += ms(r.timings.verdict);
    t.cleanup_ms += ms(r.timings.cleanup);
  }
  t.self_cpu_ms = cpu_ms(RUSAGE_SELF) - self_before;
  return t;
}

void add(Totals& into, const Totals& t) {
  into.runs += t.runs;
  into.failed += t.failed;
  into.self_cpu_ms += t.self_cpu_ms;
  into.provision_ms += t.provision_ms;
  into.control_ms += t.control_ms;
  into.spawn_ms += t.spawn_ms;
  into.supervise_ms += t.supervise_ms;
  into.reap_ms += t.reap_ms;
  into.verdict_ms += t.verdict_ms;
  into.cleanup_ms += t.cleanup_ms;
}

// JOBS workers, each running its share with a Runner of its own; their totals come back
// through one pipe. The workers' CPU is the parent's RUSAGE_CHILDREN (their processes too).
Totals run_in_workers(const faultline::Scenario& scenario, int runs, int jobs) {
  int fds[2];
  if (::pipe(fds) != 0) std::exit(1);
  std::vector<pid_t> workers;
  for (int w = 0; w < jobs; ++w) {
    const int share = runs / jobs + (w < runs % jobs ? 1 : 0);
    pid_t pid = ::fork();
    if (pid == 0) {
      ::close(fds[0]);
      Totals t = run_sequentially(scenario, share);
      (void)!::write(fds[1], &t, sizeof t);
      ::_exit(0);
    }
    workers.push_back(pid);
  }
  ::close(fds[1]);
  Totals all;
  Totals t;
  while (::read(fds[0], &t, sizeof t) == static_cast<ssize_t>(sizeof t)) add(all, t);
  ::close(fds[0]);
  for (pid_t pid : workers) ::waitpid(pid, nullptr, 0);
  return all;
}

void measure(const fs::path& file, int runs, int jobs) {
  auto loaded = faultline::load_scenario(file);
  if (!loaded.scenario) {
    for (const auto& d : loaded.diagnostics)
      std::fprintf(stderr, "%s: %s\n", file.c_str(), d.message.c_str());
    std::exit(1);
  }
  const faultline::Scenario& scenario = *loaded.scenario;
  (void)run_sequentially(scenario, 2);  // page cache, dynamic loader, first-time paths
  const double self_before = cpu_ms(RUSAGE_SELF);
  const double children_before = cpu_ms(RUSAGE_CHILDREN);
  const auto t0 = Clock::now();
  Totals t = jobs == 1 ? run_sequentially(scenario, runs) : run_in_workers(scenario, runs, jobs);
  const double wall_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  const double total_cpu =
      cpu_ms(RUSAGE_SELF) - self_before + cpu_ms(RUSAGE_CHILDREN) - children_before;
  const double n = t.runs;
  std::printf("%s (%s), %d runs, -j%d\n", scenario.name.c_str(), file.filename().c_str(), t.runs,
              jobs);
  std::printf("  runs/s          %8.1f   (wall %.2f s)\n", n / (wall_ms / 1e3), wall_ms / 1e3);
  std::printf("  CPU ms per run  %8.2f   (runner %.2f, its processes %.2f)\n", total_cpu / n,
              t.self_cpu_ms / n, (total_cpu - t.self_cpu_ms) / n);
  std::printf("  wall ms per run, by phase:\n");
  const struct {
    const char* name;
    double total;
  } phases[] = {{"provision (run dir, cgroup, channels)", t.provision_ms},
                {"control block + launch plans", t.control_ms},
                {"spawn", t.spawn_ms},
                {"supervise (processes running)", t.supervise_ms},
                {"reap (end of supervision)", t.reap_ms},
                {"verdict (counters, events, leaks)", t.verdict_ms},
                {"clean-up (objects, cgroup, run dir)", t.cleanup_ms}};
  for (const auto& p : phases) std::printf("    %-40s %7.2f\n", p.name, p.total / n);
  if (t.failed != 0) {
    std::fprintf(stderr, "%d of %d runs failed\n", t.failed, t.runs);
    std::exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  // The supervisor reads SIGINT/SIGTERM through a signalfd (faultline/runner.h).
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  ::sigprocmask(SIG_BLOCK, &stop, nullptr);

  int runs = 100;
  int jobs = 1;
  std::vector<fs::path> files;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "-j") == 0 && i + 1 < argc) {
      jobs = std::max(1, std::atoi(argv[++i]));
    } else if (std::isdigit(static_cast<unsigned char>(argv[i][0]))) {
      runs = std::atoi(argv[i]);
    } else {
      files.emplace_back(argv[i]);
    }
  }
  // A pipe with nothing to inject: the runner's cost with the least work for the processes.
  faultline::test::TempScenario minimal(
      "scenario: bench-minimal-pipe\n"
      "channels: { p: { type: pipe } }\n"
      "processes:\n"
      "  writer: { run: [printf, \"hello\\n\"], stdout: { channel: p } }\n"
      "  reader: { run: [cat], stdin: { channel: p }, expect: { stdout: { contains: hello } } "
      "}\n");
  if (files.empty())
    files = {faultline::test::scenarios_dir() / "pipe" / "robust.yaml", minimal.path()};
  for (const auto& f : files) measure(f, runs, jobs);
  return 0;
}
