// run_baseline() and run_plan(); see explorer.h. Each point runs in a forked copy of this
// process: a runner owns its process tree (subreaper, cgroup, kill of every descendant), so
// parallel runs must be separate processes; a fork costs less than a new `faultline run`
// (no exec, no reload of the scenario) and a runner that dies takes one point with it, not
// the exploration.
#include "explore/explorer.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <stdexcept>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "faultline/fault_spec.h"
#include "report/json.h"
#include "runner/run_directory.h"

namespace faultline::explore {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// SIGCHLD joins SIGINT and SIGTERM (blocked by main) for sigwaitinfo(); the mask the runs
// start with is the one before.
class WaitableSignals final {
 public:
  WaitableSignals() {
    ::sigemptyset(&set_);
    for (int s : {SIGCHLD, SIGINT, SIGTERM}) ::sigaddset(&set_, s);
    ::sigprocmask(SIG_BLOCK, &set_, &old_);
  }
  ~WaitableSignals() { ::sigprocmask(SIG_SETMASK, &old_, nullptr); }
  WaitableSignals(const WaitableSignals&) = delete;
  WaitableSignals& operator=(const WaitableSignals&) = delete;
  [[nodiscard]] int wait() const {
    for (;;) {
      int sig = ::sigwaitinfo(&set_, nullptr);
      if (sig > 0) return sig;
      if (errno != EINTR) throw std::runtime_error("sigwaitinfo failed");
    }
  }
  [[nodiscard]] const sigset_t& before() const { return old_; }

 private:
  sigset_t set_{}, old_{};
};

// The child: one run of the point, its result as JSON in `json`. Never returns.
[[noreturn]] void run_point_child(const Scenario& scenario, const Plan& plan, const Point& point,
                                  const ExploreOptions& options, const fs::path& json,
                                  const sigset_t& mask) {
  // Its own process group: a terminal's Ctrl-C reaches the explorer, which passes it on once.
  ::setpgid(0, 0);
  ::sigprocmask(SIG_SETMASK, &mask, nullptr);
  int status = 0;
  try {
    RunOptions run = options.run;
    run.record = false;
    run.seed = plan.seed;
    run.without_faults = plan.without_faults;
    run.extra_faults.clear();
    Diagnostics diags;
    // Optional: a fault that does not fire is `unreached`, not a failed expectation.
    auto spec = parse_fault_spec(point.spec + ":optional", diags);
    if (!spec) throw std::runtime_error("bad fault point " + point.spec);
    run.extra_faults.push_back(std::move(*spec));
    Runner runner(run);
    ScenarioResult result = runner.run(scenario);
    std::ofstream out(json);
    out << to_json(result).dump();
    out.close();
    status = out ? 0 : 3;
  } catch (const std::exception& e) {
    std::cerr << "faultline explore: run of " << point.spec << ": " << e.what() << '\n';
    status = 3;
  } catch (...) {
    status = 3;
  }
  ::_exit(status);  // no destructor of the explorer's objects may run here
}

struct Running {
  std::size_t point = 0;
  fs::path json;
  bool recheck = false;
};

// Runs `todo` (point indices), `jobs` at a time; `done` gets each finished point and its
// outcome (nullopt when the run was interrupted or left no result).
class PointRunner final {
 public:
  PointRunner(const Scenario& scenario, const Plan& plan, const ExploreOptions& options,
              const ScenarioResult* baseline)
      : scenario_(scenario),
        plan_(plan),
        options_(options),
        baseline_(baseline),
        scratch_("explore") {}

  using Done = std::function<void(std::size_t point, std::optional<Outcome>, bool recheck)>;

  // Returns false when the budget stopped it before `todo` was done.
  bool run(const std::vector<std::size_t>& todo, bool recheck, Clock::time_point started,
           int* interrupted, const Done& done) {
    WaitableSignals signals;
    std::map<pid_t, Running> running;
    std::size_t next = 0;
    bool budget_hit = false;
    const unsigned jobs = std::max(1u, options_.jobs);
    while (next < todo.size() || !running.empty()) {
      while (!*interrupted && !budget_hit && next < todo.size() && running.size() < jobs) {
        if (options_.budget && Clock::now() - started >= *options_.budget) {
          budget_hit = true;
          break;
        }
        const std::size_t point = todo[next++];
        Running r{point, scratch_.path() / fmt::format("{}-{}.json", point, serial_++), recheck};
        std::cout.flush();
        std::cerr.flush();
        const auto fork_start = Clock::now();
        pid_t pid = ::fork();
        if (pid > 0 && options_.costs) {
          options_.costs->fork_ms += seconds_since(fork_start) * 1e3;
          ++options_.costs->forks;
        }
        if (pid < 0) throw std::runtime_error(fmt::format("fork failed: {}", std::strerror(errno)));
        if (pid == 0)
          run_point_child(scenario_, plan_, plan_.points[point], options_, r.json,
                          signals.before());
        ::setpgid(pid, pid);  // also here: no race with a signal passed on at once
        running.emplace(pid, std::move(r));
      }
      if (running.empty()) break;
      int sig = signals.wait();
      if (sig == SIGINT || sig == SIGTERM) {
        if (!*interrupted) {
          *interrupted = sig;
          for (const auto& [pid, r] : running) ::kill(pid, sig);
        }
        continue;
      }
      int status = 0;
      pid_t pid;
      while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
        auto it = running.find(pid);
        if (it == running.end()) continue;
        Running r = std::move(it->second);
        running.erase(it);
        done(r.point, collect(r), r.recheck);
      }
    }
    return !budget_hit;
  }

 private:
  std::optional<Outcome> collect(const Running& r) {
    const auto t0 = Clock::now();
    std::ifstream in(r.json);
    if (!in) return std::nullopt;
    auto j = nlohmann::json::parse(in, nullptr, false);
    std::error_code ec;
    fs::remove(r.json, ec);
    if (j.is_discarded()) return std::nullopt;
    ScenarioResult result;
    try {
      result = scenario_from_json(j);
    } catch (const std::exception&) {
      return std::nullopt;
    }
    if (result.interrupted_by != 0) return std::nullopt;
    const auto t1 = Clock::now();
    ClassifyOptions co{options_.compare_baseline, baseline_};
    Outcome o = classify(plan_, plan_.points[r.point], result, co);
    if (options_.costs) {
      options_.costs->hand_back_ms += std::chrono::duration<double, std::milli>(t1 - t0).count();
      options_.costs->classify_ms += seconds_since(t1) * 1e3;
    }
    return o;
  }

  const Scenario& scenario_;
  const Plan& plan_;
  const ExploreOptions& options_;
  const ScenarioResult* baseline_;
  RunDirectory scratch_;
  unsigned serial_ = 0;
};

}  // namespace

Baseline run_baseline(const Scenario& scenario, const ExploreOptions& options, int* interrupted) {
  Baseline out;
  RunOptions run = options.run;
  run.record = true;
  if (!run.seed) run.seed = scenario.seed ? *scenario.seed : std::random_device{}();
  Runner runner(run);
  for (unsigned i = 0; i < std::max(1u, options.baseline_runs); ++i) {
    out.runs.push_back(runner.run(scenario));
    const ScenarioResult& r = out.runs.back();
    if (r.interrupted_by != 0) {
      *interrupted = r.interrupted_by;
      return out;
    }
    if (!r.passed) return out;
  }
  out.plan = make_plan(scenario, out.runs, options.plan);
  out.plan->seed = *run.seed;
  return out;
}

Exploration run_plan(const Scenario& scenario, Plan plan, const ExploreOptions& options,
                     const ScenarioResult* baseline, int* interrupted) {
  const auto started = Clock::now();
  Exploration ex;
  ex.plan = std::move(plan);
  ex.shard = options.shard;
  ex.results.resize(ex.plan.points.size());
  std::vector<std::size_t> todo;
  for (std::size_t i = 0; i < ex.plan.points.size(); ++i)
    if (in_shard(ex.plan.points[i], options.shard)) todo.push_back(i);
  if (options.max_runs && todo.size() > *options.max_runs) {
    todo.resize(*options.max_runs);
    ex.notes.push_back(fmt::format(
        "--max-runs {}: {} points of this shard were not run", *options.max_runs,
        std::count_if(ex.plan.points.begin(), ex.plan.points.end(), [&](const Point& p) {
          return in_shard(p, options.shard);
        }) - static_cast<long>(*options.max_runs)));
  }

  PointRunner runner(scenario, ex.plan, options, baseline);
  std::size_t done = 0, bugs = 0;
  auto report_progress = [&](std::size_t total) {
    if (!options.progress) return;
    Progress p;
    p.done = done;
    p.total = total;
    p.findings = bugs;
    double elapsed = seconds_since(started);
    p.runs_per_second = elapsed > 0 ? static_cast<double>(done) / elapsed : 0;
    p.eta_seconds =
        p.runs_per_second > 0 ? static_cast<double>(total - done) / p.runs_per_second : 0;
    options.progress(p);
  };
  bool complete = runner.run(todo, false, started, interrupted,
                             [&](std::size_t point, std::optional<Outcome> outcome, bool) {
                               ++done;
                               ++ex.runs;
                               if (outcome && is_bug(outcome->verdict)) ++bugs;
                               ex.results[point].outcome = std::move(outcome);
                               report_progress(todo.size());
                             });
  ex.stopped_by_budget = !complete;
  if (ex.stopped_by_budget) {
    std::size_t left = todo.size() - done;
    ex.notes.push_back(fmt::format(
        "the budget ran out: {} of this shard's {} points were not run (the plan is breadth "
        "first: every site's first occurrences were run before later ones)",
        left, todo.size()));
  }

  ex.findings = group_findings(ex.plan, ex.results);
  if (options.recheck && !*interrupted && !ex.findings.empty()) {
    std::vector<std::size_t> again;
    for (const auto& f : ex.findings) again.push_back(f.points.front());
    // Re-checks are not bound by the budget: a finding without one would be unconfirmed.
    ExploreOptions unbounded = options;
    unbounded.budget.reset();
    PointRunner rechecker(scenario, ex.plan, unbounded, baseline);
    (void)rechecker.run(again, true, started, interrupted,
                        [&](std::size_t point, std::optional<Outcome> outcome, bool) {
                          ++ex.runs;
                          auto& r = ex.results[point];
                          if (outcome) {
                            r.rerun = outcome->verdict;
                            r.rerun_detail = outcome->detail;
                          }
                        });
    ex.findings = group_findings(ex.plan, ex.results);
  }
  ex.interrupted_by = *interrupted;
  ex.duration_ms = seconds_since(started) * 1000.0;
  return ex;
}

}  // namespace faultline::explore
