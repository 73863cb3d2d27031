/* The wrappers of the data calls, generated from calls.def: one buffer (family IO: short,
 * eof, corrupt, drop, reset), vectors and message headers (VEC), message arrays (MMSG: short
 * means fewer messages) and message receives (MSGIN: corrupt flips bits of the message text).
 * Each wrapper checks its armed bit and calls the real function; only when a rule exists for
 * the call does it take the slow path: the helpers of its family below decide (decide.c,
 * whose house rules hold here) and apply the fault around the real call, which the generated
 * slow path makes with the row's own arguments (a short fault lowers the length argument
 * first). */
#define _GNU_SOURCE
#include <errno.h>
#include <mqueue.h>
#include <stddef.h>
#include <sys/msg.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#include "wrap.h"

static int fl_is_input(int call) {
  return call == FL_CALL_read || call == FL_CALL___read_chk || call == FL_CALL_recv ||
         call == FL_CALL___recv_chk || call == FL_CALL_recvfrom || call == FL_CALL___recvfrom_chk ||
         call == FL_CALL_readv || call == FL_CALL_recvmsg;
}

/* ---- data calls on one buffer: short, eof, corrupt, drop, reset ------------------------- */

/* Before the real call: 1 when the call is answered without it (*done its result), else 0
 * with *len lowered by a short fault. `limit`: a fortified call asking for more than its
 * buffer aborts, as glibc's does. */
static int fl_io_before(struct fl_shot* s, int call, const struct fl_obj* obj, size_t* len,
                        size_t limit, int flags, uint64_t caller, int64_t* done) {
  size_t n = *len;
  if (n > limit) __chk_fail();
  if (fl_is_reset(obj->fd)) {
    errno = ECONNRESET;
    *done = -1;
    return 1;
  }
  if (!fl_decide_io(s, call, obj, caller, n, (flags & MSG_DONTWAIT) != 0)) return 0;
  switch (s->action) {
    case FL_ACT_ERROR:
      *done = fl_is_input(call) ? fl_fail(s) : fl_fail_send(s, flags);
      return 1;
    case FL_ACT_EOF:
      fl_record(s, 0, 0, 0);
      *done = 0;
      return 1;
    case FL_ACT_RESET:
      *done = fl_reset(s, obj->fd);
      return 1;
    case FL_ACT_DROP:
      fl_record(s, (int64_t)n, 0, 0);
      *done = (int64_t)n;
      return 1;
    case FL_ACT_SHORT:
      if (s->arg >= 0 && (size_t)s->arg < n) *len = (size_t)s->arg;
      break;
  }
  return 0;
}

/* After the real call: corrupt what came in, record the outcome. */
static void fl_io_after(struct fl_shot* s, int call, const void* buf, ssize_t r) {
  if (s->rule < 0) return;
  if (s->action == FL_ACT_CORRUPT && r > 0 && fl_is_input(call))
    fl_rules_corrupt(fl_ctl, s->rule, s->hit, (unsigned char*)buf, (uint64_t)r);
  fl_after(s, r, r > 0 ? r : 0);
}

#define FL_IO_BUF(buf, len, flags, limit) \
  const void* fl_buf = (buf);             \
  size_t* fl_len = &(len);                \
  int fl_flags = (flags);                 \
  size_t fl_limit = (limit);

#define FL_GEN_IO(name, ret, fail, params, args, object, data)                                    \
  __attribute__((noinline)) static ret name##_slow(uint64_t fl_caller, FL_UNPAREN params) {       \
    FL_IO_##data const struct fl_obj fl_o = FL_OBJ_##object;                                      \
    struct fl_shot s;                                                                             \
    int64_t fl_done;                                                                              \
    if (fl_io_before(&s, FL_CALL_##name, &fl_o, fl_len, fl_limit, fl_flags, fl_caller, &fl_done)) \
      return (ret)fl_done;                                                                        \
    ret fl_r = REAL(name) args;                                                                   \
    fl_io_after(&s, FL_CALL_##name, fl_buf, fl_r);                                                \
    return fl_r;                                                                                  \
  }                                                                                               \
  FL_EXPORT ret name params {                                                                     \
    if (fl_is_armed(FL_CALL_##name)) return name##_slow(CALLER, FL_UNPAREN args);                 \
    return REAL(name) args;                                                                       \
  }

/* ---- vectored data calls ---------------------------------------------------------------- */

/* The first `limit` bytes of an iovec array, in at most FL_IOV_MAX entries (fewer bytes when
 * more entries would be needed: still "at most N"). */
static int fl_iov_limit(const struct iovec* iov, int cnt, size_t limit, struct iovec* out) {
  int k = 0;
  for (int i = 0; i < cnt && k < FL_IOV_MAX && limit > 0; ++i) {
    size_t l = iov[i].iov_len < limit ? iov[i].iov_len : limit;
    if (l == 0) continue;
    out[k].iov_base = iov[i].iov_base;
    out[k].iov_len = l;
    ++k;
    limit -= l;
  }
  return k;
}

static size_t fl_iov_total(const struct iovec* iov, size_t cnt) {
  size_t t = 0;
  for (size_t i = 0; i < cnt; ++i) t += iov[i].iov_len;
  return t;
}

/* Corrupts the first `got` bytes received into an iovec array, in its first non-empty
 * segment (bits of one segment are enough to break any checksum over the message). */
static void fl_corrupt_iov(const struct fl_shot* s, const struct iovec* iov, size_t cnt,
                           size_t got) {
  for (size_t i = 0; i < cnt && got > 0; ++i) {
    if (iov[i].iov_len == 0) continue;
    size_t l = iov[i].iov_len < got ? iov[i].iov_len : got;
    fl_rules_corrupt(fl_ctl, s->rule, s->hit, iov[i].iov_base, l);
    return;
  }
}

/* One vectored call: the caller's vector (readv/writev: iov, cnt; sendmsg/recvmsg: msg), and
 * the shortened copy a short fault makes the real call use instead (`limited`). */
struct fl_vec {
  const struct iovec* iov;
  int cnt;
  struct msghdr* msg;
  int flags;
  const struct iovec* all; /* the caller's vector, for corrupt and drop */
  size_t all_cnt;
  int limited;
  struct msghdr m;               /* msg, shortened */
  struct iovec part[FL_IOV_MAX]; /* the iovec, shortened */
  int part_cnt;
};

#define FL_VEC_IOV(iov, cnt) \
  { .iov = (iov), .cnt = (cnt) }
#define FL_VEC_MSG(msg, flags) \
  { .msg = (struct msghdr*)(msg), .flags = (flags) }
/* The real call gets the shortened copy. */
#define FL_VEC_USE_IOV(iov, cnt) \
  if (fl_v.limited) {            \
    iov = fl_v.part;             \
    cnt = fl_v.part_cnt;         \
  }
#define FL_VEC_USE_MSG(msg, flags) \
  if (fl_v.limited) msg = &fl_v.m;

static int fl_vec_before(struct fl_shot* s, int call, const struct fl_obj* obj, struct fl_vec* v,
                         uint64_t caller, int64_t* done) {
  if (fl_is_reset(obj->fd)) {
    errno = ECONNRESET;
    *done = -1;
    return 1;
  }
  v->all = v->msg ? v->msg->msg_iov : v->iov;
  v->all_cnt = v->msg ? v->msg->msg_iovlen : (size_t)(v->cnt < 0 ? 0 : v->cnt);
  v->limited = 0;
  uint64_t asked = 0;
  for (size_t i = 0; v->all && i < v->all_cnt; ++i) asked += v->all[i].iov_len;
  if (!fl_decide_io(s, call, obj, caller, asked, (v->flags & MSG_DONTWAIT) != 0)) return 0;
  switch (s->action) {
    case FL_ACT_ERROR:
      *done = fl_is_input(call) ? fl_fail(s) : fl_fail_send(s, v->flags);
      return 1;
    case FL_ACT_EOF:
      fl_record(s, 0, 0, 0);
      *done = 0;
      return 1;
    case FL_ACT_RESET:
      *done = fl_reset(s, obj->fd);
      return 1;
    case FL_ACT_DROP: {
      ssize_t n = (ssize_t)fl_iov_total(v->all, v->all_cnt);
      fl_record(s, n, 0, 0);
      *done = n;
      return 1;
    }
    case FL_ACT_SHORT: {
      size_t limit = (size_t)(s->arg < 0 ? 0 : s->arg);
      v->limited = 1;
      if (v->msg) {
        v->m = *v->msg;
        v->m.msg_iov = v->part;
        v->m.msg_iovlen =
            (size_t)fl_iov_limit(v->msg->msg_iov, (int)v->msg->msg_iovlen, limit, v->part);
      } else {
        v->part_cnt = fl_iov_limit(v->iov, v->cnt, limit, v->part);
      }
      break;
    }
  }
  return 0;
}

static void fl_vec_after(struct fl_shot* s, int call, struct fl_vec* v, ssize_t r) {
  if (v->limited && v->msg && call == FL_CALL_recvmsg) {
    /* What the kernel wrote into the shortened header is the caller's. */
    v->msg->msg_namelen = v->m.msg_namelen;
    v->msg->msg_controllen = v->m.msg_controllen;
    v->msg->msg_flags = v->m.msg_flags;
  }
  if (s->rule < 0) return;
  if (s->action == FL_ACT_CORRUPT && r > 0 && fl_is_input(call))
    fl_corrupt_iov(s, v->all, v->all_cnt, (size_t)r);
  fl_after(s, r, r > 0 ? r : 0);
}

#define FL_GEN_VEC(name, ret, fail, params, args, object, data)                                    \
  __attribute__((noinline)) static ret name##_slow(uint64_t fl_caller, FL_UNPAREN params) {        \
    const struct fl_obj fl_o = FL_OBJ_##object;                                                    \
    struct fl_vec fl_v = FL_VEC_##data;                                                            \
    struct fl_shot s;                                                                              \
    int64_t fl_done;                                                                               \
    if (fl_vec_before(&s, FL_CALL_##name, &fl_o, &fl_v, fl_caller, &fl_done)) return (ret)fl_done; \
    FL_VEC_USE_##data ret fl_r = REAL(name) args;                                                  \
    fl_vec_after(&s, FL_CALL_##name, &fl_v, fl_r);                                                 \
    return fl_r;                                                                                   \
  }                                                                                                \
  FL_EXPORT ret name params {                                                                      \
    if (fl_is_armed(FL_CALL_##name)) return name##_slow(CALLER, FL_UNPAREN args);                  \
    return REAL(name) args;                                                                        \
  }

/* ---- message arrays: short means fewer messages ------------------------------------------ */

static int fl_mmsg_before(struct fl_shot* s, int call, const struct fl_obj* obj,
                          struct mmsghdr* vec, unsigned* vlen, int flags, uint64_t caller,
                          int64_t* done) {
  if (fl_is_reset(obj->fd)) {
    errno = ECONNRESET;
    *done = -1;
    return 1;
  }
  unsigned n = *vlen;
  if (!fl_decide_io(s, call, obj, caller, n, (flags & MSG_DONTWAIT) != 0)) return 0;
  switch (s->action) {
    case FL_ACT_ERROR:
      *done = call == FL_CALL_recvmmsg ? fl_fail(s) : fl_fail_send(s, flags);
      return 1;
    case FL_ACT_DROP:
      for (unsigned i = 0; i < n; ++i)
        vec[i].msg_len = (unsigned)fl_iov_total(vec[i].msg_hdr.msg_iov, vec[i].msg_hdr.msg_iovlen);
      fl_record(s, (int64_t)n, 0, 0);
      *done = (int64_t)n;
      return 1;
    case FL_ACT_SHORT:
      if (s->arg >= 0 && (unsigned)s->arg < n) *vlen = (unsigned)(s->arg == 0 ? 1 : s->arg);
      break;
  }
  return 0;
}

static void fl_mmsg_after(struct fl_shot* s, const struct mmsghdr* vec, int r) {
  if (s->rule < 0) return;
  if (s->action == FL_ACT_CORRUPT && r > 0)
    fl_corrupt_iov(s, vec[0].msg_hdr.msg_iov, vec[0].msg_hdr.msg_iovlen, vec[0].msg_len);
  fl_after(s, r, 0);
}

#define FL_MMSG_MMSG(vec, vlen, flags) \
  struct mmsghdr* fl_vec = (vec);      \
  unsigned* fl_vlen = &(vlen);         \
  int fl_flags = (flags);

#define FL_GEN_MMSG(name, ret, fail, params, args, object, data)                                   \
  __attribute__((noinline)) static ret name##_slow(uint64_t fl_caller, FL_UNPAREN params) {        \
    FL_MMSG_##data const struct fl_obj fl_o = FL_OBJ_##object;                                     \
    struct fl_shot s;                                                                              \
    int64_t fl_done;                                                                               \
    if (fl_mmsg_before(&s, FL_CALL_##name, &fl_o, fl_vec, fl_vlen, fl_flags, fl_caller, &fl_done)) \
      return (ret)fl_done;                                                                         \
    ret fl_r = REAL(name) args;                                                                    \
    fl_mmsg_after(&s, fl_vec, fl_r);                                                               \
    return fl_r;                                                                                   \
  }                                                                                                \
  FL_EXPORT ret name params {                                                                      \
    if (fl_is_armed(FL_CALL_##name)) return name##_slow(CALLER, FL_UNPAREN args);                  \
    return REAL(name) args;                                                                        \
  }

/* ---- message receives: corrupt flips bits of the message text ---------------------------- */

/* After the real call of a fired rule: corrupt the text of what came in (msgrcv's buffer
 * starts with the message type; the text follows), record the outcome. */
static void fl_msgin_after(struct fl_shot* s, void* msg, size_t text_offset, ssize_t r) {
  if (s->action == FL_ACT_CORRUPT && r > 0)
    fl_rules_corrupt(fl_ctl, s->rule, s->hit, (unsigned char*)msg + text_offset, (uint64_t)r);
  fl_after(s, r, r > 0 ? r : 0);
}

#define FL_MSGIN_TEXT(msg, offset) \
  void* fl_msg = (msg);            \
  size_t fl_text = (offset);

#define FL_GEN_MSGIN(name, ret, fail, params, args, object, data)                           \
  __attribute__((noinline)) static ret name##_slow(uint64_t fl_caller, FL_UNPAREN params) { \
    FL_MSGIN_##data const struct fl_obj fl_o = FL_OBJ_##object;                             \
    struct fl_shot s;                                                                       \
    if (!fl_decide(&s, FL_CALL_##name, &fl_o, fl_caller)) return REAL(name) args;           \
    if (s.action == FL_ACT_ERROR) return (ret)fl_fail(&s);                                  \
    ret fl_r = REAL(name) args;                                                             \
    fl_msgin_after(&s, fl_msg, fl_text, fl_r);                                              \
    return fl_r;                                                                            \
  }                                                                                         \
  FL_EXPORT ret name params {                                                               \
    if (fl_is_armed(FL_CALL_##name)) return name##_slow(CALLER, FL_UNPAREN args);           \
    return REAL(name) args;                                                                 \
  }

#include "wrap_rows.h"
