/* Wrappers that inject nothing and only look (observe.def): the exec family and posix_spawn,
 * to hand the control file on to the program started and to record, before it starts, a
 * program that will run without the interposer; syscall() and liburing's ring set-up, to
 * record io_uring, whose I/O no wrapper and no seccomp filter sees. See docs/limits.md.
 *
 * Execs are rare: a few system calls each are no cost. syscall() is wrapped with one compare. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "facts.h"
#include "interpose.h"

#define FL_EXPORT __attribute__((visibility("default")))

extern char** environ;

enum fl_observe_id {
#define FL_OBSERVE(name) FL_OBSERVE_##name,
#include "observe.def"
#undef FL_OBSERVE
  FL_OBSERVE_COUNT
};

/* The next definitions, resolved on first use from any thread (a racing store writes the same
 * value); NULL for liburing's functions in a program without liburing. */
static _Atomic(void*) fl_observe_fn[FL_OBSERVE_COUNT];

static void* fl_observe_real(int id, const char* symbol) {
  void* p = atomic_load_explicit(&fl_observe_fn[id], memory_order_acquire);
  if (__builtin_expect(p != 0, 1)) return p;
  int saved = errno;
  p = dlsym(RTLD_NEXT, symbol);
  if (p) atomic_store_explicit(&fl_observe_fn[id], p, memory_order_release);
  errno = saved;
  return p;
}

void fl_observe_init(int all) {
  for (int id = 0; id < FL_OBSERVE_COUNT; ++id) {
    if (!all && id != FL_OBSERVE_syscall) continue;
    static const char* const symbols[FL_OBSERVE_COUNT] = {
#define FL_OBSERVE(name) #name,
#include "observe.def"
#undef FL_OBSERVE
    };
    (void)fl_observe_real(id, symbols[id]);
  }
}

#define OBSERVE_REAL(name) ((__typeof__(&name))fl_observe_real(FL_OBSERVE_##name, #name))

/* ---- handing the control file on ---------------------------------------------------------
 * The program about to start gets the control file on FAULTLINE_CONTROL_FD whatever this one
 * did to it: close-on-exec set by a program that marks all its fds is cleared; a number freed
 * by a raw close(2) gets the file again when this process can still open the path. */
static void fl_hand_on_control_fd(void) {
  int keep = atomic_load_explicit(&fl_ctl_fd, memory_order_relaxed);
  int target = keep >= 0 ? keep : fl_ctl_fd_wanted;
  if (target < 0) return;
  struct stat st;
  if (syscall(SYS_fstat, target, &st) == 0) {
    if ((uint64_t)st.st_dev != fl_ctl_dev || (uint64_t)st.st_ino != fl_ctl_ino) {
      atomic_store_explicit(&fl_ctl_fd, -1, memory_order_relaxed); /* the program's now */
      return;
    }
    long flags = syscall(SYS_fcntl, target, F_GETFD);
    if (flags > 0 && (flags & FD_CLOEXEC)) syscall(SYS_fcntl, target, F_SETFD, flags & ~FD_CLOEXEC);
    atomic_store_explicit(&fl_ctl_fd, target, memory_order_relaxed);
    return;
  }
  if (errno != EBADF) return;
  long fd = syscall(SYS_openat, AT_FDCWD, fl_ctl_path, O_RDWR | O_CLOEXEC);
  if (fd < 0) return; /* the child will say it could not attach */
  if (syscall(SYS_dup3, fd, target, 0) == target)
    atomic_store_explicit(&fl_ctl_fd, target, memory_order_relaxed);
  syscall(SYS_close, fd);
}

/* ---- what the program about to start is ---------------------------------------------------*/

static const char* fl_env_value(char* const* envp, const char* name, size_t len) {
  for (char* const* e = envp; e && *e; ++e) {
    if (strncmp(*e, name, len) == 0 && (*e)[len] == '=') return *e + len + 1;
  }
  return NULL;
}

/* Opens what an exec of `file` would run: PATH searched when `search` and the name has no
 * slash (as execvp does), into `path`. -1 when nothing is found: the exec will fail. */
static long fl_open_program(const char* file, int search, char* path, size_t cap) {
  if (!file || !*file) return -1;
  if (!search || strchr(file, '/')) {
    size_t n = strlen(file);
    if (n >= cap) return -1;
    memcpy(path, file, n + 1);
    return syscall(SYS_openat, AT_FDCWD, file, O_RDONLY | O_CLOEXEC);
  }
  const char* dirs = getenv("PATH");
  if (!dirs) dirs = "/bin:/usr/bin";
  size_t flen = strlen(file);
  for (const char* d = dirs;; ++d) {
    const char* end = strchr(d, ':');
    size_t dlen = end ? (size_t)(end - d) : strlen(d);
    if (dlen + 1 + flen + 1 <= cap) {
      size_t k = 0;
      if (dlen == 0) path[k++] = '.';
      memcpy(path + k, d, dlen);
      k += dlen;
      path[k++] = '/';
      memcpy(path + k, file, flen + 1);
      long fd = syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
      struct stat st;
      if (fd >= 0 && syscall(SYS_fstat, fd, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111))
        return fd;
      if (fd >= 0) syscall(SYS_close, fd);
    }
    if (!end) return -1;
    d = end;
  }
}

/* Whether the loader will run the program in secure mode (AT_SECURE), where it ignores
 * LD_PRELOAD: the kernel sets it when the exec changes the effective ids away from the real
 * ones (a set-user-ID or set-group-ID file, or ids already apart) or grants file
 * capabilities to a process that is not root. no_new_privs turns the id bits off. */
static int fl_exec_is_secure(long fd, const struct stat* st) {
  /* The kernel honours the id bits of ELF programs only (not of #! scripts), and not on a
   * file system mounted nosuid. */
  unsigned char magic[SELFMAG];
  if (syscall(SYS_pread64, fd, magic, sizeof magic, 0) != (long)sizeof magic ||
      memcmp(magic, ELFMAG, SELFMAG) != 0)
    return 0;
  struct statfs fs;
  const int nosuid = syscall(SYS_fstatfs, fd, &fs) == 0 && (fs.f_flags & ST_NOSUID);
  long ruid = syscall(SYS_getuid), euid = syscall(SYS_geteuid);
  long rgid = syscall(SYS_getgid), egid = syscall(SYS_getegid);
  int nnp = nosuid || syscall(SYS_prctl, PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1;
  long new_euid = euid, new_egid = egid;
  if (!nnp && (st->st_mode & S_ISUID)) new_euid = st->st_uid;
  if (!nnp && (st->st_mode & S_ISGID) && (st->st_mode & S_IXGRP)) new_egid = st->st_gid;
  if (new_euid != ruid || new_egid != rgid) return 1;
  if (ruid != 0 && !nnp && syscall(SYS_fgetxattr, fd, "security.capability", NULL, 0) > 0) return 1;
  return 0;
}

/* Whether the file is an ELF program that runs without the dynamic loader (no PT_INTERP), so
 * that no LD_PRELOAD library is ever loaded into it. The loader itself (run as a program,
 * "ld.so ./prog") has no PT_INTERP either but honours LD_PRELOAD. */
static int fl_exec_is_static(long fd, const char* path) {
  Elf64_Ehdr eh;
  if (syscall(SYS_pread64, fd, &eh, sizeof eh, 0) != (long)sizeof eh) return 0;
  if (memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
      eh.e_phentsize != sizeof(Elf64_Phdr) || (eh.e_type != ET_EXEC && eh.e_type != ET_DYN))
    return 0;
  for (unsigned i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph;
    if (syscall(SYS_pread64, fd, &ph, sizeof ph, (off_t)(eh.e_phoff + i * sizeof ph)) !=
        (long)sizeof ph)
      return 0;
    if (ph.p_type == PT_INTERP) return 0;
  }
  const char* base = strrchr(path, '/');
  base = base ? base + 1 : path;
  return strncmp(base, "ld-linux", 8) != 0 && strncmp(base, "ld.so", 5) != 0;
}

/* Called right before the real exec (or spawn): hands the control file on and records a
 * program that will run without the interposer. Returns the fact's slot, to withdraw it when
 * the exec fails, or -1. `fd` >= 0: the program is that open file (fexecve, execveat). */
static int fl_before_exec(const char* file, int search, int fd, char* const* envp) {
  struct fl_control* ctl = fl_ctl;
  if (!ctl) return -1;
  int saved = errno;
  fl_hand_on_control_fd();
  char path[FL_PATH_MAX];
  long prog = -1;
  if (fd >= 0) {
    prog = syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, 0);
    char link[32] = "/proc/self/fd/";
    size_t k = 14;
    char num[12];
    int n = 0;
    for (unsigned v = (unsigned)fd; n == 0 || v; v /= 10) num[n++] = (char)('0' + v % 10);
    while (n > 0) link[k++] = num[--n];
    link[k] = '\0';
    long len = syscall(SYS_readlink, link, path, sizeof path - 1);
    path[len > 0 ? len : 0] = '\0';
  } else {
    prog = fl_open_program(file, search, path, sizeof path);
  }
  if (prog < 0) { /* nothing there: the exec fails, and nothing starts */
    errno = saved;
    return -1;
  }
  uint32_t kind = 0;
  const char* preload = fl_env_value(envp, "LD_PRELOAD", 10);
  const char* control = fl_env_value(envp, "FAULTLINE_CONTROL", 17);
  struct stat st;
  if (!preload || !strstr(preload, "libfaultline-interpose"))
    kind = FL_FACT_EXEC_NO_PRELOAD;
  else if (!control || !*control)
    kind = FL_FACT_EXEC_NO_CONTROL;
  else if (syscall(SYS_fstat, prog, &st) == 0 && fl_exec_is_secure(prog, &st))
    kind = FL_FACT_EXEC_SECURE;
  else if (fl_exec_is_static(prog, path))
    kind = FL_FACT_EXEC_STATIC;
  syscall(SYS_close, prog);
  int slot = -1;
  if (kind != 0)
    slot = fl_fact_write(ctl, kind, (int32_t)syscall(SYS_getpid), (int32_t)syscall(SYS_getppid),
                         (uint32_t)syscall(SYS_geteuid), fl_process, path);
  errno = saved;
  return slot;
}

static void fl_exec_failed(int slot) {
  if (slot < 0 || !fl_ctl) return;
  int saved = errno;
  fl_fact_withdraw(fl_ctl, slot);
  errno = saved;
}

FL_EXPORT int execve(const char* path, char* const argv[], char* const envp[]) {
  int slot = fl_before_exec(path, 0, -1, envp);
  int r = OBSERVE_REAL(execve)(path, argv, envp);
  fl_exec_failed(slot);
  return r;
}

FL_EXPORT int execv(const char* path, char* const argv[]) {
  int slot = fl_before_exec(path, 0, -1, environ);
  int r = OBSERVE_REAL(execv)(path, argv);
  fl_exec_failed(slot);
  return r;
}

FL_EXPORT int execvp(const char* file, char* const argv[]) {
  int slot = fl_before_exec(file, 1, -1, environ);
  int r = OBSERVE_REAL(execvp)(file, argv);
  fl_exec_failed(slot);
  return r;
}

FL_EXPORT int execvpe(const char* file, char* const argv[], char* const envp[]) {
  int slot = fl_before_exec(file, 1, -1, envp);
  int r = OBSERVE_REAL(execvpe)(file, argv, envp);
  fl_exec_failed(slot);
  return r;
}

FL_EXPORT int fexecve(int fd, char* const argv[], char* const envp[]) {
  int slot = fl_before_exec(NULL, 0, fd, envp);
  int r = OBSERVE_REAL(fexecve)(fd, argv, envp);
  fl_exec_failed(slot);
  return r;
}

FL_EXPORT int execveat(int dirfd, const char* path, char* const argv[], char* const envp[],
                       int flags) {
  int slot = -1;
  const char* name = path; /* declared nonnull, but AT_EMPTY_PATH callers pass "" or NULL */
  if ((flags & AT_EMPTY_PATH) && (!name || !*name)) {
    slot = fl_before_exec(NULL, 0, dirfd, envp);
  } else if (name && (name[0] == '/' || dirfd == AT_FDCWD)) {
    slot = fl_before_exec(path, 0, -1, envp);
  } else {
    long fd = syscall(SYS_openat, dirfd, path, O_PATH | O_CLOEXEC);
    if (fd >= 0) {
      slot = fl_before_exec(NULL, 0, (int)fd, envp);
      syscall(SYS_close, fd);
    }
  }
  int r = OBSERVE_REAL(execveat)(dirfd, path, argv, envp, flags);
  fl_exec_failed(slot);
  return r;
}

/* execl, execle, execlp: their arguments gathered on the stack (no allocation), as libc does,
 * then the checks above through the vector forms. */
#define FL_GATHER_ARGS(first, last_named, argv)     \
  size_t argc_ = 1;                                 \
  va_list ap_;                                      \
  va_start(ap_, last_named);                        \
  while (va_arg(ap_, const char*) != NULL) ++argc_; \
  va_end(ap_);                                      \
  char* argv[argc_ + 1];                            \
  argv[0] = (char*)(first);                         \
  va_start(ap_, last_named);                        \
  for (size_t i_ = 1; i_ <= argc_; ++i_) argv[i_] = va_arg(ap_, char*)

FL_EXPORT int execl(const char* path, const char* arg, ...) {
  FL_GATHER_ARGS(arg, arg, argv);
  va_end(ap_);
  int slot = fl_before_exec(path, 0, -1, environ);
  int r = OBSERVE_REAL(execve)(path, argv, environ);
  fl_exec_failed(slot);
  return r;
}

FL_EXPORT int execlp(const char* file, const char* arg, ...) {
  FL_GATHER_ARGS(arg, arg, argv);
  va_end(ap_);
  int slot = fl_before_exec(file, 1, -1, environ);
  int r = OBSERVE_REAL(execvp)(file, argv);
  fl_exec_failed(slot);
  return r;
}

FL_EXPORT int execle(const char* path, const char* arg, ...) {
  FL_GATHER_ARGS(arg, arg, argv);
  char* const* envp = va_arg(ap_, char* const*);
  va_end(ap_);
  int slot = fl_before_exec(path, 0, -1, envp);
  int r = OBSERVE_REAL(execve)(path, argv, envp);
  fl_exec_failed(slot);
  return r;
}

FL_EXPORT int posix_spawn(pid_t* pid, const char* path, const posix_spawn_file_actions_t* actions,
                          const posix_spawnattr_t* attr, char* const argv[], char* const envp[]) {
  int slot = fl_before_exec(path, 0, -1, envp ? envp : environ);
  int r = OBSERVE_REAL(posix_spawn)(pid, path, actions, attr, argv, envp);
  if (r != 0) fl_exec_failed(slot);
  return r;
}

FL_EXPORT int posix_spawnp(pid_t* pid, const char* file, const posix_spawn_file_actions_t* actions,
                           const posix_spawnattr_t* attr, char* const argv[], char* const envp[]) {
  int slot = fl_before_exec(file, 1, -1, envp ? envp : environ);
  int r = OBSERVE_REAL(posix_spawnp)(pid, file, actions, attr, argv, envp);
  if (r != 0) fl_exec_failed(slot);
  return r;
}

/* ---- io_uring ------------------------------------------------------------------------------
 * Recorded once per process, when a ring was set up: the program's I/O through it reaches
 * neither a wrapper nor the seccomp filter. */
static _Atomic int fl_io_uring_noted;

static void fl_note_io_uring(const char* how) {
  struct fl_control* ctl = fl_ctl;
  if (!ctl || atomic_exchange_explicit(&fl_io_uring_noted, 1, memory_order_relaxed)) return;
  int saved = errno;
  fl_fact_write(ctl, FL_FACT_IO_URING, (int32_t)syscall(SYS_getpid), (int32_t)syscall(SYS_getppid),
                (uint32_t)syscall(SYS_geteuid), fl_process, how);
  errno = saved;
}

/* The interposer's own raw system calls come through here too (it exports the symbol): one
 * compare more for them. Six arguments are passed on whatever the call takes, as libc's own
 * syscall() reads them. */
FL_EXPORT long syscall(long number, ...) {
  va_list ap;
  va_start(ap, number);
  long a = va_arg(ap, long), b = va_arg(ap, long), c = va_arg(ap, long);
  long d = va_arg(ap, long), e = va_arg(ap, long), f = va_arg(ap, long);
  va_end(ap);
  long r = OBSERVE_REAL(syscall)(number, a, b, c, d, e, f);
  if (__builtin_expect(number == SYS_io_uring_setup, 0) && r >= 0)
    fl_note_io_uring("syscall(SYS_io_uring_setup)");
  return r;
}

/* liburing makes its system calls itself (inline, not through syscall()): its exported set-up
 * functions are where a ring is seen. Declared here, liburing's headers are not needed.
 * Without liburing in the process they answer as a missing kernel feature would. */
struct io_uring_params;
struct io_uring;
int io_uring_setup(unsigned entries, struct io_uring_params* p);
int io_uring_queue_init(unsigned entries, struct io_uring* ring, unsigned flags);
int io_uring_queue_init_params(unsigned entries, struct io_uring* ring, struct io_uring_params* p);

FL_EXPORT int io_uring_setup(unsigned entries, struct io_uring_params* p) {
  __typeof__(&io_uring_setup) real = OBSERVE_REAL(io_uring_setup);
  if (!real) return -ENOSYS;
  int r = real(entries, p);
  if (r >= 0) fl_note_io_uring("liburing io_uring_setup");
  return r;
}

FL_EXPORT int io_uring_queue_init(unsigned entries, struct io_uring* ring, unsigned flags) {
  __typeof__(&io_uring_queue_init) real = OBSERVE_REAL(io_uring_queue_init);
  if (!real) return -ENOSYS;
  int r = real(entries, ring, flags);
  if (r >= 0) fl_note_io_uring("liburing io_uring_queue_init");
  return r;
}

FL_EXPORT int io_uring_queue_init_params(unsigned entries, struct io_uring* ring,
                                         struct io_uring_params* p) {
  __typeof__(&io_uring_queue_init_params) real = OBSERVE_REAL(io_uring_queue_init_params);
  if (!real) return -ENOSYS;
  int r = real(entries, ring, p);
  if (r >= 0) fl_note_io_uring("liburing io_uring_queue_init_params");
  return r;
}
