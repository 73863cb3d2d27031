/* fifo_relay_naive: the relay of fifo_relay.c with the common mistake of ignoring the count
 * write() returns.
 *
 * Shows: when write() on the FIFO transfers only part of the buffer, the rest is silently
 * dropped and the reader downstream gets a damaged stream. Compare fifo_relay.c.
 *
 * Usage: fifo_relay_naive IN_FIFO OUT_FIFO
 */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: fifo_relay_naive IN_FIFO OUT_FIFO\n");
    return 2;
  }
  int in = open(argv[1], O_RDONLY);
  int out = open(argv[2], O_WRONLY);
  if (in == -1 || out == -1) {
    perror("fifo_relay_naive: open");
    return 1;
  }
  char buf[4096];
  long long total = 0;
  ssize_t n;
  while ((n = read(in, buf, sizeof buf)) > 0) {
    if (write(out, buf, (size_t)n) == -1) { /* The mistake: a short write loses the rest. */
      perror("fifo_relay_naive: write");
      return 1;
    }
    total += n;
  }
  close(in);
  close(out);
  printf("relayed %lld bytes\n", total);
  return 0;
}
