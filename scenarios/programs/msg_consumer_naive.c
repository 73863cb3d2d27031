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
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>

struct numbered_message {
  long mtype;
  char text[64];
};

/* A progress report on SIGUSR1, as long-running consumers have: with a handler installed a
 * signal can interrupt a waiting call (msgrcv is never restarted, SA_RESTART or not). */
static volatile sig_atomic_t report_asked;
static void on_usr1(int sig) {
  (void)sig;
  report_asked = 1;
}

static void install_report_handler(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1;
  sigaction(SIGUSR1, &sa, NULL);
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: msg_consumer_naive QUEUE_ID COUNT\n");
    return 2;
  }
  install_report_handler();
  int queue = (int)strtol(argv[1], NULL, 0);
  long count = strtol(argv[2], NULL, 10);
  for (long i = 0; i < count; ++i) {
    if (report_asked) {
      report_asked = 0;
      fprintf(stderr, "%s: %ld messages so far\n", argv[0], i);
    }
    struct numbered_message m;
    if (msgrcv(queue, &m, sizeof m.text, 0, 0) == -1) { /* The mistake: EINTR is not fatal. */
      perror("msg_consumer_naive: msgrcv");
      return 1;
    }
  }
  printf("%ld messages ok\n", count);
  return 0;
}
