// `faultline explore` and `faultline merge`; see explore_command.h.
#include "explore_command.h"

#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <optional>
#include <string_view>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "exit_status.h"
#include "explore/explorer.h"
#include "explore/html.h"
#include "explore/json.h"
#include "explore/report.h"
#include "faults/call_table.h"
#include "report/trace.h"
#include "runner/run_directory.h"
#include "scenario_paths.h"
#include "tap_output.h"

namespace faultline::cli {
namespace {

namespace fs = std::filesystem;
using namespace faultline::explore;

bool use_color(int fd) { return ::isatty(fd) && std::getenv("NO_COLOR") == nullptr; }

// The whole text as a decimal number: no sign, no trailing characters, no overflow.
std::optional<unsigned> parse_unsigned(std::string_view text) {
  unsigned n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return n;
}

std::optional<unsigned> env_unsigned(const char* name) {
  const char* v = std::getenv(name);
  if (!v) return std::nullopt;
  return parse_unsigned(v);
}

// The variables CI engines shard tests with. Read here, then removed from the environment
// the programs under test inherit, so that a GoogleTest binary being explored does not
// shard itself.
constexpr const char* kShardVariables[] = {
    "TEST_SHARD_INDEX",  "TEST_TOTAL_SHARDS",  "TEST_SHARD_STATUS_FILE",
    "GTEST_SHARD_INDEX", "GTEST_TOTAL_SHARDS", "GTEST_SHARD_STATUS_FILE",
    "CI_NODE_INDEX",     "CI_NODE_TOTAL",      "JOB_COMPLETION_INDEX"};

struct ShardChoice {
  Shard shard;
  std::string source;  // "--shard", "Bazel", ...
  std::string error;
};

ShardChoice choose_shard(const ExploreArgs& args) {
  ShardChoice c;
  auto pair = [&](std::optional<unsigned> index, std::optional<unsigned> total, bool one_based,
                  std::string source) {
    c.source = std::move(source);
    if (!index || !total || *total == 0) {
      c.error = fmt::format("{}: the shard index and count must be numbers", c.source);
      return;
    }
    unsigned i = one_based ? *index - 1 : *index;
    if ((one_based && *index == 0) || i >= *total) {
      c.error = fmt::format("{}: shard {} of {} does not exist", c.source, *index, *total);
      return;
    }
    c.shard = {i, *total};
  };
  if (!args.shard.empty()) {
    auto slash = args.shard.find('/');
    std::optional<unsigned> i, n;
    if (slash != std::string::npos) {
      const std::string_view text = args.shard;
      i = parse_unsigned(text.substr(0, slash));
      n = parse_unsigned(text.substr(slash + 1));
    }
    pair(i, n, true, "--shard " + args.shard);
    if (!c.error.empty()) c.error += " (write I/N, 1 <= I <= N)";
    return c;
  }
  if (std::getenv("TEST_TOTAL_SHARDS"))
    pair(env_unsigned("TEST_SHARD_INDEX"), env_unsigned("TEST_TOTAL_SHARDS"), false, "Bazel");
  else if (std::getenv("GTEST_TOTAL_SHARDS"))
    pair(env_unsigned("GTEST_SHARD_INDEX"), env_unsigned("GTEST_TOTAL_SHARDS"), false,
         "GoogleTest");
  else if (std::getenv("CI_NODE_TOTAL") && !std::getenv("CI_NODE_INDEX") &&
           env_unsigned("CI_NODE_TOTAL") == 1u)
    return c;  // GitLab sets CI_NODE_TOTAL=1 in every job without `parallel:`: no shards
  else if (std::getenv("CI_NODE_TOTAL"))
    pair(env_unsigned("CI_NODE_INDEX"), env_unsigned("CI_NODE_TOTAL"), true, "GitLab");
  else if (std::getenv("JOB_COMPLETION_INDEX")) {
    if (!args.shards) {
      c.error =
          "JOB_COMPLETION_INDEX is set (a Kubernetes Indexed Job): say how many "
          "completions the Job has with --shards N";
      return c;
    }
    pair(env_unsigned("JOB_COMPLETION_INDEX"), args.shards, false, "Kubernetes");
  } else if (args.shards) {
    c.error =
        "--shards N goes with JOB_COMPLETION_INDEX (a Kubernetes Indexed Job); use "
        "--shard I/N elsewhere";
  }
  return c;
}

// Bazel asks a test that shards to touch this file, to tell it the test knows how.
void touch_bazel_status_file() {
  if (const char* f = std::getenv("TEST_SHARD_STATUS_FILE"); f && *f) std::ofstream(f).flush();
}

std::vector<std::string> split_commas(const std::vector<std::string>& values) {
  std::vector<std::string> out;
  for (const auto& v : values) {
    std::size_t start = 0;
    while (start <= v.size()) {
      auto comma = v.find(',', start);
      auto word = v.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (!word.empty()) out.push_back(word);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  return out;
}

// A progress line on a terminal, rewritten in place; nothing when stderr is no terminal.
class ProgressLine final {
 public:
  explicit ProgressLine(bool enabled) : enabled_(enabled && ::isatty(STDERR_FILENO)) {}
  ~ProgressLine() { clear(); }
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;
  void show(const std::string& scenario, const Progress& p) {
    if (!enabled_) return;
    std::cerr << fmt::format(
                     "\r\033[Kexplore {}: {}/{} runs, {} finding{}, {:.1f} runs/s, ETA {:.0f} s",
                     scenario, p.done, p.total, p.findings, p.findings == 1 ? "" : "s",
                     p.runs_per_second, p.eta_seconds)
              << std::flush;
    shown_ = true;
  }
  void clear() {
    if (enabled_ && shown_) std::cerr << "\r\033[K" << std::flush;
    shown_ = false;
  }

 private:
  bool enabled_;
  bool shown_ = false;
};

// `explore --trace`: each finding's repro (`faultline run FILE --fault SPEC --seed S`) run
// once more here, for its timeline. A point's own run stays in the worker that ran it (only
// its verdict comes back), so the trace shows the run a user's repro gives.
void trace_findings(const Scenario& scenario, const Exploration& e, const RunOptions& base,
                    std::vector<ScenarioResult>& traced, int* interrupted) {
  for (std::size_t k = 0; k < e.findings.size() && !*interrupted; ++k) {
    const Finding& f = e.findings[k];
    const Point& point = e.plan.points[f.points.front()];
    RunOptions run = base;
    run.record = false;
    run.seed = e.plan.seed;
    run.without_faults = e.plan.without_faults;
    run.extra_faults.clear();
    Diagnostics diags;
    auto spec = parse_fault_spec(point.spec, diags);
    if (!spec) continue;  // the plan's own specs parse; a hand-edited --plan may not
    run.extra_faults.push_back(std::move(*spec));
    ScenarioResult r = Runner(run).run(scenario);
    *interrupted = r.interrupted_by;
    r.scenario = fmt::format("{} finding {}: {} {}", scenario.name, k + 1, to_string(f.verdict),
                             point.spec);
    traced.push_back(std::move(r));
  }
}

// A baseline run, named as such on the timeline.
void trace_baseline(std::vector<ScenarioResult> runs, std::vector<ScenarioResult>& traced) {
  for (std::size_t i = 0; i < runs.size(); ++i) {
    runs[i].scenario = fmt::format("{} baseline {}", runs[i].scenario, i + 1);
    traced.push_back(std::move(runs[i]));
  }
}

}  // namespace

int run_explore(ExploreArgs args) {
  Diagnostics diags;
  ExploreOptions options;
  options.jobs = args.jobs;
  options.baseline_runs = args.baseline_runs;
  options.compare_baseline = args.compare_baseline;
  options.recheck = !args.no_recheck;
  options.max_runs = args.max_runs;
  options.run.seed = args.seed;
  options.run.backtraces = !args.no_backtrace;
  options.run.without_faults = args.without_faults;
  auto bad = [](const std::string& message, const std::string& hint) {
    std::cerr << "faultline explore: " << message << "\n  hint: " << hint << '\n';
    return kExitInput;
  };
  if (!args.budget.empty()) {
    auto d = parse_duration(args.budget);
    if (!d || *d <= Duration::zero())
      return bad(fmt::format("--budget {}: not a duration", args.budget),
                 "write it with a unit: 90s, 10m, 1.5h is not accepted (use 90m)");
    options.budget = *d;
  }
  if (args.errnos == "realistic")
    options.plan.errnos = ErrnoSet::realistic;
  else if (args.errnos == "all")
    options.plan.errnos = ErrnoSet::all;
  else
    return bad("--errnos " + args.errnos + ": unknown", "realistic (the default) or all");
  if (args.occurrences == "all") {
    options.plan.occurrences = 0;
  } else if (!args.occurrences.empty()) {
    try {
      std::size_t used = 0;
      auto k = std::stoull(args.occurrences, &used);
      if (used != args.occurrences.size() || k == 0) throw std::invalid_argument("");
      options.plan.occurrences = k;
    } catch (const std::exception&) {
      return bad("--occurrences " + args.occurrences + ": not a count",
                 "all, or K > 0 for the first K occurrences of each site");
    }
  }
  if (!args.context.empty()) {
    std::size_t used = 0;
    unsigned long k = 0;
    try {
      k = std::stoul(args.context, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != args.context.size() || k < 1 || k > kMaxContextFrames)
      return bad("--context " + args.context + ": not a number of frames from 1 to " +
                     std::to_string(kMaxContextFrames),
                 "--context K makes a site the K innermost frames of a call (1, the default: "
                 "the caller; 2: the caller and its caller, for programs that wrap every IPC "
                 "call in one helper)");
    options.plan.context = static_cast<unsigned>(k);
    if (!args.plan.empty())
      return bad("--context with --plan: the plan says how many frames a site is",
                 "give --context when the plan is made (`--plan-only --json plan.json`)");
  }
  options.run.context = options.plan.context;
  options.plan.kinds = split_commas(args.kinds);
  static const std::vector<std::string> kKinds{"error", "short",    "eof",  "reset",
                                               "drop",  "spurious", "crash"};
  for (const auto& k : options.plan.kinds)
    if (std::find(kKinds.begin(), kKinds.end(), k) == kKinds.end())
      return bad("--kinds " + k + ": unknown kind",
                 "error, short, eof, reset, drop, spurious, crash");
  options.plan.processes = split_commas(args.processes);
  options.plan.calls = split_commas(args.calls);
  for (const auto& c : options.plan.calls)
    if (resolve_call(c).empty())
      return bad("--call " + c + ": no interposed call of that name",
                 "`faultline calls` lists them");

  ShardChoice shard = choose_shard(args);
  if (!shard.error.empty()) return bad(shard.error, "docs/explore.md, \"Across machines\"");
  options.shard = shard.shard;
  touch_bazel_status_file();
  for (const char* v : kShardVariables) ::unsetenv(v);

  // The plan: from a file (shards of one plan), or from the baselines here.
  std::vector<Exploration> planned;
  std::vector<Scenario> scenarios;
  if (!args.plan.empty()) {
    std::ifstream in(args.plan);
    auto j = nlohmann::json::parse(in, nullptr, false);
    if (!in.is_open() || j.is_discarded())
      return bad("--plan " + args.plan + ": cannot read it as JSON",
                 "`faultline explore SCENARIO --plan-only --json plan.json` writes one");
    try {
      planned = explorations_from_json(j);
    } catch (const std::exception& e) {
      return bad("--plan " + args.plan + ": " + e.what(),
                 "`faultline explore SCENARIO --plan-only --json plan.json` writes one");
    }
    for (const auto& e : planned) {
      LoadResult r = load_scenario(e.plan.file);
      if (!r.scenario) {
        for (const auto& d : r.diagnostics) std::cerr << d.format() << '\n';
        return kExitInput;
      }
      if (e.plan.without_faults) r.scenario->faults.clear();
      scenarios.push_back(std::move(*r.scenario));
    }
  } else {
    auto files = expand_scenario_paths(args.paths, diags);
    for (const auto& f : files) {
      LoadResult r = load_scenario(f);
      diags.insert(diags.end(), r.diagnostics.begin(), r.diagnostics.end());
      if (r.scenario) {
        if (args.without_faults) r.scenario->faults.clear();
        Diagnostics pre = preflight(*r.scenario, options.run);
        diags.insert(diags.end(), pre.begin(), pre.end());
        scenarios.push_back(std::move(*r.scenario));
      }
    }
    if (files.empty() && diags.empty())
      return bad("no scenario to explore", "faultline explore SCENARIO.yaml...");
  }
  if (!diags.empty()) {
    for (const auto& d : diags) std::cerr << d.format() << '\n';
    return kExitInput;
  }
  // From here on, with --tap -, stdout carries TAP only (the console goes to stderr).
  TapOutput tap(args.plan_only ? std::string() : args.tap);
  for (const auto& line : collect_garbage())
    std::cerr << "faultline: cleaning up after a dead run: " << line << '\n';

  ReportStyle style{use_color(STDOUT_FILENO), args.verbose, args.jobs};
  ProgressLine progress(args.progress);
  std::vector<Exploration> explored;
  std::vector<ScenarioResult> traced;  // --trace: baselines and each finding's repro
  int interrupted = 0;
  bool baseline_failed = false;
  for (std::size_t s = 0; s < scenarios.size() && !interrupted; ++s) {
    const Scenario& scenario = scenarios[s];
    std::optional<Plan> plan;
    ScenarioResult baseline_result;
    if (!planned.empty()) {
      plan = planned[s].plan;
      if (args.compare_baseline) {
        // The plan holds no outputs: one run here gives the baseline to compare with.
        ExploreOptions once = options;
        once.baseline_runs = 1;
        once.run.seed = plan->seed;
        once.plan.context = once.run.context = plan->context;
        Baseline b = run_baseline(scenario, once, &interrupted);
        if (!args.trace.empty()) trace_baseline(b.runs, traced);
        if (b.runs.empty() || !b.plan) {
          if (!b.runs.empty()) print_baseline_failure(std::cout, b.runs.back(), 1, 1);
          baseline_failed = true;
          continue;
        }
        baseline_result = b.runs.front();
      }
    } else {
      progress.show(scenario.name, {});
      Baseline b = run_baseline(scenario, options, &interrupted);
      progress.clear();
      if (!args.trace.empty()) trace_baseline(b.runs, traced);
      if (interrupted) break;
      if (!b.plan) {
        print_baseline_failure(std::cout, b.runs.back(), static_cast<unsigned>(b.runs.size()),
                               options.baseline_runs);
        baseline_failed = true;
        continue;
      }
      plan = std::move(b.plan);
      plan->without_faults = args.without_faults;
      baseline_result = b.runs.front();
    }
    if (args.plan_only) {
      Exploration e;
      e.plan = std::move(*plan);
      e.results.resize(e.plan.points.size());
      std::cout << fmt::format("plan {}: {} call sites, {} fault points, seed {}\n",
                               e.plan.scenario, e.plan.sites.size(), e.plan.points.size(),
                               e.plan.seed);
      explored.push_back(std::move(e));
      continue;
    }
    options.progress = [&](const Progress& p) { progress.show(scenario.name, p); };
    Exploration e =
        run_plan(scenario, std::move(*plan), options,
                 baseline_result.processes.empty() ? nullptr : &baseline_result, &interrupted);
    progress.clear();
    print_exploration(std::cout, e, style);
    std::cout.flush();
    if (!args.trace.empty()) trace_findings(scenario, e, options.run, traced, &interrupted);
    explored.push_back(std::move(e));
  }
  if (!args.plan_only) print_explore_summary(std::cout, explored, style);
  if (!args.json.empty()) write_json_file(args.json, to_json(explored, args.plan_only));
  if (!args.junit.empty() && !args.plan_only) write_junit_file(args.junit, explored);
  if (!args.trace.empty()) write_trace(args.trace, traced);
  tap.write(to_tap(explored));
  if (!args.html.empty() && !args.plan_only) write_html(args.html, explored);
  if (interrupted) return 128 + interrupted;
  if (baseline_failed) return kExitInput;
  for (const auto& e : explored)
    if (!e.findings.empty()) return kExitFailed;
  return kExitOk;
}

int run_merge(const MergeArgs& args) {
  std::vector<std::vector<Exploration>> parts;
  for (const auto& f : args.files) {
    std::ifstream in(f);
    auto j = nlohmann::json::parse(in, nullptr, false);
    if (!in.is_open() || j.is_discarded()) {
      std::cerr << "faultline merge: cannot read " << f << " as JSON\n";
      return kExitInput;
    }
    try {
      parts.push_back(explorations_from_json(j));
    } catch (const std::exception& e) {
      std::cerr << "faultline merge: " << f << ": " << e.what() << '\n';
      return kExitInput;
    }
  }
  std::vector<Exploration> merged;
  try {
    merged = merge(parts);
  } catch (const std::exception& e) {
    std::cerr << "faultline merge: " << e.what() << '\n';
    return kExitInput;
  }
  TapOutput tap(args.tap);
  ReportStyle style{use_color(STDOUT_FILENO), false, 1};
  for (const auto& e : merged) print_exploration(std::cout, e, style);
  print_explore_summary(std::cout, merged, style);
  if (!args.json.empty()) write_json_file(args.json, to_json(merged));
  if (!args.junit.empty()) write_junit_file(args.junit, merged);
  tap.write(to_tap(merged));
  if (!args.html.empty()) write_html(args.html, merged);
  for (const auto& e : merged)
    if (!e.findings.empty()) return kExitFailed;
  return kExitOk;
}

}  // namespace faultline::cli
