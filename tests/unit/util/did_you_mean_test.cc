// Suggestions for misspelt words.
#include <catch2/catch.hpp>

#include "util/did_you_mean.h"

using faultline::closest_match;

TEST_CASE("A word within two edits of a known one is suggested") {
  CHECK(closest_match("tmeout", {"timeout", "seed"}) == "timeout");
  CHECK(closest_match("procesess", {"processes", "process"}) == "processes");
}

TEST_CASE("A prefix of a known word is suggested") {
  CHECK(closest_match("prob", {"probability", "process"}) == "probability");
}

TEST_CASE("A word that differs only in case is suggested") {
  CHECK(closest_match("Timeout", {"timeout"}) == "timeout");
}

TEST_CASE("Nothing is suggested for an unrelated word") {
  CHECK(closest_match("banana", {"timeout", "seed", "channels"}).empty());
  CHECK(faultline::did_you_mean("banana", {"timeout"}).empty());
  CHECK(faultline::did_you_mean("sed", {"seed"}) == "did you mean 'seed'?");
}

TEST_CASE("A word much longer than every candidate matches none of them") {
  // Decided by the lengths alone (the edit distance of a 2 MB value against each of the
  // 130 errno names took seconds in `faultline check`).
  CHECK(closest_match(std::string(4'000'000, 'E'), {"EINTR", "EAGAIN", "ECONNRESET"}).empty());
  CHECK(closest_match("EINTRXYZ", {"EINTR"}) == "EINTR");  // a prefix, whatever the length
  // A long word that begins with a candidate still gets it.
  CHECK(closest_match("ECONNRESET" + std::string(100, 'X'), {"EINTR", "ECONNRESET"}) ==
        "ECONNRESET");
}
