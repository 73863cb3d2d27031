/* Test program of site= (built with -g): two functions that each read() one byte from a pipe.
 *   site_probe            reads once in each function; prints "first ok|fail ERRNO" and
 *                         "second ok|fail ERRNO"
 *   site_probe addresses  prints each function's link-time address and size, as
 *                         "NAME 0xADDRESS" (runtime address minus the program's load address)
 *   site_probe context    reads one byte through one helper, probe_read_helper(), from two
 *                         callers; prints "via first ok|fail ERRNO", "via second ok|fail
 *                         ERRNO", then "unwinder NAME": the file the program's
 *                         _Unwind_RaiseException comes from ("none" when none is loaded)
 * The tests find the read() lines by their SITE_PROBE_ marker comments. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Stores after the call, so the compiler cannot turn read() into a tail call (the return
 * address would then be the caller's, and site= would name the wrong function). */
static volatile ssize_t probe_last;

__attribute__((noinline)) int probe_read_first(int fd) {
  char c;
  ssize_t n = read(fd, &c, 1); /* SITE_PROBE_FIRST_READ */
  int err = errno;
  probe_last = n;
  errno = err;
  return n == 1 ? 0 : -1;
}

__attribute__((noinline)) int probe_read_second(int fd) {
  char c;
  ssize_t n = read(fd, &c, 1); /* SITE_PROBE_SECOND_READ */
  int err = errno;
  probe_last = n;
  errno = err;
  return n == 1 ? 0 : -1;
}

/* Calling contexts: every read of the "context" mode goes through this helper. */
__attribute__((noinline)) int probe_read_helper(int fd) {
  char c;
  ssize_t n = read(fd, &c, 1);
  int err = errno;
  probe_last = n;
  errno = err;
  return n == 1 ? 0 : -1;
}

__attribute__((noinline)) int probe_via_first(int fd) {
  int r = probe_read_helper(fd);
  probe_last += r; /* after the call: no tail call */
  return r;
}

__attribute__((noinline)) int probe_via_second(int fd) {
  int r = probe_read_helper(fd);
  probe_last += r;
  return r;
}

static int main_base(struct dl_phdr_info* info, size_t size, void* data) {
  (void)size;
  *(uintptr_t*)data = info->dlpi_addr; /* the first module is the program itself */
  return 1;
}

static void report(const char* which, int result) {
  if (result == 0)
    printf("%s ok\n", which);
  else
    printf("%s fail %s\n", which, strerrorname_np(errno));
}

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "addresses") == 0) {
    uintptr_t base = 0;
    dl_iterate_phdr(main_base, &base);
    printf("probe_read_first 0x%jx\n", (uintmax_t)((uintptr_t)&probe_read_first - base));
    printf("probe_read_second 0x%jx\n", (uintmax_t)((uintptr_t)&probe_read_second - base));
    return 0;
  }
  int fds[2];
  if (pipe(fds) != 0 || write(fds[1], "ab", 2) != 2) {
    perror("site_probe: pipe");
    return 2;
  }
  if (argc > 1 && strcmp(argv[1], "context") == 0) {
    report("via first", probe_via_first(fds[0]));
    report("via second", probe_via_second(fds[0]));
    /* libunwind, loaded for contexts, must not have become the program's C++ unwinder. */
    Dl_info info;
    void* unwinder = dlsym(RTLD_DEFAULT, "_Unwind_RaiseException");
    printf("unwinder %s\n",
           unwinder && dladdr(unwinder, &info) && info.dli_fname ? info.dli_fname : "none");
    return 0;
  }
  report("first", probe_read_first(fds[0]));
  report("second", probe_read_second(fds[0]));
  return 0;
}
