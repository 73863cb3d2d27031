/* mmap_writer_naive: the writer of mmap_writer.c with the common mistake of not checking
 * ftruncate().
 *
 * Shows: when ftruncate() fails the object stays 0 bytes long, mmap() still succeeds, and the
 * first write into the mapping kills the program with SIGBUS, leaving the object behind in
 * /dev/shm. Compare mmap_writer.c.
 *
 * Usage: mmap_writer_naive       (the object is /mmap_writer_naive-PID)
 */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

enum { OBJECT_SIZE = 4096 };

int main(void) {
  char name[64];
  snprintf(name, sizeof name, "/mmap_writer_naive-%d", (int)getpid());
  int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
  if (fd == -1) {
    perror("mmap_writer_naive: shm_open");
    return 1;
  }
  ftruncate(fd, OBJECT_SIZE); /* The mistake: the size is taken for granted. */
  char* mem = mmap(NULL, OBJECT_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (mem == MAP_FAILED) {
    perror("mmap_writer_naive: mmap");
    shm_unlink(name);
    return 1;
  }
  close(fd);
  snprintf(mem, OBJECT_SIZE, "hello from process %d", (int)getpid());
  printf("mmap_writer_naive: %s says \"%s\"\n", name, mem);
  munmap(mem, OBJECT_SIZE);
  shm_unlink(name);
  return 0;
}
