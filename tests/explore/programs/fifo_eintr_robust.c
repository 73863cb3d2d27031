/* fifo_eintr_robust: the twin of fifo_eintr_naive.c that writes a line again when write()
 * was interrupted (EINTR) before writing it, unless its own watchdog fired.
 *
 * Usage: fifo_eintr_robust FIFO COUNT
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

static void on_alarm(int sig) {
  (void)sig;
  watchdog_fired = 1;
}

static void fail(const char* what) {
  fprintf(stderr, "fifo_eintr_robust: %s: %s\n", watchdog_fired ? "watchdog" : what,
          watchdog_fired ? "no progress for 1 s" : strerror(errno));
  exit(1);
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: fifo_eintr_robust FIFO COUNT\n");
    return 2;
  }
  long count = strtol(argv[2], NULL, 10);
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
  for (long i = 1; i <= count; ++i) {
    char line[32];
    int len = snprintf(line, sizeof line, "line %ld\n", i);
    size_t done = 0;
    while (done < (size_t)len) {
      ssize_t n = write(fd, line + done, (size_t)len - done);
      if (n < 0) {
        if (errno == EINTR && !watchdog_fired) continue;
        fail("write");
      }
      done += (size_t)n;
    }
  }
  alarm(0);
  if (close(fd) != 0 && errno != EINTR) fail("close"); /* EINTR: closed all the same */
  printf("wrote %ld lines\n", count);
  return 0;
}
