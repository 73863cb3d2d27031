/* Creates one IPC object of the kind named and exits, removing it only with `tidy`: the
 * program the leak-check tests run. leaker KIND WHERE [tidy]
 * KIND: msgqueue shm semaphore fifo socket posix-shm posix-mq; WHERE: a folder for the
 * file kinds, a POSIX name for the posix kinds, ignored for System V. */
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static int fail(const char* what) {
  perror(what);
  return 3;
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: leaker KIND WHERE [tidy]\n");
    return 2;
  }
  const char* kind = argv[1];
  const char* where = argv[2];
  int tidy = argc > 3 && strcmp(argv[3], "tidy") == 0;
  char path[256];
  if (!strcmp(kind, "msgqueue")) {
    int id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    if (id < 0) return fail("msgget");
    if (tidy) msgctl(id, IPC_RMID, 0);
  } else if (!strcmp(kind, "shm")) {
    int id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
    if (id < 0) return fail("shmget");
    if (tidy) shmctl(id, IPC_RMID, 0);
  } else if (!strcmp(kind, "semaphore")) {
    int id = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
    if (id < 0) return fail("semget");
    if (tidy) semctl(id, 0, IPC_RMID);
  } else if (!strcmp(kind, "fifo")) {
    snprintf(path, sizeof path, "%s/leaked.fifo", where);
    if (mkfifo(path, 0600) != 0) return fail("mkfifo");
    if (tidy) unlink(path);
  } else if (!strcmp(kind, "socket")) {
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s/leaked.sock", where);
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    if (s < 0 || bind(s, (struct sockaddr*)&a, sizeof a) != 0) return fail("bind");
    close(s);
    if (tidy) unlink(a.sun_path);
  } else if (!strcmp(kind, "posix-shm")) {
    int fd = shm_open(where, O_CREAT | O_RDWR, 0600);
    if (fd < 0) return fail("shm_open");
    close(fd);
    if (tidy) shm_unlink(where);
  } else if (!strcmp(kind, "posix-mq")) {
    mqd_t q = mq_open(where, O_CREAT | O_RDWR, 0600, NULL);
    if (q == (mqd_t)-1) return fail("mq_open");
    mq_close(q);
    if (tidy) mq_unlink(where);
  } else {
    fprintf(stderr, "leaker: unknown kind %s\n", kind);
    return 2;
  }
  printf("%s %s\n", kind, tidy ? "tidy" : "made");
  return 0;
}
