/* The exported wrappers, one per row of calls.def. Each one checks its armed bit and calls
 * the real function; only when a rule exists for the call does it take the slow path that
 * asks the rule engine and applies the fault. Rows of family SYS are generated from the
 * table; the other families (data transfers, messages, readiness, variadic opens) share the
 * helpers below and are written out by hand. */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <mqueue.h>
#include <netinet/in.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/select.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <utmp.h>

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
#define FL_FD_TABLE 1024 /* fds tracked for reset and epoll bookkeeping */

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

#ifndef MQUEUE_MAGIC
#define MQUEUE_MAGIC 0x19800202
#endif

static int fl_streq(const char* a, const char* b, size_t max) {
  return a && b && strncmp(a, b, max) == 0;
}

static int fl_channel_by_inode(const struct stat* st) {
  const struct fl_control* ctl = fl_ctl;
  uint32_t n = ctl->channel_count < FL_MAX_CHANNELS ? ctl->channel_count : FL_MAX_CHANNELS;
  for (uint32_t i = 0; i < n; ++i) {
    const struct fl_channel* c = &ctl->channels[i];
    if (c->ino != 0 && c->ino == (uint64_t)st->st_ino && c->dev == (uint64_t)st->st_dev)
      return (int)i;
  }
  return -1;
}

/* The runner's output capture of some process's stdout or stderr (a FIFO, or the pipe or
 * socket faultline itself was given as its own stdio). */
static int fl_is_capture(const struct stat* st) {
  const struct fl_control* ctl = fl_ctl;
  uint32_t n = ctl->capture_count < FL_MAX_CAPTURES ? ctl->capture_count : FL_MAX_CAPTURES;
  for (uint32_t i = 0; i < n; ++i) {
    if (ctl->captures[i].ino == (uint64_t)st->st_ino &&
        ctl->captures[i].dev == (uint64_t)st->st_dev)
      return 1;
  }
  return 0;
}

static int fl_channel_by_name(const char* name) {
  const struct fl_control* ctl = fl_ctl;
  uint32_t n = ctl->channel_count < FL_MAX_CHANNELS ? ctl->channel_count : FL_MAX_CHANNELS;
  for (uint32_t i = 0; i < n; ++i)
    if (ctl->channels[i].path[0] != '\0' && fl_streq(ctl->channels[i].path, name, FL_SITE_MAX))
      return (int)i;
  return -1;
}

static int fl_channel_by_sysv(int id, long key) {
  const struct fl_control* ctl = fl_ctl;
  uint32_t n = ctl->channel_count < FL_MAX_CHANNELS ? ctl->channel_count : FL_MAX_CHANNELS;
  for (uint32_t i = 0; i < n; ++i) {
    const struct fl_channel* c = &ctl->channels[i];
    if (id >= 0 ? c->sysv_id == id : (key != 0 && c->key == (int32_t)key)) return (int)i;
  }
  return -1;
}

static int fl_channel_by_port(int port) {
  const struct fl_control* ctl = fl_ctl;
  uint32_t n = ctl->channel_count < FL_MAX_CHANNELS ? ctl->channel_count : FL_MAX_CHANNELS;
  for (uint32_t i = 0; i < n; ++i)
    if (port != 0 && ctl->channels[i].port == port) return (int)i;
  return -1;
}

/* A socket's channel: its own address or its peer's (an accepted or connected socket has the
 * listening channel's path or port on one side). */
static int fl_socket_channel(int fd) {
  for (int side = 0; side < 2; ++side) {
    union {
      struct sockaddr sa;
      struct sockaddr_un un;
      struct sockaddr_in in;
      struct sockaddr_in6 in6;
    } a;
    socklen_t len = sizeof a;
    memset(&a, 0, sizeof a);
    long r = syscall(side == 0 ? SYS_getsockname : SYS_getpeername, fd, &a.sa, &len);
    if (r != 0) continue;
    int ch = -1;
    if (a.sa.sa_family == AF_UNIX && len > offsetof(struct sockaddr_un, sun_path) &&
        a.un.sun_path[0] != '\0') {
      a.un.sun_path[sizeof a.un.sun_path - 1] = '\0';
      ch = fl_channel_by_name(a.un.sun_path);
    } else if (a.sa.sa_family == AF_INET) {
      ch = fl_channel_by_port(ntohs(a.in.sin_port));
    } else if (a.sa.sa_family == AF_INET6) {
      ch = fl_channel_by_port(ntohs(a.in6.sin6_port));
    }
    if (ch >= 0) return ch;
  }
  return -1;
}

/* "/proc/self/fd/N" into buf (at least 32 bytes). */
static void fl_fd_link_path(int fd, char* buf) {
  static const char prefix[] = "/proc/self/fd/";
  char num[12];
  int k = 0;
  for (unsigned v = (unsigned)fd; k == 0 || v; v /= 10) num[k++] = (char)('0' + v % 10);
  size_t i = 0;
  for (; prefix[i]; ++i) buf[i] = prefix[i];
  while (k > 0) buf[i++] = num[--k];
  buf[i] = '\0';
}

/* An anonymous inode's shape from its link ("anon_inode:[eventfd]"): the ones whose reads and
 * writes move fixed records are told apart from epoll, pidfd, io_uring and the like. Looked at
 * only when a rule asks for the shape, and cached with the fd. */
static unsigned fl_anon_shape(int fd) {
  static const char* const records[] = {"[eventfd", "[signalfd", "[timerfd",
                                        "inotify",  "[fanotify", "[userfaultfd"};
  char path[32], link[64];
  fl_fd_link_path(fd, path);
  long n = syscall(SYS_readlink, path, link, sizeof link - 1);
  if (n <= 11 || strncmp(link, "anon_inode:", 11) != 0) return FL_SHAPE_ANON;
  link[n] = '\0';
  for (size_t i = 0; i < sizeof records / sizeof records[0]; ++i)
    if (strncmp(link + 11, records[i], strlen(records[i])) == 0) return FL_SHAPE_RECORD;
  return FL_SHAPE_ANON;
}

/* The class (and on demand channel, stream-ness and shape) of an open fd, from the kernel:
 * the kernel's view is the attribution table, so fds inherited, received over SCM_RIGHTS or
 * duplicated inside libc are classified like any other. */
static int fl_resolve_fd(struct fl_subject* s, int fd, unsigned need, int shared_map) {
  struct stat st;
  s->fd_class = FL_FD_IPC;
  s->channel = -1;
  s->stream = 0;
  s->shape = FL_SHAPE_UNKNOWN;
  /* An fd that cannot be examined is not one of the program's files. */
  if (fd < 0 || syscall(SYS_fstat, fd, &st) != 0) return 0;
  /* Anonymous inodes (eventfd, signalfd, timerfd, epoll, inotify, pidfd, ...) have no file
   * type and live on their own file systems: a process talks to the kernel through them,
   * not to another process. */
  if ((st.st_mode & S_IFMT) == 0 || (uint64_t)st.st_dev == fl_anon_dev ||
      (uint64_t)st.st_dev == fl_pidfs_dev) {
    s->fd_class = FL_FD_ANON;
    if (need & FL_NEED_SHAPE) s->shape = fl_anon_shape(fd);
    return 1;
  }
  if ((S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)) && fl_is_capture(&st)) {
    s->fd_class = FL_FD_FILE; /* the program's own logging, as on a terminal */
    return 1;
  }
  if (S_ISSOCK(st.st_mode)) {
    if (need & FL_NEED_SHAPE) {
      int type = 0;
      socklen_t len = sizeof type;
      if (syscall(SYS_getsockopt, fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0) {
        s->stream = type == SOCK_STREAM;
        s->shape = s->stream ? FL_SHAPE_STREAM : FL_SHAPE_MESSAGE;
      }
    }
    if (need & FL_NEED_CHANNEL) s->channel = fl_socket_channel(fd);
    return 1;
  }
  s->shape = S_ISFIFO(st.st_mode)  ? FL_SHAPE_PIPE
             : S_ISREG(st.st_mode) ? FL_SHAPE_REGULAR
                                   : FL_SHAPE_OTHER;
  s->channel = fl_channel_by_inode(&st);
  if (S_ISFIFO(st.st_mode) || s->channel >= 0) return 1;
  if (S_ISREG(st.st_mode)) {
    if (shared_map || (uint64_t)st.st_dev == fl_shm_dev) return 1;
    struct statfs_min {
      long f_type;
      long rest[15];
    } fs;
    if (syscall(SYS_fstatfs, fd, &fs) == 0 && fs.f_type == MQUEUE_MAGIC) {
      s->shape = FL_SHAPE_OTHER; /* a POSIX message queue: it waits */
      return 1;
    }
    s->fd_class = FL_FD_FILE;
    return 1;
  }
  /* Directories and devices are files. */
  if (S_ISDIR(st.st_mode) || S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISLNK(st.st_mode))
    s->fd_class = FL_FD_FILE;
  return 1;
}

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

/* ---- the fd cache ------------------------------------------------------------------------
 * What fl_resolve_fd found for an fd, so that an armed call that does not fire costs no
 * system call. An entry is forgotten when the wrappers see the fd closed or replaced (close,
 * dup2, dup3, and the libc functions of hooks.def that close or replace fds inside libc) or
 * its socket's address change (bind, connect). What they cannot see (a raw system call, a
 * libc internal not hooked) leaves an entry out of date; so before a fault fires on what an
 * entry said, fl_confirm_fd compares the fd's (st_dev, st_ino, file type) now with the entry's
 * and classifies the fd again if they differ.
 * Layout, one word so that an entry is never torn: bit 63 valid, bits 60-62 FL_NEED_* known,
 * bits 58-59 class, bit 57 stream, bits 49-56 channel + 1, bits 46-48 shape, bits 0-45 the
 * identity of the file the entry describes (a 46-bit hash of dev, inode and type). */
#define FL_C_VALID (1ull << 63)
#define FL_C_IDENT ((1ull << 46) - 1)
static _Atomic uint64_t fl_fd_cache[FL_FD_TABLE];
static _Atomic int fl_fd_cache_on;

static inline void fl_fd_forget(int fd) {
  if (__builtin_expect(atomic_load_explicit(&fl_fd_cache_on, memory_order_relaxed), 0) && fd >= 0 &&
      fd < FL_FD_TABLE)
    atomic_store_explicit(&fl_fd_cache[fd], 0, memory_order_relaxed);
}

static void fl_fd_forget_from(unsigned first, unsigned last) {
  if (!atomic_load_explicit(&fl_fd_cache_on, memory_order_relaxed)) return;
  for (unsigned fd = first; fd <= last && fd < FL_FD_TABLE; ++fd)
    atomic_store_explicit(&fl_fd_cache[fd], 0, memory_order_relaxed);
}

/* The identity of the file `fd` refers to now; 0 when it is not open. */
static int fl_fd_ident(int fd, uint64_t* ident) {
  struct stat st;
  if (fd < 0 || syscall(SYS_fstat, fd, &st) != 0) return 0;
  *ident =
      fl_rules_hash((uint64_t)st.st_dev, (uint64_t)st.st_ino, (uint64_t)(st.st_mode & S_IFMT)) &
      FL_C_IDENT;
  return 1;
}

static void fl_fd_remember(int fd, const struct fl_subject* s, unsigned known, uint64_t ident) {
  uint64_t packed = FL_C_VALID | ((uint64_t)known << 60) | ((uint64_t)s->fd_class << 58) |
                    ((uint64_t)(s->stream != 0) << 57) | ((uint64_t)(s->channel + 1) << 49) |
                    ((uint64_t)(s->shape & 7u) << 46) | ident;
  atomic_store_explicit(&fl_fd_cache[fd], packed, memory_order_relaxed);
  atomic_store_explicit(&fl_fd_cache_on, 1, memory_order_relaxed);
}

static void fl_resolve_cached_fd(struct fl_subject* s, int fd, unsigned need) {
  struct fl_shot* shot = (struct fl_shot*)s;
  shot->fd_cached = 0;
  if (fd < 0 || fd >= FL_FD_TABLE) {
    fl_resolve_fd(s, fd, need, 0);
    return;
  }
  uint64_t e = atomic_load_explicit(&fl_fd_cache[fd], memory_order_relaxed);
  unsigned known = (e & FL_C_VALID) ? (unsigned)(e >> 60) & 7u : 0;
  if ((known & need) == need && (e & FL_C_VALID)) {
    s->fd_class = (unsigned)(e >> 58) & 3u;
    s->stream = (int)(e >> 57) & 1;
    s->channel = (int)((e >> 49) & 0xffu) - 1;
    s->shape = (unsigned)(e >> 46) & 7u;
    shot->fd_cached = 1;
    shot->fd_ident = e & FL_C_IDENT;
    return;
  }
  need |= known;
  /* The identity is taken before the classification: should the fd be replaced in between,
   * the entry names the old file, and the look before a fire finds it out of date. */
  uint64_t ident;
  if (!fl_fd_ident(fd, &ident)) return; /* not open: nothing to remember */
  if (!fl_resolve_fd(s, fd, need, 0)) return;
  fl_fd_remember(fd, s, need, ident);
}

/* fl_subject.confirm for fd calls: a fault is about to fire on what the fd cache said. One
 * fstat; when the fd now refers to another file, it is classified again (and the entry
 * renewed). Returns 1 when the class, channel, stream-ness or shape the rules saw was wrong. */
static int fl_confirm_fd(struct fl_subject* s) {
  struct fl_shot* shot = (struct fl_shot*)s;
  if (!shot->fd_cached || !(s->known & (FL_NEED_CLASS | FL_NEED_CHANNEL | FL_NEED_STREAM)))
    return 0;
  shot->fd_cached = 0;
  int fd = shot->obj->fd;
  uint64_t ident = 0;
  int open = fl_fd_ident(fd, &ident);
  if (open && ident == shot->fd_ident) return 0;
  struct fl_subject was = *s;
  s->fd_class = FL_FD_IPC;
  s->channel = -1;
  s->stream = 0;
  if (open && fl_resolve_fd(s, fd, s->known, 0))
    fl_fd_remember(fd, s, s->known, ident);
  else
    fl_fd_forget(fd);
  unsigned k = s->known;
  return ((k & FL_NEED_CLASS) && was.fd_class != s->fd_class) ||
         ((k & FL_NEED_CHANNEL) && was.channel != s->channel) ||
         ((k & FL_NEED_STREAM) && (was.stream != s->stream || was.shape != s->shape));
}

static void fl_resolve_subject(struct fl_subject* s, unsigned need) {
  const struct fl_obj* o = s->context;
  s->fd_class = FL_FD_IPC;
  s->channel = -1;
  s->stream = 0;
  s->shape = FL_SHAPE_UNKNOWN;
  switch (o->kind) {
    case FL_O_FD:
      fl_resolve_cached_fd(s, o->fd, need);
      break;
    case FL_O_MAP:
      if (o->fd >= 0)
        fl_resolve_fd(s, o->fd, need, (o->flags & MAP_SHARED) != 0);
      else if (!(o->flags & MAP_SHARED))
        s->fd_class = FL_FD_FILE; /* private anonymous memory is nobody's IPC */
      break;
    case FL_O_ID:
      s->channel = fl_channel_by_sysv(o->fd, 0);
      break;
    case FL_O_KEY:
      s->channel = fl_channel_by_sysv(-1, o->key);
      break;
    case FL_O_NAME:
      s->channel = fl_channel_by_name(o->path);
      break;
    case FL_O_PATH: {
      struct stat st;
      if (!o->path || syscall(SYS_newfstatat, o->fd, o->path, &st, 0) != 0) {
        /* Not there yet: a file being created, unless it is a channel's name. */
        s->channel = fl_channel_by_name(o->path);
        if (s->channel < 0) s->fd_class = FL_FD_FILE;
        break;
      }
      s->channel = fl_channel_by_inode(&st);
      if (s->channel < 0) s->channel = fl_channel_by_name(o->path);
      if ((!S_ISFIFO(st.st_mode) && !S_ISSOCK(st.st_mode) && s->channel < 0 &&
           (uint64_t)st.st_dev != fl_shm_dev) ||
          fl_is_capture(&st)) /* /dev/stderr: the capture, reopened */
        s->fd_class = FL_FD_FILE;
      break;
    }
    default:
      break;
  }
}

/* ---- deciding and recording ------------------------------------------------------------- */

static void fl_record(struct fl_shot* s, int64_t result, int err, int64_t bytes) {
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
  fl_event_write(fl_ctl, &d);
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

/* Asks the rule engine; on a fire, performs what comes before the real call (delay, signal).
 * Returns 1 when a rule fired. errno is left as the caller had it. `nowait`: the call itself
 * asks not to wait (MSG_DONTWAIT). */
static int fl_decide_io(struct fl_shot* s, int call, const struct fl_obj* obj, uint64_t caller,
                        uint64_t size, int nowait) {
  s->rule = -1;
  s->why = FL_WHY_NONE;
  s->obj = obj;
  struct fl_control* ctl = fl_ctl;
  if (!ctl || fl_busy) return 0;
  fl_busy = 1;
  int saved = errno;
  s->subject = (struct fl_subject){
      .call = call,
      .process = fl_process,
      .caller = caller,
      .site_base = fl_site_ready ? fl_site_base : 0,
      .channel = -1,
      .size = size,
      .resolve = fl_resolve_subject,
      .context = (void*)obj,
      .confirm = obj->kind == FL_O_FD ? fl_confirm_fd : 0,
  };
  s->fd_cached = 0;
  if (fl_recording) {
    fl_record_call(s, caller, nowait); /* looks the caller's module up, as below */
  } else if (__builtin_expect(fl_site_pending, 0)) {
    /* A site= range waits for a library loaded later: a call from code outside the known
     * modules has the modules listed again. */
    uint64_t dev, ino, offset;
    fl_module_of(ctl, caller, &dev, &ino, &offset);
  }
  uint64_t hit = 0;
  int rule = fl_rules_decide(ctl, &s->subject, &hit);
  if (rule >= 0) {
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
  }
  fl_busy = 0;
  errno = saved;
  return rule >= 0;
}

static int fl_decide_sized(struct fl_shot* s, int call, const struct fl_obj* obj, uint64_t caller,
                           uint64_t size) {
  return fl_decide_io(s, call, obj, caller, size, 0);
}

static int fl_decide(struct fl_shot* s, int call, const struct fl_obj* obj, uint64_t caller) {
  return fl_decide_sized(s, call, obj, caller, FL_SIZE_UNKNOWN);
}

/* After the real call of a fired rule: records the outcome, errno untouched. */
static void fl_after(struct fl_shot* s, int64_t result, int64_t bytes) {
  if (s->rule < 0 || s->action == FL_ACT_SIGNAL) return;
  fl_record(s, result, result < 0 ? errno : 0, bytes);
}

static int64_t fl_fail_with(struct fl_shot* s, int err) {
  fl_record(s, -1, err, 0);
  errno = err;
  return -1;
}

static int64_t fl_fail(struct fl_shot* s) { return fl_fail_with(s, s->arg); }

/* An injected error on a send or write. EPIPE comes with the SIGPIPE the kernel sends the
 * calling thread (unless MSG_NOSIGNAL): a program that neither ignores nor handles it dies of
 * it, as it would. Recorded first, as the signal may end the process. */
static int64_t fl_fail_send(struct fl_shot* s, int flags) {
  int64_t r = fl_fail(s);
  if (s->arg == EPIPE && !(flags & MSG_NOSIGNAL)) {
    syscall(SYS_tgkill, syscall(SYS_getpid), syscall(SYS_gettid), SIGPIPE);
    errno = s->arg;
  }
  return r;
}

/* ---- reset: a connection that fails from now on ----------------------------------------- */

/* Per fd of this process: the inode of a socket a `reset` fault killed, 0 for none. Checked
 * by inode, so an fd number reused for another file is not affected. */
static _Atomic uint64_t fl_reset_ino[FL_FD_TABLE];
static _Atomic int fl_reset_any;

static int fl_is_reset(int fd) {
  if (!atomic_load_explicit(&fl_reset_any, memory_order_relaxed) || fd < 0 || fd >= FL_FD_TABLE)
    return 0;
  uint64_t ino = atomic_load_explicit(&fl_reset_ino[fd], memory_order_relaxed);
  if (ino == 0) return 0;
  struct stat st;
  int saved = errno;
  int dead = syscall(SYS_fstat, fd, &st) == 0 && (uint64_t)st.st_ino == ino;
  errno = saved;
  /* The fd number now holds another file: forget the mark, or every later call on it would
   * pay this fstat. */
  if (!dead) atomic_store_explicit(&fl_reset_ino[fd], 0, memory_order_relaxed);
  return dead;
}

/* Every fd data call of this process now takes the slow path, where fl_is_reset is checked:
 * only processes that had a reset pay for it. */
static void fl_arm_reset_checks(void) {
  static const int calls[] = {FL_CALL_read,           FL_CALL___read_chk, FL_CALL_readv,
                              FL_CALL_write,          FL_CALL_writev,     FL_CALL_send,
                              FL_CALL_sendto,         FL_CALL_sendmsg,    FL_CALL_sendmmsg,
                              FL_CALL_recv,           FL_CALL___recv_chk, FL_CALL_recvfrom,
                              FL_CALL___recvfrom_chk, FL_CALL_recvmsg,    FL_CALL_recvmmsg};
  for (size_t i = 0; i < sizeof calls / sizeof calls[0]; ++i)
    __atomic_or_fetch(&fl_armed[calls[i] >> 6], 1ull << (calls[i] & 63), __ATOMIC_RELAXED);
}

static int64_t fl_reset(struct fl_shot* s, int fd) {
  int saved = errno;
  struct stat st;
  if (fd >= 0 && fd < FL_FD_TABLE && syscall(SYS_fstat, fd, &st) == 0) {
    atomic_store_explicit(&fl_reset_ino[fd], (uint64_t)st.st_ino, memory_order_relaxed);
    if (!atomic_exchange_explicit(&fl_reset_any, 1, memory_order_relaxed)) fl_arm_reset_checks();
  }
  /* The other side sees the connection end too. */
  syscall(SYS_shutdown, fd, SHUT_RDWR);
  errno = saved;
  return fl_fail_with(s, ECONNRESET);
}

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

#define FL_GEN_SYS(name, ret, fail, params, args, object)                         \
  FL_GEN_SLOW(name, ret, fail, params, args, object)                              \
  FL_EXPORT ret name params {                                                     \
    if (fl_is_armed(FL_CALL_##name)) return name##_slow(CALLER, FL_UNPAREN args); \
    return REAL(name) args;                                                       \
  }

/* TRACK rows: the slow path is generated, the export (which tells the fd cache) is below. */
#define FL_GEN_TRACK(name, ret, fail, params, args, object) \
  FL_GEN_SLOW(name, ret, fail, params, args, object)

#define FL_GEN_IO(...)
#define FL_GEN_VEC(...)
#define FL_GEN_MMSG(...)
#define FL_GEN_MSGIN(...)
#define FL_GEN_POLL(...)
#define FL_GEN_OPEN(...)
#define FL_GEN_CUSTOM(...)
#define FL_CALL(name, base, family, ret, fail, params, args, object, kinds, errnos, transient, \
                hard)                                                                          \
  FL_GEN_##family(name, ret, fail, params, args, object)
#include "calls.def"
#undef FL_CALL

/* ---- objects the processes create, for the leak check --------------------------------- */

static void fl_copy(char* dst, size_t cap, const char* a, const char* b) {
  size_t i = 0;
  for (; a && *a && i + 1 < cap; ++a) dst[i++] = *a;
  for (; b && *b && i + 1 < cap; ++b) dst[i++] = *b;
  dst[i] = '\0';
}

/* Records one created object in the control block (no-op without one). `dirfd`/`path`: a
 * relative path is made absolute from the directory (AT_FDCWD: the working directory). */
static void fl_note_created(int call, unsigned kind, int id, long key, int dirfd,
                            const char* path) {
  struct fl_control* ctl = fl_ctl;
  if (!ctl) return;
  int saved = errno;
  uint32_t slot = atomic_fetch_add_explicit(&ctl->created_next, 1, memory_order_relaxed);
  if (slot < FL_MAX_CREATED) {
    struct fl_created* c = &ctl->created[slot];
    c->kind = kind;
    c->id = id;
    c->key = (int32_t)key;
    c->pid = (int32_t)syscall(SYS_getpid);
    c->call = call;
    c->path[0] = '\0';
    if (path && path[0] == '/') {
      fl_copy(c->path, sizeof c->path, path, 0);
    } else if (path && (kind == FL_OBJECT_POSIX_SHM || kind == FL_OBJECT_POSIX_MQ)) {
      fl_copy(c->path, sizeof c->path, "/", path); /* a POSIX name without its slash */
    } else if (path) {
      char dir[FL_SITE_MAX];
      long n = -1;
      if (dirfd == AT_FDCWD) {
        n = syscall(SYS_getcwd, dir, sizeof dir);
      } else {
        char link[32] = "/proc/self/fd/";
        char num[12];
        int k = 0;
        for (unsigned v = (unsigned)dirfd; k == 0 || v; v /= 10) num[k++] = (char)('0' + v % 10);
        for (int j = 0; j < k; ++j) link[14 + j] = num[k - 1 - j];
        link[14 + k] = '\0';
        n = syscall(SYS_readlink, link, dir, sizeof dir - 1);
        if (n >= 0) dir[n] = '\0';
      }
      if (n >= 0) {
        size_t len = strnlen(dir, sizeof dir);
        if (len + 1 < sizeof dir && (len == 0 || dir[len - 1] != '/')) {
          dir[len] = '/';
          dir[len + 1] = '\0';
        }
        fl_copy(c->path, sizeof c->path, dir, path);
      }
    }
    fl_copy(c->process, sizeof c->process, fl_process, 0);
    atomic_store_explicit(&c->state, 1, memory_order_release);
  }
  errno = saved;
}

#define FL_SYSV_CREATE(name, kind, key, flags, call_expr)          \
  do {                                                             \
    int r_ = (call_expr);                                          \
    if (r_ >= 0 && ((flags)&IPC_CREAT) && fl_ctl)                  \
      fl_note_created(FL_CALL_##name, kind, r_, key, AT_FDCWD, 0); \
    return r_;                                                     \
  } while (0)

FL_EXPORT int msgget(key_t key, int flags) {
  FL_SYSV_CREATE(
      msgget, FL_OBJECT_MSGQUEUE, key, flags,
      fl_is_armed(FL_CALL_msgget) ? msgget_slow(CALLER, key, flags) : REAL(msgget)(key, flags));
}

FL_EXPORT int shmget(key_t key, size_t size, int flags) {
  FL_SYSV_CREATE(shmget, FL_OBJECT_SHM, key, flags,
                 fl_is_armed(FL_CALL_shmget) ? shmget_slow(CALLER, key, size, flags)
                                             : REAL(shmget)(key, size, flags));
}

FL_EXPORT int semget(key_t key, int nsems, int flags) {
  FL_SYSV_CREATE(semget, FL_OBJECT_SEMAPHORE, key, flags,
                 fl_is_armed(FL_CALL_semget) ? semget_slow(CALLER, key, nsems, flags)
                                             : REAL(semget)(key, nsems, flags));
}

FL_EXPORT int mkfifo(const char* path, mode_t mode) {
  int r = fl_is_armed(FL_CALL_mkfifo) ? mkfifo_slow(CALLER, path, mode) : REAL(mkfifo)(path, mode);
  if (r == 0 && fl_ctl) fl_note_created(FL_CALL_mkfifo, FL_OBJECT_FIFO, -1, 0, AT_FDCWD, path);
  return r;
}

FL_EXPORT int mkfifoat(int dirfd, const char* path, mode_t mode) {
  int r = fl_is_armed(FL_CALL_mkfifoat) ? mkfifoat_slow(CALLER, dirfd, path, mode)
                                        : REAL(mkfifoat)(dirfd, path, mode);
  if (r == 0 && fl_ctl) fl_note_created(FL_CALL_mkfifoat, FL_OBJECT_FIFO, -1, 0, dirfd, path);
  return r;
}

FL_EXPORT int shm_open(const char* name, int flags, mode_t mode) {
  int r = fl_is_armed(FL_CALL_shm_open) ? shm_open_slow(CALLER, name, flags, mode)
                                        : REAL(shm_open)(name, flags, mode);
  if (r >= 0 && (flags & O_CREAT) && fl_ctl)
    fl_note_created(FL_CALL_shm_open, FL_OBJECT_POSIX_SHM, -1, 0, AT_FDCWD, name);
  return r;
}

/* The fd's object goes away or changes: what the cache knows of the fd no longer holds. An
 * armed call is forgotten again afterwards: deciding on it classified the fd as it was. */
FL_EXPORT int close(int fd) {
  /* The control file the interposer keeps for the programs this one starts: a program that
   * closes every fd it did not open ("close all fds above 2") closes it here in vain, as it
   * would an fd that was never open, but learns nothing of it (how-it-works.md). */
  if (fl_is_control_fd(fd)) return 0;
  fl_fd_forget(fd);
  if (fl_is_armed(FL_CALL_close)) {
    int r = close_slow(CALLER, fd);
    fl_fd_forget(fd);
    return r;
  }
  return REAL(close)(fd);
}

FL_EXPORT int dup2(int fd, int fd2) {
  fl_fd_forget(fd2);
  fl_control_fd_taken(fd2);
  if (fl_is_armed(FL_CALL_dup2)) return dup2_slow(CALLER, fd, fd2);
  return REAL(dup2)(fd, fd2);
}

FL_EXPORT int dup3(int fd, int fd2, int flags) {
  fl_fd_forget(fd2);
  fl_control_fd_taken(fd2);
  if (fl_is_armed(FL_CALL_dup3)) return dup3_slow(CALLER, fd, fd2, flags);
  return REAL(dup3)(fd, fd2, flags);
}

FL_EXPORT int bind(int fd, __CONST_SOCKADDR_ARG addr, socklen_t len) {
  fl_fd_forget(fd);
  int r;
  if (fl_is_armed(FL_CALL_bind)) {
    r = bind_slow(CALLER, fd, addr, len);
    fl_fd_forget(fd);
  } else {
    r = REAL(bind)(fd, addr, len);
  }
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

FL_EXPORT int connect(int fd, __CONST_SOCKADDR_ARG addr, socklen_t len) {
  fl_fd_forget(fd);
  if (fl_is_armed(FL_CALL_connect)) {
    int r = connect_slow(CALLER, fd, addr, len);
    fl_fd_forget(fd);
    return r;
  }
  return REAL(connect)(fd, addr, len);
}

/* ---- data calls on one buffer: short, eof, corrupt, drop, reset ------------------------- */

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

static int fl_is_input(int call) {
  return call == FL_CALL_read || call == FL_CALL___read_chk || call == FL_CALL_recv ||
         call == FL_CALL___recv_chk || call == FL_CALL_recvfrom || call == FL_CALL___recvfrom_chk ||
         call == FL_CALL_readv || call == FL_CALL_recvmsg;
}

__attribute__((noinline)) static ssize_t fl_io_slow(int call, int fd, void* buf, size_t n,
                                                    size_t buflen, int flags, void* addr,
                                                    socklen_t* addrlen, socklen_t daddrlen,
                                                    uint64_t caller) {
  if (call == FL_CALL___read_chk || call == FL_CALL___recv_chk || call == FL_CALL___recvfrom_chk) {
    if (n > buflen) __chk_fail();
  }
  const struct fl_io io = {call, fd, buf, n, buflen, flags, addr, addrlen, daddrlen};
  const struct fl_obj obj = FL_OBJ_FD(fd);
  struct fl_shot s;
  if (fl_is_reset(fd)) {
    errno = ECONNRESET;
    return -1;
  }
  if (!fl_decide_io(&s, call, &obj, caller, n, (flags & MSG_DONTWAIT) != 0))
    return fl_io_real(&io, n);
  size_t len = n;
  switch (s.action) {
    case FL_ACT_ERROR:
      return (ssize_t)(fl_is_input(call) ? fl_fail(&s) : fl_fail_send(&s, flags));
    case FL_ACT_EOF:
      fl_record(&s, 0, 0, 0);
      return 0;
    case FL_ACT_RESET:
      return (ssize_t)fl_reset(&s, fd);
    case FL_ACT_DROP:
      fl_record(&s, (int64_t)n, 0, 0);
      return (ssize_t)n;
    case FL_ACT_SHORT:
      if (s.arg >= 0 && (size_t)s.arg < len) len = (size_t)s.arg;
      break;
  }
  ssize_t r = fl_io_real(&io, len);
  if (s.action == FL_ACT_CORRUPT && r > 0 && fl_is_input(call)) {
    fl_rules_corrupt(fl_ctl, s.rule, s.hit, buf, (uint64_t)r);
  }
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

/* ---- vectored data calls ---------------------------------------------------------------- */

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

static size_t fl_iov_total(const struct iovec* iov, size_t cnt) {
  size_t t = 0;
  for (size_t i = 0; i < cnt; ++i) t += iov[i].iov_len;
  return t;
}

/* Corrupts the first `got` bytes received into an iovec array, in its first non-empty
 * segment (bits of one segment are enough to break any checksum over the message). */
static void fl_corrupt_iov(const struct fl_shot* s, const struct iovec* iov, size_t cnt,
                           size_t got) {
  for (size_t i = 0; i < cnt && got > 0; ++i) {
    if (iov[i].iov_len == 0) continue;
    size_t l = iov[i].iov_len < got ? iov[i].iov_len : got;
    fl_rules_corrupt(fl_ctl, s->rule, s->hit, iov[i].iov_base, l);
    return;
  }
}

__attribute__((noinline)) static ssize_t fl_vec_slow(int call, int fd, const struct iovec* iov,
                                                     int cnt, struct msghdr* msg, int flags,
                                                     uint64_t caller) {
  const struct fl_obj obj = FL_OBJ_FD(fd);
  struct fl_shot s;
  struct iovec part[FL_IOV_MAX];
  int limited = 0;
  if (fl_is_reset(fd)) {
    errno = ECONNRESET;
    return -1;
  }
  const struct iovec* all = msg ? msg->msg_iov : iov;
  size_t all_cnt = msg ? msg->msg_iovlen : (size_t)(cnt < 0 ? 0 : cnt);
  uint64_t asked = 0;
  for (size_t i = 0; all && i < all_cnt; ++i) asked += all[i].iov_len;
  if (fl_decide_io(&s, call, &obj, caller, asked, (flags & MSG_DONTWAIT) != 0)) {
    switch (s.action) {
      case FL_ACT_ERROR:
        return (ssize_t)(fl_is_input(call) ? fl_fail(&s) : fl_fail_send(&s, flags));
      case FL_ACT_EOF:
        fl_record(&s, 0, 0, 0);
        return 0;
      case FL_ACT_RESET:
        return (ssize_t)fl_reset(&s, fd);
      case FL_ACT_DROP: {
        ssize_t n = (ssize_t)fl_iov_total(all, all_cnt);
        fl_record(&s, n, 0, 0);
        return n;
      }
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
  if (s.rule >= 0 && s.action == FL_ACT_CORRUPT && r > 0 && fl_is_input(call))
    fl_corrupt_iov(&s, all, all_cnt, (size_t)r);
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

/* ---- message arrays: short means fewer messages ------------------------------------------ */

__attribute__((noinline)) static int fl_mmsg_slow(int call, int fd, struct mmsghdr* vec,
                                                  unsigned vlen, int flags, struct timespec* t,
                                                  uint64_t caller) {
  const struct fl_obj obj = FL_OBJ_FD(fd);
  struct fl_shot s;
  if (fl_is_reset(fd)) {
    errno = ECONNRESET;
    return -1;
  }
  if (fl_decide_io(&s, call, &obj, caller, vlen, (flags & MSG_DONTWAIT) != 0)) {
    switch (s.action) {
      case FL_ACT_ERROR:
        return (int)(call == FL_CALL_recvmmsg ? fl_fail(&s) : fl_fail_send(&s, flags));
      case FL_ACT_DROP:
        for (unsigned i = 0; i < vlen; ++i)
          vec[i].msg_len =
              (unsigned)fl_iov_total(vec[i].msg_hdr.msg_iov, vec[i].msg_hdr.msg_iovlen);
        fl_record(&s, (int64_t)vlen, 0, 0);
        return (int)vlen;
      case FL_ACT_SHORT:
        if (s.arg >= 0 && (unsigned)s.arg < vlen) vlen = (unsigned)(s.arg == 0 ? 1 : s.arg);
        break;
    }
  }
  int r = call == FL_CALL_recvmmsg ? REAL(recvmmsg)(fd, vec, vlen, flags, t)
                                   : REAL(sendmmsg)(fd, vec, vlen, flags);
  if (s.rule >= 0 && s.action == FL_ACT_CORRUPT && r > 0)
    fl_corrupt_iov(&s, vec[0].msg_hdr.msg_iov, vec[0].msg_hdr.msg_iovlen, vec[0].msg_len);
  fl_after(&s, r, 0);
  return r;
}

FL_EXPORT int recvmmsg(int fd, struct mmsghdr* vec, unsigned vlen, int flags, struct timespec* t) {
  if (fl_is_armed(FL_CALL_recvmmsg))
    return fl_mmsg_slow(FL_CALL_recvmmsg, fd, vec, vlen, flags, t, CALLER);
  return REAL(recvmmsg)(fd, vec, vlen, flags, t);
}

FL_EXPORT int sendmmsg(int fd, struct mmsghdr* vec, unsigned vlen, int flags) {
  if (fl_is_armed(FL_CALL_sendmmsg))
    return fl_mmsg_slow(FL_CALL_sendmmsg, fd, vec, vlen, flags, 0, CALLER);
  return REAL(sendmmsg)(fd, vec, vlen, flags);
}

/* ---- message receives: corrupt flips bits of the message text ---------------------------- */

static ssize_t fl_msgin_real(int call, int q, void* msg, size_t len, long type, int flags,
                             unsigned* prio, const struct timespec* t) {
  switch (call) {
    case FL_CALL_msgrcv:
      return REAL(msgrcv)(q, msg, len, type, flags);
    case FL_CALL_mq_receive:
      return REAL(mq_receive)(q, msg, len, prio);
    case FL_CALL_mq_timedreceive:
      return REAL(mq_timedreceive)(q, msg, len, prio, t);
  }
  errno = ENOSYS;
  return -1;
}

__attribute__((noinline)) static ssize_t fl_msgin_slow(int call, int q, void* msg, size_t len,
                                                       long type, int flags, unsigned* prio,
                                                       const struct timespec* t, uint64_t caller) {
  const struct fl_obj obj =
      call == FL_CALL_msgrcv ? (struct fl_obj)FL_OBJ_ID(q) : (struct fl_obj)FL_OBJ_FD(q);
  struct fl_shot s;
  if (!fl_decide(&s, call, &obj, caller))
    return fl_msgin_real(call, q, msg, len, type, flags, prio, t);
  if (s.action == FL_ACT_ERROR) return (ssize_t)fl_fail(&s);
  ssize_t r = fl_msgin_real(call, q, msg, len, type, flags, prio, t);
  if (s.action == FL_ACT_CORRUPT && r > 0) {
    /* msgrcv's buffer starts with the message type; the text follows. */
    unsigned char* text = call == FL_CALL_msgrcv ? (unsigned char*)msg + sizeof(long) : msg;
    fl_rules_corrupt(fl_ctl, s.rule, s.hit, text, (uint64_t)r);
  }
  fl_after(&s, r, r > 0 ? r : 0);
  return r;
}

FL_EXPORT ssize_t msgrcv(int id, void* msg, size_t size, long type, int flags) {
  if (fl_is_armed(FL_CALL_msgrcv))
    return fl_msgin_slow(FL_CALL_msgrcv, id, msg, size, type, flags, 0, 0, CALLER);
  return REAL(msgrcv)(id, msg, size, type, flags);
}

FL_EXPORT ssize_t mq_receive(mqd_t q, char* msg, size_t len, unsigned* prio) {
  if (fl_is_armed(FL_CALL_mq_receive))
    return fl_msgin_slow(FL_CALL_mq_receive, q, msg, len, 0, 0, prio, 0, CALLER);
  return REAL(mq_receive)(q, msg, len, prio);
}

FL_EXPORT ssize_t mq_timedreceive(mqd_t q, char* msg, size_t len, unsigned* prio,
                                  const struct timespec* t) {
  if (fl_is_armed(FL_CALL_mq_timedreceive))
    return fl_msgin_slow(FL_CALL_mq_timedreceive, q, msg, len, 0, 0, prio, t, CALLER);
  return REAL(mq_timedreceive)(q, msg, len, prio, t);
}

/* ---- readiness: spurious reports readiness that is not there ------------------------------ */

/* Per epoll fd of this process: the last interest registered (epoll_ctl), which a spurious
 * epoll_wait reports as ready. Written only when a spurious rule exists. */
static struct {
  _Atomic uint32_t events; /* 0: nothing known */
  _Atomic uint64_t data;
} fl_epoll_last[FL_FD_TABLE];

static int fl_spurious_poll(struct fl_shot* s, struct pollfd* fds, nfds_t n) {
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
  if (epfd < 0 || epfd >= FL_FD_TABLE || max < 1) return -1;
  uint32_t events = atomic_load_explicit(&fl_epoll_last[epfd].events, memory_order_relaxed);
  if (!(events & (EPOLLIN | EPOLLOUT))) return -1;
  ev[0].events = events & (EPOLLIN | EPOLLOUT);
  ev[0].data.u64 = atomic_load_explicit(&fl_epoll_last[epfd].data, memory_order_relaxed);
  fl_record(s, 1, 0, 0);
  return 1;
}

struct fl_poll {
  int call;
  struct pollfd* fds;
  nfds_t n;
  int timeout;
  const struct timespec* ts;
  const sigset_t* mask;
  size_t fdslen;
  int nfds;
  fd_set *r, *w, *e;
  struct timeval* tv;
  int epfd;
  struct epoll_event* ev;
  int max;
};

static int fl_poll_real(const struct fl_poll* p) {
  switch (p->call) {
    case FL_CALL_poll:
      return REAL(poll)(p->fds, p->n, p->timeout);
    case FL_CALL___poll_chk:
      return REAL(__poll_chk)(p->fds, p->n, p->timeout, p->fdslen);
    case FL_CALL_ppoll:
      return REAL(ppoll)(p->fds, p->n, p->ts, p->mask);
    case FL_CALL___ppoll_chk:
      return REAL(__ppoll_chk)(p->fds, p->n, p->ts, p->mask, p->fdslen);
    case FL_CALL_select:
      return REAL(select)(p->nfds, p->r, p->w, p->e, p->tv);
    case FL_CALL_pselect:
      return REAL(pselect)(p->nfds, p->r, p->w, p->e, p->ts, p->mask);
    case FL_CALL_epoll_wait:
      return REAL(epoll_wait)(p->epfd, p->ev, p->max, p->timeout);
    case FL_CALL_epoll_pwait:
      return REAL(epoll_pwait)(p->epfd, p->ev, p->max, p->timeout, p->mask);
  }
  errno = ENOSYS;
  return -1;
}

__attribute__((noinline)) static int fl_poll_slow(const struct fl_poll* p, uint64_t caller) {
  const struct fl_obj obj = FL_OBJ_NONE(); /* as calls.def says: readiness is always IPC */
  struct fl_shot s;
  if (!fl_decide(&s, p->call, &obj, caller)) return fl_poll_real(p);
  if (s.action == FL_ACT_ERROR) return (int)fl_fail(&s);
  if (s.action == FL_ACT_SPURIOUS) {
    int r = p->ev    ? fl_spurious_epoll(&s, p->epfd, p->ev, p->max)
            : p->fds ? fl_spurious_poll(&s, p->fds, p->n)
                     : fl_spurious_select(&s, p->nfds, p->r, p->w, p->e);
    if (r >= 0) return r;
    /* Nothing to report as ready (no fd asked for, no epoll interest seen yet): the real
     * call runs, and the event says so with result 0 bytes. */
  }
  int r = fl_poll_real(p);
  fl_after(&s, r, 0);
  return r;
}

FL_EXPORT int poll(struct pollfd* fds, nfds_t n, int timeout) {
  if (fl_is_armed(FL_CALL_poll)) {
    const struct fl_poll p = {.call = FL_CALL_poll, .fds = fds, .n = n, .timeout = timeout};
    return fl_poll_slow(&p, CALLER);
  }
  return REAL(poll)(fds, n, timeout);
}

FL_EXPORT int __poll_chk(struct pollfd* fds, nfds_t n, int timeout, size_t fdslen) {
  if (fl_is_armed(FL_CALL___poll_chk)) {
    if (fdslen / sizeof(*fds) < n) __chk_fail();
    const struct fl_poll p = {
        .call = FL_CALL___poll_chk, .fds = fds, .n = n, .timeout = timeout, .fdslen = fdslen};
    return fl_poll_slow(&p, CALLER);
  }
  return REAL(__poll_chk)(fds, n, timeout, fdslen);
}

FL_EXPORT int ppoll(struct pollfd* fds, nfds_t n, const struct timespec* t, const sigset_t* mask) {
  if (fl_is_armed(FL_CALL_ppoll)) {
    const struct fl_poll p = {.call = FL_CALL_ppoll, .fds = fds, .n = n, .ts = t, .mask = mask};
    return fl_poll_slow(&p, CALLER);
  }
  return REAL(ppoll)(fds, n, t, mask);
}

FL_EXPORT int __ppoll_chk(struct pollfd* fds, nfds_t n, const struct timespec* t,
                          const sigset_t* mask, size_t fdslen) {
  if (fl_is_armed(FL_CALL___ppoll_chk)) {
    if (fdslen / sizeof(*fds) < n) __chk_fail();
    const struct fl_poll p = {
        .call = FL_CALL___ppoll_chk, .fds = fds, .n = n, .ts = t, .mask = mask, .fdslen = fdslen};
    return fl_poll_slow(&p, CALLER);
  }
  return REAL(__ppoll_chk)(fds, n, t, mask, fdslen);
}

FL_EXPORT int select(int n, fd_set* r, fd_set* w, fd_set* e, struct timeval* t) {
  if (fl_is_armed(FL_CALL_select)) {
    const struct fl_poll p = {.call = FL_CALL_select, .nfds = n, .r = r, .w = w, .e = e, .tv = t};
    return fl_poll_slow(&p, CALLER);
  }
  return REAL(select)(n, r, w, e, t);
}

FL_EXPORT int pselect(int n, fd_set* r, fd_set* w, fd_set* e, const struct timespec* t,
                      const sigset_t* mask) {
  if (fl_is_armed(FL_CALL_pselect)) {
    const struct fl_poll p = {
        .call = FL_CALL_pselect, .nfds = n, .r = r, .w = w, .e = e, .ts = t, .mask = mask};
    return fl_poll_slow(&p, CALLER);
  }
  return REAL(pselect)(n, r, w, e, t, mask);
}

FL_EXPORT int epoll_wait(int epfd, struct epoll_event* ev, int max, int timeout) {
  if (fl_is_armed(FL_CALL_epoll_wait)) {
    const struct fl_poll p = {
        .call = FL_CALL_epoll_wait, .epfd = epfd, .ev = ev, .max = max, .timeout = timeout};
    return fl_poll_slow(&p, CALLER);
  }
  return REAL(epoll_wait)(epfd, ev, max, timeout);
}

FL_EXPORT int epoll_pwait(int epfd, struct epoll_event* ev, int max, int timeout,
                          const sigset_t* mask) {
  if (fl_is_armed(FL_CALL_epoll_pwait)) {
    const struct fl_poll p = {.call = FL_CALL_epoll_pwait,
                              .epfd = epfd,
                              .ev = ev,
                              .max = max,
                              .timeout = timeout,
                              .mask = mask};
    return fl_poll_slow(&p, CALLER);
  }
  return REAL(epoll_pwait)(epfd, ev, max, timeout, mask);
}

/* epoll_ctl is armed whenever a spurious rule covers epoll_wait/epoll_pwait (interpose.c), so
 * that the interest to report is known. */
__attribute__((noinline)) static int fl_epoll_ctl_slow(int epfd, int op, int fd,
                                                       struct epoll_event* ev, uint64_t caller) {
  const struct fl_obj obj = FL_OBJ_FD(fd);
  struct fl_shot s;
  if (fl_decide(&s, FL_CALL_epoll_ctl, &obj, caller) && s.action == FL_ACT_ERROR)
    return (int)fl_fail(&s);
  int r = REAL(epoll_ctl)(epfd, op, fd, ev);
  if (r == 0 && ev && (op == EPOLL_CTL_ADD || op == EPOLL_CTL_MOD) && epfd >= 0 &&
      epfd < FL_FD_TABLE) {
    atomic_store_explicit(&fl_epoll_last[epfd].data, ev->data.u64, memory_order_relaxed);
    atomic_store_explicit(&fl_epoll_last[epfd].events, ev->events, memory_order_relaxed);
  }
  fl_after(&s, r, 0);
  return r;
}

FL_EXPORT int epoll_ctl(int epfd, int op, int fd, struct epoll_event* ev) {
  if (fl_is_armed(FL_CALL_epoll_ctl)) return fl_epoll_ctl_slow(epfd, op, fd, ev, CALLER);
  return REAL(epoll_ctl)(epfd, op, fd, ev);
}

/* ---- variadic calls --------------------------------------------------------------------- */

static int fl_needs_mode(int flags) {
  return (flags & O_CREAT) || (flags & __O_TMPFILE) == __O_TMPFILE;
}

__attribute__((noinline)) static int fl_open_slow(int call, int dirfd, const char* path, int flags,
                                                  mode_t mode, uint64_t caller) {
  const struct fl_obj obj = FL_OBJ_AT(dirfd, path);
  struct fl_shot s;
  int decided = fl_decide(&s, call, &obj, caller);
  if (decided && s.action == FL_ACT_ERROR) return (int)fl_fail(&s);
  int r;
  switch (call) {
    case FL_CALL_open:
      r = REAL(open)(path, flags, mode);
      break;
    case FL_CALL_open64:
      r = REAL(open64)(path, flags, mode);
      break;
    case FL_CALL_openat:
      r = REAL(openat)(dirfd, path, flags, mode);
      break;
    default:
      r = REAL(openat64)(dirfd, path, flags, mode);
      break;
  }
  if (decided) fl_after(&s, r, 0);
  return r;
}

#define FL_MODE_ARG(flags, last)    \
  mode_t mode = 0;                  \
  if (fl_needs_mode(flags)) {       \
    va_list ap;                     \
    va_start(ap, last);             \
    mode = (mode_t)va_arg(ap, int); \
    va_end(ap);                     \
  }

FL_EXPORT int open(const char* path, int flags, ...) {
  FL_MODE_ARG(flags, flags)
  if (fl_is_armed(FL_CALL_open))
    return fl_open_slow(FL_CALL_open, AT_FDCWD, path, flags, mode, CALLER);
  return REAL(open)(path, flags, mode);
}

FL_EXPORT int open64(const char* path, int flags, ...) {
  FL_MODE_ARG(flags, flags)
  if (fl_is_armed(FL_CALL_open64))
    return fl_open_slow(FL_CALL_open64, AT_FDCWD, path, flags, mode, CALLER);
  return REAL(open64)(path, flags, mode);
}

FL_EXPORT int openat(int dirfd, const char* path, int flags, ...) {
  FL_MODE_ARG(flags, flags)
  if (fl_is_armed(FL_CALL_openat))
    return fl_open_slow(FL_CALL_openat, dirfd, path, flags, mode, CALLER);
  return REAL(openat)(dirfd, path, flags, mode);
}

FL_EXPORT int openat64(int dirfd, const char* path, int flags, ...) {
  FL_MODE_ARG(flags, flags)
  if (fl_is_armed(FL_CALL_openat64))
    return fl_open_slow(FL_CALL_openat64, dirfd, path, flags, mode, CALLER);
  return REAL(openat64)(dirfd, path, flags, mode);
}

__attribute__((noinline)) static mqd_t fl_mq_open_slow(const char* name, int flags, mode_t mode,
                                                       struct mq_attr* attr, uint64_t caller) {
  const struct fl_obj obj = FL_OBJ_NAME(name);
  struct fl_shot s;
  int decided = fl_decide(&s, FL_CALL_mq_open, &obj, caller);
  if (decided && s.action == FL_ACT_ERROR) return (mqd_t)fl_fail(&s);
  mqd_t r = (flags & O_CREAT) ? REAL(mq_open)(name, flags, mode, attr) : REAL(mq_open)(name, flags);
  if (decided) fl_after(&s, r, 0);
  return r;
}

static mqd_t fl_mq_opened(mqd_t r, const char* name, int flags) {
  if (r != (mqd_t)-1 && (flags & O_CREAT) && fl_ctl)
    fl_note_created(FL_CALL_mq_open, FL_OBJECT_POSIX_MQ, -1, 0, AT_FDCWD, name);
  return r;
}

FL_EXPORT mqd_t mq_open(const char* name, int flags, ...) {
  mode_t mode = 0;
  struct mq_attr* attr = 0;
  if (flags & O_CREAT) {
    va_list ap;
    va_start(ap, flags);
    mode = (mode_t)va_arg(ap, int);
    attr = va_arg(ap, struct mq_attr*);
    va_end(ap);
  }
  if (fl_is_armed(FL_CALL_mq_open))
    return fl_mq_opened(fl_mq_open_slow(name, flags, mode, attr, CALLER), name, flags);
  return fl_mq_opened(
      (flags & O_CREAT) ? REAL(mq_open)(name, flags, mode, attr) : REAL(mq_open)(name, flags), name,
      flags);
}

/* The fourth argument of semctl, which the caller must define itself (semctl(2)). */
union fl_semun {
  int val;
  struct semid_ds* buf;
  unsigned short* array;
  struct seminfo* info;
};

static int fl_semctl_has_arg(int cmd) {
  switch (cmd) {
    case IPC_STAT:
    case IPC_SET:
    case IPC_INFO:
    case SEM_INFO:
    case SEM_STAT:
    case SEM_STAT_ANY:
    case GETALL:
    case SETALL:
    case SETVAL:
      return 1;
  }
  return 0;
}

__attribute__((noinline)) static int fl_semctl_slow(int id, int num, int cmd, union fl_semun arg,
                                                    uint64_t caller) {
  const struct fl_obj obj = FL_OBJ_ID(id);
  struct fl_shot s;
  int decided = fl_decide(&s, FL_CALL_semctl, &obj, caller);
  if (decided && s.action == FL_ACT_ERROR) return (int)fl_fail(&s);
  int r = REAL(semctl)(id, num, cmd, arg);
  if (decided) fl_after(&s, r, 0);
  return r;
}

FL_EXPORT int semctl(int id, int num, int cmd, ...) {
  union fl_semun arg = {0};
  if (fl_semctl_has_arg(cmd)) {
    va_list ap;
    va_start(ap, cmd);
    arg = va_arg(ap, union fl_semun);
    va_end(ap);
  }
  if (fl_is_armed(FL_CALL_semctl)) return fl_semctl_slow(id, num, cmd, arg, CALLER);
  return REAL(semctl)(id, num, cmd, arg);
}

/* ---- hooks.def: libc's own closes and replacements, for the fd cache ------------------------- */

enum fl_hook_id {
#define FL_HOOK(name) FL_HOOK_##name,
#include "hooks.def"
#undef FL_HOOK
  FL_HOOK_COUNT
};

static _Atomic(void*) fl_hook_fn[FL_HOOK_COUNT];

static void* fl_hook_real(int hook, const char* symbol) {
  void* p = atomic_load_explicit(&fl_hook_fn[hook], memory_order_acquire);
  if (__builtin_expect(p != 0, 1)) return p;
  int saved = errno;
  p = dlsym(RTLD_NEXT, symbol);
  if (!p) abort(); /* libc without the function: nothing sensible to call */
  atomic_store_explicit(&fl_hook_fn[hook], p, memory_order_release);
  errno = saved;
  return p;
}

#define HOOK_REAL(name) ((__typeof__(&name))fl_hook_real(FL_HOOK_##name, #name))

/* A stream's fd, -1 for none; errno untouched (fileno sets EBADF for a stream without fd). */
static int fl_stream_fd(FILE* f) {
  if (!f) return -1;
  int saved = errno;
  int fd = fileno_unlocked(f);
  errno = saved;
  return fd;
}

FL_EXPORT int fclose(FILE* f) {
  fl_fd_forget(fl_stream_fd(f));
  return HOOK_REAL(fclose)(f);
}

FL_EXPORT int pclose(FILE* f) {
  fl_fd_forget(fl_stream_fd(f));
  return HOOK_REAL(pclose)(f);
}

/* freopen keeps the stream's fd number: it opens the new file and dup3s it onto the old fd
 * (or closes the old fd when the open fails). */
FL_EXPORT FILE* freopen(const char* path, const char* mode, FILE* f) {
  int fd = fl_stream_fd(f);
  FILE* r = HOOK_REAL(freopen)(path, mode, f);
  fl_fd_forget(fd);
  fl_fd_forget(fl_stream_fd(r));
  return r;
}

FL_EXPORT FILE* freopen64(const char* path, const char* mode, FILE* f) {
  int fd = fl_stream_fd(f);
  FILE* r = HOOK_REAL(freopen64)(path, mode, f);
  fl_fd_forget(fd);
  fl_fd_forget(fl_stream_fd(r));
  return r;
}

/* Closes every stream, whose fds are not listed anywhere the interposer could read. */
FL_EXPORT int fcloseall(void) {
  int r = HOOK_REAL(fcloseall)();
  fl_fd_forget_from(0, ~0u);
  return r;
}

FL_EXPORT FILE* popen(const char* command, const char* mode) {
  FILE* r = HOOK_REAL(popen)(command, mode);
  fl_fd_forget(fl_stream_fd(r));
  return r;
}

/* daemon redirects 0, 1 and 2 to /dev/null in the child, which is the caller that returns. */
FL_EXPORT int daemon(int nochdir, int noclose) {
  int r = HOOK_REAL(daemon)(nochdir, noclose);
  if (!noclose) fl_fd_forget_from(0, 2);
  return r;
}

/* login_tty makes the terminal 0, 1 and 2 and closes it; forkpty does so in the child. */
FL_EXPORT int login_tty(int fd) {
  int r = HOOK_REAL(login_tty)(fd);
  fl_fd_forget_from(0, 2);
  fl_fd_forget(fd);
  return r;
}

FL_EXPORT pid_t forkpty(int* amaster, char* name, const struct termios* termp,
                        const struct winsize* winp) {
  pid_t r = HOOK_REAL(forkpty)(amaster, name, termp, winp);
  if (r == 0) fl_fd_forget_from(0, 2);
  return r;
}

FL_EXPORT int closedir(DIR* d) {
  fl_fd_forget(dirfd(d));
  return HOOK_REAL(closedir)(d);
}

/* Both spare the control file the interposer keeps (see close): the range is closed on
 * either side of it. */
FL_EXPORT int close_range(unsigned first, unsigned last, int flags) {
  if (!(flags & CLOSE_RANGE_CLOEXEC)) fl_fd_forget_from(first, last);
  int keep = atomic_load_explicit(&fl_ctl_fd, memory_order_relaxed);
  if (__builtin_expect(keep >= 0, 0) && (unsigned)keep >= first && (unsigned)keep <= last &&
      fl_is_control_fd(keep)) {
    int r = 0;
    if ((unsigned)keep > first) r = HOOK_REAL(close_range)(first, (unsigned)keep - 1, flags);
    if (r == 0 && (unsigned)keep < last)
      r = HOOK_REAL(close_range)((unsigned)keep + 1, last, flags);
    return r;
  }
  return HOOK_REAL(close_range)(first, last, flags);
}

FL_EXPORT void closefrom(int low) {
  if (low >= 0) fl_fd_forget_from((unsigned)low, ~0u);
  int keep = atomic_load_explicit(&fl_ctl_fd, memory_order_relaxed);
  if (__builtin_expect(keep >= 0, 0) && low >= 0 && keep >= low && fl_is_control_fd(keep)) {
    if (keep > low) {
      int saved = errno;
      if (HOOK_REAL(close_range)((unsigned)low, (unsigned)keep - 1, 0) != 0) {
        for (int fd = low; fd < keep; ++fd) syscall(SYS_close, fd);
      }
      errno = saved;
    }
    HOOK_REAL(closefrom)(keep + 1);
    return;
  }
  HOOK_REAL(closefrom)(low);
}
