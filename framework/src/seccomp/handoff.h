// Hands the seccomp listener fd from a new child to the runner: the child loads the filter
// right before exec, sends the listener over a close-on-exec socketpair made before the
// spawn (SCM_RIGHTS) and execs at once; a runner thread receives it. No pidfd_getfd(2), which
// containers' default seccomp profiles and Yama's ptrace_scope 2 refuse; and no waiting in
// the child, so a runner that dies during the hand-off leaves no child behind waiting for it.
#pragma once

#include <linux/filter.h>
#include <sys/types.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "util/unique_fd.h"

namespace faultline::seccomp {

class Handoff final {
 public:
  // `prog` is the process's filter; `filter_covers_sendmsg` says whether it notifies
  // sendmsg(2), which the child's own send of the listener must then pass (see handoff.cc).
  // Throws std::system_error.
  Handoff(const sock_fprog& prog, bool filter_covers_sendmsg);
  ~Handoff();
  Handoff(const Handoff&) = delete;
  Handoff& operator=(const Handoff&) = delete;

  // The child's end of the socketpair, moved to a number above `highest_target` so that the
  // child's own fd wiring (dup2 onto fds 0..highest_target) does not clobber it. The spawn
  // keeps it open through its fd clean-up (ProgramSpec::keep_fd); exec closes it.
  [[nodiscard]] int child_end_above(int highest_target);

  // In the child, between fork and exec: async-signal-safe, no allocation. Sets
  // no_new_privs, installs the filter with a listener and sends it to the runner. Returns 0,
  // or the errno that stops the child from running (the filter could not be installed, or
  // the listener could not be sent: the runner is gone or gave up).
  [[nodiscard]] int install_in_child() noexcept;

  // In the runner, once the spawn returned: drops the runner's copy of the child's end (so
  // that receive() sees the end when no listener came) and the program with its nonce.
  void spawned();

  // In the runner: waits for the child's listener and returns it. Empty when abandon() was
  // called first or the child failed (`error` says why, when the child said).
  [[nodiscard]] UniqueFd receive(std::string& error);
  // The runner gives up (the child did not start): wakes receive(); a child that has not
  // sent yet fails to and does not exec.
  void abandon();
  // Once receive() returned a listener: whether the filter makes a notified task wait
  // killable once its call was received (SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, Linux 5.19):
  // a signal then stays pending until the answer, unless it is fatal.
  [[nodiscard]] bool killable_wait() const { return killable_; }

  // The program the child installs: `prog`, after an exemption for the child's own
  // sendmsg when the filter covers sendmsg. Exposed for the tests.
  [[nodiscard]] const std::vector<sock_filter>& program() const { return program_; }

 private:
  UniqueFd runner_end_;
  UniqueFd child_end_;
  int child_fd_ = -1;  // child_end_'s number, read by the child (child_end_ may be closed)
  std::array<std::uint64_t, 3> nonce_{};
  std::vector<sock_filter> program_;
  sock_fprog fprog_{};
  bool killable_ = false;  // from the child's message: see killable_wait()
  // What the child sends, besides the listener.
  struct Message {
    int err;       // why the filter could not be installed, 0 when it is
    int killable;  // SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV took
  };
};

// The exemption, before `prog`: sendmsg(2) of this architecture whose unused argument
// registers 3, 4 and 5 hold `nonce` is allowed; anything else goes on to `prog`.
[[nodiscard]] std::vector<sock_filter> with_sendmsg_exemption(
    const sock_fprog& prog, const std::array<std::uint64_t, 3>& nonce);

}  // namespace faultline::seccomp
