/* shmat_unchecked_robust: the twin of shmat_unchecked_naive.c that checks what shmat()
 * returns and, when it failed, says why and exits 1.
 *
 * Usage: shmat_unchecked_robust SHM_ID TEXT
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
  fprintf(stderr, "shmat_unchecked_robust: %s: %s\n", what, strerror(errno));
  exit(1);
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: shmat_unchecked_robust SHM_ID TEXT\n");
    return 2;
  }
  int id = (int)strtol(argv[1], NULL, 10);
  struct shmid_ds ds;
  if (shmctl(id, IPC_STAT, &ds) != 0) fail("shmctl");
  size_t len = strlen(argv[2]);
  if (len + 1 > ds.shm_segsz) {
    fprintf(stderr, "shmat_unchecked_robust: the text does not fit in %zu bytes\n", ds.shm_segsz);
    return 1;
  }
  char* segment = shmat(id, NULL, 0);
  if (segment == (void*)-1) fail("shmat");
  memcpy(segment, argv[2], len + 1);
  if (shmdt(segment) != 0) fail("shmdt");
  printf("wrote %zu bytes\n", len + 1);
  return 0;
}
