/* record_writer: writes COUNT fixed-size records (record.h) to its standard output.
 *
 * Shows: write() on a pipe may transfer less than asked (when interrupted, or non-blocking),
 * so a writer loops until the whole record is out.
 *
 * Usage: record_writer COUNT     (stdout is usually a pipe to a record reader)
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "record.h"

static int write_all(int fd, const void* data, size_t len) {
  const char* p = data;
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: record_writer COUNT\n");
    return 2;
  }
  long count = strtol(argv[1], NULL, 10);
  /* A reader that gives up early is reported as EPIPE, not as a silent death by SIGPIPE. */
  signal(SIGPIPE, SIG_IGN);
  for (long i = 0; i < count; ++i) {
    struct record r;
    record_fill(&r, (uint32_t)i);
    if (write_all(STDOUT_FILENO, &r, sizeof r) < 0) {
      fprintf(stderr, "record_writer: write record %ld: %s\n", i, strerror(errno));
      return 1;
    }
  }
  fprintf(stderr, "record_writer: wrote %ld records\n", count);
  return 0;
}
