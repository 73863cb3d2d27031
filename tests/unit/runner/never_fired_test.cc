// Unit tests of the words that say why a fault never fired.
#include "runner/never_fired.h"

#include <catch2/catch.hpp>

#include "faultline_control.h"
#include "faults/call_table.h"

using namespace faultline;

namespace {

ControlBlock::CallCount count(std::string_view symbol, std::uint64_t n) {
  return {std::string(symbol), resolve_call(symbol).front()->id, n};
}

FaultSpec read_fault(const std::string& process) {
  Diagnostics d;
  auto spec = parse_fault_spec(process + "/read:short=7", d);
  REQUIRE(spec);
  return *spec;
}

}  // namespace

TEST_CASE("a program that reads with recv is told apart from one that made no call",
          "[never-fired]") {
  std::vector<std::uint64_t> misses(FL_MISS_COUNT, 0);
  ProcessCallCounts counts{{"cli", {count("recv", 120), count("send", 3)}},
                           {"server", {count("read", 9)}}};
  CHECK(explain_never_fired(read_fault("cli"), misses, counts) ==
        "cli made no call of read; calls made by cli: recv ×120, send ×3");
}

TEST_CASE("calls of the rule that did not match say why", "[never-fired]") {
  std::vector<std::uint64_t> misses(FL_MISS_COUNT, 0);
  misses[FL_MISS_CLASS + static_cast<int>(FL_FD_FILE)] = 10;
  misses[FL_MISS_SIZE] = 2;
  ProcessCallCounts counts{{"server", {count("read", 12), count("recv", 4)}}};
  CHECK(explain_never_fired(read_fault("server"), misses, counts) ==
        "12 calls of read were made by server, none on an ipc fd (10 on a file fd; fd=any "
        "matches every fd); 2 asked for 7 bytes or fewer, which short=7 cannot shorten; calls "
        "made by server: recv ×4");
}

TEST_CASE("a process that was never seen is named", "[never-fired]") {
  std::vector<std::uint64_t> misses(FL_MISS_COUNT, 0);
  CHECK(explain_never_fired(read_fault("ghost"), misses, {}) ==
        "ghost made no call of read; no counted call was seen from ghost (did it run under the "
        "interposer?)");
}
