/* echo_server: a Unix-socket echo server that survives a failed accept().
 *
 * Shows: accept() can fail for reasons that concern one pending connection or a passing
 * shortage (ECONNABORTED, EPROTO, EMFILE, ENOBUFS...), not the listening socket. A robust
 * server reports the failure and keeps serving; only its own shutdown (SIGTERM) ends the loop.
 * echo_server_naive.c is the same program with the usual mistake.
 *
 * Usage: echo_server SOCKET_PATH
 * Serves one connection at a time until SIGTERM, then unlinks SOCKET_PATH and exits 0.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig) {
  (void)sig;
  stop_requested = 1;
}

/* Writes all of buf (write() may transfer less than asked); 0 on success, -1 with errno. */
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

/* Echoes what the client sends until it closes its end. A failing connection ends only
 * itself, never the server. */
static void serve(int conn) {
  char buf[4096];
  for (;;) {
    ssize_t n = read(conn, buf, sizeof buf);
    if (n == 0) return;
    if (n < 0) {
      if (errno == EINTR && !stop_requested) continue;
      if (errno != EINTR) fprintf(stderr, "echo_server: read: %s\n", strerror(errno));
      return;
    }
    if (write_all(conn, buf, (size_t)n) < 0) {
      fprintf(stderr, "echo_server: write: %s\n", strerror(errno));
      return;
    }
  }
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: echo_server SOCKET_PATH\n");
    return 2;
  }
  const char* path = argv[1];

  /* No SA_RESTART: SIGTERM must interrupt a blocked accept() so that the loop sees it. */
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  /* A client that hangs up while we write must cost us that connection, not our life. */
  signal(SIGPIPE, SIG_IGN);

  struct sockaddr_un addr;
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  if (strlen(path) >= sizeof addr.sun_path) {
    fprintf(stderr, "echo_server: socket path too long: %s\n", path);
    return 1;
  }
  strcpy(addr.sun_path, path);

  int listener = socket(AF_UNIX, SOCK_STREAM, 0);
  if (listener < 0) {
    fprintf(stderr, "echo_server: socket: %s\n", strerror(errno));
    return 1;
  }
  if (bind(listener, (struct sockaddr*)&addr, sizeof addr) < 0) {
    fprintf(stderr, "echo_server: bind %s: %s\n", path, strerror(errno));
    close(listener);
    return 1;
  }
  if (listen(listener, 16) < 0) {
    fprintf(stderr, "echo_server: listen: %s\n", strerror(errno));
    close(listener);
    unlink(path);
    return 1;
  }
  fprintf(stderr, "echo_server: listening on %s\n", path);

  unsigned served = 0;
  while (!stop_requested) {
    int conn = accept(listener, NULL, NULL);
    if (conn < 0) {
      if (errno == EINTR) continue; /* the loop condition decides whether to stop */
      fprintf(stderr, "echo_server: accept: %s (still serving)\n", strerror(errno));
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
  unlink(path);
  fprintf(stderr, "echo_server: stopped after %u connections\n", served);
  return 0;
}
