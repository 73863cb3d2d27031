/* What a call is on: the class, channel, stream-ness and shape of its object (an fd, a
 * System V id or key, a path, a name, a mapping), from the kernel, and the per-process fd
 * cache that keeps what was found for an fd. Runs on the armed call path: the house rules of
 * decide.c hold here. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "wrap.h"

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

/* The identity of a file (the fd cache masks it to its width): a hash of dev, inode and type. */
static uint64_t fl_stat_ident(const struct stat* st) {
  return fl_rules_hash((uint64_t)st->st_dev, (uint64_t)st->st_ino,
                       (uint64_t)(st->st_mode & S_IFMT));
}

/* The class (and on demand channel, stream-ness and shape) of an open fd, from the kernel:
 * the kernel's view is the attribution table, so fds inherited, received over SCM_RIGHTS or
 * duplicated inside libc are classified like any other. *ident (unless NULL) receives the
 * identity of the file the classification starts from: should the fd be replaced before it
 * ends, an fd cache entry names the old file, and the look before a fire finds it out of
 * date. */
static int fl_resolve_fd(struct fl_subject* s, int fd, unsigned need, int shared_map,
                         uint64_t* ident) {
  struct stat st;
  s->fd_class = FL_FD_IPC;
  s->channel = -1;
  s->stream = 0;
  s->shape = FL_SHAPE_UNKNOWN;
  /* An fd that cannot be examined is not one of the program's files. */
  if (fd < 0 || syscall(SYS_fstat, fd, &st) != 0) return 0;
  if (ident) *ident = fl_stat_ident(&st);
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

/* ---- the fd cache ------------------------------------------------------------------------
 * What fl_resolve_fd found for an fd, so that an armed call that does not fire costs no
 * system call, whatever the fd's number. FL_FD_CACHE slots (a fixed static table: no
 * allocation), one per fd number modulo FL_FD_CACHE; an entry carries the rest of its fd's
 * number (the tag), so that fd N + FL_FD_CACHE never takes fd N's answer. The kernel hands
 * out the lowest free number, so a process's fds are dense from 0 and the first FL_FD_CACHE
 * of them never share a slot; numbers further apart (a dup2 to 5000 and to 21384) take the
 * slot from each other, costing a look at the kernel when one comes back, never a wrong
 * answer. An entry is forgotten when the wrappers see the fd closed or replaced (close,
 * dup2, dup3, and the libc functions of hooks.def that close or replace fds inside libc) or
 * its socket's address change (bind, connect). What they cannot see (a raw system call, a
 * libc internal not hooked) leaves an entry out of date; so before a fault fires on what an
 * entry said, fl_confirm_fd compares the fd's (st_dev, st_ino, file type) now with the entry's
 * and classifies the fd again if they differ.
 * Layout, one word so that an entry is never torn: bit 63 valid, bits 60-62 FL_NEED_* known,
 * bits 58-59 class, bit 57 stream, bits 49-56 channel + 1, bits 46-48 shape, bits 29-45 the
 * tag (fd >> FL_FD_CACHE_BITS: 17 bits hold every int fd), bits 0-28 the identity of the file
 * the entry describes (a 29-bit hash of dev, inode and type). */
#define FL_FD_CACHE_BITS 14
#define FL_FD_CACHE (1u << FL_FD_CACHE_BITS) /* 16384 slots, 128 KiB of zero pages until used */
#define FL_C_VALID (1ull << 63)
#define FL_C_TAG_SHIFT 29
#define FL_C_TAG_MASK ((1ull << 17) - 1)
#define FL_C_IDENT ((1ull << FL_C_TAG_SHIFT) - 1)
static _Atomic uint64_t fl_fd_cache[FL_FD_CACHE];

static uint64_t fl_fd_tag(int fd) {
  return ((uint64_t)(unsigned)fd >> FL_FD_CACHE_BITS) & FL_C_TAG_MASK;
}
static uint64_t fl_fd_tag_of(uint64_t e) { return (e >> FL_C_TAG_SHIFT) & FL_C_TAG_MASK; }

/* fl_fd_forget (wrap.h) with the cache on: the fd's entry, if the slot holds fd's (a CAS, so
 * that an entry another thread just made there for another fd stays). */
void fl_fd_forget_entry(int fd) {
  _Atomic uint64_t* slot = &fl_fd_cache[(unsigned)fd & (FL_FD_CACHE - 1)];
  uint64_t e = atomic_load_explicit(slot, memory_order_relaxed);
  if ((e & FL_C_VALID) && fl_fd_tag_of(e) == fl_fd_tag(fd))
    atomic_compare_exchange_strong_explicit(slot, &e, 0, memory_order_relaxed,
                                            memory_order_relaxed);
}

/* Slots below this were ever written (so close_range(3, ~0U) looks at those only). */
static _Atomic unsigned fl_fd_cache_top;

void fl_fd_forget_from(unsigned first, unsigned last) {
  if (!atomic_load_explicit(&fl_fd_cache_on, memory_order_relaxed)) return;
  unsigned top = atomic_load_explicit(&fl_fd_cache_top, memory_order_relaxed);
  for (unsigned i = 0; i < top; ++i) {
    uint64_t e = atomic_load_explicit(&fl_fd_cache[i], memory_order_relaxed);
    if (!(e & FL_C_VALID)) continue;
    uint64_t fd = (fl_fd_tag_of(e) << FL_FD_CACHE_BITS) | i;
    if (fd >= first && fd <= last)
      atomic_compare_exchange_strong_explicit(&fl_fd_cache[i], &e, 0, memory_order_relaxed,
                                              memory_order_relaxed);
  }
}

/* The identity of the file `fd` refers to now; 0 when it is not open. */
static int fl_fd_ident(int fd, uint64_t* ident) {
  struct stat st;
  if (fd < 0 || syscall(SYS_fstat, fd, &st) != 0) return 0;
  *ident = fl_stat_ident(&st) & FL_C_IDENT;
  return 1;
}

static void fl_fd_remember(int fd, const struct fl_subject* s, unsigned known, uint64_t ident) {
  unsigned slot = (unsigned)fd & (FL_FD_CACHE - 1);
  uint64_t packed = FL_C_VALID | ((uint64_t)known << 60) | ((uint64_t)s->fd_class << 58) |
                    ((uint64_t)(s->stream != 0) << 57) | ((uint64_t)(s->channel + 1) << 49) |
                    ((uint64_t)(s->shape & 7u) << 46) | (fl_fd_tag(fd) << FL_C_TAG_SHIFT) | ident;
  atomic_store_explicit(&fl_fd_cache[slot], packed, memory_order_relaxed);
  unsigned top = atomic_load_explicit(&fl_fd_cache_top, memory_order_relaxed);
  while (top <= slot &&
         !atomic_compare_exchange_weak_explicit(&fl_fd_cache_top, &top, slot + 1,
                                                memory_order_relaxed, memory_order_relaxed)) {
  }
  atomic_store_explicit(&fl_fd_cache_on, 1, memory_order_relaxed);
}

FL_HOT static void fl_resolve_cached_fd(struct fl_subject* s, int fd, unsigned need) {
  struct fl_shot* shot = (struct fl_shot*)s;
  shot->fd_cached = 0;
  if (fd < 0) {
    fl_resolve_fd(s, fd, need, 0, 0);
    return;
  }
  uint64_t e =
      atomic_load_explicit(&fl_fd_cache[(unsigned)fd & (FL_FD_CACHE - 1)], memory_order_relaxed);
  if (fl_fd_tag_of(e) != fl_fd_tag(fd)) e = 0; /* another fd's entry */
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
  uint64_t ident;
  int saved = errno;
  int open = fl_resolve_fd(s, fd, need, 0, &ident);
  errno = saved;
  if (open) fl_fd_remember(fd, s, need, ident & FL_C_IDENT); /* not open: nothing to remember */
}

/* What a mapping of an fd is, from what the fd is: the cache keeps a file's class as a
 * private mapping sees it, and a shared mapping of a plain regular file is IPC (the processes
 * mapping it share its pages); POSIX shm and queues and channels' files are IPC either way. */
static void fl_map_view(struct fl_subject* s, int flags) {
  if ((flags & MAP_SHARED) && s->fd_class == FL_FD_FILE && s->shape == FL_SHAPE_REGULAR)
    s->fd_class = FL_FD_IPC;
}

/* fl_subject.confirm for fd calls: a fault is about to fire on what the fd cache said. One
 * fstat; when the fd now refers to another file, it is classified again (and the entry
 * renewed). Returns 1 when the class, channel, stream-ness or shape the rules saw was wrong. */
static int fl_confirm_fd_again(struct fl_subject* s, struct fl_shot* shot);
int fl_confirm_fd(struct fl_subject* s) {
  struct fl_shot* shot = (struct fl_shot*)s;
  if (!shot->fd_cached || !(s->known & (FL_NEED_CLASS | FL_NEED_CHANNEL | FL_NEED_STREAM)))
    return 0;
  shot->fd_cached = 0;
  int saved = errno;
  int changed = fl_confirm_fd_again(s, shot);
  errno = saved;
  return changed;
}

/* fl_confirm_fd's look, errno not restored. */
static int fl_confirm_fd_again(struct fl_subject* s, struct fl_shot* shot) {
  int fd = shot->obj->fd;
  uint64_t ident = 0;
  int open = fl_fd_ident(fd, &ident);
  if (open && ident == shot->fd_ident) return 0;
  struct fl_subject was = *s;
  s->fd_class = FL_FD_IPC;
  s->channel = -1;
  s->stream = 0;
  if (open && fl_resolve_fd(s, fd, s->known, 0, 0))
    fl_fd_remember(fd, s, s->known, ident);
  else
    fl_fd_forget(fd);
  if (shot->obj->kind == FL_O_MAP) fl_map_view(s, shot->obj->flags);
  unsigned k = s->known;
  return ((k & FL_NEED_CLASS) && was.fd_class != s->fd_class) ||
         ((k & FL_NEED_CHANNEL) && was.channel != s->channel) ||
         ((k & FL_NEED_STREAM) && (was.stream != s->stream || was.shape != s->shape));
}

FL_HOT void fl_resolve_subject(struct fl_subject* s, unsigned need) {
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
      if (o->fd >= 0) {
        fl_resolve_cached_fd(s, o->fd, need);
        fl_map_view(s, o->flags);
      } else if (!(o->flags & MAP_SHARED))
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
      int saved = errno;
      int there = o->path && syscall(SYS_newfstatat, o->fd, o->path, &st, 0) == 0;
      errno = saved;
      if (!there) {
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

/* fl_subject.may_be_channel: whether the object can be channel `index` at all, from the call
 * alone. fl_resolve_subject finds a path's channel by its inode or its name, an fd's (or a
 * mapping's) by its inode or, for a socket, by its address's path or port: a channel that has
 * none of what the object could be found by is not it, and an unstatted path that is not a
 * channel's name cannot be a channel with no inode. No system call. */
FL_HOT int fl_may_be_channel(const struct fl_subject* s, int index) {
  const struct fl_obj* o = s->context;
  const struct fl_control* ctl = fl_ctl;
  if (index < 0 || index >= FL_MAX_CHANNELS || (uint32_t)index >= ctl->channel_count) return 0;
  const struct fl_channel* c = &ctl->channels[index];
  switch (o->kind) {
    case FL_O_PATH:
      if (c->ino != 0) return 1;
      return c->path[0] != '\0' && fl_streq(c->path, o->path, FL_SITE_MAX);
    case FL_O_FD:
    case FL_O_MAP:
      if (o->fd < 0) return 0;
      return c->ino != 0 || c->path[0] != '\0' || c->port != 0;
    case FL_O_NONE:
      return 0;
    default:
      return 1; /* ids, keys and names are matched without a system call anyway */
  }
}
