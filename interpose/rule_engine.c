/* The rule engine; see rule_engine.h. No allocation, locks or stdio: it runs inside the
 * interposed call path of every process of a run. */
#include "rule_engine.h"

#include <stdatomic.h>
#include <string.h>
#include <time.h>

static const uint32_t fl_kinds_table[FL_CALL_COUNT] = {
#define FL_CALL(name, base, family, ret, fail, params, args, obj, kinds, errnos, transient, hard, \
                data)                                                                             \
  kinds,
#include "calls.def"
#undef FL_CALL
};

uint32_t fl_call_kinds(int call) {
  return call >= 0 && call < FL_CALL_COUNT ? fl_kinds_table[call] : 0;
}

static uint64_t fl_mix(uint64_t z) {
  z += 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

uint64_t fl_rules_hash(uint64_t seed, uint64_t rule, uint64_t hit) {
  return fl_mix(fl_mix(fl_mix(seed) ^ rule) ^ hit);
}

uint64_t fl_probability_threshold(double p) {
  if (!(p > 0.0)) return 0; /* also NaN */
  if (p >= 1.0) return UINT64_MAX;
  double scaled = p * 18446744073709551616.0; /* 2^64 */
  return scaled >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t)scaled;
}

uint64_t fl_rules_delay_ns(const struct fl_control* ctl, int rule, uint64_t hit) {
  const struct fl_rule* r = &ctl->rules[rule];
  if (r->delay_max_ns <= r->delay_min_ns) return r->delay_min_ns;
  uint64_t span = r->delay_max_ns - r->delay_min_ns;
  /* A different stream than `probability` so the two do not correlate. */
  uint64_t h = fl_rules_hash(ctl->seed ^ 0x64656c6179ull, (uint64_t)rule, hit);
  return r->delay_min_ns + (span == UINT64_MAX ? h : h % (span + 1));
}

static void fl_need(struct fl_subject* s, unsigned need) {
  if ((s->known & need) == need) return;
  if (s->resolve) s->resolve(s, need & ~s->known);
  s->known |= need;
}

int (*fl_rules_unwind)(uint64_t caller, uint64_t* out, int want);
const uint64_t* fl_rules_context_base;

/* The frames outside one call's caller, walked once per call and only as deep as a context
 * rule whose caller matched asks: `n` < 0 until then; `ended`: the stack ends after n. */
struct fl_frames {
  int n;
  int ended;
  uint64_t pc[FL_CONTEXT_MAX - 1];
};

/* The frames 1..K-1 of a context rule whose frame 0 (the caller) matched. */
static int fl_context_ok(const struct fl_rule* r, int index, uint64_t caller, struct fl_frames* f) {
  int outer = (int)(r->context_depth < FL_CONTEXT_MAX ? r->context_depth : FL_CONTEXT_MAX) - 1;
  const uint64_t* bases = fl_rules_context_base;
  if (!fl_rules_unwind || !bases) return 0;
  if (f->n < outer && !f->ended) {
    f->n = fl_rules_unwind(caller, f->pc, outer);
    f->ended = f->n < outer;
  }
  if (f->n < outer) return 0;
  uint32_t n = r->context_count < FL_CONTEXT_RANGES ? r->context_count : FL_CONTEXT_RANGES;
  for (int frame = 1; frame <= outer; ++frame) {
    uint64_t pc = f->pc[frame - 1] - 1;
    int found = 0;
    for (uint32_t k = 0; k < n && !found; ++k) {
      if (r->context_frame[k] != frame) continue;
      uint64_t base = bases[(uint64_t)index * FL_CONTEXT_RANGES + k];
      if (base == UINT64_MAX) continue;
      found = pc >= base + r->context_ranges[k].lo && pc < base + r->context_ranges[k].hi;
    }
    if (!found) return 0;
  }
  return 1;
}

static int fl_site_ok(const struct fl_rule* r, int index, const struct fl_subject* s,
                      struct fl_frames* f) {
  if (r->site[0] == '\0') return 1;
  if (!s->site_base || s->caller == 0) return 0;
  /* The return address is one past the call instruction, which may be a line's last. */
  uint64_t pc = s->caller - 1;
  uint32_t n = r->site_count < FL_SITE_RANGES ? r->site_count : FL_SITE_RANGES;
  for (uint32_t k = 0; k < n; ++k) {
    uint64_t base = s->site_base[(uint64_t)index * FL_SITE_RANGES + k];
    if (base == UINT64_MAX) continue;
    if (pc >= base + r->site_ranges[k].lo && pc < base + r->site_ranges[k].hi)
      return r->context_depth <= 1 || fl_context_ok(r, index, s->caller, f);
  }
  return 0;
}

static int fl_may_be_impossible(uint32_t action) {
  return action == FL_ACT_SHORT || action == FL_ACT_EOF || action == FL_ACT_DROP;
}

/* Keeps the first reason: the report quotes it. */
static void fl_note_first(FL_ATOMIC(uint32_t) * slot, unsigned why) {
  uint32_t none = 0;
  atomic_compare_exchange_strong_explicit(slot, &none, why, memory_order_relaxed,
                                          memory_order_relaxed);
}

static void fl_note_refused(struct fl_rule* r, unsigned why) {
  atomic_fetch_add_explicit(&r->refused, 1, memory_order_relaxed);
  fl_note_first(&r->refused_why, why);
}

void fl_rules_note_unrealistic(struct fl_control* ctl, int rule, unsigned why) {
  if (why == FL_WHY_NONE || rule < 0 || rule >= FL_MAX_RULES) return;
  struct fl_rule* r = &ctl->rules[rule];
  atomic_fetch_add_explicit(&r->unrealistic, 1, memory_order_relaxed);
  fl_note_first(&r->unrealistic_why, why);
}

/* A call of the rule's own calls that it did not match, and why (relaxed: only summed). Only
 * while the rule has had no hit (`hit_rules`, the control block's rules_hit as this call read
 * it): the report reads a rule's misses only when it never matched, and a counter that every
 * call writes would be a cache line taken from every other process and thread. */
static int fl_missed(struct fl_control* ctl, int index, int why, uint64_t hit_rules) {
  if (!((hit_rules >> index) & 1))
    atomic_fetch_add_explicit(&ctl->misses[index][why], 1, memory_order_relaxed);
  return 0;
}

/* Cheapest tests first: the ones that need a system call come last. */
static int fl_matches(struct fl_control* ctl, struct fl_rule* r, int index, struct fl_subject* s,
                      struct fl_frames* frames, uint64_t hit_rules) {
  int call = s->call;
  if (!(r->call_mask[call >> 6] & (1ull << (call & 63)))) return 0;
  /* The process first: the reasons counted after it are all about the rule's process. */
  if (r->process[0] != '\0' && strncmp(r->process, s->process ? s->process : "", FL_NAME_MAX) != 0)
    return fl_missed(ctl, index, FL_MISS_PROCESS, hit_rules);
  if (!(fl_call_kinds(call) & FL_KIND(r->action)))
    return fl_missed(ctl, index, FL_MISS_KIND, hit_rules);
  /* Checks that cost nothing before those that may cost a system call. */
  if (r->action == FL_ACT_SHORT && r->arg >= 0 && s->size <= (uint64_t)r->arg)
    return fl_missed(ctl, index, FL_MISS_SIZE, hit_rules);
  if (!fl_site_ok(r, index, s, frames)) return fl_missed(ctl, index, FL_MISS_SITE, hit_rules);
  if (r->channel >= 0) {
    /* A channel names its objects exactly: the fd class does not apply. */
    if (s->may_be_channel && !s->may_be_channel(s, r->channel))
      return fl_missed(ctl, index, FL_MISS_CHANNEL, hit_rules);
    fl_need(s, FL_NEED_CHANNEL);
    if (s->channel != r->channel) return fl_missed(ctl, index, FL_MISS_CHANNEL, hit_rules);
  } else if (r->fd_class != FL_FD_ANY) {
    fl_need(s, FL_NEED_CLASS);
    if (r->fd_class != s->fd_class)
      return fl_missed(ctl, index, FL_MISS_CLASS + (s->fd_class < 3 ? (int)s->fd_class : 3),
                       hit_rules);
  }
  if (r->action == FL_ACT_RESET ||
      (!(r->flags & FL_RULE_FORCE) && fl_may_be_impossible(r->action))) {
    fl_need(s, FL_NEED_SHAPE);
    /* reset is refused even under force: there is no connection to reset. */
    unsigned why = r->action == FL_ACT_RESET ? (s->stream ? FL_WHY_NONE : FL_WHY_RESET_NOT_STREAM)
                                             : fl_impossible(call, r->action, s->shape);
    if (why != FL_WHY_NONE) {
      fl_note_refused(r, why);
      return 0;
    }
  }
  return 1;
}

/* The counting slot of a process name: found, or claimed when free; -1 when all are taken. */
static int fl_count_slot(struct fl_control* ctl, const char* name) {
  if (!name) name = "";
  for (int i = 0; i < FL_COUNT_PROCESSES; ++i) {
    struct fl_call_counts* c = &ctl->counts[i];
    uint32_t state = atomic_load_explicit(&c->state, memory_order_acquire);
    if (state == 0) {
      uint32_t expected = 0;
      if (atomic_compare_exchange_strong_explicit(&c->state, &expected, 1, memory_order_acquire,
                                                  memory_order_acquire)) {
        size_t k = 0;
        for (; k + 1 < FL_NAME_MAX && name[k] != '\0'; ++k) c->process[k] = name[k];
        c->process[k] = '\0';
        atomic_store_explicit(&c->state, 2, memory_order_release);
        return i;
      }
      state = expected;
    }
    /* Another process is writing this slot's name: it is rarely ours, and a lost count is
     * only a less precise hint, so do not wait for it. */
    if (state != 2) continue;
    if (strncmp(c->process, name, FL_NAME_MAX) == 0) return i;
  }
  return -1;
}

/* Linear probing from the key's hash; a bounded walk, so that a full table costs a call no
 * more than this many looks. */
#define FL_RECORD_PROBES 256

static int fl_same_context(const struct fl_recorded* e, const struct fl_frame* outer,
                           unsigned depth) {
  if (e->depth != depth) return 0;
  for (unsigned i = 0; i < depth; ++i)
    if (e->outer[i].offset != outer[i].offset || e->outer[i].dev != outer[i].dev ||
        e->outer[i].ino != outer[i].ino)
      return 0;
  return 1;
}

struct fl_recorded* fl_record_slot(struct fl_control* ctl, const char* process, int call,
                                   uint64_t dev, uint64_t ino, uint64_t offset, unsigned shape,
                                   unsigned flags) {
  return fl_record_slot_context(ctl, process, call, dev, ino, offset, 0, 0, shape, flags);
}

struct fl_recorded* fl_record_slot_context(struct fl_control* ctl, const char* process, int call,
                                           uint64_t dev, uint64_t ino, uint64_t offset,
                                           const struct fl_frame* outer, unsigned depth,
                                           unsigned shape, unsigned flags) {
  int slot = fl_count_slot(ctl, process);
  if (slot < 0 || call < 0 || call >= FL_CALL_COUNT) {
    atomic_fetch_add_explicit(&ctl->recorded_lost, 1, memory_order_relaxed);
    return 0;
  }
  if (depth > FL_CONTEXT_MAX - 1) depth = FL_CONTEXT_MAX - 1;
  uint64_t h = fl_mix(fl_mix(fl_mix(dev ^ ino) ^ offset) ^ ((uint64_t)slot << 16 | (uint64_t)call));
  for (unsigned i = 0; i < depth; ++i)
    h = fl_mix(h ^ fl_mix(outer[i].dev ^ outer[i].ino) ^ outer[i].offset);
  for (uint32_t k = 0; k < FL_RECORD_PROBES; ++k) {
    struct fl_recorded* e = &ctl->recorded[(h + k) & (FL_MAX_RECORDED - 1)];
    uint32_t state = atomic_load_explicit(&e->state, memory_order_acquire);
    if (state == 0) {
      uint32_t expected = 0;
      if (atomic_compare_exchange_strong_explicit(&e->state, &expected, 1, memory_order_acquire,
                                                  memory_order_acquire)) {
        e->call = (uint16_t)call;
        e->process = (uint8_t)slot;
        e->shape = (uint8_t)shape;
        e->dev = dev;
        e->ino = ino;
        e->offset = offset;
        e->depth = depth;
        for (unsigned i = 0; i < depth; ++i) e->outer[i] = outer[i];
        atomic_store_explicit(&e->flags, flags, memory_order_relaxed);
        atomic_store_explicit(&e->state, 2, memory_order_release);
        return e;
      }
      state = expected;
    }
    /* A slot being claimed may be for this very key: passing it by makes a duplicate, which
     * the runner merges; waiting for it would be a lock. */
    if (state != 2) continue;
    if (e->call == call && e->process == slot && e->offset == offset && e->dev == dev &&
        e->ino == ino && fl_same_context(e, outer, depth))
      return e;
  }
  atomic_fetch_add_explicit(&ctl->recorded_lost, 1, memory_order_relaxed);
  return 0;
}

/* Counts the call for its process name while a rule it is counted for has had no hit (see
 * fl_control.count_rules): a rule that matched needs no explanation of why it did not. */
static void fl_count_call(struct fl_control* ctl, const struct fl_subject* s, uint64_t hit_rules) {
  int call = s->call;
  if (!(ctl->count_rules[call] & ~hit_rules)) return;
  int slot = s->count_slot ? atomic_load_explicit(s->count_slot, memory_order_relaxed) - 1 : -1;
  if (slot < 0) {
    slot = fl_count_slot(ctl, s->process);
    if (s->count_slot && slot >= 0)
      atomic_store_explicit(s->count_slot, slot + 1, memory_order_relaxed);
  }
  if (slot >= 0) atomic_fetch_add_explicit(&ctl->counts[slot].calls[call], 1, memory_order_relaxed);
}

static int fl_triggers(const struct fl_control* ctl, const struct fl_rule* r, int index,
                       uint64_t n) {
  uint64_t m = n;
  if (r->after) {
    if (n <= r->after) return 0;
    m = n - r->after;
  }
  if (r->nth && n != r->nth) return 0;
  if (r->every && m % r->every != 0) return 0;
  if (r->has_probability && r->probability != UINT64_MAX &&
      fl_rules_hash(ctl->seed, (uint64_t)index, n) >= r->probability)
    return 0;
  return 1;
}

/* Claims one fire under the `times` cap; never exceeds it, whatever the concurrency. */
static int fl_claim_fire(struct fl_rule* r) {
  uint64_t f = atomic_load_explicit(&r->fires, memory_order_relaxed);
  do {
    if (r->times && f >= r->times) return 0;
  } while (!atomic_compare_exchange_weak_explicit(&r->fires, &f, f + 1, memory_order_relaxed,
                                                  memory_order_relaxed));
  return 1;
}

__attribute__((hot)) int fl_rules_decide(struct fl_control* ctl, struct fl_subject* s,
                                         uint64_t* hit) {
  if (s->call < 0 || s->call >= FL_CALL_COUNT) return -1;
  uint32_t count = ctl->rule_count < FL_MAX_RULES ? ctl->rule_count : FL_MAX_RULES;
  int winner;
  uint64_t counted; /* rules this call was counted against (FL_MAX_RULES is 64) */
  struct fl_frames frames;
  frames.n = -1;
  frames.ended = 0;
  uint64_t hit_rules = atomic_load_explicit(&ctl->rules_hit, memory_order_relaxed);
  fl_count_call(ctl, s, hit_rules);
again:
  winner = -1;
  counted = 0;
  for (uint32_t i = 0; i < count; ++i) {
    struct fl_rule* r = &ctl->rules[i];
    if (!fl_matches(ctl, r, (int)i, s, &frames, hit_rules)) continue;
    uint64_t n = atomic_fetch_add_explicit(&r->hits, 1, memory_order_relaxed) + 1;
    counted |= 1ull << i;
    /* Written once per rule (the line stays shared by every reader after that). */
    if (!((hit_rules >> i) & 1)) {
      atomic_fetch_or_explicit(&ctl->rules_hit, 1ull << i, memory_order_relaxed);
      hit_rules |= 1ull << i;
    }
    if (winner >= 0) continue; /* later rules count the call but do not fire */
    if (!fl_triggers(ctl, r, (int)i, n)) continue;
    /* A fault is about to be injected on what the resolver may have remembered rather than
     * seen: it looks again first, once per call (costs nothing on calls that do not fire). */
    int (*confirm)(struct fl_subject*) = s->confirm;
    s->confirm = 0;
    if (confirm && confirm(s)) {
      /* The call was matched against another object than the one it is on: take its counts
       * back and match it again. */
      for (uint32_t k = 0; k < count; ++k)
        if ((counted & (1ull << k)) &&
            atomic_fetch_sub_explicit(&ctl->rules[k].hits, 1, memory_order_relaxed) == 1) {
          /* No hit left: its misses and calls are counted again. */
          atomic_fetch_and_explicit(&ctl->rules_hit, ~(1ull << k), memory_order_relaxed);
          hit_rules &= ~(1ull << k);
        }
      goto again;
    }
    if (!fl_claim_fire(r)) continue;
    winner = (int)i;
    if (hit) *hit = n;
  }
  return winner;
}

void fl_rules_corrupt(const struct fl_control* ctl, int rule, uint64_t hit, unsigned char* buf,
                      uint64_t len) {
  if (len == 0) return;
  uint64_t bits = len * 8;
  int32_t want = ctl->rules[rule].arg;
  uint64_t n = want < 1 ? 1 : (uint64_t)want;
  if (n > bits) n = bits;
  /* Distinct positions without a table: start + k * step (mod bits) with step coprime to
   * bits visits n different bits. */
  uint64_t start = fl_rules_hash(ctl->seed ^ 0x636f7272757074ull, (uint64_t)rule, hit) % bits;
  uint64_t step = bits > 1 ? 1 + fl_rules_hash(ctl->seed, (uint64_t)rule, ~hit) % (bits - 1) : 1;
  while (step > 1) {
    uint64_t a = step, b = bits;
    while (b) {
      uint64_t t = a % b;
      a = b;
      b = t;
    }
    if (a == 1) break;
    --step;
  }
  for (uint64_t k = 0; k < n; ++k) {
    uint64_t pos = (start + k * step) % bits;
    buf[pos >> 3] ^= (unsigned char)(1u << (pos & 7));
  }
}

uint64_t fl_event_write(struct fl_control* ctl, const struct fl_event_data* d) {
  uint64_t idx = atomic_fetch_add_explicit(&ctl->event_next, 1, memory_order_relaxed);
  if (idx >= FL_EVENT_RING) atomic_fetch_add_explicit(&ctl->event_lost, 1, memory_order_relaxed);
  struct fl_event* e = &ctl->events[idx % FL_EVENT_RING];
  /* Mark the slot incomplete first so a reader never takes a half-written record for the
   * previous one. */
  atomic_store_explicit(&e->seq, 0, memory_order_relaxed);
  atomic_thread_fence(memory_order_release);
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  e->time_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
  e->caller = d->caller;
  e->result = d->result;
  e->bytes = d->bytes;
  e->pid = d->pid;
  e->tid = d->tid;
  e->call = d->call;
  e->rule = d->rule;
  e->err = d->err;
  e->fd = d->fd;
  e->channel = d->channel;
  e->unrealistic = d->unrealistic;
  e->hit = d->hit;
  size_t i = 0;
  if (d->process) {
    for (; i + 1 < FL_NAME_MAX && d->process[i] != '\0'; ++i) e->process[i] = d->process[i];
  }
  e->process[i] = '\0';
  atomic_store_explicit(&e->seq, idx + 1, memory_order_release);
  return idx + 1;
}
