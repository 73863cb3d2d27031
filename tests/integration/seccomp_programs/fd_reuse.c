/* The seccomp supervisor's fd cache against an fd number that changes what it names. Run
 * under `read:error=EIO:nth=1` (fd=ipc): a read of a regular file does not count, the first
 * read of a pipe fails with EIO. The file is read first and remembered; then the same fd
 * number names a pipe, whose read must fail. A cache that kept "file" for the number lets it
 * pass (exit 1). Static, so that no loader opens or closes anything before main.
 *   fd_reuse reuse FILE   read FILE, close it, make a pipe (same number), read the pipe
 *   fd_reuse exec FILE    read FILE (close-on-exec), exec `fd_reuse opened`, which makes a
 *                         pipe (the number FILE had) and reads it
 *   fd_reuse eof          a forked writer writes one byte and exits; the reader reads to end
 *                         of file (nothing of the supervisor's may keep the write end open)
 * Raw system calls only, and no stdio: the reads and writes are the ones counted. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* The file's fd, after one read of it; -1 on failure. */
static int read_file(const char* path) {
  char buf[8];
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0 || read(fd, buf, sizeof buf) <= 0) return -1;
  return fd;
}

/* 0 when a read of a new pipe (whose read end must be `want_fd`) fails with EIO. */
static int pipe_read_fails(int want_fd) {
  int fds[2];
  char c = 'x';
  if (pipe2(fds, O_CLOEXEC) != 0 || write(fds[1], &c, 1) != 1) return 2;
  if (want_fd >= 0 && fds[0] != want_fd) return 3; /* the test's premise did not hold */
  return read(fds[0], &c, 1) < 0 && errno == EIO ? 0 : 1;
}

int main(int argc, char** argv) {
  int fds[2];
  if (argc == 3 && strcmp(argv[1], "reuse") == 0) {
    int fd = read_file(argv[2]);
    if (fd < 0) return 4;
    close(fd);
    return pipe_read_fails(fd);
  }
  if (argc == 3 && strcmp(argv[1], "exec") == 0) {
    if (read_file(argv[2]) < 0) return 4;
    char* next[] = {argv[0], "opened", NULL};
    execv("/proc/self/exe", next);
    return 5;
  }
  if (argc == 2 && strcmp(argv[1], "opened") == 0) return pipe_read_fails(3);
  if (argc == 2 && strcmp(argv[1], "eof") == 0) {
    char c = 'x';
    if (pipe(fds) != 0) return 4;
    pid_t pid = fork();
    if (pid < 0) return 4;
    if (pid == 0) {
      close(fds[0]);
      _exit(write(fds[1], &c, 1) == 1 ? 0 : 1);
    }
    close(fds[1]);
    ssize_t n;
    int bytes = 0;
    while ((n = read(fds[0], &c, 1)) > 0) bytes += (int)n;
    int status = 0;
    waitpid(pid, &status, 0);
    return n == 0 && bytes == 1 && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
  }
  return 6;
}
