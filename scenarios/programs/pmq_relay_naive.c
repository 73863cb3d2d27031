/* pmq_relay_naive: the relay of pmq_relay.c with the common mistake of treating a failed
 * mq_send() as something to log and move past.
 *
 * Shows: on a non-blocking queue, EAGAIN means "full, not sent". Logging it and going on to
 * the next message loses this one for good. Compare pmq_relay.c.
 *
 * Usage: pmq_relay_naive IN_NAME OUT_NAME
 */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <mqueue.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: pmq_relay_naive IN_NAME OUT_NAME\n");
    return 2;
  }
  mqd_t in = mq_open(argv[1], O_RDONLY);
  mqd_t out = mq_open(argv[2], O_WRONLY | O_NONBLOCK);
  if (in == (mqd_t)-1 || out == (mqd_t)-1) {
    perror("pmq_relay_naive: mq_open");
    return 1;
  }
  struct mq_attr attr;
  mq_getattr(in, &attr);
  char* msg = malloc((size_t)attr.mq_msgsize);
  long relayed = 0;
  for (;;) {
    ssize_t n = mq_receive(in, msg, (size_t)attr.mq_msgsize, NULL);
    if (n == -1) {
      perror("pmq_relay_naive: mq_receive");
      return 1;
    }
    if (mq_send(out, msg, (size_t)n, 0) == -1) /* The mistake: EAGAIN drops the message. */
      perror("pmq_relay_naive: mq_send");
    if (n >= 16 && (((const uint8_t*)msg)[12] & 1) != 0) break; /* the peer's end marker */
    ++relayed;
  }
  printf("relayed %ld messages\n", relayed);
  return 0;
}
