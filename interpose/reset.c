/* Reset marks: a `reset` fault kills a connection for good; every later data call on the same
 * socket of this process fails with ECONNRESET. Runs on the armed call path: the house rules
 * of decide.c hold here. */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "wrap.h"

/* ---- reset: a connection that fails from now on ----------------------------------------- */

/* Per fd of this process: the inode of a socket a `reset` fault killed, 0 for none. Checked
 * by inode, so an fd number reused for another file is not affected. */
static _Atomic uint64_t fl_reset_ino[FL_FD_TABLE];
FL_HOT_DATA static _Atomic int fl_reset_any;

FL_HOT int fl_is_reset(int fd) {
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

int64_t fl_reset(struct fl_shot* s, int fd) {
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
