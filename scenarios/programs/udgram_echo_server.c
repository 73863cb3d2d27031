/* udgram_echo_server: a Unix-domain datagram echo server that sends every answer, even when
 * the kernel is short of buffers for a moment.
 *
 * Shows: the classic datagram steps (socket, bind, recvfrom, sendto) where sendto is
 * checked. ENOBUFS and EAGAIN say "not now", not "never": a robust server waits a little
 * and sends the same answer again, with a bound on the attempts. udgram_echo_server_naive.c
 * ignores what sendto returns, so such an answer silently never leaves.
 *
 * Usage: udgram_echo_server SOCKET_PATH
 * Answers each datagram with the same bytes until SIGTERM, then unlinks SOCKET_PATH, exits 0.
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

enum { MAX_ATTEMPTS = 50 };

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig) {
  (void)sig;
  stop_requested = 1;
}

/* Sends one answer, again after a short pause while the kernel says it has no room.
 * 0 on success, -1 with errno when the answer cannot go (the client is gone, or no room
 * came within MAX_ATTEMPTS pauses). */
static int send_answer(int fd, const char* buf, size_t len, const struct sockaddr_un* to,
                       socklen_t to_len) {
  long pause_ns = 1000 * 1000;
  for (int attempt = 1;; ++attempt) {
    if (sendto(fd, buf, len, 0, (const struct sockaddr*)to, to_len) >= 0) return 0;
    if (errno == EINTR && !stop_requested) continue;
    if ((errno != ENOBUFS && errno != EAGAIN) || attempt == MAX_ATTEMPTS) return -1;
    fprintf(stderr, "udgram_echo_server: sendto: %s (attempt %d, sending again)\n", strerror(errno),
            attempt);
    struct timespec pause = {0, pause_ns};
    nanosleep(&pause, NULL);
    if (pause_ns < 64 * 1000 * 1000) pause_ns *= 2;
  }
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: udgram_echo_server SOCKET_PATH\n");
    return 2;
  }
  const char* path = argv[1];
  /* No SA_RESTART: SIGTERM must interrupt a blocked recvfrom() so that the loop sees it. */
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);

  struct sockaddr_un addr;
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  if (strlen(path) >= sizeof addr.sun_path) {
    fprintf(stderr, "udgram_echo_server: socket path too long: %s\n", path);
    return 1;
  }
  strcpy(addr.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
  if (fd < 0) {
    fprintf(stderr, "udgram_echo_server: socket: %s\n", strerror(errno));
    return 1;
  }
  if (bind(fd, (struct sockaddr*)&addr, sizeof addr) < 0) {
    fprintf(stderr, "udgram_echo_server: bind %s: %s\n", path, strerror(errno));
    close(fd);
    return 1;
  }
  fprintf(stderr, "udgram_echo_server: bound to %s\n", path);

  unsigned answered = 0;
  char buf[65536];
  while (!stop_requested) {
    struct sockaddr_un from;
    socklen_t from_len = sizeof from;
    ssize_t n = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr*)&from, &from_len);
    if (n < 0) {
      if (errno == EINTR) continue; /* the loop condition decides whether to stop */
      fprintf(stderr, "udgram_echo_server: recvfrom: %s\n", strerror(errno));
      break;
    }
    if (from_len <= sizeof(sa_family_t)) continue; /* an unbound sender cannot be answered */
    if (send_answer(fd, buf, (size_t)n, &from, from_len) < 0) {
      fprintf(stderr, "udgram_echo_server: answer lost: sendto: %s\n", strerror(errno));
      continue;
    }
    ++answered;
  }
  close(fd);
  unlink(path);
  fprintf(stderr, "udgram_echo_server: stopped after %u answers\n", answered);
  return 0;
}
