// `cmake --install`: the installed runner finds the installed interposer and peer on its own,
// without the build tree or FAULTLINE_* variables.
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "support.h"

namespace fs = std::filesystem;
using faultline::test::CommandResult;
using faultline::test::NothingLeftBehind;
using faultline::test::run_command;
using faultline::test::TempScenario;

namespace {

void install_into(const faultline::test::TempDir& prefix) {
  CommandResult r =
      run_command({FAULTLINE_CMAKE_COMMAND, "--install", faultline::test::build_dir().string(),
                   "--prefix", prefix.path().string()});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
}

// Empty overrides: the installed runner must find its interposer and peer on its own.
const std::vector<std::string> kNoOverrides{"FAULTLINE_PEER=", "FAULTLINE_INTERPOSE="};

}  // namespace

TEST_CASE("An install puts the runner, the peer, the interposer and the docs under the prefix",
          "[integration][install]") {
  faultline::test::TempDir prefix("fl-install");
  install_into(prefix);
  const fs::path& p = prefix.path();
  CHECK(fs::is_regular_file(p / "bin/faultline"));
  CHECK(fs::is_regular_file(p / "bin/faultline-peer"));
  CHECK(fs::is_regular_file(p / "lib/faultline/libfaultline-interpose.so"));
  CHECK(fs::is_regular_file(p / "share/doc/faultline/README.md"));
  CHECK(fs::is_regular_file(p / "share/doc/faultline/scenarios.md"));
}

TEST_CASE("The installed runner injects through the installed interposer",
          "[integration][install]") {
  NothingLeftBehind guard;
  faultline::test::TempDir prefix("fl-install");
  install_into(prefix);
  CommandResult r =
      run_command({(prefix.path() / "bin/faultline").string(), "exec", "--fault",
                   "write:error=EIO:fd=any", "--", "dd", "if=/dev/zero", "of=/dev/null", "count=1"},
                  kNoOverrides);
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("Input/output error") != std::string::npos);
  CHECK(r.err.find("fired 1 of 1 call") != std::string::npos);
}

TEST_CASE("The installed runner runs built-in peers with the installed peer",
          "[integration][install]") {
  NothingLeftBehind guard;
  faultline::test::TempDir prefix("fl-install");
  install_into(prefix);
  TempScenario s(R"y(scenario: installed-peers
timeout: 30s
channels: { to: { type: fifo }, back: { type: fifo } }
processes:
  server: { peer: { mode: echo, channel: to, reply: back } }
  client: { peer: { mode: request, channel: to, reply: back, count: 20 } }
faults:
  - { call: read, short: 5, every: 3 }
expect: { peers: intact, faults: fired }
)y");
  CommandResult r = run_command(
      {(prefix.path() / "bin/faultline").string(), "run", "-v", s.path().string()}, kNoOverrides);
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("PASS  installed-peers") != std::string::npos);
  // It was the installed peer: without it the same run stops before it starts.
  fs::remove(prefix.path() / "bin/faultline-peer");
  CommandResult without = run_command(
      {(prefix.path() / "bin/faultline").string(), "run", s.path().string()}, kNoOverrides);
  INFO(without.out << without.err);
  CHECK(without.exit_code == 2);
  CHECK(without.err.find("faultline-peer not found") != std::string::npos);
}
