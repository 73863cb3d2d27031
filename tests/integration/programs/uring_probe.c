/* Sets up an io_uring with a raw syscall(SYS_io_uring_setup), as programs without liburing do,
 * then reads its stdin once with read(2). Prints "io_uring fd" or "io_uring failed: ERRNO"
 * (a kernel or sandbox may forbid it). */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/io_uring.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void) {
  struct io_uring_params params;
  memset(&params, 0, sizeof params);
  long fd = syscall(SYS_io_uring_setup, 4, &params);
  if (fd < 0)
    printf("io_uring failed: %s\n", strerrorname_np(errno));
  else
    printf("io_uring fd\n");
  char buf[64];
  ssize_t n = read(0, buf, sizeof buf);
  printf("read %zd\n", n);
  if (fd >= 0) close((int)fd);
  return 0;
}
