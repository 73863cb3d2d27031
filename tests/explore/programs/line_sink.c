/* line_sink: reads "line 1\n" ... "line COUNT\n" from a FIFO until its end and checks that
 * every line came, once and in order. The reader of tests/explore/scenarios/fifo_eintr.yaml;
 * it has no bug of its own.
 *
 * Usage: line_sink FIFO COUNT
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
  fprintf(stderr, "line_sink: %s: %s\n", watchdog_fired ? "watchdog" : what,
          watchdog_fired ? "no writer or no end for 1 s" : strerror(errno));
  exit(1);
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: line_sink FIFO COUNT\n");
    return 2;
  }
  long count = strtol(argv[2], NULL, 10);
  /* A watchdog: opening a FIFO waits for a writer, and reading it for the writer to finish;
   * a writer that died before opening it would keep this reader waiting for ever. Installed
   * without SA_RESTART, so that the alarm ends a blocked open() or read(). */
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm;
  sigaction(SIGALRM, &sa, NULL);
  alarm(1);
  int fd;
  while ((fd = open(argv[1], O_RDONLY)) < 0) {
    if (errno != EINTR || watchdog_fired) fail("open");
  }
  static char text[65536];
  size_t len = 0;
  for (;;) {
    if (len == sizeof text - 1) {
      fprintf(stderr, "line_sink: more than %zu bytes\n", len);
      return 1;
    }
    ssize_t n = read(fd, text + len, sizeof text - 1 - len);
    if (n < 0) {
      if (errno == EINTR && !watchdog_fired) continue;
      fail("read");
    }
    if (n == 0) break;
    len += (size_t)n;
  }
  alarm(0);
  close(fd);
  text[len] = '\0';
  const char* p = text;
  for (long i = 1; i <= count; ++i) {
    char want[32];
    int want_len = snprintf(want, sizeof want, "line %ld\n", i);
    if (strncmp(p, want, (size_t)want_len) != 0) {
      const char* end = strchr(p, '\n');
      fprintf(stderr, "line_sink: expected \"line %ld\", got \"%.*s\"\n", i,
              end ? (int)(end - p) : (int)strlen(p), p);
      return 1;
    }
    p += want_len;
  }
  if (*p != '\0') {
    fprintf(stderr, "line_sink: more than %ld lines\n", count);
    return 1;
  }
  printf("%ld lines in order\n", count);
  return 0;
}
