/* The call path of an armed call: the wrappers (wrap_*.c) check one bit and, when a rule may
 * apply, come here to ask the rule engine, apply what comes before the real call (delay,
 * signal), record the fault's event and the call's site when recording, and fail the call.
 *
 * The interposer's house rules, for this file and everything a wrapper reaches (wrap_*.c,
 * fd_attribution.c, reset.c, leaks.c, rule_engine.c, realism.c, record.c, site.c, observe.c):
 * the interposer runs inside other people's programs, so on the call path
 * - no allocation, no lock, no stdio, no exception (plain C, -fno-exceptions, libc only);
 * - errno exactly as the program left it when nothing is injected (saved and restored around
 *   every system call of our own), and the injected errno when something is;
 * - its own I/O with raw system calls (syscall(SYS_...)), never through the wrapped libc
 *   functions, so that the wrappers never see, count or fault the interposer's own calls;
 * - safe across threads (atomics, per-thread fl_busy re-entry guard, no thread of our own),
 *   fork (state is in the shared control block or copied with the process) and exec (the
 *   control file is handed on: observe.c);
 * - a program must not be able to tell it runs under faultline apart from the injected
 *   faults (how-it-works.md lists what stays visible: the control fd, FAULTLINE_* variables).
 * Where the globals live: interpose.c, for those shared between files (interpose.h, wrap.h);
 * state private to one file is `static` in that file. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "wrap.h"

/* ---- deciding and recording ------------------------------------------------------------- */

/* --pause-on-fault (faultline_control.h, struct fl_pause): the one place every injected fault
 * passes after its event is written and before the call returns to the program, so that a
 * debugger attached now finds the program's caller a few frames up. The process claims a slot
 * for the runner to find and stops itself: SIGSTOP stops every thread, and the runner's
 * SIGCONT continues it here. Raw system calls, no allocation, no lock; the caller restores
 * errno. No free slot (FL_MAX_PAUSES processes stopped at once): it does not stop. */
static void fl_pause_at_fault(struct fl_control* ctl, uint64_t seq, int32_t pid, int32_t tid) {
  for (int i = 0; i < FL_MAX_PAUSES; ++i) {
    struct fl_pause* p = &ctl->pauses[i];
    uint32_t free_slot = 0;
    if (!atomic_compare_exchange_strong_explicit(&p->state, &free_slot, 1, memory_order_acquire,
                                                 memory_order_relaxed))
      continue;
    p->pid = pid;
    p->tid = tid;
    p->event_seq = seq;
    atomic_store_explicit(&p->state, 2, memory_order_release);
    syscall(SYS_tgkill, pid, tid, SIGSTOP);
    return;
  }
}

void fl_record(struct fl_shot* s, int64_t result, int err, int64_t bytes) {
  int saved = errno;
  int busy = fl_busy;
  fl_busy = 1;
  /* Where it happened is worth a system call or two, once per fault. */
  if (!(s->subject.known & FL_NEED_CHANNEL)) {
    s->subject.resolve(&s->subject, FL_NEED_CHANNEL);
    s->subject.known |= FL_NEED_CHANNEL;
  }
  const struct fl_obj* o = s->obj;
  struct fl_event_data d = {
      .call = s->subject.call,
      .rule = s->rule,
      .fd = o->kind == FL_O_FD || o->kind == FL_O_ID || o->kind == FL_O_MAP ? o->fd : -1,
      .channel = s->subject.channel,
      .hit = s->hit,
      .result = result,
      .err = err,
      .bytes = bytes,
      .caller = s->subject.caller,
      .pid = (int32_t)syscall(SYS_getpid),
      .tid = (int32_t)syscall(SYS_gettid),
      .process = fl_process,
      .unrealistic = s->why,
  };
  uint64_t seq = fl_event_write(fl_ctl, &d);
  if (s->rule >= 0 && s->rule < FL_MAX_RULES && (fl_ctl->rules[s->rule].flags & FL_RULE_PAUSE))
    fl_pause_at_fault(fl_ctl, seq, d.pid, d.tid);
  fl_busy = busy;
  errno = saved;
}

static void fl_sleep_ns(uint64_t ns) {
  struct timespec ts = {(time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull)};
  while (syscall(SYS_nanosleep, &ts, &ts) != 0 && errno == EINTR) {
  }
}

/* The signals the process catches, from /proc/self/status's SigCgt (three system calls where
 * asking each signal would take 62); all ones when it cannot be read. */
static uint64_t fl_caught_signals(void) {
  char buf[4096];
  long fd = syscall(SYS_openat, AT_FDCWD, "/proc/self/status", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ~0ull;
  long n = syscall(SYS_read, fd, buf, sizeof buf - 1);
  syscall(SYS_close, fd);
  if (n <= 0) return ~0ull;
  buf[n] = '\0';
  const char* p = strstr(buf, "SigCgt:");
  if (!p) return ~0ull;
  p += 7;
  while (*p == ' ' || *p == '\t') ++p;
  uint64_t mask = 0;
  for (int k = 0; k < 16; ++k, ++p) {
    int d = *p >= '0' && *p <= '9' ? *p - '0' : *p >= 'a' && *p <= 'f' ? *p - 'a' + 10 : -1;
    if (d < 0) return ~0ull;
    mask = (mask << 4) | (uint64_t)d;
  }
  return mask;
}

/* Whether any signal is caught, and with SA_RESTART (raw rt_sigaction: the program's own
 * sigaction may be wrapped). glibc's internal SIGCANCEL and SIGSETXID (32, 33) are no
 * program's handlers. */
static int fl_signal_handlers(void) {
  struct {
    uint64_t handler, flags, restorer, mask;
  } ksa;
  uint64_t caught_mask = fl_caught_signals();
  int caught = 0;
  for (int sig = 1; sig <= 64; ++sig) {
    if (!((caught_mask >> (sig - 1)) & 1)) continue;
    if (sig == SIGKILL || sig == SIGSTOP || sig == 32 || sig == 33) continue;
    if (syscall(SYS_rt_sigaction, sig, 0, &ksa, 8) != 0) continue;
    if (ksa.handler == (uint64_t)(uintptr_t)SIG_DFL || ksa.handler == (uint64_t)(uintptr_t)SIG_IGN)
      continue;
    if (!(ksa.flags & SA_RESTART)) return FL_HANDLERS_INTERRUPT;
    caught = 1;
  }
  return caught ? FL_HANDLERS_RESTART : FL_HANDLERS_NONE;
}

static int fl_has_timeout(int fd, int opt) {
  struct timeval tv = {0, 0};
  socklen_t len = sizeof tv;
  if (syscall(SYS_getsockopt, fd, SOL_SOCKET, opt, &tv, &len) != 0) return -1;
  return tv.tv_sec != 0 || tv.tv_usec != 0;
}

/* What realism.h needs to know of the call's object and the process (FL_STATE_* bits in
 * `need`); the fields it was not asked for stay -1 (unknown). */
static void fl_gather_state(struct fl_shot* s, unsigned need, int nowait, struct fl_state* out) {
  struct fl_state st = {FL_SHAPE_UNKNOWN, -1, -1, -1, -1};
  const struct fl_obj* o = s->obj;
  if ((need & FL_STATE_FD) && o->kind == FL_O_FD && o->fd >= 0) {
    if (!(s->subject.known & FL_NEED_SHAPE)) {
      s->subject.resolve(&s->subject, s->subject.known | FL_NEED_SHAPE);
      s->subject.known |= FL_NEED_SHAPE;
    }
    st.shape = s->subject.shape;
    long flags = syscall(SYS_fcntl, o->fd, F_GETFL);
    if (flags >= 0) st.nonblocking = (flags & O_NONBLOCK) != 0 || nowait;
    st.rcvtimeo = st.sndtimeo = 0;
    if (st.shape == FL_SHAPE_STREAM || st.shape == FL_SHAPE_MESSAGE) {
      st.rcvtimeo = fl_has_timeout(o->fd, SO_RCVTIMEO);
      st.sndtimeo = fl_has_timeout(o->fd, SO_SNDTIMEO);
    }
  }
  if (need & FL_STATE_SIGNALS) st.handlers = fl_signal_handlers();
  *out = st;
}

/* Whether the fault that fires is what the kernel could do in the state at hand
 * (realism.h): the few system calls it takes are spent on a firing rule only, and only for
 * the faults that depend on the state (EINTR, EAGAIN, short writes). */
static unsigned fl_fire_realism(struct fl_shot* s, int nowait) {
  unsigned need = fl_realism_needs(s->subject.call, s->action, s->arg);
  if (!need) return FL_WHY_NONE;
  struct fl_state st;
  fl_gather_state(s, need, nowait, &st);
  return fl_unrealistic(s->subject.call, s->action, s->arg, s->subject.size, &st);
}

/* ---- recording (fl_control.record) ------------------------------------------------------ */

/* Which of `want` (FL_REC_*) the realism checker accepts at this call, in the state it is
 * in: the same look at the object and the process as a firing rule takes. */
static unsigned fl_record_realism(struct fl_shot* s, int nowait, unsigned want) {
  int call = s->subject.call;
  unsigned need = fl_record_needs(call, want);
  struct fl_state st = {FL_SHAPE_UNKNOWN, -1, -1, -1, -1};
  if (need) fl_gather_state(s, need, nowait, &st);
  st.shape = s->subject.shape;
  return fl_record_realistic(call, want, s->subject.size, &st);
}

/* Counts the call at its site when a default (fd=ipc) rule would match its object. The
 * state the realism bits need costs system calls (the signal dispositions a read of
 * /proc/self/status and more): it is looked at on the first 8 calls of a site and then on
 * its 16th, 32nd, 64th ..., until every bit the call can have is set. */
static void fl_record_call(struct fl_shot* s, uint64_t caller, int nowait) {
  struct fl_subject* sub = &s->subject;
  const unsigned need = FL_NEED_CLASS | FL_NEED_SHAPE;
  if ((sub->known & need) != need) {
    sub->resolve(sub, sub->known | need);
    sub->known |= need;
  }
  if (sub->fd_class != FL_FD_IPC) return;
  struct fl_recorded* e = fl_record_site(fl_ctl, caller, sub->call, sub->shape & 7u);
  if (!e) return;
  uint64_t n = atomic_fetch_add_explicit(&e->count, 1, memory_order_relaxed) + 1;
  unsigned possible = fl_record_possible(sub->call, sub->shape);
  unsigned have = atomic_load_explicit(&e->flags, memory_order_relaxed);
  if ((have & possible) == possible || (n > 8 && (n & (n - 1)) != 0)) return;
  unsigned bits = fl_record_realism(s, nowait, possible & ~have);
  if (bits) atomic_fetch_or_explicit(&e->flags, bits, memory_order_relaxed);
}

/* This process's slot in the control block's per-name call counts (fl_subject.count_slot):
 * its name is fixed at load time, so the slot is looked up once (a fork keeps it; an exec
 * starts over). */
FL_HOT_DATA static _Atomic int fl_count_slot_of_process; /* slot + 1; 0 until known */

/* Asks the rule engine; on a fire, performs what comes before the real call (delay, signal).
 * Returns 1 when a rule fired. errno is left as the caller had it: saved and restored where a
 * system call of ours may change it (here, and in the resolvers of fd_attribution.c), not on
 * a call decided from memory, which would pay libc's errno location for nothing. `nowait`:
 * the call itself asks not to wait (MSG_DONTWAIT). */
FL_HOT int fl_decide_io(struct fl_shot* s, int call, const struct fl_obj* obj, uint64_t caller,
                        uint64_t size, int nowait) {
  s->rule = -1;
  s->why = FL_WHY_NONE;
  s->obj = obj;
  struct fl_control* ctl = fl_ctl;
  if (!ctl || fl_busy) return 0;
  fl_busy = 1;
  s->subject = (struct fl_subject){
      .call = call,
      .process = fl_process,
      .caller = caller,
      .site_base = fl_site_ready ? fl_site_base : 0,
      .channel = -1,
      .size = size,
      .resolve = fl_resolve_subject,
      .context = (void*)obj,
      .confirm =
          obj->kind == FL_O_FD || (obj->kind == FL_O_MAP && obj->fd >= 0) ? fl_confirm_fd : 0,
      .may_be_channel = fl_may_be_channel,
      .count_slot = &fl_count_slot_of_process,
  };
  s->fd_cached = 0;
  if (fl_recording) {
    int saved = errno;
    fl_record_call(s, caller, nowait); /* looks the caller's module up, as below */
    errno = saved;
  } else if (__builtin_expect(fl_site_pending, 0)) {
    /* A site= range waits for a library loaded later: a call from code outside the known
     * modules has the modules listed again. */
    int saved = errno;
    uint64_t dev, ino, offset;
    fl_module_of(ctl, caller, &dev, &ino, &offset);
    errno = saved;
  }
  uint64_t hit = 0;
  int rule = fl_rules_decide(ctl, &s->subject, &hit);
  if (rule >= 0) {
    int saved = errno;
    s->rule = rule;
    s->hit = hit;
    s->action = ctl->rules[rule].action;
    s->arg = ctl->rules[rule].arg;
    s->why = fl_fire_realism(s, nowait);
    fl_rules_note_unrealistic(ctl, rule, s->why);
    if (s->action == FL_ACT_DELAY) {
      fl_sleep_ns(fl_rules_delay_ns(ctl, rule, hit));
    } else if (s->action == FL_ACT_SIGNAL) {
      /* Recorded first: the signal may well end the process. */
      fl_record(s, 0, 0, 0);
      fl_busy = 0;
      errno = saved;
      syscall(SYS_tgkill, syscall(SYS_getpid), syscall(SYS_gettid), s->arg);
      return 1;
    }
    errno = saved;
  }
  fl_busy = 0;
  return rule >= 0;
}

/* After the real call of a fired rule: records the outcome, errno untouched. */
void fl_after(struct fl_shot* s, int64_t result, int64_t bytes) {
  if (s->rule < 0 || s->action == FL_ACT_SIGNAL) return;
  fl_record(s, result, result < 0 ? errno : 0, bytes);
}

int64_t fl_fail_with(struct fl_shot* s, int err) {
  fl_record(s, -1, err, 0);
  errno = err;
  return -1;
}

int64_t fl_fail(struct fl_shot* s) { return fl_fail_with(s, s->arg); }

/* An injected error on a send or write. EPIPE comes with the SIGPIPE the kernel sends the
 * calling thread (unless MSG_NOSIGNAL): a program that neither ignores nor handles it dies of
 * it, as it would. Recorded first, as the signal may end the process. */
int64_t fl_fail_send(struct fl_shot* s, int flags) {
  int64_t r = fl_fail(s);
  if (s->arg == EPIPE && !(flags & MSG_NOSIGNAL)) {
    syscall(SYS_tgkill, syscall(SYS_getpid), syscall(SYS_gettid), SIGPIPE);
    errno = s->arg;
  }
  return r;
}
