// Supervisor: starts the processes of a run in `after` order, watches readiness, captures
// output, stops services when the tasks are done, enforces the scenario timeout, and reaps
// everything, grandchildren included (the runner is a child subreaper).
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "faultline/duration.h"
#include "faultline/run_result.h"  // ProcessSnapshot
#include "faultline/scenario.h"
#include "processes/capture_stream.h"
#include "processes/pause_source.h"
#include "util/unique_fd.h"

struct fl_control;

namespace faultline {

namespace seccomp {
class FilterProgram;
class NotifySupervisor;
}  // namespace seccomp

// The seccomp backend of one process (docs/seccomp.md): the filter its child installs before
// exec, and the control block the runner's notification thread decides with.
struct SeccompPlan {
  std::shared_ptr<const seccomp::FilterProgram> filter;
  fl_control* control = nullptr;
  bool skip_interposed = false;  // backend both: calls of processes the interposer is in pass
};

// Everything needed to start one process; built by the runner from a ProcessSpec.
struct LaunchPlan {
  std::string name;
  std::vector<std::string> argv;  // argv[0] already resolved to an executable path
  std::vector<std::string> env;   // the complete environment, "KEY=VALUE"
  std::string cwd;
  // target fd in the child -> runner-side fd. The supervisor drops its reference once the
  // process started (or can no longer start); the last owner closes the fd.
  std::map<int, std::shared_ptr<UniqueFd>> fds;
  // Where fd 1 and fd 2 go unless `fds` wires them: made by the runner, which tells the
  // interposer about them (unset: a capture pipe made at spawn). One stream for both when
  // they share a pseudo-terminal (stdio: pty); it is then read as stdout.
  std::shared_ptr<CaptureStream> stdout_capture;
  std::shared_ptr<CaptureStream> stderr_capture;
  std::vector<std::string> after;  // names that must be ready before this one starts
  Readiness ready;                 // kind none: a service is ready once started, a task once exited
  std::function<bool()> listening_probe;  // for Readiness::Kind::listening
  Lifetime lifetime = Lifetime::task;
  int stop_signal = 15;
  Duration grace = std::chrono::seconds(2);
  // At the scenario's timeout: this signal first and SIGKILL kTimeoutGrace later (a peer
  // leaves its summary on SIGTERM); unset: SIGKILL at once.
  std::optional<int> timeout_signal;
  std::optional<SeccompPlan> seccomp;  // unset: LD_PRELOAD only
  // The run's cgroup.procs (borrowed, -1 = none): the child joins the group before exec, so
  // that `faultline gc` can end all it started should the runner die.
  int cgroup_procs = -1;
  int cgroup_dir = -1;  // the same group's folder (borrowed, -1 = none): see ProgramSpec
};

struct ProcessOutcome {
  std::string name;
  pid_t pid = 0;
  bool started = false;
  std::string not_started_reason;  // e.g. "spawn failed: ..." or "server exited before ready"
  bool ready = false;
  bool exited = false;  // exit_code valid
  int exit_code = 0;
  int term_signal = 0;              // killed by this signal (0: exited normally)
  bool stopped_by_runner = false;   // a service that got its stop signal after the tasks ended
  bool killed_after_grace = false;  // ... and had to be killed with SIGKILL
  bool killed_at_timeout = false;
  Duration duration{0};  // from start to exit
  // When it was started, became ready, and exited or was given up (steady clock; the epoch
  // when it never did): orders failures in time and draws the timeline.
  std::chrono::steady_clock::time_point started_at{};
  std::chrono::steady_clock::time_point ready_at{};
  std::chrono::steady_clock::time_point ended_at{};
  std::string stdout_text;
  std::string stderr_text;
  std::vector<ProcessSnapshot> at_timeout;  // the process and its live descendants
};

struct SupervisorOptions {
  Duration timeout = std::chrono::seconds(30);
  std::ostream* live_output = nullptr;  // -v: each output line, prefixed "[name] "
  bool backtraces = true;               // use gdb for snapshots when installed
  // Called with each process started (its pid is its process group), before anything else
  // happens to it: the runner records it for `faultline gc`.
  std::function<void(pid_t)> on_started;
  // --pause-on-fault (nullptr: none), polled every few ms. A process stopped at a fault pauses
  // the run: the scenario's timeout and the grace timers stand still, the other processes are
  // stopped too (SIGSTOP), and the pause is announced on `pause_output` with the ways to resume:
  // a line on `resume_input` (-1: none; at its end it is no longer watched) or SIGUSR1 to the
  // runner, which the caller must have blocked in every thread. All continue together.
  PauseSource* pauses = nullptr;
  std::ostream* pause_output = nullptr;
  int resume_input = -1;
};

struct SupervisionResult {
  std::vector<ProcessOutcome> processes;  // same order as the plans
  bool timed_out = false;
  int interrupted_by = 0;                   // SIGINT/SIGTERM received by the runner, 0 when not
  std::vector<std::string> reaped_orphans;  // "pid comm" of descendants killed at the end
  Duration spawn_time{0};                   // spent in spawn_process, all processes together
  Duration reap_time{0};                    // spent ending and reaping descendants at the end
  // From the start of supervision to the start of the last process, spawning left out: the
  // wait for processes to be ready (or, as a task, to end) before those `after` them.
  Duration readiness_time{0};
  int pauses = 0;                           // --pause-on-fault: times the run was paused
  Duration paused_time{0};                  // ... and how long, all pauses together
};

// Runs the plans to completion. SIGINT and SIGTERM must be blocked in the calling thread
// (the CLI does it first thing): the supervisor reads them through a signalfd and then
// stops everything and returns with interrupted_by set. Never leaves a process behind.
[[nodiscard]] SupervisionResult supervise(std::vector<LaunchPlan> plans,
                                          const SupervisorOptions& options);

}  // namespace faultline
