// The supervision event loop: one ppoll() over capture pipes, pidfds, a signalfd and an
// inotify fd, with the nearest deadline (timeout, grace, ready delay) as its timeout.
#include "processes/supervisor.h"

#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <optional>
#include <regex>
#include <thread>
#include <utility>

#include <fmt/format.h>

#include "processes/output_capture.h"
#include "processes/process_tree.h"
#include "processes/reaper.h"
#include "processes/snapshot.h"
#include "processes/spawn.h"
#include "seccomp/notify_supervisor.h"
#include "util/signal_names.h"

namespace faultline {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

// `listening` readiness has no kernel notification, nor has a file whose folder does not
// exist yet: these are probed at this interval.
constexpr Duration kProbeInterval = milliseconds(5);
// On SIGINT/SIGTERM the user wants the runner gone: a short grace, whatever the plan says.
constexpr Duration kInterruptGrace = seconds(1);
constexpr Duration kBacktraceLimit = seconds(10);
constexpr Duration kBacktraceBudget = seconds(30);
// How long a process with a timeout_signal has to end on it after the scenario's timeout.
constexpr Duration kTimeoutGrace = milliseconds(500);
// --pause-on-fault: how often the pause slots are looked at (a stopped process cannot say so).
constexpr Duration kPausePoll = milliseconds(10);
constexpr std::size_t kReadChunk = 64 * 1024;
constexpr int kReadsPerWakeup = 16;

std::string describe_end(const ProcessOutcome& o) {
  if (o.term_signal != 0) return "was killed by " + signal_in_words(o.term_signal);
  return fmt::format("exited with code {}", o.exit_code);
}

// Blocks SIGCHLD in the calling thread for the scope (the signalfd needs it blocked), and
// restores the previous mask.
class BlockSigchld final {
 public:
  BlockSigchld() {
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    ::pthread_sigmask(SIG_BLOCK, &chld, &previous_);
  }
  ~BlockSigchld() { ::pthread_sigmask(SIG_SETMASK, &previous_, nullptr); }
  BlockSigchld(const BlockSigchld&) = delete;
  BlockSigchld& operator=(const BlockSigchld&) = delete;

 private:
  sigset_t previous_;
};

UniqueFd make_signalfd(std::initializer_list<int> signals) {
  sigset_t set;
  sigemptyset(&set);
  for (int s : signals) sigaddset(&set, s);
  return UniqueFd(::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC));
}

// Reads every pending signal; returns the last one (0 when none).
int drain_signalfd(int fd) {
  int last = 0;
  signalfd_siginfo info;
  while (::read(fd, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
    last = static_cast<int>(info.ssi_signo);
  }
  return last;
}

// A regex too complex for std::regex on this line is no match, not a crash of the runner.
bool matches(const std::regex& re, std::string_view text) {
  try {
    return std::regex_search(text.begin(), text.end(), re);
  } catch (const std::regex_error&) {
    return false;
  }
}

// The probe is the runner's code (a connect() to the channel); a throwing probe means "not
// yet". Without a probe there is nothing to wait for.
bool probe_listening(const LaunchPlan& plan) {
  if (!plan.listening_probe) return true;
  try {
    return plan.listening_probe();
  } catch (const std::exception&) {
    return false;
  }
}

struct Stream {
  UniqueFd fd;
  OutputCapture capture;
};

struct Child {
  enum class State { waiting, running, ended };
  State state = State::waiting;
  pid_t pid = -1;
  UniqueFd pidfd;
  Stream out;
  Stream err;
  Clock::time_point started_at;
  std::optional<std::regex> ready_regex;
  std::filesystem::path ready_file;
  bool ready_file_watched = false;
  std::optional<Clock::time_point> kill_at;
  // Answers the seccomp notifications of the process and its descendants until the end.
  std::shared_ptr<seccomp::NotifySupervisor> seccomp;
};

class Supervisor final {
 public:
  Supervisor(std::vector<LaunchPlan> plans, const SupervisorOptions& options)
      : plans_(std::move(plans)), options_(options), children_(plans_.size()) {
    result_.processes.resize(plans_.size());
    for (std::size_t i = 0; i < plans_.size(); ++i) result_.processes[i].name = plans_[i].name;
  }
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  SupervisionResult run();

 private:
  void loop();
  enum class Phase { running, stopping, timed_out, interrupted };

  void advance(Clock::time_point now);
  [[nodiscard]] std::optional<std::string> dependency_failure(std::size_t i) const;
  void start(std::size_t i, Clock::time_point now);
  void give_up(std::size_t i, std::string reason);
  void check_readiness(std::size_t i, Clock::time_point now);
  void watch_ready_file(Child& c);
  void read_stream(std::size_t i, bool is_stderr, bool until_eof);
  void emit_line(std::size_t i, bool is_stderr, std::string_view line);
  void on_pidfd(std::size_t i);
  void on_exit(std::size_t i, const siginfo_t& info, Clock::time_point now);
  void reap_children(Clock::time_point now);
  // Sends each process group its signal as if at one instant: a peer waiting on a socket
  // reports what it waited for, not the other side's end, which another's signal caused.
  static void signal_at_once(const std::vector<std::pair<pid_t, int>>& groups);
  void begin_stopping(Clock::time_point now);
  void interrupt(int sig, Clock::time_point now);
  void time_out(Clock::time_point now);
  void enforce_kill_deadlines(Clock::time_point now);
  void poll_pauses(Clock::time_point now);
  void pause(Clock::time_point now);
  void resume(Clock::time_point now, std::string_view why);
  void read_resume_input(Clock::time_point now);
  [[nodiscard]] std::optional<Clock::time_point> next_deadline(Clock::time_point now) const;
  [[nodiscard]] bool all_ended() const;
  [[nodiscard]] std::optional<std::size_t> index_of(const std::string& name) const;
  void finish();

  std::vector<LaunchPlan> plans_;
  const SupervisorOptions& options_;
  std::vector<Child> children_;
  SupervisionResult result_;
  Phase phase_ = Phase::running;
  Clock::time_point timeout_at_;
  // For result_.readiness_time: when supervision began, when the last process was started,
  // and how much of the time before that went into spawning.
  Clock::time_point began_{};
  Clock::time_point last_start_{};
  Duration spawn_before_last_start_{0};
  UniqueFd sigchld_fd_;
  UniqueFd interrupt_fd_;
  UniqueFd inotify_fd_;
  // --pause-on-fault: while paused, since when and whom to continue.
  struct Pause {
    Clock::time_point since;
    std::vector<pid_t> groups;  // the children's process groups
    std::vector<pid_t> pids;    // descendants outside them, and the processes at the fault
  };
  std::optional<Pause> pause_;
  UniqueFd resume_signal_fd_;  // SIGUSR1
  bool resume_input_open_ = false;
};

std::optional<std::size_t> Supervisor::index_of(const std::string& name) const {
  for (std::size_t i = 0; i < plans_.size(); ++i) {
    if (plans_[i].name == name) return i;
  }
  return std::nullopt;
}

bool Supervisor::all_ended() const {
  return std::all_of(children_.begin(), children_.end(),
                     [](const Child& c) { return c.state == Child::State::ended; });
}

// Why plan i can never start, or nullopt while it still may.
std::optional<std::string> Supervisor::dependency_failure(std::size_t i) const {
  for (const auto& name : plans_[i].after) {
    auto j = index_of(name);
    if (!j) return fmt::format("`after` names {}, which is not a process of this run", name);
    const ProcessOutcome& dep = result_.processes[*j];
    if (dep.ready || children_[*j].state != Child::State::ended) continue;
    if (!dep.started) return fmt::format("{} was not started", name);
    return fmt::format("{} {} before it was ready", name, describe_end(dep));
  }
  return std::nullopt;
}

void Supervisor::advance(Clock::time_point now) {
  for (bool changed = true; changed;) {
    changed = false;
    for (std::size_t i = 0; i < plans_.size(); ++i) {
      if (children_[i].state == Child::State::running) check_readiness(i, now);
    }
    for (std::size_t i = 0; i < plans_.size(); ++i) {
      if (children_[i].state != Child::State::waiting) continue;
      if (auto failure = dependency_failure(i)) {
        give_up(i, *std::move(failure));
        changed = true;
        continue;
      }
      bool deps_ready =
          std::all_of(plans_[i].after.begin(), plans_[i].after.end(),
                      [&](const std::string& n) { return result_.processes[*index_of(n)].ready; });
      if (deps_ready) {
        start(i, now);
        changed = true;
      }
    }
    // Nothing runs, yet some wait: they wait for each other and never can start.
    bool any_running = std::any_of(children_.begin(), children_.end(),
                                   [](const Child& c) { return c.state == Child::State::running; });
    if (!changed && !any_running) {
      for (std::size_t i = 0; i < plans_.size(); ++i) {
        if (children_[i].state != Child::State::waiting) continue;
        give_up(i, "its `after` list waits in a cycle, so it can never start");
        changed = true;
      }
    }
  }
  if (phase_ != Phase::running) return;
  bool any_task = false;
  for (std::size_t i = 0; i < plans_.size(); ++i) {
    if (children_[i].state == Child::State::waiting) return;
    if (plans_[i].lifetime != Lifetime::task) continue;
    any_task = true;
    if (children_[i].state != Child::State::ended) return;
  }
  // Without any task, the services are stopped once they all are up.
  for (std::size_t i = 0; i < plans_.size() && !any_task; ++i) {
    if (children_[i].state == Child::State::running && !result_.processes[i].ready) return;
  }
  begin_stopping(now);
}

void Supervisor::give_up(std::size_t i, std::string reason) {
  children_[i].state = Child::State::ended;
  result_.processes[i].started = false;
  result_.processes[i].not_started_reason = std::move(reason);
  result_.processes[i].ended_at = Clock::now();
  plans_[i].fds.clear();
  plans_[i].stdout_capture.reset();
  plans_[i].stderr_capture.reset();
}

void Supervisor::start(std::size_t i, Clock::time_point now) {
  LaunchPlan& plan = plans_[i];
  Child& c = children_[i];
  if (plan.ready.kind == Readiness::Kind::stdout_regex ||
      plan.ready.kind == Readiness::Kind::stderr_regex) {
    try {
      c.ready_regex.emplace(plan.ready.value);
    } catch (const std::regex_error& e) {
      give_up(i, fmt::format("its ready regex \"{}\" is invalid: {}", plan.ready.value, e.what()));
      return;
    }
  }
  const Clock::time_point spawn_begin = Clock::now();
  last_start_ = spawn_begin;
  spawn_before_last_start_ = result_.spawn_time;
  SpawnResult spawned = spawn_process(plan);
  result_.spawn_time += Clock::now() - spawn_begin;
  // The child holds its own copies now; the last owner of a channel end closes it, and the
  // runner's copy of a capture's writing end would keep the capture from ever ending.
  plan.fds.clear();
  plan.stdout_capture.reset();
  plan.stderr_capture.reset();
  if (!spawned.process) {
    give_up(i, "spawn failed: " + spawned.error);
    return;
  }
  ProcessOutcome& o = result_.processes[i];
  if (options_.on_started) options_.on_started(spawned.process->pid);
  c.state = Child::State::running;
  c.pid = spawned.process->pid;
  c.pidfd = std::move(spawned.process->pidfd);
  c.seccomp = std::move(spawned.process->seccomp);
  c.out.fd = std::move(spawned.process->stdout_read);
  c.err.fd = std::move(spawned.process->stderr_read);
  c.started_at = now;
  o.started_at = now;
  o.started = true;
  o.pid = c.pid;
  if (plan.ready.kind == Readiness::Kind::file) {
    c.ready_file = plan.ready.value;
    if (c.ready_file.is_relative() && !plan.cwd.empty()) c.ready_file = plan.cwd / c.ready_file;
    watch_ready_file(c);
  }
  check_readiness(i, now);
}

void Supervisor::watch_ready_file(Child& c) {
  if (c.ready_file_watched || !inotify_fd_) return;
  // Watches on one folder are shared by the children waiting in it and live as long as the
  // inotify fd, so they are never removed one by one.
  c.ready_file_watched =
      ::inotify_add_watch(inotify_fd_.get(), c.ready_file.parent_path().c_str(),
                          IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE | IN_ATTRIB | IN_ONLYDIR) >= 0;
}

void Supervisor::check_readiness(std::size_t i, Clock::time_point now) {
  ProcessOutcome& o = result_.processes[i];
  if (o.ready) return;
  const LaunchPlan& plan = plans_[i];
  Child& c = children_[i];
  switch (plan.ready.kind) {
    case Readiness::Kind::none:
      o.ready = plan.lifetime == Lifetime::service;
      break;
    case Readiness::Kind::listening:
      o.ready = probe_listening(plan);
      break;
    case Readiness::Kind::stdout_regex:
      o.ready = c.ready_regex && matches(*c.ready_regex, c.out.capture.partial_line());
      break;
    case Readiness::Kind::stderr_regex:
      o.ready = c.ready_regex && matches(*c.ready_regex, c.err.capture.partial_line());
      break;
    case Readiness::Kind::file: {
      watch_ready_file(c);  // the folder may have appeared since
      std::error_code ec;
      o.ready = std::filesystem::exists(c.ready_file, ec);
      break;
    }
    case Readiness::Kind::delay:
      o.ready = now - c.started_at >= plan.ready.delay;
      break;
  }
  if (o.ready) o.ready_at = now;
}

void Supervisor::emit_line(std::size_t i, bool is_stderr, std::string_view line) {
  Child& c = children_[i];
  ProcessOutcome& o = result_.processes[i];
  const Readiness::Kind watched =
      is_stderr ? Readiness::Kind::stderr_regex : Readiness::Kind::stdout_regex;
  if (plans_[i].ready.kind == watched && !o.ready && c.ready_regex &&
      matches(*c.ready_regex, line)) {
    o.ready = true;
    o.ready_at = Clock::now();
  }
  if (options_.live_output != nullptr) {
    *options_.live_output << '[' << plans_[i].name << (is_stderr ? "!] " : "] ") << line << '\n';
    options_.live_output->flush();
  }
}

void Supervisor::read_stream(std::size_t i, bool is_stderr, bool until_eof) {
  Stream& s = is_stderr ? children_[i].err : children_[i].out;
  auto sink = [&](std::string_view line) { emit_line(i, is_stderr, line); };
  char buf[kReadChunk];
  for (int reads = 0; s.fd && (until_eof || reads < kReadsPerWakeup); ++reads) {
    ssize_t n = ::read(s.fd.get(), buf, sizeof buf);
    if (n > 0) {
      s.capture.append(std::string_view(buf, static_cast<std::size_t>(n)), sink);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;  // drained; writers still hold the pipe
    // Otherwise the end: 0 from a pipe, EIO from a pseudo-terminal whose slave is closed.
    s.capture.finish(sink);
    s.fd.reset();
  }
}

void Supervisor::on_pidfd(std::size_t i) {
  Child& c = children_[i];
  if (c.state != Child::State::running) return;
  siginfo_t info{};
  if (::waitid(P_PID, static_cast<id_t>(c.pid), &info, WEXITED | WNOHANG) == 0 &&
      info.si_pid == c.pid) {
    on_exit(i, info, Clock::now());
  }
}

void Supervisor::on_exit(std::size_t i, const siginfo_t& info, Clock::time_point now) {
  Child& c = children_[i];
  ProcessOutcome& o = result_.processes[i];
  // What it wrote before exiting is in the pipes already; descendants may keep writing.
  read_stream(i, false, false);
  read_stream(i, true, false);
  c.state = Child::State::ended;
  c.pidfd.reset();
  c.kill_at.reset();
  if (c.seccomp && options_.live_output != nullptr) {
    // -v: what the seccomp backend did for it so far (descendants may still be answered).
    *options_.live_output << "[faultline] " << plans_[i].name
                          << ": seccomp backend: " << c.seccomp->notifications()
                          << " notifications answered, wake-up " << c.seccomp->wake_up() << '\n';
    options_.live_output->flush();
  }
  o.duration = now - c.started_at;
  o.ended_at = now;
  if (info.si_code == CLD_EXITED) {
    o.exited = true;
    o.exit_code = info.si_status;
  } else {
    o.term_signal = info.si_status;
  }
  if (!o.ready) {
    const LaunchPlan& plan = plans_[i];
    if (plan.ready.kind == Readiness::Kind::none && plan.lifetime == Lifetime::task) {
      o.ready = true;  // `after: [task]` means after the task finished
    } else if (plan.ready.kind == Readiness::Kind::file) {
      std::error_code ec;
      o.ready = std::filesystem::exists(c.ready_file, ec);
    }
    if (o.ready) o.ready_at = now;
  }
}

void Supervisor::reap_children(Clock::time_point now) {
  reap_exited_children([&](const siginfo_t& info) {
    for (std::size_t i = 0; i < children_.size(); ++i) {
      if (children_[i].state == Child::State::running && children_[i].pid == info.si_pid) {
        on_exit(i, info, now);
        return;
      }
    }
    // An orphan reparented to us (we are its subreaper) that exited on its own: reaped.
  });
}

void Supervisor::signal_at_once(const std::vector<std::pair<pid_t, int>>& groups) {
  const auto catchable = [](int sig) { return sig != SIGKILL && sig != SIGSTOP; };
  // Alone, or with nothing any of them could catch, the signals need no holding.
  const bool hold =
      groups.size() > 1 &&
      std::any_of(groups.begin(), groups.end(), [&](const auto& g) { return catchable(g.second); });
  // A pending SIGSTOP keeps a process from running any code of its own but the handlers of
  // signals it has pending too, so from the first SIGSTOP to the last SIGCONT none of them
  // can react to another's end before its own signal is pending. (systemd, too, follows a
  // stop signal with SIGCONT; the SIGSTOP shows only to a parent, a tracer or in /proc.)
  if (hold) {
    for (const auto& [pgid, sig] : groups)
      if (catchable(sig)) ::kill(-pgid, SIGSTOP);
  }
  for (const auto& [pgid, sig] : groups) ::kill(-pgid, sig);
  if (hold) {
    for (const auto& [pgid, sig] : groups)
      if (catchable(sig)) ::kill(-pgid, SIGCONT);
  }
}

void Supervisor::begin_stopping(Clock::time_point now) {
  phase_ = Phase::stopping;
  std::vector<std::pair<pid_t, int>> groups;
  for (std::size_t i = 0; i < plans_.size(); ++i) {
    Child& c = children_[i];
    if (c.state != Child::State::running) continue;
    groups.emplace_back(c.pid, plans_[i].stop_signal);
    result_.processes[i].stopped_by_runner = true;
    c.kill_at = now + plans_[i].grace;
  }
  signal_at_once(groups);
}

void Supervisor::interrupt(int sig, Clock::time_point now) {
  if (result_.interrupted_by == 0) result_.interrupted_by = sig;
  const bool again = phase_ == Phase::interrupted;
  if (phase_ != Phase::timed_out) phase_ = Phase::interrupted;
  std::vector<std::pair<pid_t, int>> groups;
  for (std::size_t i = 0; i < plans_.size(); ++i) {
    Child& c = children_[i];
    if (c.state == Child::State::waiting) {
      give_up(i, fmt::format("the runner was interrupted by {} first", signal_in_words(sig)));
    } else if (c.state == Child::State::running) {
      // A second signal means "now".
      Duration grace = again ? Duration::zero() : std::min(plans_[i].grace, kInterruptGrace);
      if (!again) groups.emplace_back(c.pid, plans_[i].stop_signal);
      Clock::time_point at = now + grace;
      c.kill_at = c.kill_at ? std::min(*c.kill_at, at) : at;
    }
  }
  signal_at_once(groups);
}

void Supervisor::time_out(Clock::time_point now) {
  phase_ = Phase::timed_out;
  result_.timed_out = true;
  for (std::size_t i = 0; i < plans_.size(); ++i) {
    if (children_[i].state != Child::State::waiting) continue;
    std::vector<std::string> pending;
    for (const auto& n : plans_[i].after) {
      if (!result_.processes[*index_of(n)].ready) pending.push_back(n);
    }
    give_up(i, fmt::format("the scenario timed out while it waited for {} to be ready",
                           fmt::join(pending, ", ")));
  }
  // Look first, kill after: the snapshots show where each process hangs.
  const auto all = list_processes();
  const Clock::time_point budget_end = now + kBacktraceBudget;
  auto gdb_limit = [&]() -> Duration {
    if (!options_.backtraces) return Duration::zero();
    return std::clamp(Duration(budget_end - Clock::now()), Duration::zero(), kBacktraceLimit);
  };
  std::vector<std::vector<ProcStat>> descendants(plans_.size());
  for (std::size_t i = 0; i < plans_.size(); ++i) {
    Child& c = children_[i];
    if (c.state != Child::State::running) continue;
    ProcessOutcome& o = result_.processes[i];
    o.at_timeout.push_back(snapshot_process(c.pid, gdb_limit()));
    descendants[i] = live_descendants(c.pid, all);
    for (const auto& d : descendants[i])
      o.at_timeout.push_back(snapshot_process(d.pid, gdb_limit()));
  }
  std::vector<std::pair<pid_t, int>> groups;
  for (std::size_t i = 0; i < plans_.size(); ++i) {
    Child& c = children_[i];
    if (c.state != Child::State::running) continue;
    if (const auto& sig = plans_[i].timeout_signal) {
      groups.emplace_back(c.pid, *sig);
      c.kill_at = Clock::now() + kTimeoutGrace;  // the snapshots above took their time
    } else {
      groups.emplace_back(c.pid, SIGKILL);
      c.kill_at.reset();
    }
    result_.processes[i].killed_at_timeout = true;
  }
  signal_at_once(groups);
  for (const auto& list : descendants)
    for (const auto& d : list) ::kill(d.pid, SIGKILL);
}

void Supervisor::enforce_kill_deadlines(Clock::time_point now) {
  for (std::size_t i = 0; i < plans_.size(); ++i) {
    Child& c = children_[i];
    if (c.state != Child::State::running || !c.kill_at || *c.kill_at > now) continue;
    ::kill(-c.pid, SIGKILL);
    if (!result_.processes[i].killed_at_timeout) result_.processes[i].killed_after_grace = true;
    c.kill_at.reset();
  }
}

std::optional<Clock::time_point> Supervisor::next_deadline(Clock::time_point now) const {
  std::optional<Clock::time_point> next;
  auto consider = [&](Clock::time_point t) { next = next ? std::min(*next, t) : t; };
  if (options_.pauses) consider(now + kPausePoll);
  if (pause_) return next;  // no timeout, grace or readiness deadline runs while paused
  if (phase_ != Phase::timed_out) consider(timeout_at_);
  for (std::size_t i = 0; i < plans_.size(); ++i) {
    const Child& c = children_[i];
    if (c.state != Child::State::running) continue;
    if (c.kill_at) consider(*c.kill_at);
    if (result_.processes[i].ready) continue;
    switch (plans_[i].ready.kind) {
      case Readiness::Kind::delay:
        consider(c.started_at + plans_[i].ready.delay);
        break;
      case Readiness::Kind::listening:
        consider(now + kProbeInterval);
        break;
      case Readiness::Kind::file:
        if (!c.ready_file_watched) consider(now + kProbeInterval);
        break;
      default:
        break;
    }
  }
  return next;
}

SupervisionResult Supervisor::run() {
  SubreaperScope subreaper;
  BlockSigchld block_sigchld;
  sigchld_fd_ = make_signalfd({SIGCHLD});
  interrupt_fd_ = make_signalfd({SIGINT, SIGTERM});
  inotify_fd_ = UniqueFd(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
  if (options_.pauses) {
    resume_signal_fd_ = make_signalfd({SIGUSR1});
    resume_input_open_ = options_.resume_input >= 0;
  }
  try {
    loop();
  } catch (...) {
    // Whatever failed in the runner, no process it started may survive it.
    std::vector<pid_t> groups;
    for (const auto& c : children_) {
      if (c.pid > 0) groups.push_back(c.pid);
    }
    (void)kill_and_reap_all_descendants(groups);
    drain_signalfd(sigchld_fd_.get());
    throw;
  }
  finish();
  // Time spent waiting for processes to be ready before the ones `after` them could start.
  if (last_start_ > began_)
    result_.readiness_time =
        std::max(Duration{0}, std::chrono::duration_cast<Duration>(last_start_ - began_) -
                                  spawn_before_last_start_);
  return std::move(result_);
}

void Supervisor::loop() {
  const Clock::time_point begin = Clock::now();
  began_ = begin;
  timeout_at_ = begin + options_.timeout;
  advance(begin);
  while (!all_ended()) {
    // What to wait for: [0] SIGCHLD, [1] SIGINT/SIGTERM, [2] inotify, then per child.
    struct Source {
      std::size_t child;
      int kind;  // 0 pidfd, 1 stdout, 2 stderr
    };
    std::vector<pollfd> fds{{sigchld_fd_.get(), POLLIN, 0},
                            {interrupt_fd_.get(), POLLIN, 0},
                            {inotify_fd_.get(), POLLIN, 0}};
    std::vector<Source> sources;
    for (std::size_t i = 0; i < children_.size(); ++i) {
      Child& c = children_[i];
      if (c.pidfd) {
        fds.push_back({c.pidfd.get(), POLLIN, 0});
        sources.push_back({i, 0});
      }
      if (c.out.fd) {
        fds.push_back({c.out.fd.get(), POLLIN, 0});
        sources.push_back({i, 1});
      }
      if (c.err.fd) {
        fds.push_back({c.err.fd.get(), POLLIN, 0});
        sources.push_back({i, 2});
      }
    }
    // --pause-on-fault: SIGUSR1 always, the resume input while paused; after the sources.
    const std::size_t resume_at = fds.size();
    if (resume_signal_fd_) fds.push_back({resume_signal_fd_.get(), POLLIN, 0});
    const std::size_t input_at = fds.size();
    if (pause_ && resume_input_open_) fds.push_back({options_.resume_input, POLLIN, 0});
    Clock::time_point now = Clock::now();
    auto deadline = next_deadline(now);
    timespec wait{};
    if (deadline) {
      auto left = std::max(Duration::zero(), Duration(*deadline - now));
      wait.tv_sec = std::chrono::duration_cast<seconds>(left).count();
      wait.tv_nsec = (left - seconds(wait.tv_sec)).count();
    }
    int n = ::ppoll(fds.data(), fds.size(), deadline ? &wait : nullptr, nullptr);
    if (n < 0 && errno != EINTR) break;  // cannot happen with valid fds; never hang on it
    now = Clock::now();

    if (n > 0) {
      // Output first, so that readiness and exits see everything written before them.
      for (std::size_t k = 0; k < sources.size(); ++k) {
        if (sources[k].kind != 0 && fds[k + 3].revents != 0) {
          read_stream(sources[k].child, sources[k].kind == 2, false);
        }
      }
      for (std::size_t k = 0; k < sources.size(); ++k) {
        if (sources[k].kind == 0 && fds[k + 3].revents != 0) on_pidfd(sources[k].child);
      }
      if (fds[0].revents != 0) {
        drain_signalfd(sigchld_fd_.get());
        reap_children(now);
      }
      if (fds[2].revents != 0) {
        char events[4096];
        while (::read(inotify_fd_.get(), events, sizeof events) > 0) {
        }
      }
      if (resume_signal_fd_ && fds[resume_at].revents != 0 &&
          drain_signalfd(resume_signal_fd_.get()) != 0 && pause_)
        resume(now, "on SIGUSR1");
      if (input_at < fds.size() && fds[input_at].revents != 0) read_resume_input(now);
      if (fds[1].revents != 0) {
        if (int sig = drain_signalfd(interrupt_fd_.get())) {
          // Stopped processes would not see their stop signal: continue them first.
          if (pause_) resume(now, fmt::format("to end them on {}", signal_in_words(sig)));
          interrupt(sig, now);
        }
      }
    }
    if (options_.pauses) poll_pauses(now);
    if (pause_) continue;  // the timeout, the grace timers and the starts wait
    if (phase_ != Phase::timed_out && now >= timeout_at_) time_out(now);
    enforce_kill_deadlines(now);
    advance(now);
  }
  if (pause_) resume(Clock::now(), "as every process has ended");
}

void Supervisor::poll_pauses(Clock::time_point now) {
  auto stopped = options_.pauses->take_stopped();
  if (stopped.empty()) return;
  std::ostream& out = options_.pause_output ? *options_.pause_output : std::cerr;
  // After the timeout or an interrupt the run is ending: nothing to debug, let them go.
  if (phase_ == Phase::timed_out || phase_ == Phase::interrupted) {
    options_.pauses->release_all();
    for (const auto& s : stopped) ::kill(s.pid, SIGCONT);
    return;
  }
  const bool first = !pause_;
  if (first) pause(now);
  for (const auto& s : stopped) {
    pause_->pids.push_back(s.pid);
    out << fmt::format("faultline: paused{}: {}\n  debug:  gdb -p {}\n", first ? "" : " also",
                       s.description, s.pid);
  }
  if (first) {
    const auto left = std::max(Duration::zero(), Duration(timeout_at_ - now));
    // `faultline exec` without --timeout runs under a timeout of a century: no figure to show.
    const bool has_timeout = options_.timeout < std::chrono::hours(24 * 365);
    out << fmt::format(
        "  every process of the scenario is stopped{}\n  resume: {}kill -USR1 {} (quit or "
        "detach gdb first)\n",
        has_timeout ? fmt::format("; the timeout waits ({:.1f}s of {:.1f}s left)",
                                  std::chrono::duration<double>(left).count(),
                                  std::chrono::duration<double>(options_.timeout).count())
                    : std::string(),
        resume_input_open_ ? "press Enter here, or " : "", ::getpid());
  }
  out.flush();
}

// Stops every process of the run where it is: their own timers must not run out while the
// user looks at the one at the fault.
void Supervisor::pause(Clock::time_point now) {
  Pause p;
  p.since = now;
  const auto all = list_processes();
  std::vector<pid_t> stopping;
  for (const Child& c : children_) {
    if (c.state != Child::State::running) continue;
    ::kill(-c.pid, SIGSTOP);
    p.groups.push_back(c.pid);
    stopping.push_back(c.pid);
    for (const auto& d : live_descendants(c.pid, all)) {
      stopping.push_back(d.pid);
      if (d.pgid == c.pid) continue;
      ::kill(d.pid, SIGSTOP);
      p.pids.push_back(d.pid);
    }
  }
  // A process stops when it next runs, maybe on the other core a moment later: the report
  // says "every process of the scenario is stopped" once /proc says so (or the process is
  // gone), a second at most. (A debugger attached right away found one still running.)
  const auto until = Clock::now() + std::chrono::seconds(1);
  for (;;) {
    std::erase_if(stopping, [](pid_t pid) {
      const auto st = read_proc_stat(pid);
      return !st || st->state == 'T' || st->state == 't' || st->state == 'Z' || st->state == 'X';
    });
    if (stopping.empty() || Clock::now() >= until) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  pause_ = std::move(p);
  ++result_.pauses;
  // Lines typed before this pause are not meant for it.
  pollfd input{options_.resume_input, POLLIN, 0};
  while (resume_input_open_ && ::poll(&input, 1, 0) > 0) {
    char buf[256];
    ssize_t n = ::read(options_.resume_input, buf, sizeof buf);
    if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) resume_input_open_ = false;
  }
}

void Supervisor::resume(Clock::time_point now, std::string_view why) {
  if (!pause_) return;
  options_.pauses->release_all();
  for (pid_t g : pause_->groups) ::kill(-g, SIGCONT);
  for (pid_t pid : pause_->pids) ::kill(pid, SIGCONT);
  // The clocks go on from where they were.
  const Duration paused = now - pause_->since;
  timeout_at_ += paused;
  for (Child& c : children_) {
    if (c.kill_at) *c.kill_at += paused;
  }
  result_.paused_time += paused;
  pause_.reset();
  std::ostream& out = options_.pause_output ? *options_.pause_output : std::cerr;
  out << fmt::format("faultline: resumed {} after {:.1f}s paused\n", why,
                     std::chrono::duration<double>(paused).count());
  out.flush();
}

// A line on the resume input resumes; its end (a closed pipe, /dev/null) only stops watching it.
void Supervisor::read_resume_input(Clock::time_point now) {
  char buf[256];
  ssize_t n = ::read(options_.resume_input, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (n <= 0) {
    resume_input_open_ = false;
    return;
  }
  if (std::memchr(buf, '\n', static_cast<std::size_t>(n)) != nullptr) resume(now, "on Enter");
}

void Supervisor::finish() {
  std::vector<pid_t> groups;
  for (const auto& c : children_) {
    if (c.pid > 0) groups.push_back(c.pid);
  }
  const Clock::time_point reap_begin = Clock::now();
  result_.reaped_orphans = kill_and_reap_all_descendants(groups);
  result_.reap_time = Clock::now() - reap_begin;
  // Every writer is dead now: what is left in the pipes is the end of the output.
  for (std::size_t i = 0; i < children_.size(); ++i) {
    read_stream(i, false, true);
    read_stream(i, true, true);
    // A writer outside our tree (passed the pipe on) would keep it open: take what is there.
    auto sink = [&](std::string_view line) { emit_line(i, false, line); };
    children_[i].out.capture.finish(sink);
    auto err_sink = [&](std::string_view line) { emit_line(i, true, line); };
    children_[i].err.capture.finish(err_sink);
    result_.processes[i].stdout_text = children_[i].out.capture.take_text();
    result_.processes[i].stderr_text = children_[i].err.capture.take_text();
    plans_[i].fds.clear();
  }
  // SIGCHLDs of the final reaping must not reach the caller once the mask is restored.
  drain_signalfd(sigchld_fd_.get());
}

}  // namespace

SupervisionResult supervise(std::vector<LaunchPlan> plans, const SupervisorOptions& options) {
  Supervisor supervisor(std::move(plans), options);
  return supervisor.run();
}

}  // namespace faultline
