// Runner: one scenario end to end; see faultline/runner.h and DESIGN.md section 5
// ("Data flow of one run").
#include "faultline/runner.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
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
#include <system_error>

#include <fmt/format.h>

#include "channels/channel.h"
#include "faultline_control.h"
#include "faults/call_table.h"
#include "faults/channel_kinds.h"
#include "faults/control_block.h"
#include "faults/site_resolver.h"
#include "processes/capture_stream.h"
#include "processes/supervisor.h"
#include "runner/attach_status.h"
#include "report/root_cause.h"
#include "runner/control_context.h"
#include "runner/expectations.h"
#include "runner/injection_check.h"
#include "runner/leak_check.h"
#include "runner/never_fired.h"
#include "runner/peer_command.h"
#include "runner/program_path.h"
#include "runner/recording.h"
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

struct ProcessCaptures {
  std::shared_ptr<CaptureStream> stdout_capture;
  std::shared_ptr<CaptureStream> stderr_capture;
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
    for (const auto& c : scenario.channels) {
      if (auto problem = impossible_on_channel(f, c)) {
        auto nl = problem->find('\n');
        out.push_back({f.where, problem->substr(0, nl), problem->substr(nl + 1)});
      }
    }
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

  // Rule order: the first rule that fires wins, so command-line faults come first: a --fault
  // is never shadowed by the scenario's own rules (`faultline explore`'s repro commands).
  std::vector<FaultSpec> faults;
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
  faults.insert(faults.end(), scenario.faults.begin(), scenario.faults.end());
  for (const auto& f : options_.extra_faults) result.command_faults.push_back(f.to_string());
  result.without_faults = options_.without_faults;
  for (const auto& f : faults) result.faults.push_back({f.to_string(), 0, 0, f.optional, {}});

  auto fail_setup = [&](const std::string& message) {
    result.violations.push_back({"setup", "", message});
    result.passed = false;
    result.duration = std::chrono::steady_clock::now() - started;
    return result;
  };

  // When each process ended, ms since the start (violations are ordered by it).
  std::vector<double> ended_ms;
  // Stamps of the run's phases, for result.timings.
  using Clock = std::chrono::steady_clock;
  Clock::time_point provisioned, planned, supervised, collected;
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
    ControlContext context = make_control_context(scenario, channels, subs);
    // Made before the control block, which lists them: no `ipc` rule may fire on a program's
    // own logging.
    std::vector<ProcessCaptures> captures = make_captures(scenario, options_.inherit_stdio);
    for (const auto& c : captures) {
      for (const auto* stream : {c.stdout_capture.get(), c.stderr_capture.get()}) {
        if (stream != nullptr && stream->ino != 0)
          context.captures.push_back({stream->dev, stream->ino});
      }
    }
    if (options_.inherit_stdio) {
      // `faultline exec`'s own stdout/stderr may be a pipe (`| tee`) or a journal socket.
      for (int fd = 1; fd <= 2; ++fd) {
        struct stat st {};
        if (::fstat(fd, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)))
          context.captures.push_back(
              {static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino)});
      }
    }
    provisioned = Clock::now();
    ControlBlock control =
        ControlBlock::create(dir.path() / "control", faults, result.seed, context);
    if (options_.record) control.start_recording(options_.context);

    // The control file reaches the processes as an inherited descriptor, which survives a
    // privilege drop (the run directory is the runner's alone), and by path as a fallback;
    // a process that can use neither reports itself to `status` (docs/how-it-works.md).
    const int control_fd = control_fd_number();
    auto control_file =
        std::make_shared<UniqueFd>(::open(control.path().c_str(), O_RDWR | O_CLOEXEC));
    if (!*control_file)
      throw std::system_error(errno, std::generic_category(),
                              "cannot open the control file " + control.path().string());
    AttachStatus status;
    env["FAULTLINE_RUN_DIR"] = dir.path().string();
    env["FAULTLINE_CONTROL"] = control.path().string();
    env["FAULTLINE_CONTROL_FD"] = std::to_string(control_fd);
    env["FAULTLINE_STATUS"] = status.address();
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
    std::vector<Backend> backends;                                 // as chosen, per process
    std::vector<fs::path> programs;                                // what each process runs
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
      backends.push_back(backend.backend);
      programs.emplace_back(plan.argv.front());
      if (backend.backend != Backend::seccomp) plan.fds[control_fd] = control_file;
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
      plan.stdout_capture = std::move(captures[plans.size()].stdout_capture);
      plan.stderr_capture = std::move(captures[plans.size()].stderr_capture);
      if (p.stdin_channel) plan.fds[0] = pipes->get(*p.stdin_channel, false);
      if (p.stdout_channel) plan.fds[1] = pipes->get(*p.stdout_channel, true);
      for (const auto& w : p.fds) plan.fds[w.fd] = pipes->get(w.channel, w.write_end);
      // A scenario that wires that number itself keeps it: the interposer then uses the path.
      if (plan.fds.count(control_fd) != 0 && plan.fds[control_fd] != control_file)
        plan.env.erase(std::remove(plan.env.begin(), plan.env.end(),
                                   "FAULTLINE_CONTROL_FD=" + std::to_string(control_fd)),
                       plan.env.end());
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
      plan.cgroup_procs = dir.cgroup_procs_fd();
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
    control_file.reset();
    planned = Clock::now();

    SupervisorOptions sup;
    sup.timeout = scenario.timeout;
    sup.live_output = options_.live_output;
    sup.backtraces = options_.backtraces;
    sup.on_started = [&dir](pid_t pgid) {
      try {
        dir.record_process_group(pgid);
      } catch (const std::system_error&) {
        // A full disk: the cgroup and FAULTLINE_RUN_DIR still let gc find the process.
      }
    };
    SupervisionResult run = supervise(std::move(plans), sup);
    supervised = Clock::now();
    result.timings.spawn = run.spawn_time;
    result.timings.reap = run.reap_time;
    result.timings.supervise = (supervised - planned) - run.spawn_time - run.reap_time;

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
            stats.refused_why == FL_WHY_RESET_NOT_STREAM ? ""
                                                         : " (add force to inject it anyway)"));
      if (f.unrealistic > 0)
        result.notes.push_back(fmt::format("fault {}: {} of {} injected fault{} {}", f.spec,
                                           f.unrealistic, f.fired, f.fired == 1 ? "" : "s",
                                           why_text(f.unrealistic_why)));
      if (stats.hits == 0) f.missed = explain_never_fired(faults[i], control.misses(i), call_counts);
    }
    const auto start_ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(started.time_since_epoch()).count();
    std::vector<ControlBlock::Event> events = control.events();
    result.events.reserve(events.size());
    for (auto& e : events) {
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
      if (e.rule >= 0 && static_cast<std::size_t>(e.rule) < result.faults.size())
        fe.fault = result.faults[static_cast<std::size_t>(e.rule)].spec;
      result.events.push_back(std::move(fe));
    }
    result.events_lost = control.events_lost();
    if (options_.record) {
      result.recorded = read_recording(control, context.programs);
      if (auto lost = control.recorded_lost())
        result.notes.push_back(
            fmt::format("{} calls were not recorded (more than {} call sites, or {} process names)",
                        lost, FL_MAX_RECORDED, FL_COUNT_PROCESSES));
    }
    add_blind_spots({scenario, faults, backends, programs}, control.facts(), control.facts_lost(),
                    status.finish(), result);
    // Every process has ended: what they created and did not remove is a leak.
    result.leaks = collect_leaks(control, context);
    if (auto lost = control.created_lost())
      result.notes.push_back(
          fmt::format("{} created IPC objects were not recorded (more than {}); "
                      "the leak check did not see them",
                      lost, FL_MAX_CREATED));
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
  const Clock::time_point judged = Clock::now();
  result.timings.verdict = (collected - supervised) + (judged - cleaned);
  result.duration = judged - started;
  return result;
}

}  // namespace faultline
