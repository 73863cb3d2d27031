/* msg_consumer_naive: the consumer of msg_consumer.c with the common mistake of treating
 * every msgrcv() failure as fatal.
 *
 * Shows: an EINTR (a signal handler ran while msgrcv() waited) is not an error of the queue,
 * yet it ends this consumer and strands the messages still queued. Compare msg_consumer.c.
 *
 * Usage: msg_consumer_naive QUEUE_ID COUNT
 */
#define _POSIX_C_SOURCE 200809L
#define _XOPEN_SOURCE 700
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>

struct numbered_message {
  long mtype;
  char text[64];
};

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: msg_consumer_naive QUEUE_ID COUNT\n");
    return 2;
  }
  int queue = (int)strtol(argv[1], NULL, 0);
  long count = strtol(argv[2], NULL, 10);
  for (long i = 0; i < count; ++i) {
    struct numbered_message m;
    if (msgrcv(queue, &m, sizeof m.text, 0, 0) == -1) { /* The mistake: EINTR is not fatal. */
      perror("msg_consumer_naive: msgrcv");
      return 1;
    }
  }
  printf("%ld messages ok\n", count);
  return 0;
}
