/* Leak bookkeeping: the IPC objects and files the processes of a run create (System V
 * objects, FIFOs, POSIX shared memory and queues, bound Unix sockets), recorded in the
 * control block for the runner's leak check. Called by the creating wrappers after the real
 * call; the house rules of decide.c hold here. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "wrap.h"

/* ---- objects the processes create, for the leak check --------------------------------- */

static void fl_copy(char* dst, size_t cap, const char* a, const char* b) {
  size_t i = 0;
  for (; a && *a && i + 1 < cap; ++a) dst[i++] = *a;
  for (; b && *b && i + 1 < cap; ++b) dst[i++] = *b;
  dst[i] = '\0';
}

/* Records one created object in the control block (no-op without one). `dirfd`/`path`: a
 * relative path is made absolute from the directory (AT_FDCWD: the working directory). */
void fl_note_created(int call, unsigned kind, int id, long key, int dirfd, const char* path) {
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
