/* record_source: writes COUNT fixed-size records (16 bytes each, one write() per record) to
 * stdout. The writer of tests/explore/scenarios/short_read.yaml; it has no bug of its own.
 *
 * Usage: record_source COUNT
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <signal.h>
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
    fprintf(stderr, "usage: record_source COUNT\n");
    return 2;
  }
  long count = strtol(argv[1], NULL, 10);
  /* A reader that went away is a failure to report, not a reason to die of SIGPIPE. */
  signal(SIGPIPE, SIG_IGN);
  for (long i = 1; i <= count; ++i) {
    struct record r = {(uint32_t)i, (uint32_t)i, "record"};
    const char* p = (const char*)&r;
    size_t done = 0;
    while (done < sizeof r) {
      ssize_t n = write(1, p + done, sizeof r - done);
      if (n < 0) {
        if (errno == EINTR) continue;
        fprintf(stderr, "record_source: write: %s\n", strerror(errno));
        return 1;
      }
      done += (size_t)n;
    }
  }
  return 0;
}
