/* The interposer's global state and its load-time constructor. Every global that more than
 * one file uses lives in this file (declared in interpose.h and wrap.h); state that one file
 * alone uses is `static` in that file: the fd cache's entries (fd_attribution.c), the reset
 * marks (reset.c), the epoll interest (wrap_ready.c), the hooks' real functions
 * (wrap_hooks.c), the observing wrappers' real functions (observe.c), the module list
 * (record.c), libunwind's entry points (context.c). The rule engine's two hooks for calling
 * contexts, fl_rules_unwind and fl_rules_context_base, live in rule_engine.c, which the C++
 * side also builds (faultline_rules) without this file. The house rules of the call path, which hold for everything in interpose/, are
 * at the top of decide.c. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "facts.h"
#include "interpose.h"

/* Written once by fl_init (load time, before main and before any thread of the program),
 * then only read. NULL and all-zero mean pass-through, which is also what a wrapper called
 * before the constructor sees. */
FL_HOT_DATA struct fl_control* fl_ctl;
FL_HOT_DATA uint64_t fl_armed[FL_MAX_CALLS / 64];
FL_HOT_DATA char fl_process[FL_NAME_MAX];
uint64_t fl_shm_dev = UINT64_MAX; /* st_dev of /dev/shm: POSIX shared memory lives there */
/* st_dev of the anonymous-inode file system (eventfd, signalfd, epoll, ...) and of pidfs
 * (pidfds since Linux 6.9; the same as the first before): such fds are no one's IPC. */
uint64_t fl_anon_dev = UINT64_MAX;
uint64_t fl_pidfs_dev = UINT64_MAX;

/* The inherited descriptor of the control file this process keeps open, without close-on-
 * exec, for the programs it starts (FAULTLINE_CONTROL_FD); -1 when it keeps none. Written by
 * fl_init; set to -1 by the wrappers when the program puts a file of its own on that number
 * (dup2, dup3). fl_ctl_dev/fl_ctl_ino identify the control file, fl_ctl_path is its path
 * (FAULTLINE_CONTROL, copied: programs rewrite their environment). */
_Atomic int fl_ctl_fd = -1;
int fl_ctl_fd_wanted = -1; /* the number FAULTLINE_CONTROL_FD names, -1 when none */
uint64_t fl_ctl_dev;
uint64_t fl_ctl_ino;
char fl_ctl_path[FL_PATH_MAX];

/* Per thread: set while the interposer itself is deciding or recording, so that a signal
 * handler calling a wrapped function on the same thread passes straight through. */
__thread int fl_busy __attribute__((tls_model("initial-exec")));

/* The real functions, filled lazily by fl_resolve from any thread (a racing store writes the
 * same value). */
FL_HOT_DATA _Atomic(void*) fl_real[FL_CALL_COUNT];

/* site= matching (site.c). Written by fl_site_init, before fl_site_ready is set; afterwards
 * only by fl_site_refresh, which fills in modules loaded since (an aligned 64-bit store: a
 * reader sees the old or the new base). */
uint64_t fl_site_base[FL_MAX_RULES * FL_SITE_RANGES];
uint64_t fl_context_base[FL_MAX_RULES * FL_CONTEXT_RANGES]; /* a context's outer frames */
FL_HOT_DATA int fl_site_ready;
/* Set by fl_context_init (context.c) once libunwind is loaded, before any rule can match. */
int fl_context_ready;
FL_HOT_DATA int fl_site_pending;

/* Set by fl_record_init (record.c) from the constructor when the control block asks for a
 * recording. */
FL_HOT_DATA int fl_recording;

/* Set once the fd cache (fd_attribution.c) holds an entry: until then the wrappers that
 * forget an fd pay one load (wrap.h). */
FL_HOT_DATA _Atomic int fl_fd_cache_on;

static const char* const fl_symbols[FL_CALL_COUNT] = {
#define FL_CALL(name, base, family, ret, fail, params, args, object, kinds, errnos, transient, \
                hard, data)                                                                    \
#name,
#include "calls.def"
#undef FL_CALL
};

static void fl_say(const char* a, const char* b) {
  syscall(SYS_write, 2, a, strlen(a));
  if (b) syscall(SYS_write, 2, b, strlen(b));
  syscall(SYS_write, 2, "\n", 1);
}

void* fl_resolve(int call) {
  int saved = errno;
  void* p = dlsym(RTLD_NEXT, fl_symbols[call]);
  if (!p) {
    fl_say("faultline: the C library has no symbol ", fl_symbols[call]);
    abort();
  }
  atomic_store_explicit(&fl_real[call], p, memory_order_release);
  errno = saved;
  return p;
}

/* Under a control block, resolved now rather than on first use, so that no call of the
 * program runs dlsym (which takes the loader's lock) once main has started. Without one the
 * interposer stays a lazy pass-through: loading it into a process costs as little as it can. */
static void fl_resolve_all(void) {
  for (int i = 0; i < FL_CALL_COUNT; ++i) {
    if (atomic_load_explicit(&fl_real[i], memory_order_relaxed)) continue;
    void* p = dlsym(RTLD_NEXT, fl_symbols[i]);
    if (p) atomic_store_explicit(&fl_real[i], p, memory_order_release);
  }
}

/* The devices of fds that are anonymous inodes, from a throw-away eventfd and pidfd (closed
 * at once, so the program's fd numbers are as they would be). */
static void fl_learn_anon_devs(void) {
  struct stat st;
  long fd = syscall(SYS_eventfd2, 0, EFD_CLOEXEC);
  if (fd >= 0) {
    if (syscall(SYS_fstat, fd, &st) == 0) fl_anon_dev = (uint64_t)st.st_dev;
    syscall(SYS_close, fd);
  }
  fd = syscall(SYS_pidfd_open, syscall(SYS_getpid), 0);
  if (fd >= 0) {
    if (syscall(SYS_fstat, fd, &st) == 0) fl_pidfs_dev = (uint64_t)st.st_dev;
    syscall(SYS_close, fd);
  }
}

static void fl_arm(int call) { fl_armed[call >> 6] |= 1ull << (call & 63); }

/* What the rules need armed beyond their own calls. */
static void fl_arm_helpers(const struct fl_control* ctl) {
  uint32_t n = ctl->rule_count < FL_MAX_RULES ? ctl->rule_count : FL_MAX_RULES;
  for (uint32_t i = 0; i < n; ++i) {
    const struct fl_rule* r = &ctl->rules[i];
    int epoll = (r->call_mask[FL_CALL_epoll_wait >> 6] >> (FL_CALL_epoll_wait & 63)) & 1;
    epoll |= (r->call_mask[FL_CALL_epoll_pwait >> 6] >> (FL_CALL_epoll_pwait & 63)) & 1;
    /* A spurious epoll_wait reports an interest registered with epoll_ctl. */
    if (r->action == FL_ACT_SPURIOUS && epoll) fl_arm(FL_CALL_epoll_ctl);
  }
}

int fl_control_fd_still_ours(int fd) {
  int saved = errno;
  struct stat st;
  int ours = syscall(SYS_fstat, fd, &st) == 0 && (uint64_t)st.st_dev == fl_ctl_dev &&
             (uint64_t)st.st_ino == fl_ctl_ino;
  errno = saved;
  return ours;
}

/* "123" -> 123; -1 for anything that is no small non-negative number. */
static int fl_parse_fd(const char* text) {
  if (!text || !*text) return -1;
  long v = 0;
  for (const char* c = text; *c; ++c) {
    if (*c < '0' || *c > '9' || v > 1000000) return -1;
    v = v * 10 + (*c - '0');
  }
  return (int)v;
}

/* Whether `fd` is an open, read-write descriptor of a whole control block. 0 when it is,
 * else the errno that says why not (EBADF: closed; EINVAL: some other file). */
static int fl_check_control_fd(int fd) {
  struct stat st;
  if (syscall(SYS_fstat, fd, &st) != 0) return errno;
  long mode = syscall(SYS_fcntl, fd, F_GETFL);
  uint32_t magic = 0;
  if (!S_ISREG(st.st_mode) || mode < 0 || (mode & O_ACCMODE) != O_RDWR ||
      st.st_size < (off_t)sizeof(struct fl_control) ||
      syscall(SYS_pread64, fd, &magic, sizeof magic, 0) != (long)sizeof magic ||
      magic != FL_CONTROL_MAGIC)
    return EINVAL;
  return 0;
}

/* A small text buffer for the one message the interposer may print: no stdio. */
struct fl_text {
  char buf[512];
  size_t len;
};

static void fl_put(struct fl_text* t, const char* s) {
  for (; s && *s && t->len + 1 < sizeof t->buf; ++s) t->buf[t->len++] = *s;
}

static void fl_put_num(struct fl_text* t, long v) {
  char num[24];
  int k = 0;
  unsigned long u = v < 0 ? (unsigned long)-v : (unsigned long)v;
  do num[k++] = (char)('0' + u % 10);
  while ((u /= 10) != 0);
  if (v < 0) fl_put(t, "-");
  while (k > 0 && t->len + 1 < sizeof t->buf) t->buf[t->len++] = num[--k];
}

static void fl_put_errno(struct fl_text* t, int err) {
  const char* name = strerrorname_np(err);
  if (name)
    fl_put(t, name);
  else
    fl_put_num(t, err);
}

static void fl_copy_field(char* dst, size_t cap, const char* src, long n) {
  size_t i = 0;
  for (; src && i + 1 < cap && (n < 0 || (long)i < n) && src[i] != '\0' && src[i] != '\n'; ++i)
    dst[i] = src[i];
  dst[i] = '\0';
}

/* A process that has FAULTLINE_CONTROL but cannot map the control block runs without fault
 * injection: never silently. One line on stderr, and a record to the runner over the
 * abstract socket FAULTLINE_STATUS names (it needs no file permissions, so it reaches the
 * runner after a privilege drop and after the program closed every fd). */
static void fl_attach_failed(uint32_t reason, const char* path, int fd, int fd_err, int path_err) {
  struct fl_attach_failure rec;
  memset(&rec, 0, sizeof rec);
  rec.magic = FL_STATUS_MAGIC;
  rec.pid = (int32_t)syscall(SYS_getpid);
  rec.ppid = (int32_t)syscall(SYS_getppid);
  rec.uid = (uint32_t)syscall(SYS_geteuid);
  rec.fd = fd;
  rec.fd_errno = fd_err;
  rec.path_errno = path_err;
  rec.reason = reason;
  fl_copy_field(rec.process, sizeof rec.process, fl_process, -1);
  char comm[16] = "";
  long cfd = syscall(SYS_openat, AT_FDCWD, "/proc/self/comm", O_RDONLY | O_CLOEXEC);
  if (cfd >= 0) {
    long n = syscall(SYS_read, cfd, comm, sizeof comm - 1);
    syscall(SYS_close, cfd);
    fl_copy_field(rec.comm, sizeof rec.comm, comm, n);
  }
  char exe[FL_SITE_MAX];
  long n = syscall(SYS_readlink, "/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0) fl_copy_field(rec.exe, sizeof rec.exe, exe, n);

  struct fl_text t = {.len = 0};
  fl_put(&t, "faultline: pid ");
  fl_put_num(&t, rec.pid);
  fl_put(&t, " (");
  fl_put(&t, rec.comm[0] ? rec.comm : "?");
  if (rec.process[0]) {
    fl_put(&t, ", process ");
    fl_put(&t, rec.process);
  }
  fl_put(&t, ", uid ");
  fl_put_num(&t, (long)rec.uid);
  fl_put(&t, ") runs WITHOUT fault injection: ");
  if (reason == FL_ATTACH_VERSION) {
    fl_put(&t,
           "the control block is of another faultline version (use the interposer that came "
           "with the runner)");
  } else if (reason == FL_ATTACH_SIZE) {
    fl_put(&t, "the control file has the wrong size");
  } else if (reason == FL_ATTACH_MAP) {
    fl_put(&t, "cannot map the control block: ");
    fl_put_errno(&t, path_err);
  } else {
    fl_put(&t, "cannot open the control block (");
    if (fd >= 0) {
      fl_put(&t, "fd ");
      fl_put_num(&t, fd);
      fl_put(&t, ": ");
      fl_put(&t, fd_err == EINVAL ? "not the control file" : strerrorname_np(fd_err));
      fl_put(&t, "; ");
    }
    fl_put(&t, path);
    fl_put(&t, ": ");
    fl_put_errno(&t, path_err);
    fl_put(&t, ")");
  }
  fl_put(&t, "\n");
  syscall(SYS_write, 2, t.buf, t.len);

  /* "@NAME#TOKEN": the token follows the record, so that the runner can tell it from a
   * datagram anyone else sent to the (public) name. */
  const char* status = getenv("FAULTLINE_STATUS");
  if (!status || status[0] != '@' || status[1] == '\0') return;
  const char* hash = strchr(status + 1, '#');
  if (!hash || strlen(hash + 1) != FL_STATUS_TOKEN_LEN) return;
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  size_t len = (size_t)(hash - (status + 1));
  if (len == 0 || len > sizeof addr.sun_path - 1) return;
  memcpy(addr.sun_path + 1, status + 1, len); /* sun_path[0] == 0: the abstract namespace */
  char msg[sizeof rec + FL_STATUS_TOKEN_LEN];
  memcpy(msg, &rec, sizeof rec);
  memcpy(msg + sizeof rec, hash + 1, FL_STATUS_TOKEN_LEN);
  long sock = syscall(SYS_socket, AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) return;
  syscall(SYS_sendto, sock, msg, sizeof msg, MSG_DONTWAIT, &addr,
          (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + len));
  syscall(SYS_close, sock);
}

/* Opens the control block: the inherited descriptor first (it survives a privilege drop),
 * the path second. Returns a descriptor the caller owns or that is `fd` itself (*inherited
 * set), or -1 with *fd_err and *path_err saying why. */
static long fl_open_control(const char* path, int fd, int* inherited, int* fd_err, int* path_err) {
  *inherited = 0;
  *fd_err = 0;
  *path_err = 0;
  if (fd >= 0) {
    *fd_err = fl_check_control_fd(fd);
    if (*fd_err == 0) {
      *inherited = 1;
      return fd;
    }
  }
  long own = syscall(SYS_openat, AT_FDCWD, path, O_RDWR | O_CLOEXEC);
  if (own < 0) *path_err = errno;
  return own;
}

/* Keeps the control file open on the number FAULTLINE_CONTROL_FD names, without close-on-
 * exec, for the programs this one starts: when it was inherited there, it stays; when this
 * process had to use the path (an ancestor closed the fd), it is put back if that number is
 * free. Never on a number the program uses. */
static void fl_keep_control_fd(long fd, int inherited, int wanted) {
  if (inherited) {
    long flags = syscall(SYS_fcntl, fd, F_GETFD);
    if (flags > 0 && (flags & FD_CLOEXEC)) syscall(SYS_fcntl, fd, F_SETFD, flags & ~FD_CLOEXEC);
    atomic_store(&fl_ctl_fd, (int)fd);
    return;
  }
  if (wanted >= 0 && syscall(SYS_fcntl, wanted, F_GETFD) < 0 && errno == EBADF &&
      syscall(SYS_dup3, fd, wanted, 0) == wanted)
    atomic_store(&fl_ctl_fd, wanted);
  syscall(SYS_close, fd);
}

__attribute__((constructor)) static void fl_init(void) {
  int saved = errno;
  /* A set-user-ID or set-group-ID program (AT_SECURE) takes nothing from its environment:
   * whoever started it is not trusted to inject faults into it, nor to read its return
   * addresses from the events. The loader ignores LD_PRELOAD there; this covers the library
   * linked in or listed in /etc/ld.so.preload. The process runs unarmed and records no
   * attach fact, so the runner reports it as not injected, never as a pass. */
  if (getauxval(AT_SECURE)) {
    fl_observe_init(0);
    goto out;
  }
  /* Copied now: programs may wipe or overwrite their environment later. */
  const char* name = getenv("FAULTLINE_PROCESS");
  if (name) {
    size_t i = 0;
    for (; i + 1 < FL_NAME_MAX && name[i] != '\0'; ++i) fl_process[i] = name[i];
    fl_process[i] = '\0';
  }
  const char* path = getenv("FAULTLINE_CONTROL");
  fl_observe_init(path && *path);
  if (!path || !*path) goto out;
  fl_copy_field(fl_ctl_path, sizeof fl_ctl_path, path, -1);
  fl_ctl_fd_wanted = fl_parse_fd(getenv("FAULTLINE_CONTROL_FD"));
  int inherited, fd_err, path_err;
  long fd = fl_open_control(path, fl_ctl_fd_wanted, &inherited, &fd_err, &path_err);
  if (fd < 0) {
    fl_attach_failed(FL_ATTACH_NO_ACCESS, path, fl_ctl_fd_wanted, fd_err, path_err);
    goto out;
  }
  struct {
    uint32_t magic, version, size;
  } head;
  struct stat st;
  if (syscall(SYS_pread64, fd, &head, sizeof head, 0) != (long)sizeof head ||
      syscall(SYS_fstat, fd, &st) != 0 || head.magic != FL_CONTROL_MAGIC) {
    if (!inherited) syscall(SYS_close, fd);
    fl_attach_failed(FL_ATTACH_SIZE, path, fl_ctl_fd_wanted, 0, 0);
    goto out;
  }
  if (head.version != FL_CONTROL_VERSION) {
    if (!inherited) syscall(SYS_close, fd);
    fl_attach_failed(FL_ATTACH_VERSION, path, fl_ctl_fd_wanted, 0, 0);
    goto out;
  }
  if (head.size != sizeof(struct fl_control) || st.st_size < (off_t)sizeof(struct fl_control)) {
    if (!inherited) syscall(SYS_close, fd);
    fl_attach_failed(FL_ATTACH_SIZE, path, fl_ctl_fd_wanted, 0, 0);
    goto out;
  }
  /* The offset as a long: syscall(2) reads its sixth argument from the stack as a long, and
   * an int 0 there has 4 bytes of garbage above it with clang (a SIGBUS at the first access). */
  long addr = syscall(SYS_mmap, (void*)0, sizeof(struct fl_control), PROT_READ | PROT_WRITE,
                      MAP_SHARED, fd, (long)0);
  if (addr == -1) {
    int err = errno;
    if (!inherited) syscall(SYS_close, fd);
    fl_attach_failed(FL_ATTACH_MAP, path, fl_ctl_fd_wanted, 0, err);
    goto out;
  }
  fl_ctl_dev = (uint64_t)st.st_dev;
  fl_ctl_ino = (uint64_t)st.st_ino;
  fl_keep_control_fd(fd, inherited, fl_ctl_fd_wanted);
  struct stat shm;
  if (syscall(SYS_newfstatat, AT_FDCWD, "/dev/shm", &shm, 0) == 0)
    fl_shm_dev = (uint64_t)shm.st_dev;
  fl_learn_anon_devs();
  struct fl_control* ctl = (struct fl_control*)addr;
  fl_resolve_all();
  fl_hooks_init();
  fl_site_init(ctl);
  fl_record_init(ctl);
  fl_context_init(ctl);
  fl_ctl = ctl;
  memcpy(fl_armed, ctl->armed, sizeof fl_armed);
  /* The rules' call families too: counted, so that a rule that never fired can say which
   * related calls the process made instead. */
  for (int w = 0; w < FL_MAX_CALLS / 64; ++w) fl_armed[w] |= ctl->counted[w];
  fl_arm_helpers(ctl);
  /* The runner learns from this that a process it started is under injection; a process of
   * its with no such record was not (AT_SECURE, a loader that could not load us). */
  int32_t ppid = (int32_t)syscall(SYS_getppid);
  if (ctl->runner_pid != 0 && ppid == ctl->runner_pid)
    fl_fact_write(ctl, FL_FACT_ATTACHED, (int32_t)syscall(SYS_getpid), ppid,
                  (uint32_t)syscall(SYS_geteuid), fl_process, inherited ? "fd" : "path");
out:
  errno = saved;
}
