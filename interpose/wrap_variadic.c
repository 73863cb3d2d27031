/* The wrappers calls.def describes but no generator can make: the variadic calls (the open
 * family, mq_open, semctl), whose optional arguments only the wrapper itself can read with
 * va_arg, and only when the flags or the command say they were passed. Each checks its armed
 * bit and calls the real function; only when a rule exists for the call does it take the
 * slow path (decide.c, whose house rules hold here). Hand-written, with the reason:
 *   open, open64, openat, openat64  variadic: the mode exists only with O_CREAT or O_TMPFILE
 *   mq_open                         variadic: mode and attributes only with O_CREAT; records
 *                                   the queue it creates (leaks.c)
 *   semctl                          variadic: the fourth argument only for some commands
 * (connect is the other hand-written one: wrap_sys.c.) */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdarg.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/types.h>

#include "wrap.h"

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

/* Hand-written: variadic, the mode is passed only with O_CREAT or O_TMPFILE. */
FL_EXPORT int open(const char* path, int flags, ...) {
  FL_MODE_ARG(flags, flags)
  if (fl_is_armed(FL_CALL_open))
    return fl_open_slow(FL_CALL_open, AT_FDCWD, path, flags, mode, CALLER);
  return REAL(open)(path, flags, mode);
}

/* Hand-written: variadic, as open. */
FL_EXPORT int open64(const char* path, int flags, ...) {
  FL_MODE_ARG(flags, flags)
  if (fl_is_armed(FL_CALL_open64))
    return fl_open_slow(FL_CALL_open64, AT_FDCWD, path, flags, mode, CALLER);
  return REAL(open64)(path, flags, mode);
}

/* Hand-written: variadic, as open. */
FL_EXPORT int openat(int dirfd, const char* path, int flags, ...) {
  FL_MODE_ARG(flags, flags)
  if (fl_is_armed(FL_CALL_openat))
    return fl_open_slow(FL_CALL_openat, dirfd, path, flags, mode, CALLER);
  return REAL(openat)(dirfd, path, flags, mode);
}

/* Hand-written: variadic, as open. */
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

/* Hand-written: variadic, mode and attributes are passed only with O_CREAT. */
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

/* Hand-written: variadic, the fourth argument is passed only for some commands. */
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
