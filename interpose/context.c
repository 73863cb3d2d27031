/* Calling contexts: `faultline explore --context K` and site=INNER<CALLER<... (docs/faults.md,
 * "Calling contexts"). A site is then the K innermost frames of a call, the caller's return
 * address and the K-1 return addresses outside it, found by walking the stack with libunwind.
 *
 * libunwind is loaded only when the control block asks for contexts, and privately:
 * libunwind.so.8 exports _Unwind_* too, which as a link dependency of the preloaded
 * interposer would replace libgcc_s's C++ exception unwinder in every program under test.
 * dlopen(RTLD_LOCAL) keeps its symbols out of the global scope. Its caching is off
 * (UNW_CACHE_NONE): no lock of its own, no cache to allocate. Each step looks the frame's
 * unwind table up through dl_iterate_phdr (the loader's module list and its lock), which is
 * the cost a context rule pays, on the calls whose caller matched only. */
#define _GNU_SOURCE
#define UNW_LOCAL_ONLY
#include <dlfcn.h>
#include <errno.h>
#include <libunwind.h>
#include <stddef.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "interpose.h"
#include "rule_engine.h"

/* Frames between the unwinder and the frame a wrapper returns into: this function, the rule
 * engine or the recording, the wrapper's slow path and the wrapper; generous. */
#define FL_CONTEXT_SKIP 24

static struct {
  int (*getcontext)(unw_context_t*);
  int (*init_local)(unw_cursor_t*, unw_context_t*);
  int (*step)(unw_cursor_t*);
  int (*get_reg)(unw_cursor_t*, unw_regnum_t, unw_word_t*);
} fl_unw;

int fl_context_frames(uint64_t caller, uint64_t* out, int want) {
  if (!fl_context_ready || caller == 0 || want <= 0) return 0;
  int saved = errno;
  unw_context_t uc;
  unw_cursor_t cursor;
  int n = 0;
  if (fl_unw.getcontext(&uc) == 0 && fl_unw.init_local(&cursor, &uc) == 0) {
    int found = 0;
    for (int k = 0; k < FL_CONTEXT_SKIP && !found && fl_unw.step(&cursor) > 0; ++k) {
      unw_word_t ip = 0;
      if (fl_unw.get_reg(&cursor, UNW_REG_IP, &ip) != 0) break;
      found = (uint64_t)ip == caller;
    }
    while (found && n < want && fl_unw.step(&cursor) > 0) {
      unw_word_t ip = 0;
      if (fl_unw.get_reg(&cursor, UNW_REG_IP, &ip) != 0 || ip == 0) break;
      out[n++] = (uint64_t)ip;
    }
  }
  errno = saved;
  return n;
}

/* A recording of contexts, or a context rule this process may match (one of another
 * process never does: the others of the run do not load libunwind for it). */
static int fl_context_wanted(const struct fl_control* ctl) {
  if (ctl->record && ctl->record_context > 1) return 1;
  uint32_t rules = ctl->rule_count < FL_MAX_RULES ? ctl->rule_count : FL_MAX_RULES;
  for (uint32_t i = 0; i < rules; ++i) {
    const struct fl_rule* r = &ctl->rules[i];
    if (r->site[0] == '\0' || r->context_depth <= 1) continue;
    if (r->process[0] == '\0' || strncmp(r->process, fl_process, FL_NAME_MAX) == 0) return 1;
  }
  return 0;
}

static size_t fl_strlen(const char* s) {
  size_t n = 0;
  while (s && s[n]) ++n;
  return n;
}

/* A process that cannot walk its stack cannot be matched against a context: running it
 * unmatched would pass it untested. It says why and ends (raw writes: no stdio here). */
__attribute__((noreturn)) static void fl_context_unavailable(const char* why) {
  static const char head[] =
      "faultline: this run matches calling contexts (explore --context K, site=A<B), which "
      "needs libunwind.so.8 (Debian: libunwind8): ";
  syscall(SYS_write, 2, head, sizeof head - 1);
  syscall(SYS_write, 2, why, fl_strlen(why));
  syscall(SYS_write, 2, "\n", 1);
  syscall(SYS_exit_group, 127);
  __builtin_unreachable();
}

void fl_context_init(const struct fl_control* ctl) {
  if (!ctl || !fl_context_wanted(ctl)) return;
  int saved = errno;
  void* lib = dlopen("libunwind.so.8", RTLD_NOW | RTLD_LOCAL);
  if (!lib) fl_context_unavailable(dlerror());
  fl_unw.getcontext = (int (*)(unw_context_t*))dlsym(lib, "_Ux86_64_getcontext");
  fl_unw.init_local = (int (*)(unw_cursor_t*, unw_context_t*))dlsym(lib, "_ULx86_64_init_local");
  fl_unw.step = (int (*)(unw_cursor_t*))dlsym(lib, "_ULx86_64_step");
  fl_unw.get_reg =
      (int (*)(unw_cursor_t*, unw_regnum_t, unw_word_t*))dlsym(lib, "_ULx86_64_get_reg");
  int (*set_caching)(unw_addr_space_t, unw_caching_policy_t) =
      (int (*)(unw_addr_space_t, unw_caching_policy_t))dlsym(lib, "_ULx86_64_set_caching_policy");
  unw_addr_space_t* local = (unw_addr_space_t*)dlsym(lib, "_ULx86_64_local_addr_space");
  if (!fl_unw.getcontext || !fl_unw.init_local || !fl_unw.step || !fl_unw.get_reg || !set_caching ||
      !local)
    fl_context_unavailable("a symbol of libunwind 1.x for x86_64 is missing");
  set_caching(*local, UNW_CACHE_NONE);
  fl_rules_context_base = fl_context_base;
  fl_rules_unwind = fl_context_frames;
  fl_context_ready = 1;
  /* One walk now: libunwind sets itself up on its first use (which may allocate), here in
   * the constructor rather than on a program's call. */
  uint64_t none[1];
  (void)fl_context_frames(1, none, 1);
  errno = saved;
}
