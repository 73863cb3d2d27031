/* fifo_relay: copies everything that arrives on one named pipe to another, until the writer
 * closes its end.
 *
 * Shows: write() on a FIFO may transfer fewer bytes than asked (a signal arrives mid-write,
 * or the FIFO is non-blocking and nearly full). The count it returns is the only record of
 * what went out, so a robust relay writes the rest. fifo_relay_naive.c is the usual mistake.
 *
 * Usage: fifo_relay IN_FIFO OUT_FIFO
 * Prints "relayed N bytes" and exits 0 at the end of IN; on an error says which call failed
 * and exits 1.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Writes all n bytes of buf, continuing after short writes and EINTR. */
static int write_all(int fd, const char* buf, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, buf, n);
    if (w == -1) {
      if (errno == EINTR) continue;
      return -1;
    }
    buf += w;
    n -= (size_t)w;
  }
  return 0;
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: fifo_relay IN_FIFO OUT_FIFO\n");
    return 2;
  }
  /* Opening a FIFO blocks until the other side opens it too. */
  int in = open(argv[1], O_RDONLY);
  if (in == -1) {
    fprintf(stderr, "fifo_relay: open %s: %s\n", argv[1], strerror(errno));
    return 1;
  }
  int out = open(argv[2], O_WRONLY);
  if (out == -1) {
    fprintf(stderr, "fifo_relay: open %s: %s\n", argv[2], strerror(errno));
    close(in);
    return 1;
  }
  char buf[4096];
  long long total = 0;
  for (;;) {
    ssize_t n = read(in, buf, sizeof buf);
    if (n == 0) break; /* every writer closed: the end of the data */
    if (n == -1) {
      if (errno == EINTR) continue;
      fprintf(stderr, "fifo_relay: read: %s\n", strerror(errno));
      close(in);
      close(out);
      return 1;
    }
    if (write_all(out, buf, (size_t)n) == -1) {
      fprintf(stderr, "fifo_relay: write: %s\n", strerror(errno));
      close(in);
      close(out);
      return 1;
    }
    total += n;
  }
  close(in);
  close(out);
  printf("relayed %lld bytes\n", total);
  return 0;
}
