// The showcase scenarios end to end: each robust program passes its scenario, each naive
// program fails the same scenario for the reason the scenario is about.
#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "showcase.h"
#include "support.h"

namespace {
using nlohmann::json;
using namespace faultline::test;
using namespace faultline::test::showcase;

bool has_violation(const json& scenario, const std::string& kind, const std::string& proc) {
  for (const auto& v : scenario.at("violations"))
    if (v.at("kind") == kind && v.at("process") == proc) return true;
  return false;
}

}  // namespace

TEST_CASE("The robust echo server keeps serving after its first accept fails with ECONNABORTED") {
  NothingLeftBehind guard;
  ShowcaseRun run = run_showcase("unix-stream/accept.robust.yaml");
  INFO(describe(run));
  CHECK(run.command.exit_code == 0);
  CHECK(run.scenario.at("passed") == true);
  CHECK(run.scenario.at("violations").empty());
  CHECK(every_fault_fired(run.scenario));
  CHECK(process(run.scenario, "client").at("stdout").get<std::string>().find("5 ok") !=
        std::string::npos);
}

TEST_CASE("The naive echo server is reported for exiting with status 1 on a failed accept") {
  NothingLeftBehind guard;
  ShowcaseRun run = run_showcase("unix-stream/accept.naive.yaml");
  INFO(describe(run));
  CHECK(run.command.exit_code == 1);
  CHECK(run.scenario.at("passed") == false);
  CHECK(has_violation(run.scenario, "exit", "server"));
  CHECK(process(run.scenario, "server").at("exit_code") == 1);
  CHECK(every_fault_fired(run.scenario));
}

TEST_CASE("The robust shm writer reports a failed shmat, removes its segment and exits 1") {
  NothingLeftBehind guard;
  ShowcaseRun run = run_showcase("shm/robust.yaml");
  INFO(describe(run));
  CHECK(run.command.exit_code == 0);
  CHECK(run.scenario.at("passed") == true);
  CHECK(run.scenario.at("violations").empty());
  CHECK(every_fault_fired(run.scenario));
  CHECK(process(run.scenario, "writer").at("exit_code") == 1);
}

TEST_CASE("The naive shm writer is reported as killed by SIGSEGV after a failed shmat") {
  NothingLeftBehind guard;
  ShowcaseRun run = run_showcase("shm/naive.yaml");
  INFO(describe(run));
  CHECK(run.command.exit_code == 1);
  CHECK(run.scenario.at("passed") == false);
  CHECK(has_violation(run.scenario, "signal", "writer"));
  CHECK(process(run.scenario, "writer").at("signal") == "SIGSEGV");
  CHECK(every_fault_fired(run.scenario));
}

TEST_CASE("The robust record reader reassembles 64-byte records from 7-byte reads") {
  NothingLeftBehind guard;
  ShowcaseRun run = run_showcase("pipe/robust.yaml");
  INFO(describe(run));
  CHECK(run.command.exit_code == 0);
  CHECK(run.scenario.at("passed") == true);
  CHECK(run.scenario.at("violations").empty());
  CHECK(every_fault_fired(run.scenario));
}

TEST_CASE("The naive record reader is reported for taking short reads for whole records") {
  NothingLeftBehind guard;
  ShowcaseRun run = run_showcase("pipe/naive.yaml");
  INFO(describe(run));
  CHECK(run.command.exit_code == 1);
  CHECK(run.scenario.at("passed") == false);
  CHECK(has_violation(run.scenario, "exit", "reader"));
  CHECK(has_violation(run.scenario, "stdout", "reader"));
  CHECK_FALSE(has_violation(run.scenario, "exit", "writer"));
  CHECK(every_fault_fired(run.scenario));
}

TEST_CASE("The robust message consumer calls msgrcv again after EINTR and receives everything") {
  NothingLeftBehind guard;
  ShowcaseRun run = run_showcase("msgqueue/robust.yaml");
  INFO(describe(run));
  CHECK(run.command.exit_code == 0);
  CHECK(run.scenario.at("passed") == true);
  CHECK(run.scenario.at("violations").empty());
  CHECK(every_fault_fired(run.scenario));
  CHECK(every_fault_realistic(run.scenario));  // its SIGUSR1 handler can interrupt msgrcv
}

TEST_CASE("The naive message consumer is reported for exiting with status 1 on EINTR") {
  NothingLeftBehind guard;
  ShowcaseRun run = run_showcase("msgqueue/naive.yaml");
  INFO(describe(run));
  CHECK(run.command.exit_code == 1);
  CHECK(run.scenario.at("passed") == false);
  CHECK(has_violation(run.scenario, "exit", "consumer"));
  CHECK(process(run.scenario, "consumer").at("exit_code") == 1);
  CHECK_FALSE(has_violation(run.scenario, "exit", "producer"));
  CHECK(every_fault_fired(run.scenario));
  CHECK(every_fault_realistic(run.scenario));
}

TEST_CASE("The robust echo client completes every message when each send transfers 5 bytes") {
  NothingLeftBehind guard;
  ShowcaseRun run = run_showcase("unix-stream/short-send.robust.yaml");
  INFO(describe(run));
  CHECK(run.command.exit_code == 0);
  CHECK(run.scenario.at("passed") == true);
  CHECK(run.scenario.at("violations").empty());
  CHECK(every_fault_fired(run.scenario));
  CHECK(every_fault_realistic(run.scenario));  // its SO_SNDTIMEO can cut a send short
}

TEST_CASE("The naive echo client is reported for losing the rest of a short send") {
  NothingLeftBehind guard;
  ShowcaseRun run = run_showcase("unix-stream/short-send.naive.yaml");
  INFO(describe(run));
  CHECK(run.command.exit_code == 1);
  CHECK(run.scenario.at("passed") == false);
  CHECK(has_violation(run.scenario, "exit", "client"));
  CHECK_FALSE(has_violation(run.scenario, "exit", "server"));
  CHECK(every_fault_fired(run.scenario));
  CHECK(every_fault_realistic(run.scenario));
}
