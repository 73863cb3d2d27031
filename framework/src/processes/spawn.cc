// The runner's spawn: a LaunchPlan turned into a ProgramSpec for spawn_program (see
// spawn_program.cc for why clone rather than fork or posix_spawn); see spawn.h.
#include "processes/spawn.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <system_error>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "processes/capture_stream.h"
#include "processes/spawn_program.h"
#include "seccomp/filter.h"
#include "seccomp/handoff.h"
#include "seccomp/notify_supervisor.h"

namespace faultline {
namespace {

std::string errno_text(int err) { return std::error_code(err, std::system_category()).message(); }

// The seccomp backend's last step before exec: from here on the filter's syscalls wait for
// the runner, to which the child has sent the listener when this returns.
class InstallFilter final : public BeforeExec {
 public:
  explicit InstallFilter(seccomp::Handoff& handoff) : handoff_(handoff) {}
  [[nodiscard]] int run() noexcept override { return handoff_.install_in_child(); }

 private:
  seccomp::Handoff& handoff_;
};

}  // namespace

SpawnResult spawn_process(const LaunchPlan& plan) {
  SpawnResult result;
  if (plan.argv.empty()) {
    result.error = "nothing to run: the process has an empty command";
    return result;
  }
  const std::string& program = plan.argv[0];
  if (!plan.cwd.empty()) {
    std::error_code ec;
    if (!std::filesystem::is_directory(plan.cwd, ec)) {
      result.error = fmt::format("cannot change to the folder {}: {}", plan.cwd,
                                 ec ? ec.message() : errno_text(ENOTDIR));
      return result;
    }
  }

  UniqueFd devnull(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!devnull) {
    result.error = "cannot open /dev/null: " + errno_text(errno);
    return result;
  }
  SpawnedProcess child;
  std::vector<std::pair<int, int>> wiring;
  for (const auto& [target, source] : plan.fds) {
    if (!source || !source->valid()) {
      result.error = fmt::format("fd {} is wired to a closed descriptor", target);
      return result;
    }
    wiring.emplace_back(target, source->get());
  }
  // fd 0 defaults to /dev/null; fd 1 and 2 to their capture streams (docs/how-it-works.md,
  // "The standard fds of a process").
  if (plan.fds.count(0) == 0) wiring.emplace_back(0, devnull.get());
  std::shared_ptr<CaptureStream> captures[2] = {plan.stdout_capture, plan.stderr_capture};
  UniqueFd* readers[2] = {&child.stdout_read, &child.stderr_read};
  for (int target = 1; target <= 2; ++target) {
    if (plan.fds.count(target) != 0) continue;
    std::shared_ptr<CaptureStream>& capture = captures[target - 1];
    try {
      if (!capture) capture = std::make_shared<CaptureStream>(open_capture_pipe());
    } catch (const std::system_error& e) {
      result.error = e.what();
      return result;
    }
    wiring.emplace_back(target, capture->writer.get());
    // A pseudo-terminal shared by both is read once, as stdout.
    if (capture->reader) *readers[target - 1] = std::move(capture->reader);
  }

  // The notification thread starts before the clone: it receives the child's listener, sent
  // right before exec, and answers the calls the program makes from exec on.
  std::shared_ptr<seccomp::Handoff> handoff;
  std::shared_ptr<seccomp::NotifySupervisor> notify;
  int handoff_fd = -1;
  if (plan.seccomp) {
    try {
      const seccomp::FilterProgram& filter = *plan.seccomp->filter;
      handoff = std::make_shared<seccomp::Handoff>(filter.prog(), filter.notifies(SYS_sendmsg));
      int highest_target = 0;
      for (const auto& [target, source] : wiring) highest_target = std::max(highest_target, target);
      handoff_fd = handoff->child_end_above(highest_target);
      notify = std::make_shared<seccomp::NotifySupervisor>(plan.seccomp->control, plan.name,
                                                           handoff, plan.seccomp->skip_interposed);
    } catch (const std::exception& e) {
      result.error = fmt::format("cannot start the seccomp supervisor: {}", e.what());
      return result;
    }
  }
  std::optional<InstallFilter> install_filter;
  if (plan.seccomp) install_filter.emplace(*handoff);
  ProgramSpec spec;
  spec.argv = plan.argv;
  spec.env = plan.env;
  spec.fds = std::move(wiring);
  spec.close_other_fds = true;
  spec.cwd = plan.cwd;
  // Own process group: the runner signals and kills the whole group.
  spec.own_process_group = true;
  // The runner blocks SIGINT/SIGTERM/SIGCHLD and may ignore others.
  spec.default_signals = true;
  // The run's cgroup, when there is one.
  spec.cgroup_procs = plan.cgroup_procs;
  spec.cgroup_dir = plan.cgroup_dir;
  spec.before_exec = install_filter ? &*install_filter : nullptr;
  spec.keep_fd = handoff_fd;
  StartOutcome started = spawn_program(spec);
  if (handoff) handoff->spawned();
  if (!started.child) {
    // Why the filter could not be installed, when that is what stopped the child.
    std::string why;
    if (notify) {
      notify->stop();
      why = notify->error();
      notify.reset();
    }
    result.error = why.empty()
                       ? fmt::format("cannot execute {}: {}", program, errno_text(started.error))
                       : fmt::format("cannot run {} under the seccomp backend: {}", program, why);
    return result;
  }
  child.pid = started.child->pid;
  child.pidfd = std::move(started.child->pidfd);
  child.seccomp = std::move(notify);
  result.process = std::move(child);
  return result;
}

}  // namespace faultline
