/* job_sender: sends COUNT jobs (text "job N") on a System V message queue, then waits for the
 * receiver's answer: an acknowledgement (the number of jobs done) or a notice that it gave
 * up. The sender of tests/explore/scenarios/msgrcv_eintr.yaml; it has no bug of its own, and
 * like most senders it trusts the receiver to answer.
 *
 * Usage: job_sender QUEUE_ID COUNT
 */
#define _POSIX_C_SOURCE 200809L
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>

/* Message types: the answers have the lowest, so that one msgrcv(-ABORT) waits for either. */
enum { ACK = 1, ABORT = 2, JOB = 3 };

struct job_message {
  long mtype;
  char text[64];
};

static void fail(const char* what) {
  fprintf(stderr, "job_sender: %s: %s\n", what, strerror(errno));
  exit(1);
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: job_sender QUEUE_ID COUNT\n");
    return 2;
  }
  int queue = (int)strtol(argv[1], NULL, 10);
  long count = strtol(argv[2], NULL, 10);
  for (long i = 1; i <= count; ++i) {
    struct job_message m = {.mtype = JOB};
    snprintf(m.text, sizeof m.text, "job %ld", i);
    while (msgsnd(queue, &m, strlen(m.text) + 1, 0) != 0) {
      if (errno != EINTR) fail("msgsnd");
    }
  }
  struct job_message answer;
  while (msgrcv(queue, &answer, sizeof answer.text, -ABORT, 0) < 0) {
    if (errno != EINTR) fail("msgrcv");
  }
  answer.text[sizeof answer.text - 1] = '\0';
  if (answer.mtype == ABORT) {
    fprintf(stderr, "job_sender: the receiver gave up: %s\n", answer.text);
    return 1;
  }
  if (strtol(answer.text, NULL, 10) != count) {
    fprintf(stderr, "job_sender: %s of %ld jobs acknowledged\n", answer.text, count);
    return 1;
  }
  printf("%ld jobs acknowledged\n", count);
  return 0;
}
