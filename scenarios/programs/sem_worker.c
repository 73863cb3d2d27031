/* sem_worker: takes a System V semaphore used as a lock ROUNDS times, and in each round
 * increments a shared counter (the set's second semaphore) while holding the lock.
 *
 * Shows: a process can die between P (take) and V (release), and a plain semop() lock then
 * stays taken forever. SEM_UNDO makes the kernel give back what a process took when it
 * exits, however it exits, so the other workers go on. EINTR from semop() means "wait
 * again". sem_worker_naive.c is the usual mistake.
 *
 * Usage: sem_worker SEM_ID ROUNDS [--init]
 *   --init sets the lock free (1) and the counter to 0 first.
 * Prints "ROUNDS rounds ok, counter N" and exits 0; on an error says which call failed, exit 1.
 */
#define _POSIX_C_SOURCE 200809L
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>

enum { LOCK = 0, COUNTER = 1 };

/* Adds delta to the lock, with SEM_UNDO so that the kernel reverses it if we die. */
static int lock_op(int set, short delta) {
  struct sembuf op = {.sem_num = LOCK, .sem_op = delta, .sem_flg = SEM_UNDO};
  while (semop(set, &op, 1) == -1)
    if (errno != EINTR) return -1;
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: sem_worker SEM_ID ROUNDS [--init]\n");
    return 2;
  }
  int set = (int)strtol(argv[1], NULL, 0);
  long rounds = strtol(argv[2], NULL, 10);
  if (argc > 3 && strcmp(argv[3], "--init") == 0) {
    if (semctl(set, LOCK, SETVAL, 1) == -1 || semctl(set, COUNTER, SETVAL, 0) == -1) {
      fprintf(stderr, "sem_worker: semctl SETVAL: %s\n", strerror(errno));
      return 1;
    }
  }
  for (long i = 0; i < rounds; ++i) {
    if (lock_op(set, -1) == -1) { /* P */
      fprintf(stderr, "sem_worker: semop P: %s\n", strerror(errno));
      return 1;
    }
    int value = semctl(set, COUNTER, GETVAL); /* read-modify-write: safe under the lock only */
    if (value == -1 || semctl(set, COUNTER, SETVAL, value + 1) == -1) {
      fprintf(stderr, "sem_worker: semctl counter: %s\n", strerror(errno));
      lock_op(set, 1);
      return 1;
    }
    if (lock_op(set, 1) == -1) { /* V */
      fprintf(stderr, "sem_worker: semop V: %s\n", strerror(errno));
      return 1;
    }
  }
  printf("%ld rounds ok, counter %d\n", rounds, semctl(set, COUNTER, GETVAL));
  return 0;
}
