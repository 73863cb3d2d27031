// spawn_program(); see spawn_program.h. clone(CLONE_VM | CLONE_VFORK | CLONE_PIDFD), the way
// posix_spawn does it, rather than fork: fork copies the caller's page tables, and every page
// the caller or the child then writes before exec is copied on a fault; that was most of the
// runner's own CPU per run (docs/performance.md, "A scenario run's fixed cost"). Not
// posix_spawn itself: it has no hook for the cgroup and the seccomp handoff, and no pidfd.
#include "processes/spawn_program.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/sched.h>
#include <sys/syscall.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <string_view>
#include <system_error>

extern char** environ;

// ThreadSanitizer follows a process's threads and fds in the process's own memory, and
// intercepts clone(): a CLONE_VM child that runs in the parent's memory and makes system
// calls breaks its bookkeeping (it aborts in its fork handling). Under TSan the programs are
// started with fork(), which it supports; every other build starts them with CLONE_VM.
#if defined(__SANITIZE_THREAD__)
#define FAULTLINE_SPAWN_BY_FORK 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define FAULTLINE_SPAWN_BY_FORK 1
#endif
#endif
#ifndef FAULTLINE_SPAWN_BY_FORK
#define FAULTLINE_SPAWN_BY_FORK 0
#endif

namespace faultline {
namespace {

std::string errno_text(int err) { return std::error_code(err, std::system_category()).message(); }

// What the child does between clone and exec. It runs in the parent's memory, on a stack of
// its own, while the parent waits: everything is prepared here beforehand, and the child only
// makes system calls, reads this object and writes `error_`. No allocation, no lock, no return.
class ChildSetup final {
 public:
  ChildSetup(const ProgramSpec& spec, const char* program, std::vector<const char*> argv,
             char* const* envp, const sigset_t* parent_mask)
      : spec_(spec),
        program_(program),
        argv_(std::move(argv)),
        envp_(envp),
        scratch_(spec.fds.size(), -1),
        parent_mask_(parent_mask) {
    for (const auto& [target, source] : spec_.fds) {
      high_base_ = std::max(high_base_, target + 1);
      keep_.push_back(target);
    }
    std::sort(keep_.begin(), keep_.end());
  }

  // clone()'s entry point: never returns. Not instrumented by ASan: the child runs on a stack
  // of our own that ASan does not know, and its _exit() would make ASan warn of that
  // ("ignoring requested __asan_handle_no_return") in every child whose exec failed.
  __attribute__((no_sanitize("address"))) static int child_main(void* self) {
    auto* setup = static_cast<ChildSetup*>(self);
    setup->error_ = setup->exec();
    ::_exit(127);
  }

  // The child of fork() (FAULTLINE_SPAWN_BY_FORK): its own copy of this object, so why it
  // did not exec goes to the parent through `report`, a close-on-exec pipe that exec closes.
  [[noreturn]] void exec_or_report(int report) noexcept {
    const int err = exec();
    (void)!::write(report, &err, sizeof err);
    ::_exit(127);
  }

  // Why the child did not exec (an errno), 0 when it did; read once clone() has returned.
  [[nodiscard]] int error() const { return error_; }
  // Whether the child is created in the cgroup (CLONE_INTO_CGROUP): then it need not join it.
  void set_created_in_cgroup(bool yes) { in_cgroup_ = yes; }

 private:
  // Returns only when something failed, with the errno of that step.
  int exec() noexcept {
    if (spec_.own_process_group && ::setpgid(0, 0) != 0) return errno;
    // "0" moves the writer. A failure leaves the process group record (and
    // FAULTLINE_RUN_DIR) to `faultline gc`, so it is not fatal.
    if (spec_.cgroup_procs >= 0 && !in_cgroup_) (void)!::write(spec_.cgroup_procs, "0", 1);
    reset_signals();
    // Two steps, so that a source whose number is another pair's target is not clobbered:
    // first every source to a free number above all targets, then onto the targets.
    const auto& fds = spec_.fds;
    for (std::size_t i = 0; i < fds.size(); ++i) {
      scratch_[i] = ::fcntl(fds[i].second, F_DUPFD_CLOEXEC, high_base_);
      if (scratch_[i] < 0) return errno;
    }
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (::dup2(scratch_[i], fds[i].first) < 0) return errno;
    }
    if (!spec_.cwd.empty() && ::chdir(spec_.cwd.c_str()) != 0) return errno;
    if (spec_.close_other_fds) {
      // Nothing but the targets survives: the gaps between them, then everything above.
      unsigned next = 0;
      for (int fd : keep_) {
        if (static_cast<unsigned>(fd) > next) ::close_range(next, fd - 1, 0);
        next = std::max(next, static_cast<unsigned>(fd) + 1);
      }
      // spec_.keep_fd is above every target (checked before the clone).
      if (spec_.keep_fd >= 0) {
        if (static_cast<unsigned>(spec_.keep_fd) > next)
          ::close_range(next, static_cast<unsigned>(spec_.keep_fd) - 1, 0);
        next = static_cast<unsigned>(spec_.keep_fd) + 1;
      }
      ::close_range(next, ~0U, 0);
    }
    // Last, so that none of the calls above is affected by what it sets up (a seccomp
    // filter whose syscalls wait for the runner).
    if (spec_.before_exec != nullptr) {
      if (int e = spec_.before_exec->run(); e != 0) return e;
    }
    ::execve(program_, const_cast<char* const*>(argv_.data()), envp_);
    return errno;
  }

  // The parent blocked every signal around clone: no handler of its own may run in its
  // memory. Exec keeps the mask and ignored dispositions, so the program would inherit them.
  void reset_signals() noexcept {
    if (spec_.default_signals) {
      struct sigaction dfl {};
      dfl.sa_handler = SIG_DFL;
      for (int sig = 1; sig < NSIG; ++sig) {
        if (sig != SIGKILL && sig != SIGSTOP) ::sigaction(sig, &dfl, nullptr);
      }
      sigset_t empty;
      sigemptyset(&empty);
      ::sigprocmask(SIG_SETMASK, &empty, nullptr);
      return;
    }
    // As posix_spawn: caught signals to SIG_DFL (exec would do it, but a signal could arrive
    // before), ignored ones stay ignored, and the caller's mask comes back.
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; ++sig) {
      if (sig == SIGKILL || sig == SIGSTOP) continue;
      struct sigaction now {};
      if (::sigaction(sig, nullptr, &now) != 0) continue;
      if (now.sa_handler != SIG_IGN && now.sa_handler != SIG_DFL) ::sigaction(sig, &dfl, nullptr);
    }
    ::sigprocmask(SIG_SETMASK, parent_mask_, nullptr);
  }

  const ProgramSpec& spec_;
  const char* program_;
  std::vector<const char*> argv_;  // null-terminated
  char* const* envp_;              // null-terminated
  std::vector<int> scratch_;
  std::vector<int> keep_;  // the targets, sorted
  const sigset_t* parent_mask_;
  int high_base_ = 3;
  int error_ = 0;
  bool in_cgroup_ = false;
};

#if defined(__x86_64__)
// clone3() with a stack of our own, which the kernel switches the child to: the child cannot
// return from the system call into the caller's frames (they are on the parent's stack), so
// it calls `fn(arg)` from here and exits with its result. glibc has no public clone3 wrapper.
// Returns the child's pid in the parent, or -errno.
extern "C" long faultline_clone3_call(clone_args* args, std::size_t size, int (*fn)(void*),
                                      void* arg);
__asm__(
    ".text\n"
    ".globl faultline_clone3_call\n"
    ".hidden faultline_clone3_call\n"
    ".type faultline_clone3_call,@function\n"
    "faultline_clone3_call:\n"
    "  mov %rdx, %r8\n"  // fn and arg in registers the system call keeps
    "  mov %rcx, %r9\n"
    "  mov $435, %eax\n"  // SYS_clone3
    "  syscall\n"
    "  test %rax, %rax\n"
    "  jnz 1f\n"
    "  xor %ebp, %ebp\n"  // the child: the outermost frame of its new stack
    "  mov %r9, %rdi\n"
    "  call *%r8\n"
    "  mov %eax, %edi\n"
    "  mov $60, %eax\n"  // SYS_exit
    "  syscall\n"
    "  hlt\n"
    "1:\n"
    "  ret\n"
    ".size faultline_clone3_call, .-faultline_clone3_call\n");
constexpr bool kHaveClone3Call = true;
#else
long faultline_clone3_call(clone_args*, std::size_t, int (*)(void*), void*) { return -ENOSYS; }
constexpr bool kHaveClone3Call = false;
#endif

// Cleared once clone3(CLONE_INTO_CGROUP) was refused for a reason that will not change (an
// older kernel, a cgroup v1 only machine): the next spawns go straight to clone().
std::atomic<bool> clone_into_cgroup_works{kHaveClone3Call};

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
  [[nodiscard]] void* base() const { return base_; }

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
  [[nodiscard]] const sigset_t* previous() const { return &previous_; }

 private:
  sigset_t previous_;
};

bool is_executable_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

// execvp's lookup, done before the clone (the child may not allocate): the first executable
// regular file named `name` in a folder of $PATH; an empty entry is the current folder.
std::optional<std::string> find_on_path(const std::string& name) {
  const char* path_env = std::getenv("PATH");
  std::string_view path = path_env != nullptr ? path_env : "/bin:/usr/bin";
  while (true) {
    auto colon = path.find(':');
    std::string_view dir = path.substr(0, colon);
    std::string candidate = (dir.empty() ? std::string(".") : std::string(dir)) + "/" + name;
    if (is_executable_file(candidate)) return candidate;
    if (colon == std::string_view::npos) return std::nullopt;
    path.remove_prefix(colon + 1);
  }
}

StartOutcome failed(const std::string& program, int err) {
  StartOutcome outcome;
  outcome.error = err;
  outcome.message = "cannot execute " + program + ": " + errno_text(err);
  return outcome;
}

}  // namespace

StartOutcome spawn_program(const ProgramSpec& spec) {
  if (spec.argv.empty()) {
    StartOutcome outcome;
    outcome.error = EINVAL;
    outcome.message = "nothing to run: the command is empty";
    return outcome;
  }
  const std::string& name = spec.argv[0];
  if (spec.keep_fd >= 0) {
    for (const auto& [target, source] : spec.fds)
      if (target >= spec.keep_fd) return failed(name, EINVAL);
  }
  std::string program = name;
  if (spec.search_path && name.find('/') == std::string::npos) {
    auto found = find_on_path(name);
    if (!found) return failed(name, ENOENT);
    program = std::move(*found);
  }
  std::vector<const char*> argv;
  argv.reserve(spec.argv.size() + 1);
  for (const auto& a : spec.argv) argv.push_back(a.c_str());
  argv.push_back(nullptr);
  std::vector<const char*> env_pointers;
  char* const* envp = environ;
  if (spec.env) {
    env_pointers.reserve(spec.env->size() + 1);
    for (const auto& e : *spec.env) env_pointers.push_back(e.c_str());
    env_pointers.push_back(nullptr);
    envp = const_cast<char* const*>(env_pointers.data());
  }

  ChildStack stack;
  if (!stack.valid()) return failed(name, errno);
  pid_t pid = -1;
  int pidfd = -1;
  int clone_error = 0;
  int child_error = 0;
  {
    BlockAllSignals blocked;
    ChildSetup setup(spec, program.c_str(), std::move(argv), envp, blocked.previous());
    // CLONE_VFORK: this thread waits until the child has exec'd or exited, so `setup` and the
    // stack outlive the child's use of them. The pidfd comes with the child, before it can be
    // reaped by anyone.
    pid = -1;
    if (FAULTLINE_SPAWN_BY_FORK) {
      int report[2];
      if (::pipe2(report, O_CLOEXEC) != 0) return failed(name, errno);
      UniqueFd report_in(report[0]);
      UniqueFd report_out(report[1]);
      pid = ::fork();
      if (pid == 0) setup.exec_or_report(report_out.get());
      if (pid < 0) {
        clone_error = errno;
      } else {
        report_out.reset();
        int err = 0;
        ssize_t n;
        while ((n = ::read(report_in.get(), &err, sizeof err)) < 0 && errno == EINTR) {
        }
        child_error = n == static_cast<ssize_t>(sizeof err) ? err : 0;
        // Our own unreaped child: its pid cannot be reused before we wait for it.
        pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
      }
    } else if (spec.cgroup_dir >= 0 && clone_into_cgroup_works.load(std::memory_order_relaxed)) {
      // Created in the run's cgroup: no move (and no RCU grace period) once it runs.
      setup.set_created_in_cgroup(true);
      clone_args args{};
      args.flags = CLONE_VM | CLONE_VFORK | CLONE_PIDFD | CLONE_INTO_CGROUP;
      args.pidfd = reinterpret_cast<std::uintptr_t>(&pidfd);
      args.exit_signal = SIGCHLD;
      args.stack = reinterpret_cast<std::uintptr_t>(stack.base());
      args.stack_size = ChildStack::kSize;
      args.cgroup = static_cast<std::uint64_t>(spec.cgroup_dir);
      const long r = faultline_clone3_call(&args, sizeof args, &ChildSetup::child_main, &setup);
      if (r >= 0) {
        pid = static_cast<pid_t>(r);
      } else {
        // Not started: clone() below, and the child joins through cgroup.procs. ENOSYS,
        // E2BIG (no clone3 or no CLONE_INTO_CGROUP), EOPNOTSUPP and EBADF (no cgroup2 group)
        // will say the same next time; others (EAGAIN, ENOMEM, EACCES) may not.
        if (r == -ENOSYS || r == -E2BIG || r == -EOPNOTSUPP || r == -EBADF || r == -EINVAL)
          clone_into_cgroup_works.store(false, std::memory_order_relaxed);
        setup.set_created_in_cgroup(false);
      }
    }
    if (pid < 0 && !FAULTLINE_SPAWN_BY_FORK) {
      pid = ::clone(&ChildSetup::child_main, stack.top(),
                    CLONE_VM | CLONE_VFORK | CLONE_PIDFD | SIGCHLD, &setup, &pidfd);
      if (pid < 0) clone_error = errno;
    }
    if (!FAULTLINE_SPAWN_BY_FORK) child_error = setup.error();
  }
  if (pid < 0) return failed(name, clone_error);
  UniqueFd owned_pidfd(pidfd);
  if (child_error != 0) {
    // The child has exited already (CLONE_VFORK), with status 127.
    owned_pidfd.reset();
    (void)wait_for_exit(pid);
    return failed(name, child_error);
  }
  StartOutcome outcome;
  outcome.child = StartedProgram{pid, std::move(owned_pidfd)};
  return outcome;
}

int wait_for_exit(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return status;
}

}  // namespace faultline
