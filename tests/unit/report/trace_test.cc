// The timeline of `--trace FILE` (report/trace.h) built from results made here: the tracks,
// slices and instants Perfetto shows, where each lands in time.
#include "report/trace.h"

#include <signal.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace faultline {
namespace {

using std::chrono::milliseconds;

ScenarioResult timed_out_scenario() {
  ScenarioResult r;
  r.scenario = "pipeline";
  r.file = "scenarios/pipeline.yaml";
  r.seed = 7;
  r.started_unix_ms = 1796572800000.0;
  r.duration = milliseconds(1250);
  r.timeout = milliseconds(1000);
  r.timed_out = true;
  r.channels.push_back({"requests", "unix-stream", 0.5, 0.75});
  r.channels.push_back({"log", "pipe", 0.75, 0.875});
  ProcessResult server;
  server.name = "server";
  server.pid = 4242;
  server.started = true;
  server.service = true;
  server.start_ms = 1.0;
  server.ready_ms = 3.5;
  server.end_ms = 1010.25;
  server.killed_at_timeout = true;
  server.term_signal = SIGKILL;
  server.at_timeout.push_back(
      {4242, "server", "S (sleeping)", "read(3, 0x7ffd, 4096)", "pipe_read", "#0 read\n#1 main"});
  r.processes.push_back(server);
  ProcessResult client;
  client.name = "client";
  client.pid = 4243;
  client.started = true;
  client.start_ms = 4.0;
  client.end_ms = 20.5;
  client.exit_code = 1;
  r.processes.push_back(client);
  ProcessResult late;
  late.name = "late";
  late.not_started_reason = "the scenario timed out first";
  r.processes.push_back(late);
  r.faults.push_back({"client/write:error=EPIPE", 1, 1});
  r.faults.push_back({"server/read:short=1", 2, 1});
  FaultEvent epipe;
  epipe.time_ms = 12.5;
  epipe.pid = 4243;
  epipe.tid = 4243;
  epipe.process = "client";
  epipe.call = "write";
  epipe.rule = 0;
  epipe.error = "EPIPE";
  epipe.result = -1;
  epipe.seq = 2;
  epipe.fd = 5;
  epipe.caller = 0x55e43e833d26;
  epipe.channel = "requests";
  epipe.fault = "client/write:error=EPIPE";
  FaultEvent short_read;
  short_read.time_ms = 8.25;
  short_read.pid = 4242;
  short_read.tid = 4250;
  short_read.process = "server";
  short_read.call = "read";
  short_read.rule = 1;
  short_read.result = 1;
  short_read.bytes = 1;
  short_read.seq = 1;
  short_read.fd = 3;
  short_read.caller = 0x401a2f;
  short_read.channel = "requests";
  short_read.fault = "server/read:short=1";
  r.events = {epipe, short_read};  // out of time order: the trace sorts them
  r.violations.push_back({"timeout", "", "scenario timed out after 1s", 1000.0});
  r.violations.push_back({"exit", "client", "client: exited with status 1, expected 0", 20.5});
  r.violations.push_back({"leaks", "", "server left a queue behind", -1});
  return r;
}

ScenarioResult short_scenario(std::string name, double started_unix_ms) {
  ScenarioResult r;
  r.scenario = std::move(name);
  r.file = "scenarios/" + r.scenario + ".yaml";
  r.passed = true;
  r.started_unix_ms = started_unix_ms;
  r.duration = milliseconds(100);
  r.timeout = milliseconds(5000);
  ProcessResult p;
  p.name = "only";
  p.pid = 5000;
  p.started = true;
  p.start_ms = 2.0;
  p.end_ms = 52.0;
  p.exit_code = 0;
  r.processes.push_back(p);
  return r;
}

const nlohmann::json& events_of(const nlohmann::json& trace) { return trace.at("traceEvents"); }

// The events of phase `ph` named `name` on trace process `pid`.
std::vector<nlohmann::json> find(const nlohmann::json& trace, int pid, const std::string& ph,
                                 const std::string& name) {
  std::vector<nlohmann::json> out;
  for (const auto& e : events_of(trace))
    if (e.at("pid") == pid && e.at("ph") == ph && e.at("name") == name) out.push_back(e);
  return out;
}

// The tid of the track named `thread` on trace process `pid`; -1 when there is none.
int track(const nlohmann::json& trace, int pid, const std::string& thread) {
  for (const auto& e : find(trace, pid, "M", "thread_name"))
    if (e.at("args").at("name") == thread) return e.at("tid").get<int>();
  return -1;
}

}  // namespace

TEST_CASE("A trace is in the JSON Object Format, every event with the fields of its phase") {
  const nlohmann::json trace =
      to_trace({timed_out_scenario(), short_scenario("b", 1796572800050.0)});
  CHECK(trace.at("displayTimeUnit") == "ms");
  REQUIRE(events_of(trace).is_array());
  REQUIRE(events_of(trace).size() > 20);
  bool metadata_over = false;
  double last_ts = 0;
  for (const auto& e : events_of(trace)) {
    INFO(e.dump());
    for (const char* key : {"ph", "ts", "pid", "tid", "name"}) CHECK(e.contains(key));
    CHECK(e.at("ts").is_number());
    const std::string ph = e.at("ph");
    CHECK((ph == "M" || ph == "X" || ph == "i"));
    if (ph == "X") CHECK(e.at("dur").get<double>() >= 0);
    if (ph == "i") CHECK(e.at("s") == "t");
    // Metadata first, then everything else in time order.
    if (ph == "M") {
      CHECK_FALSE(metadata_over);
    } else {
      metadata_over = true;
      CHECK(e.at("ts").get<double>() >= last_ts);
      last_ts = e.at("ts").get<double>();
    }
  }
}

TEST_CASE("A trace names a process per scenario and a track per scenario process") {
  const nlohmann::json trace =
      to_trace({timed_out_scenario(), short_scenario("b", 1796572800050.0)});
  REQUIRE(find(trace, 1, "M", "process_name").size() == 1);
  CHECK(find(trace, 1, "M", "process_name")[0].at("args").at("name") == "pipeline");
  CHECK(find(trace, 2, "M", "process_name")[0].at("args").at("name") == "b");
  const int server = track(trace, 1, "server (pid 4242)");
  const int client = track(trace, 1, "client (pid 4243)");
  const int late = track(trace, 1, "late");
  const int runner = track(trace, 1, "runner");
  const int other = track(trace, 2, "only (pid 5000)");
  CHECK(server > 0);
  CHECK(client > 0);
  CHECK(late > 0);
  CHECK(runner > 0);
  CHECK(other > 0);
  // Unique over the trace, and no track reads as a trace process's main thread.
  std::vector<int> tids{server, client, late, runner, other, track(trace, 2, "runner")};
  std::sort(tids.begin(), tids.end());
  CHECK(std::adjacent_find(tids.begin(), tids.end()) == tids.end());
  CHECK(tids.front() > 2);
}

TEST_CASE("A process's lifetime is a slice from its start to its end, with ready and its end") {
  const nlohmann::json trace = to_trace({timed_out_scenario()});
  const int server = track(trace, 1, "server (pid 4242)");
  auto life = find(trace, 1, "X", "server");
  REQUIRE(life.size() == 1);
  CHECK(life[0].at("tid") == server);
  CHECK(life[0].at("ts").get<double>() == Approx(1000.0));
  CHECK(life[0].at("dur").get<double>() == Approx((1010.25 - 1.0) * 1000));
  auto ready = find(trace, 1, "i", "ready");
  REQUIRE(ready.size() == 1);
  CHECK(ready[0].at("tid") == server);
  CHECK(ready[0].at("ts").get<double>() == Approx(3500.0));
  auto killed = find(trace, 1, "i", "killed at timeout");
  REQUIRE(killed.size() == 1);
  CHECK(killed[0].at("ts").get<double>() == Approx(1010250.0));
  CHECK(killed[0].at("args").at("signal") == "SIGKILL");
  auto exited = find(trace, 1, "i", "exit 1");
  REQUIRE(exited.size() == 1);
  CHECK(exited[0].at("args").at("exit_code") == 1);
  auto not_started = find(trace, 1, "i", "not started");
  REQUIRE(not_started.size() == 1);
  CHECK(not_started[0].at("tid") == track(trace, 1, "late"));
  CHECK(not_started[0].at("args").at("reason") == "the scenario timed out first");
  CHECK(find(trace, 1, "X", "late").empty());
}

TEST_CASE("Every injected fault is an instant on its process's track with what it did") {
  const nlohmann::json trace = to_trace({timed_out_scenario()});
  auto epipe = find(trace, 1, "i", "write EPIPE");
  REQUIRE(epipe.size() == 1);
  CHECK(epipe[0].at("tid") == track(trace, 1, "client (pid 4243)"));
  CHECK(epipe[0].at("cat") == "fault");
  CHECK(epipe[0].at("ts").get<double>() == Approx(12500.0));
  const auto& a = epipe[0].at("args");
  CHECK(a.at("seq") == 2);
  CHECK(a.at("call") == "write");
  CHECK(a.at("errno") == "EPIPE");
  CHECK(a.at("kind") == "error");
  CHECK(a.at("result") == -1);
  CHECK(a.at("fd") == 5);
  CHECK(a.at("channel") == "requests");
  CHECK(a.at("site") == "0x55e43e833d26");
  CHECK(a.at("rule") == "client/write:error=EPIPE");
  auto short_read = find(trace, 1, "i", "read short");
  REQUIRE(short_read.size() == 1);
  CHECK(short_read[0].at("tid") == track(trace, 1, "server (pid 4242)"));
  CHECK(short_read[0].at("args").at("errno").is_null());
  CHECK(short_read[0].at("args").at("kind") == "short");
  CHECK(short_read[0].at("args").at("tid") == 4250);
  CHECK(short_read[0].at("args").at("bytes") == 1);
}

TEST_CASE("A trace shows channel provisioning, the timeout, its snapshots and the violations") {
  const nlohmann::json trace = to_trace({timed_out_scenario()});
  const int runner = track(trace, 1, "runner");
  auto requests = find(trace, 1, "X", "provision requests (unix-stream)");
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].at("tid") == runner);
  CHECK(requests[0].at("ts").get<double>() == Approx(500.0));
  CHECK(requests[0].at("dur").get<double>() == Approx(250.0));
  CHECK(find(trace, 1, "X", "provision log (pipe)").size() == 1);
  auto whole = find(trace, 1, "X", "scenario pipeline");
  REQUIRE(whole.size() == 1);
  CHECK(whole[0].at("dur").get<double>() == Approx(1250000.0));
  auto timeout = find(trace, 1, "i", "timeout");
  REQUIRE(timeout.size() == 1);
  CHECK(timeout[0].at("ts").get<double>() == Approx(1000000.0));
  auto snapshot = find(trace, 1, "i", "at timeout: read(3, 0x7ffd, 4096)");
  REQUIRE(snapshot.size() == 1);
  CHECK(snapshot[0].at("tid") == track(trace, 1, "server (pid 4242)"));
  CHECK(snapshot[0].at("ts").get<double>() == Approx(1000000.0));
  CHECK(snapshot[0].at("args").at("wchan") == "pipe_read");
  CHECK(snapshot[0].at("args").at("state") == "S (sleeping)");
  CHECK(snapshot[0].at("args").at("backtrace") == "#0 read\n#1 main");
  auto exit_violation = find(trace, 1, "i", "violation: exit");
  REQUIRE(exit_violation.size() == 1);
  CHECK(exit_violation[0].at("tid") == track(trace, 1, "client (pid 4243)"));
  CHECK(exit_violation[0].at("ts").get<double>() == Approx(20500.0));
  // One without a time: at the end of the run.
  auto leaks = find(trace, 1, "i", "violation: leaks");
  REQUIRE(leaks.size() == 1);
  CHECK(leaks[0].at("tid") == runner);
  CHECK(leaks[0].at("ts").get<double>() == Approx(1250000.0));
}

TEST_CASE("Scenarios that ran at once overlap in the trace by their real start") {
  const nlohmann::json trace =
      to_trace({short_scenario("a", 1796572800000.0), short_scenario("b", 1796572800040.0),
                short_scenario("c", 1796572800010.5)});
  auto start = [&](int pid) { return find(trace, pid, "X", "only").at(0).at("ts").get<double>(); };
  CHECK(start(1) == Approx(2000.0));
  CHECK(start(2) == Approx(42000.0));
  CHECK(start(3) == Approx(12500.0));
}

TEST_CASE("Scenarios whose start is not known follow one another in the trace") {
  const nlohmann::json trace = to_trace({short_scenario("a", 0), short_scenario("b", 0)});
  CHECK(find(trace, 1, "X", "scenario a").at(0).at("ts").get<double>() == Approx(0.0));
  CHECK(find(trace, 2, "X", "scenario b").at(0).at("ts").get<double>() == Approx(100000.0));
}

}  // namespace faultline
