/* The robust twin of ctx_helper_naive.c: both callers of the one write helper write an
 * interrupted line again.
 *
 * ctx_helper_robust: writes "line 1\n" ... "line 6\n" to a FIFO, lines 1-3 from send_header()
 * and 4-6 from send_body(), under a watchdog alarm whose handler (installed without
 * SA_RESTART, so that it can end a stalled write) makes a blocked write() return EINTR.
 * Twin: ctx_helper_naive.c.
 *
 * Usage: ctx_helper_robust FIFO
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t watchdog_fired;
static size_t bytes_out;

static void on_alarm(int sig) {
  (void)sig;
  watchdog_fired = 1;
}

static void fail(const char* what) {
  fprintf(stderr, "ctx_helper_robust: %s: %s\n", watchdog_fired ? "watchdog" : what,
          watchdog_fired ? "no progress for 1 s" : strerror(errno));
  exit(1);
}

/* The one place the program writes (noipa: a function of its own, as in a larger program). */
__attribute__((noipa)) static ssize_t xwrite(int fd, const char* buf, size_t len) {
  ssize_t n = write(fd, buf, len);
  if (n > 0) bytes_out += (size_t)n;
  return n;
}

/* Right: an interrupted write is written again. */
__attribute__((noipa)) static void send_header(int fd) {
  for (int i = 1; i <= 3; ++i) {
    char line[32];
    int len = snprintf(line, sizeof line, "line %d\n", i);
    size_t done = 0;
    while (done < (size_t)len) {
      ssize_t n = xwrite(fd, line + done, (size_t)len - done);
      if (n < 0) {
        if (errno == EINTR && !watchdog_fired) continue;
        fail("write");
      }
      done += (size_t)n;
    }
  }
}

/* Right too. */
__attribute__((noipa)) static void send_body(int fd) {
  for (int i = 4; i <= 6; ++i) {
    char line[32];
    int len = snprintf(line, sizeof line, "line %d\n", i);
    size_t done = 0;
    while (done < (size_t)len) {
      ssize_t n = xwrite(fd, line + done, (size_t)len - done);
      if (n < 0) {
        if (errno == EINTR && !watchdog_fired) continue;
        fail("write");
      }
      done += (size_t)n;
    }
  }
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: ctx_helper_robust FIFO\n");
    return 2;
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm; /* no SA_RESTART: the alarm must be able to end a blocked write */
  sigaction(SIGALRM, &sa, NULL);
  signal(SIGPIPE, SIG_IGN); /* a reader that went away is an error to report (EPIPE) */
  alarm(1); /* the whole transfer takes milliseconds; a reader that never comes, seconds */
  int fd;
  while ((fd = open(argv[1], O_WRONLY)) < 0) {
    if (errno == EINTR && !watchdog_fired) continue;
    fail("open");
  }
  send_header(fd);
  send_body(fd);
  alarm(0);
  if (close(fd) != 0 && errno != EINTR) fail("close"); /* EINTR: closed all the same */
  printf("wrote %zu bytes\n", bytes_out);
  return 0;
}
