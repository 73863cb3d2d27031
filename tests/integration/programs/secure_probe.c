/* Copies its stdin to stdout, like cat. Linked with the interposer itself (not preloaded), so
 * that a set-user-ID copy of it has the library loaded although the loader ignores
 * LD_PRELOAD in AT_SECURE processes. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void) {
  char buf[256];
  for (;;) {
    ssize_t n = read(0, buf, sizeof buf);
    if (n < 0) {
      printf("read failed: %s\n", strerror(errno));
      return 2;
    }
    if (n == 0) return 0;
    if (write(1, buf, (size_t)n) != n) return 3;
  }
}
