// Signal names: the one table behind the DSL (signal=, expect: { signal: }), the reports and
// the runner's messages.
#include <signal.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <string>

#include "util/signal_names.h"

using faultline::signal_from_name;
using faultline::signal_in_words;
using faultline::signal_name;

TEST_CASE("A signal is named with its SIG prefix") {
  CHECK(signal_name(SIGSEGV) == "SIGSEGV");
  CHECK(signal_name(SIGTERM) == "SIGTERM");
  CHECK(signal_name(SIGKILL) == "SIGKILL");
  CHECK(signal_in_words(SIGINT) == "SIGINT");
}

TEST_CASE("A signal is read by its name, its short name or its number") {
  CHECK(signal_from_name("SIGSEGV") == SIGSEGV);
  CHECK(signal_from_name("SEGV") == SIGSEGV);
  CHECK(signal_from_name("11") == 11);
  CHECK(signal_from_name("SIGUSR1") == SIGUSR1);
}

TEST_CASE("What names no signal is not read as one") {
  CHECK_FALSE(signal_from_name(""));
  CHECK_FALSE(signal_from_name("SIGNOPE"));
  CHECK_FALSE(signal_from_name("sigterm"));
  CHECK_FALSE(signal_from_name("0"));
  CHECK_FALSE(signal_from_name(std::to_string(NSIG)));
  // More digits than an int holds: no signal, and no exception (found by fuzz_fault_spec).
  CHECK_FALSE(signal_from_name("800000000000"));
}

TEST_CASE("A signal without a name is its number, which reads back") {
  const int rt = SIGRTMIN + 1;
  CHECK(signal_name(rt) == std::to_string(rt));
  CHECK(signal_from_name(signal_name(rt)) == rt);
  CHECK(signal_in_words(rt) == "signal " + std::to_string(rt));
}

TEST_CASE("Every named signal reads back from its name") {
  for (int sig = 1; sig < SIGRTMIN; ++sig) {
    INFO(sig);
    CHECK(signal_from_name(signal_name(sig)) == sig);
  }
}

TEST_CASE("Every name signal_names lists is read back as a signal, both spellings of each") {
  const auto& names = faultline::signal_names();
  REQUIRE(names.size() >= 2 * 31);
  for (const auto& n : names) {
    auto sig = signal_from_name(n);
    REQUIRE(sig);
    CHECK(*sig <= faultline::max_signal_number());
  }
  CHECK(std::count(names.begin(), names.end(), "SIGTERM") == 1);
  CHECK(std::count(names.begin(), names.end(), "TERM") == 1);
  CHECK(signal_from_name(std::to_string(faultline::max_signal_number())));
  CHECK_FALSE(signal_from_name(std::to_string(faultline::max_signal_number() + 1)));
}
