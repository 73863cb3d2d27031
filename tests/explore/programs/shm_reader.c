/* shm_reader: attaches a System V segment read-only and prints the text at its start. The
 * reader of tests/explore/scenarios/shmat_unchecked.yaml; it has no bug of its own.
 *
 * Usage: shm_reader SHM_ID
 */
#define _POSIX_C_SOURCE 200809L
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: shm_reader SHM_ID\n");
    return 2;
  }
  int id = (int)strtol(argv[1], NULL, 10);
  struct shmid_ds ds;
  if (shmctl(id, IPC_STAT, &ds) != 0) {
    fprintf(stderr, "shm_reader: shmctl: %s\n", strerror(errno));
    return 1;
  }
  const char* segment = shmat(id, NULL, SHM_RDONLY);
  if (segment == (void*)-1) {
    fprintf(stderr, "shm_reader: shmat: %s\n", strerror(errno));
    return 1;
  }
  size_t len = strnlen(segment, ds.shm_segsz);
  if (len == 0 || len == ds.shm_segsz) {
    fprintf(stderr, "shm_reader: no text in the segment\n");
    return 1;
  }
  printf("%.*s\n", (int)len, segment);
  if (shmdt(segment) != 0) {
    fprintf(stderr, "shm_reader: shmdt: %s\n", strerror(errno));
    return 1;
  }
  return 0;
}
