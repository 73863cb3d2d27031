// What the seccomp supervisor remembers of the fds of the tasks it answers: each (tid, fd)'s
// class, channel and stream-ness, classified once through /proc (and pidfd_getfd, or
// sock_diag) rather than on every notification. It keeps no copy of any file (a kept copy of
// a pipe's write end would keep its reader from ever seeing end of file); instead the filter
// also notifies the system calls after which an fd number may name another file or a tid
// another task: close and dup forget the fds they name, exec, fork and clone everything. A
// task's call has completed once the same task makes another system call or is seen in
// another one (/proc/TID/syscall);
// until every such call has completed, nothing new is remembered.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <unordered_map>
#include <vector>

namespace faultline::seccomp {

// close, close_range, dup2, dup3 (an fd closed or replaced), execve, execveat (close-on-exec
// fds close without a system call of their own; a thread's tid may change), fork, vfork,
// clone, clone3 (a new task may take a tid remembered here).
[[nodiscard]] const std::vector<int>& fd_table_syscalls();
[[nodiscard]] bool changes_fd_table(int nr);

struct FdFacts {
  unsigned fd_class = 0;
  int channel = -1;
  int stream = 0;
  unsigned shape = 0;
};

class FdCache final {
 public:
  // Every notification, before anything else: `tid` entered system call `nr`, whose first
  // two arguments are `arg0` and `arg1`.
  // close, dup2, dup3 and close_range forget the fds they name (in every task: the threads
  // of a process share its fds); exec, fork, vfork, clone and clone3 forget everything.
  void seen(pid_t tid, int nr, std::uint64_t arg0, std::uint64_t arg1);
  // Never remember again (io_uring: its ring closes and installs fds no filter sees).
  void disable();
  [[nodiscard]] const FdFacts* find(pid_t tid, int fd) const;
  // Whether what is classified now may be remembered: enabled and no fd-table change under
  // way (looks at the tasks that made one).
  [[nodiscard]] bool may_store();
  void store(pid_t tid, int fd, const FdFacts& facts);
  [[nodiscard]] bool enabled() const { return enabled_; }

 private:
  static std::uint64_t key(pid_t tid, int fd) {
    return static_cast<std::uint64_t>(static_cast<std::uint32_t>(tid)) << 32 |
           static_cast<std::uint32_t>(fd);
  }
  bool enabled_ = true;
  std::unordered_map<std::uint64_t, FdFacts> facts_;
  std::map<pid_t, int> pending_;  // tasks in an fd-table change, with its system call
};

}  // namespace faultline::seccomp
