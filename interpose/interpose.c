/* The interposer's global state and its load-time constructor. Every global of
 * libfaultline-interpose.so lives in this file.
 *
 * Rules of the house for everything in interpose/: no allocation, locks, stdio or exceptions
 * on the call path; errno preserved exactly when nothing is injected; files are opened and
 * mapped with raw syscalls so that our own wrappers never see them; no thread of our own. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "interpose.h"

/* Written once by fl_init (load time, before main and before any thread of the program),
 * then only read. NULL and all-zero mean pass-through, which is also what a wrapper called
 * before the constructor sees. */
struct fl_control* fl_ctl;
uint64_t fl_armed[FL_MAX_CALLS / 64];
char fl_process[FL_NAME_MAX];
uint64_t fl_shm_dev = UINT64_MAX; /* st_dev of /dev/shm: POSIX shared memory lives there */

/* Per thread: set while the interposer itself is deciding or recording, so that a signal
 * handler calling a wrapped function on the same thread passes straight through. */
__thread int fl_busy __attribute__((tls_model("initial-exec")));

/* The real functions, filled lazily by fl_resolve from any thread (a racing store writes the
 * same value). */
_Atomic(void*) fl_real[FL_CALL_COUNT];

static const char* const fl_symbols[FL_CALL_COUNT] = {
#define FL_CALL(name, base, family, ret, fail, params, args, object, kinds, errnos) #name,
#include "calls.def"
#undef FL_CALL
};

static void fl_say(const char* a, const char* b) {
  syscall(SYS_write, 2, a, strlen(a));
  if (b) syscall(SYS_write, 2, b, strlen(b));
  syscall(SYS_write, 2, "\n", 1);
}

void* fl_resolve(int call) {
  int saved = errno;
  void* p = dlsym(RTLD_NEXT, fl_symbols[call]);
  if (!p) {
    fl_say("faultline: the C library has no symbol ", fl_symbols[call]);
    abort();
  }
  atomic_store_explicit(&fl_real[call], p, memory_order_release);
  errno = saved;
  return p;
}

/* Under a control block, resolved now rather than on first use, so that no call of the
 * program runs dlsym (which takes the loader's lock) once main has started. Without one the
 * interposer stays a lazy pass-through: loading it into a process costs as little as it can. */
static void fl_resolve_all(void) {
  for (int i = 0; i < FL_CALL_COUNT; ++i) {
    if (atomic_load_explicit(&fl_real[i], memory_order_relaxed)) continue;
    void* p = dlsym(RTLD_NEXT, fl_symbols[i]);
    if (p) atomic_store_explicit(&fl_real[i], p, memory_order_release);
  }
}

static void fl_arm(int call) { fl_armed[call >> 6] |= 1ull << (call & 63); }

/* What the rules need armed beyond their own calls. */
static void fl_arm_helpers(const struct fl_control* ctl) {
  uint32_t n = ctl->rule_count < FL_MAX_RULES ? ctl->rule_count : FL_MAX_RULES;
  for (uint32_t i = 0; i < n; ++i) {
    const struct fl_rule* r = &ctl->rules[i];
    int epoll = (r->call_mask[FL_CALL_epoll_wait >> 6] >> (FL_CALL_epoll_wait & 63)) & 1;
    epoll |= (r->call_mask[FL_CALL_epoll_pwait >> 6] >> (FL_CALL_epoll_pwait & 63)) & 1;
    /* A spurious epoll_wait reports an interest registered with epoll_ctl. */
    if (r->action == FL_ACT_SPURIOUS && epoll) fl_arm(FL_CALL_epoll_ctl);
  }
}

__attribute__((constructor)) static void fl_init(void) {
  int saved = errno;
  /* Copied now: programs may wipe or overwrite their environment later. */
  const char* name = getenv("FAULTLINE_PROCESS");
  if (name) {
    size_t i = 0;
    for (; i + 1 < FL_NAME_MAX && name[i] != '\0'; ++i) fl_process[i] = name[i];
    fl_process[i] = '\0';
  }
  const char* path = getenv("FAULTLINE_CONTROL");
  if (!path || !*path) goto out;
  long fd = syscall(SYS_openat, AT_FDCWD, path, O_RDWR | O_CLOEXEC);
  if (fd < 0) goto out;
  struct {
    uint32_t magic, version, size;
  } head;
  struct stat st;
  if (syscall(SYS_pread64, fd, &head, sizeof head, 0) != (long)sizeof head ||
      syscall(SYS_fstat, fd, &st) != 0 || head.magic != FL_CONTROL_MAGIC) {
    syscall(SYS_close, fd);
    goto out;
  }
  if (head.version != FL_CONTROL_VERSION) {
    fl_say(
        "faultline: control block version differs from this interposer's; faults are off "
        "(use the interposer that came with the faultline runner): ",
        path);
    syscall(SYS_close, fd);
    goto out;
  }
  if (head.size != sizeof(struct fl_control) || st.st_size < (off_t)sizeof(struct fl_control)) {
    fl_say("faultline: control block has the wrong size; faults are off: ", path);
    syscall(SYS_close, fd);
    goto out;
  }
  long addr =
      syscall(SYS_mmap, 0, sizeof(struct fl_control), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  syscall(SYS_close, fd);
  if (addr == -1) goto out;
  struct stat shm;
  if (syscall(SYS_newfstatat, AT_FDCWD, "/dev/shm", &shm, 0) == 0)
    fl_shm_dev = (uint64_t)shm.st_dev;
  struct fl_control* ctl = (struct fl_control*)addr;
  fl_resolve_all();
  fl_site_init(ctl);
  fl_ctl = ctl;
  memcpy(fl_armed, ctl->armed, sizeof fl_armed);
  /* The rules' call families too: counted, so that a rule that never fired can say which
   * related calls the process made instead. */
  for (int w = 0; w < FL_MAX_CALLS / 64; ++w) fl_armed[w] |= ctl->counted[w];
  fl_arm_helpers(ctl);
out:
  errno = saved;
}
