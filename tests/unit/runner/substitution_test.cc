// Unit tests of ${...} substitution.
#include "runner/substitution.h"

#include <catch2/catch.hpp>
#include <cstdlib>

using faultline::check_references;
using faultline::Scenario;
using faultline::Substitutions;

namespace {

Scenario with_channels() {
  Scenario s;
  faultline::ChannelSpec sock;
  sock.name = "sock";
  sock.type = faultline::ChannelType::unix_stream;
  faultline::ChannelSpec port;
  port.name = "ctl";
  port.type = faultline::ChannelType::tcp;
  s.channels = {sock, port};
  faultline::ProcessSpec server;
  server.name = "server";
  s.processes = {server};
  return s;
}

}  // namespace

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

TEST_CASE("env.VAR:-DEFAULT gives the default when the variable is unset or empty",
          "[substitution]") {
  unsetenv("FAULTLINE_SUBST_UNSET");
  setenv("FAULTLINE_SUBST_EMPTY", "", 1);
  setenv("FAULTLINE_SUBST_SET", "set", 1);
  Substitutions s;
  std::string out, error;
  REQUIRE(
      s.expand("${env.FAULTLINE_SUBST_UNSET:-7}/${env.FAULTLINE_SUBST_EMPTY:-x}/"
               "${env.FAULTLINE_SUBST_SET:-no}/${env.FAULTLINE_SUBST_UNSET:-}.",
               out, error));
  CHECK(out == "7/x/set/.");
}

TEST_CASE("env.VAR of an unset variable without a default is an error", "[substitution]") {
  unsetenv("FAULTLINE_SUBST_UNSET");
  Substitutions s;
  std::string out, error;
  CHECK_FALSE(s.expand("${env.FAULTLINE_SUBST_UNSET}", out, error));
  CHECK(error.find("FAULTLINE_SUBST_UNSET is not set") != std::string::npos);
  CHECK(error.find("${env.FAULTLINE_SUBST_UNSET:-DEFAULT}") != std::string::npos);
}

TEST_CASE("references are checked before provisioning, with did-you-mean", "[substitution]") {
  unsetenv("FAULTLINE_SUBST_UNSET");
  const Scenario s = with_channels();
  CHECK(check_references("--unix=${sock.path} --port ${ctl.port} ${run_dir} $${x}", s).empty());

  auto attr = check_references("${sock.pth}", s);
  REQUIRE(attr.size() == 1);
  CHECK(attr[0].message == "channel 'sock' has no attribute 'pth' (in ${sock.pth})");
  CHECK(attr[0].hint.find("'path'") != std::string::npos);

  auto channel = check_references("${skt.path}", s);
  REQUIRE(channel.size() == 1);
  CHECK(channel[0].message == "unknown channel 'skt' in ${skt.path}");
  CHECK(channel[0].hint == "the channels are: sock, ctl");
  CHECK(check_references("${sok.path}", s).at(0).hint == "did you mean 'sock'?");

  auto process = check_references("${server.path}", s);
  REQUIRE(process.size() == 1);
  CHECK(process[0].hint == "'server' is a process; substitutions name channels");

  auto env = check_references("${env.FAULTLINE_SUBST_UNSET}", s);
  REQUIRE(env.size() == 1);
  CHECK(env[0].message.find("is not set") != std::string::npos);
  CHECK(check_references("${env.FAULTLINE_SUBST_UNSET:-1}", s).empty());

  CHECK(check_references("${rundir}", s).at(0).hint.find("'run_dir'") != std::string::npos);
}
