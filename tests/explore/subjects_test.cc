// The test subjects of `faultline explore` (tests/explore/): pairs of a naive program with one
// IPC robustness bug and its robust twin, each pair with a scenario that picks the twin from
// FAULTLINE_TWIN. For each pair: both twins pass the scenario without faults (explore's
// baseline, run twice), and the one fault that reveals the bug shows its symptom on the naive
// twin (a crash, a hang, a leak, a wrong result reported with exit 0, ...) while the robust
// twin absorbs it or, for a hard fault, fails cleanly. Also memcached, whose accept path stops
// accepting after one EMFILE.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "showcase.h"
#include "support.h"

namespace fs = std::filesystem;
using faultline::test::CommandResult;
using faultline::test::NothingLeftBehind;
using faultline::test::run_faultline;
using faultline::test::TempDir;
using faultline::test::showcase::every_fault_fired;
using faultline::test::showcase::every_fault_realistic;
using faultline::test::showcase::process;
using faultline::test::showcase::violation;
using nlohmann::json;

namespace {

struct SubjectRun {
  CommandResult command;
  json scenario;  // the one entry of "scenarios" in the JSON report
  [[nodiscard]] const json& proc(const std::string& name) const { return process(scenario, name); }
  [[nodiscard]] std::string describe() const {
    return "faultline exit " + std::to_string(command.exit_code) + "\nstdout:\n" + command.out +
           "\nstderr:\n" + command.err + "\nresult:\n" + scenario.dump(2);
  }
};

// `faultline run build/tests/explore/scenarios/NAME.yaml [--fault FAULT] --json ...` with
// FAULTLINE_TWIN=twin ("naive" or "robust"; memcached.yaml reads none).
SubjectRun run_subject(const std::string& name, const std::string& twin,
                       const std::string& fault = "") {
  TempDir report("flexplore");
  const fs::path out = report.path() / "result.json";
  const fs::path file = faultline::test::build_dir() / "tests/explore/scenarios" / (name + ".yaml");
  std::vector<std::string> args{"run", file.string(), "--json", out.string(), "--no-backtrace"};
  if (!fault.empty()) {
    args.push_back("--fault");
    args.push_back(fault);
  }
  SubjectRun run;
  run.command = run_faultline(args, {"FAULTLINE_TWIN=" + twin});
  INFO(name << " (" << twin << ")\nstdout:\n"
            << run.command.out << "\nstderr:\n"
            << run.command.err);
  std::ifstream in(out);
  REQUIRE(in.good());
  json all = json::parse(in);
  REQUIRE(all.at("scenarios").size() == 1);
  run.scenario = all.at("scenarios").at(0);
  return run;
}

// Explore's baseline: the scenario passes unchanged, twice in a row, nothing violated or leaked.
void check_baseline(const std::string& name, const std::string& twin) {
  for (int attempt = 1; attempt <= 2; ++attempt) {
    const SubjectRun run = run_subject(name, twin);
    INFO("baseline run " << attempt << "\n" << run.describe());
    CHECK(run.command.exit_code == 0);
    CHECK(run.scenario.at("passed") == true);
    CHECK(run.scenario.at("violations").empty());
    CHECK(run.scenario.at("leaks").empty());
  }
}

// The fault was injected, in a state where the kernel could have produced it: whatever the
// program does next is its own doing.
void check_fault_honest(const SubjectRun& run) {
  CHECK(every_fault_fired(run.scenario));
  CHECK(every_fault_realistic(run.scenario));
}

// The robust twin absorbed the fault: every expectation held.
void check_absorbed(const SubjectRun& run) {
  INFO(run.describe());
  check_fault_honest(run);
  CHECK(run.command.exit_code == 0);
  CHECK(run.scenario.at("passed") == true);
  CHECK(run.scenario.at("violations").empty());
  CHECK(run.scenario.at("leaks").empty());
}

// The robust twin failed cleanly on a hard fault: the faulted process exited 1 by itself and
// said why on stderr; nobody was killed by a signal, nothing hung or leaked, and no process
// that exited 0 broke its output expectations.
void check_clean_failure(const SubjectRun& run, const std::string& faulted,
                         const std::string& message) {
  INFO(run.describe());
  check_fault_honest(run);
  CHECK(run.command.exit_code == 1);
  CHECK(run.proc(faulted).at("exit_code") == 1);
  CHECK_THAT(run.proc(faulted).at("stderr").get<std::string>(), Catch::Contains(message));
  CHECK(run.scenario.at("timed_out") == false);
  CHECK(run.scenario.at("leaks").empty());
  for (const auto& p : run.scenario.at("processes")) {
    INFO(p.at("name"));
    CHECK((p.at("signal").is_null() || p.at("stopped_by_runner") == true));
    if (p.at("exit_code") == 0) CHECK(violation(run.scenario, "stdout", p.at("name")).empty());
  }
}

// A process was still blocked at the timeout, in this system call.
void check_blocked_in(const SubjectRun& run, const std::string& name, const std::string& call) {
  const json& p = run.proc(name);
  CHECK(p.at("killed_at_timeout") == true);
  REQUIRE(p.contains("at_timeout"));
  REQUIRE(!p.at("at_timeout").empty());
  CHECK_THAT(p.at("at_timeout").at(0).at("syscall").get<std::string>(), Catch::StartsWith(call));
}

}  // namespace

TEST_CASE("explore subject (a): a short read misparsed is a wrong result reported with exit 0",
          "[integration][explore][subjects]") {
  NothingLeftBehind guard;
  const std::string fault = "reader/read:short=1";
  SECTION("baseline") {
    check_baseline("short_read", "naive");
    check_baseline("short_read", "robust");
  }
  SECTION("naive: every process exits 0, the reader's output is wrong") {
    const SubjectRun run = run_subject("short_read", "naive", fault);
    INFO(run.describe());
    check_fault_honest(run);
    CHECK(run.command.exit_code == 1);
    CHECK(run.proc("writer").at("exit_code") == 0);
    CHECK(run.proc("reader").at("exit_code") == 0);
    CHECK(run.proc("reader").at("stdout") != "20 records, sum 210\n");
    CHECK_FALSE(violation(run.scenario, "stdout", "reader").empty());
    CHECK(run.scenario.at("timed_out") == false);
  }
  SECTION("robust: absorbed") { check_absorbed(run_subject("short_read", "robust", fault)); }
}

TEST_CASE("explore subject (b): an EINTR on a FIFO write loses a line the writer reports sent",
          "[integration][explore][subjects]") {
  NothingLeftBehind guard;
  const std::string fault = "writer/write:error=EINTR:nth=3";
  SECTION("baseline") {
    check_baseline("fifo_eintr", "naive");
    check_baseline("fifo_eintr", "robust");
  }
  SECTION("naive: the writer exits 0 having lost line 3, the reader finds the gap") {
    const SubjectRun run = run_subject("fifo_eintr", "naive", fault);
    INFO(run.describe());
    check_fault_honest(run);
    CHECK(run.command.exit_code == 1);
    CHECK(run.proc("writer").at("exit_code") == 0);
    CHECK(run.proc("writer").at("stdout") == "wrote 20 lines\n");
    CHECK(run.proc("reader").at("exit_code") == 1);
    CHECK_THAT(run.proc("reader").at("stderr").get<std::string>(),
               Catch::Contains("expected \"line 3\", got \"line 4\""));
  }
  SECTION("robust: absorbed") { check_absorbed(run_subject("fifo_eintr", "robust", fault)); }
}

TEST_CASE("explore subject (c): msgrcv EINTR taken as stop leaves the sender waiting forever",
          "[integration][explore][subjects]") {
  NothingLeftBehind guard;
  const std::string fault = "receiver/msgrcv:error=EINTR:nth=2";
  SECTION("baseline") {
    check_baseline("msgrcv_eintr", "naive");
    check_baseline("msgrcv_eintr", "robust");
  }
  SECTION("naive: the receiver quits with exit 0, the sender hangs in msgrcv") {
    const SubjectRun run = run_subject("msgrcv_eintr", "naive", fault);
    INFO(run.describe());
    check_fault_honest(run);
    CHECK(run.command.exit_code == 1);
    CHECK(run.scenario.at("timed_out") == true);
    CHECK(run.proc("receiver").at("exit_code") == 0);
    CHECK(run.proc("receiver").at("stdout") == "stopped after 1 jobs\n");
    check_blocked_in(run, "sender", "msgrcv");
  }
  SECTION("robust: absorbed") { check_absorbed(run_subject("msgrcv_eintr", "robust", fault)); }
}

TEST_CASE("explore subject (d): an unchecked shmat crashes on ENOMEM",
          "[integration][explore][subjects]") {
  NothingLeftBehind guard;
  const std::string fault = "writer/shmat:error=ENOMEM";
  SECTION("baseline") {
    check_baseline("shmat_unchecked", "naive");
    check_baseline("shmat_unchecked", "robust");
  }
  SECTION("naive: the writer dies of SIGSEGV") {
    const SubjectRun run = run_subject("shmat_unchecked", "naive", fault);
    INFO(run.describe());
    check_fault_honest(run);
    CHECK(run.command.exit_code == 1);
    CHECK(run.proc("writer").at("signal") == "SIGSEGV");
  }
  SECTION("robust: a clean failure (ENOMEM is hard)") {
    check_clean_failure(run_subject("shmat_unchecked", "robust", fault), "writer",
                        "shmat: Cannot allocate memory");
  }
}

TEST_CASE("explore subject (e): a System V queue leaked on an error path",
          "[integration][explore][subjects]") {
  NothingLeftBehind guard;
  const std::string fault = "client/msgsnd:error=ENOMEM";
  SECTION("baseline") {
    check_baseline("sysv_leak", "naive");
    check_baseline("sysv_leak", "robust");
  }
  SECTION("naive: the client fails and leaves its reply queue behind") {
    const SubjectRun run = run_subject("sysv_leak", "naive", fault);
    INFO(run.describe());
    check_fault_honest(run);
    CHECK(run.command.exit_code == 1);
    CHECK(run.proc("client").at("exit_code") == 1);
    CHECK_THAT(run.proc("client").at("stderr").get<std::string>(),
               Catch::Contains("msgsnd: Cannot allocate memory"));
    const json& leaks = run.scenario.at("leaks");
    REQUIRE(leaks.size() == 1);
    CHECK(leaks[0].at("process") == "client");
    CHECK(leaks[0].at("call") == "msgget");
    CHECK_THAT(leaks[0].at("object").get<std::string>(), Catch::Contains("System V message queue"));
  }
  SECTION("robust: a clean failure, nothing left behind") {
    check_clean_failure(run_subject("sysv_leak", "robust", fault), "client",
                        "msgsnd: Cannot allocate memory");
  }
}

TEST_CASE("explore subject (f): an accept loop that ends on ECONNABORTED serves nobody after",
          "[integration][explore][subjects]") {
  NothingLeftBehind guard;
  // The second accept(): the first client was served, the second is queued.
  const std::string fault = "server/accept:error=ECONNABORTED:nth=2";
  SECTION("baseline") {
    check_baseline("accept_abort", "naive");
    check_baseline("accept_abort", "robust");
  }
  SECTION("naive: the server exits 1, the second client is never served") {
    const SubjectRun run = run_subject("accept_abort", "naive", fault);
    INFO(run.describe());
    check_fault_honest(run);
    CHECK(run.command.exit_code == 1);
    CHECK(run.proc("server").at("exit_code") == 1);
    CHECK_THAT(run.proc("server").at("stderr").get<std::string>(),
               Catch::Contains("accept: Software caused connection abort"));
    CHECK(run.proc("first").at("stdout") == "hello one\n");
    CHECK(run.proc("second").at("exit_code") == 1);
    CHECK(run.proc("second").at("stdout") == "");
  }
  SECTION("robust: absorbed") { check_absorbed(run_subject("accept_abort", "robust", fault)); }
}

TEST_CASE("explore subject (g): ECONNRESET taken as end of data is a cut-off success",
          "[integration][explore][subjects]") {
  NothingLeftBehind guard;
  // The second recv() of 64 bytes: the first 64 were received, then the connection is reset.
  const std::string fault = "client/recv:reset:nth=2";
  SECTION("baseline") {
    check_baseline("reset_eof", "naive");
    check_baseline("reset_eof", "robust");
  }
  SECTION("naive: every process exits 0, the client reports the lines it got as all") {
    const SubjectRun run = run_subject("reset_eof", "naive", fault);
    INFO(run.describe());
    check_fault_honest(run);
    CHECK(run.command.exit_code == 1);
    // The server, a service, has sent everything and ends by itself; when the client is
    // quicker, the runner stops it as it stops every service once the tasks are done.
    // Neither is a failure.
    const json& server = run.proc("server");
    CHECK((server.at("exit_code") == 0 || server.at("stopped_by_runner") == true));
    CHECK(server.at("stderr") == "");
    CHECK(run.proc("client").at("exit_code") == 0);
    CHECK(run.proc("client").at("stdout") == "received 9 lines\n");
    CHECK_FALSE(violation(run.scenario, "stdout", "client").empty());
  }
  SECTION("robust: a clean failure (a reset is hard)") {
    check_clean_failure(run_subject("reset_eof", "robust", fault), "client",
                        "recv: Connection reset by peer");
  }
}

TEST_CASE("explore subject (h): a blocking accept after a spurious readiness hangs the server",
          "[integration][explore][subjects]") {
  NothingLeftBehind guard;
  // The second poll(): the first client was served, the admin client is about to come.
  const std::string fault = "server/poll:spurious:nth=2";
  SECTION("baseline") {
    check_baseline("spurious_accept", "naive");
    check_baseline("spurious_accept", "robust");
  }
  SECTION("naive: the server blocks in accept, the admin client waits for its answer") {
    const SubjectRun run = run_subject("spurious_accept", "naive", fault);
    INFO(run.describe());
    check_fault_honest(run);
    CHECK(run.command.exit_code == 1);
    CHECK(run.scenario.at("timed_out") == true);
    CHECK(run.proc("user").at("stdout") == "hello user\n");
    check_blocked_in(run, "server", "accept");
    check_blocked_in(run, "operator", "recvfrom");
  }
  SECTION("robust: absorbed") { check_absorbed(run_subject("spurious_accept", "robust", fault)); }
}

TEST_CASE("explore subject: memcached stops accepting after one accept4 EMFILE",
          "[integration][explore][subjects][memcached]") {
  if (!fs::exists("/usr/bin/memcached")) FAIL("memcached is not installed; ci/setup installs it");
  NothingLeftBehind guard;
  SECTION("baseline") { check_baseline("memcached", "none"); }
  SECTION("EMFILE at the first accept4: the first client hangs, the second never starts") {
    const SubjectRun run = run_subject("memcached", "none", "memcached/accept4:error=EMFILE:nth=1");
    INFO(run.describe());
    check_fault_honest(run);
    CHECK(run.command.exit_code == 1);
    CHECK(run.scenario.at("timed_out") == true);
    CHECK_THAT(run.proc("memcached").at("stderr").get<std::string>(),
               Catch::Contains("accept4(): Too many open files"));
    check_blocked_in(run, "first", "recvfrom");
    CHECK(run.proc("second").at("started") == false);
  }
  SECTION("EMFILE at the second accept4: the first client is served, the second hangs") {
    const SubjectRun run = run_subject("memcached", "none", "memcached/accept4:error=EMFILE:nth=2");
    INFO(run.describe());
    check_fault_honest(run);
    CHECK(run.command.exit_code == 1);
    CHECK(run.scenario.at("timed_out") == true);
    CHECK(run.proc("first").at("exit_code") == 0);
    CHECK(run.proc("first").at("stdout") == "one=first value\n");
    check_blocked_in(run, "second", "recvfrom");
  }
}
