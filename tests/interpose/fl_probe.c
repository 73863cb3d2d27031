/* fl_probe: performs interposed calls as its arguments say and prints what they returned,
 * one write per line, for the interposer tests. Everything around the call under test (setup,
 * draining, output) uses raw syscalls so that only the calls under test meet the interposer.
 * Every object that outlives one call (SysV ids, POSIX names, the FIFO folder) is announced
 * on stderr as "probe-made KIND WHAT" before the call, so that a test whose probe dies of an
 * injected signal can remove it.
 *
 *   one NAME            one call of NAME (any row of calls.def) on a real object:
 *                       "NAME ok", "NAME fail ERRNO", "NAME bad-return R" (a failure value
 *                       other than the call's own) or "NAME bad-arg" (a variadic argument
 *                       lost on the way)
 *   repeat NAME COUNT   COUNT calls: "NAME . . EIO ." (errno name per failed call)
 *   data NAME           a data call (read/recv*, write/send*, *mmsg, msgrcv/msgsnd, mq_*) made
 *                       twice on "abcdefgh" waiting at the peer (or sent to it):
 *                       "NAME first=R second=R got=DATA flips=K peer=open|eof|-"; R is a count
 *                       or an errno name, DATA what arrived (\xNN for non-printable bytes),
 *                       K its bits differing from "abcdefgh", peer the stream peer's view
 *   ready NAME          a readiness call on an empty pipe: "NAME r=R ready=0|1 then=ERRNO|ok"
 *   creat-mode NAME     open/openat creating a file with mode 0641: "NAME mode 641"
 *   transfer SIZE       SIZE bytes through a pipe with write() then read(), reassembled
 *   stream SIZE         the same through a socketpair with send() and recv()
 *   reads COUNT         "abcdefgh" into a pipe, COUNT 1-byte read()s: "reads a b eof c"
 *   errno NAME          errno set to 4242 right before one call of NAME: "errno E" after it
 *   read-file PATH      one read() of a regular file
 *   connect-wait tcp|unix   a blocking connect() to a listener, then what CPython does after
 *                       EINTR: wait until writable, SO_ERROR; then getpeername, the listener's
 *                       accept, a second connect(): "connect-wait FAM connect=R so_error=R
 *                       peer=ok|ERRNO accepted=0|1 again=R"
 *   close-gone          close() of a pipe's read end, then whether that fd is still open and
 *                       what a write to the other end gets: "close-gone close=R open=yes|no
 *                       write=R"
 *   fclose-errno        errno set to 4242, then fopen/fclose of a memory stream (no fd):
 *                       "fclose-errno E"
 *   closed-reopen PATH  as raw-reopen, but the pipe's fd closed with close()
 *   default-sigpipe     SIGPIPE back to its default action (the probe ignores it otherwise)
 *   sigpipe-handler     SIGPIPE to a handler that prints "sigpipe" (SA_RESTART): a line that
 *                       comes before the failed call's own says the signal came with the call
 *   freopen-stdin PATH  fd 0 made a pipe holding "ab", one read(0); freopen(PATH) of stdin,
 *                       one read(0): "freopen-stdin first=R second=R"
 *   raw-reopen PATH     one read() of a pipe holding "ab"; its fd closed and PATH opened on
 *                       the same number with raw system calls; one read() of it: "raw-reopen
 *                       first=R second=R"
 *   forked NAME         a child makes one call of NAME and exits, then the parent makes one
 *   exec ARGS...        replaces itself with fl_probe ARGS... (the environment stays)
 *   vfork-exec ARGS...  vfork, the child execs fl_probe ARGS..., the parent waits
 *   spawn ARGS...       posix_spawn of fl_probe ARGS..., the parent waits
 *   spawn-bare ARGS...  the same without FAULTLINE_CONTROL in the child's environment
 *   hammer THREADS N    a child and the parent each run THREADS threads of N read()s on an
 *                       empty non-blocking pipe: "hammer PID injected K" per process
 *   hammer-procs P T N  P processes (forked) of T threads each make N close(-1) calls:
 *                       "hammer PID injected K" per process (K: calls not failing EBADF)
 *   elapsed NAME        one call of NAME and how long it took: "elapsed NS"
 *   usr1 NAME           one call of NAME with a SIGUSR1 handler: "usr1 handled-on-caller 1"
 *   chk-overflow        __read_chk with a length larger than the buffer (must abort)
 *   ident               "ident PID TEXT_START TEXT_END" (hex addresses of the executable)
 *   handler MODE        installs a SIGUSR2 handler for the commands after it: MODE restart
 *                       (SA_RESTART) or interrupt (without)
 *   eventfd             one read() of an eventfd holding 5: "eventfd r=R value=V" or "eventfd
 *                       fail ERRNO"
 *   msg-recv TYPE       "abcdefgh" sent on a socketpair of TYPE (dgram, seqpacket), one recv()
 *                       of up to 64 bytes: "msg-recv r=R" or "msg-recv fail ERRNO"
 *   pipe-read MODE      one read() of 8 bytes waiting in a pipe, MODE block or nb (O_NONBLOCK):
 *                       "pipe-read r=R" or "pipe-read fail ERRNO"
 *   pipe-write SIZE MODE one write() of SIZE bytes to an empty pipe, MODE block or nb:
 *                       "pipe-write r=R" or "pipe-write fail ERRNO"
 *   writes-at FD COUNT  COUNT zero-byte write()s to a pipe's write end moved to fd FD:
 *                       "writes-at FD failed K"
 *   mmaps PATH COUNT    COUNT private one-page mmap()s of PATH, one fd: "mmaps failed K"
 *   smmaps PATH COUNT   the same, shared: "smmaps failed K"
 *   opens PATH COUNT    COUNT open()s of PATH: "opens failed K"
 *                       (the three make only the calls under test between two raw write()s to
 *                       fd -1 of "fl-begin" and "fl-end", for a trace to count what the
 *                       interposer adds to them)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The fortified spellings, declared by the headers only under _FORTIFY_SOURCE. */
ssize_t __read_chk(int fd, void* buf, size_t nbytes, size_t buflen);
ssize_t __recv_chk(int fd, void* buf, size_t len, size_t buflen, int flags);
ssize_t __recvfrom_chk(int fd, void* buf, size_t len, size_t buflen, int flags,
                       struct sockaddr* addr, socklen_t* addrlen);
int __open_2(const char* path, int flags);
int __open64_2(const char* path, int flags);
int __openat_2(int dirfd, const char* path, int flags);
int __openat64_2(int dirfd, const char* path, int flags);
int __poll_chk(struct pollfd* fds, nfds_t n, int timeout, size_t fdslen);
int __ppoll_chk(struct pollfd* fds, nfds_t n, const struct timespec* t, const sigset_t* mask,
                size_t fdslen);
extern char __executable_start[], etext[];
extern char** environ;

#define ERRNO_SENTINEL 4242

static void write_line(int fd, const char* fmt, va_list ap) {
  char line[8192];
  int n = vsnprintf(line, sizeof line - 1, fmt, ap);
  if (n < 0) return;
  if ((size_t)n > sizeof line - 2) n = sizeof line - 2;
  line[n++] = '\n';
  syscall(SYS_write, fd, line, (size_t)n);
}

static void out(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  write_line(1, fmt, ap);
  va_end(ap);
}

/* Announces an object that must be removed even if the probe dies (see the header). */
static void made(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  write_line(2, fmt, ap);
  va_end(ap);
}

static void teardown_all(void);

/* Ends the probe on a usage or setup error, its objects removed. */
_Noreturn static void quit(int code) {
  teardown_all();
  exit(code);
}

_Noreturn static void die(const char* what) {
  out("probe-error %s %s", what, strerrorname_np(errno));
  quit(3);
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
  int dir_fd; /* the probe's own folder for FIFOs and files, -1 until needed */
  char dir[512];
};
static int name_counter;
static int errno_after_call; /* errno right after the call under test */
static long ret_of_call;     /* what the call under test returned */
static int bad_arg;          /* a variadic argument did not arrive */

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
  o->dir_fd = -1;
  o->dir[0] = '\0';
}

/* SysV objects only for the calls that need them. */
static void need_sysv(struct objects* o) {
  if (o->msq >= 0) return;
  o->msq = (int)raw_check(syscall(SYS_msgget, IPC_PRIVATE, 0600), "msgget");
  made("probe-made msg %d", o->msq);
  o->shm = (int)raw_check(syscall(SYS_shmget, IPC_PRIVATE, 4096, 0600), "shmget");
  made("probe-made shm %d", o->shm);
  o->sem = (int)raw_check(syscall(SYS_semget, IPC_PRIVATE, 1, 0600), "semget");
  made("probe-made sem %d", o->sem);
}

/* A private folder in $TMPDIR for FIFOs and files, named so the leak checks see it. */
static void need_dir(struct objects* o) {
  if (o->dir_fd >= 0) return;
  const char* tmp = getenv("TMPDIR");
  snprintf(o->dir, sizeof o->dir, "%s/faultline-probe-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (!mkdtemp(o->dir)) die("mkdtemp");
  made("probe-made dir %s", o->dir);
  o->dir_fd = (int)raw_check(
      syscall(SYS_openat, AT_FDCWD, o->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), "open dir");
}

/* A fresh entry name in the folder: `name` relative, `path` absolute. */
static void dir_entry(struct objects* o, const char* what, char* name, size_t nsize, char* path,
                      size_t psize) {
  need_dir(o);
  snprintf(name, nsize, "%s-%d", what, name_counter++);
  snprintf(path, psize, "%s/%s", o->dir, name);
}

static void make_fifo(struct objects* o, char* name, size_t nsize, char* path, size_t psize) {
  dir_entry(o, "fifo", name, nsize, path, psize);
  raw_check(syscall(SYS_mknodat, o->dir_fd, name, S_IFIFO | 0600, 0), "mknod");
}

static void remove_entry(struct objects* o, const char* name) {
  syscall(SYS_unlinkat, o->dir_fd, name, 0);
}

/* A POSIX name ("/faultline-probe-PID-N") for a queue or a shared memory object. */
static void posix_name(char* name, size_t size) {
  snprintf(name, size, "/faultline-probe-%d-%d", (int)getpid(), name_counter++);
  made("probe-made name %s", name);
}

static int raw_mq(const char* name) {
  struct mq_attr attr = {.mq_maxmsg = 4, .mq_msgsize = 64};
  return (int)raw_check(syscall(SYS_mq_open, name + 1,
                                O_CREAT | O_EXCL | O_RDWR | O_NONBLOCK | O_CLOEXEC, 0600, &attr),
                        "mq_open");
}

static void raw_mq_unlink(const char* name) { syscall(SYS_mq_unlink, name + 1); }

static int raw_shm(const char* name) {
  char path[128];
  snprintf(path, sizeof path, "/dev/shm%s", name);
  return (int)raw_check(
      syscall(SYS_openat, AT_FDCWD, path, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC | O_NOFOLLOW, 0600),
      "shm open");
}

static void raw_shm_unlink(const char* name) {
  char path[128];
  snprintf(path, sizeof path, "/dev/shm%s", name);
  syscall(SYS_unlinkat, AT_FDCWD, path, 0);
}

static void teardown(struct objects* o) {
  if (o->msq >= 0) {
    syscall(SYS_msgctl, o->msq, IPC_RMID, 0);
    syscall(SYS_shmctl, o->shm, IPC_RMID, 0);
    syscall(SYS_semctl, o->sem, 0, IPC_RMID, 0);
  }
  if (o->dir_fd >= 0) {
    syscall(SYS_close, o->dir_fd);
    syscall(SYS_unlinkat, AT_FDCWD, o->dir, AT_REMOVEDIR);
  }
  syscall(SYS_close, o->pipe_r);
  syscall(SYS_close, o->pipe_w);
  syscall(SYS_close, o->sock[0]);
  syscall(SYS_close, o->sock[1]);
  syscall(SYS_close, o->listener);
}

static struct objects* all_objects;
static void teardown_all(void) {
  if (all_objects) teardown(all_objects);
  all_objects = NULL;
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

union semun_arg {
  int val;
  struct semid_ds* buf;
  unsigned short* array;
};

static struct timespec in_one_second(void) {
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  t.tv_sec += 1;
  return t;
}

/* The call under test: errno holds the sentinel right before it, so that a successful call
 * must leave it untouched. */
#define CHECK_R(expr)                     \
  do {                                    \
    errno = ERRNO_SENTINEL;               \
    r = (long)(expr);                     \
    errno_after_call = errno;             \
    ret_of_call = r;                      \
    err = r == -1 ? errno_after_call : 0; \
  } while (0)

/* Calls on pipes, FIFOs, fds and the open family. 1: handled. */
static int call_fd(struct objects* o, const char* name, long* rp, int* errp) {
  long r = 0;
  int err = 0;
  char buf[16], fname[64], path[640];
  if (!strcmp(name, "read") || !strcmp(name, "__read_chk") || !strcmp(name, "readv")) {
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
  } else if (!strcmp(name, "dup")) {
    CHECK_R(dup(o->pipe_r));
    if (r >= 0) syscall(SYS_close, r);
  } else if (!strcmp(name, "dup2") || !strcmp(name, "dup3")) {
    int target = (int)raw_check(syscall(SYS_fcntl, o->pipe_w, F_DUPFD_CLOEXEC, 0), "fcntl");
    if (name[3] == '2')
      CHECK_R(dup2(o->pipe_r, target));
    else
      CHECK_R(dup3(o->pipe_r, target, O_CLOEXEC));
    syscall(SYS_close, target);
  } else if (!strcmp(name, "mkfifo") || !strcmp(name, "mkfifoat")) {
    dir_entry(o, "fifo", fname, sizeof fname, path, sizeof path);
    if (name[6] == 'a')
      CHECK_R(mkfifoat(o->dir_fd, fname, 0600));
    else
      CHECK_R(mkfifo(path, 0600));
    remove_entry(o, fname);
  } else if (!strncmp(name, "open", 4) || !strncmp(name, "__open", 6)) {
    /* A FIFO opened for reading without blocking: IPC by the default fd class. The plain
     * spellings also carry O_CREAT and a mode (the FIFO exists, so nothing is created). */
    make_fifo(o, fname, sizeof fname, path, sizeof path);
    const int flags = O_RDONLY | O_NONBLOCK | O_CLOEXEC;
    if (!strcmp(name, "open"))
      CHECK_R(open(path, flags | O_CREAT, 0600));
    else if (!strcmp(name, "open64"))
      CHECK_R(open64(path, flags | O_CREAT, 0600));
    else if (!strcmp(name, "__open_2"))
      CHECK_R(__open_2(path, flags));
    else if (!strcmp(name, "__open64_2"))
      CHECK_R(__open64_2(path, flags));
    else if (!strcmp(name, "openat"))
      CHECK_R(openat(o->dir_fd, fname, flags | O_CREAT, 0600));
    else if (!strcmp(name, "openat64"))
      CHECK_R(openat64(o->dir_fd, fname, flags | O_CREAT, 0600));
    else if (!strcmp(name, "__openat_2"))
      CHECK_R(__openat_2(o->dir_fd, fname, flags));
    else if (!strcmp(name, "__openat64_2"))
      CHECK_R(__openat64_2(o->dir_fd, fname, flags));
    else {
      remove_entry(o, fname);
      return 0;
    }
    if (r >= 0) syscall(SYS_close, r);
    remove_entry(o, fname);
  } else {
    return 0;
  }
  *rp = r;
  *errp = err;
  return 1;
}

/* SysV and POSIX messages, shared memory and semaphores. 1: handled. */
static int call_ipc(struct objects* o, const char* name, long* rp, int* errp) {
  long r = 0;
  int err = 0;
  char qname[64], big[128];
  if (!strncmp(name, "msg", 3) || !strncmp(name, "shm", 3) || !strncmp(name, "sem", 3))
    need_sysv(o);
  if (!strcmp(name, "msgsnd")) {
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
    CHECK_R(shmat(o->shm, NULL, 0));
    if (r != -1) syscall(SYS_shmdt, r);
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
  } else if (!strcmp(name, "semop") || !strcmp(name, "semtimedop")) {
    struct sembuf b = {0, 1, 0};
    struct timespec t = {0, 0};
    if (name[3] == 't')
      CHECK_R(semtimedop(o->sem, &b, 1, &t));
    else
      CHECK_R(semop(o->sem, &b, 1));
  } else if (!strcmp(name, "semctl")) {
    /* SETVAL takes its value through the variadic union: read it back to see it arrived. */
    union semun_arg arg = {.val = 5};
    CHECK_R(semctl(o->sem, 0, SETVAL, arg));
    if (r == 0 && syscall(SYS_semctl, o->sem, 0, GETVAL, 0) != 5) bad_arg = 1;
  } else if (!strcmp(name, "ftok")) {
    need_dir(o);
    CHECK_R(ftok(o->dir, 7));
  } else if (!strcmp(name, "mq_open")) {
    /* mode and attributes travel as variadic arguments: check both arrived. */
    posix_name(qname, sizeof qname);
    struct mq_attr attr = {.mq_maxmsg = 3, .mq_msgsize = 48};
    CHECK_R(mq_open(qname, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600, &attr));
    if (r >= 0) {
      struct mq_attr got;
      struct stat st;
      if (syscall(SYS_mq_getsetattr, r, NULL, &got) != 0 || got.mq_maxmsg != 3 ||
          got.mq_msgsize != 48 || syscall(SYS_fstat, r, &st) != 0 || (st.st_mode & 0777) != 0600)
        bad_arg = 1;
      syscall(SYS_close, r);
    }
    raw_mq_unlink(qname);
  } else if (!strncmp(name, "mq_", 3)) {
    posix_name(qname, sizeof qname);
    int q = raw_mq(qname);
    struct timespec t = in_one_second();
    if (!strcmp(name, "mq_send"))
      CHECK_R(mq_send(q, "x", 1, 0));
    else if (!strcmp(name, "mq_timedsend"))
      CHECK_R(mq_timedsend(q, "x", 1, 0, &t));
    else if (!strcmp(name, "mq_receive") || !strcmp(name, "mq_timedreceive")) {
      raw_check(syscall(SYS_mq_timedsend, q, "x", 1, 0, NULL), "mq_send");
      if (name[3] == 't')
        CHECK_R(mq_timedreceive(q, big, sizeof big, NULL, &t));
      else
        CHECK_R(mq_receive(q, big, sizeof big, NULL));
    } else if (!strcmp(name, "mq_unlink")) {
      syscall(SYS_close, q);
      q = -1;
      CHECK_R(mq_unlink(qname));
    } else {
      syscall(SYS_close, q);
      raw_mq_unlink(qname);
      return 0;
    }
    if (q >= 0) syscall(SYS_close, q);
    raw_mq_unlink(qname);
  } else if (!strcmp(name, "shm_open")) {
    posix_name(qname, sizeof qname);
    CHECK_R(shm_open(qname, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600));
    if (r >= 0) syscall(SYS_close, r);
    raw_shm_unlink(qname);
  } else if (!strcmp(name, "shm_unlink")) {
    posix_name(qname, sizeof qname);
    syscall(SYS_close, raw_shm(qname));
    CHECK_R(shm_unlink(qname));
    raw_shm_unlink(qname);
  } else if (!strcmp(name, "ftruncate") || !strcmp(name, "ftruncate64")) {
    posix_name(qname, sizeof qname);
    int fd = raw_shm(qname);
    if (name[9] == '6')
      CHECK_R(ftruncate64(fd, 4096));
    else
      CHECK_R(ftruncate(fd, 4096));
    syscall(SYS_close, fd);
    raw_shm_unlink(qname);
  } else if (!strcmp(name, "mmap") || !strcmp(name, "mmap64")) {
    const int prot = PROT_READ | PROT_WRITE, flags = MAP_SHARED | MAP_ANONYMOUS;
    if (name[4] == '6')
      CHECK_R(mmap64(NULL, 4096, prot, flags, -1, 0));
    else
      CHECK_R(mmap(NULL, 4096, prot, flags, -1, 0));
    if (r != -1) syscall(SYS_munmap, r, 4096);
  } else if (!strcmp(name, "munmap")) {
    long p = raw_check(syscall(SYS_mmap, (void*)0, 4096, PROT_READ | PROT_WRITE,
                               MAP_SHARED | MAP_ANONYMOUS, -1, (long)0),
                       "mmap");
    CHECK_R(munmap((void*)p, 4096));
    if (r != 0) syscall(SYS_munmap, p, 4096);
  } else {
    return 0;
  }
  *rp = r;
  *errp = err;
  return 1;
}

/* Sockets and readiness. 1: handled. */
static int call_net(struct objects* o, const char* name, long* rp, int* errp) {
  long r = 0;
  int err = 0;
  char buf[16];
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
  } else if (!strcmp(name, "recvmmsg")) {
    raw_check(syscall(SYS_sendto, o->sock[1], "x", 1, 0, 0, 0), "send");
    struct iovec iov = {buf, 1};
    struct mmsghdr v = {.msg_hdr = {.msg_iov = &iov, .msg_iovlen = 1}};
    CHECK_R(recvmmsg(o->sock[0], &v, 1, MSG_DONTWAIT, NULL));
    drain_fd(o->sock[0]);
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
      return 0;
    drain_fd(o->sock[0]);
  } else if (!strcmp(name, "sendmmsg")) {
    struct iovec iov[2] = {{"x", 1}, {"y", 1}};
    struct mmsghdr v[2] = {{.msg_hdr = {.msg_iov = &iov[0], .msg_iovlen = 1}},
                           {.msg_hdr = {.msg_iov = &iov[1], .msg_iovlen = 1}}};
    CHECK_R(sendmmsg(o->sock[0], v, 2, 0));
    drain_fd(o->sock[1]);
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
  } else if (!strcmp(name, "socket")) {
    CHECK_R(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (r >= 0) syscall(SYS_close, r);
  } else if (!strcmp(name, "socketpair")) {
    int sv[2];
    CHECK_R(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
    if (r == 0) {
      syscall(SYS_close, sv[0]);
      syscall(SYS_close, sv[1]);
    }
  } else if (!strcmp(name, "shutdown")) {
    int sv[2];
    raw_check(syscall(SYS_socketpair, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), "socketpair");
    CHECK_R(shutdown(sv[0], SHUT_WR));
    syscall(SYS_close, sv[0]);
    syscall(SYS_close, sv[1]);
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
  } else if (strstr(name, "poll") && strncmp(name, "epoll", 5) != 0) {
    struct pollfd p = {o->pipe_r, POLLIN, 0};
    struct timespec t = {0, 0};
    if (!strcmp(name, "poll"))
      CHECK_R(poll(&p, 1, 0));
    else if (!strcmp(name, "__poll_chk"))
      CHECK_R(__poll_chk(&p, 1, 0, sizeof p));
    else if (!strcmp(name, "ppoll"))
      CHECK_R(ppoll(&p, 1, &t, NULL));
    else if (!strcmp(name, "__ppoll_chk"))
      CHECK_R(__ppoll_chk(&p, 1, &t, NULL, sizeof p));
    else
      return 0;
  } else if (!strcmp(name, "select") || !strcmp(name, "pselect")) {
    fd_set rs;
    FD_ZERO(&rs);
    FD_SET(o->pipe_r, &rs);
    struct timeval tv = {0, 0};
    struct timespec ts = {0, 0};
    if (name[0] == 's')
      CHECK_R(select(o->pipe_r + 1, &rs, NULL, NULL, &tv));
    else
      CHECK_R(pselect(o->pipe_r + 1, &rs, NULL, NULL, &ts, NULL));
  } else if (!strncmp(name, "epoll_", 6)) {
    int ep = (int)raw_check(syscall(SYS_epoll_create1, EPOLL_CLOEXEC), "epoll_create1");
    struct epoll_event e = {.events = EPOLLIN, .data.u64 = 1}, got[4];
    if (!strcmp(name, "epoll_ctl")) {
      CHECK_R(epoll_ctl(ep, EPOLL_CTL_ADD, o->pipe_r, &e));
    } else {
      raw_check(syscall(SYS_epoll_ctl, ep, EPOLL_CTL_ADD, o->pipe_r, &e), "epoll_ctl");
      if (!strcmp(name, "epoll_wait"))
        CHECK_R(epoll_wait(ep, got, 4, 0));
      else if (!strcmp(name, "epoll_pwait"))
        CHECK_R(epoll_pwait(ep, got, 4, 0, NULL));
      else {
        syscall(SYS_close, ep);
        return 0;
      }
    }
    syscall(SYS_close, ep);
  } else {
    return 0;
  }
  *rp = r;
  *errp = err;
  return 1;
}
#undef CHECK_R

/* One call of `name` on the objects. Returns 0 on success, else the errno. -1: unknown. */
static int call_once(struct objects* o, const char* name) {
  long r = 0;
  int err = 0;
  bad_arg = 0;
  if (!call_fd(o, name, &r, &err) && !call_ipc(o, name, &r, &err) && !call_net(o, name, &r, &err))
    return -1;
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
    quit(2);
  }
  return err;
}

/* ---- data calls: what arrives, twice ---- */

static const char kData[] = "abcdefgh";
#define DATA_LEN 8

static void result_text(char* s, size_t size, long r, int err) {
  if (r == -1)
    snprintf(s, size, "%s", errname(err));
  else
    snprintf(s, size, "%ld", r);
}

static void data_line(const char* name, const char* first, const char* second,
                      const unsigned char* got, size_t len, const char* peer) {
  char text[256];
  size_t t = 0;
  int flips = 0;
  for (size_t i = 0; i < len && t < sizeof text - 8; ++i) {
    unsigned char c = got[i];
    if (c > ' ' && c < 127 && c != '\\')
      text[t++] = (char)c;
    else
      t += (size_t)snprintf(text + t, sizeof text - t, "\\x%02x", c);
    if (i < DATA_LEN) flips += __builtin_popcount((unsigned)(c ^ (unsigned char)kData[i]));
  }
  text[t] = '\0';
  out("%s first=%s second=%s got=%s flips=%d peer=%s", name, first, second, text, flips, peer);
}

/* The stream peer's view after the calls: its data (appended to got) and whether it saw the
 * end of the connection. */
static const char* peer_state(int fd, unsigned char* got, size_t* len, size_t cap) {
  for (;;) {
    long n = syscall(SYS_recvfrom, fd, got + *len, cap - *len, MSG_DONTWAIT, 0, 0);
    if (n > 0) {
      *len += (size_t)n;
      continue;
    }
    return n == 0 ? "eof" : "open";
  }
}

static int is_one_of(const char* name, const char* const* list) {
  for (; *list; ++list)
    if (!strcmp(name, *list)) return 1;
  return 0;
}
static const char* const kStreamIn[] = {"read",           "__read_chk", "readv",
                                        "recv",           "__recv_chk", "recvfrom",
                                        "__recvfrom_chk", "recvmsg",    NULL};
static const char* const kStreamOut[] = {"write", "writev", "send", "sendto", "sendmsg", NULL};

static long in_call(const char* name, int fd, unsigned char* buf, size_t len) {
  struct iovec iov[2] = {{buf, len / 2}, {buf + len / 2, len - len / 2}};
  struct msghdr m = {.msg_iov = iov, .msg_iovlen = 2};
  if (!strcmp(name, "read")) return read(fd, buf, len);
  if (!strcmp(name, "__read_chk")) return __read_chk(fd, buf, len, len);
  if (!strcmp(name, "readv")) return readv(fd, iov, 2);
  if (!strcmp(name, "recv")) return recv(fd, buf, len, 0);
  if (!strcmp(name, "__recv_chk")) return __recv_chk(fd, buf, len, len, 0);
  if (!strcmp(name, "recvfrom")) return recvfrom(fd, buf, len, 0, NULL, NULL);
  if (!strcmp(name, "__recvfrom_chk")) return __recvfrom_chk(fd, buf, len, len, 0, NULL, NULL);
  if (!strcmp(name, "recvmsg")) return recvmsg(fd, &m, 0);
  return -2;
}

static long out_call(const char* name, int fd, const unsigned char* buf, size_t len) {
  struct iovec iov[2] = {{(void*)buf, len / 2}, {(void*)(buf + len / 2), len - len / 2}};
  struct msghdr m = {.msg_iov = iov, .msg_iovlen = 2};
  if (!strcmp(name, "write")) return write(fd, buf, len);
  if (!strcmp(name, "writev")) return writev(fd, iov, 2);
  if (!strcmp(name, "send")) return send(fd, buf, len, 0);
  if (!strcmp(name, "sendto")) return sendto(fd, buf, len, 0, NULL, 0);
  if (!strcmp(name, "sendmsg")) return sendmsg(fd, &m, 0);
  return -2;
}

/* Byte streams: a non-blocking stream socketpair, "abcdefgh" waiting or sent. */
static int data_stream(const char* name) {
  int sv[2];
  unsigned char got[64];
  size_t have = 0;
  char first[32], second[32];
  raw_check(syscall(SYS_socketpair, AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv),
            "socketpair");
  long r;
  const char* peer;
  if (is_one_of(name, kStreamIn)) {
    raw_check(syscall(SYS_sendto, sv[1], kData, DATA_LEN, 0, 0, 0), "send");
    r = in_call(name, sv[0], got, 16);
    result_text(first, sizeof first, r, errno);
    if (r > 0) have = (size_t)r;
    r = in_call(name, sv[0], got + have, 16 - have);
    result_text(second, sizeof second, r, errno);
    if (r > 0) have += (size_t)r;
    unsigned char rest[64];
    size_t rest_len = 0;
    peer = peer_state(sv[1], rest, &rest_len, sizeof rest);
  } else if (is_one_of(name, kStreamOut)) {
    r = out_call(name, sv[0], (const unsigned char*)kData, DATA_LEN);
    result_text(first, sizeof first, r, errno);
    size_t off = r > 0 ? (size_t)r : 0;
    r = out_call(name, sv[0], (const unsigned char*)kData + off, DATA_LEN - off);
    result_text(second, sizeof second, r, errno);
    peer = peer_state(sv[1], got, &have, sizeof got);
  } else {
    syscall(SYS_close, sv[0]);
    syscall(SYS_close, sv[1]);
    return 0;
  }
  data_line(name, first, second, got, have, peer);
  syscall(SYS_close, sv[0]);
  syscall(SYS_close, sv[1]);
  return 1;
}

/* Message arrays on a datagram socketpair: "abcd" and "efgh" as two messages. */
static int data_mmsg(const char* name) {
  int is_recv = !strcmp(name, "recvmmsg");
  if (!is_recv && strcmp(name, "sendmmsg") != 0) return 0;
  int sv[2];
  raw_check(syscall(SYS_socketpair, AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv),
            "socketpair");
  unsigned char got[64], in[2][16];
  size_t have = 0;
  char first[32], second[32];
  struct iovec iov[2];
  struct mmsghdr v[2];
  long r1, r2;
  if (is_recv) {
    raw_check(syscall(SYS_sendto, sv[1], kData, 4, 0, 0, 0), "send");
    raw_check(syscall(SYS_sendto, sv[1], kData + 4, 4, 0, 0, 0), "send");
    unsigned done = 0;
    for (int call = 0; call < 2; ++call) {
      memset(v, 0, sizeof v);
      for (int i = 0; i < 2; ++i) {
        iov[i] = (struct iovec){in[i], sizeof in[i]};
        v[i].msg_hdr.msg_iov = &iov[i];
        v[i].msg_hdr.msg_iovlen = 1;
      }
      long r = recvmmsg(sv[0], v, 2, MSG_DONTWAIT, NULL);
      result_text(call == 0 ? first : second, sizeof first, r, errno);
      for (long i = 0; i < r && i < 2; ++i) {
        memcpy(got + have, in[i], v[i].msg_len);
        have += v[i].msg_len;
      }
      done += r > 0 ? (unsigned)r : 0;
    }
    (void)done;
  } else {
    memset(v, 0, sizeof v);
    for (int i = 0; i < 2; ++i) {
      iov[i] = (struct iovec){(void*)(kData + 4 * i), 4};
      v[i].msg_hdr.msg_iov = &iov[i];
      v[i].msg_hdr.msg_iovlen = 1;
    }
    r1 = sendmmsg(sv[0], v, 2, 0);
    result_text(first, sizeof first, r1, errno);
    unsigned sent = r1 > 0 ? (unsigned)r1 : 0;
    r2 = sendmmsg(sv[0], v + sent, 2 - sent, 0);
    result_text(second, sizeof second, r2, errno);
    for (;;) {
      long n = syscall(SYS_recvfrom, sv[1], got + have, sizeof got - have, MSG_DONTWAIT, 0, 0);
      if (n <= 0) break;
      have += (size_t)n;
    }
  }
  data_line(name, first, second, got, have, "-");
  syscall(SYS_close, sv[0]);
  syscall(SYS_close, sv[1]);
  return 1;
}

/* Message queues: one message "abcdefgh" received twice (the second finds none), or one
 * send whose delivery the queue shows. */
static int data_queue(struct objects* o, const char* name) {
  unsigned char got[128];
  size_t have = 0;
  char first[32], second[32] = "-", qname[64];
  if (!strcmp(name, "msgrcv") || !strcmp(name, "msgsnd")) {
    need_sysv(o);
    struct msg1 m = {1, "abcdefgh"};
    if (name[3] == 'r') {
      raw_check(syscall(SYS_msgsnd, o->msq, &m, DATA_LEN, IPC_NOWAIT), "msgsnd");
      for (int call = 0; call < 2; ++call) {
        memset(&m, 0, sizeof m);
        long r = msgrcv(o->msq, &m, sizeof m.text, 0, IPC_NOWAIT);
        result_text(call == 0 ? first : second, sizeof first, r, errno);
        if (r > 0 && m.type != 1) snprintf(first, sizeof first, "bad-type");
        if (r > 0) {
          memcpy(got + have, m.text, (size_t)r);
          have += (size_t)r;
        }
      }
    } else {
      long r = msgsnd(o->msq, &m, DATA_LEN, IPC_NOWAIT);
      result_text(first, sizeof first, r, errno);
      for (;;) {
        long n = syscall(SYS_msgrcv, o->msq, &m, sizeof m.text, 0, IPC_NOWAIT);
        if (n <= 0) break;
        memcpy(got + have, m.text, (size_t)n);
        have += (size_t)n;
      }
    }
  } else if (!strncmp(name, "mq_", 3) && strcmp(name, "mq_open") && strcmp(name, "mq_unlink")) {
    posix_name(qname, sizeof qname);
    int q = raw_mq(qname);
    struct timespec t = in_one_second();
    if (strstr(name, "receive")) {
      raw_check(syscall(SYS_mq_timedsend, q, kData, DATA_LEN, 0, NULL), "mq_send");
      for (int call = 0; call < 2; ++call) {
        char buf[128];
        long r = name[3] == 't' ? mq_timedreceive(q, buf, sizeof buf, NULL, &t)
                                : mq_receive(q, buf, sizeof buf, NULL);
        result_text(call == 0 ? first : second, sizeof first, r, errno);
        if (r > 0) {
          memcpy(got + have, buf, (size_t)r);
          have += (size_t)r;
        }
      }
    } else {
      long r =
          name[3] == 't' ? mq_timedsend(q, kData, DATA_LEN, 0, &t) : mq_send(q, kData, DATA_LEN, 0);
      result_text(first, sizeof first, r, errno);
      for (;;) {
        long n = syscall(SYS_mq_timedreceive, q, got + have, 64, NULL, NULL);
        if (n <= 0) break;
        have += (size_t)n;
      }
    }
    syscall(SYS_close, q);
    raw_mq_unlink(qname);
  } else {
    return 0;
  }
  data_line(name, first, second, got, have, "-");
  return 1;
}

static void cmd_data(struct objects* o, const char* name) {
  if (!data_stream(name) && !data_mmsg(name) && !data_queue(o, name)) {
    out("probe-error not a data call %s", name);
    quit(2);
  }
}

/* A readiness call on the empty pipe; then whether a read really finds something. */
static void cmd_ready(struct objects* o, const char* name) {
  long r;
  int ready = 0;
  if (strstr(name, "poll") && strncmp(name, "epoll", 5) != 0) {
    struct pollfd p = {o->pipe_r, POLLIN, 0};
    struct timespec t = {0, 0};
    if (!strcmp(name, "poll"))
      r = poll(&p, 1, 0);
    else if (!strcmp(name, "__poll_chk"))
      r = __poll_chk(&p, 1, 0, sizeof p);
    else if (!strcmp(name, "ppoll"))
      r = ppoll(&p, 1, &t, NULL);
    else
      r = __ppoll_chk(&p, 1, &t, NULL, sizeof p);
    ready = (p.revents & POLLIN) != 0;
  } else if (!strcmp(name, "select") || !strcmp(name, "pselect")) {
    fd_set rs;
    FD_ZERO(&rs);
    FD_SET(o->pipe_r, &rs);
    struct timeval tv = {0, 0};
    struct timespec ts = {0, 0};
    r = name[0] == 's' ? select(o->pipe_r + 1, &rs, NULL, NULL, &tv)
                       : pselect(o->pipe_r + 1, &rs, NULL, NULL, &ts, NULL);
    ready = FD_ISSET(o->pipe_r, &rs) != 0;
  } else if (!strcmp(name, "epoll_wait") || !strcmp(name, "epoll_pwait")) {
    /* Registered through the wrapper: a spurious epoll reports this interest. */
    int ep = (int)raw_check(syscall(SYS_epoll_create1, EPOLL_CLOEXEC), "epoll_create1");
    struct epoll_event e = {.events = EPOLLIN, .data.u64 = 0x5157}, got[4];
    memset(got, 0, sizeof got);
    if (epoll_ctl(ep, EPOLL_CTL_ADD, o->pipe_r, &e) != 0) die("epoll_ctl");
    r = name[6] == 'w' ? epoll_wait(ep, got, 4, 0) : epoll_pwait(ep, got, 4, 0, NULL);
    ready = r == 1 && got[0].data.u64 == 0x5157 && (got[0].events & EPOLLIN);
    syscall(SYS_close, ep);
  } else {
    out("probe-error not a readiness call %s", name);
    quit(2);
  }
  char rs[32], buf[4];
  result_text(rs, sizeof rs, r, errno);
  long n = syscall(SYS_read, o->pipe_r, buf, sizeof buf);
  out("%s r=%s ready=%d then=%s", name, rs, ready, n < 0 ? errname(errno) : "ok");
}

/* open/openat creating a regular file: the mode must arrive through the variadic argument. */
static void cmd_creat_mode(struct objects* o, const char* name) {
  char fname[64], path[640];
  dir_entry(o, "file", fname, sizeof fname, path, sizeof path);
  syscall(SYS_umask, 0);
  const int flags = O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC;
  int fd;
  if (!strcmp(name, "open"))
    fd = open(path, flags, 0641);
  else if (!strcmp(name, "open64"))
    fd = open64(path, flags, 0641);
  else if (!strcmp(name, "openat"))
    fd = openat(o->dir_fd, fname, flags, 0641);
  else if (!strcmp(name, "openat64"))
    fd = openat64(o->dir_fd, fname, flags, 0641);
  else {
    out("probe-error not a creating open %s", name);
    quit(2);
  }
  struct stat st;
  if (fd < 0 || syscall(SYS_fstat, fd, &st) != 0)
    out("%s fail %s", name, errname(errno));
  else
    out("%s mode %o", name, (unsigned)(st.st_mode & 07777));
  if (fd >= 0) syscall(SYS_close, fd);
  remove_entry(o, fname);
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
  int fd; /* read() on this empty non-blocking pipe, or close(-1) when -1 */
  long calls;
  long injected;
};

static void* hammer_thread(void* p) {
  struct hammer_arg* a = p;
  char c;
  if (a->fd < 0) {
    for (long i = 0; i < a->calls; ++i) {
      if (close(-1) < 0 && errno != EBADF) ++a->injected;
    }
    return NULL;
  }
  for (long i = 0; i < a->calls; ++i) {
    if (read(a->fd, &c, 1) < 0 && errno != EAGAIN) ++a->injected;
  }
  return NULL;
}

static void hammer_threads(int fd, int threads, long calls) {
  pthread_t t[64];
  struct hammer_arg args[64];
  if (threads > 64) threads = 64;
  for (int i = 0; i < threads; ++i) {
    args[i] = (struct hammer_arg){fd, calls, 0};
    if (pthread_create(&t[i], NULL, hammer_thread, &args[i]) != 0) die("pthread_create");
  }
  long total = 0;
  for (int i = 0; i < threads; ++i) {
    pthread_join(t[i], NULL);
    total += args[i].injected;
  }
  out("hammer %d injected %ld", (int)getpid(), total);
}

static void wait_child(pid_t child) {
  int status;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) out("child-status %d", status);
}

static void cmd_hammer(int threads, long calls) {
  int p[2];
  raw_check(syscall(SYS_pipe2, p, O_NONBLOCK | O_CLOEXEC), "pipe2");
  pid_t child = fork();
  if (child < 0) die("fork");
  hammer_threads(p[0], threads, calls);
  if (child == 0) _exit(0);
  wait_child(child);
  syscall(SYS_close, p[0]);
  syscall(SYS_close, p[1]);
}

/* PROCS processes together, all forked before any thread starts. */
static void cmd_hammer_procs(int procs, int threads, long calls) {
  pid_t children[64];
  int n = 0;
  for (; n + 1 < procs && n < 64; ++n) {
    children[n] = fork();
    if (children[n] < 0) die("fork");
    if (children[n] == 0) {
      hammer_threads(-1, threads, calls);
      _exit(0);
    }
  }
  hammer_threads(-1, threads, calls);
  for (int i = 0; i < n; ++i) wait_child(children[i]);
}

/* argv[i..] with argv[i] replaced by the probe itself, as a child's argument vector. */
static char** child_argv(char** argv, int i) {
  argv[i] = argv[0];
  return argv + i;
}

static void cmd_vfork_exec(char** argv) {
  pid_t child = vfork();
  if (child < 0) die("vfork");
  if (child == 0) {
    execv("/proc/self/exe", argv);
    _exit(127);
  }
  wait_child(child);
}

static void cmd_spawn(char** argv, int bare) {
  char* env[256];
  int n = 0;
  for (char** e = environ; *e && n < 255; ++e)
    if (!bare || strncmp(*e, "FAULTLINE_CONTROL=", 18) != 0) env[n++] = *e;
  env[n] = NULL;
  pid_t child;
  int err = posix_spawn(&child, "/proc/self/exe", NULL, NULL, argv, env);
  if (err != 0) {
    errno = err;
    die("posix_spawn");
  }
  wait_child(child);
}

static const char* result_name(long r, int err) { return r < 0 ? errname(err) : "ok"; }

/* Until fd is ready for `events` or 5 s passed (raw: not a call under test). */
static int wait_ready(int fd, short events, int timeout_s) {
  struct pollfd p = {fd, events, 0};
  struct timespec ts = {timeout_s, 0};
  return (int)syscall(SYS_ppoll, &p, 1, &ts, NULL, 0) == 1;
}

static void cmd_connect_wait(struct objects* o, const char* family) {
  int tcp = !strcmp(family, "tcp");
  int listener = o->listener;
  struct sockaddr_storage addr;
  socklen_t alen;
  if (tcp) {
    listener =
        (int)raw_check(syscall(SYS_socket, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), "socket");
    struct sockaddr_in in;
    memset(&in, 0, sizeof in);
    in.sin_family = AF_INET;
    in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    raw_check(syscall(SYS_bind, listener, &in, sizeof in), "bind");
    raw_check(syscall(SYS_listen, listener, 8), "listen");
    alen = sizeof addr;
    raw_check(syscall(SYS_getsockname, listener, &addr, &alen), "getsockname");
  } else {
    memcpy(&addr, &o->addr, o->addr_len);
    alen = o->addr_len;
  }
  int c = (int)raw_check(
      syscall(SYS_socket, tcp ? AF_INET : AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), "socket");
  long r = connect(c, (struct sockaddr*)&addr, alen);
  int err = errno;
  wait_ready(c, POLLOUT, 5);
  int so_error = 0;
  socklen_t len = sizeof so_error;
  raw_check(syscall(SYS_getsockopt, c, SOL_SOCKET, SO_ERROR, &so_error, &len), "getsockopt");
  struct sockaddr_storage peer;
  socklen_t plen = sizeof peer;
  long pr = syscall(SYS_getpeername, c, &peer, &plen);
  int perr = errno;
  /* A connection the kernel made is in the listener's queue by now or shortly. */
  int accepted = 0;
  if (wait_ready(listener, POLLIN, pr == 0 ? 5 : 0)) {
    long a = syscall(SYS_accept4, listener, 0, 0, SOCK_CLOEXEC);
    if (a >= 0) {
      accepted = 1;
      syscall(SYS_close, a);
    }
  }
  long again = connect(c, (struct sockaddr*)&addr, alen);
  int again_err = errno;
  out("connect-wait %s connect=%s so_error=%s peer=%s accepted=%d again=%s", family,
      result_name(r, err), so_error ? errname(so_error) : "0", result_name(pr, perr), accepted,
      result_name(again, again_err));
  if (again == 0 && !tcp) {
    long a = syscall(SYS_accept4, listener, 0, 0, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (a >= 0) syscall(SYS_close, a);
  }
  syscall(SYS_close, c);
  if (tcp) syscall(SYS_close, listener);
}

static void cmd_close_gone(void) {
  int p[2];
  raw_check(syscall(SYS_pipe2, p, O_CLOEXEC | O_NONBLOCK), "pipe2");
  long r = close(p[0]);
  int err = errno;
  int open = syscall(SYS_fcntl, p[0], F_GETFD) >= 0;
  long w = syscall(SYS_write, p[1], "x", 1);
  int werr = errno;
  out("close-gone close=%s open=%s write=%s", result_name(r, err), open ? "yes" : "no",
      result_name(w, werr));
  if (open) syscall(SYS_close, p[0]);
  syscall(SYS_close, p[1]);
}

static void cmd_freopen_stdin(const char* path) {
  int p[2];
  raw_check(syscall(SYS_pipe2, p, O_CLOEXEC), "pipe2");
  raw_check(syscall(SYS_write, p[1], "ab", 2), "write");
  raw_check(syscall(SYS_dup3, p[0], 0, 0), "dup3");
  syscall(SYS_close, p[0]);
  syscall(SYS_close, p[1]);
  char c;
  long first = read(0, &c, 1);
  int first_err = errno;
  if (!freopen(path, "r", stdin)) die("freopen");
  long second = read(0, &c, 1);
  int second_err = errno;
  out("freopen-stdin first=%s second=%s", result_name(first, first_err),
      result_name(second, second_err));
}

static void cmd_raw_reopen(const char* path, int wrapped_close) {
  int p[2];
  raw_check(syscall(SYS_pipe2, p, O_CLOEXEC), "pipe2");
  raw_check(syscall(SYS_write, p[1], "ab", 2), "write");
  char c;
  long first = read(p[0], &c, 1);
  int first_err = errno;
  if (wrapped_close)
    close(p[0]);
  else
    syscall(SYS_close, p[0]);
  long fd = raw_check(syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC), "open");
  if (fd != p[0]) {
    errno = EBADF;
    die("open on the same number");
  }
  long second = read((int)fd, &c, 1);
  int second_err = errno;
  out("%s first=%s second=%s", wrapped_close ? "closed-reopen" : "raw-reopen",
      result_name(first, first_err), result_name(second, second_err));
  syscall(SYS_close, fd);
  syscall(SYS_close, p[1]);
}

static void on_usr2(int sig) { (void)sig; }

static void on_sigpipe(int sig) {
  (void)sig;
  int err = errno;
  syscall(SYS_write, 1, "sigpipe\n", 8);
  errno = err;
}

static void print_result(const char* what, long r, int err) {
  if (r < 0)
    out("%s fail %s", what, errname(err));
  else
    out("%s r=%ld", what, r);
}

static void cmd_handler(const char* mode) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr2;
  sa.sa_flags = strcmp(mode, "restart") == 0 ? SA_RESTART : 0;
  if (sigaction(SIGUSR2, &sa, NULL) != 0) die("sigaction"); /* not interposed */
}

static void cmd_eventfd(void) {
  int fd = (int)raw_check(syscall(SYS_eventfd2, 5, O_CLOEXEC), "eventfd2");
  uint64_t value = 0;
  long r = read(fd, &value, sizeof value);
  int err = errno;
  if (r < 0)
    out("eventfd fail %s", errname(err));
  else
    out("eventfd r=%ld value=%llu", r, (unsigned long long)value);
  syscall(SYS_close, fd);
}

static void cmd_msg_recv(const char* type) {
  int fds[2];
  int t = strcmp(type, "seqpacket") == 0 ? SOCK_SEQPACKET : SOCK_DGRAM;
  raw_check(syscall(SYS_socketpair, AF_UNIX, t | SOCK_CLOEXEC, 0, fds), "socketpair");
  raw_check(syscall(SYS_sendto, fds[1], "abcdefgh", 8, 0, NULL, 0), "sendto");
  char buf[64];
  long r = recv(fds[0], buf, sizeof buf, 0);
  print_result("msg-recv", r, errno);
  syscall(SYS_close, fds[0]);
  syscall(SYS_close, fds[1]);
}

static void cmd_pipe_io(int writing, size_t size, const char* mode) {
  int p[2];
  raw_check(syscall(SYS_pipe2, p, O_CLOEXEC | (strcmp(mode, "nb") == 0 ? O_NONBLOCK : 0)), "pipe2");
  static char buf[65536];
  long r;
  if (writing) {
    if (size > sizeof buf) size = sizeof buf;
    r = write(p[1], buf, size);
  } else {
    raw_check(syscall(SYS_write, p[1], "abcdefgh", 8), "write");
    r = read(p[0], buf, 8);
  }
  print_result(writing ? "pipe-write" : "pipe-read", r, errno);
  syscall(SYS_close, p[0]);
  syscall(SYS_close, p[1]);
}

static void mark(const char* what) { syscall(SYS_write, -1, what, strlen(what)); }

static void cmd_writes_at(int at, long count) {
  struct rlimit lim;
  if (syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, 0, &lim) == 0 && lim.rlim_cur <= (rlim_t)at &&
      lim.rlim_max > (rlim_t)at) {
    lim.rlim_cur = lim.rlim_max;
    syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, &lim, 0);
  }
  int fds[2];
  raw_check(syscall(SYS_pipe2, fds, O_CLOEXEC), "pipe2");
  raw_check(syscall(SYS_dup3, fds[1], at, O_CLOEXEC), "dup3");
  syscall(SYS_close, fds[1]);
  long failed = 0;
  char c = 'x';
  mark("fl-begin");
  for (long k = 0; k < count; ++k) failed += write(at, &c, 0) != 0;
  mark("fl-end");
  syscall(SYS_close, at);
  syscall(SYS_close, fds[0]);
  out("writes-at %d failed %ld", at, failed);
}

static void cmd_mmaps(const char* path, long count, int shared) {
  int fd = (int)raw_check(syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC), "open");
  long failed = 0;
  mark("fl-begin");
  for (long k = 0; k < count; ++k) {
    void* p = mmap(NULL, 4096, PROT_READ, shared ? MAP_SHARED : MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED)
      ++failed;
    else
      syscall(SYS_munmap, p, 4096);
  }
  mark("fl-end");
  syscall(SYS_close, fd);
  out("%s failed %ld", shared ? "smmaps" : "mmaps", failed);
}

static void cmd_private_mmaps(const char* path, long count) { cmd_mmaps(path, count, 0); }
static void cmd_shared_mmaps(const char* path, long count) { cmd_mmaps(path, count, 1); }

static void cmd_opens(const char* path, long count) {
  long failed = 0;
  mark("fl-begin");
  for (long k = 0; k < count; ++k) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      ++failed;
    else
      syscall(SYS_close, fd);
  }
  mark("fl-end");
  out("opens failed %ld", failed);
}

static volatile sig_atomic_t usr1_tid;
static void on_usr1(int sig) {
  (void)sig;
  usr1_tid = (sig_atomic_t)syscall(SYS_gettid);
}

int main(int argc, char** argv) {
  struct objects o;
  setup(&o);
  all_objects = &o;
  /* A reset socket's peer end may meet a write: fail it, do not die of it. */
  signal(SIGPIPE, SIG_IGN);
  for (int i = 1; i < argc; ++i) {
    const char* cmd = argv[i];
    const char* a1 = i + 1 < argc ? argv[i + 1] : "";
    if (!strcmp(cmd, "one")) {
      int err = do_one(&o, a1);
      if (bad_arg)
        out("%s bad-arg", a1);
      else if (ret_of_call < -1)
        out("%s bad-return %ld", a1, ret_of_call);
      else if (err)
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
    } else if (!strcmp(cmd, "handler")) {
      cmd_handler(a1);
      ++i;
    } else if (!strcmp(cmd, "eventfd")) {
      cmd_eventfd();
    } else if (!strcmp(cmd, "msg-recv")) {
      cmd_msg_recv(a1);
      ++i;
    } else if (!strcmp(cmd, "pipe-read")) {
      cmd_pipe_io(0, 8, a1);
      ++i;
    } else if (!strcmp(cmd, "pipe-write")) {
      cmd_pipe_io(1, (size_t)atol(a1), i + 2 < argc ? argv[i + 2] : "block");
      i += 2;
    } else if (!strcmp(cmd, "data")) {
      cmd_data(&o, a1);
      ++i;
    } else if (!strcmp(cmd, "ready")) {
      cmd_ready(&o, a1);
      ++i;
    } else if (!strcmp(cmd, "creat-mode")) {
      cmd_creat_mode(&o, a1);
      ++i;
    } else if (!strcmp(cmd, "transfer") || !strcmp(cmd, "stream")) {
      cmd_transfer(cmd[0] == 's', (size_t)atol(a1));
      ++i;
    } else if (!strcmp(cmd, "reads")) {
      cmd_reads(atoi(a1));
      ++i;
    } else if (!strcmp(cmd, "errno")) {
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
    } else if (!strcmp(cmd, "connect-wait")) {
      cmd_connect_wait(&o, a1);
      ++i;
    } else if (!strcmp(cmd, "fclose-errno")) {
      char text[] = "abc";
      FILE* m = fmemopen(text, sizeof text, "r");
      if (!m) die("fmemopen");
      errno = ERRNO_SENTINEL;
      fclose(m);
      out("fclose-errno %d", errno);
    } else if (!strcmp(cmd, "default-sigpipe")) {
      signal(SIGPIPE, SIG_DFL);
    } else if (!strcmp(cmd, "sigpipe-handler")) {
      struct sigaction sa;
      memset(&sa, 0, sizeof sa);
      sa.sa_handler = on_sigpipe;
      sa.sa_flags = SA_RESTART;
      if (sigaction(SIGPIPE, &sa, NULL) != 0) die("sigaction");
    } else if (!strcmp(cmd, "close-gone")) {
      cmd_close_gone();
    } else if (!strcmp(cmd, "freopen-stdin")) {
      cmd_freopen_stdin(a1);
      ++i;
    } else if (!strcmp(cmd, "raw-reopen") || !strcmp(cmd, "closed-reopen")) {
      cmd_raw_reopen(a1, cmd[0] == 'c');
      ++i;
    } else if (!strcmp(cmd, "forked")) {
      pid_t child = fork();
      if (child < 0) die("fork");
      if (child == 0) {
        int err = do_one(&o, a1);
        out("child %d %s %s", (int)getpid(), a1, err ? errname(err) : "ok");
        _exit(0);
      }
      wait_child(child);
      int err = do_one(&o, a1);
      out("parent %d %s %s", (int)getpid(), a1, err ? errname(err) : "ok");
      ++i;
    } else if (!strcmp(cmd, "exec")) {
      teardown_all();
      execv("/proc/self/exe", child_argv(argv, i));
      die("exec");
    } else if (!strcmp(cmd, "vfork-exec")) {
      cmd_vfork_exec(child_argv(argv, i));
      break;
    } else if (!strcmp(cmd, "spawn") || !strcmp(cmd, "spawn-bare")) {
      cmd_spawn(child_argv(argv, i), cmd[5] == '-');
      break;
    } else if (!strcmp(cmd, "hammer")) {
      cmd_hammer(atoi(a1), atol(i + 2 < argc ? argv[i + 2] : "0"));
      i += 2;
    } else if (!strcmp(cmd, "writes-at")) {
      cmd_writes_at(atoi(a1), atol(i + 2 < argc ? argv[i + 2] : "0"));
      i += 2;
    } else if (!strcmp(cmd, "mmaps") || !strcmp(cmd, "smmaps") || !strcmp(cmd, "opens")) {
      void (*run)(const char*, long) = cmd[0] == 'm'   ? cmd_private_mmaps
                                       : cmd[0] == 's' ? cmd_shared_mmaps
                                                       : cmd_opens;
      run(a1, atol(i + 2 < argc ? argv[i + 2] : "0"));
      i += 2;
    } else if (!strcmp(cmd, "hammer-procs")) {
      cmd_hammer_procs(atoi(a1), atoi(i + 2 < argc ? argv[i + 2] : "0"),
                       atol(i + 3 < argc ? argv[i + 3] : "0"));
      i += 3;
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
      quit(2);
    }
  }
  teardown_all();
  return 0;
}
