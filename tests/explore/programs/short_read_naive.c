/* BUG: takes whatever one read() returns for a whole 16-byte record, so a short read
 * misparses the stream: wrong counts and sums, reported with exit status 0.
 *
 * short_read_naive: reads COUNT records (see record_source.c) from stdin and prints how many
 * it read and the sum of their values. Twin: short_read_robust.c.
 *
 * Usage: short_read_naive COUNT
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct record {
  uint32_t seq;
  uint32_t value;
  char tag[8];
};

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: short_read_naive COUNT\n");
    return 2;
  }
  long expected = strtol(argv[1], NULL, 10);
  long records = 0;
  unsigned long sum = 0;
  struct record r;
  memset(&r, 0, sizeof r);
  ssize_t n;
  while ((n = read(0, &r, sizeof r)) != 0) {
    if (n < 0) {
      if (errno == EINTR) continue;
      fprintf(stderr, "short_read_naive: read: %s\n", strerror(errno));
      return 1;
    }
    ++records; /* the mistake: n may be less than sizeof r */
    sum += r.value;
  }
  if (records < expected) {
    fprintf(stderr, "short_read_naive: the stream ended after %ld of %ld records\n", records,
            expected);
    return 1;
  }
  printf("%ld records, sum %lu\n", records, sum);
  return 0;
}
