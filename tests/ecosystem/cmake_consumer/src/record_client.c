/* Writes COUNT records of 16 bytes ("record 00000001\n", ...) to stdout, which the scenario
 * wires to a pipe: a write may take part of a record (a short write) or be interrupted
 * (EINTR), and every byte still gets out. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

enum { RECORD_SIZE = 16 };

static int write_all(int fd, const char* buf, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, buf, len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    buf += n;
    len -= (size_t)n;
  }
  return 0;
}

int main(int argc, char** argv) {
  unsigned count = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 10;
  for (unsigned i = 1; i <= count; ++i) {
    char record[RECORD_SIZE + 1];
    snprintf(record, sizeof record, "record %08u\n", i);
    if (write_all(STDOUT_FILENO, record, RECORD_SIZE) != 0) {
      perror("record_client: write");
      return 1;
    }
  }
  return 0;
}
