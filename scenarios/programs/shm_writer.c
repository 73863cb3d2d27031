/* shm_writer: the classic System V shared-memory steps, every one checked.
 *
 * Shows: shmat() reports failure with (void *)-1, not NULL; and a program that created a
 * segment removes it on every path out, because a segment outlives its processes.
 * shm_writer_naive.c is the usual mistake.
 *
 * Usage: shm_writer PATH      (PATH must exist; ftok(PATH, 'S') names the segment)
 * Creates the segment, writes a greeting into it, reads it back, removes the segment.
 * On a failure: says which step failed and why on stderr, removes the segment, exits 1.
 */
#define _POSIX_C_SOURCE 200809L
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <unistd.h>

enum { SEGMENT_SIZE = 4096 };

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: shm_writer PATH\n");
    return 2;
  }
  key_t key = ftok(argv[1], 'S');
  if (key == -1) {
    fprintf(stderr, "shm_writer: ftok %s: %s\n", argv[1], strerror(errno));
    return 1;
  }
  int id = shmget(key, SEGMENT_SIZE, IPC_CREAT | IPC_EXCL | 0600);
  if (id == -1) {
    fprintf(stderr, "shm_writer: shmget key 0x%x: %s\n", (unsigned)key, strerror(errno));
    return 1;
  }
  char* mem = shmat(id, NULL, 0);
  if (mem == (void*)-1) {
    int err = errno;
    fprintf(stderr, "shm_writer: shmat: %s\n", strerror(err));
    /* We created it: nobody else will remove it. */
    if (shmctl(id, IPC_RMID, NULL) == -1)
      fprintf(stderr, "shm_writer: shmctl IPC_RMID: %s\n", strerror(errno));
    return 1;
  }

  snprintf(mem, SEGMENT_SIZE, "hello from process %d", (int)getpid());
  printf("shm_writer: segment says \"%s\"\n", mem);

  int status = 0;
  if (shmdt(mem) == -1) {
    fprintf(stderr, "shm_writer: shmdt: %s\n", strerror(errno));
    status = 1;
  }
  if (shmctl(id, IPC_RMID, NULL) == -1) {
    fprintf(stderr, "shm_writer: shmctl IPC_RMID: %s\n", strerror(errno));
    status = 1;
  }
  return status;
}
