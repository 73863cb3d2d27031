/* faultline control block: the whole contract between the runner and the interposer.
 *
 * The runner creates a file in the run directory, fills it with this layout and exports its
 * path as FAULTLINE_CONTROL. Every interposed process maps it MAP_SHARED, so counters are
 * shared by all processes of a run (fork, exec and daemons alike).
 *
 * Plain C, fixed-size records, no pointers: the runner (C++) and the interposer (C, libc only)
 * both include this file. Bump FL_CONTROL_VERSION whenever the layout or a meaning changes.
 */
#ifndef FAULTLINE_CONTROL_H
#define FAULTLINE_CONTROL_H

#include <stdint.h>

#ifdef __cplusplus
#include <atomic>
#define FL_ATOMIC(T) std::atomic<T>
extern "C" {
#else
#include <stdatomic.h>
#define FL_ATOMIC(T) _Atomic(T)
#endif

#define FL_CONTROL_MAGIC 0x4c544c46u /* "FLTL" little-endian */
#define FL_CONTROL_VERSION 8u

#define FL_MAX_RULES 64
#define FL_MAX_CALLS 128 /* capacity of the call-id space (see calls.def) */
#define FL_NAME_MAX 64
#define FL_SITE_MAX 128
#define FL_MAX_CHANNELS 64
#define FL_EVENT_RING 4096  /* power of two */
#define FL_SITE_RANGES 16   /* address ranges one site= resolves to, over all programs */
#define FL_MAX_CREATED 1024 /* IPC objects the processes create, for the leak check */
#define FL_MAX_FACTS 256    /* what the interposer could not see, for the report */
#define FL_MAX_CAPTURES 128 /* captured standard streams: stdout and stderr of 64 processes */
#define FL_COUNT_PROCESSES 32 /* process names whose calls are counted (why a rule never fired) */
#define FL_MAX_RECORDED 2048  /* recorded call sites (power of two: open addressing) */
#define FL_MAX_MODULES 256    /* ELF files the recorded call sites lie in */
#define FL_MODULE_PATH 256
#define FL_CONTEXT_MAX 8     /* frames of a calling context (explore --context K, site=A<B) */
#define FL_CONTEXT_RANGES 16 /* ranges of one context rule's outer frames, all together */
#define FL_MAX_PAUSES 8      /* processes stopped at a fault at once (--pause-on-fault) */

/* Call ids: one per row of calls.def, in file order. */
enum fl_call_id {
#define FL_CALL(name, base, family, ret, fail, params, args, obj, kinds, errnos, transient, hard, \
                data)                                                                             \
  FL_CALL_##name,
#include "calls.def"
#undef FL_CALL
  FL_CALL_COUNT
};

/* Fault kinds. A call's row in calls.def says which kinds make sense for it (a bit mask). */
enum fl_action {
  FL_ACT_NONE = 0,
  FL_ACT_ERROR = 1,    /* arg = errno; the call returns its failure value */
  FL_ACT_SHORT = 2,    /* arg = at most this many bytes are transferred */
  FL_ACT_EOF = 3,      /* a read returns 0 */
  FL_ACT_DELAY = 4,    /* delay_min_ns..delay_max_ns, then the real call */
  FL_ACT_RESET = 5,    /* stream connection fails with ECONNRESET from this call on */
  FL_ACT_CORRUPT = 6,  /* arg = bits to flip in the data read */
  FL_ACT_DROP = 7,     /* datagram/message reported sent, never delivered */
  FL_ACT_SIGNAL = 8,   /* arg = signal number raised at this call */
  FL_ACT_SPURIOUS = 9, /* readiness call reports readiness that is not there */
};
#define FL_KIND(a) (1u << (a))

enum fl_fd_class {
  FL_FD_IPC = 0,  /* pipes, FIFOs, sockets, queues (default) */
  FL_FD_FILE = 1, /* regular files, directories, devices, and the runner's output capture */
  FL_FD_ANY = 2,  /* rules only: every fd */
  FL_FD_ANON = 3, /* anonymous inodes: eventfd, signalfd, timerfd, epoll, inotify, pidfd, ... */
};

/* Rule flags (fl_rule.flags). */
#define FL_RULE_FORCE 1u /* the spec said `force`: kinds impossible on the fd are not refused */
#define FL_RULE_PAUSE 2u /* --pause-on-fault: the process stops itself at each fault it injects */

/* Why a fault is not what the kernel would do here (realism.c has the texts). Codes below
 * FL_WHY_UNREALISTIC are impossible on the object: such a rule is refused (no hit) unless it
 * says force. The others are possible on the object but not in the state at hand: the fault
 * is injected and its event carries the code. */
enum fl_why {
  FL_WHY_NONE = 0,
  FL_WHY_RECORD_WHOLE = 1,       /* short on an eventfd/signalfd/timerfd/inotify record */
  FL_WHY_RECORD_NO_EOF = 2,      /* eof on such an fd */
  FL_WHY_MESSAGE_WHOLE = 3,      /* short on a datagram or SOCK_SEQPACKET socket */
  FL_WHY_STREAM_NO_DROP = 4,     /* drop on a pipe, FIFO or stream socket */
  FL_WHY_RESET_NOT_STREAM = 5,   /* reset on anything but a stream socket */
  FL_WHY_UNREALISTIC = 16,       /* first code of the "possible, not here" kind */
  FL_WHY_EINTR_NO_HANDLER = 16,  /* EINTR, no signal handler installed */
  FL_WHY_EINTR_SA_RESTART = 17,  /* EINTR on a restarted call, every handler has SA_RESTART */
  FL_WHY_EINTR_NEVER_WAITS = 18, /* EINTR on a non-blocking fd or a regular file */
  FL_WHY_EAGAIN_BLOCKING = 19,   /* EAGAIN on a blocking fd without a socket timeout */
  FL_WHY_PIPE_ATOMIC = 20,       /* short write of <= PIPE_BUF bytes to a pipe */
  FL_WHY_PIPE_BLOCKING = 21,     /* short blocking pipe write, no signal handler to cut it */
  FL_WHY_SEND_BLOCKING = 22,     /* short blocking stream send, no handler, no SO_SNDTIMEO */
};

/* Code of a site= match: the caller's return address lies in [lo, hi) of the ELF file
 * identified by (dev, ino), in that file's link-time addresses (the interposer adds the
 * load address of the module in each process). Resolved by the runner with libdw. */
struct fl_site_range {
  uint64_t dev;
  uint64_t ino;
  uint64_t lo;
  uint64_t hi;
};

/* The size of a cache line: what processes and threads write at run time (a rule's counters,
 * rules_hit) lies on lines of its own, apart from what every call reads (the rules' matching
 * data), so that a counter's writes do not take the line of what others read (false sharing). */
#define FL_CACHE_LINE 64
#define FL_LINE_ALIGNED __attribute__((aligned(FL_CACHE_LINE)))

/* One compiled fault rule. Written by the runner before any process starts, then read-only
 * except for its counters, which start a cache line of their own (and the rule's size is a
 * whole number of lines: the next rule's matching data never shares the counters' line). */
struct fl_rule {
  uint64_t call_mask[FL_MAX_CALLS / 64]; /* bit per fl_call_id the rule applies to */
  uint32_t action;                       /* enum fl_action */
  int32_t arg;                           /* errno, short bytes, corrupt bits or signal */
  uint64_t delay_min_ns;
  uint64_t delay_max_ns;
  /* Triggers; 0 means "not given". */
  uint64_t nth;
  uint64_t after;
  uint64_t every;
  uint64_t times;
  uint64_t probability; /* fire when hash < probability (scaled to 2^64-1); 0 = not given */
  uint32_t has_probability;
  uint32_t fd_class; /* enum fl_fd_class */
  int32_t channel;   /* index into channels[], -1 = any */
  uint32_t flags;    /* FL_RULE_* */
  char process[FL_NAME_MAX]; /* process name it applies to (and descendants); "" = any */
  char site[FL_SITE_MAX];    /* caller match as written; "" = any */
  uint32_t site_count; /* ranges in site_ranges; a rule with site[0] and none matches nothing */
  /* Frames site= names: 0 or 1, the caller (site_ranges); K > 1, a calling context
   * `INNER<CALLER<...`: site_ranges hold the caller's (frame 0), context_ranges the K-1
   * frames outside it, each range tagged with its frame (1..K-1) in context_frame. */
  uint32_t context_depth;
  struct fl_site_range site_ranges[FL_SITE_RANGES];
  uint32_t context_count; /* ranges in context_ranges */
  uint8_t context_frame[FL_CONTEXT_RANGES];
  struct fl_site_range context_ranges[FL_CONTEXT_RANGES];
  char text[FL_SITE_MAX];    /* the spec as the user wrote it, for reports */
  /* calls that matched this rule, all processes together */
  FL_ATOMIC(uint64_t) hits FL_LINE_ALIGNED;
  FL_ATOMIC(uint64_t) fires; /* faults injected by this rule */
  FL_ATOMIC(uint64_t) refused;         /* calls it matched where its kind is impossible */
  FL_ATOMIC(uint64_t) unrealistic;     /* fires possible on the object but not in its state */
  FL_ATOMIC(uint32_t) refused_why;     /* enum fl_why of the first refusal */
  FL_ATOMIC(uint32_t) unrealistic_why; /* enum fl_why of the first unrealistic fire */
};

/* A provisioned channel, for channel= matching and attribution in events. */
struct fl_channel {
  char name[FL_NAME_MAX];
  uint32_t type;          /* index of the channel type as the runner numbers it */
  int32_t sysv_id;        /* msgqueue/shm/semaphore id, else -1 */
  int32_t key;            /* SysV key, else 0 (IPC_PRIVATE is never a channel's key) */
  int32_t port;           /* tcp/udp port, else 0 */
  uint64_t dev;           /* the file an fd of this channel refers to (pipe, FIFO, mapped file, */
  uint64_t ino;           /* POSIX shm or mq object); 0/0 = none */
  char path[FL_SITE_MAX]; /* Unix socket path or POSIX name ("/name"), else "" */
};

/* One injected fault. `seq` is written last (release): a reader sees a complete record
 * when seq == its slot's expected sequence number. */
struct fl_event {
  FL_ATOMIC(uint64_t) seq;
  uint64_t time_ns; /* CLOCK_MONOTONIC */
  uint64_t caller;  /* return address of the wrapped call */
  int64_t result;
  int64_t bytes;
  int32_t pid;
  int32_t tid;
  int32_t call;    /* enum fl_call_id */
  int32_t rule;    /* index into rules[] */
  int32_t err;     /* errno injected or observed */
  int32_t fd;      /* fd or SysV id the call was on, -1 when none */
  int32_t channel; /* index into channels[], -1 when the object is no channel's */
  uint32_t unrealistic; /* enum fl_why: the fault is not what the kernel does here; 0 = it is */
  uint64_t hit; /* the rule's hit number for this call (1-based) */
  char process[FL_NAME_MAX];
};

/* An IPC object a process created (leak check). Recorded by the interposer after the call
 * succeeded, whether or not any rule exists; `state` is written last (release). */
enum fl_object_kind {
  FL_OBJECT_MSGQUEUE = 1,  /* id, key */
  FL_OBJECT_SHM = 2,       /* id, key */
  FL_OBJECT_SEMAPHORE = 3, /* id, key */
  FL_OBJECT_FIFO = 4,      /* path (absolute) */
  FL_OBJECT_SOCKET = 5,    /* path of a bound Unix socket (absolute) */
  FL_OBJECT_POSIX_SHM = 6, /* path: the POSIX name */
  FL_OBJECT_POSIX_MQ = 7,  /* path: the POSIX name */
};

struct fl_created {
  FL_ATOMIC(uint32_t) state; /* 0: empty or being written, 1: complete */
  uint32_t kind;             /* enum fl_object_kind */
  int32_t id;
  int32_t key;
  int32_t pid;
  int32_t call; /* enum fl_call_id that created it */
  char path[FL_SITE_MAX];
  char process[FL_NAME_MAX];
};

/* How a process gets the control block (docs/how-it-works.md, "Handing over the control
 * block"): FAULTLINE_CONTROL_FD names an inherited descriptor of the control file (it survives
 * a privilege drop), FAULTLINE_CONTROL its path (the fallback); a process that can use neither
 * sends a struct fl_attach_failure and the token to the abstract Unix datagram socket
 * FAULTLINE_STATUS names ("@name#token") and says so on stderr. */
#define FL_STATUS_MAGIC 0x54534c46u /* "FLST" little-endian */
/* FAULTLINE_STATUS is "@NAME#TOKEN": the runner takes only datagrams that end with TOKEN
 * (FL_STATUS_TOKEN_LEN characters) after the struct. An abstract socket has no permissions
 * and /proc/net/unix shows its name to every user: the token, which only the run's
 * processes have in their environment, keeps others from forging failures. */
#define FL_STATUS_TOKEN_LEN 32

struct fl_attach_failure {
  uint32_t magic; /* FL_STATUS_MAGIC */
  int32_t pid;
  int32_t ppid;
  uint32_t uid;              /* effective uid at the attempt */
  int32_t fd;                /* FAULTLINE_CONTROL_FD, -1 when not given */
  int32_t fd_errno;          /* why the fd was no use: EBADF closed, EINVAL another file, 0 none */
  int32_t path_errno;        /* why the path was no use (EACCES after a privilege drop) */
  uint32_t reason;           /* enum fl_attach_reason */
  char process[FL_NAME_MAX]; /* FAULTLINE_PROCESS */
  char comm[16];             /* the program's name (/proc/self/comm) */
  char exe[FL_SITE_MAX];     /* /proc/self/exe, "" when unreadable */
};

enum fl_attach_reason {
  FL_ATTACH_NO_ACCESS = 1, /* neither the fd nor the path could be opened */
  FL_ATTACH_VERSION = 2,   /* a control block of another faultline version */
  FL_ATTACH_SIZE = 3,      /* the file is not a whole control block */
  FL_ATTACH_MAP = 4,       /* mmap failed (path_errno holds its errno) */
};

/* A fact about a process that decides what a run could see (the report's "not seen" lines).
 * Written by the interposer of an attached process, or by the runner's seccomp supervisor;
 * `state` is written last (release). */
enum fl_fact_kind {
  FL_FACT_ATTACHED = 1,        /* a process the runner started attached (detail: fd or path) */
  FL_FACT_EXEC_NO_PRELOAD = 2, /* it exec'd `detail` with LD_PRELOAD lacking the interposer */
  FL_FACT_EXEC_NO_CONTROL = 3, /* ... with the interposer but no FAULTLINE_CONTROL */
  FL_FACT_EXEC_SECURE = 4,     /* ... a set-user-ID/-group-ID or capability program (AT_SECURE:
                                  the loader ignores LD_PRELOAD) */
  FL_FACT_EXEC_STATIC = 5,     /* ... a statically linked program (no loader, no LD_PRELOAD) */
  FL_FACT_IO_URING = 6,        /* it set up an io_uring (detail: through what) */
  FL_FACT_FOREIGN_ABI = 7,     /* it made a 32-bit (int 0x80) or x32 system call, which the
                                  seccomp backend lets through unjudged (detail: which) */
};

struct fl_fact {
  FL_ATOMIC(uint32_t) state; /* 0: empty or being written, 1: complete, 2: withdrawn */
  uint32_t kind;             /* enum fl_fact_kind */
  int32_t pid;
  int32_t ppid;
  uint32_t uid;
  uint32_t reserved;
  char process[FL_NAME_MAX];
  char detail[FL_SITE_MAX];
};

/* A captured standard stream, by the file its fds refer to. */
struct fl_capture {
  uint64_t dev;
  uint64_t ino;
};

/* Why a call of a rule's own calls did not match the rule; counted per rule, so that a
 * fault that never fired can say why ("12 calls of read by server, none on an ipc fd"). */
enum fl_miss {
  FL_MISS_PROCESS = 0, /* made by another process */
  FL_MISS_KIND = 1,    /* a variant the rule's kind does not apply to */
  FL_MISS_SIZE = 2,    /* short=N: the call asked for N bytes or fewer */
  FL_MISS_SITE = 3,    /* site= did not match the caller */
  FL_MISS_CHANNEL = 4, /* channel= did not match the object */
  FL_MISS_STREAM = 5,  /* reset: not a stream socket */
  FL_MISS_CLASS = 6,   /* fd class differs; FL_MISS_CLASS + class of the object, 4 entries */
  FL_MISS_COUNT = FL_MISS_CLASS + 4,
};

/* Calls one process name made, among the counted calls (counted[] below). A slot is claimed
 * by the first process of that name: state 0 free, 1 being claimed, 2 name valid. */
struct fl_call_counts {
  FL_ATOMIC(uint32_t) state;
  uint32_t reserved;
  char process[FL_NAME_MAX];
  FL_ATOMIC(uint64_t) calls[FL_MAX_CALLS];
};

/* Recording (fl_control.record, `faultline explore`'s baseline): one call site reached by
 * the processes of one name, a distinct (process slot, call, caller). The caller is the
 * return address as a link-time address `offset` of the ELF file (dev, ino); dev = ino = 0
 * and offset = the absolute address when it lies in no module the process knew, all three 0
 * for a call the seccomp backend saw (no caller). A slot is claimed with a CAS (state 0 free,
 * 1 being claimed, 2 key valid); two processes racing for the same key may claim two slots,
 * which the runner merges. */
#define FL_REC_EINTR 1u   /* an EINTR was realistic at one of its calls (realism.h) */
#define FL_REC_EAGAIN 2u  /* an EAGAIN was */
#define FL_REC_SHORT 4u   /* a short transfer was */
#define FL_REC_SECCOMP 8u /* seen by the seccomp backend */
#define FL_REC_EAGAIN_NB 16u /* an EAGAIN was, on a non-blocking fd or call (O_NONBLOCK,   \
                                MSG_DONTWAIT), not only because a socket timeout expired */

/* A return address as the recording keeps it: a link-time address in the ELF file
 * (dev, ino), or dev = ino = 0 and the absolute address. */
struct fl_frame {
  uint64_t dev;
  uint64_t ino;
  uint64_t offset;
};

struct fl_recorded {
  FL_ATOMIC(uint32_t) state;
  uint16_t call;   /* enum fl_call_id */
  uint8_t process; /* index into counts[] (the process name) */
  uint8_t shape;   /* enum fl_shape of the object of the first call */
  uint64_t dev;
  uint64_t ino;
  uint64_t offset;
  FL_ATOMIC(uint64_t) count;
  FL_ATOMIC(uint32_t) flags; /* FL_REC_* (sticky) */
  /* With record_context K > 1: the frames outside the caller that the key includes (the
   * caller's caller first), fewer than K-1 when the stack ends sooner. */
  uint32_t depth;
  struct fl_frame outer[FL_CONTEXT_MAX - 1];
};

/* An ELF file recorded call sites lie in, so that the runner can symbolize them after the
 * processes are gone: its path as the process saw it (dlpi_name, or /proc/self/exe for the
 * main program). Claimed like fl_recorded; several slots may name one file. */
struct fl_module {
  FL_ATOMIC(uint32_t) state;
  uint32_t reserved;
  uint64_t dev;
  uint64_t ino;
  char path[FL_MODULE_PATH];
};

/* --pause-on-fault: a process that injected a fault of an FL_RULE_PAUSE rule claims a slot
 * (state 0 -> 1 with a CAS), fills it, publishes it (state 2, release) and stops itself with
 * SIGSTOP before the call returns to the program. The runner polls the slots, stops the run's
 * other processes, and on resume frees the slots it announced (state 0) and continues them all
 * with SIGCONT. */
struct fl_pause {
  FL_ATOMIC(uint32_t) state; /* 0 free, 1 being written, 2 stopped (or about to be) */
  int32_t pid;
  int32_t tid;
  uint32_t reserved;
  uint64_t event_seq; /* fl_event.seq of the fault's event */
};

struct fl_control {
  uint32_t magic;   /* FL_CONTROL_MAGIC */
  uint32_t version; /* FL_CONTROL_VERSION */
  uint32_t size;    /* sizeof(struct fl_control) as the writer saw it */
  uint32_t rule_count;
  uint32_t channel_count;
  uint32_t reserved;
  uint64_t seed;
  uint64_t armed[FL_MAX_CALLS / 64]; /* union of all rules' call_mask: the fast-path check */
  /* What every armed call reads lies in the block's first page with the header and the first
   * rules (a page touched is a page walk after each system call where the TLB is flushed):
   * count_rules, per call id the rules whose calls-made counts include it (counted[] below),
   * and rules_hit, a bit per rule that has had a hit (set by its first hit, cleared when a
   * hit taken back leaves none), on a line of its own: written once per rule. */
  uint64_t count_rules[FL_MAX_CALLS];
  FL_ATOMIC(uint64_t) rules_hit FL_LINE_ALIGNED;
  uint64_t reserved4[7]; /* the rest of rules_hit's line */
  struct fl_rule rules[FL_MAX_RULES];
  struct fl_channel channels[FL_MAX_CHANNELS];
  FL_ATOMIC(uint64_t) event_next; /* next event sequence number (starts at 0) */
  FL_ATOMIC(uint64_t) event_lost; /* events overwritten before anyone read them */
  struct fl_event events[FL_EVENT_RING];
  FL_ATOMIC(uint32_t) created_next; /* records claimed in created[] (may exceed the capacity) */
  uint32_t reserved2;
  struct fl_created created[FL_MAX_CREATED];
  int32_t runner_pid;            /* processes whose parent it is record FL_FACT_ATTACHED */
  FL_ATOMIC(uint32_t) fact_next; /* records claimed in facts[] (may exceed the capacity) */
  struct fl_fact facts[FL_MAX_FACTS];
  /* The FIFOs (or inherited pipes/sockets) the runner captures the processes' stdout and
   * stderr through: a program's own logging is class `file`, like a terminal, never `ipc`. */
  uint32_t capture_count;
  uint32_t reserved3;
  struct fl_capture captures[FL_MAX_CAPTURES];
  /* Calls counted per process name (relaxed atomics): each rule's calls and their family
   * (read, recv, readv, recvfrom, recvmsg ...; write, send ...), armed with the rules' calls.
   * They and misses[] only say why a rule never matched (the report reads them for rules
   * with no hit), so they are counted only while a rule they are for has none: count_rules
   * (after the header) says per call id which rules' counted calls include it. */
  uint64_t counted[FL_MAX_CALLS / 64];
  struct fl_call_counts counts[FL_COUNT_PROCESSES];
  FL_ATOMIC(uint64_t) misses[FL_MAX_RULES][FL_MISS_COUNT];
  /* Recording: with `record` set the runner arms every call, and each call on an object a
   * default (fd=ipc) rule would match is counted in recorded[]. */
  uint32_t record;
  uint32_t record_context; /* K of `explore --context K`: frames per recorded site; 0/1: caller */
  FL_ATOMIC(uint64_t) recorded_lost; /* calls not recorded: table full, or no process slot */
  struct fl_module modules[FL_MAX_MODULES];
  struct fl_recorded recorded[FL_MAX_RECORDED];
  struct fl_pause pauses[FL_MAX_PAUSES];
};

#ifdef __cplusplus
}
#endif
#endif /* FAULTLINE_CONTROL_H */
