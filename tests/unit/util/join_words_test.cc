// join_words: the one join of the framework (hints, `faultline calls`, site resolution).
#include <catch2/catch.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "util/join_words.h"

using faultline::join_words;

TEST_CASE("Words are joined with a comma and a space unless told otherwise") {
  CHECK(join_words(std::vector<std::string_view>{"a", "b", "c"}) == "a, b, c");
  CHECK(join_words(std::vector<std::string_view>{"a", "b"}, " ") == "a b");
  CHECK(join_words(std::vector<std::string>{"x", "y", "z"}, "; ") == "x; y; z");
}

TEST_CASE("No word or one word needs no separator") {
  CHECK(join_words(std::vector<std::string_view>{}).empty());
  CHECK(join_words(std::vector<std::string>{}).empty());
  CHECK(join_words(std::vector<std::string>{"only"}, ", ") == "only");
}

TEST_CASE("Leading empty words leave no separator behind") {
  CHECK(join_words(std::vector<std::string_view>{"", "a", "b"}) == "a, b");
  CHECK(join_words(std::vector<std::string>{"a", "", "b"}, ",") == "a,,b");
}
