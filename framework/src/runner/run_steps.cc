// The steps of one run; see run_steps.h.
#include "runner/run_steps.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>
#include <system_error>

#include <fmt/format.h>

#include "faultline_control.h"
#include "faults/call_table.h"
#include "report/root_cause.h"
#include "runner/control_context.h"
#include "runner/expectations.h"
#include "runner/injection_check.h"
#include "runner/leak_check.h"
#include "runner/never_fired.h"
#include "runner/peer_command.h"
#include "runner/program_path.h"
#include "runner/recording.h"
#include "seccomp/backend.h"

extern char** environ;

namespace faultline {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

std::string upper_env_name(std::string_view s) {
  std::string out;
  for (char c : s) out += std::isalnum(static_cast<unsigned char>(c)) ? std::toupper(c) : '_';
  return out;
}

// The environment every process starts from: the runner's own, minus what we set.
Environment base_environment() {
  Environment env;
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

// The capture streams of each process (in scenario order) for the fds 1 and 2 that nothing
// else wires: read-write pipes, or one pseudo-terminal for both under stdio: pty.
std::vector<ProcessCaptures> make_captures(const Scenario& scenario, bool inherit_stdio) {
  std::vector<ProcessCaptures> out(scenario.processes.size());
  if (inherit_stdio) return out;
  for (std::size_t i = 0; i < scenario.processes.size(); ++i) {
    const ProcessSpec& p = scenario.processes[i];
    auto wired = [&](int fd) {
      return (fd == 1 && p.stdout_channel) ||
             std::any_of(p.fds.begin(), p.fds.end(), [&](const FdWiring& w) { return w.fd == fd; });
    };
    if (p.stdio_pty) {
      auto pty = std::make_shared<CaptureStream>(open_capture_pty());
      if (!wired(1)) out[i].stdout_capture = pty;
      if (!wired(2)) out[i].stderr_capture = pty;
      continue;
    }
    if (!wired(1)) out[i].stdout_capture = std::make_shared<CaptureStream>(open_capture_pipe());
    if (!wired(2)) out[i].stderr_capture = std::make_shared<CaptureStream>(open_capture_pipe());
  }
  return out;
}

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

// The descriptor number processes find the control file on (FAULTLINE_CONTROL_FD): high,
// away from the numbers conventions give meaning to (stdio, systemd's LISTEN_FDS from 3),
// below select()'s FD_SETSIZE, and with room above it below the open-file limit (the child
// moves its fds through higher numbers while it wires them: spawn.cc).
int control_fd_number() {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur == RLIM_INFINITY ||
      lim.rlim_cur >= 1024)
    return 1000;
  return static_cast<int>(std::max<rlim_t>(lim.rlim_cur * 3 / 4, 3));
}

std::shared_ptr<UniqueFd> open_control_file(const ControlBlock& block) {
  auto file = std::make_shared<UniqueFd>(::open(block.path().c_str(), O_RDWR | O_CLOEXEC));
  if (!*file)
    throw std::system_error(errno, std::generic_category(),
                            "cannot open the control file " + block.path().string());
  return file;
}

// Copies the faults' counters into result.faults, with a note for refused and unrealistic
// fires and an explanation for a fault that never fired.
void collect_fault_counters(const std::vector<FaultSpec>& faults, const ControlBlock& control,
                            ScenarioResult& result) {
  const ProcessCallCounts call_counts = control.call_counts();
  for (std::size_t i = 0; i < result.faults.size(); ++i) {
    auto stats = control.stats(i);
    FaultResult& f = result.faults[i];
    f.hits = stats.hits;
    f.fired = stats.fires;
    f.refused = stats.refused;
    f.refused_why = why_name(stats.refused_why);
    f.unrealistic = stats.unrealistic;
    f.unrealistic_why = why_name(stats.unrealistic_why);
    // A fault no kernel produces, or not in the state the program was in, is the user's to
    // see: the verdict notes it (the run still applies what the user asked for).
    if (f.refused > 0)
      result.notes.push_back(fmt::format(
          "fault {} was refused on {} call{}: {}{}", f.spec, f.refused, f.refused == 1 ? "" : "s",
          why_text(f.refused_why),
          stats.refused_why == FL_WHY_RESET_NOT_STREAM ? "" : " (add force to inject it anyway)"));
    if (f.unrealistic > 0)
      result.notes.push_back(fmt::format("fault {}: {} of {} injected fault{} {}", f.spec,
                                         f.unrealistic, f.fired, f.fired == 1 ? "" : "s",
                                         why_text(f.unrealistic_why)));
    if (stats.hits == 0) f.missed = explain_never_fired(faults[i], control.misses(i), call_counts);
  }
}

// The event ring into result.events, each record moved once from what the control block read.
void collect_events(const ControlBlock& control, Clock::time_point started,
                    ScenarioResult& result) {
  // FaultEvent is large: growing the vector event by event would move every event again.
  result.events.reserve(result.events.size() + control.events_held());
  control.read_events([&](ControlBlock::Event&& e) {
    result.events.push_back(to_fault_event(std::move(e), started, result.faults));
  });
  result.events_lost = control.events_lost();
}

}  // namespace

FaultEvent to_fault_event(ControlBlock::Event&& e, Clock::time_point started,
                          const std::vector<FaultResult>& faults) {
  const auto start_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(started.time_since_epoch()).count();
  FaultEvent fe;
  fe.time_ms = (static_cast<double>(e.time_ns) - static_cast<double>(start_ns)) / 1e6;
  fe.pid = e.pid;
  fe.tid = e.tid;
  fe.process = std::move(e.process);
  fe.call = std::move(e.call);
  fe.rule = e.rule;
  fe.error = std::move(e.err_name);
  fe.result = e.result;
  fe.bytes = e.bytes;
  fe.seq = e.seq;
  fe.fd = e.fd;
  fe.caller = e.caller;
  fe.channel = std::move(e.channel);
  fe.unrealistic = why_name(e.unrealistic);
  if (e.rule >= 0 && static_cast<std::size_t>(e.rule) < faults.size())
    fe.fault = faults[static_cast<std::size_t>(e.rule)].spec;
  return fe;
}

ProvisionedRun::ProvisionedRun(const Scenario& scenario, bool inherit_stdio)
    : dir(scenario.name), env(base_environment()) {
  subs.set("run_dir", dir.path().string());
  subs.set("scenario_dir", scenario.dir.string());
  for (const auto& spec : scenario.channels) {
    const auto begin = Clock::now();
    auto ch = provision_channel(spec, dir);
    provisioned.push_back({spec.name, std::string(to_string(spec.type)), begin, Clock::now()});
    for (const auto& [attr, value] : ch->attributes()) {
      subs.set(spec.name + "." + attr, value);
      env["FAULTLINE_CH_" + upper_env_name(spec.name) + "_" + upper_env_name(attr)] = value;
    }
    channels.emplace(spec.name, std::move(ch));
  }
  context = make_control_context(scenario, channels, subs);
  captures = make_captures(scenario, inherit_stdio);
  for (const auto& c : captures) {
    for (const auto* stream : {c.stdout_capture.get(), c.stderr_capture.get()}) {
      if (stream != nullptr && stream->ino != 0)
        context.captures.push_back({stream->dev, stream->ino});
    }
  }
  if (inherit_stdio) {
    // `faultline exec`'s own stdout/stderr may be a pipe (`| tee`) or a journal socket.
    for (int fd = 1; fd <= 2; ++fd) {
      struct stat st {};
      if (::fstat(fd, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)))
        context.captures.push_back(
            {static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino)});
    }
  }
}

// The control file reaches the processes as an inherited descriptor, which survives a
// privilege drop (the run directory is the runner's alone), and by path as a fallback; a
// process that can use neither reports itself to `status` (docs/how-it-works.md).
CompiledControl::CompiledControl(const ProvisionedRun& run, const std::vector<FaultSpec>& faults,
                                 const CheckedFaults* checked, std::uint64_t seed, bool record,
                                 unsigned context)
    : block(checked && checked->checked_for(faults, run.context)
                ? ControlBlock::compile(run.dir.path() / "control", *checked, seed, run.context)
                : ControlBlock::compile(run.dir.path() / "control",
                                        check_faults(faults, run.context), seed, run.context)),
      fd_number(control_fd_number()),
      file(open_control_file(block)) {
  // Before any process starts: the seccomp filter is built from the armed calls.
  if (record) block.start_recording(context);
}

LaunchPlanner::LaunchPlanner(const Scenario& scenario, const RunOptions& options,
                             const std::vector<FaultSpec>& faults, std::uint64_t seed)
    : scenario_(scenario), options_(options), faults_(faults), seed_(seed) {}

LaunchSet LaunchPlanner::plan(ProvisionedRun& run, CompiledControl& control) const {
  LaunchSet out;
  auto fail_setup = [&](std::string message) {
    out.setup_error = std::move(message);
    return std::move(out);
  };
  Environment& env = run.env;
  const int control_fd = control.fd_number;
  env["FAULTLINE_RUN_DIR"] = run.dir.path().string();
  env["FAULTLINE_CONTROL"] = control.block.path().string();
  env["FAULTLINE_CONTROL_FD"] = std::to_string(control_fd);
  env["FAULTLINE_STATUS"] = control.status.address();
  env["FAULTLINE_SEED"] = std::to_string(seed_);
  // Declared before the pipe ends: the runner's references all go when planning ends.
  std::optional<RunBackends> backends(
      std::in_place, BackendResources(options_.interposer, control_fd, std::move(control.file),
                                      control.block.raw()));

  std::optional<PipeEnds> pipes(std::in_place, run.channels);
  // Copies of the runner's stdio for inherit_stdio; one closed in the runner is left to
  // the default (/dev/null or a capture pipe).
  std::optional<std::array<std::shared_ptr<UniqueFd>, 3>> inherited;
  if (options_.inherit_stdio) {
    inherited.emplace();
    for (int fd = 0; fd < 3; ++fd)
      (*inherited)[fd] = std::make_shared<UniqueFd>(::fcntl(fd, F_DUPFD_CLOEXEC, 3));
  }
  const Substitutions& subs = run.subs;
  for (const auto& p : scenario_.processes) {
    LaunchPlan plan;
    plan.name = p.name;
    std::string error;
    if (p.peer) {
      plan.argv = peer_argv(*p.peer, scenario_, default_peer_path(), run.channels);
    }
    for (const auto& arg : p.argv) {
      std::string expanded;
      if (!subs.expand(arg, expanded, error))
        return fail_setup(fmt::format("process '{}': {}", p.name, error));
      plan.argv.push_back(std::move(expanded));
    }
    if (!p.shell && !p.peer) {
      auto program = resolve_program(plan.argv.front(), scenario_.dir);
      if (!program)
        return fail_setup(
            fmt::format("process '{}': program '{}' not found", p.name, plan.argv.front()));
      plan.argv.front() = program->string();
    }
    // The seccomp backend (docs/seccomp.md); a static program gets it whatever was asked.
    auto choice = seccomp::choose_backend(p.backend, plan.argv.front(), p.name);
    if (!choice.notice.empty()) out.notices.push_back(choice.notice);
    out.backends.push_back(choice.backend);
    out.programs.emplace_back(plan.argv.front());
    const InjectionBackend& backend = backends->get(choice.backend);
    if (auto problems = backend.cannot_inject(faults_, p.name); !problems.empty())
      return fail_setup(problems.front());
    Environment penv = env;
    penv["FAULTLINE_PROCESS"] = p.name;
    backend.compose_environment(penv);
    backend.equip(plan);
    for (const auto& [k, v] : p.env) {
      std::string expanded;
      if (!subs.expand(v, expanded, error))
        return fail_setup(fmt::format("process '{}': env {}: {}", p.name, k, error));
      penv[k] = expanded;
    }
    for (const auto& [k, v] : penv) plan.env.push_back(k + "=" + v);
    std::string cwd = p.cwd.empty() ? scenario_.dir.string() : p.cwd;
    if (!subs.expand(cwd, plan.cwd, error))
      return fail_setup(fmt::format("process '{}': cwd: {}", p.name, error));
    if (fs::path(plan.cwd).is_relative()) plan.cwd = (scenario_.dir / plan.cwd).string();
    if (inherited) {
      for (int fd = 0; fd < 3; ++fd) {
        if ((*inherited)[fd]->valid()) plan.fds[fd] = (*inherited)[fd];
      }
    }
    ProcessCaptures& captures = run.captures[out.plans.size()];
    plan.stdout_capture = std::move(captures.stdout_capture);
    plan.stderr_capture = std::move(captures.stderr_capture);
    if (p.stdin_channel) plan.fds[0] = pipes->get(*p.stdin_channel, false);
    if (p.stdout_channel) plan.fds[1] = pipes->get(*p.stdout_channel, true);
    for (const auto& w : p.fds) plan.fds[w.fd] = pipes->get(w.channel, w.write_end);
    // A scenario that wires that number itself keeps it: the interposer then uses the path.
    if (auto wired = plan.fds.find(control_fd);
        wired != plan.fds.end() && wired->second != backends->resources().control_file())
      plan.env.erase(std::remove(plan.env.begin(), plan.env.end(),
                                 "FAULTLINE_CONTROL_FD=" + std::to_string(control_fd)),
                     plan.env.end());
    plan.after = p.after;
    plan.ready = p.ready;
    if (p.ready.kind == Readiness::Kind::listening) {
      Channel* ch = run.channels.at(p.ready.value).get();
      plan.listening_probe = [ch] { return ch->listening().value_or(false); };
    } else if (p.ready.kind == Readiness::Kind::file) {
      std::string path;
      if (!subs.expand(p.ready.value, path, error))
        return fail_setup(fmt::format("process '{}': ready: {}", p.name, error));
      if (fs::path(path).is_relative()) path = (scenario_.dir / path).string();
      plan.ready.value = path;
    }
    plan.cgroup_procs = run.dir.cgroup_procs_fd();
    plan.cgroup_dir = run.dir.cgroup_dir_fd();
    plan.lifetime = p.lifetime;
    plan.stop_signal = p.stop_signal;
    plan.grace = p.grace;
    // The built-in peer leaves its summary on SIGTERM: at a timeout the report then says
    // how far each exchange got.
    if (p.peer) plan.timeout_signal = SIGTERM;
    out.plans.push_back(std::move(plan));
  }
  // Pipe ends nobody uses are closed now (their channel still owns them); used ones live
  // only in the plans from here on.
  pipes.reset();
  inherited.reset();
  backends.reset();
  return out;
}

SupervisionResult supervise_run(std::vector<LaunchPlan> plans, const Scenario& scenario,
                                const RunOptions& options, RunDirectory& dir, PauseSource* pauses) {
  SupervisorOptions sup;
  sup.timeout = scenario.timeout;
  sup.pauses = pauses;
  sup.pause_output = options.pause_output;
  sup.resume_input = options.resume_input;
  sup.live_output = options.live_output;
  sup.backtraces = options.backtraces;
  sup.on_started = [&dir](pid_t pgid) {
    try {
      dir.record_process_group(pgid);
    } catch (const std::system_error&) {
      // A full disk: the cgroup and FAULTLINE_RUN_DIR still let gc find the process.
    }
  };
  return supervise(std::move(plans), sup);
}

std::vector<double> collect_results(const Scenario& scenario, const std::vector<FaultSpec>& faults,
                                    const RunOptions& options, const LaunchSet& launch,
                                    ProvisionedRun& run, CompiledControl& control,
                                    SupervisionResult supervision, Clock::time_point started,
                                    ScenarioResult& result) {
  std::vector<double> ended_ms;
  result.timed_out = supervision.timed_out;
  if (supervision.pauses > 0)
    result.notes.push_back(fmt::format(
        "--pause-on-fault: paused {} time{} for {:.1f}s in all; the timeout did not run meanwhile",
        supervision.pauses, supervision.pauses == 1 ? "" : "s",
        std::chrono::duration<double>(supervision.paused_time).count()));
  result.interrupted_by = supervision.interrupted_by;
  for (const auto& orphan : supervision.reaped_orphans)
    result.notes.push_back("descendant left running, killed at the end: " + orphan);
  for (std::size_t i = 0; i < supervision.processes.size(); ++i) {
    result.processes.push_back(to_result(supervision.processes[i], scenario.processes[i]));
    const auto ended_at = supervision.processes[i].ended_at;
    ended_ms.push_back(ended_at == Clock::time_point{}
                           ? -1.0
                           : std::chrono::duration<double, std::milli>(ended_at - started).count());
    ProcessResult& pr = result.processes.back();
    auto since_start = [&](Clock::time_point t) -> std::optional<double> {
      if (t == Clock::time_point{}) return std::nullopt;
      return std::chrono::duration<double, std::milli>(t - started).count();
    };
    pr.start_ms = since_start(supervision.processes[i].started_at);
    pr.ready_ms = since_start(supervision.processes[i].ready_at);
    pr.end_ms = since_start(ended_at);
    if (!scenario.processes[i].peer) continue;
    // The summary goes to stderr when the peer's stdout is its pipe channel.
    auto summary = read_peer_summary(pr.stdout_text);
    if (!summary) summary = read_peer_summary(pr.stderr_text);
    if (summary) {
      pr.peer_intact = summary->intact;
      pr.peer_report = summary->text;
    }
  }
  const ControlBlock& block = control.block;
  collect_fault_counters(faults, block, result);
  collect_events(block, started, result);
  if (options.record) {
    result.recorded = read_recording(block, run.context.programs);
    if (auto lost = block.recorded_lost())
      result.notes.push_back(
          fmt::format("{} calls were not recorded (more than {} call sites, or {} process names)",
                      lost, FL_MAX_RECORDED, FL_COUNT_PROCESSES));
  }
  add_blind_spots({scenario, faults, launch.backends, launch.programs}, block.facts(),
                  block.facts_lost(), control.status.finish(), result);
  // Every process has ended: what they created and did not remove is a leak.
  result.leaks = collect_leaks(block, run.context);
  if (auto lost = block.created_lost())
    result.notes.push_back(fmt::format(
        "{} created IPC objects were not recorded (more than {}); the leak check did not see them",
        lost, FL_MAX_CREATED));
  return ended_ms;
}

void judge(const Scenario& scenario, const std::vector<FaultSpec>& faults,
           const std::vector<double>& ended_ms, ScenarioResult& result) {
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
  auto uninjected = check_injection(scenario, faults, result);
  result.violations.insert(result.violations.end(), uninjected.begin(), uninjected.end());
  // The headline (the first violation) names the root cause; docs/cli.md says how it is found.
  order_by_root_cause(result.violations, cause_context(result));
  result.passed = result.violations.empty();
}

}  // namespace faultline
