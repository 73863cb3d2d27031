/* shm_classic_naive: the classic System V shared-memory example as textbooks print it:
 * ftok, shmget, shmat, write, shmctl(IPC_STAT), shmctl(IPC_SET), shmdt, shmctl(IPC_RMID).
 *
 * Shows two mistakes: shmat() is not checked at all (it fails with (void *)-1), and the error
 * paths exit without shmctl(IPC_RMID), so a failed IPC_SET leaves the segment in the system
 * after the process is gone (`ipcs -m` lists it). Compare shm_classic.c.
 *
 * Usage: shm_classic_naive PATH
 */
#define _POSIX_C_SOURCE 200809L
#define _XOPEN_SOURCE 700
#include <stdio.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/shm.h>

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: shm_classic_naive PATH\n");
    return 2;
  }
  key_t key = ftok(argv[1], 'C');
  int id = shmget(key, 4096, IPC_CREAT | 0600);
  if (id == -1) {
    perror("shm_classic_naive: shmget");
    exit(1);
  }
  char* mem = shmat(id, NULL, 0); /* Mistake 1: never checked. */
  snprintf(mem, 4096, "written by the creator");

  struct shmid_ds ds;
  if (shmctl(id, IPC_STAT, &ds) == -1) {
    perror("shm_classic_naive: shmctl IPC_STAT");
    exit(1); /* Mistake 2: the segment stays behind. */
  }
  printf("shm_classic_naive: segment %d: %zu bytes, made by pid %d, %lu attached, says \"%s\"\n",
         id, (size_t)ds.shm_segsz, (int)ds.shm_cpid, (unsigned long)ds.shm_nattch, mem);
  ds.shm_perm.mode = 0640;
  if (shmctl(id, IPC_SET, &ds) == -1) {
    perror("shm_classic_naive: shmctl IPC_SET");
    exit(1); /* Mistake 2 again. */
  }
  shmdt(mem);
  shmctl(id, IPC_RMID, NULL);
  return 0;
}
