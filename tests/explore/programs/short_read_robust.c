/* short_read_robust: the twin of short_read_naive.c that reads each 16-byte record whole,
 * however many read() calls that takes, and fails on a record cut off by the end of the
 * stream.
 *
 * Usage: short_read_robust COUNT
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

/* Reads up to `size` bytes, stopping early only at the end of the stream: the bytes read,
 * or -1 with errno set. */
static ssize_t read_whole(int fd, void* buf, size_t size) {
  size_t done = 0;
  while (done < size) {
    ssize_t n = read(fd, (char*)buf + done, size - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (n == 0) break;
    done += (size_t)n;
  }
  return (ssize_t)done;
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: short_read_robust COUNT\n");
    return 2;
  }
  long expected = strtol(argv[1], NULL, 10);
  long records = 0;
  unsigned long sum = 0;
  struct record r;
  memset(&r, 0, sizeof r);
  ssize_t n;
  while ((n = read_whole(0, &r, sizeof r)) != 0) {
    if (n < 0) {
      fprintf(stderr, "short_read_robust: read: %s\n", strerror(errno));
      return 1;
    }
    if ((size_t)n < sizeof r) {
      fprintf(stderr, "short_read_robust: record %ld cut off after %zd bytes\n", records + 1, n);
      return 1;
    }
    ++records;
    sum += r.value;
  }
  if (records < expected) {
    fprintf(stderr, "short_read_robust: the stream ended after %ld of %ld records\n", records,
            expected);
    return 1;
  }
  printf("%ld records, sum %lu\n", records, sum);
  return 0;
}
