/* The exported wrappers, one per row of calls.def. Each one checks its armed bit and calls
 * the real function; only when a rule exists for the call does it take the slow path that
 * asks the rule engine and applies the fault. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "interpose.h"
#include "rule_engine.h"

/* The fortified spellings; declared here because their headers only do so under
 * _FORTIFY_SOURCE, which the interposer is built without. */
ssize_t __read_chk(int fd, void* buf, size_t nbytes, size_t buflen);
ssize_t __recv_chk(int fd, void* buf, size_t len, size_t buflen, int flags);
ssize_t __recvfrom_chk(int fd, void* buf, size_t len, size_t buflen, int flags, __SOCKADDR_ARG addr,
                       socklen_t* addrlen);
extern void __chk_fail(void) __attribute__((noreturn));

#define FL_EXPORT __attribute__((visibility("default")))
#define FL_UNPAREN(...) __VA_ARGS__
#define REAL(name) ((__typeof__(&name))fl_real_fn(FL_CALL_##name))
#define CALLER ((uint64_t)(uintptr_t)__builtin_return_address(0))
#define FL_IOV_MAX 64

/* A fault that fires for one call. */
struct fl_shot {
  int call;
  int rule; /* -1: nothing fires */
  int fd;
  uint64_t hit;
  uint64_t caller;
  uint32_t action;
  int32_t arg;
};

static unsigned fl_fd_class(int fd) {
  struct stat st;
  /* An fd that cannot be examined is not one of the program's files. */
  if (syscall(SYS_fstat, fd, &st) != 0) return FL_FD_IPC;
  return S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) ? FL_FD_IPC : FL_FD_FILE;
}

static void fl_record(const struct fl_shot* s, int64_t result, int err, int64_t bytes) {
  int saved = errno;
  fl_event_write(fl_ctl, s->call, s->rule, s->fd, result, err, bytes, s->caller,
                 (int32_t)syscall(SYS_getpid), (int32_t)syscall(SYS_gettid), fl_process);
  errno = saved;
}

/* Asks the rule engine; on a fire, performs what comes before the real call (delay, signal).
 * Returns 1 when a rule fired. errno is left as the caller had it. */
static int fl_decide(struct fl_shot* s, int call, int fd, int on_fd, uint64_t caller) {
  s->rule = -1;
  struct fl_control* ctl = fl_ctl;
  if (!ctl || fl_busy) return 0;
  fl_busy = 1;
  int saved = errno;
  unsigned cls = on_fd ? fl_fd_class(fd) : FL_FD_IPC;
  uint64_t hit = 0;
  int rule = fl_rules_decide(ctl, call, fl_process, cls, &hit);
  if (rule >= 0) {
    s->call = call;
    s->rule = rule;
    s->fd = fd;
    s->hit = hit;
    s->caller = caller;
    s->action = ctl->rules[rule].action;
    s->arg = ctl->rules[rule].arg;
    if (s->action == FL_ACT_DELAY) {
      uint64_t ns = fl_rules_delay_ns(ctl, rule, hit);
      struct timespec ts = {(time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull)};
      while (syscall(SYS_nanosleep, &ts, &ts) != 0 && errno == EINTR) {
      }
    } else if (s->action == FL_ACT_SIGNAL) {
      /* Recorded first: the signal may well end the process. */
      fl_record(s, 0, 0, 0);
      fl_busy = 0;
      syscall(SYS_tgkill, syscall(SYS_getpid), syscall(SYS_gettid), s->arg);
    }
  }
  fl_busy = 0;
  errno = saved;
  return rule >= 0;
}

/* After the real call of a fired rule: records the outcome, errno untouched. */
static void fl_after(const struct fl_shot* s, int64_t result, int64_t bytes) {
  if (s->rule < 0 || s->action == FL_ACT_SIGNAL) return;
  fl_record(s, result, result < 0 ? errno : 0, bytes);
}

static int64_t fl_fail(const struct fl_shot* s) {
  fl_record(s, -1, s->arg, 0);
  errno = s->arg;
  return -1;
}

/* ---- calls whose faults are error, delay and signal ---------------------------------- */

/* The slow path is a separate function so that the wrapper itself is a test and a jump. */
#define FL_WRAP_SYS(ret, name, fail, fdexpr, on_fd, params, args)                           \
  __attribute__((noinline)) static ret name##_slow(uint64_t fl_caller, FL_UNPAREN params) { \
    struct fl_shot s;                                                                       \
    if (fl_decide(&s, FL_CALL_##name, (fdexpr), (on_fd), fl_caller)) {                      \
      if (s.action == FL_ACT_ERROR) {                                                       \
        fl_fail(&s);                                                                        \
        return (fail);                                                                      \
      }                                                                                     \
      ret r = REAL(name) args;                                                              \
      fl_after(&s, r == (fail) ? -1 : (int64_t)(intptr_t)r, 0);                             \
      return r;                                                                             \
    }                                                                                       \
    return REAL(name) args;                                                                 \
  }                                                                                         \
  FL_EXPORT ret name params {                                                               \
    if (fl_is_armed(FL_CALL_##name)) return name##_slow(CALLER, FL_UNPAREN args);           \
    return REAL(name) args;                                                                 \
  }

FL_WRAP_SYS(int, accept, -1, fd, 0, (int fd, __SOCKADDR_ARG addr, socklen_t* len), (fd, addr, len))
FL_WRAP_SYS(int, accept4, -1, fd, 0, (int fd, __SOCKADDR_ARG addr, socklen_t* len, int flags),
            (fd, addr, len, flags))
FL_WRAP_SYS(int, connect, -1, fd, 0, (int fd, __CONST_SOCKADDR_ARG addr, socklen_t len),
            (fd, addr, len))
FL_WRAP_SYS(int, msgsnd, -1, id, 0, (int id, const void* msg, size_t size, int flags),
            (id, msg, size, flags))
FL_WRAP_SYS(ssize_t, msgrcv, -1, id, 0, (int id, void* msg, size_t size, long type, int flags),
            (id, msg, size, type, flags))
FL_WRAP_SYS(int, shmget, -1, -1, 0, (key_t key, size_t size, int flags), (key, size, flags))
FL_WRAP_SYS(void*, shmat, (void*)-1, id, 0, (int id, const void* addr, int flags),
            (id, addr, flags))
FL_WRAP_SYS(int, close, -1, fd, 1, (int fd), (fd))
FL_WRAP_SYS(int, msgget, -1, -1, 0, (key_t key, int flags), (key, flags))
FL_WRAP_SYS(int, msgctl, -1, id, 0, (int id, int cmd, struct msqid_ds* buf), (id, cmd, buf))
FL_WRAP_SYS(int, shmdt, -1, -1, 0, (const void* addr), (addr))
FL_WRAP_SYS(int, shmctl, -1, id, 0, (int id, int cmd, struct shmid_ds* buf), (id, cmd, buf))
FL_WRAP_SYS(int, pipe, -1, -1, 0, (int fds[2]), (fds))
FL_WRAP_SYS(int, pipe2, -1, -1, 0, (int fds[2], int flags), (fds, flags))
FL_WRAP_SYS(int, socket, -1, -1, 0, (int domain, int type, int protocol), (domain, type, protocol))
FL_WRAP_SYS(int, bind, -1, fd, 0, (int fd, __CONST_SOCKADDR_ARG addr, socklen_t len),
            (fd, addr, len))
FL_WRAP_SYS(int, listen, -1, fd, 0, (int fd, int backlog), (fd, backlog))
FL_WRAP_SYS(int, semget, -1, -1, 0, (key_t key, int nsems, int flags), (key, nsems, flags))
FL_WRAP_SYS(int, semop, -1, id, 0, (int id, struct sembuf* ops, size_t nops), (id, ops, nops))

/* ---- data calls on an fd: also short and eof ------------------------------------------ */

/* One data call; `len` may be lowered by a short fault before the real call. */
struct fl_io {
  int call;
  int fd;
  void* buf;
  size_t len;
  size_t buflen; /* __*_chk only */
  int flags;
  void* addr; /* recvfrom: struct sockaddr*, sendto: const struct sockaddr* */
  socklen_t* addrlen;
  socklen_t daddrlen;
};

static ssize_t fl_io_real(const struct fl_io* io, size_t len) {
  switch (io->call) {
    case FL_CALL_read:
      return REAL(read)(io->fd, io->buf, len);
    case FL_CALL___read_chk:
      return REAL(__read_chk)(io->fd, io->buf, len, io->buflen);
    case FL_CALL_write:
      return REAL(write)(io->fd, io->buf, len);
    case FL_CALL_recv:
      return REAL(recv)(io->fd, io->buf, len, io->flags);
    case FL_CALL___recv_chk:
      return REAL(__recv_chk)(io->fd, io->buf, len, io->buflen, io->flags);
    case FL_CALL_recvfrom:
      return REAL(recvfrom)(io->fd, io->buf, len, io->flags, io->addr, io->addrlen);
    case FL_CALL___recvfrom_chk:
      return REAL(__recvfrom_chk)(io->fd, io->buf, len, io->buflen, io->flags, io->addr,
                                  io->addrlen);
    case FL_CALL_send:
      return REAL(send)(io->fd, io->buf, len, io->flags);
    case FL_CALL_sendto:
      return REAL(sendto)(io->fd, io->buf, len, io->flags, io->addr, io->daddrlen);
  }
  errno = ENOSYS;
  return -1;
}

__attribute__((noinline)) static ssize_t fl_io_slow(int call, int fd, void* buf, size_t n,
                                                    size_t buflen, int flags, void* addr,
                                                    socklen_t* addrlen, socklen_t daddrlen,
                                                    uint64_t caller) {
  if (call == FL_CALL___read_chk || call == FL_CALL___recv_chk || call == FL_CALL___recvfrom_chk) {
    if (n > buflen) __chk_fail();
  }
  const struct fl_io iob = {call, fd, buf, n, buflen, flags, addr, addrlen, daddrlen};
  const struct fl_io* io = &iob;
  struct fl_shot s;
  if (!fl_decide(&s, io->call, io->fd, 1, caller)) return fl_io_real(io, io->len);
  size_t len = io->len;
  switch (s.action) {
    case FL_ACT_ERROR:
      return (ssize_t)fl_fail(&s);
    case FL_ACT_EOF:
      fl_record(&s, 0, 0, 0);
      return 0;
    case FL_ACT_SHORT:
      if (s.arg >= 0 && (size_t)s.arg < len) len = (size_t)s.arg;
      break;
  }
  ssize_t r = fl_io_real(io, len);
  fl_after(&s, r, r > 0 ? r : 0);
  return r;
}

FL_EXPORT ssize_t read(int fd, void* buf, size_t n) {
  if (fl_is_armed(FL_CALL_read)) return fl_io_slow(FL_CALL_read, fd, buf, n, 0, 0, 0, 0, 0, CALLER);
  return REAL(read)(fd, buf, n);
}

FL_EXPORT ssize_t __read_chk(int fd, void* buf, size_t n, size_t buflen) {
  if (fl_is_armed(FL_CALL___read_chk))
    return fl_io_slow(FL_CALL___read_chk, fd, buf, n, buflen, 0, 0, 0, 0, CALLER);
  return REAL(__read_chk)(fd, buf, n, buflen);
}

FL_EXPORT ssize_t write(int fd, const void* buf, size_t n) {
  if (fl_is_armed(FL_CALL_write))
    return fl_io_slow(FL_CALL_write, fd, (void*)buf, n, 0, 0, 0, 0, 0, CALLER);
  return REAL(write)(fd, buf, n);
}

FL_EXPORT ssize_t recv(int fd, void* buf, size_t n, int flags) {
  if (fl_is_armed(FL_CALL_recv))
    return fl_io_slow(FL_CALL_recv, fd, buf, n, 0, flags, 0, 0, 0, CALLER);
  return REAL(recv)(fd, buf, n, flags);
}

FL_EXPORT ssize_t __recv_chk(int fd, void* buf, size_t n, size_t buflen, int flags) {
  if (fl_is_armed(FL_CALL___recv_chk))
    return fl_io_slow(FL_CALL___recv_chk, fd, buf, n, buflen, flags, 0, 0, 0, CALLER);
  return REAL(__recv_chk)(fd, buf, n, buflen, flags);
}

FL_EXPORT ssize_t recvfrom(int fd, void* buf, size_t n, int flags, __SOCKADDR_ARG addr,
                           socklen_t* addrlen) {
  if (fl_is_armed(FL_CALL_recvfrom))
    return fl_io_slow(FL_CALL_recvfrom, fd, buf, n, 0, flags, addr.__sockaddr__, addrlen, 0,
                      CALLER);
  return REAL(recvfrom)(fd, buf, n, flags, addr, addrlen);
}

FL_EXPORT ssize_t __recvfrom_chk(int fd, void* buf, size_t n, size_t buflen, int flags,
                                 __SOCKADDR_ARG addr, socklen_t* addrlen) {
  if (fl_is_armed(FL_CALL___recvfrom_chk))
    return fl_io_slow(FL_CALL___recvfrom_chk, fd, buf, n, buflen, flags, addr.__sockaddr__, addrlen,
                      0, CALLER);
  return REAL(__recvfrom_chk)(fd, buf, n, buflen, flags, addr, addrlen);
}

FL_EXPORT ssize_t send(int fd, const void* buf, size_t n, int flags) {
  if (fl_is_armed(FL_CALL_send))
    return fl_io_slow(FL_CALL_send, fd, (void*)buf, n, 0, flags, 0, 0, 0, CALLER);
  return REAL(send)(fd, buf, n, flags);
}

FL_EXPORT ssize_t sendto(int fd, const void* buf, size_t n, int flags, __CONST_SOCKADDR_ARG addr,
                         socklen_t addrlen) {
  if (fl_is_armed(FL_CALL_sendto))
    return fl_io_slow(FL_CALL_sendto, fd, (void*)buf, n, 0, flags, (void*)addr.__sockaddr__, 0,
                      addrlen, CALLER);
  return REAL(sendto)(fd, buf, n, flags, addr, addrlen);
}

/* ---- vectored data calls ------------------------------------------------------------- */

/* The first `limit` bytes of an iovec array, in at most FL_IOV_MAX entries (fewer bytes when
 * more entries would be needed: still "at most N"). */
static int fl_iov_limit(const struct iovec* iov, int cnt, size_t limit, struct iovec* out) {
  int k = 0;
  for (int i = 0; i < cnt && k < FL_IOV_MAX && limit > 0; ++i) {
    size_t l = iov[i].iov_len < limit ? iov[i].iov_len : limit;
    if (l == 0) continue;
    out[k].iov_base = iov[i].iov_base;
    out[k].iov_len = l;
    ++k;
    limit -= l;
  }
  return k;
}

__attribute__((noinline)) static ssize_t fl_vec_slow(int call, int fd, const struct iovec* iov,
                                                     int cnt, struct msghdr* msg, int flags,
                                                     uint64_t caller) {
  struct fl_shot s;
  struct iovec part[FL_IOV_MAX];
  int limited = 0;
  if (fl_decide(&s, call, fd, 1, caller)) {
    switch (s.action) {
      case FL_ACT_ERROR:
        return (ssize_t)fl_fail(&s);
      case FL_ACT_EOF:
        fl_record(&s, 0, 0, 0);
        return 0;
      case FL_ACT_SHORT:
        limited = 1;
        break;
    }
  }
  ssize_t r;
  if (msg) {
    struct msghdr m = *msg;
    if (limited) {
      m.msg_iov = part;
      m.msg_iovlen = (size_t)fl_iov_limit(msg->msg_iov, (int)msg->msg_iovlen,
                                          (size_t)(s.arg < 0 ? 0 : s.arg), part);
    }
    r = call == FL_CALL_recvmsg ? REAL(recvmsg)(fd, &m, flags) : REAL(sendmsg)(fd, &m, flags);
    if (call == FL_CALL_recvmsg) {
      msg->msg_namelen = m.msg_namelen;
      msg->msg_controllen = m.msg_controllen;
      msg->msg_flags = m.msg_flags;
    }
  } else {
    if (limited) {
      cnt = fl_iov_limit(iov, cnt, (size_t)(s.arg < 0 ? 0 : s.arg), part);
      iov = part;
    }
    r = call == FL_CALL_readv ? REAL(readv)(fd, iov, cnt) : REAL(writev)(fd, iov, cnt);
  }
  fl_after(&s, r, r > 0 ? r : 0);
  return r;
}

FL_EXPORT ssize_t readv(int fd, const struct iovec* iov, int cnt) {
  if (fl_is_armed(FL_CALL_readv)) return fl_vec_slow(FL_CALL_readv, fd, iov, cnt, 0, 0, CALLER);
  return REAL(readv)(fd, iov, cnt);
}

FL_EXPORT ssize_t writev(int fd, const struct iovec* iov, int cnt) {
  if (fl_is_armed(FL_CALL_writev)) return fl_vec_slow(FL_CALL_writev, fd, iov, cnt, 0, 0, CALLER);
  return REAL(writev)(fd, iov, cnt);
}

FL_EXPORT ssize_t recvmsg(int fd, struct msghdr* msg, int flags) {
  if (fl_is_armed(FL_CALL_recvmsg))
    return fl_vec_slow(FL_CALL_recvmsg, fd, 0, 0, msg, flags, CALLER);
  return REAL(recvmsg)(fd, msg, flags);
}

FL_EXPORT ssize_t sendmsg(int fd, const struct msghdr* msg, int flags) {
  if (fl_is_armed(FL_CALL_sendmsg))
    return fl_vec_slow(FL_CALL_sendmsg, fd, 0, 0, (struct msghdr*)msg, flags, CALLER);
  return REAL(sendmsg)(fd, msg, flags);
}
