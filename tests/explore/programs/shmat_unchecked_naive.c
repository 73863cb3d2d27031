/* BUG: the result of shmat() is used unchecked: when it fails it is (void*)-1, and writing
 * through it kills the writer with SIGSEGV.
 *
 * shmat_unchecked_naive: writes TEXT at the start of a System V segment for shm_reader.c.
 * Twin: shmat_unchecked_robust.c.
 *
 * Usage: shmat_unchecked_naive SHM_ID TEXT
 */
#define _POSIX_C_SOURCE 200809L
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>

static void fail(const char* what) {
  fprintf(stderr, "shmat_unchecked_naive: %s: %s\n", what, strerror(errno));
  exit(1);
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: shmat_unchecked_naive SHM_ID TEXT\n");
    return 2;
  }
  int id = (int)strtol(argv[1], NULL, 10);
  struct shmid_ds ds;
  if (shmctl(id, IPC_STAT, &ds) != 0) fail("shmctl");
  size_t len = strlen(argv[2]);
  if (len + 1 > ds.shm_segsz) {
    fprintf(stderr, "shmat_unchecked_naive: the text does not fit in %zu bytes\n", ds.shm_segsz);
    return 1;
  }
  char* segment = shmat(id, NULL, 0);
  /* the mistake: no check for (void*)-1 */
  memcpy(segment, argv[2], len + 1);
  if (shmdt(segment) != 0) fail("shmdt");
  printf("wrote %zu bytes\n", len + 1);
  return 0;
}
