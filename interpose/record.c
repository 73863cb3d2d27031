/* The loaded modules, for recording (fl_control.record): where a call came from, as an ELF
 * file and a link-time address, so that the runner can symbolize and target it after the
 * processes are gone; and for site= ranges in a library the program dlopens later.
 * The modules are listed with dl_iterate_phdr in the constructor; a caller in none of them
 * (a library dlopen'ed later) makes the list be looked at again, a few times per process at
 * most. Plain libc, no allocation, no stdio, stat and readlink through raw system calls. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "interpose.h"
#include "rule_engine.h"

#define FL_LOCAL_MODULES 512
#define FL_RESCANS 8 /* dl_iterate_phdr calls after the constructor's, per process */

/* One loaded ELF file: its loaded segments span [lo, hi); link-time = address - base. */
struct fl_local_module {
  uint64_t lo;
  uint64_t hi;
  uint64_t base;
  uint64_t dev;
  uint64_t ino;
};

/* Appended to by one thread at a time (fl_scanning), entries published by fl_module_count
 * (release); read by any thread without a lock. A forked child inherits them as they are. */
static struct fl_local_module fl_modules[FL_LOCAL_MODULES];
static _Atomic uint32_t fl_module_count;
static _Atomic int fl_scanning;
static _Atomic int fl_rescans_left;

/* A path into the control block's module table, once per file (a race may add it twice). */
static void fl_module_publish(struct fl_control* ctl, uint64_t dev, uint64_t ino,
                              const char* path) {
  for (int i = 0; i < FL_MAX_MODULES; ++i) {
    struct fl_module* m = &ctl->modules[i];
    uint32_t state = atomic_load_explicit(&m->state, memory_order_acquire);
    if (state == 0) {
      uint32_t expected = 0;
      if (atomic_compare_exchange_strong_explicit(&m->state, &expected, 1, memory_order_acquire,
                                                  memory_order_acquire)) {
        m->dev = dev;
        m->ino = ino;
        size_t k = 0;
        for (; path && k + 1 < FL_MODULE_PATH && path[k] != '\0'; ++k) m->path[k] = path[k];
        m->path[k] = '\0';
        atomic_store_explicit(&m->state, 2, memory_order_release);
        return;
      }
      state = expected;
    }
    if (state == 2 && m->dev == dev && m->ino == ino) return;
  }
}

static int fl_module_known(uint64_t base, uint64_t dev, uint64_t ino, uint32_t n) {
  for (uint32_t i = 0; i < n; ++i)
    if (fl_modules[i].base == base && fl_modules[i].dev == dev && fl_modules[i].ino == ino)
      return 1;
  return 0;
}

static int fl_record_module(struct dl_phdr_info* info, size_t size, void* data) {
  (void)size;
  struct fl_control* ctl = data;
  char exe[FL_MODULE_PATH];
  const char* path = info->dlpi_name;
  if (!path || !path[0]) {
    /* The main program has no name here. */
    long n = syscall(SYS_readlink, "/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return 0;
    exe[n] = '\0';
    path = exe;
  }
  struct stat st;
  /* The vdso's name is no file and fails here. */
  if (syscall(SYS_newfstatat, AT_FDCWD, path == exe ? "/proc/self/exe" : path, &st, 0) != 0)
    return 0;
  uint64_t lo = UINT64_MAX, hi = 0;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)* ph = &info->dlpi_phdr[i];
    if (ph->p_type != PT_LOAD) continue;
    uint64_t a = (uint64_t)info->dlpi_addr + ph->p_vaddr;
    if (a < lo) lo = a;
    if (a + ph->p_memsz > hi) hi = a + ph->p_memsz;
  }
  uint32_t n = atomic_load_explicit(&fl_module_count, memory_order_relaxed);
  if (lo >= hi || n >= FL_LOCAL_MODULES ||
      fl_module_known((uint64_t)info->dlpi_addr, (uint64_t)st.st_dev, (uint64_t)st.st_ino, n))
    return 0;
  fl_modules[n] = (struct fl_local_module){lo, hi, (uint64_t)info->dlpi_addr, (uint64_t)st.st_dev,
                                           (uint64_t)st.st_ino};
  atomic_store_explicit(&fl_module_count, n + 1, memory_order_release);
  if (ctl->record) fl_module_publish(ctl, (uint64_t)st.st_dev, (uint64_t)st.st_ino, path);
  return 0;
}

static void fl_scan_modules(struct fl_control* ctl) {
  int saved = errno;
  dl_iterate_phdr(fl_record_module, ctl);
  errno = saved;
}

void fl_record_init(struct fl_control* ctl) {
  if (!ctl->record && !fl_site_pending) return;
  atomic_store_explicit(&fl_rescans_left, FL_RESCANS, memory_order_relaxed);
  fl_scan_modules(ctl);
  fl_recording = ctl->record != 0;
}

static int fl_site_lookup(uint64_t pc, uint64_t* dev, uint64_t* ino, uint64_t* offset) {
  uint32_t n = atomic_load_explicit(&fl_module_count, memory_order_acquire);
  for (uint32_t i = 0; i < n; ++i) {
    const struct fl_local_module* m = &fl_modules[i];
    if (pc >= m->lo && pc < m->hi) {
      *dev = m->dev;
      *ino = m->ino;
      *offset = pc + 1 - m->base;
      return 1;
    }
  }
  return 0;
}

int fl_module_of(struct fl_control* ctl, uint64_t caller, uint64_t* dev, uint64_t* ino,
                 uint64_t* offset) {
  /* The return address may be one past a module's last byte (a call that never returns). */
  uint64_t pc = caller - 1;
  if (fl_site_lookup(pc, dev, ino, offset)) return 1;
  if (atomic_load_explicit(&fl_rescans_left, memory_order_relaxed) > 0) {
    int idle = 0;
    if (atomic_compare_exchange_strong(&fl_scanning, &idle, 1)) {
      atomic_fetch_sub_explicit(&fl_rescans_left, 1, memory_order_relaxed);
      fl_scan_modules(ctl);
      fl_site_refresh(ctl);
      atomic_store(&fl_scanning, 0);
      if (fl_site_lookup(pc, dev, ino, offset)) return 1;
    }
  }
  *dev = 0;
  *ino = 0;
  *offset = caller;
  return 0;
}

struct fl_recorded* fl_record_site(struct fl_control* ctl, uint64_t caller, int call,
                                   unsigned shape) {
  uint64_t dev, ino, offset;
  fl_module_of(ctl, caller, &dev, &ino, &offset);
  unsigned depth = 0;
  struct fl_frame outer[FL_CONTEXT_MAX - 1];
  if (__builtin_expect(ctl->record_context > 1, 0)) {
    /* The calling context: the frames outside the caller, each placed like the caller. */
    uint64_t pcs[FL_CONTEXT_MAX - 1];
    uint32_t want = ctl->record_context < FL_CONTEXT_MAX ? ctl->record_context : FL_CONTEXT_MAX;
    int n = fl_context_frames(caller, pcs, (int)want - 1);
    for (int i = 0; i < n; ++i) {
      fl_module_of(ctl, pcs[i], &outer[i].dev, &outer[i].ino, &outer[i].offset);
      depth = (unsigned)i + 1;
    }
  }
  return fl_record_slot_context(ctl, fl_process, call, dev, ino, offset, outer, depth, shape, 0);
}
