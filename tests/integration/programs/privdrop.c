/* Drops to nobody/nogroup (65534) with setgroups/setgid/setuid, as a daemon started as root
 * does (when it runs as root), then:
 *   privdrop read                      reads its stdin once: "read N" or "read failed: ERRNO"
 *   privdrop exec PROGRAM ARGS...      execs PROGRAM, as runuser and su do
 *   privdrop exec-closed PROGRAM ...   first closes the control file's descriptor with a raw
 *                                      close(2) the interposer cannot see: the child has
 *                                      neither the descriptor nor access to the run folder */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static void drop(void) {
  if (geteuid() != 0) return;
  if (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0) {
    perror("privdrop: dropping privileges");
    exit(3);
  }
}

int main(int argc, char** argv) {
  if (argc >= 2 && strcmp(argv[1], "read") == 0) {
    drop();
    char buf[256];
    ssize_t n = read(0, buf, sizeof buf);
    if (n < 0) {
      printf("read failed: %s\n", strerrorname_np(errno));
      return 2;
    }
    printf("read %zd\n", n);
    return 0;
  }
  if (argc >= 3 && (strcmp(argv[1], "exec") == 0 || strcmp(argv[1], "exec-closed") == 0)) {
    const char* fd = getenv("FAULTLINE_CONTROL_FD");
    if (fd && strcmp(argv[1], "exec-closed") == 0) syscall(SYS_close, atoi(fd));
    drop();
    execvp(argv[2], argv + 2);
    perror("privdrop: exec");
    return 127;
  }
  fprintf(stderr, "usage: privdrop read | privdrop exec[-closed] PROGRAM [ARGS...]\n");
  return 64;
}
