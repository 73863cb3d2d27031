// Points that must never end as `setup`: one whose run could not be provisioned because the
// run beside it held the room of a per-user limit (RLIMIT_MSGQUEUE here) runs again alone;
// one at a call site of a `run:` string's shell is named so that its run resolves it.
#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "support.h"

using faultline::test::CommandResult;
using faultline::test::faultline_exe;
using faultline::test::NothingLeftBehind;
using faultline::test::run_command;
using faultline::test::TempDir;
using faultline::test::TempScenario;
using nlohmann::json;

// [alone] (tests/CMakeLists.txt): its room, 120,000 bytes of RLIMIT_MSGQUEUE, holds one queue
// only while no other process of the user holds one (the limit counts the user's queues in
// every namespace): a test beside it with a POSIX queue would make even the lone run fail.
TEST_CASE("explore -j 2 runs a point that met a shared limit again alone",
          "[integration][explore][setup][alone]") {
  NothingLeftBehind guard;
  // The queue takes 10 x 8 KiB (about 82 KB of RLIMIT_MSGQUEUE); 120,000 bytes hold one run's
  // queue, not two. The writer keeps each run going for 200 ms, so the two workers' runs
  // overlap and the second one cannot be provisioned.
  TempScenario s(R"y(scenario: explore-shared-limit
timeout: 5s
channels:
  big: { type: posix-mq, size: 8192, count: 10 }
  p: { type: pipe }
processes:
  writer:
    run: [sh, -c, 'sleep 0.2; printf "a\nb\nc\n"']
    stdout: { channel: p }
  reader:
    run: [wc, -l]
    stdin: { channel: p }
    expect: { exit: 0, stdout: { contains: "3" } }
)y");
  TempDir dir("fllimit");
  CommandResult r = run_command({"prlimit", "--msgqueue=120000", faultline_exe().string(),
                                 "explore", s.path().string(), "-j", "2", "--process", "reader",
                                 "--kinds", "error,short", "--json", dir / "e.json"});
  INFO(r.out << r.err);
  REQUIRE((r.exit_code == 0 || r.exit_code == 1));
  std::ifstream in(dir / "e.json");
  json e = json::parse(in)["scenarios"][0];
  REQUIRE(e["points"].size() > 2);
  for (const auto& p : e["points"]) {
    INFO(p.dump());
    CHECK(p["verdict"] != "setup");
  }
  bool ran_alone = false;
  for (const auto& n : e["notes"])
    ran_alone = ran_alone || n.get<std::string>().find("ran again alone") != std::string::npos;
  CHECK(ran_alone);
}

TEST_CASE("explore names the call sites of a run: string's shell so that their runs resolve them",
          "[integration][explore][setup]") {
  NothingLeftBehind guard;
  // The writer is /bin/sh running its builtin printf: the writes are the shell's own.
  TempScenario s(R"y(scenario: explore-shell-sites
timeout: 5s
channels: { p: { type: pipe } }
processes:
  writer:
    run: "printf 'a\\nb\\n'"
    stdout: { channel: p }
  reader:
    run: [wc, -l]
    stdin: { channel: p }
    expect: { exit: 0, stdout: { contains: "2" } }
)y");
  TempDir dir("flshell");
  CommandResult r = run_command({faultline_exe().string(), "explore", s.path().string(), "-j", "2",
                                 "--process", "writer", "--json", dir / "e.json"});
  INFO(r.out << r.err);
  REQUIRE((r.exit_code == 0 || r.exit_code == 1));
  std::ifstream in(dir / "e.json");
  json e = json::parse(in)["scenarios"][0];
  REQUIRE_FALSE(e["points"].empty());
  for (const auto& p : e["points"]) {
    INFO(p.dump());
    CHECK(p["verdict"] != "setup");
  }
}
