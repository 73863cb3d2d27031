/* mmap_writer: makes a POSIX shared-memory object, sizes it with ftruncate(), maps it and
 * writes a greeting into it, then removes it.
 *
 * Shows: a new shm_open() object is 0 bytes long. mmap() of a longer length succeeds all
 * the same, but touching a page past the end of the object raises SIGBUS, so ftruncate()'s
 * result matters (EINTR from it means "call it again"; any other error ends the program). Every path out
 * unlinks the object, because a POSIX shm name outlives its processes. mmap_writer_naive.c
 * is the usual mistake.
 *
 * Usage: mmap_writer       (the object is /mmap_writer-PID)
 * Prints what the mapping says and exits 0; on an error says which call failed and exits 1.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

enum { OBJECT_SIZE = 4096 };

static int fail(const char* call, const char* name, int fd) {
  fprintf(stderr, "mmap_writer: %s: %s\n", call, strerror(errno));
  if (fd != -1) close(fd);
  shm_unlink(name); /* we created it: nobody else will remove it */
  return 1;
}

int main(void) {
  char name[64];
  snprintf(name, sizeof name, "/mmap_writer-%d", (int)getpid());
  int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
  if (fd == -1) {
    fprintf(stderr, "mmap_writer: shm_open %s: %s\n", name, strerror(errno));
    return 1;
  }
  while (ftruncate(fd, OBJECT_SIZE) == -1)
    if (errno != EINTR) return fail("ftruncate", name, fd);
  char* mem = mmap(NULL, OBJECT_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (mem == MAP_FAILED) return fail("mmap", name, fd);
  close(fd); /* the mapping keeps the object open */

  snprintf(mem, OBJECT_SIZE, "hello from process %d", (int)getpid());
  printf("mmap_writer: %s says \"%s\"\n", name, mem);

  int status = 0;
  if (munmap(mem, OBJECT_SIZE) == -1) {
    fprintf(stderr, "mmap_writer: munmap: %s\n", strerror(errno));
    status = 1;
  }
  if (shm_unlink(name) == -1) {
    fprintf(stderr, "mmap_writer: shm_unlink %s: %s\n", name, strerror(errno));
    status = 1;
  }
  return status;
}
