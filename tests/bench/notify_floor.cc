// The kernel's floor for a seccomp user-notification backend: runs a program under a
// libseccomp filter that notifies the system calls of `read` and `write` (as faultline's
// filter does for a read,write rule) and answers every notification "continue" from a
// thread of its own, doing nothing else. What faultline's backend costs beyond this is its own.
//   bench_notify_floor [--sync-wake-up] -- PROGRAM [ARGS...]
// --sync-wake-up asks the kernel (Linux 6.6 or newer) to wake the answering thread on the
// CPU of the notifying task (SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP); it fails where the
// kernel does not have it. Exits with the program's status.
#include <seccomp.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/seccomp.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <thread>

#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

namespace {

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "bench_notify_floor: %s: %s\n", what, std::strerror(errno));
  std::_Exit(125);
}

// The child's listener, passed over a socket (sendmsg is not in the filter).
void send_fd(int sock, int fd) {
  char data = 0;
  iovec iov{&data, 1};
  alignas(cmsghdr) char space[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = space;
  msg.msg_controllen = sizeof space;
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
  if (sendmsg(sock, &msg, 0) != 1) die("sendmsg");
}

int receive_fd(int sock) {
  char data = 0;
  iovec iov{&data, 1};
  alignas(cmsghdr) char space[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = space;
  msg.msg_controllen = sizeof space;
  if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1) die("recvmsg (did the child fail?)");
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  if (!c || c->cmsg_type != SCM_RIGHTS) die("no listener received");
  int fd = -1;
  std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
  return fd;
}

// The whole loop: receive, answer "continue", nothing else.
[[noreturn]] void answer_continue(int listener) {
  seccomp_notif* req = nullptr;
  seccomp_notif_resp* resp = nullptr;
  if (seccomp_notify_alloc(&req, &resp) != 0) die("seccomp_notify_alloc");
  for (;;) {
    std::memset(req, 0, sizeof *req);
    if (seccomp_notify_receive(listener, req) != 0) continue;  // interrupted, or the task left
    resp->id = req->id;
    resp->val = 0;
    resp->error = 0;
    resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
    (void)seccomp_notify_respond(listener, resp);
  }
}

}  // namespace

int main(int argc, char** argv) {
  bool sync_wake_up = false;
  int first = 1;
  for (; first < argc; ++first) {
    std::string_view a = argv[first];
    if (a == "--sync-wake-up") {
      sync_wake_up = true;
    } else if (a == "--") {
      ++first;
      break;
    } else {
      break;
    }
  }
  if (first >= argc) {
    std::fprintf(stderr, "usage: bench_notify_floor [--sync-wake-up] -- PROGRAM [ARGS...]\n");
    return 2;
  }
  // Built before fork: the child only loads it.
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (!ctx) die("seccomp_init");
  for (const char* name : {"read", "pread64", "readv", "preadv", "preadv2", "write", "pwrite64",
                           "writev", "pwritev", "pwritev2"}) {
    int nr = seccomp_syscall_resolve_name(name);
    if (nr != __NR_SCMP_ERROR && seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, nr, 0) != 0)
      die("seccomp_rule_add");
  }
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) die("socketpair");
  pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    close(sv[0]);
    if (seccomp_load(ctx) != 0) die("seccomp_load");
    int listener = seccomp_notify_fd(ctx);
    if (listener < 0) die("seccomp_notify_fd");
    send_fd(sv[1], listener);
    close(listener);
    close(sv[1]);
    execvp(argv[first], argv + first);
    die("execvp");
  }
  close(sv[1]);
  int listener = receive_fd(sv[0]);
  close(sv[0]);
  seccomp_release(ctx);
  if (sync_wake_up &&
      ioctl(listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP) != 0)
    die("SECCOMP_IOCTL_NOTIF_SET_FLAGS (SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP needs Linux 6.6)");
  // The thread blocks in the receive ioctl for good; exit ends it.
  std::thread(answer_continue, listener).detach();
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) die("waitpid");
  }
  std::fflush(nullptr);
  if (WIFEXITED(status)) std::_Exit(WEXITSTATUS(status));
  std::_Exit(128 + WTERMSIG(status));
}
