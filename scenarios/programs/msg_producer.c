/* msg_producer: sends COUNT numbered messages to a System V message queue.
 *
 * Shows: msgsnd() blocks while the queue is full and returns EINTR when a signal handler
 * runs meanwhile; the message was not sent, so it is sent again.
 *
 * Usage: msg_producer QUEUE_ID COUNT
 */
#define _POSIX_C_SOURCE 200809L
#define _XOPEN_SOURCE 700
#include <errno.h>
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
    fprintf(stderr, "usage: msg_producer QUEUE_ID COUNT\n");
    return 2;
  }
  int queue = (int)strtol(argv[1], NULL, 0);
  long count = strtol(argv[2], NULL, 10);
  for (long i = 0; i < count; ++i) {
    struct numbered_message m = {.mtype = 1};
    snprintf(m.text, sizeof m.text, "message %ld", i);
    while (msgsnd(queue, &m, strlen(m.text) + 1, 0) == -1) {
      if (errno == EINTR) continue;
      fprintf(stderr, "msg_producer: msgsnd message %ld: %s\n", i, strerror(errno));
      return 1;
    }
  }
  fprintf(stderr, "msg_producer: sent %ld messages\n", count);
  return 0;
}
