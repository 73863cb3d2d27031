// The `--fault` grammar, FaultSpecBuilder's validation and the canonical spec text.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cerrno>
#include <csignal>

#include "faultline/fault_spec.h"
#include "faults/call_table.h"

using namespace std::chrono_literals;
using faultline::Diagnostics;
using faultline::FaultAction;
using faultline::parse_fault_spec;

namespace {

std::string describe(const Diagnostics& ds) {
  std::string out;
  for (const auto& d : ds) out += d.format() + "\n";
  return out;
}

faultline::FaultSpec parse_ok(std::string_view text) {
  Diagnostics ds;
  auto spec = parse_fault_spec(text, ds);
  INFO(text << "\n" << describe(ds));
  REQUIRE(ds.empty());
  REQUIRE(spec);
  return *spec;
}

// The single diagnostic for `text`, checked to point at `column` and to say `message`.
faultline::Diagnostic parse_error(std::string_view text, int column, const std::string& message) {
  Diagnostics ds;
  auto spec = parse_fault_spec(text, ds);
  INFO(text << "\n" << describe(ds));
  CHECK_FALSE(spec);
  REQUIRE(ds.size() == 1);
  CHECK(ds[0].where.file == "--fault");
  CHECK(ds[0].where.line == 1);
  CHECK(ds[0].where.column == column);
  CHECK_THAT(ds[0].message, Catch::Contains(message));
  CHECK_FALSE(ds[0].hint.empty());
  return ds[0];
}

// A base call name that accepts `action`, or "" when calls.def has none.
std::string call_accepting(FaultAction action) {
  for (const auto& c : faultline::call_table()) {
    auto spellings = faultline::resolve_call(c.base);
    bool all = std::all_of(spellings.begin(), spellings.end(),
                           [&](const faultline::CallInfo* s) { return call_allows(*s, action); });
    if (all) return std::string(c.base);
  }
  return "";
}

}  // namespace

TEST_CASE("A spec names a process, a call, an action and a trigger") {
  auto s = parse_ok("server/accept:error=EMFILE:nth=1");
  CHECK(s.process == "server");
  CHECK(s.calls == std::vector<std::string>{"accept"});
  CHECK(s.action == FaultAction::error);
  CHECK(s.error == EMFILE);
  CHECK(s.nth == 1u);
  CHECK_FALSE(s.after);
  CHECK(s.fd == faultline::FdClass::ipc);
}

TEST_CASE("A spec may name several calls and a probability") {
  auto s = parse_ok("read,recv:short=1:probability=0.3:channel=ctl");
  CHECK(s.process.empty());
  CHECK(s.calls == std::vector<std::string>{"read", "recv"});
  CHECK(s.action == FaultAction::short_transfer);
  CHECK(s.short_bytes == 1);
  CHECK(s.probability == 0.3);
  CHECK(s.channel == "ctl");
}

TEST_CASE("A delay is one duration or a range") {
  auto range = parse_ok("read:delay=10ms..50ms");
  CHECK(range.delay_min == 10ms);
  CHECK(range.delay_max == 50ms);
  auto fixed = parse_ok("read:delay=1.5s");
  CHECK(fixed.delay_min == 1500ms);
  CHECK(fixed.delay_max == 1500ms);
}

TEST_CASE("Every action kind parses on a call that accepts it") {
  CHECK(parse_ok("client/shmat:error=ENOMEM").error == ENOMEM);
  CHECK(parse_ok("read:eof").action == FaultAction::eof);
  CHECK(parse_ok("write:signal=SIGSEGV").signal == SIGSEGV);
  for (auto [text, action] :
       std::vector<std::pair<std::string, FaultAction>>{{"reset", FaultAction::reset},
                                                        {"corrupt", FaultAction::corrupt},
                                                        {"corrupt=4", FaultAction::corrupt},
                                                        {"drop", FaultAction::drop},
                                                        {"spurious", FaultAction::spurious}}) {
    std::string call = call_accepting(action);
    if (call.empty()) {
      WARN("no call in calls.def accepts " << faultline::to_string(action) << " yet");
      continue;
    }
    auto spec = parse_ok(call + ":" + text);
    CHECK(spec.action == action);
    CHECK(spec.to_string() == call + ":" + text);
    if (text == "corrupt=4") CHECK(spec.corrupt_bits == 4);
  }
  CHECK(parse_ok("write:signal=KILL").signal == SIGKILL);
  CHECK(parse_ok("accept:error=EAGAIN").action == FaultAction::error);
}

TEST_CASE("A site may be a function or FILE:LINE") {
  CHECK(parse_ok("read:eof:site=handle_client").site == "handle_client");
  auto s = parse_ok("read:eof:site=server.c:42:nth=2");
  CHECK(s.site == "server.c:42");
  CHECK(s.nth == 2u);
}

TEST_CASE("A site may be a calling context, innermost frame first") {
  auto s = parse_ok("writer/write:error=EINTR:site=xwrite<send_body:nth=2");
  CHECK(s.site == "xwrite<send_body");
  CHECK(s.nth == 2u);
  CHECK(faultline::site_context(s.site) == std::vector<std::string_view>{"xwrite", "send_body"});
  // Each frame is what a site is: MODULE+0xOFFSET, FILE:LINE (its `:LINE` kept), FUNCTION.
  auto m = parse_ok("read:eof:site=prog+0x1a2f</usr/lib/libx.so+0x40<main:times=1");
  CHECK(m.site == "prog+0x1a2f</usr/lib/libx.so+0x40<main");
  CHECK(m.times == 1u);
  CHECK(faultline::site_context(m.site) ==
        std::vector<std::string_view>{"prog+0x1a2f", "/usr/lib/libx.so+0x40", "main"});
  auto l = parse_ok("read:eof:site=io.c:12<main.c:40:nth=3");
  CHECK(l.site == "io.c:12<main.c:40");
  CHECK(l.nth == 3u);
  CHECK(faultline::site_context("plain") == std::vector<std::string_view>{"plain"});
  CHECK(faultline::site_context_problem("a<b<c<d<e<f<g<h").empty());
  CHECK(parse_ok("write:error=EINTR:site=a<b").to_string() == "write:error=EINTR:site=a<b");
}

TEST_CASE("A calling context with an empty frame or too many frames is refused") {
  // The column is the value's: site= starts at column 20 of "read:error=EINTR:site=...".
  parse_error("read:error=EINTR:site=xwrite<", 23, "frame 2 of the calling context is empty");
  parse_error("read:error=EINTR:site=<send_body", 23, "frame 1 of the calling context is empty");
  parse_error("read:error=EINTR:site=a<<b", 23, "frame 2 of the calling context is empty");
  parse_error("read:error=EINTR:site=a<b<c<d<e<f<g<h<i", 23,
              "a calling context of 9 frames; at most 8");
  CHECK_THAT(faultline::site_context_problem("a<"), Catch::Contains("site=INNER<CALLER"));
}

TEST_CASE("The canonical text parses back to the same spec") {
  for (std::string_view text :
       {"server/accept:error=ECONNABORTED:nth=1", "read,recv:short=1:probability=0.3:channel=ctl",
        "client/shmat:error=ENOMEM", "read:delay=10ms..50ms", "read:delay=250ms",
        "read:short=3:after=2:every=3:times=4:fd=any:site=server.c:42", "write:error=ENOMEM:force",
        "write:signal=SIGABRT:fd=file", "read:eof", "write:delay=1m..90s:probability=0.125",
        "writer/write:error=EINTR:nth=4:site=prog+0x11d6<prog+0x1260",
        "read:eof:site=io.c:12<main.c:40<main"}) {
    auto spec = parse_ok(text);
    CHECK(spec.to_string() == text);
    auto again = parse_ok(spec.to_string());
    CHECK(again.to_string() == spec.to_string());
    CHECK(again.calls == spec.calls);
    CHECK(again.action == spec.action);
    CHECK(again.error == spec.error);
    CHECK(again.nth == spec.nth);
    CHECK(again.probability == spec.probability);
    CHECK(again.site == spec.site);
  }
}

TEST_CASE("The canonical text puts keys in a fixed order") {
  CHECK(parse_ok("server/accept:nth=1:error=EMFILE").to_string() ==
        "server/accept:error=EMFILE:nth=1");
  CHECK(parse_ok("read:fd=ipc:eof:force=false").to_string() == "read:eof");
}

TEST_CASE("Fault actions have their spec names") {
  CHECK(faultline::to_string(FaultAction::short_transfer) == "short");
  CHECK(faultline::to_string(FaultAction::spurious) == "spurious");
  CHECK(faultline::to_string(FaultAction::error) == "error");
}

TEST_CASE("An unknown call is reported at its column with a suggestion") {
  auto d = parse_error("server/acept:error=EMFILE", 8, "unknown call 'acept'");
  CHECK_THAT(d.hint, Catch::StartsWith("did you mean 'accept'?"));
  parse_error("read,recvv:eof", 6, "unknown call 'recvv'");
}

TEST_CASE("An unknown key is reported with a suggestion") {
  auto d = parse_error("read:eof:nht=1", 10, "unknown fault key 'nht'");
  CHECK(d.hint == "did you mean 'nth'?");
  d = parse_error("read:eof:prob=0.5", 10, "unknown fault key 'prob'");
  CHECK(d.hint == "did you mean 'probability'?");
}

TEST_CASE("A spec without an action is reported") {
  auto d = parse_error("read:nth=1", 1, "no action");
  CHECK_THAT(d.hint, Catch::Contains("error=ERRNO"));
}

TEST_CASE("A spec with two actions is reported at the second") {
  auto d = parse_error("read:eof:short=1", 16, "exactly one action");
  CHECK_THAT(d.hint, Catch::Contains("two faults"));
}

TEST_CASE("A spec without a call is reported") {
  parse_error("server/:eof", 8, "names no call");
  parse_error(":eof", 1, "names no call");
}

TEST_CASE("A kind that makes no sense for the call lists the kinds it accepts") {
  auto d = parse_error("accept:short=1", 8, "accept cannot be faulted with 'short'");
  CHECK_THAT(d.message, Catch::Contains("it accepts: error, delay, signal"));
}

TEST_CASE("A kind is checked against every named call") {
  parse_error("read,accept:eof", 13, "accept cannot be faulted with 'eof'");
}

TEST_CASE("An errno the call never returns lists the ones it can") {
  auto d = parse_error("accept:error=ENOSPC", 8, "accept never fails with ENOSPC");
  CHECK_THAT(d.message, Catch::Contains("ECONNABORTED"));
  CHECK_THAT(d.message, Catch::Contains("EMFILE"));
  CHECK_THAT(d.hint, Catch::Contains("force"));
}

TEST_CASE("force allows an errno the call never returns") {
  auto s = parse_ok("accept:error=ENOSPC:force");
  CHECK(s.error == ENOSPC);
  CHECK(s.force);
}

TEST_CASE("force does not allow a kind the call does not accept") {
  parse_error("accept:short=1:force", 8, "cannot be faulted with 'short'");
}

TEST_CASE("An errno is checked against every named call") {
  parse_error("read,recv:error=EISDIR", 11, "recv never fails with EISDIR");
}

TEST_CASE("An unknown errno is reported with a suggestion") {
  auto d = parse_error("read:error=EINTRR", 12, "unknown errno 'EINTRR'");
  CHECK(d.hint == "did you mean 'EINTR'?");
}

TEST_CASE("Trigger values out of range are reported") {
  parse_error("read:eof:nth=0", 14, "nth needs a whole number >= 1");
  parse_error("read:eof:every=0", 16, "every needs a whole number >= 1");
  parse_error("read:eof:times=-1", 16, "times needs a whole number >= 1");
  parse_error("read:eof:after=x", 16, "after needs a whole number >= 0");
  CHECK(parse_ok("read:eof:after=0").after == 0u);
  parse_error("read:eof:probability=0", 22, "probability must be in (0, 1]");
  parse_error("read:eof:probability=1.5", 22, "probability must be in (0, 1]");
  CHECK(parse_ok("read:eof:probability=1").probability == 1.0);
}

TEST_CASE("fd takes ipc, file, anon or any") {
  CHECK(parse_ok("read:eof:fd=file").fd == faultline::FdClass::file);
  auto d = parse_error("read:eof:fd=fille", 13, "fd must be ipc, file, anon or any");
  CHECK(d.hint == "did you mean 'file'?");
}

TEST_CASE("Bad action values are reported at the value") {
  parse_error("read:delay=10", 12, "'10' is not a delay");
  parse_error("read:delay=50ms..10ms", 12, "ends before it starts");
  parse_error("read:short=0", 12, "short needs a byte count of at least 1");
  parse_error("read:signal=SIGNOPE", 13, "unknown signal 'SIGNOPE'");
  parse_error("read:eof=3", 10, "'eof' takes no value");
  parse_error("read:error", 6, "'error' needs a value");
}

TEST_CASE("A key given twice is reported") {
  parse_error("read:eof:nth=1:nth=2", 20, "'nth' is given twice");
}

TEST_CASE("Several problems in one spec are all reported") {
  Diagnostics ds;
  auto spec = parse_fault_spec("acept:error=EFOO:nth=0:bogus", ds);
  INFO(describe(ds));
  CHECK_FALSE(spec);
  REQUIRE(ds.size() == 4);
  CHECK(ds[0].where.column == 1);
  CHECK(ds[1].where.column == 13);
  CHECK(ds[2].where.column == 22);
  CHECK(ds[3].where.column == 24);
}

TEST_CASE("The builder reports problems at the locations it was given") {
  faultline::FaultSpecBuilder b(faultline::SourceLocation{"s.yaml", 10, 5});
  CHECK(b.add_call("accept", faultline::SourceLocation{"s.yaml", 11, 11}).empty());
  CHECK(b.set("error", "ENOSPC", faultline::SourceLocation{"s.yaml", 12, 12}).empty());
  Diagnostics ds;
  CHECK_FALSE(b.build(ds));
  REQUIRE(ds.size() == 1);
  CHECK(ds[0].where.line == 12);
  CHECK(ds[0].where.column == 12);
}

TEST_CASE("The builder refuses to build after a setter failed") {
  faultline::FaultSpecBuilder b(faultline::SourceLocation{"s.yaml", 1, 1});
  CHECK(b.add_call("read").empty());
  CHECK_FALSE(b.set("probability", "7").empty());
  CHECK(b.set("eof", "").empty());
  Diagnostics ds;
  CHECK_FALSE(b.build(ds));
  CHECK(ds.empty());  // the setter's message is the caller's to report
}

TEST_CASE("The builder accepts YAML-style flag values") {
  faultline::FaultSpecBuilder b(faultline::SourceLocation{"s.yaml", 1, 1});
  CHECK(b.set("call", "read,recv").empty());
  CHECK(b.set("eof", "true").empty());
  CHECK(b.set("force", "true").empty());
  Diagnostics ds;
  auto spec = b.build(ds);
  REQUIRE(spec);
  CHECK(spec->calls == std::vector<std::string>{"read", "recv"});
  CHECK(spec->force);
}

TEST_CASE("write accepts the errnos write(2) returns on a connected UDP socket") {
  // udp(7), ip(7): the ICMP error of an earlier datagram, and running out of buffers.
  for (const char* e : {"ECONNREFUSED", "ENOBUFS", "EHOSTUNREACH", "EMSGSIZE"}) {
    CAPTURE(e);
    CHECK(parse_ok(std::string("write:error=") + e).error == *faultline::errno_from_name(e));
    CHECK(parse_ok(std::string("writev:error=") + e).error == *faultline::errno_from_name(e));
  }
}

TEST_CASE("read accepts the errnos recv(2) returns, as a read on a socket fails like recv") {
  for (const char* e : {"ECONNREFUSED", "ENOMEM", "EHOSTUNREACH"}) {
    CAPTURE(e);
    CHECK(parse_ok(std::string("read:error=") + e).error == *faultline::errno_from_name(e));
  }
}

TEST_CASE("send and its spellings accept EPERM, which a firewall rule makes them return") {
  for (const char* call : {"send", "sendto", "sendmsg", "sendmmsg", "write"}) {
    CAPTURE(call);
    CHECK(parse_ok(std::string(call) + ":error=EPERM").error == EPERM);
  }
}

TEST_CASE("force is spelled :force on the command line and force: true or force: in YAML") {
  parse_error("recv:error=ENOSPC", 6, "recv never fails with ENOSPC");
  CHECK(parse_ok("recv:error=ENOSPC:force").force);
  for (const char* value : {"true", "", "yes"}) {
    CAPTURE(value);
    faultline::FaultSpecBuilder b(faultline::SourceLocation{"s.yaml", 1, 1});
    CHECK(b.set("call", "recv").empty());
    CHECK(b.set("error", "ENOSPC").empty());
    CHECK(b.set("force", value).empty());
    Diagnostics ds;
    auto spec = b.build(ds);
    INFO(describe(ds));
    REQUIRE(spec);
    CHECK(spec->force);
  }
}

TEST_CASE("signal= refuses a signal that neither ends nor interrupts the process, and says why") {
  auto chld = parse_error("read:signal=SIGCHLD", 6, "signal=SIGCHLD is ignored by default");
  CHECK_THAT(chld.hint, Catch::Contains("SIGKILL"));
  CHECK_THAT(chld.hint, Catch::Contains("force"));
  parse_error("read:signal=SIGSTOP", 6, "signal=SIGSTOP stops the process");
  parse_error("read:signal=TSTP", 6, "signal=SIGTSTP stops the process");
  parse_error("read:signal=SIGCONT", 6, "signal=SIGCONT only continues a stopped process");
  parse_error("read:signal=SIGWINCH", 6, "is ignored by default");
  CHECK(parse_ok("read:signal=SIGSTOP:force").signal == SIGSTOP);
  for (const char* sig : {"SIGKILL", "SIGTERM", "SIGUSR1", "SIGPIPE", "SIGALRM", "40"}) {
    CAPTURE(sig);
    CHECK(parse_ok(std::string("read:signal=") + sig).signal > 0);
  }
}

TEST_CASE("fd=anon selects anonymous-inode fds and survives the canonical text") {
  auto s = parse_ok("read:short=3:fd=anon");
  CHECK(s.fd == faultline::FdClass::anon);
  CHECK(s.to_string() == "read:short=3:fd=anon");
  CHECK(parse_ok(s.to_string()).fd == faultline::FdClass::anon);
  parse_error("read:eof:fd=anom", 13, "fd must be ipc, file, anon or any");
}

TEST_CASE("Every errno name errno_names lists is read back as its errno") {
  const auto& names = faultline::errno_names();
  CHECK(names.size() > 100);
  for (auto n : names) CHECK(faultline::errno_from_name(n));
  CHECK(std::find(names.begin(), names.end(), "ECONNRESET") != names.end());
  CHECK(std::find(names.begin(), names.end(), "EWOULDBLOCK") != names.end());
}
