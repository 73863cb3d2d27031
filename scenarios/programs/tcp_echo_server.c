/* tcp_echo_server: a TCP echo server that loses one client, not itself, when a connection
 * is reset.
 *
 * Shows: the classic steps (socket, bind, listen, accept, then read and write) where every
 * failure is judged by what it concerns. A connection reset (ECONNRESET), a peer gone while
 * we write (EPIPE, with SIGPIPE ignored) or a failed accept ends one conversation; the
 * server closes that socket and accepts the next client. tcp_echo_server_naive.c is the
 * textbook version that exits on any error.
 *
 * Usage: tcp_echo_server PORT
 * Serves one connection at a time on 127.0.0.1:PORT until SIGTERM, then exits 0.
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig) {
  (void)sig;
  stop_requested = 1;
}

/* Writes all of buf (send may transfer less than asked); 0 on success, -1 with errno. */
static int write_all(int fd, const char* buf, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, buf, len);
    if (n < 0) {
      if (errno == EINTR && !stop_requested) continue;
      return -1;
    }
    buf += n;
    len -= (size_t)n;
  }
  return 0;
}

/* Echoes until the client closes. Any failure is this connection's, and ends only it. */
static void serve(int conn) {
  char buf[4096];
  for (;;) {
    ssize_t n = read(conn, buf, sizeof buf);
    if (n == 0) return;
    if (n < 0) {
      if (errno == EINTR && !stop_requested) continue;
      fprintf(stderr, "tcp_echo_server: read: %s (dropping this client)\n", strerror(errno));
      return;
    }
    if (write_all(conn, buf, (size_t)n) < 0) {
      fprintf(stderr, "tcp_echo_server: write: %s (dropping this client)\n", strerror(errno));
      return;
    }
  }
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: tcp_echo_server PORT\n");
    return 2;
  }
  /* No SA_RESTART: SIGTERM must interrupt a blocked accept() so that the loop sees it. */
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  /* A client that hangs up while we write must cost us that connection (EPIPE), not our
   * life (SIGPIPE's default action). */
  signal(SIGPIPE, SIG_IGN);

  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((unsigned short)atoi(argv[1]));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

  int listener = socket(AF_INET, SOCK_STREAM, 0);
  if (listener < 0) {
    fprintf(stderr, "tcp_echo_server: socket: %s\n", strerror(errno));
    return 1;
  }
  int on = 1; /* a restarted server must not wait for TIME_WAIT to bind again */
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  if (bind(listener, (struct sockaddr*)&addr, sizeof addr) < 0 || listen(listener, 16) < 0) {
    fprintf(stderr, "tcp_echo_server: bind/listen on port %s: %s\n", argv[1], strerror(errno));
    close(listener);
    return 1;
  }
  fprintf(stderr, "tcp_echo_server: listening on 127.0.0.1:%s\n", argv[1]);

  unsigned served = 0;
  while (!stop_requested) {
    int conn = accept(listener, NULL, NULL);
    if (conn < 0) {
      if (errno == EINTR) continue; /* the loop condition decides whether to stop */
      fprintf(stderr, "tcp_echo_server: accept: %s (still serving)\n", strerror(errno));
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        /* Out of a resource: give it a moment to come back instead of spinning. */
        struct timespec pause = {0, 10 * 1000 * 1000};
        nanosleep(&pause, NULL);
      }
      continue;
    }
    serve(conn);
    close(conn);
    ++served;
  }
  close(listener);
  fprintf(stderr, "tcp_echo_server: stopped after %u connections\n", served);
  return 0;
}
