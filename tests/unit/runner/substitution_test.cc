// Unit tests of ${...} substitution.
#include "runner/substitution.h"

#include <catch2/catch.hpp>
#include <cstdlib>

using faultline::Substitutions;

TEST_CASE("channel attributes and run variables are substituted", "[substitution]") {
  Substitutions s;
  s.set("ctl.path", "/tmp/r/ctl.sock");
  s.set("run_dir", "/tmp/r");
  std::string out, error;
  REQUIRE(s.expand("--unix=${ctl.path} in ${run_dir}", out, error));
  CHECK(out == "--unix=/tmp/r/ctl.sock in /tmp/r");
}

TEST_CASE("env.VAR reads the runner's environment and $$ is a literal dollar", "[substitution]") {
  setenv("FAULTLINE_SUBST_TEST", "xyz", 1);
  Substitutions s;
  std::string out, error;
  REQUIRE(s.expand("${env.FAULTLINE_SUBST_TEST} costs $$5 and $HOME stays", out, error));
  CHECK(out == "xyz costs $5 and $HOME stays");
}

TEST_CASE("an unknown reference is an error naming it", "[substitution]") {
  Substitutions s;
  std::string out, error;
  CHECK_FALSE(s.expand("${nope.port}", out, error));
  CHECK(error == "unknown substitution ${nope.port}");
  CHECK_FALSE(s.expand("${open", out, error));
}
