/* fifo_relay_naive: the relay of fifo_relay.c (8 KiB blocks, a non-blocking outgoing FIFO)
 * with the common mistake of ignoring the count write() returns. It does wait for room after
 * EAGAIN, so it works as long as every write goes out whole.
 *
 * Shows: when write() on the non-blocking FIFO transfers only part of a block (the reader is
 * behind), the rest is silently dropped and the reader downstream gets a damaged stream.
 * Compare fifo_relay.c.
 *
 * Usage: fifo_relay_naive IN_FIFO OUT_FIFO
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <unistd.h>

enum { BLOCK = 8192 };

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: fifo_relay_naive IN_FIFO OUT_FIFO\n");
    return 2;
  }
  int in = open(argv[1], O_RDONLY);
  int out = open(argv[2], O_WRONLY);
  if (in == -1 || out == -1 || fcntl(out, F_SETFL, O_NONBLOCK) == -1) {
    perror("fifo_relay_naive: open");
    return 1;
  }
  static char buf[BLOCK];
  long long total = 0;
  for (;;) {
    size_t n = 0;
    ssize_t r;
    while (n < BLOCK && (r = read(in, buf + n, BLOCK - n)) > 0) n += (size_t)r;
    if (n == 0) break;
    /* The mistake: a short write loses the rest of the block. */
    while (write(out, buf, n) == -1) {
      if (errno != EAGAIN) {
        perror("fifo_relay_naive: write");
        return 1;
      }
      struct pollfd p = {out, POLLOUT, 0};
      poll(&p, 1, -1);
    }
    total += (long long)n;
  }
  close(in);
  close(out);
  printf("relayed %lld bytes\n", total);
  return 0;
}
