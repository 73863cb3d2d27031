// Hands the seccomp listener fd from a new child to the runner before the child execs:
// the child loads the filter, posts the fd number in a shared page and waits; a runner
// thread takes a copy with pidfd_getfd(2) and lets it go on. Nothing here is filtered
// (futex, getpid), so the handshake never waits for its own supervisor.
#pragma once

#include <linux/filter.h>
#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <string>

#include "util/unique_fd.h"

namespace faultline::seccomp {

class Handoff final {
 public:
  // Maps the shared page; throws std::system_error.
  Handoff();
  ~Handoff();
  Handoff(const Handoff&) = delete;
  Handoff& operator=(const Handoff&) = delete;

  // In the child, between fork and exec: async-signal-safe, no allocation. Sets
  // no_new_privs, installs `prog` with a listener and waits until the runner took it.
  // Returns 0, or the errno that stops the child from running.
  [[nodiscard]] int install_in_child(const sock_fprog& prog) noexcept;

  // In the runner: waits for the child's listener and returns the runner's copy. Empty when
  // abandon() was called first or the child failed (`error` says why).
  [[nodiscard]] UniqueFd receive(std::string& error);
  // The runner gives up (the child did not start): wakes receive() and the child.
  void abandon();
  // Once receive() returned a listener: whether the filter makes a notified task wait
  // killable once its call was received (SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, Linux 5.19):
  // a signal then stays pending until the answer, unless it is fatal.
  [[nodiscard]] bool killable_wait() const { return page_->killable != 0; }

 private:
  enum : std::uint32_t { kWaiting = 0, kPosted = 1, kTaken = 2, kAbandoned = 3 };
  struct Page {
    std::atomic<std::uint32_t> state;
    std::int32_t fd;
    std::int32_t err;
    std::int32_t pid;
    std::int32_t killable;
  };
  Page* page_ = nullptr;
};

}  // namespace faultline::seccomp
