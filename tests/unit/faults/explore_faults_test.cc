// explore's fault catalogue (faults/explore_faults.h): which faults a recorded site can really
// suffer, and their class, from calls.def's transient/hard columns and the recorded state.
#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "faultline/fault_spec.h"
#include "faultline_control.h"
#include "faults/call_table.h"
#include "faults/explore_faults.h"
#include "realism.h"

using faultline::call_table;
using faultline::CallInfo;
using faultline::candidate_faults;
using faultline::CandidateFault;
using faultline::Diagnostics;
using faultline::ErrnoSet;
using faultline::fault_class;
using faultline::FaultClass;
using faultline::RecordedCall;

namespace {

struct Flags {
  bool eintr = false;
  bool eagain = false;
  bool shortens = false;
  bool seccomp = false;
  bool timeout_only = false;  // EAGAIN realistic only because of SO_RCVTIMEO/SO_SNDTIMEO
};

RecordedCall site(std::string call, std::string shape, Flags f) {
  RecordedCall r;
  r.process = "p";
  r.call = std::move(call);
  r.shape = std::move(shape);
  r.eintr_realistic = f.eintr;
  r.eagain_realistic = f.eagain;
  r.eagain_nonblocking = f.eagain && !f.timeout_only;
  r.short_realistic = f.shortens;
  r.seccomp = f.seccomp;
  return r;
}

// "error=EINTR:t signal=SIGKILL:h ...": the whole list, in order, with classes.
std::string listed(const std::vector<CandidateFault>& faults) {
  std::string out;
  for (const auto& f : faults) {
    if (!out.empty()) out += ' ';
    out += f.action + (f.cls == FaultClass::transient ? ":t" : ":h");
  }
  return out;
}

std::string realistic(const RecordedCall& s) {
  return listed(candidate_faults(s, ErrnoSet::realistic));
}

}  // namespace

TEST_CASE("accept4 on a listening stream socket: EINTR only where a signal can interrupt it") {
  CHECK(realistic(site("accept4", "stream", {.eintr = true})) ==
        "error=ECONNABORTED:t error=EINTR:t error=EMFILE:t error=ENFILE:t error=ENOBUFS:t "
        "error=ENOMEM:t error=EPROTO:t signal=SIGKILL:h");
  CHECK(realistic(site("accept4", "stream", {})) ==
        "error=ECONNABORTED:t error=EMFILE:t error=ENFILE:t error=ENOBUFS:t error=ENOMEM:t "
        "error=EPROTO:t signal=SIGKILL:h");
  // Non-blocking: EAGAIN, and only once although the man page names it twice (EWOULDBLOCK).
  CHECK(realistic(site("accept4", "stream", {.eagain = true})) ==
        "error=EAGAIN:t error=ECONNABORTED:t error=EMFILE:t error=ENFILE:t error=ENOBUFS:t "
        "error=ENOMEM:t error=EPROTO:t signal=SIGKILL:h");
}

TEST_CASE("read on a pipe: no connection errnos, a short read and an end of file") {
  // Blocking, no handler: neither EINTR nor EAGAIN can happen; ECONNRESET/ETIMEDOUT need a
  // connection; a short read always can.
  CHECK(realistic(site("read", "pipe", {.shortens = true})) ==
        "error=EIO:h short=1:t eof:h signal=SIGKILL:h");
  CHECK(realistic(site("read", "pipe", {.eagain = true, .shortens = true})) ==
        "error=EAGAIN:t error=EIO:h short=1:t eof:h signal=SIGKILL:h");
  CHECK(realistic(site("__read_chk", "pipe", {.eintr = true, .shortens = true})) ==
        "error=EINTR:t error=EIO:h short=1:t eof:h signal=SIGKILL:h");
}

TEST_CASE("read on a stream socket: the connection's errnos and reset") {
  CHECK(realistic(site("read", "stream", {.eintr = true, .shortens = true})) ==
        "error=ECONNRESET:h error=EINTR:t error=EIO:h error=ETIMEDOUT:h short=1:t eof:h "
        "reset:h signal=SIGKILL:h");
}

TEST_CASE("write on a datagram socket: a message travels whole, and may be dropped") {
  // short_realistic or not, a datagram is never cut (fl_impossible), and it has no
  // connection to reset.
  for (bool shortens : {false, true})
    CHECK(realistic(site("write", "message", {.shortens = shortens})) ==
          "error=EIO:h error=EPIPE:h drop:t signal=SIGKILL:h");
  CHECK(realistic(site("write", "stream", {.shortens = true})) ==
        "error=ECONNRESET:h error=EIO:h error=EPIPE:h short=1:t reset:h signal=SIGKILL:h");
  // A pipe loses nothing it accepted.
  CHECK(realistic(site("write", "pipe", {})) == "error=EIO:h error=EPIPE:h signal=SIGKILL:h");
}

TEST_CASE("msgsnd and msgrcv: EINTR transient, EIDRM hard, a queue loses no message") {
  CHECK(realistic(site("msgsnd", "", {.eintr = true})) ==
        "error=EIDRM:h error=EINTR:t error=ENOMEM:h signal=SIGKILL:h");
  // EAGAIN and ENOMSG come with IPC_NOWAIT, a flag the recording cannot see: --errnos all.
  CHECK(realistic(site("msgsnd", "", {.eagain = true})) ==
        "error=EIDRM:h error=ENOMEM:h signal=SIGKILL:h");
  CHECK(realistic(site("msgrcv", "", {.eintr = true})) ==
        "error=EIDRM:h error=EINTR:t signal=SIGKILL:h");
  CHECK(realistic(site("msgrcv", "", {.eagain = true})) == "error=EIDRM:h signal=SIGKILL:h");
  CHECK(listed(candidate_faults(site("msgrcv", "", {.eagain = true}), ErrnoSet::all))
            .find("error=ENOMSG:t") != std::string::npos);
  // A queue never loses a message it accepted: no drop.
  CHECK(realistic(site("mq_send", "other", {})) == "signal=SIGKILL:h");
}

TEST_CASE("EAGAIN from a socket's own timeout is hard: the program chose to give up then") {
  const std::string nonblocking =
      listed(candidate_faults(site("send", "stream", {.eagain = true}), ErrnoSet::realistic));
  const std::string deadline = listed(candidate_faults(
      site("send", "stream", {.eagain = true, .timeout_only = true}), ErrnoSet::realistic));
  CHECK(nonblocking.find("error=EAGAIN:t") != std::string::npos);
  CHECK(deadline.find("error=EAGAIN:h") != std::string::npos);
  CHECK(deadline.find("error=EAGAIN:t") == std::string::npos);
}

TEST_CASE("poll: EINTR transient, ENOMEM hard, spurious readiness transient") {
  CHECK(realistic(site("poll", "", {.eintr = true})) ==
        "error=EINTR:t error=ENOMEM:h spurious:t signal=SIGKILL:h");
  CHECK(realistic(site("epoll_wait", "", {})) == "spurious:t signal=SIGKILL:h");
}

TEST_CASE("shmat: every realistic failure is hard") {
  CHECK(realistic(site("shmat", "", {.eintr = true, .eagain = true})) ==
        "error=EACCES:h error=EIDRM:h error=EINVAL:h error=ENOMEM:h signal=SIGKILL:h");
}

TEST_CASE("connect: EINTR transient, EINPROGRESS left to --errnos all") {
  CHECK(realistic(site("connect", "stream", {.eintr = true})) ==
        "error=ECONNREFUSED:h error=EINTR:t error=ENETUNREACH:h error=ETIMEDOUT:h "
        "error=ENOENT:h signal=SIGKILL:h");
  // A connect in progress (non-blocking) is not what the recording can see: --errnos all.
  CHECK(realistic(site("connect", "message", {.eagain = true})) ==
        "error=ECONNREFUSED:h error=ENETUNREACH:h error=ENOENT:h signal=SIGKILL:h");
}

TEST_CASE("A seccomp site gets errors the runner can answer with, and the crash") {
  Flags all_states{.eintr = true, .eagain = true, .shortens = true, .seccomp = true};
  CHECK(realistic(site("read", "stream", all_states)) ==
        "error=EAGAIN:t error=ECONNRESET:h error=EINTR:t error=EIO:h error=ETIMEDOUT:h "
        "signal=SIGKILL:h");
  CHECK(realistic(site("poll", "", all_states)) == "error=EINTR:t error=ENOMEM:h signal=SIGKILL:h");
  // The runner can only fail these calls, not carry out what Linux does despite the error
  // (close releases the fd, a TCP connect goes on after EINTR): left out.
  CHECK(realistic(site("close", "pipe", all_states)) == "signal=SIGKILL:h");
  CHECK(listed(candidate_faults(site("close", "pipe", all_states), ErrnoSet::all)) ==
        "signal=SIGKILL:h");
  CHECK(realistic(site("connect", "stream", all_states)) ==
        "error=ECONNREFUSED:h error=ENETUNREACH:h error=ETIMEDOUT:h "
        "error=ENOENT:h signal=SIGKILL:h");
}

TEST_CASE(
    "With every errno, each errno of the man page comes once, classed by the transient column") {
  auto all = candidate_faults(site("accept4", "stream", {}), ErrnoSet::all);
  std::vector<std::string> errors;
  for (const auto& f : all)
    if (f.kind == "error") errors.push_back(f.action);
  // 22 names in FL_E_ACCEPT, EAGAIN and EWOULDBLOCK being one errno.
  CHECK(errors.size() == 21);
  CHECK(std::count(errors.begin(), errors.end(), "error=EWOULDBLOCK") == 0);
  auto cls = [&](std::string_view action) {
    auto it = std::find_if(all.begin(), all.end(), [&](auto& f) { return f.action == action; });
    REQUIRE(it != all.end());
    return it->cls;
  };
  CHECK(cls("error=EINTR") == FaultClass::transient);
  CHECK(cls("error=EAGAIN") == FaultClass::transient);
  CHECK(cls("error=EBADF") == FaultClass::hard);
  CHECK(cls("error=ENETDOWN") == FaultClass::hard);
  CHECK(all.back().action == "signal=SIGKILL");
}

TEST_CASE("fault_class reads any action text") {
  CHECK(fault_class("accept4", "error=EMFILE") == FaultClass::transient);
  CHECK(fault_class("accept", "error=EMFILE") == FaultClass::transient);
  CHECK(fault_class("read", "error=EWOULDBLOCK") == FaultClass::transient);
  CHECK(fault_class("read", "error=EIO") == FaultClass::hard);
  CHECK(fault_class("read", "error=EBADF") == FaultClass::hard);
  CHECK(fault_class("pipe", "error=EMFILE") == FaultClass::hard);
  CHECK(fault_class("read", "short=1") == FaultClass::transient);
  CHECK(fault_class("read", "short=7:nth=2") == FaultClass::transient);
  CHECK(fault_class("read", "eof") == FaultClass::hard);
  CHECK(fault_class("send", "reset") == FaultClass::hard);
  CHECK(fault_class("msgsnd", "drop") == FaultClass::transient);
  CHECK(fault_class("poll", "spurious") == FaultClass::transient);
  CHECK(fault_class("read", "delay=10ms") == FaultClass::transient);
  CHECK(fault_class("read", "corrupt=3") == FaultClass::hard);
  CHECK(fault_class("read", "signal=SIGKILL") == FaultClass::hard);
  CHECK(fault_class("nosuchcall", "error=EINTR") == FaultClass::hard);
  CHECK(faultline::to_string(FaultClass::transient) == "transient");
  CHECK(faultline::to_string(FaultClass::hard) == "hard");
}

TEST_CASE("Shape names round-trip with enum fl_shape") {
  for (unsigned s = FL_SHAPE_UNKNOWN; s <= FL_SHAPE_OTHER; ++s)
    CHECK(faultline::shape_from_name(faultline::shape_name(s)) == s);
  CHECK(faultline::shape_from_name("") == FL_SHAPE_UNKNOWN);
  CHECK(faultline::shape_name(FL_SHAPE_MESSAGE) == "message");
}

TEST_CASE("Every calls.def row classes its realistic errnos, all of them from the man page") {
  for (const CallInfo& c : call_table()) {
    CAPTURE(c.symbol);
    std::set<std::string_view> seen;
    for (const auto* column : {&c.transient, &c.hard}) {
      for (std::string_view e : *column) {
        CAPTURE(e);
        CHECK(faultline::errno_from_name(e).has_value());
        CHECK(std::find(c.errnos.begin(), c.errnos.end(), e) != c.errnos.end());
        CHECK(seen.insert(e).second);  // in one column only, once
        CHECK(fault_class(c.symbol, "error=" + std::string(e)) ==
              (column == &c.transient ? FaultClass::transient : FaultClass::hard));
        // No misuse of the call counts as something the kernel really does.
        CHECK(e != "EBADF");
        CHECK(e != "EFAULT");
        // EINTR is transient, and realism.def knows the call waits.
        if (e == "EINTR") {
          CHECK(column == &c.transient);
          CHECK((fl_call_realism(c.id) & FL_R_WAITS) != 0);
        }
      }
    }
  }
}

TEST_CASE(
    "Every candidate of every call on every shape is a valid, possible spec, and all holds "
    "realistic") {
  const std::vector<std::string> shapes = {"", "pipe", "stream", "message", "other"};
  for (const CallInfo& c : call_table()) {
    for (const auto& shape : shapes) {
      for (unsigned bits = 0; bits < 16; ++bits) {
        Flags f{(bits & 1) != 0, (bits & 2) != 0, (bits & 4) != 0, (bits & 8) != 0};
        RecordedCall s = site(std::string(c.symbol), shape, f);
        CAPTURE(c.symbol, shape, bits);
        auto real = candidate_faults(s, ErrnoSet::realistic);
        auto all = candidate_faults(s, ErrnoSet::all);
        REQUIRE(!real.empty());
        CHECK(real.back().kind == "crash");
        // In the same order: every realistic fault is in `all`, with the same class.
        auto at = all.begin();
        for (const auto& r : real) {
          CAPTURE(r.action);
          at = std::find_if(at, all.end(), [&](auto& a) { return a.action == r.action; });
          REQUIRE(at != all.end());
          CHECK(at->cls == r.cls);
          CHECK(at->kind == r.kind);
        }
        // The widest list (every state, preload) is checked against the spec parser.
        if (bits != 7) continue;
        for (const auto& fault : all) {
          std::string text = "p/" + std::string(c.symbol) + ":" + fault.action;
          CAPTURE(text);
          Diagnostics ds;
          auto spec = faultline::parse_fault_spec(text, ds);
          CHECK(ds.empty());
          REQUIRE(spec);
          CHECK_FALSE(spec->force);
          CHECK(fl_impossible(c.id, faultline::action_code(spec->action),
                              faultline::shape_from_name(shape)) == FL_WHY_NONE);
          CHECK(fault_class(c.symbol, fault.action) == fault.cls);
        }
      }
    }
  }
}
