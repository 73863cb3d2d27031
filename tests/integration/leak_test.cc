// The leak check end to end: a process that leaves each kind of IPC object behind is caught,
// the object is removed, and nothing remains on the machine after the test.
#include <fmt/format.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "run_json.h"
#include "support.h"

namespace fs = std::filesystem;
using faultline::test::NothingLeftBehind;
using faultline::test::run_faultline;
using faultline::test::run_json;
using faultline::test::TempScenario;
using nlohmann::json;

namespace {

std::string leaker() { return (faultline::test::test_programs_dir() / "leaker").string(); }

struct Kind {
  const char* name;
  const char* object;  // how the report names it
};

std::string scenario(const char* kind, const std::string& where, bool tidy, const char* leaks) {
  return fmt::format(R"y(scenario: leak-{0}
timeout: 20s
processes:
  maker: {{ run: [{1}, {0}, "{2}"{3}] }}
expect: {{ leaks: {4} }}
)y",
                     kind, leaker(), where, tidy ? ", tidy" : "", leaks);
}

std::string where_for(const char* kind) {
  std::string k = kind;
  if (k == "posix-shm" || k == "posix-mq")
    return "/faultline-leak-test-" + std::to_string(::getpid());
  return "${run_dir}";
}

}  // namespace

TEST_CASE("a process that leaves an IPC object behind fails the scenario and the object is removed",
          "[integration][leaks]") {
  NothingLeftBehind guard;
  auto kind = GENERATE(values<Kind>({{"msgqueue", "System V message queue"},
                                     {"shm", "System V shared memory segment"},
                                     {"semaphore", "System V semaphore set"},
                                     {"fifo", "FIFO "},
                                     {"socket", "Unix socket file "},
                                     {"posix-shm", "POSIX shared memory /faultline-leak-test-"},
                                     {"posix-mq", "POSIX message queue /faultline-leak-test-"}}));
  CAPTURE(kind.name);
  TempScenario s(scenario(kind.name, where_for(kind.name), false, "none"));
  faultline::test::CommandResult r;
  json sc = run_json(s, r);
  CHECK(r.exit_code == 1);
  CHECK(sc["passed"] == false);
  REQUIRE(sc["leaks"].size() == 1);
  CHECK(sc["leaks"][0]["process"] == "maker");
  CHECK(sc["leaks"][0]["removed"] == true);
  CHECK(sc["leaks"][0]["object"].get<std::string>().rfind(kind.object, 0) == 0);
  REQUIRE(sc["violations"].size() == 1);
  CHECK(sc["violations"][0]["kind"] == "leaks");
  CHECK(r.out.find("maker left " + std::string(kind.object)) != std::string::npos);
}

TEST_CASE("a process that removes what it created passes the leak check", "[integration][leaks]") {
  NothingLeftBehind guard;
  auto kind = GENERATE(as<const char*>{}, "msgqueue", "shm", "semaphore", "fifo", "socket",
                       "posix-shm", "posix-mq");
  CAPTURE(kind);
  TempScenario s(scenario(kind, where_for(kind), true, "none"));
  faultline::test::CommandResult r;
  json sc = run_json(s, r);
  CHECK(r.exit_code == 0);
  CHECK(sc["leaks"].empty());
}

TEST_CASE("leaks: any reports a leak without failing, and still removes it",
          "[integration][leaks]") {
  NothingLeftBehind guard;
  TempScenario s(scenario("msgqueue", "${run_dir}", false, "any"));
  faultline::test::CommandResult r;
  json sc = run_json(s, r);
  CHECK(r.exit_code == 0);
  CHECK(sc["passed"] == true);
  REQUIRE(sc["leaks"].size() == 1);
  CHECK(sc["leaks"][0]["removed"] == true);
}
