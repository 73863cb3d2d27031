/* fl_fact_write; see facts.h. */
#include "facts.h"

#include <stdatomic.h>
#include <stddef.h>

static void fl_fact_copy(char* dst, size_t cap, const char* src) {
  size_t i = 0;
  if (src) {
    for (; i + 1 < cap && src[i] != '\0'; ++i) dst[i] = src[i];
  }
  dst[i] = '\0';
}

int fl_fact_write(struct fl_control* ctl, uint32_t kind, int32_t pid, int32_t ppid, uint32_t uid,
                  const char* process, const char* detail) {
  uint32_t slot = atomic_fetch_add_explicit(&ctl->fact_next, 1, memory_order_relaxed);
  if (slot >= FL_MAX_FACTS) return -1;
  struct fl_fact* f = &ctl->facts[slot];
  f->kind = kind;
  f->pid = pid;
  f->ppid = ppid;
  f->uid = uid;
  fl_fact_copy(f->process, sizeof f->process, process);
  fl_fact_copy(f->detail, sizeof f->detail, detail);
  atomic_store_explicit(&f->state, 1, memory_order_release);
  return (int)slot;
}

void fl_fact_withdraw(struct fl_control* ctl, int slot) {
  if (slot >= 0 && slot < FL_MAX_FACTS)
    atomic_store_explicit(&ctl->facts[slot].state, 2, memory_order_release);
}
