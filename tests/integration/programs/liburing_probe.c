/* Sets up an io_uring through liburing (io_uring_queue_init), as most io_uring programs do,
 * then reads its stdin once with read(2). Prints "io_uring ring" or "io_uring failed: ERRNO". */
#define _GNU_SOURCE
#include <liburing.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void) {
  struct io_uring ring;
  int r = io_uring_queue_init(4, &ring, 0);
  if (r < 0)
    printf("io_uring failed: %s\n", strerrorname_np(-r));
  else
    printf("io_uring ring\n");
  char buf[64];
  ssize_t n = read(0, buf, sizeof buf);
  printf("read %zd\n", n);
  if (r >= 0) io_uring_queue_exit(&ring);
  return 0;
}
