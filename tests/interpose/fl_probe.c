/* fl_probe: performs interposed calls as its arguments say and prints what they returned,
 * one write per line, for the interposer tests. Everything around the call under test (setup,
 * draining, output) uses raw syscalls so that only the calls under test meet the interposer.
 *
 *   one NAME            one call of NAME: "NAME ok" or "NAME fail ERRNO"
 *   repeat NAME COUNT   COUNT calls: "NAME . . EIO ." (errno name per failed call)
 *   transfer SIZE       SIZE bytes through a pipe with write() then read(), reassembled
 *   stream SIZE         the same through a socketpair with send() and recv()
 *   reads COUNT         "abcdefgh" into a pipe, COUNT 1-byte read()s: "reads a b eof c"
 *   errno NAME          errno set to 4242, one successful call of NAME, then "errno 4242"
 *   read-file PATH      one read() of a regular file
 *   forked NAME         a child makes one call of NAME and exits, then the parent makes one
 *   exec ARGS...        replaces itself with fl_probe ARGS... (the environment stays)
 *   hammer THREADS N    a child and the parent each run THREADS threads of N read()s on an
 *                       empty non-blocking pipe: "hammer PID injected K" per process
 *   elapsed NAME        one call of NAME and how long it took: "elapsed NS"
 *   usr1 NAME           one call of NAME with a SIGUSR1 handler: "usr1 handled-on-caller 1"
 *   chk-overflow        __read_chk with a length larger than the buffer (must abort)
 *   ident               "ident PID TEXT_START TEXT_END" (hex addresses of the executable)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

ssize_t __read_chk(int fd, void* buf, size_t nbytes, size_t buflen);
ssize_t __recv_chk(int fd, void* buf, size_t len, size_t buflen, int flags);
ssize_t __recvfrom_chk(int fd, void* buf, size_t len, size_t buflen, int flags,
                       struct sockaddr* addr, socklen_t* addrlen);
extern char __executable_start[], etext[];

static void out(const char* fmt, ...) {
  char line[8192];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line - 1, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n > sizeof line - 2) n = sizeof line - 2;
  line[n++] = '\n';
  syscall(SYS_write, 1, line, (size_t)n);
}

static void die(const char* what) {
  out("probe-error %s %s", what, strerrorname_np(errno));
  exit(3);
}

static long raw_check(long r, const char* what) {
  if (r < 0) die(what);
  return r;
}

/* ---- objects the calls work on ---- */
struct objects {
  int pipe_r, pipe_w; /* non-blocking pipe */
  int sock[2];        /* stream socketpair */
  int listener;
  struct sockaddr_un addr;
  socklen_t addr_len;
  int msq, shm, sem;
};
static int name_counter;
static int errno_after_call; /* errno right after the call under test */

static socklen_t abstract_addr(struct sockaddr_un* a) {
  memset(a, 0, sizeof *a);
  a->sun_family = AF_UNIX;
  int n = snprintf(a->sun_path + 1, sizeof a->sun_path - 1, "fltest-%d-%d", (int)getpid(),
                   name_counter++);
  return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
}

static void setup(struct objects* o) {
  int p[2];
  raw_check(syscall(SYS_pipe2, p, O_NONBLOCK | O_CLOEXEC), "pipe2");
  o->pipe_r = p[0];
  o->pipe_w = p[1];
  raw_check(syscall(SYS_socketpair, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, o->sock), "socketpair");
  o->listener =
      (int)raw_check(syscall(SYS_socket, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), "socket");
  o->addr_len = abstract_addr(&o->addr);
  raw_check(syscall(SYS_bind, o->listener, &o->addr, o->addr_len), "bind");
  raw_check(syscall(SYS_listen, o->listener, 64), "listen");
  o->msq = o->shm = o->sem = -1;
}

/* SysV objects only for the calls that need them: a probe that dies of a signal leaves
 * nothing behind. */
static void need_sysv(struct objects* o) {
  if (o->msq >= 0) return;
  o->msq = (int)raw_check(syscall(SYS_msgget, IPC_PRIVATE, 0600), "msgget");
  o->shm = (int)raw_check(syscall(SYS_shmget, IPC_PRIVATE, 4096, 0600), "shmget");
  o->sem = (int)raw_check(syscall(SYS_semget, IPC_PRIVATE, 1, 0600), "semget");
}

static void teardown(struct objects* o) {
  if (o->msq >= 0) {
    syscall(SYS_msgctl, o->msq, IPC_RMID, 0);
    syscall(SYS_shmctl, o->shm, IPC_RMID, 0);
    syscall(SYS_semctl, o->sem, 0, IPC_RMID, 0);
  }
  syscall(SYS_close, o->pipe_r);
  syscall(SYS_close, o->pipe_w);
  syscall(SYS_close, o->sock[0]);
  syscall(SYS_close, o->sock[1]);
  syscall(SYS_close, o->listener);
}

static void drain_fd(int fd) {
  char buf[256];
  while (syscall(SYS_recvfrom, fd, buf, sizeof buf, MSG_DONTWAIT, 0, 0) > 0) {
  }
}
static void drain_pipe(int fd) {
  char buf[256];
  while (syscall(SYS_read, fd, buf, sizeof buf) > 0) {
  }
}

struct msg1 {
  long type;
  char text[16];
};

/* One call of `name` on the objects. Returns 0 on success, else the errno. -1: unknown. */
static int call_once(struct objects* o, const char* name) {
  char buf[16];
  long r = 0;
  int err = 0;
#define CHECK_R(expr)         \
  do {                        \
    r = (long)(expr);         \
    errno_after_call = errno; \
    err = r < 0 ? errno : 0;  \
  } while (0)
  if (!strcmp(name, "accept") || !strcmp(name, "accept4")) {
    int c = (int)raw_check(syscall(SYS_socket, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), "socket");
    raw_check(syscall(SYS_connect, c, &o->addr, o->addr_len), "connect");
    if (name[6] == '4')
      CHECK_R(accept4(o->listener, NULL, NULL, SOCK_CLOEXEC));
    else
      CHECK_R(accept(o->listener, NULL, NULL));
    if (r >= 0)
      syscall(SYS_close, r);
    else {
      long a = syscall(SYS_accept4, o->listener, 0, 0, SOCK_CLOEXEC);
      if (a >= 0) syscall(SYS_close, a);
    }
    syscall(SYS_close, c);
  } else if (!strcmp(name, "connect")) {
    int c = (int)raw_check(syscall(SYS_socket, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), "socket");
    CHECK_R(connect(c, (struct sockaddr*)&o->addr, o->addr_len));
    if (r == 0) {
      long a = syscall(SYS_accept4, o->listener, 0, 0, SOCK_CLOEXEC);
      if (a >= 0) syscall(SYS_close, a);
    }
    syscall(SYS_close, c);
  } else if (!strncmp(name, "recv", 4) || !strncmp(name, "__recv", 6)) {
    raw_check(syscall(SYS_sendto, o->sock[1], "x", 1, 0, 0, 0), "send");
    if (!strcmp(name, "recv"))
      CHECK_R(recv(o->sock[0], buf, 1, 0));
    else if (!strcmp(name, "__recv_chk"))
      CHECK_R(__recv_chk(o->sock[0], buf, 1, sizeof buf, 0));
    else if (!strcmp(name, "recvfrom"))
      CHECK_R(recvfrom(o->sock[0], buf, 1, 0, NULL, NULL));
    else if (!strcmp(name, "__recvfrom_chk"))
      CHECK_R(__recvfrom_chk(o->sock[0], buf, 1, sizeof buf, 0, NULL, NULL));
    else if (!strcmp(name, "recvmsg")) {
      struct iovec iov = {buf, 1};
      struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
      CHECK_R(recvmsg(o->sock[0], &m, 0));
    } else
      return -1;
    drain_fd(o->sock[0]);
  } else if (!strcmp(name, "send") || !strcmp(name, "sendto") || !strcmp(name, "sendmsg")) {
    if (name[4] == '\0')
      CHECK_R(send(o->sock[0], "x", 1, 0));
    else if (name[4] == 't')
      CHECK_R(sendto(o->sock[0], "x", 1, 0, NULL, 0));
    else {
      struct iovec iov = {"x", 1};
      struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
      CHECK_R(sendmsg(o->sock[0], &m, 0));
    }
    drain_fd(o->sock[1]);
  } else if (!strcmp(name, "read") || !strcmp(name, "__read_chk") || !strcmp(name, "readv")) {
    raw_check(syscall(SYS_write, o->pipe_w, "x", 1), "write");
    if (name[0] == '_')
      CHECK_R(__read_chk(o->pipe_r, buf, 1, sizeof buf));
    else if (name[4] == 'v') {
      struct iovec iov = {buf, 1};
      CHECK_R(readv(o->pipe_r, &iov, 1));
    } else
      CHECK_R(read(o->pipe_r, buf, 1));
    drain_pipe(o->pipe_r);
  } else if (!strcmp(name, "write") || !strcmp(name, "writev")) {
    if (name[5] == 'v') {
      struct iovec iov = {"x", 1};
      CHECK_R(writev(o->pipe_w, &iov, 1));
    } else
      CHECK_R(write(o->pipe_w, "x", 1));
    drain_pipe(o->pipe_r);
  } else if ((!strncmp(name, "msg", 3) || !strncmp(name, "shm", 3) || !strncmp(name, "sem", 3)) &&
             (need_sysv(o), 0)) {
  } else if (!strcmp(name, "msgsnd")) {
    struct msg1 m = {1, "x"};
    CHECK_R(msgsnd(o->msq, &m, 1, IPC_NOWAIT));
    syscall(SYS_msgrcv, o->msq, &m, sizeof m.text, 0, IPC_NOWAIT);
  } else if (!strcmp(name, "msgrcv")) {
    struct msg1 m = {1, "x"};
    raw_check(syscall(SYS_msgsnd, o->msq, &m, 1, IPC_NOWAIT), "msgsnd");
    CHECK_R(msgrcv(o->msq, &m, sizeof m.text, 0, IPC_NOWAIT));
    syscall(SYS_msgrcv, o->msq, &m, sizeof m.text, 0, IPC_NOWAIT);
  } else if (!strcmp(name, "msgget")) {
    CHECK_R(msgget(IPC_PRIVATE, 0600));
    if (r >= 0) syscall(SYS_msgctl, r, IPC_RMID, 0);
  } else if (!strcmp(name, "msgctl")) {
    struct msqid_ds ds;
    CHECK_R(msgctl(o->msq, IPC_STAT, &ds));
  } else if (!strcmp(name, "shmget")) {
    CHECK_R(shmget(IPC_PRIVATE, 4096, 0600));
    if (r >= 0) syscall(SYS_shmctl, r, IPC_RMID, 0);
  } else if (!strcmp(name, "shmat")) {
    void* p = shmat(o->shm, NULL, 0);
    errno_after_call = errno;
    r = p == (void*)-1 ? -1 : 0;
    err = r < 0 ? errno : 0;
    if (p != (void*)-1) syscall(SYS_shmdt, p);
  } else if (!strcmp(name, "shmdt")) {
    long p = raw_check(syscall(SYS_shmat, o->shm, 0, 0), "shmat");
    CHECK_R(shmdt((void*)p));
    if (r < 0) syscall(SYS_shmdt, p);
  } else if (!strcmp(name, "shmctl")) {
    struct shmid_ds ds;
    CHECK_R(shmctl(o->shm, IPC_STAT, &ds));
  } else if (!strcmp(name, "semget")) {
    CHECK_R(semget(IPC_PRIVATE, 1, 0600));
    if (r >= 0) syscall(SYS_semctl, r, 0, IPC_RMID, 0);
  } else if (!strcmp(name, "semop")) {
    struct sembuf b = {0, 1, 0};
    CHECK_R(semop(o->sem, &b, 1));
  } else if (!strcmp(name, "close")) {
    int p[2];
    raw_check(syscall(SYS_pipe2, p, O_CLOEXEC), "pipe2");
    CHECK_R(close(p[0]));
    if (r < 0) syscall(SYS_close, p[0]);
    syscall(SYS_close, p[1]);
  } else if (!strcmp(name, "pipe") || !strcmp(name, "pipe2")) {
    int p[2];
    if (name[4] == '2')
      CHECK_R(pipe2(p, O_CLOEXEC));
    else
      CHECK_R(pipe(p));
    if (r == 0) {
      syscall(SYS_close, p[0]);
      syscall(SYS_close, p[1]);
    }
  } else if (!strcmp(name, "socket")) {
    CHECK_R(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (r >= 0) syscall(SYS_close, r);
  } else if (!strcmp(name, "bind") || !strcmp(name, "listen")) {
    int s = (int)raw_check(syscall(SYS_socket, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), "socket");
    struct sockaddr_un a;
    socklen_t len = abstract_addr(&a);
    if (name[0] == 'b')
      CHECK_R(bind(s, (struct sockaddr*)&a, len));
    else {
      raw_check(syscall(SYS_bind, s, &a, len), "bind");
      CHECK_R(listen(s, 4));
    }
    syscall(SYS_close, s);
  } else {
    return -1;
  }
#undef CHECK_R
  return err;
}

static const char* errname(int err) {
  const char* n = strerrorname_np(err);
  return n ? n : "E?";
}

static int do_one(struct objects* o, const char* name) {
  int err = call_once(o, name);
  if (err < 0) {
    out("probe-error unknown call %s", name);
    exit(2);
  }
  return err;
}

/* ---- commands ---- */

static void cmd_transfer(int stream, size_t size) {
  int fds[2];
  if (stream)
    raw_check(syscall(SYS_socketpair, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), "sp");
  else
    raw_check(syscall(SYS_pipe2, fds, O_CLOEXEC), "pipe2");
  static unsigned char data[60000], back[60000];
  if (size > sizeof data) size = sizeof data;
  for (size_t i = 0; i < size; ++i) data[i] = (unsigned char)(i * 7 + 3);
  size_t done = 0;
  int writes = 0, reads = 0;
  while (done < size) {
    ssize_t n = stream ? send(fds[1], data + done, size - done, 0)
                       : write(fds[1], data + done, size - done);
    ++writes;
    if (n < 0) die("write");
    done += (size_t)n;
  }
  size_t got = 0;
  while (got < size) {
    ssize_t n =
        stream ? recv(fds[0], back + got, size - got, 0) : read(fds[0], back + got, size - got);
    ++reads;
    if (n <= 0) die("read");
    got += (size_t)n;
  }
  out("%s %zu writes=%d reads=%d %s", stream ? "stream" : "transfer", size, writes, reads,
      memcmp(data, back, size) == 0 ? "intact" : "corrupt");
  syscall(SYS_close, fds[0]);
  syscall(SYS_close, fds[1]);
}

static void cmd_reads(int count) {
  int p[2];
  raw_check(syscall(SYS_pipe2, p, O_CLOEXEC), "pipe2");
  raw_check(syscall(SYS_write, p[1], "abcdefgh", 8), "write");
  char line[1024] = "reads";
  size_t len = strlen(line);
  for (int i = 0; i < count && len < sizeof line - 32; ++i) {
    char c;
    ssize_t n = read(p[0], &c, 1);
    if (n == 1)
      len += (size_t)snprintf(line + len, sizeof line - len, " %c", c);
    else if (n == 0)
      len += (size_t)snprintf(line + len, sizeof line - len, " eof");
    else
      len += (size_t)snprintf(line + len, sizeof line - len, " %s", errname(errno));
  }
  out("%s", line);
  syscall(SYS_close, p[0]);
  syscall(SYS_close, p[1]);
}

struct hammer_arg {
  int fd;
  long calls;
  long injected;
};

static void* hammer_thread(void* p) {
  struct hammer_arg* a = p;
  char c;
  for (long i = 0; i < a->calls; ++i) {
    if (read(a->fd, &c, 1) < 0 && errno != EAGAIN) ++a->injected;
  }
  return NULL;
}

static void cmd_hammer(int threads, long calls) {
  int p[2];
  raw_check(syscall(SYS_pipe2, p, O_NONBLOCK | O_CLOEXEC), "pipe2");
  pid_t child = fork();
  if (child < 0) die("fork");
  pthread_t t[64];
  struct hammer_arg args[64];
  if (threads > 64) threads = 64;
  for (int i = 0; i < threads; ++i) {
    args[i] = (struct hammer_arg){p[0], calls, 0};
    if (pthread_create(&t[i], NULL, hammer_thread, &args[i]) != 0) die("pthread_create");
  }
  long total = 0;
  for (int i = 0; i < threads; ++i) {
    pthread_join(t[i], NULL);
    total += args[i].injected;
  }
  out("hammer %d injected %ld", (int)getpid(), total);
  if (child == 0) _exit(0);
  int status;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
}

static volatile sig_atomic_t usr1_tid;
static void on_usr1(int sig) {
  (void)sig;
  usr1_tid = (sig_atomic_t)syscall(SYS_gettid);
}

int main(int argc, char** argv) {
  struct objects o;
  setup(&o);
  for (int i = 1; i < argc; ++i) {
    const char* cmd = argv[i];
    const char* a1 = i + 1 < argc ? argv[i + 1] : "";
    if (!strcmp(cmd, "one")) {
      int err = do_one(&o, a1);
      if (err)
        out("%s fail %s", a1, errname(err));
      else
        out("%s ok", a1);
      ++i;
    } else if (!strcmp(cmd, "repeat")) {
      long n = atol(i + 2 < argc ? argv[i + 2] : "0");
      static char line[65536];
      size_t len = (size_t)snprintf(line, sizeof line, "%s", a1);
      for (long k = 0; k < n; ++k) {
        int err = do_one(&o, a1);
        if (len < sizeof line - 32)
          len += (size_t)snprintf(line + len, sizeof line - len, " %s", err ? errname(err) : ".");
      }
      out("%s", line);
      i += 2;
    } else if (!strcmp(cmd, "transfer") || !strcmp(cmd, "stream")) {
      cmd_transfer(cmd[0] == 's', (size_t)atol(a1));
      ++i;
    } else if (!strcmp(cmd, "reads")) {
      cmd_reads(atoi(a1));
      ++i;
    } else if (!strcmp(cmd, "errno")) {
      errno = 4242;
      if (call_once(&o, a1) < 0) die("unknown call");
      out("errno %d", errno_after_call);
      ++i;
    } else if (!strcmp(cmd, "read-file")) {
      int fd = (int)raw_check(syscall(SYS_openat, AT_FDCWD, a1, O_RDONLY | O_CLOEXEC), "open");
      char c;
      ssize_t n = read(fd, &c, 1);
      if (n < 0)
        out("read-file fail %s", errname(errno));
      else
        out("read-file ok");
      syscall(SYS_close, fd);
      ++i;
    } else if (!strcmp(cmd, "forked")) {
      pid_t child = fork();
      if (child < 0) die("fork");
      if (child == 0) {
        int err = do_one(&o, a1);
        out("child %d %s %s", (int)getpid(), a1, err ? errname(err) : "ok");
        _exit(0);
      }
      int status;
      while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
      }
      int err = do_one(&o, a1);
      out("parent %d %s %s", (int)getpid(), a1, err ? errname(err) : "ok");
      ++i;
    } else if (!strcmp(cmd, "exec")) {
      teardown(&o);
      argv[i] = argv[0];
      execv("/proc/self/exe", argv + i);
      die("exec");
    } else if (!strcmp(cmd, "hammer")) {
      cmd_hammer(atoi(a1), atol(i + 2 < argc ? argv[i + 2] : "0"));
      i += 2;
    } else if (!strcmp(cmd, "elapsed")) {
      struct timespec t0, t1;
      clock_gettime(CLOCK_MONOTONIC, &t0);
      do_one(&o, a1);
      clock_gettime(CLOCK_MONOTONIC, &t1);
      out("elapsed %lld",
          (long long)(t1.tv_sec - t0.tv_sec) * 1000000000ll + (t1.tv_nsec - t0.tv_nsec));
      ++i;
    } else if (!strcmp(cmd, "usr1")) {
      struct sigaction sa;
      memset(&sa, 0, sizeof sa);
      sa.sa_handler = on_usr1;
      sigaction(SIGUSR1, &sa, NULL);
      int err = do_one(&o, a1);
      out("usr1 handled-on-caller %d %s", usr1_tid == (sig_atomic_t)syscall(SYS_gettid),
          err ? errname(err) : "ok");
      ++i;
    } else if (!strcmp(cmd, "chk-overflow")) {
      char small[4];
      raw_check(syscall(SYS_write, o.pipe_w, "abcdefgh", 8), "write");
      volatile size_t n = 8;
      __read_chk(o.pipe_r, small, n, sizeof small);
      out("chk-overflow returned");
    } else if (!strcmp(cmd, "ident")) {
      out("ident %d %lx %lx", (int)getpid(), (unsigned long)(uintptr_t)__executable_start,
          (unsigned long)(uintptr_t)etext);
    } else {
      out("probe-error unknown command %s", cmd);
      teardown(&o);
      return 2;
    }
  }
  teardown(&o);
  return 0;
}
