/* Statically linked (no PT_INTERP): reads stdin with read(2) and prints what it got, or the
 * errno. LD_PRELOAD never reaches it. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void) {
  char buf[256];
  ssize_t n = read(0, buf, sizeof buf - 1);
  if (n < 0) {
    printf("read failed: %s\n", strerrorname_np(errno));
    return 1;
  }
  buf[n] = '\0';
  printf("read: %s", buf);
  return 0;
}
