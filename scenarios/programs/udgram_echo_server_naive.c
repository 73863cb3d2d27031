/* udgram_echo_server_naive: the Unix-domain datagram echo server as textbooks write it:
 * recvfrom, then sendto, its result unchecked.
 *
 * Shows: sendto can fail for a moment (ENOBUFS, EAGAIN when the receiver's queue is full).
 * Unchecked, that answer is simply never sent: the client's request is lost without a word
 * in any log. Compare with udgram_echo_server.c, which sends it again.
 *
 * Usage: udgram_echo_server_naive SOCKET_PATH
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: udgram_echo_server_naive SOCKET_PATH\n");
    return 2;
  }
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  strncpy(addr.sun_path, argv[1], sizeof addr.sun_path - 1);

  int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
  if (fd < 0 || bind(fd, (struct sockaddr*)&addr, sizeof addr) < 0) {
    perror("udgram_echo_server_naive: socket/bind");
    return 1;
  }
  char buf[65536];
  for (;;) {
    struct sockaddr_un from;
    socklen_t from_len = sizeof from;
    ssize_t n = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr*)&from, &from_len);
    if (n < 0) {
      perror("udgram_echo_server_naive: recvfrom");
      return 1;
    }
    /* The mistake: sendto's result is ignored, so a failed answer is gone for good. */
    sendto(fd, buf, (size_t)n, 0, (struct sockaddr*)&from, from_len);
  }
}
