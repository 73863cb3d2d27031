/* shm_classic: the classic System V shared-memory example, every step checked: ftok, shmget,
 * shmat, write, shmctl(IPC_STAT), shmctl(IPC_SET), shmdt, shmctl(IPC_RMID).
 *
 * Shows: a segment outlives the process that made it, so the program that created it removes
 * it on every path out, the error paths included; and shmat() fails with (void *)-1, not
 * NULL. shm_classic_naive.c is the usual textbook version.
 *
 * Usage: shm_classic PATH      (PATH must exist; ftok(PATH, 'C') names the segment)
 * Prints the segment's size, creator, attach count and new mode, removes it and exits 0.
 * On a failure: says which step failed and why on stderr, removes the segment, exits 1.
 */
#define _POSIX_C_SOURCE 200809L
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>

enum { SEGMENT_SIZE = 4096 };

/* Reports the failed step and removes the segment (detaching first when attached). */
static int fail(const char* step, int id, const void* mem) {
  fprintf(stderr, "shm_classic: %s: %s\n", step, strerror(errno));
  if (mem != NULL && shmdt(mem) == -1) fprintf(stderr, "shm_classic: shmdt: %s\n", strerror(errno));
  if (shmctl(id, IPC_RMID, NULL) == -1)
    fprintf(stderr, "shm_classic: shmctl IPC_RMID: %s\n", strerror(errno));
  return 1;
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: shm_classic PATH\n");
    return 2;
  }
  key_t key = ftok(argv[1], 'C');
  if (key == -1) {
    fprintf(stderr, "shm_classic: ftok %s: %s\n", argv[1], strerror(errno));
    return 1;
  }
  int id = shmget(key, SEGMENT_SIZE, IPC_CREAT | IPC_EXCL | 0600);
  if (id == -1) {
    fprintf(stderr, "shm_classic: shmget key 0x%x: %s\n", (unsigned)key, strerror(errno));
    return 1;
  }
  char* mem = shmat(id, NULL, 0);
  if (mem == (void*)-1) return fail("shmat", id, NULL);
  snprintf(mem, SEGMENT_SIZE, "written by the creator");

  struct shmid_ds ds;
  if (shmctl(id, IPC_STAT, &ds) == -1) return fail("shmctl IPC_STAT", id, mem);
  printf("shm_classic: segment %d: %zu bytes, made by pid %d, %lu attached, says \"%s\"\n", id,
         (size_t)ds.shm_segsz, (int)ds.shm_cpid, (unsigned long)ds.shm_nattch, mem);
  ds.shm_perm.mode = 0640; /* let the group read it */
  if (shmctl(id, IPC_SET, &ds) == -1) return fail("shmctl IPC_SET", id, mem);
  printf("shm_classic: mode now %o\n", (unsigned)(ds.shm_perm.mode & 0777));

  int status = 0;
  if (shmdt(mem) == -1) {
    fprintf(stderr, "shm_classic: shmdt: %s\n", strerror(errno));
    status = 1;
  }
  if (shmctl(id, IPC_RMID, NULL) == -1) {
    fprintf(stderr, "shm_classic: shmctl IPC_RMID: %s\n", strerror(errno));
    status = 1;
  }
  return status;
}
