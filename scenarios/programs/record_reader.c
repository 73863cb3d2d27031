/* record_reader: reads fixed-size records (record.h) from its standard input and checks them.
 *
 * Shows: read() on a pipe or socket returns what is there, which may be part of a record.
 * A robust reader keeps reading until the record is complete, and tells a clean end of input
 * (EOF between records) from a truncated record. record_reader_naive.c is the usual mistake.
 *
 * Usage: record_reader COUNT
 * Prints "COUNT records ok" and exits 0 when exactly COUNT intact records arrived in order.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "record.h"

/* Reads up to len bytes, stopping early only at end of input; the count, or -1 with errno. */
static ssize_t read_full(int fd, void* buf, size_t len) {
  char* p = buf;
  size_t got = 0;
  while (got < len) {
    ssize_t n = read(fd, p + got, len - got);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    got += (size_t)n;
  }
  return (ssize_t)got;
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: record_reader COUNT\n");
    return 2;
  }
  long expected = strtol(argv[1], NULL, 10);
  long ok = 0;
  for (;;) {
    struct record r;
    ssize_t n = read_full(STDIN_FILENO, &r, sizeof r);
    if (n < 0) {
      fprintf(stderr, "record_reader: read: %s\n", strerror(errno));
      return 1;
    }
    if (n == 0) break; /* end of input between records: clean */
    if ((size_t)n < sizeof r) {
      fprintf(stderr, "record_reader: input ends inside record %ld (%zd of %zu bytes)\n", ok, n,
              sizeof r);
      return 1;
    }
    if (!record_valid(&r, (uint32_t)ok)) {
      fprintf(stderr, "record_reader: record %ld is corrupted or out of order\n", ok);
      return 1;
    }
    ++ok;
  }
  if (ok != expected) {
    fprintf(stderr, "record_reader: %ld records arrived, expected %ld\n", ok, expected);
    return 1;
  }
  printf("%ld records ok\n", ok);
  return 0;
}
