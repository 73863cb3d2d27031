/* mc_setget: a memcached client over a Unix socket (text protocol): stores VALUE under KEY,
 * reads it back, prints "KEY=VALUE" when both worked. The client of
 * tests/explore/scenarios/memcached.yaml; it waits for memcached's answers as long as it
 * takes.
 *
 * Usage: mc_setget SOCKET_PATH KEY VALUE
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static void fail(const char* what) {
  fprintf(stderr, "mc_setget: %s: %s\n", what, strerror(errno));
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

static void send_all(int fd, const char* text, size_t len) {
  for (size_t done = 0; done < len;) {
    ssize_t n = send(fd, text + done, len - done, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("send");
    }
    done += (size_t)n;
  }
}

/* Reads until the answer ends with `end`; exits 1 when the connection ends first. */
static void read_answer(int fd, char* answer, size_t size, const char* end) {
  size_t len = 0, end_len = strlen(end);
  for (;;) {
    if (len == size - 1) {
      fprintf(stderr, "mc_setget: an answer longer than %zu bytes\n", len);
      exit(1);
    }
    ssize_t n = recv(fd, answer + len, size - 1 - len, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("recv");
    }
    if (n == 0) {
      fprintf(stderr, "mc_setget: memcached closed the connection mid-answer\n");
      exit(1);
    }
    len += (size_t)n;
    answer[len] = '\0';
    if (len >= end_len && strcmp(answer + len - end_len, end) == 0) return;
  }
}

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: mc_setget SOCKET_PATH KEY VALUE\n");
    return 2;
  }
  const char *key = argv[2], *value = argv[3];
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(argv[1]) >= sizeof addr.sun_path || strlen(key) > 200 || strlen(value) > 200) {
    fprintf(stderr, "mc_setget: socket path, key or value too long\n");
    return 2;
  }
  strcpy(addr.sun_path, argv[1]);
  int fd = connect_to(AF_UNIX, (const struct sockaddr*)&addr, sizeof addr);
  char request[512], answer[512], expected[512];
  int len =
      snprintf(request, sizeof request, "set %s 0 0 %zu\r\n%s\r\n", key, strlen(value), value);
  send_all(fd, request, (size_t)len);
  read_answer(fd, answer, sizeof answer, "\r\n");
  if (strcmp(answer, "STORED\r\n") != 0) {
    fprintf(stderr, "mc_setget: set %s: %s", key, answer);
    return 1;
  }
  len = snprintf(request, sizeof request, "get %s\r\n", key);
  send_all(fd, request, (size_t)len);
  read_answer(fd, answer, sizeof answer, "END\r\n");
  snprintf(expected, sizeof expected, "VALUE %s 0 %zu\r\n%s\r\nEND\r\n", key, strlen(value), value);
  if (strcmp(answer, expected) != 0) {
    fprintf(stderr, "mc_setget: get %s: %s", key, answer);
    return 1;
  }
  close(fd);
  printf("%s=%s\n", key, value);
  return 0;
}
