/* sem_worker_naive: the worker of sem_worker.c with the common mistake of taking the lock
 * without SEM_UNDO.
 *
 * Shows: when a worker dies between P and V, nobody ever releases the lock; every other
 * worker waits in semop() forever. Compare sem_worker.c.
 *
 * Usage: sem_worker_naive SEM_ID ROUNDS [--init]
 */
#define _POSIX_C_SOURCE 200809L
#define _XOPEN_SOURCE 700
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: sem_worker_naive SEM_ID ROUNDS [--init]\n");
    return 2;
  }
  int set = (int)strtol(argv[1], NULL, 0);
  long rounds = strtol(argv[2], NULL, 10);
  if (argc > 3 && strcmp(argv[3], "--init") == 0) {
    semctl(set, 0, SETVAL, 1);
    semctl(set, 1, SETVAL, 0);
  }
  struct sembuf p = {.sem_num = 0, .sem_op = -1, .sem_flg = 0}; /* The mistake: no SEM_UNDO. */
  struct sembuf v = {.sem_num = 0, .sem_op = 1, .sem_flg = 0};
  for (long i = 0; i < rounds; ++i) {
    if (semop(set, &p, 1) == -1) {
      perror("sem_worker_naive: semop P");
      return 1;
    }
    semctl(set, 1, SETVAL, semctl(set, 1, GETVAL) + 1);
    if (semop(set, &v, 1) == -1) {
      perror("sem_worker_naive: semop V");
      return 1;
    }
  }
  printf("%ld rounds ok, counter %d\n", rounds, semctl(set, 1, GETVAL));
  return 0;
}
