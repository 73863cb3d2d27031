// Runner: one scenario end to end, as the steps of runner/run_steps.h; see faultline/runner.h
// and DESIGN.md section 5 ("Data flow of one run").
#include "faultline/runner.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <iostream>
#include <optional>
#include <random>

#include <fmt/format.h>

#include "channels/channel.h"
#include "faults/channel_kinds.h"
#include "faults/site_resolver.h"
#include "runner/control_context.h"
#include "runner/fault_pauses.h"
#include "runner/peer_command.h"
#include "runner/program_path.h"
#include "runner/run_steps.h"
#include "runner/substitution.h"
#include "seccomp/backend.h"

namespace faultline {
namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

std::uint64_t random_seed() {
  std::random_device rd;
  return (static_cast<std::uint64_t>(rd()) << 32 | rd()) % 1000000000ULL;
}

// The rules of a run, in order: the first rule that fires wins, so command-line faults come
// first and a --fault is never shadowed by the scenario's own rules (`faultline explore`'s
// repro commands). A --fault for a process the scenario does not have goes to `left_out`:
// meant for other scenarios of the run (`run` refuses a process no scenario has), it is not
// applied here, so it cannot fail this one by never firing.
std::vector<FaultSpec> faults_of_run(const Scenario& scenario, const RunOptions& options,
                                     std::vector<FaultSpec>& left_out) {
  std::vector<FaultSpec> faults;
  for (const auto& f : options.extra_faults) {
    if (!f.process.empty() && !scenario.process(f.process))
      left_out.push_back(f);
    else
      faults.push_back(f);
  }
  faults.insert(faults.end(), scenario.faults.begin(), scenario.faults.end());
  return faults;
}

// --keep: each process's captured output next to the control file, as <name>.stdout/.stderr.
void keep_outputs(const fs::path& dir, const ScenarioResult& result) {
  for (const auto& p : result.processes) {
    std::string name = p.name;
    std::replace(name.begin(), name.end(), '/', '_');
    for (const auto& [suffix, text] :
         {std::pair{".stdout", &p.stdout_text}, {".stderr", &p.stderr_text}})
      std::ofstream(dir / (name + suffix)) << *text;
  }
}

std::vector<std::string> fault_texts(const std::vector<FaultSpec>& faults) {
  std::vector<std::string> out;
  for (const auto& f : faults) out.push_back(f.to_string());
  return out;
}

}  // namespace

fs::path default_interposer_path() {
  if (const char* env = std::getenv("FAULTLINE_INTERPOSE"); env && *env) return env;
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  const char* name = "libfaultline-interpose.so";
  for (const fs::path& candidate :
       {exe.parent_path().parent_path() / "lib" / name, exe.parent_path() / name,
        exe.parent_path().parent_path() / "lib" / "faultline" / name}) {
    if (fs::exists(candidate, ec)) return candidate;
  }
  return {};
}

PreflightResult check_before_run(const Scenario& scenario, const RunOptions& options) {
  Diagnostics out;
  const bool has_peer = std::any_of(scenario.processes.begin(), scenario.processes.end(),
                                    [](const ProcessSpec& p) { return p.peer.has_value(); });
  if (has_peer && default_peer_path().empty())
    out.push_back({{},
                   "faultline-peer not found (the scenario has peer: processes)",
                   "set FAULTLINE_PEER to its path, or keep it next to faultline"});
  for (const auto& p : scenario.processes) {
    if (p.shell || p.argv.empty()) continue;
    const std::string& program = p.argv.front();
    if (program.find("${") != std::string::npos) continue;  // known only once provisioned
    if (!resolve_program(program, scenario.dir)) {
      out.push_back({p.where, fmt::format("process '{}': program '{}' not found", p.name, program),
                     program.find('/') != std::string::npos
                         ? fmt::format("relative paths are taken from the scenario's folder {}",
                                       scenario.dir.string())
                         : "it is not on PATH; give a path relative to the scenario file"});
    }
  }
  // ${...} that could not be resolved at run time: wrong input, not a failed scenario.
  for (const auto& p : scenario.processes) {
    auto check = [&](std::string_view text, std::string_view field) {
      for (const auto& problem : check_references(text, scenario))
        out.push_back({p.where, fmt::format("process '{}': {}: {}", p.name, field, problem.message),
                       problem.hint});
    };
    for (const auto& arg : p.argv) check(arg, "run");
    for (const auto& [k, v] : p.env) check(v, "env " + k);
    check(p.cwd, "cwd");
    if (p.ready.kind == Readiness::Kind::file) check(p.ready.value, "ready");
  }
  // Faults the control block could not compile: a site in no program, a --fault channel the
  // scenario does not have. Wrong input, found before anything is provisioned. Each fault is
  // looked up once: the run's (kept for Runner::run) and the --faults it leaves out.
  std::vector<FaultSpec> left_out;
  std::vector<FaultSpec> run_faults = faults_of_run(scenario, options, left_out);
  if (options.pause_on_fault) {
    std::string error;
    (void)rules_to_pause(*options.pause_on_fault, fault_texts(run_faults), error);
    if (!error.empty())
      out.push_back({{}, error, "RULE is a fault's number as the report lists them, or its text"});
  }
  const bool any_site =
      std::any_of(run_faults.begin(), run_faults.end(), [](auto& f) { return !f.site.empty(); }) ||
      std::any_of(left_out.begin(), left_out.end(), [](auto& f) { return !f.site.empty(); });
  std::vector<std::string> channel_names;
  for (const auto& c : scenario.channels) channel_names.push_back(c.name);
  std::vector<fs::path> programs = any_site ? scenario_programs(scenario) : std::vector<fs::path>{};
  auto checked = std::make_shared<const CheckedFaults>(
      check_faults(std::move(run_faults), channel_names, programs));
  const CheckedFaults others = check_faults(std::move(left_out), channel_names, programs);
  auto say = [&](const FaultSpec& f, const CheckedFaults::Target& t) {
    if (t.unknown_channel)
      out.push_back({f.where,
                     fmt::format("fault {}: unknown channel '{}' in scenario '{}'", f.to_string(),
                                 f.channel, scenario.name),
                     "channel= names a channel declared under channels:"});
    for (const auto& c : scenario.channels) {
      if (auto problem = impossible_on_channel(f, c)) {
        auto nl = problem->find('\n');
        out.push_back({f.where, problem->substr(0, nl), problem->substr(nl + 1)});
      }
    }
    if (!t.site.ok())
      out.push_back({f.where, fmt::format("fault {}: {}", f.to_string(), t.site.error), ""});
  };
  // In the order of the scenario's faults, then the --faults; the run puts the --faults it
  // applies first.
  std::size_t applied = 0, skipped = 0;
  std::vector<std::size_t> extra_at;  // index of each --fault in `checked` or `others`
  std::vector<bool> extra_applied;
  for (const auto& f : options.extra_faults) {
    const bool applies = f.process.empty() || scenario.process(f.process);
    extra_applied.push_back(applies);
    extra_at.push_back(applies ? applied++ : skipped++);
  }
  for (std::size_t i = 0; i < scenario.faults.size(); ++i)
    say(scenario.faults[i], checked->targets()[applied + i]);
  for (std::size_t i = 0; i < options.extra_faults.size(); ++i)
    say(options.extra_faults[i],
        extra_applied[i] ? checked->targets()[extra_at[i]] : others.targets()[extra_at[i]]);
  // Fault kinds the seccomp backend cannot inject, for processes that run under it.
  for (const auto& p : scenario.processes) {
    Backend backend = p.backend;
    if (!p.shell && !p.argv.empty() && p.argv.front().find("${") == std::string::npos) {
      if (auto program = resolve_program(p.argv.front(), scenario.dir))
        backend = seccomp::choose_backend(p.backend, *program, p.name).backend;
    }
    if (options.pause_on_fault && backend != Backend::preload)
      out.push_back({p.where,
                     fmt::format("--pause-on-fault: process '{}' runs under the seccomp backend, "
                                 "which cannot stop a process at its fault",
                                 p.name),
                     "pause with the preload backend (backend: preload), or debug without "
                     "pausing"});
    if (backend != Backend::seccomp) continue;
    std::vector<FaultSpec> all = scenario.faults;
    all.insert(all.end(), options.extra_faults.begin(), options.extra_faults.end());
    for (const auto& problem : seccomp::faults_needing_preload(all, p.name))
      out.push_back({p.where, problem, "docs/seccomp.md lists what each backend can inject"});
  }
  fs::path interposer = options.interposer.empty() ? default_interposer_path() : options.interposer;
  if (interposer.empty() || !fs::exists(interposer)) {
    out.push_back({{},
                   "libfaultline-interpose.so not found",
                   "set FAULTLINE_INTERPOSE to its path, or keep it in ../lib next to faultline"});
  }
  return {std::move(out), std::move(checked)};
}

Diagnostics preflight(const Scenario& scenario, const RunOptions& options) {
  return check_before_run(scenario, options).problems;
}

Runner::Runner(RunOptions options) : options_(std::move(options)) {
  if (options_.interposer.empty()) options_.interposer = default_interposer_path();
}

ScenarioResult Runner::run(const Scenario& scenario, const PreflightResult* checked) {
  ScenarioResult result;
  result.scenario = scenario.name;
  result.file = scenario.file;
  result.timeout = scenario.timeout;
  result.seed = options_.seed ? *options_.seed : scenario.seed ? *scenario.seed : random_seed();
  const auto started = Clock::now();
  result.started_unix_ms =
      std::chrono::duration<double, std::milli>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  std::vector<FaultSpec> left_out;
  const std::vector<FaultSpec> faults = faults_of_run(scenario, options_, left_out);
  for (const auto& f : left_out)
    result.notes.push_back(fmt::format(
        "fault {} names process '{}', which this scenario does not have; not applied here",
        f.to_string(), f.process));
  for (const auto& f : options_.extra_faults) result.command_faults.push_back(f.to_string());
  result.without_faults = options_.without_faults;
  for (const auto& f : faults) result.faults.push_back({f.to_string(), 0, 0, f.optional, {}});

  auto fail_setup = [&](const std::string& message) {
    result.violations.push_back({"setup", "", message});
    result.passed = false;
    result.duration = Clock::now() - started;
    return result;
  };

  std::vector<double> ended_ms;  // when each process ended, ms since the start
  fs::path kept;                 // --keep: the run directory left for inspection
  // Said once the run directory is as it stays: its objects removed, its files there.
  struct SayKept {
    const fs::path& path;
    std::ostream* out;
    ~SayKept() {
      if (path.empty()) return;
      std::ostream& o = out ? *out : std::cerr;
      o << fmt::format(
          "faultline: kept the run directory {} (its IPC objects and processes are gone; "
          "`faultline gc --kept` or rm -r removes it)\n",
          path.string());
      o.flush();
    }
  } say_kept{kept, options_.pause_output};
  // Stamps between the steps, for result.timings.
  Clock::time_point provisioned, planned, supervised, collected;
  try {
    // Declared in step order, so destroyed in reverse: channels go before their folder.
    ProvisionedRun run(scenario, options_.inherit_stdio);
    provisioned = Clock::now();
    auto since_start = [&](Clock::time_point t) {
      return std::chrono::duration<double, std::milli>(t - started).count();
    };
    for (const auto& c : run.provisioned)
      result.channels.push_back({c.name, c.type, since_start(c.begin), since_start(c.end)});
    if (options_.keep) kept = run.dir.keep();
    CompiledControl control(run, faults, checked ? checked->faults.get() : nullptr, result.seed,
                            options_.record, options_.context);
    std::optional<FaultPauses> pauses;
    if (options_.pause_on_fault) {
      std::string error;
      auto rules = rules_to_pause(*options_.pause_on_fault, fault_texts(faults), error);
      if (!error.empty()) return fail_setup(error);
      for (std::size_t rule : rules) control.block.pause_at(rule);
      pauses.emplace(control.block, fault_texts(faults), started);
    }
    LaunchSet launch = LaunchPlanner(scenario, options_, faults, result.seed).plan(run, control);
    result.notes.insert(result.notes.end(), launch.notices.begin(), launch.notices.end());
    if (!launch.setup_error.empty()) return fail_setup(launch.setup_error);
    planned = Clock::now();

    SupervisionResult supervision = supervise_run(std::move(launch.plans), scenario, options_,
                                                  run.dir, pauses ? &*pauses : nullptr);
    supervised = Clock::now();
    result.timings.spawn = supervision.spawn_time;
    result.timings.reap = supervision.reap_time;
    result.timings.readiness = supervision.readiness_time;
    result.timings.supervise = (supervised - planned) - supervision.spawn_time -
                               supervision.reap_time - supervision.readiness_time;

    ended_ms = collect_results(scenario, faults, options_, launch, run, control,
                               std::move(supervision), started, result);
    if (!kept.empty()) keep_outputs(kept, result);
    collected = Clock::now();
  } catch (const ChannelError& e) {
    result.setup_limit = e.shared_limit();
    return fail_setup(e.what());
  } catch (const std::exception& e) {
    return fail_setup(e.what());
  }
  const Clock::time_point cleaned = Clock::now();
  result.timings.provision = provisioned - started;
  result.timings.control = planned - provisioned;
  result.timings.cleanup = cleaned - collected;

  judge(scenario, faults, ended_ms, result);
  const Clock::time_point judged = Clock::now();
  result.timings.verdict = (collected - supervised) + (judged - cleaned);
  result.duration = judged - started;
  return result;
}

}  // namespace faultline
