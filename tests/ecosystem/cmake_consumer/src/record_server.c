/* Reads COUNT 16-byte records from stdin until end of file and checks their sequence. A
 * read() on a pipe may return part of a record: this server reads on until it is whole. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { RECORD_SIZE = 16 };

/* Bytes read into buf (RECORD_SIZE, or fewer only at end of file); -1 on an error. */
static ssize_t read_record(int fd, char* buf) {
  size_t got = 0;
  while (got < RECORD_SIZE) {
    ssize_t n = read(fd, buf + got, RECORD_SIZE - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    if (n == 0) break;
    got += (size_t)n;
  }
  return (ssize_t)got;
}

int main(int argc, char** argv) {
  unsigned want = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 10;
  unsigned count = 0;
  for (;;) {
    char record[RECORD_SIZE + 1] = {0};
    char expected[RECORD_SIZE + 1];
    ssize_t n = read_record(STDIN_FILENO, record);
    if (n < 0) {
      perror("record_server: read");
      return 1;
    }
    if (n == 0) break;
    snprintf(expected, sizeof expected, "record %08u\n", count + 1);
    if (n != RECORD_SIZE || memcmp(record, expected, RECORD_SIZE) != 0) {
      fprintf(stderr, "record_server: record %u is broken\n", count + 1);
      return 1;
    }
    ++count;
  }
  if (count != want) {
    fprintf(stderr, "record_server: end of input after %u of %u records\n", count, want);
    return 1;
  }
  printf("%u records ok\n", count);
  return 0;
}
