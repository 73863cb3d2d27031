/* echo_server_naive: the echo server of echo_server.c with the common mistake of treating
 * every accept() failure as fatal.
 *
 * Shows: a single ECONNABORTED (a client gave up while queued) takes the whole service down,
 * with every other client. Compare with echo_server.c, which reports it and keeps serving.
 *
 * Usage: echo_server_naive SOCKET_PATH
 * Serves one connection at a time until SIGTERM, then unlinks SOCKET_PATH and exits 0.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig) {
  (void)sig;
  stop_requested = 1;
}

static void serve(int conn) {
  char buf[4096];
  ssize_t n;
  while ((n = read(conn, buf, sizeof buf)) > 0) {
    if (write(conn, buf, (size_t)n) != n) return;
  }
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: echo_server_naive SOCKET_PATH\n");
    return 2;
  }
  const char* path = argv[1];

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);

  struct sockaddr_un addr;
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  strncpy(addr.sun_path, path, sizeof addr.sun_path - 1);

  int listener = socket(AF_UNIX, SOCK_STREAM, 0);
  if (listener < 0 || bind(listener, (struct sockaddr*)&addr, sizeof addr) < 0 ||
      listen(listener, 16) < 0) {
    perror("echo_server_naive: socket/bind/listen");
    return 1;
  }
  fprintf(stderr, "echo_server_naive: listening on %s\n", path);

  while (!stop_requested) {
    int conn = accept(listener, NULL, NULL);
    if (conn < 0) {
      if (stop_requested) break;
      /* The mistake: this failure concerns one connection, not the server. */
      perror("echo_server_naive: accept");
      exit(1);
    }
    serve(conn);
    close(conn);
  }

  close(listener);
  unlink(path);
  return 0;
}
