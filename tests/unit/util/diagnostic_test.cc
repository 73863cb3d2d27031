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
