/* The wrappers of hooks.def: libc functions that close or replace fds inside libc, where the
 * close and dup2 wrappers never see it, wrapped only to keep the fd cache (fd_attribution.c)
 * right; never faulted. Their real functions are resolved in the constructor of a process
 * under a control block (fl_hooks_init), as calls.def's are, so that none runs dlsym (the
 * loader's lock) once main has started; without one, on each one's first call. The house
 * rules of decide.c hold here. */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <linux/close_range.h>
#include <pty.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <utmp.h>

#include "wrap.h"

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

static const char* const fl_hook_symbols[FL_HOOK_COUNT] = {
#define FL_HOOK(name) #name,
#include "hooks.def"
#undef FL_HOOK
};

void fl_hooks_init(void) {
  for (int i = 0; i < FL_HOOK_COUNT; ++i) {
    if (atomic_load_explicit(&fl_hook_fn[i], memory_order_relaxed)) continue;
    void* p = dlsym(RTLD_NEXT, fl_hook_symbols[i]);
    if (p) atomic_store_explicit(&fl_hook_fn[i], p, memory_order_release);
  }
}

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
