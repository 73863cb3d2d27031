/* BUG: accept() is called on a BLOCKING listening socket because poll() said it was
 * readable: after a spurious readiness the server blocks in accept(), and its other socket is
 * never served.
 *
 * spurious_accept_naive: a Unix stream server on two sockets (a service socket and an admin
 * socket) that answers each client's name (a line) with "hello NAME", one client after the
 * other, until it is stopped. Twin: spurious_accept_robust.c.
 *
 * Usage: spurious_accept_naive SERVICE_PATH ADMIN_PATH
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static void fail(const char* what) {
  fprintf(stderr, "spurious_accept_naive: %s: %s\n", what, strerror(errno));
  exit(1);
}

/* As accept_abort_robust.c: the accept() errors after which accepting again is right, EAGAIN
 * among them (nobody was waiting after all). */
static int accept_may_retry(int error) {
  switch (error) {
    case EMFILE:
    case ENFILE:
    case ENOBUFS:
    case ENOMEM:
      nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
      return 1;
    case EINTR:
    case EAGAIN:
    case ECONNABORTED:
    case EPROTO:
    case EPERM:
    case ETIMEDOUT:
    case ENETDOWN:
    case ENOPROTOOPT:
    case EHOSTDOWN:
    case ENONET:
    case EHOSTUNREACH:
    case EOPNOTSUPP:
    case ENETUNREACH:
      return 1;
    default:
      return 0;
  }
}

static int listen_on(const char* path) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof addr.sun_path) {
    fprintf(stderr, "spurious_accept_naive: socket path too long\n");
    exit(2);
  }
  strcpy(addr.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd < 0) fail("socket");
  if (bind(fd, (const struct sockaddr*)&addr, sizeof addr) != 0) fail("bind");
  if (listen(fd, 16) != 0) fail("listen");
  return fd;
}

/* Reads the client's name (one line) and answers "hello NAME". */
static void serve(int client) {
  char name[64];
  size_t len = 0;
  char* newline = NULL;
  while (newline == NULL) {
    if (len == sizeof name - 1) {
      fprintf(stderr, "spurious_accept_naive: a name longer than %zu bytes\n", len);
      exit(1);
    }
    ssize_t n = recv(client, name + len, sizeof name - 1 - len, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("recv");
    }
    if (n == 0) {
      fprintf(stderr, "spurious_accept_naive: the client hung up before its name\n");
      exit(1);
    }
    len += (size_t)n;
    name[len] = '\0';
    newline = strchr(name, '\n');
  }
  *newline = '\0';
  char reply[96];
  int reply_len = snprintf(reply, sizeof reply, "hello %s\n", name);
  for (int done = 0; done < reply_len;) {
    ssize_t n = send(client, reply + done, (size_t)(reply_len - done), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("send");
    }
    done += (int)n;
  }
  close(client);
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: spurious_accept_naive SERVICE_PATH ADMIN_PATH\n");
    return 2;
  }
  struct pollfd listeners[2] = {{.fd = listen_on(argv[1]), .events = POLLIN},
                                {.fd = listen_on(argv[2]), .events = POLLIN}};
  /* the mistake: the listening sockets stay blocking */
  for (;;) {
    if (poll(listeners, 2, -1) < 0) {
      if (errno == EINTR) continue;
      fail("poll");
    }
    for (int i = 0; i < 2; ++i) {
      if (!(listeners[i].revents & POLLIN)) continue;
      int client = accept(listeners[i].fd, NULL, NULL);
      if (client < 0) {
        if (accept_may_retry(errno)) continue;
        fail("accept");
      }
      serve(client);
    }
  }
}
