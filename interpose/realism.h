/* What the kernel can produce: the faults that are impossible on an object (refused unless
 * the rule says force) and those possible on it but not in the state at hand (injected, and
 * flagged). Plain C, no system calls: the caller looks at the object and the process and
 * passes what it saw. Knowledge per call lives in realism.def. */
#ifndef FAULTLINE_REALISM_H
#define FAULTLINE_REALISM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What kind of object an fd is, as far as faults care (3 bits). */
enum fl_shape {
  FL_SHAPE_UNKNOWN = 0, /* not an fd, or not looked at */
  FL_SHAPE_PIPE = 1,    /* pipe or FIFO: a byte stream */
  FL_SHAPE_STREAM = 2,  /* SOCK_STREAM socket */
  FL_SHAPE_MESSAGE = 3, /* SOCK_DGRAM, SOCK_SEQPACKET or SOCK_RAW socket: whole messages */
  FL_SHAPE_RECORD = 4,  /* eventfd, signalfd, timerfd, inotify, fanotify, userfaultfd */
  FL_SHAPE_ANON = 5,    /* other anonymous inodes: epoll, pidfd, io_uring, ... */
  FL_SHAPE_REGULAR = 6, /* regular file: never waits */
  FL_SHAPE_OTHER = 7,   /* devices, directories, message queues, ... */
};

/* realism.def flags. */
#define FL_R_WAITS 0x001u
#define FL_R_FDWAIT 0x002u
#define FL_R_NORESTART 0x004u
#define FL_R_STOPEINTR 0x008u
#define FL_R_TIMEO_RCV 0x010u
#define FL_R_TIMEO_SND 0x020u
#define FL_R_EAGAIN_NB 0x040u
#define FL_R_PIPE_WRITE 0x080u
#define FL_R_STREAM_SEND 0x100u

/* The realism.def flags of a call (0 for a call that never waits). */
unsigned fl_call_realism(int call);

/* enum fl_why when `action` can never happen on an fd of this shape, else 0. */
unsigned fl_impossible(int call, unsigned action, unsigned shape);

/* Signal dispositions of the process, for EINTR and short blocking transfers. */
enum fl_handlers {
  FL_HANDLERS_NONE = 0,      /* no signal is caught */
  FL_HANDLERS_RESTART = 1,   /* every caught signal has SA_RESTART */
  FL_HANDLERS_INTERRUPT = 2, /* at least one caught signal lacks SA_RESTART */
};

/* What the caller saw of the object and the process; -1 in a field means "not known", and
 * nothing is claimed from it. */
struct fl_state {
  unsigned shape;  /* enum fl_shape */
  int nonblocking; /* O_NONBLOCK on the fd, or MSG_DONTWAIT on the call */
  int rcvtimeo;    /* SO_RCVTIMEO set on the socket */
  int sndtimeo;    /* SO_SNDTIMEO set */
  int handlers;    /* enum fl_handlers */
};

/* What fl_unrealistic needs to know for this fault (FL_STATE_* bits); 0: nothing to check,
 * so the caller spends no system call. */
#define FL_STATE_FD 1u      /* shape, nonblocking, the socket timeouts */
#define FL_STATE_SIGNALS 2u /* handlers */
unsigned fl_realism_needs(int call, unsigned action, int32_t arg);

/* enum fl_why when the fault is possible on the object but not in this state, else 0.
 * `size` is what the call asked to move (bytes). */
unsigned fl_unrealistic(int call, unsigned action, int32_t arg, uint64_t size,
                        const struct fl_state* st);

/* Recording (faultline_control.h, FL_REC_*): which of EINTR, EAGAIN and a short transfer a
 * call can suffer at all on an object of this shape (FL_REC_EINTR where it may wait,
 * FL_REC_EAGAIN where O_NONBLOCK or a socket timeout makes it fail instead of waiting,
 * FL_REC_SHORT where short is a kind of the call and possible on the shape); what state
 * (FL_STATE_*) judging the bits of `want` needs; and which of them are realistic in the
 * state `st`. */
unsigned fl_record_possible(int call, unsigned shape);
unsigned fl_record_needs(int call, unsigned want);
unsigned fl_record_realistic(int call, unsigned want, uint64_t size, const struct fl_state* st);

/* One line saying why, for reports; "" for FL_WHY_NONE. */
const char* fl_why_text(unsigned why);
/* A short stable name for JSON and tests ("eintr-no-handler"); "" for FL_WHY_NONE. */
const char* fl_why_name(unsigned why);

#ifdef __cplusplus
}
#endif
#endif /* FAULTLINE_REALISM_H */
