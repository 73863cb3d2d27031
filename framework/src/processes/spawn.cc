// Spawning through Boost.Process v2's posix default_launcher; see spawn.h.
#include "processes/spawn.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
// Boost 1.81's process/v2/detail/config.hpp names boost::optional without including it
// when BOOST_PROCESS_USE_STD_FS is set. Process v2 is header-only by default in 1.81
// (BOOST_PROCESS_V2_HEADER_ONLY), so no src.hpp is compiled.
#include <boost/optional.hpp>
#include <boost/process/v2/posix/default_launcher.hpp>
#include <boost/process/v2/process.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "processes/capture_stream.h"
#include "seccomp/filter.h"
#include "seccomp/handoff.h"
#include "seccomp/notify_supervisor.h"

namespace faultline {
namespace {

namespace bp = boost::process::v2;

std::string errno_text(int err) { return std::error_code(err, std::system_category()).message(); }

// Runs in the forked child, before exec: only async-signal-safe calls, no allocation.
// Everything it needs was prepared in the parent.
class ChildSetup final {
 public:
  // (target fd, source fd): the source stays owned by the parent.
  ChildSetup(std::vector<std::pair<int, int>> wiring, const char* cwd, int cgroup_procs,
             seccomp::Handoff* handoff = nullptr, const sock_fprog* filter = nullptr)
      : wiring_(std::move(wiring)),
        scratch_(wiring_.size(), -1),
        cwd_(cwd),
        cgroup_procs_(cgroup_procs),
        handoff_(handoff),
        filter_(filter) {
    for (const auto& [target, source] : wiring_) high_base_ = std::max(high_base_, target + 1);
  }

  // Parent side, before fork: the fds that survive exec (Boost adds its exec-error pipe).
  template <typename Launcher>
  boost::system::error_code on_setup(Launcher& launcher, const std::filesystem::path&,
                                     const char* const*&) {
    launcher.fd_whitelist.clear();
    for (const auto& [target, source] : wiring_) launcher.fd_whitelist.push_back(target);
    return {};
  }

  template <typename Launcher>
  boost::system::error_code on_exec_setup(Launcher& launcher, const std::filesystem::path&,
                                          const char* const*&) {
    // Own process group: the runner signals and kills the whole group.
    if (::setpgid(0, 0) != 0) return last_error();
    // The run's cgroup, when there is one: "0" moves the writer. A failure leaves the process
    // group record (and FAULTLINE_RUN_DIR) to `faultline gc`, so it is not fatal.
    if (cgroup_procs_ >= 0) (void)!::write(cgroup_procs_, "0", 1);
    // The runner blocks SIGINT/SIGTERM/SIGCHLD and may ignore others: exec keeps both the
    // mask and ignored dispositions, so the program would inherit them.
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; ++sig) {
      if (sig != SIGKILL && sig != SIGSTOP) ::sigaction(sig, &dfl, nullptr);
    }
    sigset_t empty;
    sigemptyset(&empty);
    ::sigprocmask(SIG_SETMASK, &empty, nullptr);
    // Two steps, so that a source whose number is another wiring's target is not clobbered:
    // first every source to a free number above all targets, then onto the targets.
    for (std::size_t i = 0; i < wiring_.size(); ++i) {
      scratch_[i] = ::fcntl(wiring_[i].second, F_DUPFD_CLOEXEC, high_base_);
      if (scratch_[i] < 0) return last_error();
    }
    for (std::size_t i = 0; i < wiring_.size(); ++i) {
      if (::dup2(scratch_[i], wiring_[i].first) < 0) return last_error();
    }
    if (cwd_ != nullptr && ::chdir(cwd_) != 0) return last_error();
    // Boost 1.81's close_all() never closes the gaps between whitelisted fds, so close them
    // here; the whitelist holds the targets and Boost's close-on-exec error pipe.
    auto& keep = launcher.fd_whitelist;
    std::sort(keep.begin(), keep.end());
    unsigned next = 0;
    for (int fd : keep) {
      if (static_cast<unsigned>(fd) > next) ::close_range(next, fd - 1, 0);
      next = std::max(next, static_cast<unsigned>(fd) + 1);
    }
    ::close_range(next, ~0U, 0);
    // Last, so that none of the calls above is notified: from here on the filter's syscalls
    // wait for the runner, which already holds the listener when this returns.
    if (handoff_ != nullptr) {
      if (int e = handoff_->install_in_child(*filter_); e != 0)
        return {e, boost::system::system_category()};
    }
    return {};
  }

  // Boost calls exit() after a failed exec, which would run the runner's atexit handlers
  // and flush its stdio buffers a second time in the child. (Variadic: Boost 1.81 detects
  // this hook with a different signature than it calls.)
  template <typename... Args>
  void on_exec_error(Args&&...) {
    ::_exit(127);
  }

 private:
  static boost::system::error_code last_error() {
    return {errno, boost::system::system_category()};
  }

  std::vector<std::pair<int, int>> wiring_;
  std::vector<int> scratch_;
  const char* cwd_;
  int cgroup_procs_;
  seccomp::Handoff* handoff_;
  const sock_fprog* filter_;
  int high_base_ = 3;
};

// Occupies the free target fd numbers while Boost creates its exec-error pipe, so that the
// pipe cannot land on a number the child needs (the child would overwrite it and Boost
// would report a failed exec as a success).
class TargetPlaceholders final {
 public:
  TargetPlaceholders(const std::vector<std::pair<int, int>>& wiring, int devnull) {
    for (const auto& [target, source] : wiring) {
      if (::fcntl(target, F_GETFD) < 0 && errno == EBADF &&
          ::dup3(devnull, target, O_CLOEXEC) == target) {
        held_.emplace_back(target);
      }
    }
  }
  TargetPlaceholders(const TargetPlaceholders&) = delete;
  TargetPlaceholders& operator=(const TargetPlaceholders&) = delete;

 private:
  std::vector<UniqueFd> held_;
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

  std::vector<std::string> args(plan.argv.begin() + 1, plan.argv.end());
  std::vector<const char*> envp;
  envp.reserve(plan.env.size() + 1);
  for (const auto& e : plan.env) envp.push_back(e.c_str());
  envp.push_back(nullptr);

  boost::asio::io_context context;
  bp::posix::default_launcher launcher;
  launcher.env = envp.data();
  // The notification thread starts before the fork: it takes the child's listener while the
  // child waits between installing its filter and exec.
  std::shared_ptr<seccomp::Handoff> handoff;
  std::shared_ptr<seccomp::NotifySupervisor> notify;
  if (plan.seccomp) {
    try {
      handoff = std::make_shared<seccomp::Handoff>();
      notify = std::make_shared<seccomp::NotifySupervisor>(plan.seccomp->control, plan.name,
                                                           handoff, plan.seccomp->skip_interposed);
    } catch (const std::exception& e) {
      result.error = fmt::format("cannot start the seccomp supervisor: {}", e.what());
      return result;
    }
  }
  ChildSetup setup(wiring, plan.cwd.empty() ? nullptr : plan.cwd.c_str(), plan.cgroup_procs,
                   handoff.get(), plan.seccomp ? &plan.seccomp->filter->prog() : nullptr);
  boost::system::error_code ec;
  pid_t pid = -1;
  {
    TargetPlaceholders placeholders(wiring, devnull.get());
    auto process =
        launcher(context.get_executor(), ec, std::filesystem::path(program), args, setup);
    if (!ec) {
      pid = process.id();
      // From here on the pid is ours to wait for (the runner also reaps orphans with
      // waitid(P_ALL)); a detached handle never waits or kills.
      auto handle = process.detach();
    }
  }
  if (ec) {
    // Why the filter could not be installed, when that is what stopped the child.
    std::string why;
    if (notify) {
      notify->stop();
      why = notify->error();
      notify.reset();
    }
    // The child wrote errno to Boost's pipe and is exiting; Boost does not wait for it.
    if (launcher.pid > 0) {
      while (::waitpid(launcher.pid, nullptr, 0) < 0 && errno == EINTR) {
      }
    }
    result.error = why.empty()
                       ? fmt::format("cannot execute {}: {}", program, ec.message())
                       : fmt::format("cannot run {} under the seccomp backend: {}", program, why);
    return result;
  }
  child.pid = pid;
  child.pidfd = UniqueFd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  if (!child.pidfd) {
    // Without a pidfd the supervisor would not see the exit; never leave it running.
    int e = errno;
    ::kill(-pid, SIGKILL);
    while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    result.error = "pidfd_open failed (Linux 5.3 or newer is required): " + errno_text(e);
    return result;
  }
  child.seccomp = std::move(notify);
  result.process = std::move(child);
  return result;
}

}  // namespace faultline
