/* A library record_probe loads with dlopen after start: a call site in a module the
 * interposer's constructor did not list (recording_test.cc). */
#include <unistd.h>

static volatile ssize_t last_write;

__attribute__((visibility("default"))) int plugin_write(int fd) {
  ssize_t r = write(fd, "p", 1); /* SITE_PLUGIN */
  last_write = r;
  return r == 1 ? 0 : 1;
}
