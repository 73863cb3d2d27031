/* upper_server: answers requests on a System V message queue: each request (type 1) names the
 * client's own reply queue and a text; the answer (type 1 on that queue) is the text in upper
 * case. The server of tests/explore/scenarios/sysv_leak.yaml; it has no bug of its own and
 * runs until it is stopped.
 *
 * Usage: upper_server QUEUE_ID
 */
#define _POSIX_C_SOURCE 200809L
#define _XOPEN_SOURCE 700
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>

struct request {
  long mtype;
  int reply_queue;
  char text[64];
};

struct reply {
  long mtype;
  char text[64];
};

static void fail(const char* what) {
  fprintf(stderr, "upper_server: %s: %s\n", what, strerror(errno));
  exit(1);
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: upper_server QUEUE_ID\n");
    return 2;
  }
  int queue = (int)strtol(argv[1], NULL, 10);
  for (;;) {
    struct request req;
    if (msgrcv(queue, &req, sizeof req - sizeof req.mtype, 1, 0) < 0) {
      if (errno == EINTR) continue;
      fail("msgrcv");
    }
    struct reply rep = {.mtype = 1};
    req.text[sizeof req.text - 1] = '\0';
    size_t len = strlen(req.text);
    for (size_t i = 0; i <= len; ++i) rep.text[i] = (char)toupper((unsigned char)req.text[i]);
    while (msgsnd(req.reply_queue, &rep, len + 1, 0) != 0) {
      if (errno != EINTR) fail("msgsnd");
    }
  }
}
