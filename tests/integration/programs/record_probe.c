/* A program whose interposed calls are known, for the recording tests (recording_test.cc):
 * writes to a pipe from two call sites (write_a three times, write_b twice), one more from a
 * forked child (write_child), reads the pipe once (read_pipe), and makes calls that are no
 * IPC: writes to a regular file (write_file) and to stdout (write_stdout). Between write_a and
 * write_b it installs a signal handler without SA_RESTART. Last, it loads the library PLUGIN
 * with dlopen and has it write once more (plugin_write). The lines of the
 * calls carry SITE_* markers the test looks for. Prints what each pipe write returned. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int fds[2];
static char report[256];

static void on_signal(int sig) { (void)sig; }

static void note(const char* what, int i, ssize_t r) {
  size_t len = strlen(report);
  snprintf(report + len, sizeof report - len, "%s%d=%s ", what, i,
           r == 1  ? "ok"
           : r < 0 ? strerrorname_np(errno)
                   : "short");
}

__attribute__((noinline)) static void write_a(int i) {
  ssize_t r = write(fds[1], "a", 1); /* SITE_A */
  note("a", i, r);
}

__attribute__((noinline)) static void write_b(int i) {
  ssize_t r = write(fds[1], "b", 1); /* SITE_B */
  note("b", i, r);
}

__attribute__((noinline)) static int write_child(void) {
  ssize_t r = write(fds[1], "c", 1); /* SITE_CHILD */
  return r == 1 ? 0 : 1;
}

/* Stored after the call, so that the compiler makes no tail call of read (its return
 * address would be main's). */
static volatile ssize_t last_read;

__attribute__((noinline)) static ssize_t read_pipe(char* buf, size_t n) {
  ssize_t r = read(fds[0], buf, n); /* SITE_READ */
  last_read = r;
  return r;
}

__attribute__((noinline)) static int write_file(int fd) {
  ssize_t r = write(fd, "file\n", 5); /* SITE_FILE */
  return r == 5 ? 0 : 1;
}

__attribute__((noinline)) static int write_stdout(void) {
  ssize_t r = write(1, "stdout\n", 7); /* SITE_STDOUT */
  return r == 7 ? 0 : 1;
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: record_probe FILE PLUGIN\n");
    return 2;
  }
  if (pipe(fds) != 0) return 3; /* SITE_PIPE */
  for (int i = 1; i <= 3; ++i) write_a(i);
  /* From here on a signal can interrupt a blocking call: EINTR is realistic at write_b's
   * calls and after, not at write_a's. */
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  if (sigaction(SIGUSR1, &sa, 0) != 0) return 3;
  for (int i = 1; i <= 2; ++i) write_b(i);
  pid_t child = fork();
  if (child == 0) _exit(write_child());
  int status = 0;
  if (child < 0 || waitpid(child, &status, 0) != child || status != 0) return 4;
  int file = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (file < 0 || write_file(file) != 0 || write_file(file) != 0) return 5;
  if (write_stdout() != 0) return 6;
  void* plugin = dlopen(argv[2], RTLD_NOW);
  int (*plugin_write)(int) = plugin ? (int (*)(int))dlsym(plugin, "plugin_write") : 0;
  if (!plugin_write) {
    fprintf(stderr, "record_probe: %s\n", dlerror());
    return 7;
  }
  note("p", 1, plugin_write(fds[1]) == 0 ? 1 : -1);
  char buf[64];
  ssize_t n = read_pipe(buf, sizeof buf);
  printf("%sread=%zd\n", report, n);
  return 0;
}
