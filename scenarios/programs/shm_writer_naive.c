/* shm_writer_naive: attaches to an existing System V shared-memory segment and writes into
 * it, with the common mistake of checking shmat() against NULL.
 *
 * Shows: shmat() fails with (void *)-1, so the NULL check never catches the failure and the
 * first write through the pointer crashes the program with SIGSEGV. Compare shm_writer.c.
 *
 * Usage: shm_writer_naive KEY SIZE    (KEY as strtol reads it: decimal, 0x... or 0...)
 */
#define _POSIX_C_SOURCE 200809L
#define _XOPEN_SOURCE 700
#include <stdio.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: shm_writer_naive KEY SIZE\n");
    return 2;
  }
  key_t key = (key_t)strtol(argv[1], NULL, 0);
  size_t size = (size_t)strtoul(argv[2], NULL, 0);
  int id = shmget(key, size, 0600);
  if (id == -1) {
    perror("shm_writer_naive: shmget");
    return 1;
  }
  char* mem = shmat(id, NULL, 0);
  if (mem == NULL) { /* The mistake: failure is (void *)-1, never NULL. */
    perror("shm_writer_naive: shmat");
    return 1;
  }
  snprintf(mem, size, "hello from process %d", (int)getpid());
  printf("shm_writer_naive: segment says \"%s\"\n", mem);
  shmdt(mem);
  return 0;
}
