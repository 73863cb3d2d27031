// OutputCapture: line splitting across reads and the bounded tail.
#include "processes/output_capture.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace faultline {
namespace {

TEST_CASE("Lines split across appends are handed over whole", "[processes]") {
  OutputCapture capture;
  std::vector<std::string> lines;
  auto sink = [&](std::string_view l) { lines.emplace_back(l); };
  capture.append("first li", sink);
  CHECK(lines.empty());
  CHECK(capture.partial_line() == "first li");
  capture.append("ne\nsecond\nthi", sink);
  capture.append("rd", sink);
  CHECK(lines == std::vector<std::string>{"first line", "second"});
  capture.finish(sink);
  CHECK(lines == std::vector<std::string>{"first line", "second", "third"});
  CHECK(capture.take_text() == "first line\nsecond\nthird");
}

TEST_CASE("The capture keeps only the tail of a long output", "[processes]") {
  OutputCapture capture(1000, 100);
  auto ignore = [](std::string_view) {};
  std::string all;
  for (int i = 0; i < 500; ++i) {
    std::string line = std::to_string(i) + "\n";
    all += line;
    capture.append(line, ignore);
  }
  std::string text = capture.take_text();
  CHECK(text.size() == 1000);
  CHECK(text == all.substr(all.size() - 1000));
}

TEST_CASE("A line longer than the line limit is cut into pieces", "[processes]") {
  OutputCapture capture(1000, 4);
  std::vector<std::string> lines;
  capture.append("abcdefghij\n", [&](std::string_view l) { lines.emplace_back(l); });
  CHECK(lines == std::vector<std::string>{"abcd", "efgh", "ij"});
}

}  // namespace
}  // namespace faultline
