// The listener hand-off; see handoff.h.
//
// Why SCM_RIGHTS and not pidfd_getfd: the runner taking a copy of the child's fd needs ptrace
// access to the child, which Docker's and Podman's default seccomp profiles (without
// CAP_SYS_PTRACE) and kernel.yama.ptrace_scope 2 refuse. A child may always send its own fd.
//
// Why the child does not wait: the listener in flight on the socket is a reference to it, so
// the filter has its listener from the sendmsg on and the program's notified calls wait for
// the runner to receive it and answer. If the runner dies first, closing its end frees the
// message and with it the listener: the filter then fails those calls with ENOSYS instead
// of waiting for ever. Before the send, the runner's end is open only in the runner (the
// child closed its copy with every other fd): a dead runner makes the send fail (EPIPE) and
// the child exits 127 instead of running without a supervisor. The old hand-off (post the
// fd number, wait on a futex until the runner took it) left the child waiting for good when
// the runner died in between.
//
// The child's own sendmsg, when the filter notifies sendmsg: it would wait for a supervisor
// that cannot have the listener yet, since it is the very message that carries it. So the
// program installed starts with an exemption: sendmsg of this architecture whose argument
// registers 3, 4 and 5 (unused by sendmsg, which takes three arguments, but seen by the
// filter) hold a 192-bit nonce drawn for this spawn is allowed. The exec'd program cannot
// match it: it never learns the nonce (the filter cannot be read back without
// CAP_SYS_ADMIN, the runner wipes its copy once the spawn returned, and the child's stack,
// where the call's arguments passed, is unmapped by then; exec replaced the child's
// registers), and guessing it is a chance of 2^-192 per call. Any other
// sendmsg, the program's own included, goes on to the filter as before.
#include "seccomp/handoff.h"

#include <fcntl.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <stdexcept>
#include <string>
#include <system_error>

#include <fmt/format.h>

namespace faultline::seccomp {
namespace {

#if defined(__x86_64__)
constexpr std::uint32_t kNativeArch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
constexpr std::uint32_t kNativeArch = AUDIT_ARCH_AARCH64;
#else
#error "the seccomp hand-off needs this architecture's AUDIT_ARCH"
#endif

// Linux 5.19's <linux/seccomp.h>; older headers lack it.
constexpr unsigned long kWaitKillableRecv = 1UL << 5;  // SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV

std::system_error errno_error(const char* what) {
  return std::system_error(errno, std::system_category(), what);
}

// One message with room for one descriptor (SCM_RIGHTS), as both ends of the hand-off build
// it. No allocation: the child builds it between clone and exec. It points into itself, so it
// is never copied.
template <typename Payload>
class Envelope {
 public:
  explicit Envelope(Payload& payload) : iov_{&payload, sizeof payload} {
    std::memset(&control_, 0, sizeof control_);
    msg_.msg_iov = &iov_;
    msg_.msg_iovlen = 1;
  }
  Envelope(const Envelope&) = delete;
  Envelope& operator=(const Envelope&) = delete;

  // Room for the descriptor a message to be received may carry.
  void expect_fd() {
    msg_.msg_control = control_;
    msg_.msg_controllen = sizeof control_;
  }
  // `fd` goes with the message.
  void carry(int fd) {
    expect_fd();
    cmsghdr* c = CMSG_FIRSTHDR(&msg_);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
  }
  [[nodiscard]] msghdr* get() { return &msg_; }

 private:
  iovec iov_;
  alignas(cmsghdr) char control_[CMSG_SPACE(sizeof(int))];
  msghdr msg_{};
};

}  // namespace

std::vector<sock_filter> with_sendmsg_exemption(const sock_fprog& prog,
                                                const std::array<std::uint64_t, 3>& nonce) {
  // Each jump's "false" branch goes to the first instruction of `prog` (kLength).
  constexpr std::size_t kLength = 2 + 2 + 3 * 4 + 1;
  std::vector<sock_filter> out;
  out.reserve(kLength + prog.len);
  auto load = [&](std::size_t offset) {
    out.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, static_cast<std::uint32_t>(offset)));
  };
  auto expect = [&](std::uint32_t value) {
    const auto to_prog = static_cast<std::uint8_t>(kLength - out.size() - 1);
    out.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, value, 0, to_prog));
  };
  load(offsetof(seccomp_data, nr));
  expect(SYS_sendmsg);
  load(offsetof(seccomp_data, arch));
  expect(kNativeArch);
  for (std::size_t i = 0; i < nonce.size(); ++i) {
    // The 32-bit words of the argument as they lie in seccomp_data, whatever the byte order.
    std::uint32_t words[2];
    std::memcpy(words, &nonce[i], sizeof words);
    for (std::size_t w = 0; w < 2; ++w) {
      load(offsetof(seccomp_data, args) + (3 + i) * sizeof(std::uint64_t) + w * 4);
      expect(words[w]);
    }
  }
  out.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
  out.insert(out.end(), prog.filter, prog.filter + prog.len);
  if (out.size() > BPF_MAXINSNS)
    throw std::runtime_error("seccomp backend: the filter is too long for the kernel");
  return out;
}

Handoff::Handoff(const sock_fprog& prog, bool filter_covers_sendmsg) {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0)
    throw errno_error("seccomp handoff socketpair");
  runner_end_.reset(fds[0]);
  child_end_.reset(fds[1]);
  child_fd_ = fds[1];
  if (filter_covers_sendmsg) {
    if (::getrandom(nonce_.data(), sizeof nonce_, 0) != static_cast<ssize_t>(sizeof nonce_))
      throw errno_error("seccomp handoff nonce");
    program_ = with_sendmsg_exemption(prog, nonce_);
  } else {
    program_.assign(prog.filter, prog.filter + prog.len);
  }
  fprog_.len = static_cast<unsigned short>(program_.size());
  fprog_.filter = program_.data();
}

Handoff::~Handoff() { spawned(); }

int Handoff::child_end_above(int highest_target) {
  if (child_fd_ > highest_target) return child_fd_;
  UniqueFd moved(::fcntl(child_end_.get(), F_DUPFD_CLOEXEC, highest_target + 1));
  if (!moved) throw errno_error("seccomp handoff socket");
  child_end_ = std::move(moved);
  child_fd_ = child_end_.get();
  return child_fd_;
}

int Handoff::install_in_child() noexcept {
  Message m{};
  int& err = m.err;
  long fd = -1;
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    err = errno;
  } else {
    // Killable once received, where the kernel has it: the supervisor can then raise the
    // SIGPIPE of an injected EPIPE before its answer, as the kernel raises it inside the call
    // (notify_supervisor.cc). EINVAL: a kernel before 5.19 knows no such flag.
    fd = ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                   SECCOMP_FILTER_FLAG_NEW_LISTENER | kWaitKillableRecv, &fprog_);
    m.killable = fd >= 0 ? 1 : 0;
    if (fd < 0 && errno == EINVAL)
      fd = ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER,
                     &fprog_);
    if (fd < 0) err = errno;
  }
  // The message: the errno (0 when the filter is in) and whether the wait is killable, with the
  // listener when there is one.
  Envelope envelope(m);
  if (fd >= 0) envelope.carry(static_cast<int>(fd));
  long sent;
  do {
    sent = ::syscall(SYS_sendmsg, child_fd_, envelope.get(), MSG_NOSIGNAL, nonce_[0], nonce_[1],
                     nonce_[2]);
  } while (sent < 0 && errno == EINTR);
  if (err != 0) return err;
  // The listener is close-on-exec: from here on the message in flight holds it.
  return sent < 0 ? errno : 0;
}

void Handoff::spawned() {
  child_end_.reset();
  // The nonce lives on only in the installed filter, which no unprivileged task can read.
  ::explicit_bzero(nonce_.data(), sizeof nonce_);
  if (!program_.empty()) ::explicit_bzero(program_.data(), program_.size() * sizeof(sock_filter));
  program_.clear();
  fprog_ = {};
}

UniqueFd Handoff::receive(std::string& error) {
  Message m{};
  Envelope envelope(m);
  envelope.expect_fd();
  msghdr* msg = envelope.get();
  ssize_t n;
  while ((n = ::recvmsg(runner_end_.get(), msg, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR) {
  }
  UniqueFd listener;
  for (cmsghdr* c = CMSG_FIRSTHDR(msg); n > 0 && c != nullptr; c = CMSG_NXTHDR(msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
        c->cmsg_len >= CMSG_LEN(sizeof(int))) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
      listener.reset(fd);
    }
  }
  // 0: the end of the stream (abandon(), or the child is gone without sending).
  if (n <= 0) return {};
  if (n != static_cast<ssize_t>(sizeof m)) {
    error = "the child's seccomp hand-off message was cut short";
    return {};
  }
  if (m.err != 0) {
    error = fmt::format("cannot install the seccomp filter: {}", std::strerror(m.err));
    return {};
  }
  killable_ = m.killable != 0;
  if (!listener) error = "the child sent no seccomp listener";
  return listener;
}

void Handoff::abandon() { (void)::shutdown(runner_end_.get(), SHUT_RDWR); }

}  // namespace faultline::seccomp
