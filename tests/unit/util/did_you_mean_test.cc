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
