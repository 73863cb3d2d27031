// run_baseline() and run_plan(); see explorer.h. The points run in N workers forked from
// this process once per run_plan() (run_in_workers(), util/worker_pool.h, which `run -j`
// shares), each running one point after the other, every point in a Runner::run of its own
// (own run directory, channels, keys, ports, cgroup). A runner owns its process tree
// (subreaper, cgroup, kill of every descendant), so parallel runs must be separate processes;
// a fork costs less than a new `faultline run` (no exec, no reload of the scenario), and one
// per worker rather than per point keeps what the process learnt (the sites libdw resolved, a
// warm heap). A worker classifies its own runs and sends back only the outcome
// (docs/performance.md, "Exploration throughput"); a worker that dies takes one point with
// it, not the exploration. The workers are recorded as `run -j`'s are (the scratch folder of
// run_plan(), below): a SIGKILLed explorer leaves nothing that `faultline gc` does not end.
#include "explore/explorer.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <iostream>
#include <random>
#include <stdexcept>
#include <string_view>

#include <fmt/format.h>

#include "faultline/fault_spec.h"
#include "runner/run_directory.h"
#include "util/worker_pool.h"

namespace faultline::explore {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// Worker -> explorer, the reply to a point: its outcome, classified by the worker (it holds the
// plan and the baseline since its fork), with the run's timings; then `process_size` +
// `detail_size` bytes of text. Only this crosses over: the ScenarioResult stays in the worker.
struct Report {
  std::uint32_t point = 0;
  std::uint8_t interrupted = 0;  // the run was stopped by SIGINT/SIGTERM: no outcome
  std::uint8_t verdict = 0;
  std::uint8_t setup_limit = 0;  // Outcome::setup_limit
  std::uint32_t process_size = 0;
  std::uint32_t detail_size = 0;
  double duration_ms = 0;
  double provision_ms = 0, control_ms = 0, spawn_ms = 0, supervise_ms = 0, reap_ms = 0,
         verdict_ms = 0, cleanup_ms = 0, run_ms = 0, classify_ms = 0, encode_ms = 0;
  double cpu_ms = 0;  // the worker's own CPU for this point (its programs' not included)
};
// A detail is one line; a longer one is cut so that a report always fits one message.
constexpr std::size_t kMaxText = 16 * 1024;
constexpr std::size_t kMaxReply = sizeof(Report) + 2 * kMaxText;

double ms(Duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

double own_cpu_ms() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  auto tv = [](const timeval& t) { return static_cast<double>(t.tv_sec) * 1e3 + t.tv_usec / 1e3; };
  return tv(u.ru_utime) + tv(u.ru_stime);
}

// The run of one point in the worker, with the fault first (`:optional`: a fault that does
// not fire is `unreached`, not a failed expectation).
RunOptions point_options(const ExploreOptions& options, const Plan& plan, const Point& point) {
  RunOptions run = options.run;
  run.record = false;
  run.seed = plan.seed;
  run.without_faults = plan.without_faults;
  // The verdict of a hang reads where each process waits from /proc (ProcessSnapshot's
  // syscall, state, wchan); gdb's backtraces would cost seconds per hung run and nothing
  // in the exploration shows them. The repro command takes them.
  run.backtraces = false;
  run.extra_faults.clear();
  Diagnostics diags;
  auto spec = parse_fault_spec(point.spec + ":optional", diags);
  if (!spec) throw std::runtime_error("bad fault point " + point.spec);
  run.extra_faults.push_back(std::move(*spec));
  return run;
}

// A point's run in a worker, in a Runner::run of its own, and its reply. One worker runs one
// point after the other: its process keeps what it learnt (resolved sites, a warm heap).
// Returns false when the run was interrupted: the worker then ends.
bool run_point(const Scenario& scenario, const Plan& plan, const ExploreOptions& options,
               const ScenarioResult* baseline, std::uint32_t index, std::string& message) {
  if (index >= plan.points.size()) throw std::runtime_error("no such fault point");
  const Point& point = plan.points[index];
  const double cpu0 = own_cpu_ms();
  Runner runner(point_options(options, plan, point));
  const auto t0 = Clock::now();
  ScenarioResult result = runner.run(scenario);
  const auto t1 = Clock::now();
  Report r;
  r.point = index;
  r.interrupted = result.interrupted_by != 0;
  std::string_view process, detail;
  Outcome outcome;
  if (!r.interrupted) {
    outcome = classify(plan, point, result, ClassifyOptions{options.compare_baseline, baseline});
    r.verdict = static_cast<std::uint8_t>(outcome.verdict);
    r.setup_limit = outcome.setup_limit ? 1 : 0;
    r.duration_ms = outcome.duration_ms;
    process = std::string_view(outcome.process).substr(0, kMaxText);
    detail = std::string_view(outcome.detail).substr(0, kMaxText);
  }
  const auto t2 = Clock::now();
  const RunTimings& tm = result.timings;
  r.provision_ms = ms(tm.provision);
  r.control_ms = ms(tm.control);
  r.spawn_ms = ms(tm.spawn);
  r.supervise_ms = ms(tm.readiness + tm.supervise);
  r.reap_ms = ms(tm.reap);
  r.verdict_ms = ms(tm.verdict);
  r.cleanup_ms = ms(tm.cleanup);
  r.run_ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
  r.classify_ms = std::chrono::duration<double, std::milli>(t2 - t1).count();
  r.process_size = static_cast<std::uint32_t>(process.size());
  r.detail_size = static_cast<std::uint32_t>(detail.size());
  message.assign(reinterpret_cast<const char*>(&r), sizeof r);
  message.append(process);
  message.append(detail);
  Report* head = reinterpret_cast<Report*>(message.data());
  head->encode_ms = seconds_since(t2) * 1e3;
  head->cpu_ms = own_cpu_ms() - cpu0;
  return !r.interrupted;
}

// Runs `todo` (point indices) in `jobs` workers forked once, each taking one point after the
// other; `done` gets each finished point and its outcome (nullopt when the run was
// interrupted). A worker that dies takes only the point it was running: that point gets a
// `setup` outcome saying so, and a new worker takes the next one.
class PointRunner final {
 public:
  PointRunner(const Scenario& scenario, const Plan& plan, const ExploreOptions& options,
              const ScenarioResult* baseline, RunDirectory& scratch)
      : scenario_(scenario),
        plan_(plan),
        options_(options),
        baseline_(baseline),
        scratch_(scratch) {}

  using Done = std::function<void(std::size_t point, std::optional<Outcome>, bool recheck)>;

  // Returns false when the budget stopped it before `todo` was done.
  bool run(const std::vector<std::size_t>& todo, bool recheck, Clock::time_point started,
           int* interrupted, const Done& done) {
    std::size_t next = 0;
    bool budget_hit = false;
    WorkerPoolJobs pool;
    pool.max_reply = kMaxReply;
    // As `run -j` does (cli/parallel_run.cc): each worker's process group in the scratch
    // folder's manifest, so that `faultline gc` (or the next run) collecting the folder of a
    // SIGKILLed explorer kills what is left of them and waits until they are gone.
    pool.started = [&](pid_t worker) { scratch_.record_process_group(worker); };
    pool.work = [&](std::uint32_t point, std::string& reply) {
      return run_point(scenario_, plan_, options_, baseline_, point, reply);
    };
    pool.next = [&]() -> std::optional<std::uint32_t> {
      if (budget_hit || next >= todo.size()) return std::nullopt;
      if (options_.budget && Clock::now() - started >= *options_.budget) {
        budget_hit = true;
        return std::nullopt;
      }
      return static_cast<std::uint32_t>(todo[next++]);
    };
    pool.width = [&] { return std::max<std::size_t>(1, options_.jobs); };
    pool.done = [&](std::uint32_t point, std::string_view reply, bool) {
      const auto t0 = Clock::now();
      Report r;
      std::optional<Outcome> outcome;
      if (reply.size() >= sizeof r) std::memcpy(&r, reply.data(), sizeof r);
      if (reply.size() < sizeof r || r.point != point ||
          sizeof r + r.process_size + r.detail_size != reply.size()) {
        Outcome o;
        o.verdict = Verdict::setup;
        o.detail = "the explorer's worker running this point sent a malformed report: no verdict";
        done(point, std::move(o), recheck);
        return;
      }
      if (!r.interrupted) {
        outcome.emplace();
        outcome->verdict = static_cast<Verdict>(r.verdict);
        outcome->duration_ms = r.duration_ms;
        outcome->setup_limit = r.setup_limit != 0;
        outcome->process.assign(reply.data() + sizeof r, r.process_size);
        outcome->detail.assign(reply.data() + sizeof r + r.process_size, r.detail_size);
      }
      if (ExploreCosts* c = options_.costs) {
        ++c->runs;
        c->provision_ms += r.provision_ms;
        c->control_ms += r.control_ms;
        c->spawn_ms += r.spawn_ms;
        c->supervise_ms += r.supervise_ms;
        c->reap_ms += r.reap_ms;
        c->verdict_ms += r.verdict_ms;
        c->cleanup_ms += r.cleanup_ms;
        c->run_ms += r.run_ms;
        c->runner_cpu_ms += r.cpu_ms;
        c->classify_ms += r.classify_ms;
        c->hand_back_ms += r.encode_ms + seconds_since(t0) * 1e3;
      }
      done(point, std::move(outcome), recheck);
    };
    pool.lost = [&](std::uint32_t point, int wait_status, bool) {
      done(point, lost_point(wait_status, *interrupted), recheck);
    };
    pool.forked = [&](double fork_ms) {
      if (ExploreCosts* c = options_.costs) {
        c->fork_ms += fork_ms;
        ++c->forks;
      }
    };
    run_in_workers(pool, interrupted);
    return !budget_hit;
  }

 private:
  // The outcome of a point whose worker ended in the middle of it: none when the exploration
  // was interrupted (the run was stopped), else a `setup` outcome that says what happened.
  static std::optional<Outcome> lost_point(int status, int interrupted) {
    if (interrupted) return std::nullopt;
    Outcome o;
    o.verdict = Verdict::setup;
    o.detail = WIFSIGNALED(status)
                   ? fmt::format(
                         "the explorer's worker running this point was killed by "
                         "signal {} ({}): no verdict",
                         WTERMSIG(status), ::strsignal(WTERMSIG(status)))
                   : fmt::format(
                         "the explorer's worker running this point exited with status "
                         "{} before it reported: no verdict",
                         WEXITSTATUS(status));
    return o;
  }

  const Scenario& scenario_;
  const Plan& plan_;
  const ExploreOptions& options_;
  const ScenarioResult* baseline_;
  RunDirectory& scratch_;
};

}  // namespace

Baseline run_baseline(const Scenario& scenario, const ExploreOptions& options, int* interrupted) {
  Baseline out;
  RunOptions run = options.run;
  run.record = true;
  run.context = options.plan.context;
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

  // Owned like a run's folder: it records the workers of every PointRunner below.
  RunDirectory scratch("explore");
  PointRunner runner(scenario, ex.plan, options, baseline, scratch);
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
  // Points that met a per-user or system limit the runs beside them shared (msgmni,
  // RLIMIT_MSGQUEUE, ...) run again one at a time, as `run -j` does: a limit is no verdict.
  if (options.jobs > 1 && !*interrupted) {
    std::vector<std::size_t> again;
    for (std::size_t i : todo)
      if (const auto& o = ex.results[i].outcome;
          o && o->verdict == Verdict::setup && o->setup_limit)
        again.push_back(i);
    if (!again.empty()) {
      ExploreOptions alone = options;
      alone.jobs = 1;
      alone.budget.reset();
      PointRunner serial(scenario, ex.plan, alone, baseline, scratch);
      (void)serial.run(again, false, started, interrupted,
                       [&](std::size_t point, std::optional<Outcome> outcome, bool) {
                         ++ex.runs;
                         if (outcome) ex.results[point].outcome = std::move(outcome);
                       });
      ex.notes.push_back(fmt::format(
          "{} point{} met a per-user or system limit while other runs were going on, and "
          "ran again alone",
          again.size(), again.size() == 1 ? "" : "s"));
    }
  }
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
    PointRunner rechecker(scenario, ex.plan, unbounded, baseline, scratch);
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
