/* site= matching: where this process loaded the ELF files that the rules' site ranges name.
 * Runs from the constructor, before any wrapper can match a site= rule, and again when a
 * call comes from a module loaded since (a dlopen'ed library, record.c). Plain libc, no
 * allocation, no stdio; stat through raw system calls so the wrappers never see them. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "interpose.h"

/* The (st_dev, st_ino) of `path`, as stat(2) in the runner reports them. */
static int fl_site_stat(const char* path, uint64_t* dev, uint64_t* ino) {
#ifdef SYS_newfstatat
  struct stat st;
  if (syscall(SYS_newfstatat, AT_FDCWD, path, &st, 0) != 0) return -1;
  *dev = (uint64_t)st.st_dev;
  *ino = (uint64_t)st.st_ino;
#else
  struct statx st;
  if (syscall(SYS_statx, AT_FDCWD, path, 0, STATX_INO, &st) != 0) return -1;
  *dev = (uint64_t)makedev(st.stx_dev_major, st.stx_dev_minor);
  *ino = (uint64_t)st.stx_ino;
#endif
  return 0;
}

static uint32_t fl_site_rule_count(const struct fl_control* ctl) {
  return ctl->rule_count < FL_MAX_RULES ? ctl->rule_count : FL_MAX_RULES;
}

static uint32_t fl_site_range_count(const struct fl_rule* r) {
  if (r->site[0] == '\0') return 0;
  return r->site_count < FL_SITE_RANGES ? r->site_count : FL_SITE_RANGES;
}

static uint32_t fl_context_range_count(const struct fl_rule* r) {
  if (r->site[0] == '\0' || r->context_depth <= 1) return 0;
  return r->context_count < FL_CONTEXT_RANGES ? r->context_count : FL_CONTEXT_RANGES;
}

static int fl_site_module(struct dl_phdr_info* info, size_t size, void* data) {
  (void)size;
  const struct fl_control* ctl = data;
  /* The main program has no name here; the vdso's name is no file and fails stat. */
  const char* path = info->dlpi_name && info->dlpi_name[0] ? info->dlpi_name : "/proc/self/exe";
  uint64_t dev = 0, ino = 0;
  if (fl_site_stat(path, &dev, &ino) != 0) return 0;
  uint32_t rules = fl_site_rule_count(ctl);
  for (uint32_t i = 0; i < rules; ++i) {
    const struct fl_rule* r = &ctl->rules[i];
    uint32_t n = fl_site_range_count(r);
    for (uint32_t k = 0; k < n; ++k) {
      if (r->site_ranges[k].dev == dev && r->site_ranges[k].ino == ino)
        __atomic_store_n(&fl_site_base[(uint64_t)i * FL_SITE_RANGES + k],
                         (uint64_t)info->dlpi_addr, __ATOMIC_RELAXED);
    }
    uint32_t c = fl_context_range_count(r);
    for (uint32_t k = 0; k < c; ++k) {
      if (r->context_ranges[k].dev == dev && r->context_ranges[k].ino == ino)
        __atomic_store_n(&fl_context_base[(uint64_t)i * FL_CONTEXT_RANGES + k],
                         (uint64_t)info->dlpi_addr, __ATOMIC_RELAXED);
    }
  }
  return 0;
}

/* Whether a site range names a file that is not loaded (yet): a library the program may
 * dlopen later. */
static int fl_site_unloaded(const struct fl_control* ctl) {
  uint32_t rules = fl_site_rule_count(ctl);
  for (uint32_t i = 0; i < rules; ++i) {
    uint32_t n = fl_site_range_count(&ctl->rules[i]);
    for (uint32_t k = 0; k < n; ++k)
      if (fl_site_base[(uint64_t)i * FL_SITE_RANGES + k] == UINT64_MAX) return 1;
    uint32_t c = fl_context_range_count(&ctl->rules[i]);
    for (uint32_t k = 0; k < c; ++k)
      if (fl_context_base[(uint64_t)i * FL_CONTEXT_RANGES + k] == UINT64_MAX) return 1;
  }
  return 0;
}

void fl_site_init(const struct fl_control* ctl) {
  for (size_t i = 0; i < FL_MAX_RULES * FL_SITE_RANGES; ++i) fl_site_base[i] = UINT64_MAX;
  for (size_t i = 0; i < FL_MAX_RULES * FL_CONTEXT_RANGES; ++i) fl_context_base[i] = UINT64_MAX;
  int wanted = 0;
  if (ctl) {
    uint32_t rules = fl_site_rule_count(ctl);
    for (uint32_t i = 0; i < rules && !wanted; ++i)
      wanted = fl_site_range_count(&ctl->rules[i]) > 0;
  }
  if (wanted) {
    int saved = errno; /* the failed stat of the vdso must not show in the program's errno */
    dl_iterate_phdr(fl_site_module, (void*)ctl);
    errno = saved;
    fl_site_pending = fl_site_unloaded(ctl);
  }
  __atomic_store_n(&fl_site_ready, 1, __ATOMIC_RELEASE);
}

void fl_site_refresh(const struct fl_control* ctl) {
  if (!fl_site_pending) return;
  int saved = errno;
  dl_iterate_phdr(fl_site_module, (void*)ctl);
  errno = saved;
}
