// interpose/realism.{def,c}: which faults the kernel can produce on which fd, in which state.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cerrno>

#include "faultline_control.h"
#include "faults/call_table.h"
#include "realism.h"

namespace faultline {
namespace {

fl_state state(unsigned shape, int nonblocking, int handlers, int rcvtimeo = 0, int sndtimeo = 0) {
  return fl_state{shape, nonblocking, rcvtimeo, sndtimeo, handlers};
}

TEST_CASE("Every call whose man page lists EINTR has a row in realism.def") {
  for (const CallInfo& c : call_table()) {
    bool eintr = std::find(c.errnos.begin(), c.errnos.end(), "EINTR") != c.errnos.end();
    CAPTURE(c.symbol);
    if (eintr) CHECK((fl_call_realism(c.id) & FL_R_WAITS) != 0);
  }
}

TEST_CASE("Kinds impossible on an fd's shape are named, the possible ones are not") {
  CHECK(fl_impossible(FL_CALL_read, FL_ACT_SHORT, FL_SHAPE_RECORD) == FL_WHY_RECORD_WHOLE);
  CHECK(fl_impossible(FL_CALL_read, FL_ACT_EOF, FL_SHAPE_RECORD) == FL_WHY_RECORD_NO_EOF);
  CHECK(fl_impossible(FL_CALL_recv, FL_ACT_SHORT, FL_SHAPE_MESSAGE) == FL_WHY_MESSAGE_WHOLE);
  CHECK(fl_impossible(FL_CALL_sendto, FL_ACT_SHORT, FL_SHAPE_MESSAGE) == FL_WHY_MESSAGE_WHOLE);
  CHECK(fl_impossible(FL_CALL_write, FL_ACT_DROP, FL_SHAPE_PIPE) == FL_WHY_STREAM_NO_DROP);
  CHECK(fl_impossible(FL_CALL_send, FL_ACT_DROP, FL_SHAPE_STREAM) == FL_WHY_STREAM_NO_DROP);
  CHECK(fl_impossible(FL_CALL_recv, FL_ACT_RESET, FL_SHAPE_MESSAGE) == FL_WHY_RESET_NOT_STREAM);
  // What the kernel does do.
  CHECK(fl_impossible(FL_CALL_recvmmsg, FL_ACT_SHORT, FL_SHAPE_MESSAGE) == FL_WHY_NONE);
  CHECK(fl_impossible(FL_CALL_send, FL_ACT_DROP, FL_SHAPE_MESSAGE) == FL_WHY_NONE);
  CHECK(fl_impossible(FL_CALL_read, FL_ACT_SHORT, FL_SHAPE_PIPE) == FL_WHY_NONE);
  CHECK(fl_impossible(FL_CALL_recv, FL_ACT_SHORT, FL_SHAPE_STREAM) == FL_WHY_NONE);
  CHECK(fl_impossible(FL_CALL_read, FL_ACT_SHORT, FL_SHAPE_UNKNOWN) == FL_WHY_NONE);
}

TEST_CASE("EINTR needs a handler, one without SA_RESTART for a restarted call, or a stop") {
  auto pipe = [](int handlers) { return state(FL_SHAPE_PIPE, 0, handlers); };
  auto eintr = [](int call, fl_state s) {
    return fl_unrealistic(call, FL_ACT_ERROR, EINTR, 8, &s);
  };
  CHECK(eintr(FL_CALL_read, pipe(FL_HANDLERS_NONE)) == FL_WHY_EINTR_NO_HANDLER);
  CHECK(eintr(FL_CALL_read, pipe(FL_HANDLERS_RESTART)) == FL_WHY_EINTR_SA_RESTART);
  CHECK(eintr(FL_CALL_read, pipe(FL_HANDLERS_INTERRUPT)) == FL_WHY_NONE);
  CHECK(eintr(FL_CALL_read, state(FL_SHAPE_PIPE, 1, FL_HANDLERS_INTERRUPT)) ==
        FL_WHY_EINTR_NEVER_WAITS);
  CHECK(eintr(FL_CALL_read, state(FL_SHAPE_REGULAR, 0, FL_HANDLERS_INTERRUPT)) ==
        FL_WHY_EINTR_NEVER_WAITS);
  // Never restarted (signal(7)): any handler will do.
  CHECK(eintr(FL_CALL_poll, pipe(FL_HANDLERS_RESTART)) == FL_WHY_NONE);
  CHECK(eintr(FL_CALL_msgrcv, pipe(FL_HANDLERS_NONE)) == FL_WHY_EINTR_NO_HANDLER);
  // Interrupted by SIGSTOP and SIGCONT without any handler (signal(7)).
  CHECK(eintr(FL_CALL_epoll_wait, pipe(FL_HANDLERS_NONE)) == FL_WHY_NONE);
  CHECK(eintr(FL_CALL_semop, pipe(FL_HANDLERS_NONE)) == FL_WHY_NONE);
  CHECK(eintr(FL_CALL_recv, state(FL_SHAPE_STREAM, 0, FL_HANDLERS_NONE, 1)) == FL_WHY_NONE);
  CHECK(eintr(FL_CALL_recv, state(FL_SHAPE_STREAM, 0, FL_HANDLERS_NONE, 0)) ==
        FL_WHY_EINTR_NO_HANDLER);
  // A call that never waits.
  CHECK(eintr(FL_CALL_socket, pipe(FL_HANDLERS_INTERRUPT)) == FL_WHY_EINTR_NEVER_WAITS);
  // Nothing known: nothing claimed.
  CHECK(eintr(FL_CALL_read, state(FL_SHAPE_UNKNOWN, -1, -1, -1, -1)) == FL_WHY_NONE);
}

TEST_CASE("EAGAIN needs a non-blocking fd or an expired socket timeout") {
  auto eagain = [](int call, fl_state s) {
    return fl_unrealistic(call, FL_ACT_ERROR, EAGAIN, 8, &s);
  };
  CHECK(eagain(FL_CALL_read, state(FL_SHAPE_PIPE, 0, 0)) == FL_WHY_EAGAIN_BLOCKING);
  CHECK(eagain(FL_CALL_read, state(FL_SHAPE_PIPE, 1, 0)) == FL_WHY_NONE);
  CHECK(eagain(FL_CALL_recv, state(FL_SHAPE_STREAM, 0, 0, 1)) == FL_WHY_NONE);
  CHECK(eagain(FL_CALL_send, state(FL_SHAPE_STREAM, 0, 0, 1, 0)) == FL_WHY_EAGAIN_BLOCKING);
  CHECK(eagain(FL_CALL_mq_send, state(FL_SHAPE_OTHER, 0, 0)) == FL_WHY_EAGAIN_BLOCKING);
  // connect's EAGAIN is about ports and routes, not about waiting.
  CHECK(eagain(FL_CALL_connect, state(FL_SHAPE_STREAM, 0, 0)) == FL_WHY_NONE);
}

TEST_CASE("A short write is unrealistic on a pipe up to PIPE_BUF and on a blocking stream") {
  auto cut = [](int call, uint64_t size, fl_state s) {
    return fl_unrealistic(call, FL_ACT_SHORT, 100, size, &s);
  };
  CHECK(cut(FL_CALL_write, 4096, state(FL_SHAPE_PIPE, 1, 0)) == FL_WHY_PIPE_ATOMIC);
  CHECK(cut(FL_CALL_write, 4097, state(FL_SHAPE_PIPE, 0, FL_HANDLERS_NONE)) ==
        FL_WHY_PIPE_BLOCKING);
  CHECK(cut(FL_CALL_write, 4097, state(FL_SHAPE_PIPE, 0, FL_HANDLERS_RESTART)) == FL_WHY_NONE);
  CHECK(cut(FL_CALL_write, 8192, state(FL_SHAPE_PIPE, 1, FL_HANDLERS_NONE)) == FL_WHY_NONE);
  CHECK(cut(FL_CALL_send, 8192, state(FL_SHAPE_STREAM, 0, FL_HANDLERS_NONE)) ==
        FL_WHY_SEND_BLOCKING);
  CHECK(cut(FL_CALL_send, 8192, state(FL_SHAPE_STREAM, 1, FL_HANDLERS_NONE)) == FL_WHY_NONE);
  // Reads come back short whenever less is there.
  CHECK(cut(FL_CALL_read, 8192, state(FL_SHAPE_PIPE, 0, FL_HANDLERS_NONE)) == FL_WHY_NONE);
}

TEST_CASE("Every reason has a name and a sentence, and the name leads back to the sentence") {
  for (unsigned why : {FL_WHY_RECORD_WHOLE, FL_WHY_RECORD_NO_EOF, FL_WHY_MESSAGE_WHOLE,
                       FL_WHY_STREAM_NO_DROP, FL_WHY_RESET_NOT_STREAM, FL_WHY_EINTR_NO_HANDLER,
                       FL_WHY_EINTR_SA_RESTART, FL_WHY_EINTR_NEVER_WAITS, FL_WHY_EAGAIN_BLOCKING,
                       FL_WHY_PIPE_ATOMIC, FL_WHY_PIPE_BLOCKING, FL_WHY_SEND_BLOCKING}) {
    CAPTURE(why);
    CHECK(!why_name(why).empty());
    CHECK(why_text(why_name(why)) == fl_why_text(why));
  }
  CHECK(why_name(FL_WHY_NONE).empty());
}

}  // namespace
}  // namespace faultline
