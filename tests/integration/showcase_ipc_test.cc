// The showcase pairs for FIFOs, POSIX message queues, mmap, System V semaphores and the
// classic System V shared-memory example: each robust program passes its scenario, each
// naive program fails the same scenario for the reason the scenario is about.
#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>

#include "showcase.h"
#include "support.h"

namespace {
using nlohmann::json;
using namespace faultline::test;
using namespace faultline::test::showcase;

bool has_violation_of(const json& scenario, const std::string& proc) {
  for (const auto& v : scenario.at("violations"))
    if (v.at("process") == proc) return true;
  return false;
}

// Every fault the showcase injected is one the kernel would produce in that state.
void check_realistic(const ShowcaseRun& run) {
  CHECK(run.scenario.at("events").size() == 2);  // times: 2
  CHECK(every_fault_realistic(run.scenario));
}

}  // namespace

TEST_CASE(
    "The robust FIFO relay writes the rest of each short write and the stream arrives intact") {
  NothingLeftBehind guard;
  ShowcaseRun run = run_showcase("fifo/robust.yaml");
  INFO(describe(run));
  check_passed(run);
  CHECK(process(run.scenario, "sink").at("peer").at("report") == "0 sent, 100 received");
  check_realistic(run);
}

TEST_CASE("The naive FIFO relay is reported for the frames its short writes lost") {
  NothingLeftBehind guard;
  ShowcaseRun run = run_showcase("fifo/naive.yaml");
  INFO(describe(run));
  check_failed(run);
  // The relay itself believes all went well: the loss shows only at the receiving peer.
  CHECK_FALSE(has_violation_of(run.scenario, "relay"));
  std::string reason = violation(run.scenario, "peers", "sink");
  CHECK(std::regex_match(
      reason,
      std::regex(R"(sink: peer exchange not intact: 0 sent, \d+ received, [1-9]\d* lost.*)")));
  // Caught by a short write the kernel does make: more than PIPE_BUF bytes to a
  // non-blocking FIFO.
  check_realistic(run);
}

TEST_CASE("The robust POSIX queue relay waits for room after EAGAIN and sends the message again") {
  NothingLeftBehind guard;
  ShowcaseRun run = run_showcase("posix-mq/robust.yaml");
  INFO(describe(run));
  check_passed(run);
  CHECK(contains(process(run.scenario, "relay").at("stderr"), "is full, waiting for room"));
  CHECK(process(run.scenario, "sink").at("peer").at("report") == "0 sent, 100 received");
}

TEST_CASE("The naive POSIX queue relay is reported for the message it dropped on EAGAIN") {
  NothingLeftBehind guard;
  ShowcaseRun run = run_showcase("posix-mq/naive.yaml");
  INFO(describe(run));
  check_failed(run);
  CHECK_FALSE(has_violation_of(run.scenario, "relay"));
  CHECK(contains(process(run.scenario, "relay").at("stderr"),
                 "mq_send: Resource temporarily unavailable"));
  std::string reason = violation(run.scenario, "peers", "sink");
  CHECK(std::regex_match(
      reason,
      std::regex(R"(sink: peer exchange not intact: 0 sent, \d+ received, [1-9]\d* lost.*)")));
}

TEST_CASE(
    "The robust mmap writer reports a failed ftruncate, never touches the mapping, cleans up") {
  NothingLeftBehind guard;
  ShowcaseRun run = run_showcase("mmap/robust.yaml");
  INFO(describe(run));
  check_passed(run);
  CHECK(process(run.scenario, "writer").at("exit_code") == 1);
  CHECK(
      contains(process(run.scenario, "writer").at("stderr"), "ftruncate: Operation not permitted"));
  // The fault is one the kernel can return there: nothing flagged unrealistic.
  CHECK(run.scenario.at("faults").at(0).at("unrealistic") == 0);
}

TEST_CASE("The naive mmap writer is reported killed by SIGBUS and for the shm object it left") {
  NothingLeftBehind guard;
  ShowcaseRun run = run_showcase("mmap/naive.yaml");
  INFO(describe(run));
  check_failed(run);
  CHECK(process(run.scenario, "writer").at("signal") == "SIGBUS");
  CHECK(violation(run.scenario, "signal", "writer") == "writer: killed by SIGBUS, expected exit 1");
  CHECK(std::regex_match(
      violation(run.scenario, "leaks", "writer"),
      std::regex(
          R"(writer left POSIX shared memory /mmap_writer_naive-\d+ behind \(made by shm_open, pid \d+\); removed)")));
}

TEST_CASE("The robust semaphore worker goes on after the lock holder dies, thanks to SEM_UNDO") {
  NothingLeftBehind guard;
  ShowcaseRun run = run_showcase("semaphore/robust.yaml");
  INFO(describe(run));
  check_passed(run);
  CHECK(process(run.scenario, "first").at("signal") == "SIGKILL");
  CHECK(contains(process(run.scenario, "second").at("stdout"), "50 rounds ok"));
}

TEST_CASE(
    "The naive semaphore worker is reported hanging in semtimedop on the dead holder's lock") {
  NothingLeftBehind guard;
  ShowcaseRun run = run_showcase("semaphore/naive.yaml");
  INFO(describe(run));
  check_failed(run);
  CHECK(run.scenario.at("timed_out") == true);
  CHECK(violation(run.scenario, "timeout", "") ==
        "scenario timed out after 3s (still running: second)");
  CHECK(process(run.scenario, "first").at("signal") == "SIGKILL");
  const json& second = process(run.scenario, "second");
  CHECK(second.at("killed_at_timeout") == true);
  REQUIRE(second.contains("at_timeout"));
  REQUIRE_FALSE(second.at("at_timeout").empty());
  const json& snapshot = second.at("at_timeout").at(0);
  // glibc's semop() is the semtimedop system call with no timeout.
  CHECK(contains(snapshot.at("syscall"), "semtimedop("));
  CHECK(contains(snapshot.at("wchan"), "semtimedop"));
}

TEST_CASE("The robust classic shm program removes its segment after a failed IPC_SET") {
  NothingLeftBehind guard;
  ShowcaseRun run = run_showcase("shm/classic.yaml");
  INFO(describe(run));
  check_passed(run);
  const json& writer = process(run.scenario, "writer");
  CHECK(writer.at("exit_code") == 1);
  CHECK(contains(writer.at("stdout"), "4096 bytes"));
}

TEST_CASE(
    "The naive classic shm program is reported for the segment it left after a failed IPC_SET") {
  NothingLeftBehind guard;
  ShowcaseRun run = run_showcase("shm/classic_naive.yaml");
  INFO(describe(run));
  check_failed(run);
  // It exits 1 as expected: the only thing wrong is the segment it left behind.
  REQUIRE(run.scenario.at("violations").size() == 1);
  CHECK(std::regex_match(
      violation(run.scenario, "leaks", "writer"),
      std::regex(
          R"(writer left System V shared memory segment id \d+ \(key 0x[0-9a-f]+\) behind \(made by shmget, pid \d+\); removed)")));
  REQUIRE(run.scenario.at("leaks").size() == 1);
  CHECK(run.scenario.at("leaks").at(0).at("call") == "shmget");
}
