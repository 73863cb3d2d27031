// Suggestions for misspelt words.
#include <catch2/catch.hpp>

#include <string>
#include <string_view>
#include <vector>

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

TEST_CASE("Two long words of about the same length are compared by prefix only") {
  // The edit distance of two 1 MB names costs 10^12 steps: a process named with 1 MB and an
  // after: of the same name plus one letter took minutes to load. Now a prefix still matches
  // and anything else is decided at once.
  const std::string name(1'000'000, 'p');
  CHECK(closest_match(name + "q", {name}) == name);
  CHECK(closest_match(std::string(1'000'000, 'q'), {name}).empty());
  CHECK(closest_match(std::string(70, 'a') + "x", {std::string(70, 'a') + "y"}).empty());
}

TEST_CASE("A suggestion looks at the first 200 candidates only") {
  // Each of 100,000 unknown references compared with each of 100,000 names is quadratic.
  std::vector<std::string> names;
  for (int i = 0; i < 300; ++i) names.push_back("filler-" + std::to_string(i));
  std::vector<std::string_view> views(names.begin(), names.end());
  views.insert(views.begin(), "zebra");
  CHECK(closest_match("zebr", views) == "zebra");
  views.erase(views.begin());
  views.push_back("zebra");  // the 301st
  CHECK(closest_match("zebr", views).empty());
}
