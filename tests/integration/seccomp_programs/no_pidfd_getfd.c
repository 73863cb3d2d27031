/* Runs a command where pidfd_getfd(2) is refused, as in a container under Docker's or
 * Podman's default seccomp profile without CAP_SYS_PTRACE (or with kernel.yama.ptrace_scope
 * 2): installs a seccomp filter that fails pidfd_getfd with EPERM, then execs argv[1...].
 * The filter is inherited by everything the command starts, faultline's runner and its
 * programs included. Prints nothing of its own unless it cannot start the command. */
#define _GNU_SOURCE
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: no_pidfd_getfd COMMAND [ARG...]\n");
    return 2;
  }
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (ctx == NULL) {
    fprintf(stderr, "no_pidfd_getfd: seccomp_init failed\n");
    return 2;
  }
  int rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(pidfd_getfd), 0);
  if (rc == 0) rc = seccomp_load(ctx); /* sets no_new_privs first, as Docker does */
  seccomp_release(ctx);
  if (rc != 0) {
    fprintf(stderr, "no_pidfd_getfd: cannot install the filter: %s\n", strerror(-rc));
    return 2;
  }
  execvp(argv[1], argv + 1);
  fprintf(stderr, "no_pidfd_getfd: cannot run %s: %s\n", argv[1], strerror(errno));
  return 127;
}
