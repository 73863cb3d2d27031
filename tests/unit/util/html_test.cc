// html_escape(): markup and quotes become text, and what is not UTF-8 (or a control
// character) becomes U+FFFD, one per byte, so a report page is valid UTF-8 whatever a process
// printed; html_page(): the policy that allows nothing from outside.
#include "util/html.h"

#include <catch2/catch.hpp>
#include <string>

using faultline::html_escape;
using faultline::html_page;

namespace {
const std::string kReplacement = "\xEF\xBF\xBD";
}

TEST_CASE("html_escape turns markup and quotes into text") {
  CHECK(html_escape("<script>alert('x')</script>") ==
        "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;");
  CHECK(html_escape("a=\"b\" & c") == "a=&quot;b&quot; &amp; c");
  CHECK(html_escape("&amp;") == "&amp;amp;");
}

TEST_CASE("html_escape keeps well-formed UTF-8, tabs and newlines") {
  const std::string text = "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x90\x9B\ttab\r\nline";
  CHECK(html_escape(text) == text);
}

TEST_CASE("html_escape replaces each byte that is not UTF-8 or is a control character") {
  CHECK(html_escape("\xFF\xFE") == kReplacement + kReplacement);
  CHECK(html_escape(std::string_view("a\0b", 3)) == "a" + kReplacement + "b");
  CHECK(html_escape("\x1B[31m") == kReplacement + "[31m");
  CHECK(html_escape("\x7F") == kReplacement);
  // Truncated, overlong, surrogate and out-of-range sequences.
  CHECK(html_escape("\xE2\x82") == kReplacement + kReplacement);
  CHECK(html_escape("\xC0\xAF") == kReplacement + kReplacement);
  CHECK(html_escape("\xED\xA0\x80") == kReplacement + kReplacement + kReplacement);
  CHECK(html_escape("\xF4\x90\x80\x80") ==
        kReplacement + kReplacement + kReplacement + kReplacement);
  // A bad byte does not swallow the character after it.
  CHECK(html_escape("\xC3<") == kReplacement + "&lt;");
}

TEST_CASE("html_page allows nothing from outside and escapes its title") {
  const std::string page = html_page("<t>", "<p>body</p>");
  CHECK(page.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(page.find("<meta charset=\"utf-8\">") != std::string::npos);
  CHECK(page.find("content=\"default-src 'none'; style-src 'unsafe-inline'; script-src "
                  "'unsafe-inline';") != std::string::npos);
  CHECK(page.find("<title>&lt;t&gt;</title>") != std::string::npos);
  CHECK(page.find("<p>body</p>") != std::string::npos);
  CHECK(page.find("src=") == std::string::npos);
  CHECK(page.find("href=") == std::string::npos);
}
