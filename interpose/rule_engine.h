/* The rule engine: which rule of the control block fires for one call, with the shared
 * counters and the event ring. Plain C and async-signal-safe; used by the interposer and by
 * the runner (the seccomp supervisor decides with the same code). */
#ifndef FAULTLINE_RULE_ENGINE_H
#define FAULTLINE_RULE_ENGINE_H

#include <stdint.h>

#include "faultline_control.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Counts the call against every rule it matches and returns the index of the rule that
 * fires (the first in rule order whose trigger accepts it), or -1. `process` is the caller's
 * process name, `fd_class` the class of the fd the call is on (FL_FD_IPC for calls that are
 * not on an fd). On a fire, *hit receives the rule's hit number for this call. */
int fl_rules_decide(struct fl_control* ctl, int call, const char* process, unsigned fd_class,
                    uint64_t* hit);

/* The deterministic hash behind `probability` and delay picks (splitmix64 finalizer). */
uint64_t fl_rules_hash(uint64_t seed, uint64_t rule, uint64_t hit);

/* P in [0, 1] as the threshold stored in fl_rule.probability (P * 2^64, saturated). */
uint64_t fl_probability_threshold(double p);

/* The delay of a `delay` rule for its hit number `hit`: in [delay_min_ns, delay_max_ns]. */
uint64_t fl_rules_delay_ns(const struct fl_control* ctl, int rule, uint64_t hit);

/* Appends one injected fault to the event ring (lock-free; overwrites the oldest record). */
void fl_event_write(struct fl_control* ctl, int call, int rule, int fd, int64_t result, int err,
                    int64_t bytes, uint64_t caller, int32_t pid, int32_t tid, const char* process);

/* The FL_KIND bits of the fault kinds that make sense for a call (calls.def). */
uint32_t fl_call_kinds(int call);

#ifdef __cplusplus
}
#endif
#endif /* FAULTLINE_RULE_ENGINE_H */
