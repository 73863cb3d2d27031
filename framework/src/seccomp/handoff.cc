// The listener handshake; see handoff.h.
#include "seccomp/handoff.h"

#include <linux/futex.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>
#include <system_error>

#include <fmt/format.h>

namespace faultline::seccomp {
namespace {

// Linux 5.19's <linux/seccomp.h>; older headers lack it.
constexpr unsigned long kWaitKillableRecv = 1UL << 5;  // SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV

// Not private: the page is shared between two processes.
void futex_wait(std::atomic<std::uint32_t>* word, std::uint32_t value, long timeout_ns) {
  struct timespec ts {
    0, timeout_ns
  };
  ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(word), FUTEX_WAIT, value,
            timeout_ns > 0 ? &ts : nullptr, nullptr, 0);
}

void futex_wake(std::atomic<std::uint32_t>* word) {
  ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(word), FUTEX_WAKE, 1 << 30, nullptr,
            nullptr, 0);
}

// Why pidfd_getfd is refused on a child of ours, and what to do about it.
std::string pidfd_getfd_refused_hint() {
  std::string hint =
      "; a container's seccomp profile refuses pidfd_getfd without CAP_SYS_PTRACE (Docker's and "
      "Podman's default profiles do: add --cap-add SYS_PTRACE)";
  std::ifstream yama("/proc/sys/kernel/yama/ptrace_scope");
  int scope = 0;
  if (yama >> scope && scope >= 2)
    hint += fmt::format(", and so does kernel.yama.ptrace_scope {} without that capability", scope);
  return hint + "; or give the process backend: preload";
}

}  // namespace

Handoff::Handoff() {
  void* p =
      ::mmap(nullptr, sizeof(Page), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED)
    throw std::system_error(errno, std::system_category(), "seccomp handoff page");
  page_ = new (p) Page{};
  page_->fd = -1;
  page_->killable = 0;
}

Handoff::~Handoff() {
  if (page_) ::munmap(page_, sizeof(Page));
}

int Handoff::install_in_child(const sock_fprog& prog) noexcept {
  int err = 0;
  long fd = -1;
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    err = errno;
  } else {
    // Killable once received, where the kernel has it: the supervisor can then raise the
    // SIGPIPE of an injected EPIPE before its answer, as the kernel raises it inside the call
    // (notify_supervisor.cc). EINVAL: a kernel before 5.19 knows no such flag.
    fd = ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                   SECCOMP_FILTER_FLAG_NEW_LISTENER | kWaitKillableRecv, &prog);
    page_->killable = fd >= 0 ? 1 : 0;
    if (fd < 0 && errno == EINVAL)
      fd = ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
    if (fd < 0) err = errno;
  }
  page_->fd = static_cast<std::int32_t>(fd);
  page_->err = err;
  page_->pid = static_cast<std::int32_t>(::syscall(SYS_getpid));
  page_->state.store(kPosted, std::memory_order_release);
  futex_wake(&page_->state);
  if (err != 0) return err;
  // The listener is close-on-exec: once the runner holds its copy, exec drops the child's.
  std::uint32_t s;
  while ((s = page_->state.load(std::memory_order_acquire)) == kPosted)
    futex_wait(&page_->state, kPosted, 0);
  return s == kTaken ? 0 : ECANCELED;
}

UniqueFd Handoff::receive(std::string& error) {
  std::uint32_t s;
  while ((s = page_->state.load(std::memory_order_acquire)) == kWaiting)
    futex_wait(&page_->state, kWaiting, 100'000'000);
  if (s != kPosted) return {};
  UniqueFd listener;
  if (page_->err != 0) {
    error = fmt::format("cannot install the seccomp filter: {}", std::strerror(page_->err));
  } else {
    UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, page_->pid, 0)));
    if (pidfd)
      listener = UniqueFd(static_cast<int>(::syscall(SYS_pidfd_getfd, pidfd.get(), page_->fd, 0)));
    if (!listener) {
      const int err = errno;
      error = fmt::format(
          "cannot take the seccomp listener of the child (pidfd_getfd, Linux 5.6 "
          "or newer, needs ptrace access to it): {}",
          std::strerror(err));
      // EPERM from a process we just started as our own user: a policy forbids the call.
      if (err == EPERM) error += pidfd_getfd_refused_hint();
    }
  }
  std::uint32_t expected = kPosted;
  page_->state.compare_exchange_strong(expected, listener ? kTaken : kAbandoned);
  futex_wake(&page_->state);
  return listener;
}

void Handoff::abandon() {
  std::uint32_t s = page_->state.load();
  while ((s == kWaiting || s == kPosted) && !page_->state.compare_exchange_weak(s, kAbandoned)) {
  }
  futex_wake(&page_->state);
}

}  // namespace faultline::seccomp
