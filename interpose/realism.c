/* The realism checker; see realism.h. Pure functions of their arguments: no system call, no
 * allocation, safe in any context (the interposer calls it on the path of a firing rule). */
#include "realism.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>

#include "faultline_control.h"

static const unsigned fl_realism_table[FL_CALL_COUNT] = {
#define FL_REALISM(symbol, flags) [FL_CALL_##symbol] = (flags),
#include "realism.def"
#undef FL_REALISM
};

#ifndef PIPE_BUF
#define PIPE_BUF 4096
#endif

unsigned fl_call_realism(int call) {
  return call >= 0 && call < FL_CALL_COUNT ? fl_realism_table[call] : 0;
}

static int fl_is_mmsg(int call) { return call == FL_CALL_sendmmsg || call == FL_CALL_recvmmsg; }

unsigned fl_impossible(int call, unsigned action, unsigned shape) {
  switch (action) {
    case FL_ACT_SHORT:
      /* The kernel moves a record or a message whole or not at all; *mmsg's short is a count
       * of messages, which the kernel does cut. */
      if (shape == FL_SHAPE_RECORD) return FL_WHY_RECORD_WHOLE;
      if (shape == FL_SHAPE_MESSAGE && !fl_is_mmsg(call)) return FL_WHY_MESSAGE_WHOLE;
      return FL_WHY_NONE;
    case FL_ACT_EOF:
      return shape == FL_SHAPE_RECORD ? FL_WHY_RECORD_NO_EOF : FL_WHY_NONE;
    case FL_ACT_DROP:
      return shape == FL_SHAPE_PIPE || shape == FL_SHAPE_STREAM ? FL_WHY_STREAM_NO_DROP
                                                                : FL_WHY_NONE;
    case FL_ACT_RESET:
      return shape == FL_SHAPE_STREAM ? FL_WHY_NONE : FL_WHY_RESET_NOT_STREAM;
    default:
      return FL_WHY_NONE;
  }
}

static int fl_is_eagain(int32_t err) { return err == EAGAIN || err == EWOULDBLOCK; }

unsigned fl_realism_needs(int call, unsigned action, int32_t arg) {
  unsigned r = fl_call_realism(call);
  if (action == FL_ACT_ERROR && arg == EINTR)
    return (r & FL_R_WAITS) ? FL_STATE_FD | FL_STATE_SIGNALS : 0;
  if (action == FL_ACT_ERROR && fl_is_eagain(arg)) return (r & FL_R_EAGAIN_NB) ? FL_STATE_FD : 0;
  if (action == FL_ACT_SHORT && (r & (FL_R_PIPE_WRITE | FL_R_STREAM_SEND)))
    return FL_STATE_FD | FL_STATE_SIGNALS;
  return 0;
}

/* Whether a socket timeout applies to this call: then the call behaves as signal(7) says of
 * socket calls with a timeout (never restarted, EINTR after a stop, EAGAIN on expiry). */
static int fl_timeout_applies(unsigned r, const struct fl_state* st) {
  return ((r & FL_R_TIMEO_RCV) && st->rcvtimeo == 1) || ((r & FL_R_TIMEO_SND) && st->sndtimeo == 1);
}

static unsigned fl_eintr(unsigned r, const struct fl_state* st) {
  if (!(r & FL_R_WAITS)) return FL_WHY_EINTR_NEVER_WAITS;
  if ((r & FL_R_FDWAIT) && (st->nonblocking == 1 || st->shape == FL_SHAPE_REGULAR))
    return FL_WHY_EINTR_NEVER_WAITS;
  int timeout = fl_timeout_applies(r, st);
  if ((r & FL_R_STOPEINTR) || timeout) return FL_WHY_NONE; /* a stop and SIGCONT suffice */
  if (st->handlers == FL_HANDLERS_NONE) return FL_WHY_EINTR_NO_HANDLER;
  if (st->handlers == FL_HANDLERS_RESTART && !(r & FL_R_NORESTART)) return FL_WHY_EINTR_SA_RESTART;
  return FL_WHY_NONE;
}

unsigned fl_unrealistic(int call, unsigned action, int32_t arg, uint64_t size,
                        const struct fl_state* st) {
  unsigned r = fl_call_realism(call);
  if (action == FL_ACT_ERROR && arg == EINTR) return fl_eintr(r, st);
  if (action == FL_ACT_ERROR && fl_is_eagain(arg) && (r & FL_R_EAGAIN_NB)) {
    if (st->nonblocking != 0 || fl_timeout_applies(r, st)) return FL_WHY_NONE;
    int socket = st->shape == FL_SHAPE_STREAM || st->shape == FL_SHAPE_MESSAGE;
    if (socket && (((r & FL_R_TIMEO_RCV) && st->rcvtimeo != 0) ||
                   ((r & FL_R_TIMEO_SND) && st->sndtimeo != 0)))
      return FL_WHY_NONE; /* its timeout is not known */
    return FL_WHY_EAGAIN_BLOCKING;
  }
  if (action == FL_ACT_SHORT) {
    if ((r & FL_R_PIPE_WRITE) && st->shape == FL_SHAPE_PIPE) {
      if (size != UINT64_MAX && size <= PIPE_BUF) return FL_WHY_PIPE_ATOMIC;
      if (st->nonblocking == 0 && st->handlers == FL_HANDLERS_NONE) return FL_WHY_PIPE_BLOCKING;
    }
    if ((r & FL_R_STREAM_SEND) && st->shape == FL_SHAPE_STREAM && st->nonblocking == 0 &&
        st->sndtimeo == 0 && st->handlers == FL_HANDLERS_NONE)
      return FL_WHY_SEND_BLOCKING;
  }
  return FL_WHY_NONE;
}

/* The faults whose realism a recording keeps, one FL_REC_* bit each. */
static const struct {
  unsigned bit, action;
  int32_t arg;
} fl_record_probes[] = {{FL_REC_EINTR, FL_ACT_ERROR, EINTR},
                        {FL_REC_EAGAIN, FL_ACT_ERROR, EAGAIN},
                        {FL_REC_SHORT, FL_ACT_SHORT, 1}};
#define FL_RECORD_PROBES (sizeof fl_record_probes / sizeof fl_record_probes[0])

static const uint32_t fl_record_kinds[FL_CALL_COUNT] = {
#define FL_CALL(name, base, family, ret, fail, params, args, obj, kinds, errnos, transient, hard, \
                data)                                                                             \
  kinds,
#include "calls.def"
#undef FL_CALL
};

unsigned fl_record_possible(int call, unsigned shape) {
  unsigned r = fl_call_realism(call), bits = 0;
  if (r & FL_R_WAITS) bits |= FL_REC_EINTR;
  if (r & FL_R_EAGAIN_NB) bits |= FL_REC_EAGAIN;
  if (call >= 0 && call < FL_CALL_COUNT && (fl_record_kinds[call] & FL_KIND(FL_ACT_SHORT)) &&
      !fl_impossible(call, FL_ACT_SHORT, shape))
    bits |= FL_REC_SHORT;
  return bits;
}

unsigned fl_record_needs(int call, unsigned want) {
  unsigned need = 0;
  for (size_t i = 0; i < FL_RECORD_PROBES; ++i)
    if (want & fl_record_probes[i].bit)
      need |= fl_realism_needs(call, fl_record_probes[i].action, fl_record_probes[i].arg);
  return need;
}

unsigned fl_record_realistic(int call, unsigned want, uint64_t size, const struct fl_state* st) {
  unsigned bits = 0;
  for (size_t i = 0; i < FL_RECORD_PROBES; ++i) {
    if (!(want & fl_record_probes[i].bit)) continue;
    if (fl_unrealistic(call, fl_record_probes[i].action, fl_record_probes[i].arg, size, st) ==
        FL_WHY_NONE)
      bits |= fl_record_probes[i].bit;
  }
  /* Without O_NONBLOCK or MSG_DONTWAIT, an EAGAIN means the socket's own timeout expired: the
   * program asked to give up then, so explore treats that EAGAIN as hard, not transient. */
  if ((bits & FL_REC_EAGAIN) && st->nonblocking == 1) bits |= FL_REC_EAGAIN_NB;
  return bits;
}

const char* fl_why_text(unsigned why) {
  switch (why) {
    case FL_WHY_RECORD_WHOLE:
      return "impossible: an eventfd, signalfd, timerfd or inotify record is transferred whole "
             "or not at all (a shorter buffer fails with EINVAL)";
    case FL_WHY_RECORD_NO_EOF:
      return "impossible: a read of an eventfd, signalfd, timerfd or inotify fd never returns 0";
    case FL_WHY_MESSAGE_WHOLE:
      return "impossible: a datagram or SOCK_SEQPACKET message travels whole or not at all";
    case FL_WHY_STREAM_NO_DROP:
      return "impossible: a pipe, FIFO or stream socket delivers what it accepted; only "
             "datagrams and messages can be lost";
    case FL_WHY_RESET_NOT_STREAM:
      return "impossible: only a stream socket has a connection to reset";
    case FL_WHY_EINTR_NO_HANDLER:
      return "unrealistic here: no signal handler is installed, so the call cannot fail with "
             "EINTR";
    case FL_WHY_EINTR_SA_RESTART:
      return "unrealistic here: every signal handler is installed with SA_RESTART, which "
             "restarts this call instead of failing it with EINTR (signal(7))";
    case FL_WHY_EINTR_NEVER_WAITS:
      return "unrealistic here: the call does not wait (non-blocking fd, regular file, or a "
             "call that never sleeps), so no signal can interrupt it";
    case FL_WHY_EAGAIN_BLOCKING:
      return "unrealistic here: the fd is blocking (no O_NONBLOCK, no MSG_DONTWAIT, no "
             "SO_RCVTIMEO/SO_SNDTIMEO), so the call waits instead of failing with EAGAIN";
    case FL_WHY_PIPE_ATOMIC:
      return "unrealistic here: a write of at most PIPE_BUF (4096) bytes to a pipe is atomic, "
             "never short";
    case FL_WHY_PIPE_BLOCKING:
      return "unrealistic here: a blocking write to a pipe is cut short only by a signal "
             "handler, and none is installed";
    case FL_WHY_SEND_BLOCKING:
      return "unrealistic here: a blocking send on a stream socket moves everything unless a "
             "signal handler or SO_SNDTIMEO cuts it short, and there is neither";
    default:
      return "";
  }
}

const char* fl_why_name(unsigned why) {
  switch (why) {
    case FL_WHY_RECORD_WHOLE:
      return "record-whole";
    case FL_WHY_RECORD_NO_EOF:
      return "record-no-eof";
    case FL_WHY_MESSAGE_WHOLE:
      return "message-whole";
    case FL_WHY_STREAM_NO_DROP:
      return "stream-no-drop";
    case FL_WHY_RESET_NOT_STREAM:
      return "reset-not-stream";
    case FL_WHY_EINTR_NO_HANDLER:
      return "eintr-no-handler";
    case FL_WHY_EINTR_SA_RESTART:
      return "eintr-sa-restart";
    case FL_WHY_EINTR_NEVER_WAITS:
      return "eintr-never-waits";
    case FL_WHY_EAGAIN_BLOCKING:
      return "eagain-blocking";
    case FL_WHY_PIPE_ATOMIC:
      return "pipe-atomic";
    case FL_WHY_PIPE_BLOCKING:
      return "pipe-blocking";
    case FL_WHY_SEND_BLOCKING:
      return "send-blocking";
    default:
      return "";
  }
}
