/* channel_probe: uses one provisioned channel through its real API and prints "ok TYPE".
 * Used by the integration tests to show that a channel is visible to a process.
 *   channel_probe fifo PATH | msgqueue KEY ID | posix-mq NAME | shm KEY ID SIZE
 *                 mmap-shm NAME SIZE | mmap-file PATH SIZE | semaphore KEY ID COUNT
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

static int fail(const char* what) {
  perror(what);
  return 1;
}

static int probe_fifo(const char* path) {
  struct stat st;
  if (stat(path, &st) != 0) return fail("stat");
  if (!S_ISFIFO(st.st_mode)) return fail("not a fifo");
  int fd = open(path, O_RDWR);
  if (fd < 0) return fail("open");
  if (write(fd, "x", 1) != 1) return fail("write");
  char c;
  if (read(fd, &c, 1) != 1 || c != 'x') return fail("read");
  return close(fd);
}

static int probe_msgqueue(key_t key, int id) {
  if (msgget(key, 0) != id) return fail("msgget(key) does not give the channel's id");
  struct {
    long type;
    char text[8];
  } m = {1, "hello"}, r;
  if (msgsnd(id, &m, sizeof m.text, 0) != 0) return fail("msgsnd");
  if (msgrcv(id, &r, sizeof r.text, 0, 0) < 0) return fail("msgrcv");
  return strcmp(r.text, "hello") != 0;
}

static int probe_posix_mq(const char* name) {
  mqd_t q = mq_open(name, O_RDWR);
  if (q == (mqd_t)-1) return fail("mq_open");
  struct mq_attr a;
  mq_getattr(q, &a);
  char* buf = malloc((size_t)a.mq_msgsize);
  if (mq_send(q, "hello", 6, 0) != 0) return fail("mq_send");
  if (mq_receive(q, buf, (size_t)a.mq_msgsize, NULL) != 6) return fail("mq_receive");
  free(buf);
  return mq_close(q);
}

static int probe_shm(key_t key, int id, size_t size) {
  if (shmget(key, 0, 0) != id) return fail("shmget(key) does not give the channel's id");
  char* p = shmat(id, NULL, 0);
  if (p == (void*)-1) return fail("shmat");
  memset(p, 'x', size);
  return shmdt(p);
}

static int probe_mapping(int fd, size_t size) {
  struct stat st;
  if (fstat(fd, &st) != 0 || (size_t)st.st_size != size) return fail("size differs");
  char* p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) return fail("mmap");
  memset(p, 'x', size);
  munmap(p, size);
  return close(fd);
}

static int probe_semaphore(key_t key, int id, int count) {
  if (semget(key, 0, 0) != id) return fail("semget(key) does not give the channel's id");
  for (int i = 0; i < count; ++i) {
    struct sembuf up = {(unsigned short)i, 1, 0}, down = {(unsigned short)i, -1, 0};
    if (semop(id, &up, 1) != 0 || semop(id, &down, 1) != 0) return fail("semop");
  }
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 3) return 2;
  const char* type = argv[1];
  int rc = 2;
  if (!strcmp(type, "fifo"))
    rc = probe_fifo(argv[2]);
  else if (!strcmp(type, "msgqueue") && argc == 4)
    rc = probe_msgqueue((key_t)strtol(argv[2], 0, 0), atoi(argv[3]));
  else if (!strcmp(type, "posix-mq"))
    rc = probe_posix_mq(argv[2]);
  else if (!strcmp(type, "shm") && argc == 5)
    rc = probe_shm((key_t)strtol(argv[2], 0, 0), atoi(argv[3]), strtoul(argv[4], 0, 0));
  else if (!strcmp(type, "mmap-shm") && argc == 4)
    rc = probe_mapping(shm_open(argv[2], O_RDWR, 0), strtoul(argv[3], 0, 0));
  else if (!strcmp(type, "mmap-file") && argc == 4)
    rc = probe_mapping(open(argv[2], O_RDWR), strtoul(argv[3], 0, 0));
  else if (!strcmp(type, "semaphore") && argc == 5)
    rc = probe_semaphore((key_t)strtol(argv[2], 0, 0), atoi(argv[3]), atoi(argv[4]));
  if (rc == 0) printf("ok %s\n", type);
  return rc;
}
