/* The rule engine: which rule of the control block fires for one call, with the shared
 * counters and the event ring. Plain C and async-signal-safe; used by the interposer and by
 * the runner (the seccomp supervisor decides with the same code). */
#ifndef FAULTLINE_RULE_ENGINE_H
#define FAULTLINE_RULE_ENGINE_H

#include <stdint.h>

#include "faultline_control.h"
#include "realism.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FL_SIZE_UNKNOWN UINT64_MAX

/* What the rules may ask of a call's object; fl_subject.resolve fills these on demand. */
enum fl_need {
  FL_NEED_CLASS = 1,   /* fd_class */
  FL_NEED_CHANNEL = 2, /* channel */
  FL_NEED_STREAM = 4,  /* stream and shape */
  FL_NEED_SHAPE = FL_NEED_STREAM,
};

/* One call as rule matching sees it. The cheap fields are set by the caller; the ones that
 * cost a system call (the fd's class, its channel, whether it is a stream socket) are only
 * computed when a rule needs them, through `resolve`, and at most once per call. */
struct fl_subject {
  int call;            /* enum fl_call_id */
  const char* process; /* the caller's process name */
  uint64_t caller;     /* return address of the call, 0 when unknown */
  /* FL_MAX_RULES x FL_SITE_RANGES load addresses of the site ranges' modules in this
   * process (UINT64_MAX: not loaded), or NULL when site= cannot be matched here. */
  const uint64_t* site_base;
  unsigned known;    /* FL_NEED_* bits already resolved */
  unsigned fd_class; /* enum fl_fd_class */
  int channel;       /* index into channels[], -1 = none */
  int stream;        /* 1: a stream socket (reset applies) */
  unsigned shape;    /* enum fl_shape: what a kind must be possible on (realism.h) */
  /* What the call asks to move: bytes, or messages for sendmmsg/recvmmsg. A `short=N` rule
   * only matches a call asking for more than N (it could not shorten the others).
   * FL_SIZE_UNKNOWN where it does not apply. */
  uint64_t size;
  void (*resolve)(struct fl_subject* s, unsigned need);
  void* context; /* for `resolve` */
  /* Called once, when a rule is about to fire, if `resolve` answered from memory that may be
   * out of date (the interposer's fd cache: an fd replaced behind its back). Looks again;
   * returns 1 when the object turned out different, with fd_class, channel and stream
   * updated for the FL_NEED_* bits in `known`, 0 when what was used still holds. NULL:
   * nothing to confirm. */
  int (*confirm)(struct fl_subject* s);
  /* Whether the object can be channel `index` at all, judged from the call alone (no system
   * call): 0 when it cannot, and a channel= rule misses without resolving the object; 1 when
   * it may. NULL: it may. */
  int (*may_be_channel)(const struct fl_subject* s, int index);
  /* The caller's slot in counts[] (its process name's) plus one, kept across calls by a
   * caller whose name never changes (the interposer: one per process); 0 until found. NULL:
   * looked up by name at each counted call. */
  FL_ATOMIC(int) * count_slot;
};

/* Counts the call against every rule it matches and returns the index of the rule that
 * fires (the first in rule order whose trigger accepts it), or -1. On a fire, *hit receives
 * the rule's hit number for this call. A rule whose kind is impossible on the call's object
 * (fl_impossible) does not match: the call is counted as refused, not as a hit, unless the
 * rule says force. Before a rule fires, `confirm` (if any) is asked; when the object turned
 * out different, the call's counts are taken back and the rules are matched again against
 * what it really is. */
int fl_rules_decide(struct fl_control* ctl, struct fl_subject* s, uint64_t* hit);

/* The deterministic hash behind `probability`, delay and corrupt picks (splitmix64). */
uint64_t fl_rules_hash(uint64_t seed, uint64_t rule, uint64_t hit);

/* P in [0, 1] as the threshold stored in fl_rule.probability (P * 2^64, saturated). */
uint64_t fl_probability_threshold(double p);

/* The delay of a `delay` rule for its hit number `hit`: in [delay_min_ns, delay_max_ns]. */
uint64_t fl_rules_delay_ns(const struct fl_control* ctl, int rule, uint64_t hit);

/* Flips the rule's `arg` bits (at least one) of buf[0..len) at positions chosen from
 * (seed, rule, hit); a bit is never flipped twice. Nothing when len is 0. */
void fl_rules_corrupt(const struct fl_control* ctl, int rule, uint64_t hit, unsigned char* buf,
                      uint64_t len);

/* One injected fault, as appended to the event ring. */
struct fl_event_data {
  int call;
  int rule;
  int fd; /* fd or SysV id, -1 when none */
  int channel;
  uint64_t hit;
  int64_t result;
  int err;
  int64_t bytes;
  uint64_t caller;
  int32_t pid;
  int32_t tid;
  const char* process;
  unsigned unrealistic; /* enum fl_why, 0 when the fault is realistic here */
};

/* Appends one injected fault to the event ring (lock-free; overwrites the oldest record).
 * Returns its sequence number (fl_event.seq). */
uint64_t fl_event_write(struct fl_control* ctl, const struct fl_event_data* d);

/* Counts a fire of `rule` that is possible but not realistic here (`why`, enum fl_why). */
void fl_rules_note_unrealistic(struct fl_control* ctl, int rule, unsigned why);

/* Recording (fl_control.record): the slot of recorded[] for this (process name, call,
 * caller), found or claimed (with `shape` and `flags` as its first call saw them); NULL when
 * the table or the process names are full, counted in recorded_lost. Lock-free; the caller
 * adds the call to the slot's count and ORs its FL_REC_* bits in. */
struct fl_recorded* fl_record_slot(struct fl_control* ctl, const char* process, int call,
                                   uint64_t dev, uint64_t ino, uint64_t offset, unsigned shape,
                                   unsigned flags);

/* The same with a calling context: `depth` frames outside the caller (fl_recorded.outer),
 * part of the key. fl_record_slot is this with none. */
struct fl_recorded* fl_record_slot_context(struct fl_control* ctl, const char* process, int call,
                                           uint64_t dev, uint64_t ino, uint64_t offset,
                                           const struct fl_frame* outer, unsigned depth,
                                           unsigned shape, unsigned flags);

/* Calling-context rules (fl_rule.context_depth > 1) match only where the stack can be
 * walked: the interposer sets these once libunwind is loaded (context.c). Unset (the
 * runner's seccomp supervisor), such a rule matches nothing. `fl_rules_unwind` gives the
 * return addresses of up to `want` frames outside the one `caller` returns into;
 * `fl_rules_context_base` the load addresses of the rules' context ranges
 * (FL_MAX_RULES x FL_CONTEXT_RANGES, UINT64_MAX: not loaded). */
extern int (*fl_rules_unwind)(uint64_t caller, uint64_t* out, int want);
extern const uint64_t* fl_rules_context_base;

/* The FL_KIND bits of the fault kinds that make sense for a call (calls.def). */
uint32_t fl_call_kinds(int call);

#ifdef __cplusplus
}
#endif
#endif /* FAULTLINE_RULE_ENGINE_H */
