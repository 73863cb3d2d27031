// Issue 9: an injected fault leaves the process in a state the kernel could have left it in,
// and the fd cache never makes a rule fire on an object it does not apply to.
#include <signal.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <fstream>
#include <string>

#include "faults/call_table.h"
#include "faults/control_block.h"
#include "probe.h"
#include "rule_engine.h"
#include "support.h"

namespace faultline {
namespace {

using test::make_fault;
using test::NothingLeftBehind;
using test::out_of;
using test::ProbeRun;

FaultSpec first_connect_fails(int err) {
  FaultSpec f = make_fault({"connect"}, FaultAction::error, err);
  f.nth = 1;
  return f;
}

TEST_CASE("An injected EINTR on a TCP connect leaves the connection going on, as the kernel does") {
  NothingLeftBehind guard;
  ProbeRun run({first_connect_fails(EINTR)});
  // What CPython does after EINTR (wait until writable, SO_ERROR) finds a connection, the
  // listener gets it, and connecting again says so (0 once the handshake is done, as the
  // kernel answers a blocking connect that finds its connection complete, or EISCONN).
  std::string out = out_of(run.probe({"connect-wait", "tcp"}));
  CHECK_THAT(out, Catch::StartsWith(
                      "connect-wait tcp connect=EINTR so_error=0 peer=ok accepted=1 again="));
  CHECK((out.ends_with("again=ok\n") || out.ends_with("again=EISCONN\n")));
  CHECK(run.control().stats(0).fires == 1);
  auto events = run.control().events();
  REQUIRE(events.size() == 1);
  CHECK(events[0].err_name == "EINTR");
}

TEST_CASE("An injected EINTR on a Unix-socket connect leaves no connection, as the kernel does") {
  NothingLeftBehind guard;
  ProbeRun run({first_connect_fails(EINTR)});
  CHECK(out_of(run.probe({"connect-wait", "unix"})) ==
        "connect-wait unix connect=EINTR so_error=0 peer=ENOTCONN accepted=0 again=ok\n");
  CHECK(run.control().stats(0).fires == 1);
}

TEST_CASE("An injected EINPROGRESS or EISCONN on connect leaves a connection behind") {
  NothingLeftBehind guard;
  int err = GENERATE(EINPROGRESS, EALREADY, EISCONN);
  std::string family = GENERATE("tcp", "unix");
  CAPTURE(err, family);
  ProbeRun run({first_connect_fails(err)});
  std::string out = out_of(run.probe({"connect-wait", family}));
  CHECK_THAT(out, Catch::StartsWith("connect-wait " + family + " connect=" + errno_name(err) +
                                    " so_error=0 peer=ok accepted=1 again="));
  CHECK(run.control().stats(0).fires == 1);
}

TEST_CASE("An injected connection failure leaves no connection") {
  NothingLeftBehind guard;
  ProbeRun run({first_connect_fails(ECONNREFUSED)});
  CHECK(out_of(run.probe({"connect-wait", "tcp"})) ==
        "connect-wait tcp connect=ECONNREFUSED so_error=0 peer=ENOTCONN accepted=0 again=ok\n");
}

TEST_CASE("An injected close error still closes the fd, as Linux does") {
  NothingLeftBehind guard;
  int err = GENERATE(EINTR, EIO, ENOSPC, EDQUOT, EBADF);
  CAPTURE(err);
  ProbeRun run({make_fault({"close"}, FaultAction::error, err)});
  // The fd is gone: the pipe has no reader left, so a write to it fails with EPIPE.
  CHECK(out_of(run.probe({"close-gone"})) ==
        "close-gone close=" + errno_name(err) + " open=no write=EPIPE\n");
  CHECK(run.control().stats(0).fires == 1);
}

TEST_CASE("A close that fires no fault closes as always") {
  NothingLeftBehind guard;
  FaultSpec later = make_fault({"close"}, FaultAction::error, EINTR);
  later.nth = 5;
  ProbeRun run({later});
  CHECK(out_of(run.probe({"close-gone"})) == "close-gone close=ok open=no write=EPIPE\n");
}

TEST_CASE("An injected EPIPE on a write comes with SIGPIPE, as the kernel sends it") {
  NothingLeftBehind guard;
  std::string call = GENERATE("write", "writev", "send", "sendmsg");
  CAPTURE(call);
  ProbeRun run({make_fault({call}, FaultAction::error, EPIPE)});
  auto r = run.probe({"default-sigpipe", "one", call});
  CHECK(r.term_signal == SIGPIPE);
  CHECK(run.control().stats(0).fires == 1);
  CHECK(run.control().events().size() == 1);
  // Ignored (as most servers do), it is the plain error.
  ProbeRun ignored({make_fault({call}, FaultAction::error, EPIPE)});
  CHECK(out_of(ignored.probe({"one", call})) == call + " fail EPIPE\n");
}

TEST_CASE("freopen of stdin is seen: an fd=ipc rule does not fire on the file it now reads") {
  NothingLeftBehind guard;
  ProbeRun every({make_fault({"read"}, FaultAction::error, EIO)});
  auto file = every.dir().path() / "data";
  std::ofstream(file) << "file";
  // The first read is on the pipe (the rule fires, and the cache learns "pipe"); freopen's
  // internal dup3 puts the file on fd 0.
  CHECK(out_of(every.probe({"freopen-stdin", file.string()})) ==
        "freopen-stdin first=EIO second=ok\n");
  CHECK(every.control().stats(0).hits == 1);
  CHECK(every.control().stats(0).fires == 1);

  // A rule that never fires counts right too: the freopen hook renewed the cache, so the
  // file read is no hit at all (no fire-time look is involved).
  FaultSpec never = make_fault({"read"}, FaultAction::error, EIO);
  never.nth = 100;
  ProbeRun counting({never});
  CHECK(out_of(counting.probe({"freopen-stdin", file.string()})) ==
        "freopen-stdin first=ok second=ok\n");
  CHECK(counting.control().stats(0).hits == 1);
}

TEST_CASE("An armed close leaves no entry of the fd it closed in the cache") {
  NothingLeftBehind guard;
  FaultSpec reads = make_fault({"read"}, FaultAction::error, EIO);
  FaultSpec closes = make_fault({"close"}, FaultAction::error, EIO);
  reads.nth = closes.nth = 100;  // both armed, neither fires
  ProbeRun run({reads, closes});
  auto file = run.dir().path() / "data";
  std::ofstream(file) << "file";
  // Deciding on the close classified the pipe; the file opened on its number afterwards is
  // no hit of the fd=ipc read rule.
  CHECK(out_of(run.probe({"closed-reopen", file.string()})) ==
        "closed-reopen first=ok second=ok\n");
  CHECK(run.control().stats(0).hits == 1);
  CHECK(run.control().stats(1).hits == 1);
}

TEST_CASE("The fd cache hooks leave errno alone on a stream without an fd") {
  NothingLeftBehind guard;
  ProbeRun run({make_fault({"read"}, FaultAction::error, EIO)});
  CHECK(out_of(run.probe({"fclose-errno"})) == "fclose-errno 4242\n");
  CHECK(out_of(test::run_probe({"fclose-errno"}, {})) == "fclose-errno 4242\n");
}

TEST_CASE("An fd replaced with raw system calls is looked at again before a fault fires") {
  NothingLeftBehind guard;
  ProbeRun run({make_fault({"read"}, FaultAction::error, EIO)});
  auto file = run.dir().path() / "data";
  std::ofstream(file) << "file";
  // syscall(SYS_close) and a raw open put a regular file on the pipe's number behind the
  // interposer's back; the default fd=ipc rule must not fire on its read.
  CHECK(out_of(run.probe({"raw-reopen", file.string()})) == "raw-reopen first=EIO second=ok\n");
  CHECK(run.control().stats(0).hits == 1);
  CHECK(run.control().stats(0).fires == 1);
  auto events = run.control().events();
  REQUIRE(events.size() == 1);
}

// A subject as the interposer presents a call whose fd class came from its cache, with a
// confirm that finds the fd now is `now` (counting how often it was asked).
struct Remembered {
  fl_subject s{};
  unsigned now = FL_FD_IPC;
  int asked = 0;
  static int confirm(fl_subject* s) {
    auto* self = reinterpret_cast<Remembered*>(s);
    ++self->asked;
    bool changed = s->fd_class != self->now;
    s->fd_class = self->now;
    return changed;
  }
  Remembered(unsigned cached, unsigned actual) : now(actual) {
    s.call = FL_CALL_read;
    s.process = "p";
    s.size = FL_SIZE_UNKNOWN;
    s.channel = -1;
    s.known = FL_NEED_CLASS | FL_NEED_CHANNEL | FL_NEED_STREAM;
    s.fd_class = cached;
    s.confirm = confirm;
  }
};

TEST_CASE("The rule engine looks again before a fire, and only then") {
  test::ScratchDir dir;
  FaultSpec on_ipc = make_fault({"read"}, FaultAction::error, EIO);
  FaultSpec on_files = make_fault({"read"}, FaultAction::error, EPIPE);
  on_files.fd = FdClass::file;
  auto cb = ControlBlock::create(dir.path() / "control", {on_ipc, on_files}, 1);
  std::uint64_t hit = 0;

  // Remembered as IPC, a regular file now: the IPC rule's count is taken back and the file
  // rule fires instead.
  Remembered stale(FL_FD_IPC, FL_FD_FILE);
  CHECK(fl_rules_decide(cb.raw(), &stale.s, &hit) == 1);
  CHECK(stale.asked == 1);
  CHECK(hit == 1);
  CHECK(cb.stats(0).hits == 0);
  CHECK(cb.stats(0).fires == 0);
  CHECK(cb.stats(1).hits == 1);

  // Still what was remembered: one look, the rule fires as before.
  Remembered right(FL_FD_IPC, FL_FD_IPC);
  CHECK(fl_rules_decide(cb.raw(), &right.s, &hit) == 0);
  CHECK(right.asked == 1);
  CHECK(cb.stats(0).hits == 1);

  // No fire, no look.
  FaultSpec later = make_fault({"read"}, FaultAction::error, EIO);
  later.nth = 5;
  auto quiet = ControlBlock::create(dir.path() / "quiet", {later}, 1);
  Remembered idle(FL_FD_IPC, FL_FD_FILE);
  CHECK(fl_rules_decide(quiet.raw(), &idle.s, &hit) == -1);
  CHECK(idle.asked == 0);
}

}  // namespace
}  // namespace faultline
