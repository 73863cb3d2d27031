/* udp_client_naive: the UDP client as textbooks write it: sendto, then recvfrom.
 *
 * Shows: recvfrom blocks until a datagram arrives. When the request (or its answer) is
 * lost, which UDP allows at any time, nothing ever arrives and the client waits forever.
 * Compare with udp_client.c, which waits with a timeout and sends the request again.
 *
 * Usage: udp_client_naive PORT COUNT SIZE (as udp_client)
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "udp_frame.h"

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: udp_client_naive PORT COUNT SIZE\n");
    return 2;
  }
  unsigned count = (unsigned)atoi(argv[2]);
  unsigned size = (unsigned)atoi(argv[3]);
  if (size > FRAME_MAX_PAYLOAD) return 2;
  struct sockaddr_in server;
  memset(&server, 0, sizeof server);
  server.sin_family = AF_INET;
  server.sin_port = htons((unsigned short)atoi(argv[1]));
  server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) {
    perror("socket");
    return 1;
  }
  unsigned char frame[FRAME_HEADER + FRAME_MAX_PAYLOAD];
  unsigned char answer[FRAME_HEADER + FRAME_MAX_PAYLOAD];
  for (unsigned seq = 0; seq < count; ++seq) {
    size_t len = frame_build(frame, seq, size);
    if (sendto(fd, frame, len, 0, (struct sockaddr*)&server, sizeof server) < 0) {
      perror("sendto");
      return 1;
    }
    /* The mistake: no timeout. A lost datagram leaves this call waiting forever. */
    ssize_t n = recvfrom(fd, answer, sizeof answer, 0, NULL, NULL);
    if (n != (ssize_t)len || memcmp(answer, frame, len) != 0) {
      fprintf(stderr, "udp_client_naive: wrong answer to request %u\n", seq);
      return 1;
    }
  }
  close(fd);
  printf("%u echoes ok\n", count);
  return 0;
}
