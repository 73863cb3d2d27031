/* udp_client: a UDP request/answer client that survives a lost datagram.
 *
 * Shows: UDP delivers a datagram once or not at all, and nobody says which. A robust client
 * waits for each answer with a timeout (poll) and sends the request again when none came;
 * an answer to an earlier request arriving late is recognised and skipped. udp_client_naive.c
 * is the textbook client that blocks in recvfrom until an answer comes: forever, if the
 * request was lost.
 *
 * Usage: udp_client PORT COUNT SIZE
 * Sends COUNT frames (udp_frame.h) of SIZE payload bytes to 127.0.0.1:PORT one at a time,
 * expects each echoed unchanged, and prints "COUNT echoes ok".
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "udp_frame.h"

enum { ANSWER_TIMEOUT_MS = 500, MAX_ATTEMPTS = 10 };

/* Waits up to ANSWER_TIMEOUT_MS for the echo of frame (len bytes): 1 it came, 0 it did
 * not, -1 an error. Datagrams that are not this answer (a late echo of an earlier
 * request) are read and skipped. */
static int await_echo(int fd, const unsigned char* frame, size_t len) {
  unsigned char answer[FRAME_HEADER + FRAME_MAX_PAYLOAD + 1];
  struct pollfd p = {fd, POLLIN, 0};
  for (;;) {
    int ready = poll(&p, 1, ANSWER_TIMEOUT_MS);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) return -1;
    if (ready == 0) return 0;
    /* MSG_DONTWAIT: readiness can be spurious, and then recvfrom must not block. */
    ssize_t n = recvfrom(fd, answer, sizeof answer, MSG_DONTWAIT, NULL, NULL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) continue;
      return -1;
    }
    if ((size_t)n == len && memcmp(answer, frame, len) == 0) return 1;
    fprintf(stderr, "udp_client: skipped a %zd-byte datagram that is not this answer\n", n);
  }
}

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: udp_client PORT COUNT SIZE\n");
    return 2;
  }
  unsigned count = (unsigned)atoi(argv[2]);
  unsigned size = (unsigned)atoi(argv[3]);
  if (size > FRAME_MAX_PAYLOAD) {
    fprintf(stderr, "udp_client: SIZE must be at most %d\n", FRAME_MAX_PAYLOAD);
    return 2;
  }
  struct sockaddr_in server;
  memset(&server, 0, sizeof server);
  server.sin_family = AF_INET;
  server.sin_port = htons((unsigned short)atoi(argv[1]));
  server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) {
    fprintf(stderr, "udp_client: socket: %s\n", strerror(errno));
    return 1;
  }
  unsigned char frame[FRAME_HEADER + FRAME_MAX_PAYLOAD];
  for (unsigned seq = 0; seq < count; ++seq) {
    size_t len = frame_build(frame, seq, size);
    int answered = 0;
    for (int attempt = 1; attempt <= MAX_ATTEMPTS && !answered; ++attempt) {
      if (sendto(fd, frame, len, 0, (struct sockaddr*)&server, sizeof server) != (ssize_t)len) {
        if (errno == EINTR || errno == ENOBUFS || errno == EAGAIN) continue; /* try again */
        fprintf(stderr, "udp_client: sendto: %s\n", strerror(errno));
        close(fd);
        return 1;
      }
      answered = await_echo(fd, frame, len);
      if (answered < 0) {
        fprintf(stderr, "udp_client: poll/recvfrom: %s\n", strerror(errno));
        close(fd);
        return 1;
      }
      if (!answered)
        fprintf(stderr, "udp_client: no answer to request %u within %d ms, sending it again\n", seq,
                ANSWER_TIMEOUT_MS);
    }
    if (!answered) {
      fprintf(stderr, "udp_client: no answer to request %u after %d attempts\n", seq, MAX_ATTEMPTS);
      close(fd);
      return 1;
    }
  }
  close(fd);
  printf("%u echoes ok\n", count);
  return 0;
}
