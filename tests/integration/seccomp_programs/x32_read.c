/* Reads stdin with an x32 system call (the x32 ABI's read: SYS_read with bit 30 set), as
 * x32 code makes its calls, and prints what it got or the errno (ENOSYS where the kernel has
 * no x32 ABI). The seccomp filter sees it as another ABI's call: no rule of the 64-bit filter
 * judges it. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void) {
  char buf[256];
  long n = syscall(0x40000000L | SYS_read, 0L, buf, sizeof buf - 1);
  if (n < 0) {
    printf("read failed: %s\n", strerrorname_np(errno));
    return 1;
  }
  buf[n] = '\0';
  printf("read: %s", buf);
  return 0;
}
