/* reset_eof_robust: the twin of reset_eof_naive.c that reports a connection reset before
 * the "END" line as the failure it is.
 *
 * Usage: reset_eof_robust HOST PORT
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void fail(const char* what) {
  fprintf(stderr, "reset_eof_robust: %s: %s\n", what, strerror(errno));
  exit(1);
}

/* Connects a new socket of `family` to `addr`, again while the kernel answers EAGAIN (a Unix
 * listener's backlog is full, no local port is free for TCP: a passing shortage), with a new
 * socket each time (after a failed connect the state of a socket is unspecified). */
static int connect_to(int family, const struct sockaddr* addr, socklen_t len) {
  for (int attempt = 1;; ++attempt) {
    int fd = socket(family, SOCK_STREAM, 0);
    if (fd < 0) fail("socket");
    if (connect(fd, addr, len) == 0) return fd;
    if (errno != EAGAIN || attempt == 100) fail("connect");
    close(fd);
    nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
  }
}

static int ends_with_end_line(const char* text, size_t len) {
  return len >= 4 && memcmp(text + len - 4, "END\n", 4) == 0 && (len == 4 || text[len - 5] == '\n');
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: reset_eof_robust HOST PORT\n");
    return 2;
  }
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2]))};
  if (inet_pton(AF_INET, argv[1], &addr.sin_addr) != 1) {
    fprintf(stderr, "reset_eof_robust: not an IPv4 address: %s\n", argv[1]);
    return 2;
  }
  int fd = connect_to(AF_INET, (const struct sockaddr*)&addr, sizeof addr);
  struct pollfd ready = {.fd = fd, .events = POLLIN};
  int r;
  while ((r = poll(&ready, 1, 5000)) < 0) {
    if (errno != EINTR) fail("poll");
  }
  if (r == 0) {
    fprintf(stderr, "reset_eof_robust: no data within 5 s\n");
    return 1;
  }
  static char text[65536];
  size_t len = 0;
  int complete = 0;
  while (!complete) {
    if (len + 64 >= sizeof text) {
      fprintf(stderr, "reset_eof_robust: more than %zu bytes\n", len);
      return 1;
    }
    ssize_t n = recv(fd, text + len, 64, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("recv");
    }
    if (n == 0) {
      fprintf(stderr, "reset_eof_robust: the connection ended before the END line\n");
      return 1;
    }
    len += (size_t)n;
    complete = ends_with_end_line(text, len);
  }
  close(fd);
  long lines = 0;
  for (size_t i = 0; i < len; ++i) lines += text[i] == '\n';
  if (complete) --lines; /* the END line */
  printf("received %ld lines\n", lines);
  return 0;
}
