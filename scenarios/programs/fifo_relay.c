/* fifo_relay: copies everything that arrives on one named pipe to another in blocks of 8 KiB,
 * until the writer closes its end. Like the relay of an event loop, it never blocks on its
 * output: the outgoing FIFO is non-blocking, and when it is full the relay waits for room
 * with poll().
 *
 * Shows: write() of more than PIPE_BUF (4096) bytes to a non-blocking FIFO transfers what
 * fits and returns that count, when the reader has not yet emptied it. The count is the only
 * record of what went out, so a robust relay writes the rest. fifo_relay_naive.c is the usual
 * mistake. (A blocking write to a FIFO is cut short only by a signal handler, and one of at
 * most PIPE_BUF bytes never is: pipe(7).)
 *
 * Usage: fifo_relay IN_FIFO OUT_FIFO
 * Prints "relayed N bytes" and exits 0 at the end of IN; on an error says which call failed
 * and exits 1.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

enum { BLOCK = 8192 };

/* Reads until the block is full or the input ends: returns the bytes read, -1 on error. */
static ssize_t read_block(int fd, char* buf) {
  size_t got = 0;
  while (got < BLOCK) {
    ssize_t n = read(fd, buf + got, BLOCK - got);
    if (n == 0) break;
    if (n == -1) {
      if (errno == EINTR) continue;
      return -1;
    }
    got += (size_t)n;
  }
  return (ssize_t)got;
}

/* Writes all n bytes of buf: after a short write the rest, after EAGAIN once there is room. */
static int write_all(int fd, const char* buf, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, buf, n);
    if (w == -1) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        struct pollfd p = {fd, POLLOUT, 0};
        if (poll(&p, 1, -1) == -1 && errno != EINTR) return -1;
        continue;
      }
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
  if (out == -1 || fcntl(out, F_SETFL, fcntl(out, F_GETFL) | O_NONBLOCK) == -1) {
    fprintf(stderr, "fifo_relay: open %s: %s\n", argv[2], strerror(errno));
    close(in);
    return 1;
  }
  static char buf[BLOCK];
  long long total = 0;
  for (;;) {
    ssize_t n = read_block(in, buf);
    if (n == 0) break; /* every writer closed: the end of the data */
    if (n == -1) {
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
