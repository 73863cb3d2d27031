/* The naive server: one read() per record, as if a pipe always delivered whole writes. A
 * short read (a record split across two reads) is taken for a broken record. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { RECORD_SIZE = 16 };

int main(int argc, char** argv) {
  unsigned want = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 10;
  unsigned count = 0;
  for (;;) {
    char record[RECORD_SIZE + 1] = {0};
    char expected[RECORD_SIZE + 1];
    ssize_t n = read(STDIN_FILENO, record, RECORD_SIZE);
    if (n == 0) break;
    snprintf(expected, sizeof expected, "record %08u\n", count + 1);
    if (n != RECORD_SIZE || memcmp(record, expected, RECORD_SIZE) != 0) {
      fprintf(stderr, "record_server_naive: record %u is broken (%zd bytes)\n", count + 1, n);
      return 1;
    }
    ++count;
  }
  if (count != want) {
    fprintf(stderr, "record_server_naive: end of input after %u of %u records\n", count, want);
    return 1;
  }
  printf("%u records ok\n", count);
  return 0;
}
