/* msg_consumer: receives COUNT numbered messages from a System V message queue and checks
 * that they arrive complete and in order.
 *
 * Shows: msgrcv() returns -1 with EINTR when a signal handler runs while it waits (any
 * handler: a timer, SIGCHLD, a profiler). Nothing was received and nothing is lost: a robust
 * consumer simply calls it again. msg_consumer_naive.c is the usual mistake.
 *
 * Usage: msg_consumer QUEUE_ID COUNT
 * Prints "COUNT messages ok" and exits 0 when all arrived in order; else exits 1.
 */
#define _POSIX_C_SOURCE 200809L
#define _XOPEN_SOURCE 700
#include <errno.h>
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
    fprintf(stderr, "usage: msg_consumer QUEUE_ID COUNT\n");
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
    ssize_t n;
    while ((n = msgrcv(queue, &m, sizeof m.text, 0, 0)) == -1) {
      if (errno == EINTR) {
        fprintf(stderr, "msg_consumer: msgrcv interrupted, waiting again\n");
        continue;
      }
      fprintf(stderr, "msg_consumer: msgrcv: %s\n", strerror(errno));
      return 1;
    }
    char expected[64];
    snprintf(expected, sizeof expected, "message %ld", i);
    if (n == 0 || m.text[n - 1] != '\0' || strcmp(m.text, expected) != 0) {
      fprintf(stderr, "msg_consumer: expected \"%s\", received something else\n", expected);
      return 1;
    }
  }
  printf("%ld messages ok\n", count);
  return 0;
}
