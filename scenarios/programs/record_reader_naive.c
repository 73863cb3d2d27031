/* record_reader_naive: the record reader of record_reader.c with the common mistake of
 * assuming that one read() returns one whole record.
 *
 * Shows: on a pipe that works most of the time (the writer's records arrive whole), and
 * breaks as soon as a read returns less: every piece is taken for a record, so records
 * "arrive" corrupted and the count is wrong. Compare with record_reader.c.
 *
 * Usage: record_reader_naive COUNT
 * Prints "N records ok" (N intact records) and exits 1 when any record was bad or missing.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "record.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: record_reader_naive COUNT\n");
    return 2;
  }
  long expected = strtol(argv[1], NULL, 10);
  long ok = 0, bad = 0, seq = 0;
  struct record r;
  memset(&r, 0, sizeof r);
  /* The mistake: n may be anything from 1 to sizeof r. */
  while (read(STDIN_FILENO, &r, sizeof r) > 0) {
    if (record_valid(&r, (uint32_t)seq))
      ++ok;
    else
      ++bad;
    ++seq;
  }
  printf("%ld records ok\n", ok);
  if (bad > 0 || ok != expected) {
    fprintf(stderr, "record_reader_naive: %ld corrupted records, %ld of %ld intact\n", bad, ok,
            expected);
    return 1;
  }
  return 0;
}
