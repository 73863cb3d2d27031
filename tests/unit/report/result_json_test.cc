// The JSON result read back (scenario_from_json, which `run -j` relies on) is the result
// that was written: every field survives the round trip.
#include <signal.h>

#include <catch2/catch.hpp>

#include "report/json.h"

namespace faultline {
namespace {

ScenarioResult every_field_set() {
  using std::chrono::milliseconds;
  ScenarioResult r;
  r.scenario = "all-fields";
  r.file = "scenarios/x/all.yaml";
  r.passed = false;
  r.seed = 1234567890123ull;
  r.duration = milliseconds(1500);
  r.timeout = milliseconds(3000);
  r.timed_out = true;
  r.interrupted_by = SIGINT;
  r.started_unix_ms = 1796572800123.456;
  using std::chrono::microseconds;
  r.timings = {microseconds(610),  microseconds(420), microseconds(1250), microseconds(3500),
               microseconds(9000), microseconds(20),  microseconds(330),  microseconds(870)};
  r.channels.push_back({"t", "unix-stream", 0.25, 0.75});
  r.channels.push_back({"q", "posix-mq", 0.75, 1.125});
  ProcessResult p;
  p.name = "server";
  p.pid = 4242;
  p.started = true;
  p.exit_code = 3;
  p.stopped_by_runner = true;
  p.killed_after_grace = true;
  p.killed_at_timeout = true;
  p.service = true;
  p.duration = milliseconds(1200);
  p.start_ms = 1.5;
  p.ready_ms = 2.25;
  p.end_ms = 1201.5;
  p.stdout_text = "out\n";
  p.stderr_text = "err \xc3\xa9\n";
  p.at_timeout.push_back({4243, "sleep", "S (sleeping)", "nanosleep(...)", "hrtimer", "#0 x"});
  p.peer_intact = false;
  p.peer_report = "10 sent, 9 received, 1 lost";
  p.blind_spots.push_back(
      {"not-attached", 4250, "pid 4250 (cat, uid 65534) could not attach: ...", true});
  p.blind_spots.push_back({"io_uring", 4242, "pid 4242 (uid 0) set up an io_uring", false});
  r.processes.push_back(p);
  ProcessResult q;
  q.name = "client";
  q.not_started_reason = "the scenario timed out first";
  q.term_signal = SIGKILL;
  r.processes.push_back(q);
  r.faults.push_back({"server/read:error=EIO:nth=2", 5, 1});
  FaultResult unreal;
  unreal.spec = "client/read:error=EINTR";
  unreal.hits = 4;
  unreal.fired = 2;
  unreal.refused = 3;
  unreal.refused_why = "record-whole";
  unreal.unrealistic = 2;
  unreal.unrealistic_why = "eintr-no-handler";
  r.faults.push_back(unreal);
  FaultResult optional_fault;
  optional_fault.spec = "client/recv:eof:optional";
  optional_fault.optional = true;
  optional_fault.missed = "client made no call of recv; calls made by client: read ×3";
  r.faults.push_back(optional_fault);
  FaultEvent e;
  e.time_ms = 12.5;
  e.pid = 4242;
  e.tid = 4244;
  e.process = "server";
  e.call = "read";
  e.rule = 0;
  e.error = "EIO";
  e.result = -1;
  e.bytes = 0;
  e.seq = 1;
  e.fd = 3;
  e.caller = 0x55e43e833d26;
  e.channel = "t";
  e.fault = "server/read:error=EIO:nth=2";
  e.unrealistic = "eintr-no-handler";
  r.events.push_back(e);
  FaultEvent quiet = e;
  quiet.error.clear();
  quiet.fd = -1;
  quiet.channel.clear();
  quiet.seq = 2;
  quiet.unrealistic.clear();
  r.events.push_back(quiet);
  r.events_lost = 7;
  r.violations.push_back({"timeout", "", "scenario timed out after 3s", 3000.5});
  r.violations.push_back({"leaks", "server", "server left a queue behind"});
  r.setup_limit = true;
  r.repetition = 3;
  r.repetitions = 20;
  r.notes.push_back("a note");
  r.leaks.push_back({"server", 4242, "msgget", "System V message queue id 5 (key 0x1234)", true});
  return r;
}

}  // namespace

TEST_CASE("A result read back from its JSON writes the same JSON again") {
  const nlohmann::json written = to_json(every_field_set());
  const ScenarioResult back = scenario_from_json(written);
  CHECK(to_json(back) == written);
  CHECK(back.interrupted_by == SIGINT);
  CHECK(back.processes.at(1).term_signal == SIGKILL);
  CHECK(back.events.at(0).caller == 0x55e43e833d26);
  // What the kernel would not have done survives the round trip.
  CHECK(back.faults.at(1).refused == 3);
  CHECK(back.faults.at(1).refused_why == "record-whole");
  CHECK(back.faults.at(1).unrealistic == 2);
  CHECK(back.faults.at(1).unrealistic_why == "eintr-no-handler");
  CHECK(back.events.at(0).unrealistic == "eintr-no-handler");
  CHECK(back.events.at(1).unrealistic.empty());
  REQUIRE(back.processes.at(0).blind_spots.size() == 2);
  CHECK(back.processes.at(0).blind_spots.at(0).escaped);
  CHECK(back.processes.at(0).blind_spots.at(0).pid == 4250);
  CHECK(back.processes.at(0).blind_spots.at(1).kind == "io_uring");
  CHECK(back.faults.at(2).optional);
  CHECK(back.faults.at(2).missed == "client made no call of recv; calls made by client: read ×3");
  CHECK(back.violations.at(0).time_ms == 3000.5);
  CHECK(back.violations.at(1).time_ms < 0);
  CHECK(back.setup_limit);
  CHECK(back.processes.at(0).start_ms == 1.5);
  CHECK(back.processes.at(0).ready_ms == 2.25);
  CHECK(back.processes.at(0).end_ms == 1201.5);
  CHECK_FALSE(back.processes.at(1).start_ms);  // never started
  CHECK(back.started_unix_ms == 1796572800123.456);
  REQUIRE(back.channels.size() == 2);
  CHECK(back.channels.at(0).name == "t");
  CHECK(back.channels.at(0).type == "unix-stream");
  CHECK(back.channels.at(0).start_ms == 0.25);
  CHECK(back.channels.at(1).end_ms == 1.125);
  CHECK(back.repetition == 3);
  CHECK(back.repetitions == 20);
  // `run -j` hands results over as this JSON: --timings needs every phase back.
  CHECK(written.at("timings_ms").at("readiness") == 3.5);
  CHECK(back.timings.provision == std::chrono::microseconds(610));
  CHECK(back.timings.control == std::chrono::microseconds(420));
  CHECK(back.timings.spawn == std::chrono::microseconds(1250));
  CHECK(back.timings.readiness == std::chrono::microseconds(3500));
  CHECK(back.timings.supervise == std::chrono::microseconds(9000));
  CHECK(back.timings.reap == std::chrono::microseconds(20));
  CHECK(back.timings.verdict == std::chrono::microseconds(330));
  CHECK(back.timings.cleanup == std::chrono::microseconds(870));
}

TEST_CASE("A JSON document of another shape is refused, not half read") {
  nlohmann::json j = to_json(every_field_set());
  j.erase("processes");
  CHECK_THROWS_AS(scenario_from_json(j), nlohmann::json::exception);
}

}  // namespace faultline
