// Runner: one scenario end to end; see faultline/runner.h and DESIGN.md section 5
// ("Data flow of one run").
#include "faultline/runner.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <random>

#include <fmt/format.h>

#include "channels/channel.h"
#include "faults/call_table.h"
#include "faults/control_block.h"
#include "faults/site_resolver.h"
#include "processes/supervisor.h"
#include "report/root_cause.h"
#include "runner/control_context.h"
#include "runner/expectations.h"
#include "runner/leak_check.h"
#include "runner/never_fired.h"
#include "runner/peer_command.h"
#include "runner/program_path.h"
#include "runner/run_directory.h"
#include "runner/substitution.h"
#include "seccomp/backend.h"
#include "seccomp/filter.h"

extern char** environ;

namespace faultline {
namespace fs = std::filesystem;

namespace {

std::string upper_env_name(std::string_view s) {
  std::string out;
  for (char c : s) out += std::isalnum(static_cast<unsigned char>(c)) ? std::toupper(c) : '_';
  return out;
}

std::uint64_t random_seed() {
  std::random_device rd;
  return (static_cast<std::uint64_t>(rd()) << 32 | rd()) % 1000000000ULL;
}

// The environment every process starts from: the runner's own, minus what we set.
std::map<std::string, std::string> base_environment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; *e; ++e) {
    std::string_view kv = *e;
    auto eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    env.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
  }
  return env;
}

// The pipe ends the processes are wired to, handed out once per channel end and shared by
// every process that uses it; the runner's copies go away once the plans own them.
class PipeEnds final {
 public:
  explicit PipeEnds(std::map<std::string, std::unique_ptr<Channel>>& channels)
      : channels_(channels) {}
  std::shared_ptr<UniqueFd> get(const std::string& channel, bool write_end) {
    auto key = std::make_pair(channel, write_end);
    if (auto it = ends_.find(key); it != ends_.end()) return it->second;
    auto ch = channels_.find(channel);
    if (ch == channels_.end()) return nullptr;
    auto fd = std::make_shared<UniqueFd>(ch->second->take_pipe_end(write_end));
    ends_[key] = fd;
    return fd;
  }

 private:
  std::map<std::string, std::unique_ptr<Channel>>& channels_;
  std::map<std::pair<std::string, bool>, std::shared_ptr<UniqueFd>> ends_;
};

ProcessResult to_result(const ProcessOutcome& o, const ProcessSpec& spec) {
  ProcessResult r;
  r.name = o.name;
  r.pid = o.pid;
  r.started = o.started;
  r.not_started_reason = o.not_started_reason;
  if (o.exited) r.exit_code = o.exit_code;
  r.term_signal = o.term_signal;
  r.stopped_by_runner = o.stopped_by_runner;
  r.killed_after_grace = o.killed_after_grace;
  r.killed_at_timeout = o.killed_at_timeout;
  r.service = spec.lifetime == Lifetime::service;
  r.duration = o.duration;
  r.stdout_text = o.stdout_text;
  r.stderr_text = o.stderr_text;
  r.at_timeout = o.at_timeout;
  return r;
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

Diagnostics preflight(const Scenario& scenario, const RunOptions& options) {
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
  // scenario does not have. Wrong input, found before anything is provisioned.
  std::optional<std::vector<fs::path>> programs;
  auto check_fault = [&](const FaultSpec& f) {
    if (!f.channel.empty() &&
        std::none_of(scenario.channels.begin(), scenario.channels.end(),
                     [&](const ChannelSpec& c) { return c.name == f.channel; }))
      out.push_back({f.where,
                     fmt::format("fault {}: unknown channel '{}' in scenario '{}'", f.to_string(),
                                 f.channel, scenario.name),
                     "channel= names a channel declared under channels:"});
    if (f.site.empty()) return;
    if (!programs) programs = scenario_programs(scenario);
    SiteResolution site = resolve_site(f.site, *programs);
    if (!site.ok())
      out.push_back({f.where, fmt::format("fault {}: {}", f.to_string(), site.error), ""});
  };
  for (const auto& f : scenario.faults) check_fault(f);
  for (const auto& f : options.extra_faults) check_fault(f);
  // Fault kinds the seccomp backend cannot inject, for processes that run under it.
  for (const auto& p : scenario.processes) {
    Backend backend = p.backend;
    if (!p.shell && !p.argv.empty() && p.argv.front().find("${") == std::string::npos) {
      if (auto program = resolve_program(p.argv.front(), scenario.dir))
        backend = seccomp::choose_backend(p.backend, *program, p.name).backend;
    }
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
  return out;
}

Runner::Runner(RunOptions options) : options_(std::move(options)) {
  if (options_.interposer.empty()) options_.interposer = default_interposer_path();
}

ScenarioResult Runner::run(const Scenario& scenario) {
  ScenarioResult result;
  result.scenario = scenario.name;
  result.file = scenario.file;
  result.timeout = scenario.timeout;
  result.seed = options_.seed ? *options_.seed : scenario.seed ? *scenario.seed : random_seed();
  const auto started = std::chrono::steady_clock::now();

  std::vector<FaultSpec> faults = scenario.faults;
  for (const auto& f : options_.extra_faults) {
    // Meant for other scenarios of the run (`run` refuses a process no scenario has): not
    // applied here, so it cannot fail this one by never firing.
    if (!f.process.empty() && !scenario.process(f.process)) {
      result.notes.push_back(
          fmt::format("fault {} names process '{}', which this scenario does not have; not "
                      "applied here",
                      f.to_string(), f.process));
      continue;
    }
    faults.push_back(f);
  }
  for (const auto& f : faults) result.faults.push_back({f.to_string(), 0, 0, f.optional, {}});

  auto fail_setup = [&](const std::string& message) {
    result.violations.push_back({"setup", "", message});
    result.passed = false;
    result.duration = std::chrono::steady_clock::now() - started;
    return result;
  };

  // When each process ended, ms since the start (violations are ordered by it).
  std::vector<double> ended_ms;
  auto ms_since_start = [&](std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double, std::milli>(t - started).count();
  };

  try {
    // Declared first so it is destroyed last: channels are removed before their folder.
    RunDirectory dir(scenario.name);
    std::map<std::string, std::unique_ptr<Channel>> channels;
    Substitutions subs;
    subs.set("run_dir", dir.path().string());
    subs.set("scenario_dir", scenario.dir.string());
    std::map<std::string, std::string> env = base_environment();
    for (const auto& spec : scenario.channels) {
      auto ch = provision_channel(spec, dir);
      for (const auto& [attr, value] : ch->attributes()) {
        subs.set(spec.name + "." + attr, value);
        env["FAULTLINE_CH_" + upper_env_name(spec.name) + "_" + upper_env_name(attr)] = value;
      }
      channels.emplace(spec.name, std::move(ch));
    }
    const ControlContext context = make_control_context(scenario, channels);
    ControlBlock control =
        ControlBlock::create(dir.path() / "control", faults, result.seed, context);

    env["FAULTLINE_RUN_DIR"] = dir.path().string();
    env["FAULTLINE_CONTROL"] = control.path().string();
    env["FAULTLINE_SEED"] = std::to_string(result.seed);
    std::string preload = options_.interposer.string();
    if (auto it = env.find("LD_PRELOAD"); it != env.end() && !it->second.empty())
      preload += ":" + it->second;
    env["LD_PRELOAD"] = preload;

    std::optional<PipeEnds> pipes(std::in_place, channels);
    // Copies of the runner's stdio for inherit_stdio; one closed in the runner is left to
    // the default (/dev/null or a capture pipe).
    std::optional<std::array<std::shared_ptr<UniqueFd>, 3>> inherited;
    if (options_.inherit_stdio) {
      inherited.emplace();
      for (int fd = 0; fd < 3; ++fd)
        (*inherited)[fd] = std::make_shared<UniqueFd>(::fcntl(fd, F_DUPFD_CLOEXEC, 3));
    }
    std::vector<LaunchPlan> plans;
    std::shared_ptr<const seccomp::FilterProgram> seccomp_filter;  // built once, if needed
    for (const auto& p : scenario.processes) {
      LaunchPlan plan;
      plan.name = p.name;
      std::string error;
      if (p.peer) {
        plan.argv = peer_argv(*p.peer, scenario, default_peer_path(), channels);
      }
      for (const auto& arg : p.argv) {
        std::string expanded;
        if (!subs.expand(arg, expanded, error))
          return fail_setup(fmt::format("process '{}': {}", p.name, error));
        plan.argv.push_back(std::move(expanded));
      }
      if (!p.shell && !p.peer) {
        auto program = resolve_program(plan.argv.front(), scenario.dir);
        if (!program)
          return fail_setup(
              fmt::format("process '{}': program '{}' not found", p.name, plan.argv.front()));
        plan.argv.front() = program->string();
      }
      std::map<std::string, std::string> penv = env;
      penv["FAULTLINE_PROCESS"] = p.name;
      // The seccomp backend (docs/seccomp.md); a static program gets it whatever was asked.
      auto backend = seccomp::choose_backend(p.backend, plan.argv.front(), p.name);
      if (!backend.notice.empty()) result.notes.push_back(backend.notice);
      if (backend.backend != Backend::preload) {
        auto problems = backend.backend == Backend::seccomp
                            ? seccomp::faults_needing_preload(faults, p.name)
                            : std::vector<std::string>{};
        if (!problems.empty()) return fail_setup(problems.front());
        if (backend.backend == Backend::seccomp) {
          // Without the interposer: it would decide the same calls a second time.
          std::string& preload_var = penv["LD_PRELOAD"];
          preload_var.erase(0,
                            std::min(preload_var.size(), options_.interposer.string().size() + 1));
          if (preload_var.empty()) penv.erase("LD_PRELOAD");
        }
        if (!seccomp_filter)
          seccomp_filter = std::make_shared<const seccomp::FilterProgram>(
              seccomp::FilterProgram::build(*control.raw()));
        if (seccomp_filter->syscall_count() > 0)
          plan.seccomp =
              SeccompPlan{seccomp_filter, control.raw(), backend.backend == Backend::both};
      }
      for (const auto& [k, v] : p.env) {
        std::string expanded;
        if (!subs.expand(v, expanded, error))
          return fail_setup(fmt::format("process '{}': env {}: {}", p.name, k, error));
        penv[k] = expanded;
      }
      for (const auto& [k, v] : penv) plan.env.push_back(k + "=" + v);
      std::string cwd = p.cwd.empty() ? scenario.dir.string() : p.cwd;
      if (!subs.expand(cwd, plan.cwd, error))
        return fail_setup(fmt::format("process '{}': cwd: {}", p.name, error));
      if (fs::path(plan.cwd).is_relative()) plan.cwd = (scenario.dir / plan.cwd).string();
      if (inherited) {
        for (int fd = 0; fd < 3; ++fd) {
          if ((*inherited)[fd]->valid()) plan.fds[fd] = (*inherited)[fd];
        }
      }
      if (p.stdin_channel) plan.fds[0] = pipes->get(*p.stdin_channel, false);
      if (p.stdout_channel) plan.fds[1] = pipes->get(*p.stdout_channel, true);
      for (const auto& w : p.fds) plan.fds[w.fd] = pipes->get(w.channel, w.write_end);
      plan.after = p.after;
      plan.ready = p.ready;
      if (p.ready.kind == Readiness::Kind::listening) {
        Channel* ch = channels.at(p.ready.value).get();
        plan.listening_probe = [ch] { return ch->listening().value_or(false); };
      } else if (p.ready.kind == Readiness::Kind::file) {
        std::string path;
        if (!subs.expand(p.ready.value, path, error))
          return fail_setup(fmt::format("process '{}': ready: {}", p.name, error));
        if (fs::path(path).is_relative()) path = (scenario.dir / path).string();
        plan.ready.value = path;
      }
      plan.lifetime = p.lifetime;
      plan.stop_signal = p.stop_signal;
      plan.grace = p.grace;
      // The built-in peer leaves its summary on SIGTERM: at a timeout the report then says
      // how far each exchange got.
      if (p.peer) plan.timeout_signal = SIGTERM;
      plans.push_back(std::move(plan));
    }
    // Pipe ends nobody uses are closed now (their channel still owns them); used ones live
    // only in the plans from here on.
    pipes.reset();
    inherited.reset();

    SupervisorOptions sup;
    sup.timeout = scenario.timeout;
    sup.live_output = options_.live_output;
    sup.backtraces = options_.backtraces;
    SupervisionResult run = supervise(std::move(plans), sup);

    result.timed_out = run.timed_out;
    result.interrupted_by = run.interrupted_by;
    for (const auto& orphan : run.reaped_orphans)
      result.notes.push_back("descendant left running, killed at the end: " + orphan);
    for (std::size_t i = 0; i < run.processes.size(); ++i) {
      result.processes.push_back(to_result(run.processes[i], scenario.processes[i]));
      const auto ended_at = run.processes[i].ended_at;
      ended_ms.push_back(
          ended_at == std::chrono::steady_clock::time_point{} ? -1.0 : ms_since_start(ended_at));
      ProcessResult& pr = result.processes.back();
      if (!scenario.processes[i].peer) continue;
      // The summary goes to stderr when the peer's stdout is its pipe channel.
      auto summary = read_peer_summary(pr.stdout_text);
      if (!summary) summary = read_peer_summary(pr.stderr_text);
      if (summary) {
        pr.peer_intact = summary->intact;
        pr.peer_report = summary->text;
      }
    }
    const ProcessCallCounts call_counts = control.call_counts();
    for (std::size_t i = 0; i < result.faults.size(); ++i) {
      auto stats = control.stats(i);
      result.faults[i].hits = stats.hits;
      result.faults[i].fired = stats.fires;
      if (stats.hits == 0)
        result.faults[i].missed = explain_never_fired(faults[i], control.misses(i), call_counts);
    }
    const auto start_ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(started.time_since_epoch()).count();
    for (const auto& e : control.events()) {
      FaultEvent fe;
      fe.time_ms = (static_cast<double>(e.time_ns) - static_cast<double>(start_ns)) / 1e6;
      fe.pid = e.pid;
      fe.tid = e.tid;
      fe.process = e.process;
      fe.call = e.call;
      fe.rule = e.rule;
      fe.error = e.err ? errno_name(e.err) : "";
      fe.result = e.result;
      fe.bytes = e.bytes;
      fe.seq = e.seq;
      fe.fd = e.fd;
      fe.caller = e.caller;
      fe.channel = e.channel;
      if (e.rule >= 0 && static_cast<std::size_t>(e.rule) < result.faults.size())
        fe.fault = result.faults[static_cast<std::size_t>(e.rule)].spec;
      result.events.push_back(std::move(fe));
    }
    result.events_lost = control.events_lost();
    // Every process has ended: what they created and did not remove is a leak.
    result.leaks = collect_leaks(control, context);
    if (auto lost = control.created_lost())
      result.notes.push_back(
          fmt::format("{} created IPC objects were not recorded (more than {}); "
                      "the leak check did not see them",
                      lost, FL_MAX_CREATED));
  } catch (const ChannelError& e) {
    result.setup_limit = e.shared_limit();
    return fail_setup(e.what());
  } catch (const std::exception& e) {
    return fail_setup(e.what());
  }

  for (std::size_t i = 0; i < result.processes.size(); ++i) {
    auto v = check_process(scenario.processes[i], result.processes[i]);
    for (auto& violation : v) violation.time_ms = i < ended_ms.size() ? ended_ms[i] : -1.0;
    result.violations.insert(result.violations.end(), v.begin(), v.end());
  }
  auto v = check_scenario(scenario, result);
  for (auto& violation : v) {
    if (violation.kind == "interrupted") {
      violation.time_ms = 0;
    } else if (violation.kind == "timeout") {
      violation.time_ms = std::chrono::duration<double, std::milli>(scenario.timeout).count();
    } else if (!violation.process.empty()) {  // peers: when that peer ended
      for (std::size_t i = 0; i < result.processes.size() && i < ended_ms.size(); ++i)
        if (result.processes[i].name == violation.process) violation.time_ms = ended_ms[i];
    }
  }
  result.violations.insert(result.violations.begin(), v.begin(), v.end());
  // The headline (the first violation) names the root cause; docs/cli.md says how it is found.
  order_by_root_cause(result.violations, cause_context(result));
  result.passed = result.violations.empty();
  result.duration = std::chrono::steady_clock::now() - started;
  return result;
}

}  // namespace faultline
