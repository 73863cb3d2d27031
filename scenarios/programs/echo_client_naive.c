/* echo_client_naive: the client of echo_client.c with the common mistake of assuming that
 * one send() sends the whole message and one recv() returns the whole echo.
 *
 * Shows: send() on a stream socket may transfer less than asked (a full socket buffer, a
 * signal) and says so in its return value; ignoring it silently loses the rest of the
 * message, and the echo comes back short. Compare echo_client.c, which loops.
 *
 * Usage: echo_client_naive SOCKET_PATH CONNECTIONS MESSAGES
 * Prints "CONNECTIONS ok" and exits 0 when every echo matched; else exits 1.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: echo_client_naive SOCKET_PATH CONNECTIONS MESSAGES\n");
    return 2;
  }
  int connections = atoi(argv[2]);
  int messages = atoi(argv[3]);
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  strncpy(addr.sun_path, argv[1], sizeof addr.sun_path - 1);

  for (int c = 1; c <= connections; ++c) {
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr*)&addr, sizeof addr) < 0) {
      perror("echo_client_naive: connect");
      return 1;
    }
    struct timeval timeout = {5, 0}; /* a send timeout, as echo_client.c has */
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    for (int m = 1; m <= messages; ++m) {
      char sent[128], echoed[128];
      int len = snprintf(sent, sizeof sent, "connection %d message %d\n", c, m);
      /* The mistake: both calls may transfer less than len bytes. */
      send(fd, sent, (size_t)len, MSG_NOSIGNAL);
      ssize_t n = recv(fd, echoed, sizeof echoed, 0);
      if (n != len || memcmp(sent, echoed, (size_t)len) != 0) {
        fprintf(stderr, "echo_client_naive: connection %d: message %d came back as %zd bytes\n", c,
                m, n);
        return 1;
      }
    }
    close(fd);
  }
  printf("%d ok\n", connections);
  return 0;
}
