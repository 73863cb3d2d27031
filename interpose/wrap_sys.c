/* The wrappers of the calls whose faults are error, delay, signal and (for message sends)
 * drop, generated from calls.def: family SYS, and family TRACK, whose export keeps the
 * interposer's books (fd cache, created objects, epoll interest) with two hooks per call
 * written here; and connect, by hand. Each wrapper checks its armed bit and calls the real
 * function; only when a rule exists for the call does it take the slow path (decide.c, whose
 * house rules hold here). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <netinet/in.h>
#include <stddef.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/un.h>
#include <unistd.h>

#include "wrap.h"

/* ---- calls whose faults are error, delay, signal and drop: generated from the table ----- */

/* Calls whose effect Linux carries out whatever error it reports, so that an injected error
 * does the real call first (docs/faults.md, "Errors and what the kernel leaves behind"):
 * close releases the fd even when it returns EINTR or EIO (close(2)), and after any close
 * error the fd is not open; shmdt's only error, EINVAL, says nothing is attached at the
 * address, so after it nothing is. */
static int fl_effect_stays(int call) { return call == FL_CALL_close || call == FL_CALL_shmdt; }

/* The slow path is a separate function so that the wrapper itself is a test and a jump. */
#define FL_GEN_SLOW(name, ret, fail, params, args, object)                                  \
  __attribute__((noinline)) static ret name##_slow(uint64_t fl_caller, FL_UNPAREN params) { \
    const struct fl_obj fl_o = FL_OBJ_##object;                                             \
    struct fl_shot s;                                                                       \
    if (!fl_decide(&s, FL_CALL_##name, &fl_o, fl_caller)) return REAL(name) args;           \
    if (s.action == FL_ACT_ERROR) {                                                         \
      if (fl_effect_stays(FL_CALL_##name)) (void)REAL(name) args;                           \
      fl_fail(&s);                                                                          \
      return (fail);                                                                        \
    }                                                                                       \
    if (s.action == FL_ACT_DROP) { /* a message send: reported sent, never delivered */     \
      fl_record(&s, 0, 0, 0);                                                               \
      return (ret)0;                                                                        \
    }                                                                                       \
    ret r = REAL(name) args;                                                                \
    fl_after(&s, r == (fail) ? -1 : (int64_t)(intptr_t)r, 0);                               \
    return r;                                                                               \
  }

#define FL_GEN_SYS(name, ret, fail, params, args, object, data)                   \
  FL_GEN_SLOW(name, ret, fail, params, args, object)                              \
  FL_EXPORT ret name params {                                                     \
    if (fl_is_armed(FL_CALL_##name)) return name##_slow(CALLER, FL_UNPAREN args); \
    return REAL(name) args;                                                       \
  }

/* TRACK rows: as SYS, and the export keeps the interposer's books around the call with the
 * two hooks of its row below: fl_before_NAME(&r, args) runs first and returns 1 when the call
 * is not to be made at all (*r its result); fl_after_NAME(r, armed, args) runs after the call
 * (`armed`: it took the slow path) and returns what the wrapper returns. */
#define FL_GEN_TRACK(name, ret, fail, params, args, object, data)                 \
  FL_GEN_SLOW(name, ret, fail, params, args, object)                              \
  FL_EXPORT ret name params {                                                     \
    ret fl_r;                                                                     \
    if (fl_before_##name(&fl_r, FL_UNPAREN args)) return fl_r;                    \
    int fl_armed_now = fl_is_armed(FL_CALL_##name);                               \
    fl_r = fl_armed_now ? name##_slow(CALLER, FL_UNPAREN args) : REAL(name) args; \
    return fl_after_##name(fl_r, fl_armed_now, FL_UNPAREN args);                  \
  }

/* ---- the books the TRACK rows keep ---------------------------------------------------------- */

/* Rows with nothing to do before the call (their parameters go unused). */
#define FL_NOTHING_BEFORE(name, params)                                                            \
  _Pragma("GCC diagnostic push")                                                                   \
      _Pragma("GCC diagnostic ignored \"-Wunused-parameter\"") static inline int fl_before_##name( \
          int* r, FL_UNPAREN params) {                                                             \
    (void)r;                                                                                       \
    return 0;                                                                                      \
  }                                                                                                \
  _Pragma("GCC diagnostic pop")

/* Objects the processes create, for the leak check (leaks.c). */
static inline int fl_sysv_created(int call, unsigned kind, int r, key_t key, int flags) {
  if (r >= 0 && (flags & IPC_CREAT) && fl_ctl) fl_note_created(call, kind, r, key, AT_FDCWD, 0);
  return r;
}

FL_NOTHING_BEFORE(msgget, (key_t key, int flags))
static inline int fl_after_msgget(int r, int armed, key_t key, int flags) {
  (void)armed;
  return fl_sysv_created(FL_CALL_msgget, FL_OBJECT_MSGQUEUE, r, key, flags);
}

FL_NOTHING_BEFORE(shmget, (key_t key, size_t size, int flags))
static inline int fl_after_shmget(int r, int armed, key_t key, size_t size, int flags) {
  (void)armed, (void)size;
  return fl_sysv_created(FL_CALL_shmget, FL_OBJECT_SHM, r, key, flags);
}

FL_NOTHING_BEFORE(semget, (key_t key, int nsems, int flags))
static inline int fl_after_semget(int r, int armed, key_t key, int nsems, int flags) {
  (void)armed, (void)nsems;
  return fl_sysv_created(FL_CALL_semget, FL_OBJECT_SEMAPHORE, r, key, flags);
}

FL_NOTHING_BEFORE(mkfifo, (const char* path, mode_t mode))
static inline int fl_after_mkfifo(int r, int armed, const char* path, mode_t mode) {
  (void)armed, (void)mode;
  if (r == 0 && fl_ctl) fl_note_created(FL_CALL_mkfifo, FL_OBJECT_FIFO, -1, 0, AT_FDCWD, path);
  return r;
}

FL_NOTHING_BEFORE(mkfifoat, (int dirfd, const char* path, mode_t mode))
static inline int fl_after_mkfifoat(int r, int armed, int dirfd, const char* path, mode_t mode) {
  (void)armed, (void)mode;
  if (r == 0 && fl_ctl) fl_note_created(FL_CALL_mkfifoat, FL_OBJECT_FIFO, -1, 0, dirfd, path);
  return r;
}

FL_NOTHING_BEFORE(shm_open, (const char* name, int flags, mode_t mode))
static inline int fl_after_shm_open(int r, int armed, const char* name, int flags, mode_t mode) {
  (void)armed, (void)mode;
  if (r >= 0 && (flags & O_CREAT) && fl_ctl)
    fl_note_created(FL_CALL_shm_open, FL_OBJECT_POSIX_SHM, -1, 0, AT_FDCWD, name);
  return r;
}

/* The fd's object goes away or changes: what the cache knows of the fd no longer holds. An
 * armed call is forgotten again afterwards: deciding on it classified the fd as it was. */
static inline int fl_before_close(int* r, int fd) {
  /* The control file the interposer keeps for the programs this one starts: a program that
   * closes every fd it did not open ("close all fds above 2") closes it here in vain, as it
   * would an fd that was never open, but learns nothing of it (how-it-works.md). */
  if (fl_is_control_fd(fd)) {
    *r = 0;
    return 1;
  }
  fl_fd_forget(fd);
  return 0;
}
static inline int fl_after_close(int r, int armed, int fd) {
  if (armed) fl_fd_forget(fd);
  return r;
}

static inline int fl_before_dup2(int* r, int fd, int fd2) {
  (void)r, (void)fd;
  fl_fd_forget(fd2);
  fl_control_fd_taken(fd2);
  return 0;
}
static inline int fl_after_dup2(int r, int armed, int fd, int fd2) {
  (void)armed, (void)fd, (void)fd2;
  return r;
}

static inline int fl_before_dup3(int* r, int fd, int fd2, int flags) {
  (void)r, (void)fd, (void)flags;
  fl_fd_forget(fd2);
  fl_control_fd_taken(fd2);
  return 0;
}
static inline int fl_after_dup3(int r, int armed, int fd, int fd2, int flags) {
  (void)armed, (void)fd, (void)fd2, (void)flags;
  return r;
}

static inline int fl_before_bind(int* r, int fd, __CONST_SOCKADDR_ARG addr, socklen_t len) {
  (void)r, (void)addr, (void)len;
  fl_fd_forget(fd);
  return 0;
}
static inline int fl_after_bind(int r, int armed, int fd, __CONST_SOCKADDR_ARG addr,
                                socklen_t len) {
  if (armed) fl_fd_forget(fd);
  /* A bound Unix socket leaves a file behind until someone unlinks it. */
  const struct sockaddr_un* un = (const struct sockaddr_un*)addr.__sockaddr__;
  if (r == 0 && fl_ctl && un && un->sun_family == AF_UNIX &&
      len > offsetof(struct sockaddr_un, sun_path) && un->sun_path[0] != '\0') {
    char path[sizeof un->sun_path + 1];
    size_t n = len - offsetof(struct sockaddr_un, sun_path);
    if (n > sizeof un->sun_path) n = sizeof un->sun_path;
    memcpy(path, un->sun_path, n);
    path[n] = '\0';
    fl_note_created(FL_CALL_bind, FL_OBJECT_SOCKET, -1, 0, AT_FDCWD, path);
  }
  return r;
}

/* epoll_ctl is armed whenever a spurious rule covers epoll_wait/epoll_pwait (interpose.c), so
 * that the interest a spurious epoll_wait reports is known (wrap_ready.c). */
FL_NOTHING_BEFORE(epoll_ctl, (int epfd, int op, int fd, struct epoll_event* ev))
static inline int fl_after_epoll_ctl(int r, int armed, int epfd, int op, int fd,
                                     struct epoll_event* ev) {
  (void)fd;
  if (armed) fl_epoll_interest(r, epfd, op, ev);
  return r;
}

#include "wrap_rows.h"

/* connect: an injected error leaves the socket as the kernel would have left it with that
 * error. A connection "under way" is one the kernel goes on making after connect returns:
 * on a TCP (AF_INET/AF_INET6 stream) socket after EINTR (inet_stream_connect waits for the
 * handshake and a signal ends the wait, not the handshake), and after EINPROGRESS or
 * EALREADY on any socket. After EISCONN the socket is connected. After every other error
 * (and EINTR on a Unix or datagram socket, which gives up before connecting) there is no
 * connection, which is what not calling connect leaves. */
enum fl_connect_after { FL_CONN_NONE, FL_CONN_UNDER_WAY, FL_CONN_MADE };

static int fl_is_tcp(int fd) {
  int domain = 0, type = 0;
  socklen_t len = sizeof domain;
  if (syscall(SYS_getsockopt, fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0) return 0;
  len = sizeof type;
  if (syscall(SYS_getsockopt, fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0) return 0;
  return (domain == AF_INET || domain == AF_INET6) && type == SOCK_STREAM;
}

static enum fl_connect_after fl_connect_after(int fd, int err) {
  switch (err) {
    case EINPROGRESS:
    case EALREADY:
      return fl_is_tcp(fd) ? FL_CONN_UNDER_WAY : FL_CONN_MADE;
    case EINTR:
      return fl_is_tcp(fd) ? FL_CONN_UNDER_WAY : FL_CONN_NONE;
    case EISCONN:
      return FL_CONN_MADE;
  }
  return FL_CONN_NONE;
}

/* Starts the connection without waiting for it, as the kernel does before the wait a signal
 * interrupts: a blocking socket is made non-blocking for the one call. (Another thread using
 * the same open file at that instant would see O_NONBLOCK.) */
static int fl_connect_start(int fd, __CONST_SOCKADDR_ARG addr, socklen_t len) {
  long flags = syscall(SYS_fcntl, fd, F_GETFL);
  int blocking = flags >= 0 && !(flags & O_NONBLOCK);
  if (blocking) syscall(SYS_fcntl, fd, F_SETFL, flags | O_NONBLOCK);
  int r = REAL(connect)(fd, addr, len);
  int err = errno;
  if (blocking) syscall(SYS_fcntl, fd, F_SETFL, flags);
  errno = err;
  return r;
}

__attribute__((noinline)) static int connect_slow(uint64_t caller, int fd,
                                                  __CONST_SOCKADDR_ARG addr, socklen_t len) {
  const struct fl_obj obj = FL_OBJ_FD(fd);
  struct fl_shot s;
  if (!fl_decide(&s, FL_CALL_connect, &obj, caller)) return REAL(connect)(fd, addr, len);
  if (s.action == FL_ACT_ERROR) {
    int saved = errno;
    enum fl_connect_after after = fl_connect_after(fd, s.arg);
    errno = saved;
    if (after != FL_CONN_NONE) {
      int r = after == FL_CONN_UNDER_WAY ? fl_connect_start(fd, addr, len)
                                         : REAL(connect)(fd, addr, len);
      if (r != 0 && errno != EINPROGRESS && errno != EALREADY && errno != EISCONN) {
        /* No connection to leave behind (refused, unreachable, ...): the kernel would have
         * said so rather than the injected errno, and so does the call; the event has it. */
        fl_after(&s, r, 0);
        return r;
      }
    }
    return (int)fl_fail(&s);
  }
  int r = REAL(connect)(fd, addr, len);
  fl_after(&s, r, 0);
  return r;
}

/* Hand-written: an injected error leaves the connection the kernel would have left (under
 * way, made), which the generated error path (no real call) cannot express. */
FL_EXPORT int connect(int fd, __CONST_SOCKADDR_ARG addr, socklen_t len) {
  fl_fd_forget(fd);
  if (fl_is_armed(FL_CALL_connect)) {
    int r = connect_slow(CALLER, fd, addr, len);
    fl_fd_forget(fd);
    return r;
  }
  return REAL(connect)(fd, addr, len);
}
