/* tcp_echo_server_naive: the TCP echo server as textbooks write it, where every failed call
 * goes through error(), which prints and exits.
 *
 * Shows: a reset connection (ECONNRESET from read) concerns one client, yet it takes the
 * whole service down, and every client after it finds nobody listening. The same holds
 * for a failed accept() (ECONNABORTED, EMFILE). Compare with tcp_echo_server.c.
 *
 * Usage: tcp_echo_server_naive PORT
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void error(const char* msg) {
  perror(msg);
  exit(1);
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "ERROR, no port provided\n");
    exit(1);
  }
  int sockfd = socket(AF_INET, SOCK_STREAM, 0);
  if (sockfd < 0) error("ERROR opening socket");
  int on = 1;
  setsockopt(sockfd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);

  struct sockaddr_in serv_addr;
  memset(&serv_addr, 0, sizeof serv_addr);
  serv_addr.sin_family = AF_INET;
  serv_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  serv_addr.sin_port = htons((unsigned short)atoi(argv[1]));
  if (bind(sockfd, (struct sockaddr*)&serv_addr, sizeof serv_addr) < 0) error("ERROR on binding");
  listen(sockfd, 5);

  for (;;) {
    struct sockaddr_in cli_addr;
    socklen_t clilen = sizeof cli_addr;
    int newsockfd = accept(sockfd, (struct sockaddr*)&cli_addr, &clilen);
    /* The mistake: a failed accept or read concerns one client, not the server. */
    if (newsockfd < 0) error("ERROR on accept");
    char buffer[4096];
    ssize_t n;
    while ((n = read(newsockfd, buffer, sizeof buffer)) != 0) {
      if (n < 0) error("ERROR reading from socket");
      if (write(newsockfd, buffer, (size_t)n) < 0) error("ERROR writing to socket");
    }
    close(newsockfd);
  }
}
