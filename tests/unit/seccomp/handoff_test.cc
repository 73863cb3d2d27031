// The seccomp listener hand-off (handoff.h): the child sends the listener and goes on to exec
// without waiting for the runner, so no death or absence of the runner can leave it waiting;
// and the exemption for its own sendmsg lets through that one call only.
//
// A runner SIGKILLed during a real spawn cannot be timed to land in the hand-off, so these
// tests make the runner's two possible absences happen on purpose: gone before the child
// sends (the send fails: the child stops instead of exec'ing), and gone after it sent but
// before it received (the child runs, its notified calls fail with ENOSYS). The child of the
// old hand-off waited on a futex for the runner to take the listener, and waited for good in
// both cases: these tests timed out on it.
#include "seccomp/handoff.h"

#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "util/unique_fd.h"

namespace faultline::seccomp {
namespace {

// A filter whose syscall `nr` gets `action`; everything else is allowed.
std::vector<sock_filter> filter_on(int nr, std::uint32_t action) {
  return {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<std::uint32_t>(nr), 0, 1),
      BPF_STMT(BPF_RET | BPF_K, action),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
}

sock_fprog as_prog(std::vector<sock_filter>& code) {
  return sock_fprog{static_cast<unsigned short>(code.size()), code.data()};
}

// The exit status of child `pid`, or -1 when it did not end within `seconds` (then it is
// killed and reaped).
int exit_status_within(pid_t pid, int seconds) {
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  REQUIRE(pidfd);
  pollfd p{pidfd.get(), POLLIN, 0};
  const bool ended = ::poll(&p, 1, seconds * 1000) == 1;
  if (!ended) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!ended || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

}  // namespace

TEST_CASE("The seccomp hand-off's exemption lets through only the sendmsg carrying its nonce",
          "[seccomp][handoff]") {
  // The filter fails every sendmsg and getppid with EACCES; the exemption comes before it.
  std::vector<sock_filter> base = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_sendmsg, 1, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EACCES),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  const std::array<std::uint64_t, 3> nonce{0x0123456789abcdefULL, 0xfedcba9876543210ULL,
                                           0x0f1e2d3c4b5a6978ULL};
  std::vector<sock_filter> prog = with_sendmsg_exemption(as_prog(base), nonce);
  sock_fprog fprog = as_prog(prog);
  int pair[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, pair) == 0);
  UniqueFd a(pair[0]), b(pair[1]);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
        ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) != 0)
      ::_exit(10);
    char byte = 'x';
    iovec iov{&byte, 1};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    auto send = [&](std::uint64_t a3, std::uint64_t a4, std::uint64_t a5) {
      const long r = ::syscall(SYS_sendmsg, a.get(), &msg, 0, a3, a4, a5);
      return r == 1 ? 0 : errno;
    };
    if (send(nonce[0], nonce[1], nonce[2]) != 0) ::_exit(11);
    // Any other argument registers, even with one bit or one word off, meet the filter.
    if (send(0, 0, 0) != EACCES) ::_exit(12);
    if (send(nonce[0] ^ 1, nonce[1], nonce[2]) != EACCES) ::_exit(13);
    if (send(nonce[0], nonce[1], nonce[2] ^ (1ULL << 63)) != EACCES) ::_exit(14);
    // Another syscall with the nonce in the same registers is not exempted either.
    if (::syscall(SYS_getppid, 0, 0, 0, nonce[0], nonce[1], nonce[2]) != -1 || errno != EACCES)
      ::_exit(15);
    ::_exit(0);
  }
  CHECK(exit_status_within(pid, 20) == 0);
}

TEST_CASE("The seccomp hand-off leaves no exemption in a filter that does not notify sendmsg",
          "[seccomp][handoff]") {
  std::vector<sock_filter> base = filter_on(SYS_read, SECCOMP_RET_USER_NOTIF);
  Handoff without(as_prog(base), false);
  CHECK(without.program().size() == base.size());
  Handoff with(as_prog(base), true);
  CHECK(with.program().size() > base.size());
}

TEST_CASE(
    "A seccomp child whose runner never receives the listener runs on, its notified calls "
    "failing with ENOSYS once the runner is gone",
    "[seccomp][handoff]") {
  std::vector<sock_filter> base = filter_on(SYS_getppid, SECCOMP_RET_USER_NOTIF);
  auto handoff = std::make_unique<Handoff>(as_prog(base), false);
  const int child_end = handoff->child_end_above(2);
  // Says when the child has sent: the runner then dies between the send and its receive.
  int sent_pipe[2];
  REQUIRE(::pipe2(sent_pipe, O_CLOEXEC) == 0);
  UniqueFd sent_read(sent_pipe[0]), sent_write(sent_pipe[1]);
  constexpr int kSentFd = 500;
  REQUIRE(child_end < kSentFd);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    // As the spawn leaves it: nothing open but the standard fds and the hand-off socket (and
    // the test's pipe).
    if (::dup2(sent_write.get(), kSentFd) != kSentFd) ::_exit(9);
    ::close_range(3, static_cast<unsigned>(child_end) - 1, 0);
    ::close_range(static_cast<unsigned>(child_end) + 1, kSentFd - 1, 0);
    ::close_range(kSentFd + 1, ~0U, 0);
    if (handoff->install_in_child() != 0) ::_exit(10);
    // What exec does to the close-on-exec fds: the listener and the socket.
    ::close_range(3, kSentFd - 1, 0);
    ::close(kSentFd);
    // Waits for a supervisor while the runner is alive; ENOSYS once it is gone.
    const long r = ::syscall(SYS_getppid);
    ::_exit(r < 0 && errno == ENOSYS ? 0 : 11);
  }
  handoff->spawned();
  sent_write.reset();
  char byte;
  while (::read(sent_read.get(), &byte, 1) < 0 && errno == EINTR) {
  }
  // The runner dies without ever receiving: its end closes, and the listener in flight with it.
  handoff.reset();
  CHECK(exit_status_within(pid, 20) == 0);
}

TEST_CASE("A seccomp child whose runner gave up before the send stops instead of exec'ing",
          "[seccomp][handoff]") {
  std::vector<sock_filter> base = filter_on(SYS_getppid, SECCOMP_RET_USER_NOTIF);
  Handoff handoff(as_prog(base), false);
  const int child_end = handoff.child_end_above(2);
  handoff.abandon();
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close_range(3, static_cast<unsigned>(child_end) - 1, 0);
    ::close_range(static_cast<unsigned>(child_end) + 1, ~0U, 0);
    ::_exit(handoff.install_in_child() == EPIPE ? 0 : 10);
  }
  handoff.spawned();
  CHECK(exit_status_within(pid, 20) == 0);
  std::string error;
  CHECK_FALSE(handoff.receive(error));
}

}  // namespace faultline::seccomp
