/* N round trips of one byte between a parent and its child over two pipes: the cost of a
 * read/write pair, for the seccomp overhead benchmark. argv[1]: N. Prints nothing. */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char** argv) {
  long n = argc > 1 ? atol(argv[1]) : 10000;
  int up[2], down[2];
  if (pipe(up) != 0 || pipe(down) != 0) return 2;
  pid_t pid = fork();
  if (pid < 0) return 2;
  char c = 'x';
  if (pid == 0) {
    for (long i = 0; i < n; ++i) {
      if (read(down[0], &c, 1) != 1 || write(up[1], &c, 1) != 1) _exit(3);
    }
    _exit(0);
  }
  for (long i = 0; i < n; ++i) {
    if (write(down[1], &c, 1) != 1 || read(up[0], &c, 1) != 1) return 3;
  }
  int st = 0;
  waitpid(pid, &st, 0);
  return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 4;
}
