/* The seccomp supervisor's fd cache against an fd number that changes what it names. Run
 * under `read:error=EIO:after=1` (fd=ipc): the first read on a pipe passes and is remembered;
 * then the same fd number names a regular file (FILE), whose read an ipc rule must not count.
 * A cache that kept the pipe's class for the number fails it with EIO (exit 1).
 *   fd_reuse reuse FILE   close the pipe's read end, open FILE (same number), read it
 *   fd_reuse exec FILE    the pipe is close-on-exec; exec `fd_reuse opened FILE`, which opens
 *                         FILE (the number the pipe had) and reads it
 *   fd_reuse eof          a forked writer writes one byte and exits; the reader reads to end
 *                         of file (nothing of the supervisor's may keep the write end open)
 * Raw system calls only, and no stdio: the reads and writes are the ones counted. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int read_pipe_once(int* fds) {
  char c = 'x';
  if (pipe2(fds, O_CLOEXEC) != 0 || write(fds[1], &c, 1) != 1 || read(fds[0], &c, 1) != 1)
    return -1;
  return 0;
}

static int read_file(const char* path, int want_fd) {
  int fd = open(path, O_RDONLY);
  char buf[8];
  if (fd < 0) return 2;
  if (want_fd >= 0 && fd != want_fd) return 3; /* the test's premise did not hold */
  return read(fd, buf, sizeof buf) > 0 ? 0 : 1;
}

int main(int argc, char** argv) {
  int fds[2];
  if (argc == 3 && strcmp(argv[1], "reuse") == 0) {
    if (read_pipe_once(fds) != 0) return 4;
    close(fds[0]);
    return read_file(argv[2], fds[0]);
  }
  if (argc == 3 && strcmp(argv[1], "exec") == 0) {
    if (read_pipe_once(fds) != 0) return 4;
    char* next[] = {argv[0], "opened", argv[2], NULL};
    execv("/proc/self/exe", next);
    return 5;
  }
  if (argc == 3 && strcmp(argv[1], "opened") == 0) return read_file(argv[2], -1);
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
