/* Internals shared by the wrapper files (wrap_*.c) and the call path they take when armed:
 * what a call is on (fd_attribution.c), deciding and recording (decide.c), reset marks
 * (reset.c), the objects processes create (leaks.c). The house rules of the call path are at
 * the top of decide.c. Nothing here is exported: hidden visibility, and the version script
 * exports only the rows of calls.def, hooks.def and observe.def. */
#ifndef FAULTLINE_WRAP_H
#define FAULTLINE_WRAP_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>

#include "interpose.h"
#include "rule_engine.h"

/* The fortified and 64-bit spellings; declared here because their headers only do so under
 * _FORTIFY_SOURCE or other feature macros, which the interposer is built without. */
ssize_t __read_chk(int fd, void* buf, size_t nbytes, size_t buflen);
ssize_t __recv_chk(int fd, void* buf, size_t len, size_t buflen, int flags);
ssize_t __recvfrom_chk(int fd, void* buf, size_t len, size_t buflen, int flags, __SOCKADDR_ARG addr,
                       socklen_t* addrlen);
int __open_2(const char* path, int flags);
int __open64_2(const char* path, int flags);
int __openat_2(int dirfd, const char* path, int flags);
int __openat64_2(int dirfd, const char* path, int flags);
int __poll_chk(struct pollfd* fds, nfds_t n, int timeout, size_t fdslen);
int __ppoll_chk(struct pollfd* fds, nfds_t n, const struct timespec* t, const sigset_t* mask,
                size_t fdslen);
extern void __chk_fail(void) __attribute__((noreturn));

#define FL_EXPORT __attribute__((visibility("default")))
#define FL_UNPAREN(...) __VA_ARGS__
#define REAL(name) ((__typeof__(&name))fl_real_fn(FL_CALL_##name))
#define CALLER ((uint64_t)(uintptr_t)__builtin_return_address(0))
#define FL_IOV_MAX 64
#define FL_FD_TABLE 1024 /* fds tracked for reset and epoll bookkeeping (the fd cache: all) */

/* ---- what a call is on ------------------------------------------------------------------ */

enum fl_obj_kind { FL_O_NONE, FL_O_FD, FL_O_ID, FL_O_KEY, FL_O_PATH, FL_O_NAME, FL_O_MAP };

struct fl_obj {
  int kind;
  int fd; /* FD, MAP: the fd; ID: the SysV id; PATH: the directory fd */
  long key;
  const char* path;
  int flags;
};

#define FL_OBJ_NONE() \
  { FL_O_NONE, -1, 0, 0, 0 }
#define FL_OBJ_FD(x) \
  { FL_O_FD, (int)(x), 0, 0, 0 }
#define FL_OBJ_ID(x) \
  { FL_O_ID, (int)(x), 0, 0, 0 }
#define FL_OBJ_KEY(x) \
  { FL_O_KEY, -1, (long)(x), 0, 0 }
#define FL_OBJ_PATH(p) \
  { FL_O_PATH, AT_FDCWD, 0, (p), 0 }
#define FL_OBJ_AT(d, p) \
  { FL_O_PATH, (d), 0, (p), 0 }
#define FL_OBJ_NAME(p) \
  { FL_O_NAME, -1, 0, (p), 0 }
#define FL_OBJ_MAP(f, d) \
  { FL_O_MAP, (int)(d), 0, 0, (f) }

/* A fault that fires for one call. */
struct fl_shot {
  struct fl_subject subject; /* first: the resolvers get the shot from the subject */
  const struct fl_obj* obj;
  int rule; /* -1: nothing fires */
  uint64_t hit;
  uint32_t action;
  int32_t arg;
  /* The fd's class, channel and stream-ness came from the fd cache (which can be out of
   * date), the cache entry having been made when the fd had this identity (fl_fd_ident). */
  int fd_cached;
  uint64_t fd_ident;
  unsigned why; /* enum fl_why: the fault is possible but not realistic here; 0: it is */
};
_Static_assert(offsetof(struct fl_shot, subject) == 0, "fl_shot starts with its subject");

#pragma GCC visibility push(hidden)

/* ---- what a call is on: fd_attribution.c ------------------------------------------------ */

/* fl_subject.resolve for every call: the class, channel, stream-ness and shape of the call's
 * object (s->context, a struct fl_obj), an fd's from the fd cache when it knows them. */
void fl_resolve_subject(struct fl_subject* s, unsigned need);
/* fl_subject.confirm for fd calls: a fault is about to fire on what the fd cache said. */
int fl_confirm_fd(struct fl_subject* s);
/* fl_subject.may_be_channel for every call: 0 when the object cannot be that channel. */
int fl_may_be_channel(const struct fl_subject* s, int index);

/* The fd cache is on once any entry was made (fd_attribution.c): until then forgetting an fd
 * is one load and a branch. */
extern _Atomic int fl_fd_cache_on;
void fl_fd_forget_entry(int fd);
static inline void fl_fd_forget(int fd) {
  if (__builtin_expect(atomic_load_explicit(&fl_fd_cache_on, memory_order_relaxed), 0) && fd >= 0)
    fl_fd_forget_entry(fd);
}
void fl_fd_forget_from(unsigned first, unsigned last);

/* ---- deciding and recording: decide.c ---------------------------------------------------- */

/* Asks the rule engine; on a fire, performs what comes before the real call (delay, signal).
 * Returns 1 when a rule fired. errno is left as the caller had it. `nowait`: the call itself
 * asks not to wait (MSG_DONTWAIT). */
int fl_decide_io(struct fl_shot* s, int call, const struct fl_obj* obj, uint64_t caller,
                 uint64_t size, int nowait);
static inline int fl_decide_sized(struct fl_shot* s, int call, const struct fl_obj* obj,
                                  uint64_t caller, uint64_t size) {
  return fl_decide_io(s, call, obj, caller, size, 0);
}
static inline int fl_decide(struct fl_shot* s, int call, const struct fl_obj* obj,
                            uint64_t caller) {
  return fl_decide_sized(s, call, obj, caller, FL_SIZE_UNKNOWN);
}
/* Appends the fired fault's event, errno untouched. */
void fl_record(struct fl_shot* s, int64_t result, int err, int64_t bytes);
/* After the real call of a fired rule: records the outcome, errno untouched. */
void fl_after(struct fl_shot* s, int64_t result, int64_t bytes);
/* An injected error (the rule's, or `err`): recorded, errno set, -1 returned. */
int64_t fl_fail_with(struct fl_shot* s, int err);
int64_t fl_fail(struct fl_shot* s);
/* An injected error on a send or write, with the SIGPIPE an EPIPE brings. */
int64_t fl_fail_send(struct fl_shot* s, int flags);

/* ---- reset: a connection that fails from now on (reset.c) --------------------------------- */

/* Whether a reset fault killed the socket on fd (checked by inode). */
int fl_is_reset(int fd);
/* Applies a fired reset: the fd fails with ECONNRESET from now on, its peer sees it end. */
int64_t fl_reset(struct fl_shot* s, int fd);

/* ---- readiness (wrap_ready.c) ------------------------------------------------------------ */

/* After an armed epoll_ctl returned r: the interest a spurious epoll_wait reports. */
struct epoll_event;
void fl_epoll_interest(int r, int epfd, int op, const struct epoll_event* ev);

/* ---- objects the processes create, for the leak check (leaks.c) ------------------------- */

/* Records one created object in the control block (no-op without one). `dirfd`/`path`: a
 * relative path is made absolute from the directory (AT_FDCWD: the working directory). */
void fl_note_created(int call, unsigned kind, int id, long key, int dirfd, const char* path);

#pragma GCC visibility pop

#endif /* FAULTLINE_WRAP_H */
