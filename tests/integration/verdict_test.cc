// Verdicts a user can trust (issue 9): a fault that never fired fails and says why, wrong
// input is exit 2, the headline names the root cause, and a scenario that could not be set
// up is its own outcome, never a verdict on the program.
#include <sys/resource.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "run_json.h"
#include "support.h"

namespace fs = std::filesystem;
using faultline::test::CommandResult;
using faultline::test::NothingLeftBehind;
using faultline::test::run_faultline;
using faultline::test::run_json;
using faultline::test::TempDir;
using faultline::test::TempScenario;
using nlohmann::json;

namespace {

// `cat` reads a pipe that `printf` fills: cat reads with read, never with recv.
const std::string kPipe = R"y(scenario: pipe-cat
timeout: 20s
channels: { p: { type: pipe } }
processes:
  rx: { run: [cat], stdin: { channel: p } }
  tx: { run: [printf, "hello\nworld\n"], stdout: { channel: p } }
)y";

json read_json(const fs::path& p) {
  std::ifstream in(p);
  return json::parse(in);
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("a fault that never fired fails the scenario and names the calls made instead",
          "[integration][verdict]") {
  NothingLeftBehind guard;
  TempScenario s(kPipe);
  CommandResult r;
  json sc = run_json(s, r, {"--fault", "rx/recv:short=1"});
  CHECK(r.exit_code == 1);
  CHECK(sc["passed"] == false);
  REQUIRE(sc["violations"].size() == 1);
  const std::string message = sc["violations"][0]["message"];
  CHECK(message.rfind("fault rx/recv:short=1 never fired: rx made no call of recv; calls made "
                      "by rx: read ×",
                      0) == 0);
  CHECK(sc["faults"][0]["missed"].get<std::string>().find("read ×") != std::string::npos);
}

TEST_CASE("a fault on the wrong fd class says where the calls went", "[integration][verdict]") {
  NothingLeftBehind guard;
  TempScenario s(kPipe);
  CommandResult r;
  json sc = run_json(s, r, {"--fault", "rx/read:short=1:fd=file"});
  CHECK(r.exit_code == 1);
  const std::string message = sc["violations"][0]["message"];
  CHECK(message.find("calls of read were made by rx, none on a file fd (") != std::string::npos);
  CHECK(message.find("on an ipc fd") != std::string::npos);
}

TEST_CASE("optional faults and faults: any may never fire", "[integration][verdict]") {
  NothingLeftBehind guard;
  {
    TempScenario s(kPipe);
    CommandResult r;
    json sc = run_json(s, r, {"--fault", "rx/recv:short=1:optional"});
    CHECK(r.exit_code == 0);
    CHECK(sc["faults"][0]["optional"] == true);
  }
  {
    TempScenario s(kPipe + "faults:\n  - { process: rx, call: recv, short: 1, optional: true }\n");
    CommandResult r;
    run_json(s, r);
    CHECK(r.exit_code == 0);
  }
  {
    TempScenario s(kPipe +
                   "faults:\n  - { process: rx, call: recv, short: 1 }\nexpect: { faults: any }\n");
    CommandResult r;
    run_json(s, r);
    CHECK(r.exit_code == 0);
  }
}

TEST_CASE("a --fault for a process no scenario has is wrong input", "[integration][verdict]") {
  NothingLeftBehind guard;
  TempScenario s(kPipe);
  CommandResult r = run_faultline({"run", s.path().string(), "--fault", "nosuch/read:short=7"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("no scenario has a process 'nosuch'") != std::string::npos);
  r = run_faultline({"run", s.path().string(), "--fault", "rxx/read:short=7"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("did you mean 'rx'?") != std::string::npos);
}

TEST_CASE("a --fault over a folder is wrong input only when no scenario has the process",
          "[integration][verdict]") {
  NothingLeftBehind guard;
  TempDir dir("flverdict");
  {
    std::ofstream(dir / "a.yaml") << kPipe;
    std::ofstream(dir / "b.yaml") << "scenario: other\nprocesses: { solo: { run: [true] } }\n";
  }
  CommandResult r = run_faultline(
      {"run", dir.path().string(), "--fault", "rx/read:short=1", "--json", dir / "r.json"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  json j = read_json(dir / "r.json");
  REQUIRE(j["scenarios"].size() == 2);
  CHECK(j["scenarios"][1]["notes"][0].get<std::string>().find("names process 'rx'") !=
        std::string::npos);
  fs::remove(dir / "a.yaml");
  r = run_faultline({"run", dir.path().string(), "--fault", "rx/read:short=1"});
  CHECK(r.exit_code == 2);
}

TEST_CASE("unresolvable substitutions are wrong input at check and at run",
          "[integration][verdict]") {
  NothingLeftBehind guard;
  ::unsetenv("FAULTLINE_VERDICT_UNSET");
  for (const std::string ref :
       {"${sock.pth}", "${skt.path}", "${env.FAULTLINE_VERDICT_UNSET}", "${server.path}"}) {
    TempScenario s(
        "scenario: subst\nchannels: { sock: { type: unix-stream } }\n"
        "processes:\n  server: { run: [echo, \"" +
        ref + "\"] }\n");
    INFO(ref);
    CommandResult check = run_faultline({"check", s.path().string()});
    CHECK(check.exit_code == 2);
    CommandResult run = run_faultline({"run", s.path().string()});
    CHECK(run.exit_code == 2);
  }
  TempScenario ok(
      "scenario: subst\nchannels: { sock: { type: unix-stream } }\n"
      "processes:\n  server: { run: [echo, \"${env.FAULTLINE_VERDICT_UNSET:-x}\"], "
      "expect: { stdout: { equals: \"x\\n\" } } }\n");
  CommandResult r = run_faultline({"run", ok.path().string()});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(run_faultline({"run", ok.path().string()}).err.find("sock.pth") == std::string::npos);
  CommandResult typo =
      run_faultline({"check", TempScenario("scenario: t\nchannels: { sock: { type: unix-stream } "
                                           "}\nprocesses:\n  a: { run: [echo, \"${sock.pth}\"] }\n")
                                  .path()
                                  .string()});
  CHECK(typo.err.find("did you mean 'path'?") != std::string::npos);
}

TEST_CASE("the headline of a pipeline names the faulted downstream, not the upstream's SIGPIPE",
          "[integration][verdict]") {
  NothingLeftBehind guard;
  // cat fails its first read; yes, writing on, then dies of SIGPIPE.
  TempScenario s(R"y(scenario: pipeline
timeout: 20s
channels: { p: { type: pipe } }
processes:
  upstream: { run: [yes], stdout: { channel: p } }
  downstream: { run: [cat], stdin: { channel: p } }
faults:
  - { process: downstream, call: read, error: EIO, nth: 1 }
)y");
  const fs::path out = s.dir() / "result.json";
  CommandResult r =
      run_faultline({"run", s.path().string(), "--json", out.string(), "--no-backtrace"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  json sc = read_json(out)["scenarios"][0];
  REQUIRE(sc["violations"].size() == 2);
  CHECK(sc["violations"][0]["process"] == "downstream");
  CHECK(sc["violations"][1]["message"] == "upstream: killed by SIGPIPE, expected exit 0");
  // The console headline and `report` say the same.
  CHECK(r.out.find("fault injected)  downstream: exited with status 1") != std::string::npos);
  CommandResult rep = run_faultline({"report", out.string()});
  CHECK(rep.out.find("FAIL        s.yaml  downstream: exited with status 1") != std::string::npos);
}

TEST_CASE("a scenario that cannot be provisioned is a setup outcome, never caught",
          "[integration][verdict][setup]") {
  NothingLeftBehind guard;
  const fs::path scenario = faultline::test::scenarios_dir() / "posix-mq" / "naive.yaml";
  TempDir dir("flsetup");
  const std::string json_out = dir / "r.json";
  // Room for less than one queue: mq_open fails with EMFILE before any program runs.
  CommandResult r = faultline::test::run_command({"prlimit", "--msgqueue=1000",
                                                  faultline::test::faultline_exe().string(), "run",
                                                  scenario.string(), "--json", json_out});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 3);
  CHECK(r.out.find("SETUP  posix-mq-relay-naive") != std::string::npos);
  CHECK(r.out.find("RLIMIT_MSGQUEUE (1000 bytes) exceeded") != std::string::npos);
  CHECK(r.out.find("prlimit --msgqueue") != std::string::npos);
  CHECK(r.out.find("0 passed, 0 failed, 1 could not be set up") != std::string::npos);
  json sc = read_json(json_out)["scenarios"][0];
  CHECK(sc["outcome"] == "setup");
  CHECK(sc["setup_limit"] == true);
  CommandResult rep = run_faultline({"report", json_out, "--expect-fail", "*naive.yaml"});
  INFO(rep.out);
  CHECK(rep.exit_code == 3);
  CHECK(rep.out.find("SETUP") != std::string::npos);
  CHECK(rep.out.find("0 caught") != std::string::npos);
}

// [alone] (tests/CMakeLists.txt): it fills the user's RLIMIT_MSGQUEUE, which counts the POSIX
// queues of every test beside it too (per user, whatever the namespace): theirs could not be
// made, and theirs would leave it less room than it counts on.
TEST_CASE("run -j 8 of eight POSIX-queue scenarios waits for room instead of failing",
          "[integration][verdict][setup][parallel][alone]") {
  NothingLeftBehind guard;
  // Each copy provisions two queues of 10 x 8 KiB; eight at once need about 1.3 MB, more than
  // the default RLIMIT_MSGQUEUE (819,200 bytes) of the user.
  std::string yaml = slurp(faultline::test::scenarios_dir() / "posix-mq" / "robust.yaml");
  const std::string programs = (faultline::test::scenarios_dir() / "programs").string() + "/";
  for (std::size_t at; (at = yaml.find("../programs/")) != std::string::npos;)
    yaml.replace(at, std::string("../programs/").size(), programs);
  TempDir dir("flmq8");
  std::vector<std::string> args{"run", "-j", "8", "--json", dir / "r.json", "--no-backtrace"};
  for (int i = 0; i < 8; ++i) {
    const std::string file = dir / ("copy" + std::to_string(i) + ".yaml");
    std::ofstream(file) << yaml;
    args.push_back(file);
  }
  CommandResult r = run_faultline(args);
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("8 passed, 0 failed") != std::string::npos);
  json j = read_json(dir / "r.json");
  REQUIRE(j["scenarios"].size() == 8);
  rlimit limit{};
  REQUIRE(::getrlimit(RLIMIT_MSGQUEUE, &limit) == 0);
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < 16 * 82000) {
    // The limit was met: some scenario waited for others, and says so.
    bool waited = false;
    for (const auto& sc : j["scenarios"])
      for (const auto& note : sc["notes"])
        waited = waited || note.get<std::string>().find("waited for them") != std::string::npos;
    CHECK(waited);
  }
}
