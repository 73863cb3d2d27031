/* accept_abort_robust: the twin of accept_abort_naive.c whose accept loop goes on after the
 * failures that concern one connection or a passing shortage, as accept(2) says it should.
 *
 * Usage: accept_abort_robust SOCKET_PATH
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static void fail(const char* what) {
  fprintf(stderr, "accept_abort_robust: %s: %s\n", what, strerror(errno));
  exit(1);
}

/* Whether accept() may be called again after this error: accept(2) says to treat
 * ECONNABORTED, EPROTO and the network errors pending on the new socket like EAGAIN; EMFILE,
 * ENFILE, ENOBUFS and ENOMEM pass when resources come back (after a pause, not to spin). */
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

/* Reads the client's name (one line) and answers "hello NAME". */
static void serve(int client) {
  char name[64];
  size_t len = 0;
  char* newline = NULL;
  while (newline == NULL) {
    if (len == sizeof name - 1) {
      fprintf(stderr, "accept_abort_robust: a name longer than %zu bytes\n", len);
      exit(1);
    }
    ssize_t n = recv(client, name + len, sizeof name - 1 - len, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("recv");
    }
    if (n == 0) {
      fprintf(stderr, "accept_abort_robust: the client hung up before its name\n");
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
  if (argc != 2) {
    fprintf(stderr, "usage: accept_abort_robust SOCKET_PATH\n");
    return 2;
  }
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(argv[1]) >= sizeof addr.sun_path) {
    fprintf(stderr, "accept_abort_robust: socket path too long\n");
    return 2;
  }
  strcpy(addr.sun_path, argv[1]);
  int listener = socket(AF_UNIX, SOCK_STREAM, 0);
  if (listener < 0) fail("socket");
  if (bind(listener, (const struct sockaddr*)&addr, sizeof addr) != 0) fail("bind");
  if (listen(listener, 16) != 0) fail("listen");
  for (;;) {
    int client = accept(listener, NULL, NULL);
    if (client < 0) {
      if (accept_may_retry(errno)) continue;
      fail("accept");
    }
    serve(client);
  }
}
