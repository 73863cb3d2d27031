// The socket showcase end to end (TCP, UDP, Unix datagrams): each robust program passes its
// scenario against the built-in peer, each naive one fails it for the reason it is about.
#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "showcase.h"
#include "support.h"

using nlohmann::json;
using namespace faultline::test;
using namespace faultline::test::showcase;

TEST_CASE("The robust TCP echo server drops the reset connection and serves the next client") {
  NothingLeftBehind guard;
  ShowcaseRun run = run_showcase("tcp/reset.robust.yaml");
  INFO(describe(run));
  check_passed(run);
  CHECK(process(run.scenario, "first").at("exit_code") == 1);
  CHECK(process(run.scenario, "second").at("peer").at("report") == "20 sent, 20 received");
}

TEST_CASE("The naive TCP echo server is reported for exiting with status 1 on a reset connection") {
  NothingLeftBehind guard;
  ShowcaseRun run = run_showcase("tcp/reset.naive.yaml");
  INFO(describe(run));
  CHECK(run.command.exit_code == 1);
  CHECK(run.scenario.at("passed") == false);
  CHECK(violation(run.scenario, "service", "server") ==
        "server: service exited with status 1 before the tasks finished");
  CHECK(contains(process(run.scenario, "server").at("stderr"),
                 "ERROR reading from socket: Connection reset by peer"));
  CHECK(contains(violation(run.scenario, "exit", "second"), "second: exited with status 3"));
  CHECK(every_fault_fired(run.scenario));
}

TEST_CASE("The robust TCP echo server keeps accepting after accept fails with EMFILE") {
  NothingLeftBehind guard;
  ShowcaseRun run = run_showcase("tcp/accept.robust.yaml");
  INFO(describe(run));
  check_passed(run);
  CHECK(process(run.scenario, "second").at("peer").at("report") == "20 sent, 20 received");
}

TEST_CASE("The naive TCP echo server is reported for exiting with status 1 on accept EMFILE") {
  NothingLeftBehind guard;
  ShowcaseRun run = run_showcase("tcp/accept.naive.yaml");
  INFO(describe(run));
  CHECK(run.command.exit_code == 1);
  CHECK(run.scenario.at("passed") == false);
  CHECK(violation(run.scenario, "service", "server") ==
        "server: service exited with status 1 before the tasks finished");
  CHECK(contains(process(run.scenario, "server").at("stderr"),
                 "ERROR on accept: Too many open files"));
  CHECK(process(run.scenario, "first").at("exit_code") == 0);
  CHECK(contains(violation(run.scenario, "exit", "second"), "second: exited with status 3"));
  CHECK(every_fault_fired(run.scenario));
}

TEST_CASE("The robust UDP client sends a dropped request again and gets every echo") {
  NothingLeftBehind guard;
  ShowcaseRun run = run_showcase("udp/robust.yaml");
  INFO(describe(run));
  check_passed(run);
  CHECK(process(run.scenario, "server").at("peer").at("report") == "10 sent, 10 received");
}

TEST_CASE("The naive UDP client is reported hanging in recvfrom after its request is dropped") {
  NothingLeftBehind guard;
  ShowcaseRun run = run_showcase("udp/naive.yaml");
  INFO(describe(run));
  CHECK(run.command.exit_code == 1);
  CHECK(run.scenario.at("passed") == false);
  CHECK(run.scenario.at("timed_out") == true);
  CHECK(violation(run.scenario, "timeout", "") ==
        "scenario timed out after 3s (still running: client)");
  const json& client = process(run.scenario, "client");
  CHECK(client.at("killed_at_timeout") == true);
  REQUIRE(client.contains("at_timeout"));
  REQUIRE_FALSE(client.at("at_timeout").empty());
  CHECK(client.at("at_timeout").at(0).at("syscall").get<std::string>().rfind("recvfrom", 0) == 0);
  CHECK(every_fault_fired(run.scenario));
}

TEST_CASE("The robust Unix datagram echo server sends an answer again after ENOBUFS") {
  NothingLeftBehind guard;
  ShowcaseRun run = run_showcase("unix-dgram/robust.yaml");
  INFO(describe(run));
  check_passed(run);
  CHECK(process(run.scenario, "client").at("peer").at("report") == "20 sent, 20 received");
}

TEST_CASE("The naive Unix datagram echo server is reported for losing the answer sendto failed") {
  NothingLeftBehind guard;
  ShowcaseRun run = run_showcase("unix-dgram/naive.yaml");
  INFO(describe(run));
  CHECK(run.command.exit_code == 1);
  CHECK(run.scenario.at("passed") == false);
  CHECK(violation(run.scenario, "peers", "client") ==
        "client: peer exchange not intact: 20 sent, 19 received, 1 lost");
  CHECK(violation(run.scenario, "service", "server").empty());
  CHECK(every_fault_fired(run.scenario));
}
