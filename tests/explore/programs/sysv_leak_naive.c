/* BUG: the private reply queue is removed on success only: an error path (a failed msgsnd
 * or msgrcv, no reply in time) exits 1 and leaves the queue behind.
 *
 * sysv_leak_naive: sends TEXT to upper_server.c with a private reply queue made for the
 * answer, and prints the answer; gives up when none comes within 3 s.
 * Twin: sysv_leak_robust.c.
 *
 * Usage: sysv_leak_naive QUEUE_ID TEXT
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

/* Says what failed and exits 1; the mistake: the reply queue stays behind. */
static void fail(const char* what) {
  fprintf(stderr, "sysv_leak_naive: %s: %s\n", what,
          timed_out ? "no reply within 3 s" : strerror(errno));
  exit(1);
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: sysv_leak_naive QUEUE_ID TEXT\n");
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
