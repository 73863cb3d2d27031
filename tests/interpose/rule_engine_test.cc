// The rule engine (interpose/rule_engine.c), driven directly on a control block.
#include "rule_engine.h"

#include <catch2/catch.hpp>
#include <cerrno>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "faults/control_block.h"
#include "probe.h"

namespace faultline {
namespace {

using test::make_fault;
using test::ScratchDir;

// Which rule fires on each of `count` calls: '.' for none, else the rule's index digit.
std::string fire_pattern(fl_control* c, int call, int count, const char* process = "p",
                         unsigned fd_class = FL_FD_IPC) {
  std::string s;
  for (int i = 0; i < count; ++i) {
    std::uint64_t hit = 0;
    int rule = test::decide_call(c, call, process, fd_class, &hit);
    s += rule < 0 ? '.' : static_cast<char>('0' + rule);
  }
  return s;
}

struct Engine {
  explicit Engine(std::vector<FaultSpec> faults, std::uint64_t seed = 1)
      : cb(ControlBlock::create(dir.path() / "control", faults, seed)) {}
  ScratchDir dir;
  ControlBlock cb;
  fl_control* c() { return cb.raw(); }
};

FaultSpec eio(std::vector<std::string> calls = {"write"}) {
  return make_fault(std::move(calls), FaultAction::error, EIO);
}

TEST_CASE("The rule engine fires on every matching call without a trigger") {
  Engine e({eio()});
  CHECK(fire_pattern(e.c(), FL_CALL_write, 4) == "0000");
  CHECK(fire_pattern(e.c(), FL_CALL_read, 2) == "..");
  CHECK(e.cb.stats(0).hits == 4);
  CHECK(e.cb.stats(0).fires == 4);
}

TEST_CASE("The rule engine fires nth only on that call") {
  FaultSpec f = eio();
  f.nth = 3;
  Engine e({f});
  CHECK(fire_pattern(e.c(), FL_CALL_write, 6) == "..0...");
  CHECK(e.cb.stats(0).fires == 1);
}

TEST_CASE("The rule engine fires after N on every later call") {
  FaultSpec f = eio();
  f.after = 2;
  Engine e({f});
  CHECK(fire_pattern(e.c(), FL_CALL_write, 5) == "..000");
}

TEST_CASE("The rule engine fires every K-th call") {
  FaultSpec f = eio();
  f.every = 3;
  Engine e({f});
  CHECK(fire_pattern(e.c(), FL_CALL_write, 9) == "..0..0..0");
}

TEST_CASE("The rule engine counts every from the first call after N") {
  FaultSpec f = eio();
  f.after = 2;
  f.every = 3;
  Engine e({f});
  CHECK(fire_pattern(e.c(), FL_CALL_write, 11) == "....0..0..0");
}

TEST_CASE("The rule engine never fires more than times") {
  FaultSpec f = eio();
  f.every = 2;
  f.times = 2;
  Engine e({f});
  CHECK(fire_pattern(e.c(), FL_CALL_write, 10) == ".0.0......");
  CHECK(e.cb.stats(0).hits == 10);
  CHECK(e.cb.stats(0).fires == 2);
}

TEST_CASE("The rule engine's probability is reproducible from the seed") {
  FaultSpec f = eio();
  f.probability = 0.3;
  Engine a({f}, 7), b({f}, 7), other({f}, 8);
  std::string pa = fire_pattern(a.c(), FL_CALL_write, 400);
  CHECK(pa == fire_pattern(b.c(), FL_CALL_write, 400));
  CHECK(pa != fire_pattern(other.c(), FL_CALL_write, 400));
  auto fired = std::count(pa.begin(), pa.end(), '0');
  CHECK(fired > 80);  // 400 * 0.3 = 120; 5 standard deviations are ~46
  CHECK(fired < 160);
}

TEST_CASE("The rule engine's probability 1 always fires and 0 never does") {
  FaultSpec always = eio(), never = eio({"read"});
  always.probability = 1.0;
  never.probability = 0.0;
  Engine e({always, never});
  CHECK(fire_pattern(e.c(), FL_CALL_write, 50) == std::string(50, '0'));
  CHECK(fire_pattern(e.c(), FL_CALL_read, 50) == std::string(50, '.'));
}

TEST_CASE("The rule engine lets the first rule that fires win and still counts later ones") {
  FaultSpec first = eio(), second = make_fault({"write"}, FaultAction::error, EPIPE);
  first.nth = 2;
  second.every = 2;
  Engine e({first, second});
  CHECK(fire_pattern(e.c(), FL_CALL_write, 6) == ".0.1.1");
  CHECK(e.cb.stats(0).hits == 6);
  CHECK(e.cb.stats(0).fires == 1);
  CHECK(e.cb.stats(1).hits == 6);
  CHECK(e.cb.stats(1).fires == 2);
}

TEST_CASE("The rule engine matches a rule's process name only") {
  FaultSpec f = eio();
  f.process = "server";
  Engine e({f});
  CHECK(fire_pattern(e.c(), FL_CALL_write, 2, "client") == "..");
  CHECK(fire_pattern(e.c(), FL_CALL_write, 2, "server") == "00");
  CHECK(e.cb.stats(0).hits == 2);
}

TEST_CASE("The rule engine matches fd classes as the rule says") {
  FaultSpec ipc = eio({"read"}), any = eio({"write"}), file = eio({"recv"});
  any.fd = FdClass::any;
  file.fd = FdClass::file;
  Engine e({ipc, any, file});
  CHECK(fire_pattern(e.c(), FL_CALL_read, 1, "p", FL_FD_FILE) == ".");
  CHECK(fire_pattern(e.c(), FL_CALL_read, 1, "p", FL_FD_IPC) == "0");
  CHECK(fire_pattern(e.c(), FL_CALL_write, 1, "p", FL_FD_FILE) == "1");
  CHECK(fire_pattern(e.c(), FL_CALL_write, 1, "p", FL_FD_IPC) == "1");
  CHECK(fire_pattern(e.c(), FL_CALL_recv, 1, "p", FL_FD_IPC) == ".");
  CHECK(fire_pattern(e.c(), FL_CALL_recv, 1, "p", FL_FD_FILE) == "2");
}

TEST_CASE("The rule engine counts a rule's call family per process, and why calls missed it") {
  FaultSpec f = make_fault({"read"}, FaultAction::short_transfer, 7);
  f.process = "server";
  Engine e({f});
  // The family of read is counted (recv, recvmsg ...); write is no rule's concern.
  CHECK((e.c()->counted[FL_CALL_recv >> 6] >> (FL_CALL_recv & 63)) & 1);
  CHECK((e.c()->counted[FL_CALL_recvmsg >> 6] >> (FL_CALL_recvmsg & 63)) & 1);
  CHECK_FALSE((e.c()->counted[FL_CALL_write >> 6] >> (FL_CALL_write & 63)) & 1);
  CHECK_FALSE((e.c()->armed[FL_CALL_recv >> 6] >> (FL_CALL_recv & 63)) & 1);
  std::uint64_t hit = 0;
  for (int i = 0; i < 3; ++i)
    (void)test::decide_call(e.c(), FL_CALL_recv, "server", FL_FD_IPC, &hit);
  for (int i = 0; i < 2; ++i)
    (void)test::decide_call(e.c(), FL_CALL_read, "server", FL_FD_FILE, &hit, -1, 100);
  (void)test::decide_call(e.c(), FL_CALL_read, "server", FL_FD_IPC, &hit, -1, 4);  // too small
  (void)test::decide_call(e.c(), FL_CALL_read, "client", FL_FD_IPC, &hit, -1, 100);
  (void)test::decide_call(e.c(), FL_CALL_write, "server", FL_FD_IPC, &hit);
  CHECK(e.cb.stats(0).hits == 0);
  auto misses = e.cb.misses(0);
  CHECK(misses[FL_MISS_CLASS + static_cast<int>(FL_FD_FILE)] == 2);
  CHECK(misses[FL_MISS_SIZE] == 1);
  CHECK(misses[FL_MISS_PROCESS] == 1);
  std::map<std::string, std::map<std::string, std::uint64_t>> counts;
  for (const auto& [process, calls] : e.cb.call_counts())
    for (const auto& c : calls) counts[process][c.call] = c.count;
  CHECK(counts["server"] == std::map<std::string, std::uint64_t>{{"read", 3}, {"recv", 3}});
  CHECK(counts["client"] == std::map<std::string, std::uint64_t>{{"read", 1}});
}

TEST_CASE("The rule engine ignores a kind that makes no sense for the call") {
  Engine e({make_fault({"read", "write"}, FaultAction::eof)});
  CHECK(fire_pattern(e.c(), FL_CALL_read, 1) == "0");
  CHECK(fire_pattern(e.c(), FL_CALL_write, 1) == ".");
  CHECK(e.cb.stats(0).hits == 1);
}

TEST_CASE("The rule engine matches short=N only on calls asking for more than N") {
  Engine e({make_fault({"read"}, FaultAction::short_transfer, 5)});
  std::uint64_t hit = 0;
  // Asking for 5 bytes or fewer: nothing to shorten, so not even a hit (nth counts the
  // calls the rule could change).
  CHECK(test::decide_call(e.c(), FL_CALL_read, "p", FL_FD_IPC, &hit, -1, 4) == -1);
  CHECK(test::decide_call(e.c(), FL_CALL_read, "p", FL_FD_IPC, &hit, -1, 5) == -1);
  CHECK(e.cb.stats(0).hits == 0);
  CHECK(test::decide_call(e.c(), FL_CALL_read, "p", FL_FD_IPC, &hit, -1, 6) == 0);
  CHECK(hit == 1);
  CHECK(e.cb.stats(0).fires == 1);
}

TEST_CASE("The rule engine picks delays within the range, reproducibly") {
  FaultSpec f = make_fault({"write"}, FaultAction::delay);
  f.delay_min = std::chrono::microseconds(100);
  f.delay_max = std::chrono::microseconds(200);
  Engine a({f}, 3), b({f}, 3);
  bool varies = false;
  for (std::uint64_t hit = 1; hit <= 100; ++hit) {
    auto ns = fl_rules_delay_ns(a.c(), 0, hit);
    CHECK(ns >= 100'000);
    CHECK(ns <= 200'000);
    CHECK(ns == fl_rules_delay_ns(b.c(), 0, hit));
    varies = varies || ns != fl_rules_delay_ns(a.c(), 0, 1);
  }
  CHECK(varies);
}

TEST_CASE("The rule engine's events come back in order with their fields") {
  Engine e({eio()});
  const fl_event_data first{FL_CALL_write, 0, 5, -1, 7, -1, EIO, 0, 0x1234, 100, 101, "server", 0};
  const fl_event_data second{
      FL_CALL_read, 0, 6, -1, 8, 3, 0, 3, 0x5678, 100, 102, "client", FL_WHY_EINTR_NO_HANDLER};
  fl_event_write(e.c(), &first);
  fl_event_write(e.c(), &second);
  auto ev = e.cb.events();
  REQUIRE(ev.size() == 2);
  CHECK(ev[0].seq == 1);
  CHECK(ev[0].call == "write");
  CHECK(ev[0].call_id == FL_CALL_write);
  CHECK(ev[0].err_name == "EIO");
  CHECK(ev[0].result == -1);
  CHECK(ev[0].fd == 5);
  CHECK(ev[0].caller == 0x1234);
  CHECK(ev[0].pid == 100);
  CHECK(ev[0].tid == 101);
  CHECK(ev[0].process == "server");
  CHECK(ev[0].hit == 7);
  CHECK(ev[0].channel.empty());
  CHECK(ev[0].unrealistic == 0);
  CHECK(ev[1].unrealistic == FL_WHY_EINTR_NO_HANDLER);
  CHECK(ev[1].seq == 2);
  CHECK(ev[1].call == "read");
  CHECK(ev[1].bytes == 3);
  CHECK(ev[1].err_name.empty());
  CHECK(ev[1].time_ns >= ev[0].time_ns);
}

TEST_CASE("The rule engine's event ring keeps the newest records and counts the lost ones") {
  Engine e({eio()});
  const int total = FL_EVENT_RING + 10;
  for (int i = 0; i < total; ++i) {
    const fl_event_data d{FL_CALL_write, 0, i, -1, 1, -1, EIO, 0, 0, 1, 1, "p", 0};
    fl_event_write(e.c(), &d);
  }
  auto ev = e.cb.events();
  REQUIRE(ev.size() == FL_EVENT_RING);
  CHECK(e.cb.events_lost() == 10);
  CHECK(ev.front().fd == 10);
  CHECK(ev.back().fd == total - 1);
  CHECK(ev.back().seq == static_cast<std::uint64_t>(total));
}

TEST_CASE("The recording table gives one slot per (process, call, caller) and counts overflow") {
  Engine e({});
  fl_control* c = e.c();
  fl_recorded* a = fl_record_slot(c, "p", FL_CALL_write, 1, 2, 0x100, FL_SHAPE_PIPE, 0);
  REQUIRE(a != nullptr);
  CHECK(fl_record_slot(c, "p", FL_CALL_write, 1, 2, 0x100, FL_SHAPE_STREAM, 0) == a);
  CHECK(a->shape == FL_SHAPE_PIPE);  // the first call's
  CHECK(fl_record_slot(c, "p", FL_CALL_write, 1, 2, 0x104, 0, 0) != a);
  CHECK(fl_record_slot(c, "p", FL_CALL_read, 1, 2, 0x100, 0, 0) != a);
  CHECK(fl_record_slot(c, "q", FL_CALL_write, 1, 2, 0x100, 0, 0) != a);
  CHECK(fl_record_slot(c, "p", FL_CALL_write, 1, 3, 0x100, 0, 0) != a);
  a->count.fetch_add(2);
  auto rows = e.cb.recorded();
  CHECK(rows.size() == 5);
  CHECK(e.cb.recorded_lost() == 0);
  // Fill the table: what does not fit is counted, never written over another slot.
  for (std::uint64_t off = 0x1000; off < 0x1000 + 4 * FL_MAX_RECORDED; off += 4)
    (void)fl_record_slot(c, "p", FL_CALL_write, 1, 2, off, 0, 0);
  CHECK(e.cb.recorded().size() <= FL_MAX_RECORDED);
  CHECK(e.cb.recorded_lost() >= 4);
  CHECK(fl_record_slot(c, "p", FL_CALL_write, 1, 2, 0x100, 0, 0) == a);
  bool found = false;
  for (const auto& r : e.cb.recorded()) {
    if (r.offset != 0x100 || r.call != "write" || r.process != "p" || r.ino != 2) continue;
    found = true;
    CHECK(r.count == 2);
  }
  CHECK(found);
}

TEST_CASE("With a calling context, the recording keys a caller's calls by their outer frames") {
  Engine e({});
  fl_control* c = e.c();
  const fl_frame header[1] = {{1, 2, 0x200}};
  const fl_frame body[1] = {{1, 2, 0x300}};
  fl_recorded* a = fl_record_slot_context(c, "p", FL_CALL_write, 1, 2, 0x100, header, 1, 0, 0);
  REQUIRE(a != nullptr);
  CHECK(fl_record_slot_context(c, "p", FL_CALL_write, 1, 2, 0x100, header, 1, 0, 0) == a);
  fl_recorded* b = fl_record_slot_context(c, "p", FL_CALL_write, 1, 2, 0x100, body, 1, 0, 0);
  CHECK(b != nullptr);
  CHECK(b != a);
  // The caller alone (a stack that ended there) is a third key.
  CHECK(fl_record_slot(c, "p", FL_CALL_write, 1, 2, 0x100, 0, 0) != a);
  CHECK(fl_record_slot(c, "p", FL_CALL_write, 1, 2, 0x100, 0, 0) != b);
  auto rows = e.cb.recorded();
  REQUIRE(rows.size() == 3);
  std::set<std::uint64_t> outer;
  for (const auto& r : rows) {
    CHECK(r.offset == 0x100);
    if (!r.outer.empty()) outer.insert(r.outer.front().offset);
  }
  CHECK(outer == std::set<std::uint64_t>{0x200, 0x300});
}

TEST_CASE("The recording table loses no call to threads racing for the same slots") {
  Engine e({});
  fl_control* c = e.c();
  constexpr int kThreads = 4, kCalls = 64 * 300, kSites = 64;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([c] {
      for (int i = 0; i < kCalls; ++i) {
        fl_recorded* s =
            fl_record_slot(c, "p", FL_CALL_write, 1, 2, 0x100 + 4 * (i % kSites), 0, FL_REC_EINTR);
        if (s) s->count.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  for (auto& t : threads) t.join();
  std::map<std::uint64_t, std::uint64_t> per_site;  // merged as the runner merges
  for (const auto& r : e.cb.recorded()) per_site[r.offset] += r.count;
  CHECK(e.cb.recorded_lost() == 0);
  REQUIRE(per_site.size() == kSites);
  for (const auto& [offset, count] : per_site) CHECK(count == kThreads * kCalls / kSites);
}

TEST_CASE("Why calls missed a rule is counted only until the rule has a hit") {
  // The counts explain a rule that never matched; counted on every call they would be a
  // cache line written by every process and thread of the run.
  FaultSpec f = make_fault({"read"}, FaultAction::short_transfer, 7);
  f.process = "server";
  FaultSpec other = make_fault({"write"}, FaultAction::error, EIO);
  other.process = "server";
  Engine e({f, other});
  std::uint64_t hit = 0;
  (void)test::decide_call(e.c(), FL_CALL_read, "client", FL_FD_IPC, &hit, -1, 100);
  (void)test::decide_call(e.c(), FL_CALL_recv, "server", FL_FD_IPC, &hit);
  CHECK(e.cb.misses(0)[FL_MISS_PROCESS] == 1);
  CHECK(e.c()->rules_hit == 0);
  (void)test::decide_call(e.c(), FL_CALL_read, "server", FL_FD_IPC, &hit, -1, 100);  // a hit
  CHECK(e.cb.stats(0).hits == 1);
  CHECK(e.c()->rules_hit == 1);
  (void)test::decide_call(e.c(), FL_CALL_read, "client", FL_FD_IPC, &hit, -1, 100);
  (void)test::decide_call(e.c(), FL_CALL_recv, "server", FL_FD_IPC, &hit);
  (void)test::decide_call(e.c(), FL_CALL_write, "client", FL_FD_IPC, &hit);
  // Rule 0 matched: no longer counted. Rule 1 never did: its miss and its calls still are.
  CHECK(e.cb.misses(0)[FL_MISS_PROCESS] == 1);
  CHECK(e.cb.misses(1)[FL_MISS_PROCESS] == 1);
  std::map<std::string, std::map<std::string, std::uint64_t>> counts;
  for (const auto& [process, calls] : e.cb.call_counts())
    for (const auto& c : calls) counts[process][c.call] = c.count;
  CHECK(counts["server"] == std::map<std::string, std::uint64_t>{{"read", 1}, {"recv", 1}});
  CHECK(counts["client"] == std::map<std::string, std::uint64_t>{{"read", 1}, {"write", 1}});
}

}  // namespace
}  // namespace faultline
