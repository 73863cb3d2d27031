/* pmq_relay: forwards the messages of one POSIX message queue to another until it has
 * forwarded an end marker (a faultline-peer frame with flag 1, docs/peer.md).
 *
 * Shows: a queue opened with O_NONBLOCK answers mq_send() with EAGAIN when it is full. The
 * message was not sent; a robust relay waits until the queue has room (a POSIX queue
 * descriptor is a file descriptor on Linux, so poll() works) and sends it again.
 * pmq_relay_naive.c is the usual mistake.
 *
 * Usage: pmq_relay IN_NAME OUT_NAME
 * Prints "relayed N messages" and exits 0; on an error says which call failed and exits 1.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Byte 12 of a peer frame holds its flags; flag 1 marks the end of the exchange. */
static int is_end_marker(const char* msg, ssize_t n) {
  return n >= 16 && (((const uint8_t*)msg)[12] & 1) != 0;
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: pmq_relay IN_NAME OUT_NAME\n");
    return 2;
  }
  mqd_t in = mq_open(argv[1], O_RDONLY);
  mqd_t out = mq_open(argv[2], O_WRONLY | O_NONBLOCK); /* never stall the input on a full output */
  if (in == (mqd_t)-1 || out == (mqd_t)-1) {
    fprintf(stderr, "pmq_relay: mq_open: %s\n", strerror(errno));
    return 1;
  }
  struct mq_attr attr;
  if (mq_getattr(in, &attr) == -1) {
    fprintf(stderr, "pmq_relay: mq_getattr: %s\n", strerror(errno));
    return 1;
  }
  char* msg = malloc((size_t)attr.mq_msgsize);
  if (msg == NULL) return 1;
  long relayed = 0;
  for (;;) {
    ssize_t n = mq_receive(in, msg, (size_t)attr.mq_msgsize, NULL);
    if (n == -1) {
      if (errno == EINTR) continue;
      fprintf(stderr, "pmq_relay: mq_receive: %s\n", strerror(errno));
      return 1;
    }
    while (mq_send(out, msg, (size_t)n, 0) == -1) {
      if (errno == EAGAIN) { /* full: wait for room, then send the same message again */
        fprintf(stderr, "pmq_relay: %s is full, waiting for room\n", argv[2]);
        struct pollfd p = {.fd = (int)out, .events = POLLOUT};
        if (poll(&p, 1, 1000) == -1 && errno != EINTR) {
          fprintf(stderr, "pmq_relay: poll: %s\n", strerror(errno));
          return 1;
        }
      } else if (errno != EINTR) {
        fprintf(stderr, "pmq_relay: mq_send: %s\n", strerror(errno));
        return 1;
      }
    }
    if (is_end_marker(msg, n)) break;
    ++relayed;
  }
  free(msg);
  mq_close(in);
  mq_close(out);
  printf("relayed %ld messages\n", relayed);
  return 0;
}
