/* Internals shared by the interposer's files: the globals of interpose.c and the lazy
 * resolution of the real libc functions. Nothing here is exported (version script). */
#ifndef FAULTLINE_INTERPOSE_H
#define FAULTLINE_INTERPOSE_H

#include <stdatomic.h>
#include <stdint.h>

#include "faultline_control.h"

#pragma GCC visibility push(hidden)

/* What a call reads on its way through the wrappers lies together: the small globals it reads
 * in one section (FL_HOT_DATA, zero-initialised ones only) and its code in .text.hot
 * (FL_HOT, which the linker puts together). A system call here flushes the TLB (page-table
 * isolation without PCID, in the VMs this runs in), so each page the wrapper touches after
 * it is one more page walk per call: fewer pages, fewer nanoseconds (docs/performance.md). */
#define FL_HOT_DATA __attribute__((section(".bss.fl_hot")))
#define FL_HOT __attribute__((hot))

extern struct fl_control* fl_ctl;
extern uint64_t fl_armed[FL_MAX_CALLS / 64];
extern char fl_process[FL_NAME_MAX];
extern uint64_t fl_shm_dev;
extern uint64_t fl_anon_dev;
extern uint64_t fl_pidfs_dev;
#define FL_PATH_MAX 4096
extern _Atomic int fl_ctl_fd;
extern int fl_ctl_fd_wanted;
extern uint64_t fl_ctl_dev;
extern uint64_t fl_ctl_ino;
extern char fl_ctl_path[FL_PATH_MAX];
extern __thread int fl_busy __attribute__((tls_model("initial-exec")));
extern _Atomic(void*) fl_real[FL_CALL_COUNT];

/* site= matching (site.c): per rule and range, the load address in this process of the ELF
 * module the range belongs to, UINT64_MAX when that module is not loaded here. Filled by
 * fl_site_init from the constructor; fl_site_ready says it is (wrappers called earlier do
 * not match site= rules). */
extern uint64_t fl_site_base[FL_MAX_RULES * FL_SITE_RANGES];
extern int fl_site_ready;
/* Finds, for every site= rule of `ctl`, the modules already loaded (dl_iterate_phdr; the main
 * program and its DT_NEEDED libraries) whose (st_dev, st_ino) equal a range's. Runs once, in
 * the constructor: never on a call path. */
void fl_site_init(const struct fl_control* ctl);
/* A site range names a file that was not loaded at fl_site_init (a library the program may
 * dlopen later): calls from code outside the known modules make the modules be listed again
 * (fl_module_of) and fl_site_refresh fill in the bases found. */
extern int fl_site_pending;
void fl_site_refresh(const struct fl_control* ctl);

/* The loaded modules (record.c), listed by fl_record_init from the constructor when the
 * control block asks for a recording (fl_recording set) or a site= range waits for a module
 * not loaded yet (fl_site_pending). */
extern int fl_recording;
void fl_record_init(struct fl_control* ctl);
/* The caller's module (dev, ino) and link-time return address; dev = ino = 0 and the
 * absolute address when it lies in no module, even after listing them again (at most 8
 * times per process; each time also fills in fl_site_base). Returns 1 when found. */
int fl_module_of(struct fl_control* ctl, uint64_t caller, uint64_t* dev, uint64_t* ino,
                 uint64_t* offset);

/* Calling contexts (context.c): with a context rule (site=A<B) or a recording of K > 1
 * frames, fl_context_init (constructor) loads libunwind.so.8 privately (RTLD_LOCAL: its
 * _Unwind_* must not replace the program's C++ unwinder) and sets fl_context_ready; when it
 * cannot, the process says so on stderr and exits 127 (a process that cannot be matched would
 * be an escape). fl_context_base: per rule and context range, the load address of its module
 * in this process (UINT64_MAX: not loaded), filled by site.c with fl_site_base. */
extern uint64_t fl_context_base[FL_MAX_RULES * FL_CONTEXT_RANGES];
extern int fl_context_ready;
void fl_context_init(const struct fl_control* ctl);
/* The return addresses of up to `want` frames outside the frame that `caller` returns into
 * (its caller's first); the count found, 0 when none (no context loaded, `caller` not on the
 * stack). No allocation, no lock of its own, errno preserved. */
int fl_context_frames(uint64_t caller, uint64_t* out, int want);
/* Recording: the slot of this call at its caller (and, with record_context K > 1, its K-1
 * outer frames), found or claimed; NULL when the table is full. */
struct fl_recorded* fl_record_site(struct fl_control* ctl, uint64_t caller, int call,
                                   unsigned shape);

/* Resolves the next definitions of the observing wrappers (observe.c) from the constructor:
 * syscall() always (the pass-through is hot in some programs and must not run dlsym from
 * main on), the others when `all` (under a control block); liburing's stay unresolved in a
 * program without liburing. */
void fl_observe_init(int all);

/* Resolves the real functions of hooks.def's wrappers (wrap_hooks.c) from the constructor of
 * a process under a control block. */
void fl_hooks_init(void);

/* dlsym(RTLD_NEXT) for the call's symbol; caches the result. Never returns NULL. */
__attribute__((cold)) void* fl_resolve(int call);

static inline void* fl_real_fn(int call) {
  void* p = atomic_load_explicit(&fl_real[call], memory_order_acquire);
  return __builtin_expect(p != 0, 1) ? p : fl_resolve(call);
}

/* The whole cost of a call with no rule: one load and one predictable branch. */
static inline int fl_is_armed(int call) {
  return __builtin_expect(
      (__atomic_load_n(&fl_armed[call >> 6], __ATOMIC_RELAXED) >> (call & 63)) & 1, 0);
}

/* Whether fd is the control file this process keeps for its children (fl_ctl_fd), checked
 * against the file's identity: a raw close(2) the wrappers never saw may have freed the
 * number for a file of the program's. One load and a branch for every other fd. */
__attribute__((cold)) int fl_control_fd_still_ours(int fd);
static inline int fl_is_control_fd(int fd) {
  int keep = atomic_load_explicit(&fl_ctl_fd, memory_order_relaxed);
  return __builtin_expect(keep >= 0 && fd == keep, 0) && fl_control_fd_still_ours(fd);
}
/* The program puts a file of its own on fd (dup2, dup3): if that was the control file's
 * number, the number is the program's from now on. */
static inline void fl_control_fd_taken(int fd) {
  int keep = atomic_load_explicit(&fl_ctl_fd, memory_order_relaxed);
  if (__builtin_expect(keep >= 0 && fd == keep, 0))
    atomic_store_explicit(&fl_ctl_fd, -1, memory_order_relaxed);
}

#pragma GCC visibility pop

#endif /* FAULTLINE_INTERPOSE_H */
