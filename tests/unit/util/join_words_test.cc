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

TEST_CASE("A hint lists the first names of a long list and how many more there are") {
  using faultline::join_some_words;
  std::vector<std::string> names;
  for (int i = 0; i < 20; ++i) names.push_back("p" + std::to_string(i));
  std::vector<std::string_view> views(names.begin(), names.end());
  CHECK(join_some_words(views, 3) == "p0, p1, p2 and 17 more");
  CHECK(join_some_words({views.begin(), views.begin() + 3}, 3) == "p0, p1, p2");
  const std::string long_name(100'000, 'x');
  CHECK(join_some_words({long_name, "b"}) == std::string(48, 'x') + "..., b");
}
