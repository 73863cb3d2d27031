// The socket showcase end to end (TCP, UDP, Unix datagrams): each robust program passes its
// scenario against the built-in peer, each naive one fails it for the reason it is about.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "support.h"

namespace {
namespace fs = std::filesystem;
using nlohmann::json;
using namespace faultline::test;

// A folder for one run's JSON report, removed with everything in it.
class ReportDir final {
 public:
  ReportDir() {
    std::string templ = (fs::temp_directory_path() / "flshownet-XXXXXX").string();
    if (!mkdtemp(templ.data())) throw std::runtime_error("mkdtemp failed; is TMPDIR writable?");
    dir_ = templ;
  }
  ~ReportDir() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  ReportDir(const ReportDir&) = delete;
  ReportDir& operator=(const ReportDir&) = delete;
  [[nodiscard]] fs::path file() const { return dir_ / "result.json"; }

 private:
  fs::path dir_;
};

struct ShowcaseRun {
  CommandResult command;
  json scenario;  // the one entry of "scenarios" in the JSON report
};

// Runs `faultline run scenarios/FILE --json OUT` and reads back the scenario's result. No
// backtraces: the syscall a hung process is blocked in is reported without them.
ShowcaseRun run_showcase(const std::string& file) {
  ReportDir report;
  ShowcaseRun run;
  run.command = run_faultline({"run", (scenarios_dir() / file).string(), "--json",
                               report.file().string(), "--no-backtrace"});
  INFO("faultline stdout:\n" << run.command.out << "\nfaultline stderr:\n" << run.command.err);
  std::ifstream in(report.file());
  REQUIRE(in.good());
  json all = json::parse(in);
  REQUIRE(all.at("scenarios").size() == 1);
  run.scenario = all.at("scenarios").at(0);
  return run;
}

const json& process(const json& scenario, const std::string& name) {
  for (const auto& p : scenario.at("processes"))
    if (p.at("name") == name) return p;
  throw std::runtime_error("no process named " + name + " in the report");
}

// The message of the violation of this kind and process ("" for the scenario's own), or ""
// when there is none.
std::string violation(const json& scenario, const std::string& kind, const std::string& proc) {
  for (const auto& v : scenario.at("violations"))
    if (v.at("kind") == kind && v.at("process") == proc) return v.at("message");
  return "";
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A fault that never fired proves nothing: every rule of the scenario must have fired.
bool every_fault_fired(const json& scenario) {
  if (scenario.at("faults").empty()) return false;
  for (const auto& f : scenario.at("faults"))
    if (f.at("fired").get<std::uint64_t>() < 1) return false;
  return true;
}

std::string describe(const ShowcaseRun& run) {
  return "faultline exit " + std::to_string(run.command.exit_code) + "\nstdout:\n" +
         run.command.out + "\nstderr:\n" + run.command.err + "\nresult:\n" + run.scenario.dump(2);
}

void check_passed(const ShowcaseRun& run) {
  CHECK(run.command.exit_code == 0);
  CHECK(run.scenario.at("passed") == true);
  CHECK(run.scenario.at("violations").empty());
  CHECK(every_fault_fired(run.scenario));
}

}  // namespace

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
