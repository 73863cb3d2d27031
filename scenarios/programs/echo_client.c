/* echo_client: connects to a Unix-socket echo server CONNECTIONS times, sends MESSAGES lines
 * on each connection and checks that every one comes back unchanged.
 *
 * Shows: a client of a stream socket must expect partial transfers (send/recv loops) and a
 * server that is not listening yet (connect retried a bounded number of times on
 * ECONNREFUSED/ENOENT/EAGAIN). Its sends have a timeout (SO_SNDTIMEO), so a server that stops
 * reading cannot hang it; when the timeout expires mid-message, send() returns what it sent,
 * and the rest must be sent again. It never retries a broken conversation: that is the
 * server's failure and it reports it.
 *
 * Usage: echo_client SOCKET_PATH CONNECTIONS MESSAGES
 * Prints "CONNECTIONS ok" and exits 0 when every echo matched; else says what broke, exits 1.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

enum { CONNECT_ATTEMPTS = 50, CONNECT_PAUSE_MS = 20, SEND_TIMEOUT_S = 5 };

/* Connects, retrying while the server is not (yet) accepting; the fd, or -1 with errno. */
static int connect_with_retry(const char* path) {
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  strncpy(addr.sun_path, path, sizeof addr.sun_path - 1);

  for (int attempt = 1;; ++attempt) {
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    if (connect(fd, (struct sockaddr*)&addr, sizeof addr) == 0) {
      struct timeval timeout = {SEND_TIMEOUT_S, 0};
      setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
      return fd;
    }
    int err = errno;
    close(fd);
    int transient = err == ECONNREFUSED || err == ENOENT || err == EAGAIN || err == EINTR;
    if (!transient || attempt == CONNECT_ATTEMPTS) {
      errno = err;
      return -1;
    }
    struct timespec pause = {0, CONNECT_PAUSE_MS * 1000L * 1000L};
    nanosleep(&pause, NULL);
  }
}

/* MSG_NOSIGNAL: a server that went away is an error to report, not a SIGPIPE. */
static int send_all(int fd, const char* buf, size_t len) {
  while (len > 0) {
    ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    buf += n;
    len -= (size_t)n;
  }
  return 0;
}

/* Receives exactly len bytes; 0 on success, -1 with errno, or 1 when the peer closed. */
static int recv_all(int fd, char* buf, size_t len) {
  while (len > 0) {
    ssize_t n = recv(fd, buf, len, 0);
    if (n == 0) return 1;
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    buf += n;
    len -= (size_t)n;
  }
  return 0;
}

/* One conversation; 0 when every echo matched. */
static int converse(const char* path, int conn_no, int messages) {
  int fd = connect_with_retry(path);
  if (fd < 0) {
    fprintf(stderr, "echo_client: connection %d: connect %s: %s\n", conn_no, path, strerror(errno));
    return -1;
  }
  for (int m = 1; m <= messages; ++m) {
    char sent[128], echoed[128];
    int len = snprintf(sent, sizeof sent, "connection %d message %d\n", conn_no, m);
    if (send_all(fd, sent, (size_t)len) < 0) {
      fprintf(stderr, "echo_client: connection %d: send: %s\n", conn_no, strerror(errno));
      close(fd);
      return -1;
    }
    int rc = recv_all(fd, echoed, (size_t)len);
    if (rc != 0) {
      if (rc > 0)
        fprintf(stderr, "echo_client: connection %d: server closed the connection\n", conn_no);
      else
        fprintf(stderr, "echo_client: connection %d: recv: %s\n", conn_no, strerror(errno));
      close(fd);
      return -1;
    }
    if (memcmp(sent, echoed, (size_t)len) != 0) {
      fprintf(stderr, "echo_client: connection %d: message %d came back changed\n", conn_no, m);
      close(fd);
      return -1;
    }
  }
  close(fd);
  return 0;
}

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: echo_client SOCKET_PATH CONNECTIONS MESSAGES\n");
    return 2;
  }
  int connections = atoi(argv[2]);
  int messages = atoi(argv[3]);
  for (int c = 1; c <= connections; ++c) {
    if (converse(argv[1], c, messages) != 0) return 1;
  }
  printf("%d ok\n", connections);
  return 0;
}
