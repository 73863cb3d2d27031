/* The facts table of the control block (struct fl_fact): what a run could not see. Written by
 * the interposer (facts.c, observe.c) and by the runner's seccomp supervisor, which links this
 * file too. Lock-free, no allocation. */
#ifndef FAULTLINE_FACTS_H
#define FAULTLINE_FACTS_H

#include "faultline_control.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Appends one fact and returns its slot, -1 when the table is full (fact_next still counts
 * it, so the reader knows). `process` and `detail` may be NULL; both are truncated. */
int fl_fact_write(struct fl_control* ctl, uint32_t kind, int32_t pid, int32_t ppid, uint32_t uid,
                  const char* process, const char* detail);

/* Withdraws the fact in `slot` (an exec that failed after it was recorded): readers skip it. */
void fl_fact_withdraw(struct fl_control* ctl, int slot);

#ifdef __cplusplus
}
#endif
#endif /* FAULTLINE_FACTS_H */
