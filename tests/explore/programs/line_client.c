/* line_client: connects to a Unix stream socket, sends NAME and a newline, reads the answer to
 * the end of the connection and checks that it is "hello NAME". The client of
 * tests/explore/scenarios/accept_abort.yaml and spurious_accept.yaml; it has no bug of its
 * own, and waits for its answer as long as it takes.
 *
 * Usage: line_client SOCKET_PATH NAME
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
  fprintf(stderr, "line_client: %s: %s\n", what, strerror(errno));
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

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: line_client SOCKET_PATH NAME\n");
    return 2;
  }
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(argv[1]) >= sizeof addr.sun_path) {
    fprintf(stderr, "line_client: socket path too long\n");
    return 2;
  }
  strcpy(addr.sun_path, argv[1]);
  int fd = connect_to(AF_UNIX, (const struct sockaddr*)&addr, sizeof addr);
  char request[80];
  int len = snprintf(request, sizeof request, "%s\n", argv[2]);
  for (int done = 0; done < len;) {
    ssize_t n = send(fd, request + done, (size_t)(len - done), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("send");
    }
    done += (int)n;
  }
  char reply[128];
  size_t got = 0;
  for (;;) {
    if (got == sizeof reply - 1) break;
    ssize_t n = recv(fd, reply + got, sizeof reply - 1 - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("recv");
    }
    if (n == 0) break;
    got += (size_t)n;
  }
  reply[got] = '\0';
  close(fd);
  char expected[96];
  snprintf(expected, sizeof expected, "hello %s\n", argv[2]);
  if (strcmp(reply, expected) != 0) {
    fprintf(stderr, "line_client: expected \"hello %s\", got \"%s\"\n", argv[2], reply);
    return 1;
  }
  printf("%s", reply);
  return 0;
}
