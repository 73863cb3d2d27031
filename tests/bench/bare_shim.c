/* The floor of LD_PRELOAD: a shim with one wrapper and nothing else, loaded into the spawn
 * loop of bench_interpose so the interposer's load cost is read against what any preloaded
 * library costs on this machine. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <unistd.h>

ssize_t read(int fd, void* buf, size_t n) {
  static ssize_t (*real)(int, void*, size_t);
  if (!real) real = (ssize_t(*)(int, void*, size_t))dlsym(RTLD_NEXT, "read");
  return real(fd, buf, n);
}
