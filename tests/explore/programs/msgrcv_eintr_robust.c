/* msgrcv_eintr_robust: the twin of msgrcv_eintr_naive.c that waits again when msgrcv() was
 * interrupted by a signal (EINTR) other than its own watchdog.
 *
 * Usage: msgrcv_eintr_robust QUEUE_ID COUNT
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

enum { ACK = 1, ABORT = 2, JOB = 3 }; /* message types, as in job_sender.c */

struct job_message {
  long mtype;
  char text[64];
};

static int queue;
static volatile sig_atomic_t report_asked, watchdog_fired;

static void on_usr1(int sig) {
  (void)sig;
  report_asked = 1;
}

static void on_alarm(int sig) {
  (void)sig;
  watchdog_fired = 1;
}

/* Says what failed, tells the sender that no acknowledgement will come, and exits 1. */
static void fail(const char* what) {
  const char* why = watchdog_fired ? "no job for 1 s" : strerror(errno);
  fprintf(stderr, "msgrcv_eintr_robust: %s: %s\n", what, why);
  struct job_message notice = {.mtype = ABORT};
  snprintf(notice.text, sizeof notice.text, "%s: %s", what, why);
  if (msgsnd(queue, &notice, strlen(notice.text) + 1, IPC_NOWAIT) != 0)
    fprintf(stderr, "msgrcv_eintr_robust: telling the sender: %s\n", strerror(errno));
  exit(1);
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: msgrcv_eintr_robust QUEUE_ID COUNT\n");
    return 2;
  }
  queue = (int)strtol(argv[1], NULL, 10);
  long count = strtol(argv[2], NULL, 10);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1;
  sigaction(SIGUSR1, &sa, NULL);
  sa.sa_handler = on_alarm;
  sigaction(SIGALRM, &sa, NULL);
  long done = 0;
  while (done < count) {
    if (report_asked) {
      report_asked = 0;
      fprintf(stderr, "msgrcv_eintr_robust: %ld jobs so far\n", done);
    }
    alarm(1); /* a sender that died before sending everything would keep us waiting */
    struct job_message m;
    if (msgrcv(queue, &m, sizeof m.text, JOB, 0) < 0) {
      if (errno == EINTR && !watchdog_fired) continue;
      fail("msgrcv");
    }
    ++done;
  }
  alarm(0);
  struct job_message ack = {.mtype = ACK};
  snprintf(ack.text, sizeof ack.text, "%ld", done);
  while (msgsnd(queue, &ack, strlen(ack.text) + 1, 0) != 0) {
    if (errno != EINTR) fail("msgsnd");
  }
  printf("%ld jobs done\n", done);
  return 0;
}
