/* Internals shared by the interposer's files: the globals of interpose.c and the lazy
 * resolution of the real libc functions. Nothing here is exported (version script). */
#ifndef FAULTLINE_INTERPOSE_H
#define FAULTLINE_INTERPOSE_H

#include <stdatomic.h>
#include <stdint.h>

#include "faultline_control.h"

#pragma GCC visibility push(hidden)

extern struct fl_control* fl_ctl;
extern uint64_t fl_armed[FL_MAX_CALLS / 64];
extern char fl_process[FL_NAME_MAX];
extern __thread int fl_busy __attribute__((tls_model("initial-exec")));
extern _Atomic(void*) fl_real[FL_CALL_COUNT];

/* dlsym(RTLD_NEXT) for the call's symbol; caches the result. Never returns NULL. */
__attribute__((cold)) void* fl_resolve(int call);

static inline void* fl_real_fn(int call) {
  void* p = atomic_load_explicit(&fl_real[call], memory_order_acquire);
  return __builtin_expect(p != 0, 1) ? p : fl_resolve(call);
}

/* The whole cost of a call with no rule: one load and one predictable branch. */
static inline int fl_is_armed(int call) {
  return __builtin_expect((fl_armed[call >> 6] >> (call & 63)) & 1, 0);
}

#pragma GCC visibility pop

#endif /* FAULTLINE_INTERPOSE_H */
