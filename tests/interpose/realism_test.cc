// Faults no kernel would produce, in real processes: anonymous-inode fds are not IPC, kinds
// impossible on an fd are refused (no hit) unless the rule says force, and faults possible
// but not in the state at hand are injected and flagged in their event.
#include <catch2/catch.hpp>
#include <cerrno>

#include "faultline_control.h"
#include "faults/control_block.h"
#include "probe.h"
#include "realism.h"
#include "support.h"

namespace faultline {
namespace {

using test::lines;
using test::make_fault;
using test::NothingLeftBehind;
using test::out_of;
using test::ProbeRun;

FaultSpec short_of(std::string call, int bytes, FdClass fd = FdClass::ipc, bool force = false) {
  FaultSpec f = make_fault({std::move(call)}, FaultAction::short_transfer, bytes);
  f.fd = fd;
  f.force = force;
  return f;
}

TEST_CASE("A read of an eventfd is no IPC read: read:short=3 leaves its record whole") {
  NothingLeftBehind guard;
  ProbeRun run({short_of("read", 3)});
  CHECK(out_of(run.probe({"eventfd"})) == "eventfd r=8 value=5\n");
  CHECK(run.control().stats(0).hits == 0);
  CHECK(run.control().stats(0).refused == 0);
}

TEST_CASE("fd=anon targets an eventfd, and a short read of its record is refused, not a hit") {
  NothingLeftBehind guard;
  ProbeRun run({short_of("read", 3, FdClass::anon)});
  CHECK(out_of(run.probe({"eventfd"})) == "eventfd r=8 value=5\n");
  auto stats = run.control().stats(0);
  CHECK(stats.hits == 0);
  CHECK(stats.fires == 0);
  CHECK(stats.refused == 1);
  CHECK(stats.refused_why == FL_WHY_RECORD_WHOLE);
}

TEST_CASE("force injects the short eventfd read anyway, and the kernel fails it with EINVAL") {
  NothingLeftBehind guard;
  ProbeRun run({short_of("read", 3, FdClass::anon, true)});
  CHECK(out_of(run.probe({"eventfd"})) == "eventfd fail EINVAL\n");
  CHECK(run.control().stats(0).fires == 1);
  CHECK(run.control().stats(0).refused == 0);
}

TEST_CASE("A short receive of a datagram or SOCK_SEQPACKET message is refused") {
  NothingLeftBehind guard;
  std::string type = GENERATE("dgram", "seqpacket");
  ProbeRun run({short_of("recv", 3)});
  CAPTURE(type);
  CHECK(out_of(run.probe({"msg-recv", type})) == "msg-recv r=8\n");
  auto stats = run.control().stats(0);
  CHECK(stats.hits == 0);
  CHECK(stats.refused == 1);
  CHECK(stats.refused_why == FL_WHY_MESSAGE_WHOLE);
}

TEST_CASE("drop on a pipe is refused: a stream loses nothing it accepted") {
  NothingLeftBehind guard;
  ProbeRun run({make_fault({"write"}, FaultAction::drop)});
  CHECK(out_of(run.probe({"pipe-write", "16", "block"})) == "pipe-write r=16\n");
  auto stats = run.control().stats(0);
  CHECK(stats.hits == 0);
  CHECK(stats.refused == 1);
  CHECK(stats.refused_why == FL_WHY_STREAM_NO_DROP);
}

// One fire of `f` under the probe commands `args`: the event's realism code.
unsigned realism_of(const FaultSpec& f, const std::vector<std::string>& args,
                    const std::string& expected) {
  ProbeRun run({f});
  CHECK(out_of(run.probe(args)) == expected + "\n");
  auto events = run.control().events();
  REQUIRE(events.size() == 1);
  auto stats = run.control().stats(0);
  CHECK(stats.fires == 1);
  CHECK(stats.unrealistic == (events[0].unrealistic != 0 ? 1u : 0u));
  CHECK(stats.unrealistic_why == events[0].unrealistic);
  return events[0].unrealistic;
}

TEST_CASE("EINTR with no signal handler installed is injected and flagged unrealistic") {
  NothingLeftBehind guard;
  FaultSpec eintr = make_fault({"read"}, FaultAction::error, EINTR);
  CHECK(realism_of(eintr, {"pipe-read", "block"}, "pipe-read fail EINTR") ==
        FL_WHY_EINTR_NO_HANDLER);
}

TEST_CASE("EINTR is realistic on a blocking read once a handler without SA_RESTART exists") {
  NothingLeftBehind guard;
  FaultSpec eintr = make_fault({"read"}, FaultAction::error, EINTR);
  CHECK(realism_of(eintr, {"handler", "interrupt", "pipe-read", "block"}, "pipe-read fail EINTR") ==
        FL_WHY_NONE);
}

TEST_CASE("With SA_RESTART handlers EINTR is unrealistic on read but realistic on poll") {
  NothingLeftBehind guard;
  FaultSpec on_read = make_fault({"read"}, FaultAction::error, EINTR);
  CHECK(realism_of(on_read, {"handler", "restart", "pipe-read", "block"}, "pipe-read fail EINTR") ==
        FL_WHY_EINTR_SA_RESTART);
  FaultSpec on_poll = make_fault({"poll"}, FaultAction::error, EINTR);
  CHECK(realism_of(on_poll, {"handler", "restart", "one", "poll"}, "poll fail EINTR") ==
        FL_WHY_NONE);
}

TEST_CASE("EAGAIN is unrealistic on a blocking pipe read and realistic on a non-blocking one") {
  NothingLeftBehind guard;
  FaultSpec eagain = make_fault({"read"}, FaultAction::error, EAGAIN);
  CHECK(realism_of(eagain, {"pipe-read", "block"}, "pipe-read fail EAGAIN") ==
        FL_WHY_EAGAIN_BLOCKING);
  CHECK(realism_of(eagain, {"pipe-read", "nb"}, "pipe-read fail EAGAIN") == FL_WHY_NONE);
}

TEST_CASE("A short pipe write is realistic only above PIPE_BUF and when it can be cut short") {
  NothingLeftBehind guard;
  FaultSpec cut = short_of("write", 100);
  CHECK(realism_of(cut, {"pipe-write", "4096", "nb"}, "pipe-write r=100") == FL_WHY_PIPE_ATOMIC);
  CHECK(realism_of(cut, {"pipe-write", "8192", "block"}, "pipe-write r=100") ==
        FL_WHY_PIPE_BLOCKING);
  CHECK(realism_of(cut, {"pipe-write", "8192", "nb"}, "pipe-write r=100") == FL_WHY_NONE);
  CHECK(realism_of(cut, {"handler", "restart", "pipe-write", "8192", "block"},
                   "pipe-write r=100") == FL_WHY_NONE);
}

}  // namespace
}  // namespace faultline
