/* What a program sees of its standard fds (tests/integration/stdio_test.cc):
 *   stdio_probe perror   errno = EMFILE; perror() as the first output; says whether errno
 *                        survived (it does on a terminal or a journal socket, and not on a
 *                        write-only pipe, where glibc's fdopen(dup(2), "w+") fails)
 *   stdio_probe isatty   says which of fd 0, 1, 2 are terminals
 *   stdio_probe reopen   writes to fd 2, reopens /proc/self/fd/2 O_WRONLY|O_TRUNC and writes
 *                        through it, then writes to fd 2 again
 *   stdio_probe log      writes a few lines to stdout and stderr with write() */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int say(int fd, const char* text) {
  size_t n = strlen(text);
  return write(fd, text, n) == (ssize_t)n ? 0 : 1;
}

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  if (strcmp(argv[1], "perror") == 0) {
    errno = EMFILE;
    perror("accept");
    int saved = errno;
    printf("errno after perror: %s\n", saved == EMFILE ? "EMFILE" : strerrorname_np(saved));
    return saved == EMFILE ? 0 : 1;
  }
  if (strcmp(argv[1], "isatty") == 0) {
    printf("isatty0=%d isatty1=%d isatty2=%d\n", isatty(0), isatty(1), isatty(2));
    return 0;
  }
  if (strcmp(argv[1], "reopen") == 0) {
    if (say(2, "before\n") != 0) return 1;
    int fd = open("/proc/self/fd/2", O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (fd < 0) {
      printf("reopen failed: %s\n", strerrorname_np(errno));
      return 1;
    }
    if (say(fd, "reopened\n") != 0) return 1;
    close(fd);
    return say(2, "after\n");
  }
  if (strcmp(argv[1], "log") == 0) {
    for (int i = 0; i < 3; ++i) {
      if (say(1, "to stdout\n") != 0 || say(2, "to stderr\n") != 0) return 1;
    }
    return 0;
  }
  return 2;
}
