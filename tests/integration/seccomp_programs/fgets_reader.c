/* Reads one line from stdin with fgets(3): stdio's own read(2) happens inside libc, where
 * LD_PRELOAD cannot see it. Prints the line, or the errno that stopped fgets. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>

int main(void) {
  char line[256];
  errno = 0;
  if (fgets(line, sizeof line, stdin) == NULL) {
    printf("fgets failed: %s\n", ferror(stdin) ? strerrorname_np(errno) : "end of file");
    return 1;
  }
  printf("line: %s", line);
  return 0;
}
