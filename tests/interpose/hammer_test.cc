// The thread-and-fork hammer: 4 processes of 8 threads make 10^6 matching calls together, and
// each trigger fires exactly as often as it says, over all of them.
#include <catch2/catch.hpp>
#include <set>
#include <sstream>

#include "faultline_control.h"
#include "probe.h"
#include "support.h"

namespace faultline {
namespace {

using test::make_fault;
using test::NothingLeftBehind;
using test::ProbeRun;

constexpr std::uint64_t kProcs = 4, kThreads = 8, kTotal = 1'000'000;
constexpr std::uint64_t kPerThread = kTotal / (kProcs * kThreads);
static_assert(kPerThread * kProcs * kThreads == kTotal);

// Runs the hammer (close(-1) on every thread) under `f` and checks it fired `expected` times.
void hammer(FaultSpec f, std::uint64_t expected) {
  f.calls = {"close"};
  ProbeRun run({f});
  auto r = run.probe({"hammer-procs", std::to_string(kProcs), std::to_string(kThreads),
                      std::to_string(kPerThread)});
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  REQUIRE(r.exit_code == 0);
  auto out = test::lines(r.out);
  REQUIRE(out.size() == kProcs);
  std::set<int> pids;
  std::uint64_t injected = 0;
  for (const auto& line : out) {
    std::istringstream in(line);
    std::string word, inj;
    int pid = 0;
    std::uint64_t n = 0;
    in >> word >> pid >> inj >> n;
    REQUIRE(word == "hammer");
    pids.insert(pid);
    injected += n;
  }
  CHECK(pids.size() == kProcs);
  CHECK(run.control().stats(0).hits == kTotal);
  CHECK(run.control().stats(0).fires == expected);
  CHECK(injected == expected);
  std::uint64_t kept = std::min<std::uint64_t>(expected, FL_EVENT_RING);
  CHECK(run.control().events_lost() == expected - kept);
  // When the ring wraps, a slot written by two threads at once (an old record and the one
  // replacing it) is skipped by the reader rather than returned torn: at most one slot per
  // concurrent writer.
  const std::uint64_t seen = run.control().events().size();
  CHECK(seen <= kept);
  if (expected <= FL_EVENT_RING)
    CHECK(seen == kept);
  else
    CHECK(seen + kProcs * kThreads >= kept);
}

TEST_CASE("Hammer: nth fires once among 10^6 calls of 32 threads in 4 processes") {
  NothingLeftBehind guard;
  FaultSpec f = make_fault({}, FaultAction::error, EIO);
  f.nth = 777'777;
  hammer(f, 1);
}

TEST_CASE("Hammer: every=K fires 10^6/K times among 32 threads in 4 processes") {
  NothingLeftBehind guard;
  FaultSpec f = make_fault({}, FaultAction::error, EIO);
  f.every = 250;
  hammer(f, kTotal / 250);
}

TEST_CASE("Hammer: times=M caps the fires at M among 32 threads in 4 processes") {
  NothingLeftBehind guard;
  FaultSpec f = make_fault({}, FaultAction::error, EINTR);
  f.times = 5000;
  hammer(f, 5000);
}

}  // namespace
}  // namespace faultline
