// The one way faultline starts a program: clone(CLONE_VM | CLONE_VFORK | CLONE_PIDFD) and
// execve, with the child's fds, environment, folder, process group and signal state chosen by
// the caller. The runner's spawn_process, the snapshot's gdb and the tests' helpers use it.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "util/unique_fd.h"

namespace faultline {

// A last step in the child, right before execve (the seccomp backend installs its filter
// there). It runs in the parent's memory while the parent waits: system calls only, no
// allocation, no lock, no exception.
class BeforeExec {
 public:
  // 0, or the errno that stops the child from running.
  [[nodiscard]] virtual int run() noexcept = 0;

 protected:
  ~BeforeExec() = default;
};

struct ProgramSpec {
  // argv[0] is the program: a path, or with search_path a bare name looked up on $PATH
  // (like execvp; PATH unset: /bin:/usr/bin).
  std::vector<std::string> argv;
  bool search_path = false;
  // The complete environment, "KEY=VALUE"; unset: this process's environment (environ).
  std::optional<std::vector<std::string>> env;
  // (fd in the child, fd here): the child's fd becomes a copy of ours, which stays ours. Any
  // fd may be a source, also one that is another pair's target.
  std::vector<std::pair<int, int>> fds;
  // Without it, the child keeps every other fd of ours that is not close-on-exec, as
  // posix_spawn does; with it, only the fds above survive exec.
  bool close_other_fds = false;
  std::string cwd;  // "" = ours
  // setpgid(0, 0): a group of its own, which can be signalled (and killed) as one.
  bool own_process_group = false;
  // Every disposition back to SIG_DFL and an empty signal mask (posix_spawn's SETSIGDEF over
  // all signals and SETSIGMASK). Without it, the child keeps our mask and ignored signals;
  // caught ones are reset, as exec would.
  bool default_signals = false;
  // A cgroup.procs open for writing (borrowed, -1 = none): the child joins that cgroup right
  // after its process group; a failure to join is not fatal.
  int cgroup_procs = -1;
  // The same cgroup's folder (borrowed, -1 = none): where the kernel allows it, the child is
  // created in the group (clone3 CLONE_INTO_CGROUP) and cgroup.procs is not written. Moving a
  // process between cgroups waits for an RCU grace period, 3-15 ms of every spawn here.
  int cgroup_dir = -1;
  BeforeExec* before_exec = nullptr;  // borrowed; runs last
  // A close-on-exec fd of ours (borrowed, -1 = none) numbered above every target of `fds`:
  // the child keeps it through close_other_fds for before_exec's use, and exec closes it
  // (the seccomp hand-off's socket).
  int keep_fd = -1;
};

struct StartedProgram {
  pid_t pid = -1;  // with own_process_group, also its process group id
  UniqueFd pidfd;  // made with the child, so it never names a recycled pid
};

struct StartOutcome {
  std::optional<StartedProgram> child;  // empty when it did not start
  int error = 0;                        // then: the errno of the step that failed
  std::string message;                  // and "cannot execute PROGRAM: REASON"
};

// Never throws for a program that cannot run: the reason is in the outcome. The caller owns
// the child from then on and reaps it (wait_for_exit).
[[nodiscard]] StartOutcome spawn_program(const ProgramSpec& spec);

// Waits for the child to end (retrying on EINTR) and returns its wait status, or -1 when it is
// not our child.
[[nodiscard]] int wait_for_exit(pid_t pid);

}  // namespace faultline
