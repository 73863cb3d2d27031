// Spawning with clone(CLONE_VM | CLONE_VFORK | CLONE_PIDFD), the way posix_spawn does; see
// spawn.h. Not fork (Boost.Process's default_launcher did that): fork copies the runner's page
// tables, and every page the runner or the child then writes before exec is copied on a fault;
// that was most of the runner's own CPU per run (docs/performance.md, "A scenario run's fixed
// cost"). Boost 1.81's vfork_launcher allocates and rebuilds Asio services in the child, which
// shares our memory, and posix_spawn has no hook for the cgroup and the seccomp handoff.
#include "processes/spawn.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
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

std::string errno_text(int err) { return std::error_code(err, std::system_category()).message(); }

// What the child does between clone and exec. It runs in the parent's memory, on a stack of
// its own, while the parent waits: everything is prepared here beforehand, and the child only
// makes system calls, reads this object and writes `error`. No allocation, no lock, no return.
class ChildSetup final {
 public:
  // wiring: (target fd, source fd); the source stays owned by the parent.
  ChildSetup(const std::string& program, std::vector<const char*> argv,
             std::vector<const char*> envp, std::vector<std::pair<int, int>> wiring,
             const char* cwd, int cgroup_procs, seccomp::Handoff* handoff, const sock_fprog* filter)
      : program_(program.c_str()),
        argv_(std::move(argv)),
        envp_(std::move(envp)),
        wiring_(std::move(wiring)),
        scratch_(wiring_.size(), -1),
        cwd_(cwd),
        cgroup_procs_(cgroup_procs),
        handoff_(handoff),
        filter_(filter) {
    for (const auto& [target, source] : wiring_) {
      high_base_ = std::max(high_base_, target + 1);
      keep_.push_back(target);
    }
    std::sort(keep_.begin(), keep_.end());
  }

  // clone()'s entry point: never returns.
  static int child_main(void* self) {
    auto* setup = static_cast<ChildSetup*>(self);
    setup->error_ = setup->exec();
    ::_exit(127);
  }

  // Why the child did not exec (an errno), 0 when it did; read once clone() has returned.
  [[nodiscard]] int error() const { return error_; }

 private:
  // Returns only when something failed, with the errno of that step.
  int exec() noexcept {
    // Own process group: the runner signals and kills the whole group.
    if (::setpgid(0, 0) != 0) return errno;
    // The run's cgroup, when there is one: "0" moves the writer. A failure leaves the process
    // group record (and FAULTLINE_RUN_DIR) to `faultline gc`, so it is not fatal.
    if (cgroup_procs_ >= 0) (void)!::write(cgroup_procs_, "0", 1);
    // The runner blocks SIGINT/SIGTERM/SIGCHLD and may ignore others: exec keeps both the
    // mask and ignored dispositions, so the program would inherit them. (Every signal is
    // blocked until here: no handler of the runner may run in its memory.)
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
      if (scratch_[i] < 0) return errno;
    }
    for (std::size_t i = 0; i < wiring_.size(); ++i) {
      if (::dup2(scratch_[i], wiring_[i].first) < 0) return errno;
    }
    if (cwd_ != nullptr && ::chdir(cwd_) != 0) return errno;
    // Nothing but the targets survives: the gaps between them, then everything above.
    unsigned next = 0;
    for (int fd : keep_) {
      if (static_cast<unsigned>(fd) > next) ::close_range(next, fd - 1, 0);
      next = std::max(next, static_cast<unsigned>(fd) + 1);
    }
    ::close_range(next, ~0U, 0);
    // Last, so that none of the calls above is notified: from here on the filter's syscalls
    // wait for the runner, which already holds the listener when this returns.
    if (handoff_ != nullptr) {
      if (int e = handoff_->install_in_child(*filter_); e != 0) return e;
    }
    ::execve(program_, const_cast<char* const*>(argv_.data()),
             const_cast<char* const*>(envp_.data()));
    return errno;
  }

  const char* program_;
  std::vector<const char*> argv_;  // null-terminated
  std::vector<const char*> envp_;  // null-terminated
  std::vector<std::pair<int, int>> wiring_;
  std::vector<int> scratch_;
  std::vector<int> keep_;  // the targets, sorted
  const char* cwd_;
  int cgroup_procs_;
  seccomp::Handoff* handoff_;
  const sock_fprog* filter_;
  int high_base_ = 3;
  int error_ = 0;
};

// The child's stack: a private mapping of our own, released once the child has exec'd.
class ChildStack final {
 public:
  static constexpr std::size_t kSize = 64 * 1024;
  ChildStack()
      : base_(::mmap(nullptr, kSize, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0)) {}
  ~ChildStack() {
    if (base_ != MAP_FAILED) ::munmap(base_, kSize);
  }
  ChildStack(const ChildStack&) = delete;
  ChildStack& operator=(const ChildStack&) = delete;
  [[nodiscard]] bool valid() const { return base_ != MAP_FAILED; }
  [[nodiscard]] void* top() const { return static_cast<char*>(base_) + kSize; }

 private:
  void* base_;
};

// Blocks every signal in this thread for the scope: the child starts with this mask, so no
// signal handler runs in it before it has reset them all.
class BlockAllSignals final {
 public:
  BlockAllSignals() {
    sigset_t all;
    sigfillset(&all);
    ::pthread_sigmask(SIG_SETMASK, &all, &previous_);
  }
  ~BlockAllSignals() { ::pthread_sigmask(SIG_SETMASK, &previous_, nullptr); }
  BlockAllSignals(const BlockAllSignals&) = delete;
  BlockAllSignals& operator=(const BlockAllSignals&) = delete;

 private:
  sigset_t previous_;
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

  std::vector<const char*> argv;
  argv.reserve(plan.argv.size() + 1);
  for (const auto& a : plan.argv) argv.push_back(a.c_str());
  argv.push_back(nullptr);
  std::vector<const char*> envp;
  envp.reserve(plan.env.size() + 1);
  for (const auto& e : plan.env) envp.push_back(e.c_str());
  envp.push_back(nullptr);

  // The notification thread starts before the clone: it takes the child's listener while the
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
  ChildSetup setup(program, std::move(argv), std::move(envp), std::move(wiring),
                   plan.cwd.empty() ? nullptr : plan.cwd.c_str(), plan.cgroup_procs, handoff.get(),
                   plan.seccomp ? &plan.seccomp->filter->prog() : nullptr);
  ChildStack stack;
  if (!stack.valid()) {
    result.error = fmt::format("cannot execute {}: {}", program, errno_text(errno));
    return result;
  }
  pid_t pid = -1;
  int pidfd = -1;
  int clone_error = 0;
  {
    BlockAllSignals blocked;
    // CLONE_VFORK: this thread waits until the child has exec'd or exited, so `setup` and the
    // stack outlive the child's use of them. The pidfd comes with the child, before it can be
    // reaped by anyone.
    pid = ::clone(&ChildSetup::child_main, stack.top(),
                  CLONE_VM | CLONE_VFORK | CLONE_PIDFD | SIGCHLD, &setup, &pidfd);
    if (pid < 0) clone_error = errno;
  }
  UniqueFd owned_pidfd(pid > 0 ? pidfd : -1);
  if (pid < 0 || setup.error() != 0) {
    // Why the filter could not be installed, when that is what stopped the child.
    std::string why;
    if (notify) {
      notify->stop();
      why = notify->error();
      notify.reset();
    }
    // The child has exited already (CLONE_VFORK), with status 127.
    if (pid > 0) {
      owned_pidfd.reset();
      while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
      }
    }
    const int err = pid < 0 ? clone_error : setup.error();
    result.error = why.empty()
                       ? fmt::format("cannot execute {}: {}", program, errno_text(err))
                       : fmt::format("cannot run {} under the seccomp backend: {}", program, why);
    return result;
  }
  child.pid = pid;
  child.pidfd = std::move(owned_pidfd);
  child.seccomp = std::move(notify);
  result.process = std::move(child);
  return result;
}

}  // namespace faultline
