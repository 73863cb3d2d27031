// faultline command line (DESIGN.md section 4, docs/cli.md).
// Exit status: 0 all expectations held, 1 an expectation failed, 2 wrong input, 3 internal error
// (exec passes its program's status through).
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "dsl/scenario_schema.h"
#include "exec_command.h"
#include "exit_status.h"
#include "explore_command.h"
#include "faultline/runner.h"
#include "faultline/scenario.h"
#include "faultline_control.h"
#include "faults/call_table.h"
#include "faults/explore_faults.h"
#include "parallel_run.h"
#include "pause_signals.h"
#include "report/console.h"
#include "report/html.h"
#include "report/json.h"
#include "report/junit.h"
#include "report/repetitions.h"
#include "report/result_summary.h"
#include "report/trace.h"
#include "report/tap.h"
#include "runner/run_directory.h"
#include "scenario_paths.h"
#include "tap_output.h"
#include "util/did_you_mean.h"
#include "util/join_words.h"

namespace fs = std::filesystem;
using namespace faultline;

namespace {

using cli::kExitFailed;
using cli::kExitInput;
using cli::kExitInternal;
using cli::kExitOk;
using cli::kExitSetup;

bool use_color(int fd) { return ::isatty(fd) && std::getenv("NO_COLOR") == nullptr; }

void print_diagnostics(const Diagnostics& diags) {
  for (const auto& d : diags) std::cerr << d.format() << '\n';
}

std::vector<Scenario> load_all(const std::vector<fs::path>& files, Diagnostics& diags) {
  std::vector<Scenario> out;
  for (const auto& f : files) {
    LoadResult r = load_scenario(f);
    diags.insert(diags.end(), r.diagnostics.begin(), r.diagnostics.end());
    if (r.scenario) out.push_back(std::move(*r.scenario));
  }
  return out;
}

// A --fault that names a process no scenario has is wrong input, as the same mistake in a
// scenario file is. Over a folder, scenarios without that process only get a note (the
// runner's), since the fault is meant for the others.
void check_fault_processes(const std::vector<FaultSpec>& faults,
                           const std::vector<Scenario>& scenarios, Diagnostics& diags) {
  for (const auto& f : faults) {
    if (f.process.empty()) continue;
    std::vector<std::string_view> names;
    bool found = false;
    for (const auto& s : scenarios) {
      found = found || s.process(f.process) != nullptr;
      for (const auto& p : s.processes)
        if (std::find(names.begin(), names.end(), p.name) == names.end()) names.push_back(p.name);
    }
    if (found || scenarios.empty()) continue;
    std::string hint = did_you_mean(f.process, names);
    if (hint.empty())
      hint = names.empty() ? std::string("the scenario has no processes")
                           : "the processes are: " + join_words(names);
    diags.push_back(
        {f.where,
         fmt::format("--fault {}: no scenario has a process '{}'", f.to_string(), f.process),
         hint});
  }
}

// `check --json FILE`: what build tools need to know about each file without running it
// (CMake's faultline_add_scenario sets the CTest timeout from `timeout_ms`). A scenario that
// loaded has its name and timeout even when preflight found a problem, such as a program
// that is not built yet.
nlohmann::json check_entry(const fs::path& file, const LoadResult& r, const Diagnostics& errors) {
  nlohmann::json entry{{"file", file.string()},
                       {"ok", errors.empty()},
                       {"scenario", nullptr},
                       {"timeout_ms", nullptr},
                       {"processes", nlohmann::json::array()},
                       {"errors", nlohmann::json::array()}};
  if (r.scenario) {
    entry["scenario"] = r.scenario->name;
    entry["timeout_ms"] = std::chrono::duration<double, std::milli>(r.scenario->timeout).count();
    for (const auto& p : r.scenario->processes) entry["processes"].push_back(p.name);
  }
  for (const auto& d : errors)
    entry["errors"].push_back({{"file", d.where.file},
                               {"line", d.where.line},
                               {"column", d.where.column},
                               {"message", d.message},
                               {"hint", d.hint}});
  return entry;
}

int cmd_check(const std::vector<std::string>& paths, const std::string& json_file) {
  Diagnostics diags;
  auto files = cli::expand_scenario_paths(paths, diags);
  nlohmann::json checked = nlohmann::json::array();
  std::size_t ok = 0;
  for (const auto& f : files) {
    LoadResult r = load_scenario(f);
    Diagnostics errors = r.diagnostics;
    if (r.scenario) {
      Diagnostics pre = preflight(*r.scenario, RunOptions{});
      errors.insert(errors.end(), pre.begin(), pre.end());
      if (pre.empty()) {
        ++ok;
        std::cout << "ok  " << f.string() << "  (" << r.scenario->name << ")\n";
      }
    }
    checked.push_back(check_entry(f, r, errors));
    diags.insert(diags.end(), errors.begin(), errors.end());
  }
  if (!json_file.empty()) {
    std::ofstream out(json_file);
    out << nlohmann::json{{"files", checked}}.dump(2) << '\n';
    if (!out.flush()) throw std::runtime_error("cannot write " + json_file);
  }
  print_diagnostics(diags);
  if (!diags.empty()) {
    std::cerr << fmt::format("{} error{} in {} file{}\n", diags.size(),
                             diags.size() == 1 ? "" : "s", files.size(),
                             files.size() == 1 ? "" : "s");
    return kExitInput;
  }
  return kExitOk;
}

struct RunArgs {
  std::vector<std::string> paths;
  std::vector<std::string> faults;
  std::optional<std::uint64_t> seed;
  std::string json;
  std::string junit;
  std::string trace;
  std::string tap;
  unsigned repeat = 1;
  bool until_fail = false;
  std::string html;
  bool verbose = false;
  bool timings = false;
  bool no_backtrace = false;
  bool without_faults = false;
  int jobs = 1;
  // Globs on the scenario's file: those scenarios must fail (a bug caught), as `report
  // --expect-fail` judges them.
  std::vector<std::string> expect_fail;
  std::string pause_on_fault;  // --pause-on-fault[=RULE]; "*" bare
  bool keep = false;
  // CPU this process had used when main began (exec, the dynamic loader, constructors).
  double cpu_before_main_ms = 0;
};

// CPU time of this process so far (user + system), in milliseconds; not its children's.
double own_cpu_ms() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  auto ms = [](const timeval& t) { return t.tv_sec * 1e3 + t.tv_usec / 1e3; };
  return ms(u.ru_utime) + ms(u.ru_stime);
}

// Emptied by a swap with an empty one, not by assigning `{}`: that picks
// operator=(initializer_list), which keeps the capacity (a pipe showcase's 900 fault events
// stayed allocated, 230 KB a scenario).
template <class Container>
void release(Container& held) {
  Container().swap(held);
}

// Without a report file the end of `run` prints the counts, each failed run's rerun command
// (--repeat) and, with --expect-fail, each scenario's faults, violations and the processes
// alive at its timeout: a long run keeps no more of a result than that once it is printed, so
// that the runner's memory does not grow with the number of scenarios (the rest, events
// first, was about 20 KB of JSON a showcase scenario).
void keep_what_the_end_reads(ScenarioResult& r, bool expect_fail) {
  release(r.events);
  release(r.recorded);
  release(r.channels);
  release(r.leaks);
  release(r.notes);
  if (!expect_fail) {
    release(r.processes);
    release(r.faults);
    return;
  }
  for (auto& p : r.processes) {
    release(p.stdout_text);
    release(p.stderr_text);
    release(p.blind_spots);
  }
}

int cmd_run(const RunArgs& args) {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point began = Clock::now();
  Diagnostics diags;
  RunOptions options;
  options.seed = args.seed;
  options.keep = args.keep;
  if (!args.pause_on_fault.empty()) options.pause_on_fault = args.pause_on_fault;
  options.backtraces = !args.no_backtrace;
  if (args.verbose) options.live_output = &std::cerr;
  for (const auto& text : args.faults) {
    if (auto spec = parse_fault_spec(text, diags)) options.extra_faults.push_back(std::move(*spec));
  }
  auto files = cli::expand_scenario_paths(args.paths, diags);
  auto scenarios = load_all(files, diags);
  options.without_faults = args.without_faults;
  if (args.without_faults)
    for (auto& s : scenarios) s.faults.clear();
  std::vector<PreflightResult> checked;  // per scenario, reused by its run
  for (const auto& s : scenarios) {
    checked.push_back(check_before_run(s, options));
    diags.insert(diags.end(), checked.back().problems.begin(), checked.back().problems.end());
  }
  if (diags.empty()) check_fault_processes(options.extra_faults, scenarios, diags);
  if (!args.pause_on_fault.empty()) {
    // One run at a time: a pause is one process's, announced on one terminal.
    if (args.jobs > 1)
      diags.push_back({{},
                       "--pause-on-fault runs one scenario at a time: leave out -j",
                       "debug one scenario: faultline run FILE --pause-on-fault"});
    else if (scenarios.size() > 1)
      diags.push_back(
          {{},
           fmt::format("--pause-on-fault runs one scenario, but {} were given", scenarios.size()),
           "name the one scenario file to debug"});
  }
  if (!diags.empty()) {
    print_diagnostics(diags);
    return kExitInput;
  }

  // From here on, with --tap -, stdout carries TAP only (the console goes to stderr).
  cli::TapOutput tap(args.tap);
  const Clock::time_point checked_at = Clock::now();
  for (const auto& line : collect_garbage())
    std::cerr << "faultline: cleaning up after a dead run: " << line << '\n';
  const Clock::time_point collected_at = Clock::now();
  if (options.pause_on_fault) {
    options.resume_input = STDIN_FILENO;  // the processes of `run` read /dev/null, not ours
    cli::block_resume_signal();
  }

  ConsoleStyle style{use_color(STDOUT_FILENO), args.verbose, args.timings};
  // --repeat N: run k (1-based) of scenario i is entry i*N + k-1 of the runs; each draws a
  // seed of its own unless --seed or the scenario's `seed:` fixes it.
  const unsigned repeat = std::max(1u, args.repeat);
  if (repeat > 1)
    for (const auto& s : scenarios)
      if (options.seed || s.seed)
        std::cout << fmt::format(
            "note: {}: every run uses seed {} ({}): only timing differs between them\n", s.name,
            options.seed ? *options.seed : *s.seed, options.seed ? "--seed" : "its `seed:`");
  auto mark = [&](std::size_t run, ScenarioResult& r) {
    if (repeat == 1) return;
    r.repetition = static_cast<unsigned>(run % repeat) + 1;
    r.repetitions = repeat;
  };
  const bool keep_details = !args.json.empty() || !args.junit.empty() || !args.trace.empty() ||
                            !args.tap.empty() || !args.html.empty();
  std::vector<ScenarioResult> results;
  int interrupted = 0;
  if (args.jobs > 1 && scenarios.size() * repeat > 1) {
    std::vector<Scenario> runs;
    for (const auto& s : scenarios) runs.insert(runs.end(), repeat, s);
    // --until-fail: a scenario with a failed run starts no more (runs already going finish).
    std::vector<bool> failed(scenarios.size(), false);
    results = cli::run_in_parallel(
        runs, options, args.jobs,
        [&](std::size_t run, ScenarioResult& r) {
          mark(run, r);
          if (!r.passed) failed[run / repeat] = true;
          print_scenario(std::cout, r, style);
          std::cout.flush();
          if (!keep_details) keep_what_the_end_reads(r, !args.expect_fail.empty());
        },
        &interrupted, [&](std::size_t run) { return !(args.until_fail && failed[run / repeat]); });
  } else {
    Runner runner(options);
    // A result per scenario in one allocation (grown by doubling, the array would leave a step
    // in RSS at each power of two); not one per --repeat run, which may be a million.
    results.reserve(scenarios.size());
    for (std::size_t i = 0; i < scenarios.size() && !interrupted; ++i) {
      for (std::size_t k = 0; k < repeat; ++k) {
        results.push_back(runner.run(scenarios[i], &checked[i]));
        mark(i * repeat + k, results.back());
        print_scenario(std::cout, results.back(), style);
        std::cout.flush();
        if (!keep_details) keep_what_the_end_reads(results.back(), !args.expect_fail.empty());
        if ((interrupted = results.back().interrupted_by) != 0) break;
        if (args.until_fail && !results.back().passed) break;
      }
    }
  }
  const Clock::time_point ran_at = Clock::now();
  // With --expect-fail the totals come from the judgement below ("1 caught"), not as failures.
  if (args.expect_fail.empty() || interrupted) print_summary(std::cout, results, style);
  print_repetition_summary(std::cout, results, style);
  if (!args.json.empty()) write_json(args.json, results);
  if (!args.junit.empty()) write_junit(args.junit, results);
  if (!args.trace.empty()) write_trace(args.trace, results);
  tap.write(to_tap(results, args.expect_fail));
  if (!args.html.empty()) write_html(args.html, results);
  if (args.timings) {
    // The command's own time around the runs (what a shell would not spend).
    using Ms = std::chrono::duration<double, std::milli>;
    const Clock::time_point now = Clock::now();
    // And the CPU of this process (not its children's: the programs, -j's runners): before
    // main is the program's own start, which no phase above holds.
    std::cout << fmt::format(
        "timings (ms): load and check {:.2f}, gc {:.2f}, runs {:.2f}, reports {:.2f}; "
        "faultline's CPU {:.2f} before main, {:.2f} in all\n",
        Ms(checked_at - began).count(), Ms(collected_at - checked_at).count(),
        Ms(ran_at - collected_at).count(), Ms(now - ran_at).count(), args.cpu_before_main_ms,
        own_cpu_ms());
  }
  if (interrupted) return 128 + interrupted;
  if (!args.expect_fail.empty()) {
    // Judged as `faultline report --expect-fail` judges: a scenario expected to fail must
    // fail on a verdict (caught); one that could not be set up is never caught.
    std::cout << '\n';
    ResultSummaryOptions expected{args.expect_fail, style.color};
    ResultSummaryCounts counts = print_result_summary(std::cout, to_json(results), expected);
    if (counts.failed || counts.not_caught) return kExitFailed;
    return counts.setup ? kExitSetup : kExitOk;
  }
  // A verdict on a program outweighs a scenario that could not be set up.
  bool failed = std::any_of(results.begin(), results.end(),
                            [](const auto& r) { return !r.passed && !r.setup_failed(); });
  bool setup =
      std::any_of(results.begin(), results.end(), [](const auto& r) { return r.setup_failed(); });
  return failed ? kExitFailed : setup ? kExitSetup : kExitOk;
}

// calls.def's object column in words: what fd=, channel= and the events look at.
std::string describe_object(std::string_view object) {
  auto arg = object.substr(object.find('(') + 1);
  arg = arg.substr(0, arg.rfind(')'));
  auto kind = object.substr(0, object.find('('));
  if (kind == "FD") return fmt::format("the descriptor `{}` (its class from fstat)", arg);
  if (kind == "ID") return fmt::format("the System V id `{}` (always IPC)", arg);
  if (kind == "KEY") return fmt::format("the System V key `{}` (always IPC)", arg);
  if (kind == "PATH" || kind == "AT")
    return fmt::format("the path `{}` (a FIFO or socket is IPC, a regular file is not)", arg);
  if (kind == "NAME") return fmt::format("the IPC name `{}` (always IPC)", arg);
  if (kind == "MAP") return "the mapping (MAP_SHARED is IPC, a private file mapping is not)";
  return "no object (always IPC)";
}

// `faultline calls`: the table; `faultline calls NAME`: every spelling of one call in full.
// What `faultline explore` injects at a call by default and how correct code must take each
// (calls.def's transient and hard columns; docs/faults.md, "Transient and hard").
std::string explore_classes(const CallInfo& c) {
  auto or_none = [](const std::vector<std::string_view>& w) {
    return w.empty() ? std::string("none") : join_words(w, " ");
  };
  std::vector<std::string_view> transient_kinds, hard_kinds;
  for (std::string_view kind : kind_names(c)) {
    if (kind == "error" || kind == "delay" || kind == "corrupt" || kind == "signal") continue;
    (fault_class(c.symbol, kind) == FaultClass::transient ? transient_kinds : hard_kinds)
        .push_back(kind);
  }
  hard_kinds.push_back("crash (signal=SIGKILL)");
  return fmt::format(
      "  explore  transient: {}; hard: {}; any other errno hard\n"
      "           kinds: transient {}; hard {}\n",
      or_none(c.transient), or_none(c.hard), or_none(transient_kinds), join_words(hard_kinds, " "));
}

int cmd_calls(const std::string& name) {
  if (name.empty()) {
    std::cout << fmt::format("{:<16} {:<11} {:<11} {}\n", "CALL", "NAME", "FAILS WITH", "KINDS");
    for (const auto& c : call_table())
      std::cout << fmt::format("{:<16} {:<11} {:<11} {}\n", c.symbol, c.base, c.failure,
                               join_words(kind_names(c), ","));
    std::cout << "\n`faultline calls NAME` shows a call's signature and the errnos it accepts.\n";
    return kExitOk;
  }
  auto calls = resolve_call(name);
  if (calls.empty()) {
    std::cerr << "faultline: no interposed call named '" << name
              << "'\n  hint: `faultline calls` lists them\n";
    return kExitInput;
  }
  for (const CallInfo* c : calls) {
    std::cout << fmt::format("{} {}{}\n", c->returns, c->symbol, c->params);
    std::cout << (c->base == c->symbol
                      ? fmt::format("  name     {}\n", c->base)
                      : fmt::format("  name     {} (covers it; {} names this spelling alone)\n",
                                    c->base, c->symbol));
    std::cout << fmt::format("  fails    returns {} and sets errno\n", c->failure);
    std::cout << fmt::format("  on       {}\n", describe_object(c->object));
    std::cout << fmt::format("  kinds    {}\n", join_words(kind_names(*c), " "));
    std::cout << fmt::format("  errnos   {}\n", join_words(c->errnos, " "));
    std::cout << explore_classes(*c);
    auto realism = realism_lines(*c);
    if (!realism.empty()) {
      std::cout << "  what the kernel can do here (impossible kinds are refused unless force; "
                   "unrealistic ones are flagged):\n";
      for (const auto& line : realism) std::cout << "    " << line << '\n';
    }
  }
  return kExitOk;
}

// `faultline report FILE`: a JSON result read back as one line per scenario, judged against
// the outcome each is expected to have (--expect-fail GLOB).
int cmd_report(const std::string& file, const std::vector<std::string>& expect_fail) {
  std::ifstream in(file);
  if (!in) {
    std::cerr << "faultline: cannot read " << file
              << "\n  hint: `faultline run PATH --json FILE` writes the result this reads\n";
    return kExitInput;
  }
  nlohmann::json result = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (result.is_discarded()) {
    std::cerr << "faultline: " << file
              << " is not JSON; `faultline run PATH --json FILE` writes a result\n";
    return kExitInput;
  }
  ResultSummaryOptions options{expect_fail, use_color(STDOUT_FILENO)};
  try {
    ResultSummaryCounts counts = print_result_summary(std::cout, result, options);
    if (counts.failed || counts.not_caught) return kExitFailed;
    return counts.setup ? kExitSetup : kExitOk;
  } catch (const std::runtime_error& e) {
    std::cerr << "faultline: " << file << ": " << e.what() << '\n';
    return kExitInput;
  }
}

int cmd_gc(bool kept) {
  auto removed = kept ? remove_kept_run_directories() : collect_garbage();
  for (const auto& line : removed) std::cout << line << '\n';
  if (removed.empty()) std::cout << (kept ? "no kept run directory\n" : "nothing to remove\n");
  if (kept) return kExitOk;
  if (auto left = kept_run_directories(); !left.empty())
    std::cout << fmt::format(
        "{} kept run director{} left alone (`faultline run --keep`); `faultline gc --kept` "
        "removes {}, or rm -r one:\n",
        left.size(), left.size() == 1 ? "y" : "ies", left.size() == 1 ? "it" : "them");
  for (const auto& dir : kept_run_directories()) std::cout << "  " << dir.string() << '\n';
  return kExitOk;
}

}  // namespace

namespace {

// SIGINT/SIGTERM are read by the supervisor through a signalfd, so that an interrupted run
// still removes every process and IPC object it created, and exits 130/143. Blocked from
// .preinit_array: before the constructors of every library and of the program (a few
// milliseconds on a loaded machine, in which a SIGTERM would otherwise kill the runner
// outright). Only the loader's own mapping and relocation come before it.
void block_stop_signals(int, char**, char**) {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  sigprocmask(SIG_BLOCK, &stop_signals, nullptr);
}

// The commands that start no process have no clean-up to protect: they take SIGINT/SIGTERM
// as any program does (a `faultline check` of a huge file ends on Ctrl-C).
void unblock_stop_signals() {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  sigprocmask(SIG_UNBLOCK, &stop_signals, nullptr);
}

// A stop signal that came when no supervisor was there to read it (after the last scenario,
// while the reports were written, before the first when its input was wrong): the command
// has cleaned up all the same, and says it was interrupted, as 128+N.
int with_pending_stop_signal(int status) {
  sigset_t pending;
  sigemptyset(&pending);
  if (sigpending(&pending) != 0) return status;
  for (int sig : {SIGINT, SIGTERM}) {
    if (sigismember(&pending, sig) && status != 128 + SIGINT && status != 128 + SIGTERM)
      return 128 + sig;
  }
  return status;
}

}  // namespace

__attribute__((section(".preinit_array"), used)) void (*const faultline_block_stop_signals)(
    int, char**, char**) = block_stop_signals;

int main(int argc, char** argv) {
  const double cpu_before_main_ms = own_cpu_ms();

  CLI::App app{"faultline: tests IPC code under failure"};
  app.set_version_flag("--version", std::string("faultline ") + FAULTLINE_VERSION);
  app.require_subcommand(1);

  RunArgs run_args;
  run_args.cpu_before_main_ms = cpu_before_main_ms;
  auto* run =
      app.add_subcommand("run", "run scenario files (a folder means every *.yaml below it)");
  run->add_option("paths", run_args.paths, "scenario files or folders")->required();
  run->add_option("--fault", run_args.faults,
                  "add a fault to every scenario: [PROCESS/]CALL:KEY=VALUE...");
  run->add_option("--seed", run_args.seed,
                  "seed for probabilistic faults (overrides the scenario's)");
  run->add_option("--json", run_args.json, "write the result as JSON to this file");
  run->add_option("-j,--jobs", run_args.jobs,
                  "run up to N scenarios at once, each in its own runner process (default 1)")
      ->check(CLI::Range(1, 256));
  run->add_option("--junit", run_args.junit,
                  "write the result as JUnit XML to this file (one testcase per scenario run)");
  run->add_option("--trace", run_args.trace,
                  "write a timeline of the processes and faults to this file (Chrome Trace "
                  "Event JSON: open it in ui.perfetto.dev)");
  run->add_option("--tap", run_args.tap,
                  "write the result as TAP to this file (a test point per scenario run); "
                  "`-`: to stdout, the console report then goes to stderr");
  auto* repeat_option =
      run->add_option("--repeat", run_args.repeat,
                      "run each scenario N times, each with a seed of its own unless --seed "
                      "is given; the summary counts passes and failures and lists the failing "
                      "runs' seeds")
          ->check(CLI::Range(1, 1000000));
  run->add_flag("--until-fail", run_args.until_fail,
                "with --repeat N: stop repeating a scenario at its first failed run")
      ->needs(repeat_option);
  run->add_option("--html", run_args.html,
                  "write the result as one self-contained HTML page to this file");
  run->add_flag("-v,--verbose", run_args.verbose,
                "show process output live and details of passing scenarios");
  run->add_flag("--timings", run_args.timings,
                "print where each run's time went, phase by phase (also with -v)");
  run->add_flag("--no-backtrace", run_args.no_backtrace, "do not attach gdb to hung processes");
  run->add_flag("--pause-on-fault{*}", run_args.pause_on_fault,
                "stop the process at each fault (=RULE: that fault's number or text only), "
                "pause the run and print how to attach gdb and resume");
  run->add_flag("--keep", run_args.keep,
                "keep the run directory (control file, outputs) for inspection; IPC objects "
                "and processes still go");
  run->add_flag("--without-faults", run_args.without_faults,
                "leave out the scenarios' own faults: blocks (only --fault applies)");
  run->add_option("--expect-fail", run_args.expect_fail,
                  "scenarios whose file matches this glob must fail: exit 0 when they do "
                  "(caught), 1 when one passes, as `report --expect-fail` judges")
      ->allow_extra_args(false);

  cli::ExecArgs exec_args;
  auto* exec = app.add_subcommand(
      "exec", "run one program under injection, without a scenario file (like strace -e inject)");
  exec->add_option("--fault", exec_args.faults, "inject this fault: [PROCESS/]CALL:KEY=VALUE...")
      ->allow_extra_args(false);
  exec->add_option("--seed", exec_args.seed,
                   "seed for probabilistic faults (default: random, printed in --json)");
  exec->add_option("--timeout", exec_args.timeout,
                   "kill the program after this long and show where it hung (default: none)");
  exec->add_option("--json", exec_args.json,
                   "write the result, with every fault event, as JSON to this file");
  exec->add_option("--trace", exec_args.trace,
                   "write a timeline of the program and its faults to this file (Chrome Trace "
                   "Event JSON: open it in ui.perfetto.dev)");
  exec->add_option("--html", exec_args.html,
                   "write the result as one self-contained HTML page to this file");
  exec->add_option("--name", exec_args.name,
                   "process name the faults match (default: the program's basename)");
  exec->add_option("--backend", exec_args.backend,
                   "preload (default), seccomp (static programs, raw syscalls, libc's own calls) "
                   "or both");
  exec->add_flag("-q,--quiet", exec_args.quiet, "print no summary of the faults");
  exec->add_flag("--no-backtrace", exec_args.no_backtrace, "do not attach gdb to a hung program");
  exec->add_flag("--pause-on-fault{*}", exec_args.pause_on_fault,
                 "stop the program at each fault (=RULE: that fault's number or text only) and "
                 "print how to attach gdb and resume");
  exec->add_flag("--keep", exec_args.keep, "keep the run directory for inspection");
  exec->footer(
      "PROGRAM [ARGS...] follow `--`, or the first argument that is not an option of exec.\n"
      "Exit status: the program's; 128+N when it died of signal N; 124 when it timed out;\n"
      "2 for wrong input; 3 for an internal error.\n");

  std::vector<std::string> check_paths;
  auto* check = app.add_subcommand("check", "validate scenario files without running them");
  check->add_option("paths", check_paths, "scenario files or folders")->required();
  std::string check_json;
  check->add_option("--json", check_json,
                    "write per file its scenario name, timeout_ms, processes and errors as JSON");

  auto* schema = app.add_subcommand(
      "schema", "print a JSON Schema of scenario files, for editors (yaml-language-server)");

  auto* calls = app.add_subcommand("calls", "list the interposable calls, fault kinds and errnos");
  std::string call_name;
  calls->add_option("name", call_name, "one call: its signature, failure value, kinds and errnos");
  std::string report_file;
  std::vector<std::string> report_expect_fail;
  auto* report = app.add_subcommand(
      "report", "summarize a JSON result: one line per scenario, grouped by folder");
  report->add_option("file", report_file, "the result `faultline run --json FILE` wrote")
      ->required();
  report
      ->add_option("--expect-fail", report_expect_fail,
                   "scenarios whose file matches this glob must fail (e.g. '*naive.yaml')")
      ->allow_extra_args(false);
  report->footer(
      "Exit status: 0 every scenario had its expected outcome; 1 one did not; 2 unreadable "
      "file; 3 a scenario could not be set up (and none had another unexpected outcome).\n");

  auto* gc = app.add_subcommand("gc", "remove what runs whose runner died left behind");
  bool gc_kept = false;
  gc->add_flag("--kept", gc_kept,
               "remove the run directories `run --keep` kept (and nothing else)");

  cli::ExploreArgs explore_args;
  auto* explore = app.add_subcommand(
      "explore",
      "run every fault point of a scenario once and judge it: finds the error paths nobody "
      "wrote a fault for");
  explore->add_option("paths", explore_args.paths, "scenario files or folders");
  explore->add_option("-j,--jobs", explore_args.jobs, "runs at once (default 1)")
      ->check(CLI::Range(1, 256));
  explore->add_option("--budget", explore_args.budget,
                      "start no run after this long (10m); the plan is breadth first");
  explore->add_option("--max-runs", explore_args.max_runs, "run at most N fault points");
  explore->add_option("--errnos", explore_args.errnos,
                      "realistic (default: what the kernel returns there) or all (the man page)");
  explore->add_option("--occurrences", explore_args.occurrences,
                      "all, or K: the first K occurrences of each site (default 1, 2, 3, "
                      "powers of two, the last)");
  explore->add_option("--context", explore_args.context,
                      "K: a site is the K innermost frames of a call, 1 to 8 (default 1, the "
                      "caller); for programs that make every IPC call through one helper");
  explore
      ->add_option("--kinds", explore_args.kinds,
                   "only these kinds: error,short,eof,reset,drop,spurious,crash")
      ->delimiter(',')
      ->allow_extra_args(false);
  explore->add_option("--process", explore_args.processes, "only calls of these processes")
      ->delimiter(',')
      ->allow_extra_args(false);
  explore->add_option("--call", explore_args.calls, "only these calls")
      ->delimiter(',')
      ->allow_extra_args(false);
  explore->add_option("--shard", explore_args.shard,
                      "run shard I of N (1-based I/N); default: Bazel, GoogleTest, GitLab or "
                      "Kubernetes variables");
  explore->add_option("--shards", explore_args.shards,
                      "shard count of a Kubernetes Indexed Job (JOB_COMPLETION_INDEX)");
  explore->add_option("--plan", explore_args.plan,
                      "run the points of this plan (--plan-only --json wrote it) instead of "
                      "planning here");
  explore->add_flag("--plan-only", explore_args.plan_only,
                    "run the baselines, write the plan (--json) and stop");
  explore->add_option("--json", explore_args.json, "write the result (or plan) as JSON");
  explore->add_option("--junit", explore_args.junit, "write JUnit XML: a testcase per finding");
  explore->add_option("--trace", explore_args.trace,
                      "write a timeline of the baseline runs and of each finding's repro, run "
                      "once more (Chrome Trace Event JSON: open it in ui.perfetto.dev)");
  explore->add_option("--tap", explore_args.tap,
                      "write TAP: a test point per finding (`-`: to stdout, the report to "
                      "stderr)");
  explore->add_option("--html", explore_args.html,
                      "write one self-contained HTML page: the matrix of fault points and the "
                      "findings");
  explore->add_flag("--compare-baseline", explore_args.compare_baseline,
                    "any difference from the baseline's exit statuses and stdout is a wrong "
                    "result (for deterministic programs)");
  explore->add_option("--seed", explore_args.seed, "seed of every run (default: random, printed)");
  explore
      ->add_option("--baseline-runs", explore_args.baseline_runs,
                   "recording runs before planning (default 2)")
      ->check(CLI::Range(1, 100));
  explore->add_flag("--without-faults", explore_args.without_faults,
                    "leave out the scenario's own faults: block (baseline and every run)");
  explore->add_flag("--no-recheck", explore_args.no_recheck,
                    "do not run each finding again from its repro");
  explore->add_flag("-v,--verbose", explore_args.verbose, "list every point's verdict");
  explore->add_flag("--no-backtrace", explore_args.no_backtrace,
                    "do not attach gdb to hung processes");
  explore->footer(
      "Exit status: 0 no finding; 1 findings; 2 wrong input or a baseline that does not pass; "
      "3 internal error; 128+N interrupted by signal N.\n");

  cli::MergeArgs merge_args;
  auto* merge = app.add_subcommand("merge", "join the JSON results of explore's shards");
  merge->add_option("files", merge_args.files, "results of `faultline explore --json`")->required();
  merge->add_option("--json", merge_args.json, "write the joined result as JSON");
  merge->add_option("--junit", merge_args.junit, "write the joined result as JUnit XML");
  merge->add_option("--tap", merge_args.tap,
                    "write the joined result as TAP (`-`: to stdout, the report to stderr)");
  merge->add_option("--html", merge_args.html, "write the joined result as an HTML page");

  // The program's own arguments are never faultline's: CLI11 sees only what precedes them.
  bool separator = false;
  const int command_start = cli::exec_command_start(argc, argv, &separator);
  exec_args.command.assign(argv + command_start, argv + argc);
  try {
    app.parse(separator ? command_start - 1 : command_start, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitInput;
  }
  if (!*run && !*exec && !*explore) unblock_stop_signals();
  try {
    if (*run) return with_pending_stop_signal(cmd_run(run_args));
    if (*exec) return with_pending_stop_signal(cli::run_exec(exec_args));
    if (*check) return cmd_check(check_paths, check_json);
    if (*schema) {
      std::cout << scenario_schema().dump(2) << '\n';
      return kExitOk;
    }
    if (*calls) return cmd_calls(call_name);
    if (*report) return cmd_report(report_file, report_expect_fail);
    if (*gc) return cmd_gc(gc_kept);
    if (*explore) return with_pending_stop_signal(cli::run_explore(explore_args));
    if (*merge) return cli::run_merge(merge_args);
  } catch (const std::exception& e) {
    std::cerr << "faultline: internal error: " << e.what() << '\n';
    return kExitInternal;
  }
  return kExitInput;
}
