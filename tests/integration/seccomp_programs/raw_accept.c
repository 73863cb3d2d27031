/* Accepts on a non-blocking Unix socket with a raw syscall(SYS_accept4): no libc wrapper is
 * involved. With no client waiting the kernel says EAGAIN; prints what accept4 said. Also
 * built statically (raw_accept_static). argv[1]: the socket path. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: raw_accept SOCKET_PATH\n");
    return 2;
  }
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  strncpy(a.sun_path, argv[1], sizeof a.sun_path - 1);
  if (s < 0 || bind(s, (struct sockaddr*)&a, sizeof a) != 0 || listen(s, 4) != 0) {
    perror("raw_accept: socket");
    return 2;
  }
  long r = syscall(SYS_accept4, s, NULL, NULL, SOCK_CLOEXEC);
  printf("accept4: %s\n", r >= 0 ? "a connection" : strerrorname_np(errno));
  unlink(argv[1]);
  return 0;
}
