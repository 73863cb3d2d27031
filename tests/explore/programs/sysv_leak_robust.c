/* sysv_leak_robust: the twin of sysv_leak_naive.c that removes its reply queue on every
 * way out.
 *
 * Usage: sysv_leak_robust QUEUE_ID TEXT
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
#include <unistd.h>

struct request {
  long mtype;
  int reply_queue;
  char text[64];
};

struct reply {
  long mtype;
  char text[64];
};

static int reply_queue = -1;
static volatile sig_atomic_t timed_out;

static void on_alarm(int sig) {
  (void)sig;
  timed_out = 1;
}

/* Says what failed, removes the reply queue and exits 1. */
static void fail(const char* what) {
  fprintf(stderr, "sysv_leak_robust: %s: %s\n", what,
          timed_out ? "no reply within 3 s" : strerror(errno));
  if (reply_queue >= 0 && msgctl(reply_queue, IPC_RMID, NULL) != 0)
    fprintf(stderr, "sysv_leak_robust: msgctl IPC_RMID: %s\n", strerror(errno));
  exit(1);
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: sysv_leak_robust QUEUE_ID TEXT\n");
    return 2;
  }
  int queue = (int)strtol(argv[1], NULL, 10);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm; /* ends a msgrcv() that waits too long (never restarted) */
  sigaction(SIGALRM, &sa, NULL);
  reply_queue = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
  if (reply_queue < 0) fail("msgget");
  struct request req = {.mtype = 1, .reply_queue = reply_queue};
  snprintf(req.text, sizeof req.text, "%s", argv[2]);
  alarm(3);
  while (msgsnd(queue, &req, sizeof req - sizeof req.mtype, 0) != 0) {
    if (errno != EINTR || timed_out) fail("msgsnd");
  }
  struct reply rep;
  while (msgrcv(reply_queue, &rep, sizeof rep.text, 0, 0) < 0) {
    if (errno != EINTR || timed_out) fail("msgrcv");
  }
  alarm(0);
  rep.text[sizeof rep.text - 1] = '\0';
  printf("%s\n", rep.text);
  if (msgctl(reply_queue, IPC_RMID, NULL) != 0) fail("msgctl IPC_RMID");
  return 0;
}
