// ControlBlock: the control file as the runner writes it and reads it back.
#include "faults/control_block.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstddef>
#include <stdexcept>

#include "facts.h"
#include "faultline_control.h"
#include "probe.h"

namespace faultline {
namespace {

using test::make_fault;
using test::ScratchDir;

bool has_call(const fl_rule& r, int id) { return (r.call_mask[id / 64] >> (id % 64)) & 1; }

TEST_CASE("The control block file is created 0600 with a versioned header") {
  ScratchDir dir;
  auto cb = ControlBlock::create(dir.path() / "control", {}, 42);
  struct stat st {};
  REQUIRE(::stat(cb.path().c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(static_cast<std::size_t>(st.st_size) == sizeof(fl_control));
  const fl_control& c = *cb.raw();
  CHECK(c.magic == FL_CONTROL_MAGIC);
  CHECK(c.version == FL_CONTROL_VERSION);
  CHECK(c.size == sizeof(fl_control));
  CHECK(c.seed == 42);
  CHECK(c.rule_count == 0);
  CHECK(cb.events().empty());
  CHECK(cb.events_lost() == 0);
}

TEST_CASE("What processes write at run time has cache lines of its own") {
  // A rule's counters start a line, and a rule is whole lines: rule i's counters never share
  // a line with rule i+1's matching data, which every armed call reads (false sharing).
  CHECK(offsetof(fl_rule, hits) % FL_CACHE_LINE == 0);
  CHECK(offsetof(fl_rule, hits) >= offsetof(fl_rule, text) + sizeof(fl_rule::text));
  CHECK(sizeof(fl_rule) % FL_CACHE_LINE == 0);
  CHECK(offsetof(fl_control, rules) % FL_CACHE_LINE == 0);
  CHECK(offsetof(fl_control, rules_hit) % FL_CACHE_LINE == 0);
  CHECK(offsetof(fl_control, rules) - offsetof(fl_control, rules_hit) >= FL_CACHE_LINE);
  // What every armed call reads is in the block's first page: header, rules_hit, count_rules
  // and the first rule's matching data and counters.
  CHECK(offsetof(fl_control, rules_hit) < 4096);
  CHECK(offsetof(fl_control, rules) + sizeof(fl_rule) <= 4096);
}

TEST_CASE("The control block says which rules each call is counted for") {
  ScratchDir dir;
  auto cb = ControlBlock::create(dir.path() / "control",
                                 {make_fault({"read"}, FaultAction::error, EIO),
                                  make_fault({"send"}, FaultAction::error, EIO)},
                                 1);
  const fl_control& c = *cb.raw();
  CHECK(c.count_rules[FL_CALL_read] == 1);
  CHECK(c.count_rules[FL_CALL_recvmsg] == 1);  // read's family
  CHECK(c.count_rules[FL_CALL_send] == 2);
  CHECK(c.count_rules[FL_CALL_write] == 2);  // send's family
  CHECK(c.count_rules[FL_CALL_accept] == 0);
  CHECK(c.rules_hit == 0);
}

TEST_CASE("The control block reads back the facts recorded, without withdrawn ones") {
  ScratchDir dir;
  auto cb = ControlBlock::create(dir.path() / "control", {}, 1);
  CHECK(cb.raw()->runner_pid == ::getpid());
  fl_fact_write(cb.raw(), FL_FACT_EXEC_NO_PRELOAD, 10, 9, 0, "reader", "/usr/bin/cat");
  int failed_exec = fl_fact_write(cb.raw(), FL_FACT_EXEC_SECURE, 10, 9, 0, "reader", "./x");
  fl_fact_withdraw(cb.raw(), failed_exec);
  fl_fact_write(cb.raw(), FL_FACT_IO_URING, 11, 1, 65534, "server", nullptr);
  auto facts = cb.facts();
  REQUIRE(facts.size() == 2);
  CHECK(facts[0].kind == FL_FACT_EXEC_NO_PRELOAD);
  CHECK(facts[0].process == "reader");
  CHECK(facts[0].detail == "/usr/bin/cat");
  CHECK(facts[1].pid == 11);
  CHECK(facts[1].uid == 65534);
  CHECK(facts[1].detail.empty());
  CHECK(cb.facts_lost() == 0);
  for (int i = 0; i < FL_MAX_FACTS; ++i)
    fl_fact_write(cb.raw(), FL_FACT_IO_URING, 12, 1, 0, "server", "x");
  CHECK(cb.facts_lost() == 3);
  CHECK(fl_fact_write(cb.raw(), FL_FACT_IO_URING, 12, 1, 0, "server", "x") == -1);
}

TEST_CASE("The control block refuses to overwrite an existing file") {
  ScratchDir dir;
  auto first = ControlBlock::create(dir.path() / "control", {}, 1);
  CHECK_THROWS_AS(ControlBlock::create(dir.path() / "control", {}, 1), std::system_error);
}

TEST_CASE("The control block compiles a base call name into all its spellings") {
  ScratchDir dir;
  auto cb = ControlBlock::create(dir.path() / "control",
                                 {make_fault({"read", "accept"}, FaultAction::error, EIO)}, 1);
  const fl_rule& r = cb.raw()->rules[0];
  CHECK(has_call(r, FL_CALL_read));
  CHECK(has_call(r, FL_CALL___read_chk));
  CHECK(has_call(r, FL_CALL_accept));
  CHECK(has_call(r, FL_CALL_accept4));
  CHECK_FALSE(has_call(r, FL_CALL_write));
  CHECK(r.action == FL_ACT_ERROR);
  CHECK(r.arg == EIO);
  CHECK(r.fd_class == FL_FD_IPC);
  CHECK(r.channel == -1);
}

TEST_CASE("The control block compiles a variant name into that variant only") {
  ScratchDir dir;
  auto cb = ControlBlock::create(dir.path() / "control",
                                 {make_fault({"accept4"}, FaultAction::error, EMFILE)}, 1);
  const fl_rule& r = cb.raw()->rules[0];
  CHECK(has_call(r, FL_CALL_accept4));
  CHECK_FALSE(has_call(r, FL_CALL_accept));
}

TEST_CASE("The control block arms the union of all rules' calls") {
  ScratchDir dir;
  auto cb = ControlBlock::create(dir.path() / "control",
                                 {make_fault({"write"}, FaultAction::error, EIO),
                                  make_fault({"shmat"}, FaultAction::error, ENOMEM)},
                                 1);
  const fl_control& c = *cb.raw();
  for (int id = 0; id < FL_CALL_COUNT; ++id) {
    // `write` covers the vectored writev too.
    bool expected = id == FL_CALL_write || id == FL_CALL_writev || id == FL_CALL_shmat;
    CHECK(static_cast<bool>((c.armed[id / 64] >> (id % 64)) & 1) == expected);
  }
}

TEST_CASE("The control block stores triggers, process, fd class, delays and probability") {
  ScratchDir dir;
  FaultSpec f = make_fault({"recv"}, FaultAction::delay);
  f.process = "server";
  f.delay_min = std::chrono::milliseconds(5);
  f.delay_max = std::chrono::milliseconds(9);
  f.nth = 3;
  f.after = 4;
  f.every = 5;
  f.times = 6;
  f.probability = 0.5;
  f.fd = FdClass::any;
  auto cb = ControlBlock::create(dir.path() / "control", {f}, 1);
  const fl_rule& r = cb.raw()->rules[0];
  CHECK(r.action == FL_ACT_DELAY);
  CHECK(r.delay_min_ns == 5'000'000);
  CHECK(r.delay_max_ns == 9'000'000);
  CHECK(r.nth == 3);
  CHECK(r.after == 4);
  CHECK(r.every == 5);
  CHECK(r.times == 6);
  CHECK(r.has_probability == 1);
  CHECK(r.probability == (std::uint64_t{1} << 63));
  CHECK(r.fd_class == FL_FD_ANY);
  CHECK(std::string(r.process) == "server");
}

TEST_CASE("The control block rejects more faults than it has rules") {
  ScratchDir dir;
  std::vector<FaultSpec> faults(FL_MAX_RULES + 1, make_fault({"read"}, FaultAction::eof));
  CHECK_THROWS_AS(ControlBlock::create(dir.path() / "control", faults, 1), std::runtime_error);
  CHECK_FALSE(std::filesystem::exists(dir.path() / "control"));
}

TEST_CASE("The control block rejects an unknown call with a pointer to the call list") {
  ScratchDir dir;
  try {
    (void)ControlBlock::create(dir.path() / "control",
                               {make_fault({"frobnicate"}, FaultAction::error, EIO)}, 1);
    FAIL("no exception");
  } catch (const std::runtime_error& e) {
    CHECK_THAT(e.what(), Catch::Contains("frobnicate") && Catch::Contains("faultline calls"));
  }
  CHECK_FALSE(std::filesystem::exists(dir.path() / "control"));
}

TEST_CASE("The control block reports rule statistics and refuses a rule it does not have") {
  ScratchDir dir;
  auto cb =
      ControlBlock::create(dir.path() / "control", {make_fault({"read"}, FaultAction::eof)}, 1);
  cb.raw()->rules[0].hits = 7;
  cb.raw()->rules[0].fires = 2;
  CHECK(cb.stats(0).hits == 7);
  CHECK(cb.stats(0).fires == 2);
  CHECK_THROWS_AS(cb.stats(1), std::out_of_range);
}

TEST_CASE("The control block survives a move and unmaps once") {
  ScratchDir dir;
  auto a =
      ControlBlock::create(dir.path() / "control", {make_fault({"read"}, FaultAction::eof)}, 1);
  ControlBlock b = std::move(a);
  CHECK(b.rule_count() == 1);
  CHECK(b.path() == dir.path() / "control");
}

}  // namespace
}  // namespace faultline
