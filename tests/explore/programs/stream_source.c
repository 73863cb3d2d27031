/* stream_source: a TCP server that sends its first client "line 1\n" ... "line COUNT\n" and
 * "END\n" in one send(), closes the connection and exits 0. The server of
 * tests/explore/scenarios/reset_eof.yaml; it has no bug of its own.
 *
 * Usage: stream_source HOST PORT COUNT
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void fail(const char* what) {
  fprintf(stderr, "stream_source: %s: %s\n", what, strerror(errno));
  exit(1);
}

/* As accept_abort_robust.c: the accept() errors after which accepting again is right. */
static int accept_may_retry(int error) {
  switch (error) {
    case EMFILE:
    case ENFILE:
    case ENOBUFS:
    case ENOMEM:
      nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
      return 1;
    case EINTR:
    case EAGAIN:
    case ECONNABORTED:
    case EPROTO:
    case EPERM:
    case ETIMEDOUT:
    case ENETDOWN:
    case ENOPROTOOPT:
    case EHOSTDOWN:
    case ENONET:
    case EHOSTUNREACH:
    case EOPNOTSUPP:
    case ENETUNREACH:
      return 1;
    default:
      return 0;
  }
}

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: stream_source HOST PORT COUNT\n");
    return 2;
  }
  long count = strtol(argv[3], NULL, 10);
  static char text[65536];
  size_t len = 0;
  for (long i = 1; i <= count && len < sizeof text - 64; ++i)
    len += (size_t)snprintf(text + len, sizeof text - len, "line %ld\n", i);
  len += (size_t)snprintf(text + len, sizeof text - len, "END\n");

  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2]))};
  if (inet_pton(AF_INET, argv[1], &addr.sin_addr) != 1) {
    fprintf(stderr, "stream_source: not an IPv4 address: %s\n", argv[1]);
    return 2;
  }
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  if (listener < 0) fail("socket");
  int on = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  if (bind(listener, (const struct sockaddr*)&addr, sizeof addr) != 0) fail("bind");
  if (listen(listener, 16) != 0) fail("listen");
  int client;
  while ((client = accept(listener, NULL, NULL)) < 0) {
    if (!accept_may_retry(errno)) fail("accept");
  }
  for (size_t done = 0; done < len;) {
    ssize_t n = send(client, text + done, len - done, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("send");
    }
    done += (size_t)n;
  }
  close(client);
  return 0;
}
