/* The wrappers of the readiness calls (poll, select, epoll_wait and their spellings),
 * generated from calls.def (family POLL): error, delay, signal, and spurious, which reports
 * readiness that is not there. Each wrapper checks its armed bit and calls the real function;
 * only when a rule exists for the call does it take the slow path (decide.c, whose house
 * rules hold here). Their object is none (always IPC), as calls.def says. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <time.h>

#include "wrap.h"

/* Per epoll fd of this process: the last interest registered (epoll_ctl), which a spurious
 * epoll_wait reports as ready. Written only when a spurious rule exists. */
static struct {
  _Atomic uint32_t events; /* 0: nothing known */
  _Atomic uint64_t data;
} fl_epoll_last[FL_FD_TABLE];

static int fl_spurious_poll(struct fl_shot* s, struct pollfd* fds, nfds_t n) {
  if (!fds) return -1; /* the real call says EFAULT */
  for (nfds_t i = 0; i < n; ++i) {
    if (fds[i].fd < 0 || !(fds[i].events & (POLLIN | POLLOUT))) continue;
    for (nfds_t k = 0; k < n; ++k) fds[k].revents = 0;
    fds[i].revents = (short)(fds[i].events & (POLLIN | POLLOUT));
    fl_record(s, 1, 0, 0);
    return 1;
  }
  return -1;
}

static int fl_spurious_select(struct fl_shot* s, int n, fd_set* r, fd_set* w, fd_set* e) {
  for (int pass = 0; pass < 2; ++pass) {
    fd_set* set = pass == 0 ? r : w;
    if (!set) continue;
    for (int fd = 0; fd < n && fd < FD_SETSIZE; ++fd) {
      if (!FD_ISSET(fd, set)) continue;
      if (r) FD_ZERO(r);
      if (w) FD_ZERO(w);
      if (e) FD_ZERO(e);
      FD_SET(fd, set);
      fl_record(s, 1, 0, 0);
      return 1;
    }
  }
  return -1;
}

static int fl_spurious_epoll(struct fl_shot* s, int epfd, struct epoll_event* ev, int max) {
  if (!ev || epfd < 0 || epfd >= FL_FD_TABLE || max < 1) return -1;
  uint32_t events = atomic_load_explicit(&fl_epoll_last[epfd].events, memory_order_relaxed);
  if (!(events & (EPOLLIN | EPOLLOUT))) return -1;
  ev[0].events = events & (EPOLLIN | EPOLLOUT);
  ev[0].data.u64 = atomic_load_explicit(&fl_epoll_last[epfd].data, memory_order_relaxed);
  fl_record(s, 1, 0, 0);
  return 1;
}

/* epoll_ctl (a TRACK row, wrap_sys.c) is armed whenever a spurious rule covers epoll_wait or
 * epoll_pwait (interpose.c), so that the interest to report is known. */
void fl_epoll_interest(int r, int epfd, int op, const struct epoll_event* ev) {
  if (r == 0 && ev && (op == EPOLL_CTL_ADD || op == EPOLL_CTL_MOD) && epfd >= 0 &&
      epfd < FL_FD_TABLE) {
    atomic_store_explicit(&fl_epoll_last[epfd].data, ev->data.u64, memory_order_relaxed);
    atomic_store_explicit(&fl_epoll_last[epfd].events, ev->events, memory_order_relaxed);
  }
}

/* What a spurious fault reports as ready, by the row's data column; -1 when there is nothing
 * to report (no fd asked for, no epoll interest seen yet). `limit` of POLLFD: a fortified
 * call whose array is shorter than n aborts, as glibc's does. */
static inline void fl_poll_check(nfds_t limit, nfds_t n) {
  if (limit < n) __chk_fail();
}
#define FL_POLL_CHECK_POLLFD(fds, n, limit) fl_poll_check((limit), (n));
#define FL_POLL_CHECK_FDSET(n, r, w, e)
#define FL_POLL_CHECK_EPOLL(epfd, ev, max)
#define FL_POLL_SPURIOUS_POLLFD(fds, n, limit) fl_spurious_poll(&s, fds, n)
#define FL_POLL_SPURIOUS_FDSET(n, r, w, e) fl_spurious_select(&s, n, r, w, e)
#define FL_POLL_SPURIOUS_EPOLL(epfd, ev, max) fl_spurious_epoll(&s, epfd, ev, max)

#define FL_GEN_POLL(name, ret, fail, params, args, object, data)                            \
  __attribute__((noinline)) static ret name##_slow(uint64_t fl_caller, FL_UNPAREN params) { \
    FL_POLL_CHECK_##data const struct fl_obj fl_o = FL_OBJ_##object;                        \
    struct fl_shot s;                                                                       \
    if (!fl_decide(&s, FL_CALL_##name, &fl_o, fl_caller)) return REAL(name) args;           \
    if (s.action == FL_ACT_ERROR) return (ret)fl_fail(&s);                                  \
    if (s.action == FL_ACT_SPURIOUS) {                                                      \
      int fl_ready = FL_POLL_SPURIOUS_##data;                                               \
      if (fl_ready >= 0) return fl_ready;                                                   \
      /* Nothing to report as ready: the real call runs, and the event says so with result  \
       * 0 bytes. */                                                                        \
    }                                                                                       \
    ret fl_r = REAL(name) args;                                                             \
    fl_after(&s, fl_r, 0);                                                                  \
    return fl_r;                                                                            \
  }                                                                                         \
  FL_EXPORT ret name params {                                                               \
    if (fl_is_armed(FL_CALL_##name)) return name##_slow(CALLER, FL_UNPAREN args);           \
    return REAL(name) args;                                                                 \
  }

#include "wrap_rows.h"
