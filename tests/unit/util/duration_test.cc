// parse_duration() and format_duration().
#include <catch2/catch.hpp>

#include <string>

#include "faultline/duration.h"
#include "util/duration_units.h"

using namespace std::chrono_literals;
using faultline::format_duration;
using faultline::parse_duration;

TEST_CASE("Durations are read in every unit") {
  CHECK(parse_duration("100ns") == 100ns);
  CHECK(parse_duration("500us") == 500us);
  CHECK(parse_duration("250ms") == 250ms);
  CHECK(parse_duration("10s") == 10s);
  CHECK(parse_duration("2m") == 2min);
}

TEST_CASE("Durations may have a decimal part") {
  CHECK(parse_duration("1.5s") == 1500ms);
  CHECK(parse_duration("0.25ms") == 250us);
  CHECK(parse_duration("1.5m") == 90s);
}

TEST_CASE("A duration without a unit or with a bad unit is rejected") {
  CHECK_FALSE(parse_duration("10"));
  CHECK_FALSE(parse_duration("10 parsecs"));
  CHECK_FALSE(parse_duration("10h"));
  CHECK_FALSE(parse_duration(""));
  CHECK_FALSE(parse_duration("s"));
  CHECK_FALSE(parse_duration("-1s"));
  CHECK_FALSE(parse_duration("1.s"));
  CHECK_FALSE(parse_duration("0.5ns"));  // finer than a nanosecond
  CHECK_FALSE(parse_duration("99999999999999999999s"));
}

TEST_CASE("Durations print in their shortest exact form") {
  CHECK(format_duration(250ms) == "250ms");
  CHECK(format_duration(10s) == "10s");
  CHECK(format_duration(1500ms) == "1.5s");
  CHECK(format_duration(60s) == "1m");
  CHECK(format_duration(90s) == "90s");
  CHECK(format_duration(100s) == "100s");
  CHECK(format_duration(500us) == "500us");
  CHECK(format_duration(100ns) == "100ns");
  CHECK(format_duration(0ns) == "0s");
}

TEST_CASE("A printed duration reads back as the same duration") {
  for (faultline::Duration d :
       {faultline::Duration(1ns), faultline::Duration(999ns), faultline::Duration(1001us),
        faultline::Duration(1500ms), faultline::Duration(61s), faultline::Duration(90s),
        faultline::Duration(3600s), faultline::Duration(123456789ns)}) {
    CAPTURE(d.count());
    CHECK(parse_duration(format_duration(d)) == d);
  }
}

TEST_CASE("Every unit duration_units lists is one parse_duration reads, and no other") {
  const auto& units = faultline::duration_units();
  CHECK(units.size() == 5);
  for (auto u : units) CHECK(parse_duration("2" + std::string(u)));
  CHECK_FALSE(parse_duration("2h"));
  CHECK_FALSE(parse_duration("2sec"));
}
