// Diagnostic::format() and make_diagnostic().
#include <catch2/catch.hpp>

#include "faultline/diagnostic.h"

using faultline::Diagnostic;
using faultline::SourceLocation;

TEST_CASE("A diagnostic prints as file:line:column: error: message") {
  Diagnostic d{SourceLocation{"s.yaml", 3, 7}, "unknown key 'tmeout'", ""};
  CHECK(d.format() == "s.yaml:3:7: error: unknown key 'tmeout'");
}

TEST_CASE("A diagnostic with a hint prints the hint on a second line") {
  Diagnostic d{SourceLocation{"s.yaml", 3, 7}, "unknown key 'tmeout'", "did you mean 'timeout'?"};
  CHECK(d.format() == "s.yaml:3:7: error: unknown key 'tmeout'\n  hint: did you mean 'timeout'?");
}

TEST_CASE("A diagnostic without a position prints only the file") {
  Diagnostic d{SourceLocation{"s.yaml", 0, 0}, "cannot read", ""};
  CHECK(d.format() == "s.yaml: error: cannot read");
}

TEST_CASE("make_diagnostic splits a message from its hint at the first newline") {
  auto d = faultline::make_diagnostic(SourceLocation{"--fault", 1, 5}, "bad\nfix it");
  CHECK(d.message == "bad");
  CHECK(d.hint == "fix it");
  CHECK(d.where.column == 5);
  CHECK(faultline::make_diagnostic({}, "only a message").hint.empty());
}

TEST_CASE("A diagnostic quotes a long value by its start and its length, not whole") {
  const std::string value(2'000'000, 'E');
  Diagnostic d{{"s.yaml", 6, 38}, "unknown errno '" + value + "'", "use EINTR"};
  const std::string text = d.format();
  CHECK(text == "s.yaml:6:38: error: unknown errno '" + std::string(48, 'E') +
                    "...' (2000000 bytes)\n  hint: use EINTR");
  // Short quotes, several per message, stay as they are.
  Diagnostic two{{}, "a fault has exactly one action, but 'delay' comes after 'error'", ""};
  CHECK(two.format() == "error: a fault has exactly one action, but 'delay' comes after 'error'");
}

TEST_CASE("A long quote is cut between UTF-8 characters, and no text runs on without end") {
  std::string value;
  for (int i = 0; i < 40; ++i) value += "\xc3\xa9";  // é, two bytes each
  Diagnostic d{{}, "'" + value + "'", ""};
  const std::string text = d.format();
  CHECK(text == "error: '" + value.substr(0, 48) + "...' (80 bytes)");
  Diagnostic unquoted{{}, std::string(5000, 'x'), ""};
  CHECK(unquoted.format() == "error: " + std::string(2000, 'x') + "... (3000 more bytes)");
}
