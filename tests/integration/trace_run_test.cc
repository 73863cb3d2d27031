// End-to-end tests of `--trace FILE`: real scenarios (a showcase that fires hundreds of
// faults, one that hangs until its timeout) and `faultline exec`, each trace checked against
// the JSON result of the same run, and by tests/integration/check_trace.py (Python's own JSON
// parser and the Trace Event Format's required keys).
#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "support.h"

namespace fs = std::filesystem;
using faultline::test::CommandResult;
using faultline::test::NothingLeftBehind;
using faultline::test::PrivateTmpdir;
using faultline::test::TempDir;
using faultline::test::TempScenario;
using nlohmann::json;

namespace {

json read_json(const fs::path& file) {
  std::ifstream in(file);
  REQUIRE(in.good());
  return json::parse(in);
}

// Exact up to the last bits of the arithmetic: the trace's times are the result's, moved.
Approx same_time(double us) { return Approx(us).epsilon(0).margin(0.01); }

// Runs check_trace.py, the Python reading of the file.
void python_accepts(const fs::path& trace) {
  CommandResult r = faultline::test::run_command(
      {"python3", std::string(FAULTLINE_SOURCE_DIR) + "/tests/integration/check_trace.py",
       trace.string()});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
}

// Everything a trace must say about the results of its run (the `scenarios` of --json).
void check_trace(const json& trace, const json& scenarios) {
  REQUIRE(trace.at("displayTimeUnit") == "ms");
  const json& events = trace.at("traceEvents");
  REQUIRE(events.is_array());

  // Every event has the fields of its phase; per track, time never goes back as written.
  std::map<std::pair<int, int>, double> last_ts;
  for (const auto& e : events) {
    INFO(e.dump());
    for (const char* key : {"ph", "ts", "pid", "tid", "name"}) REQUIRE(e.contains(key));
    REQUIRE(e.at("ts").is_number());
    REQUIRE(e.at("pid").is_number_integer());
    REQUIRE(e.at("tid").is_number_integer());
    const std::string ph = e.at("ph");
    REQUIRE((ph == "M" || ph == "X" || ph == "i"));
    if (ph == "M") {
      REQUIRE(e.at("args").is_object());
      continue;
    }
    if (ph == "X") CHECK(e.at("dur").get<double>() >= 0);
    if (ph == "i") CHECK(e.at("s") == "t");
    const std::pair<int, int> track{e.at("pid").get<int>(), e.at("tid").get<int>()};
    const double ts = e.at("ts").get<double>();
    if (auto it = last_ts.find(track); it != last_ts.end()) CHECK(ts >= it->second);
    last_ts[track] = ts;
  }

  // Where each scenario lies: its wall-clock start after the run's first.
  double origin = 1e300;
  for (const auto& sc : scenarios)
    origin = std::min(origin, sc.at("started_unix_ms").get<double>());
  for (const auto& sc : scenarios) {
    const std::string name = sc.at("scenario");
    INFO("scenario " << name);
    const double offset_us = (sc.at("started_unix_ms").get<double>() - origin) * 1000;
    auto at = [&](double ms) { return offset_us + ms * 1000; };
    int pid = -1;
    std::map<std::string, int> tid_of;  // thread name -> tid, on that trace process
    for (const auto& e : events)
      if (e.at("ph") == "M" && e.at("name") == "process_name" && e.at("args").at("name") == name)
        pid = e.at("pid");
    REQUIRE(pid > 0);
    std::vector<json> mine;
    for (const auto& e : events) {
      if (e.at("pid") != pid) continue;
      if (e.at("ph") == "M" && e.at("name") == "thread_name")
        tid_of[e.at("args").at("name")] = e.at("tid");
      else if (e.at("ph") != "M")
        mine.push_back(e);
    }
    auto named = [&](const std::string& ph, const std::string& n) {
      std::vector<json> out;
      for (const auto& e : mine)
        if (e.at("ph") == ph && e.at("name") == n) out.push_back(e);
      return out;
    };
    auto whole = named("X", "scenario " + name);
    REQUIRE(whole.size() == 1);
    CHECK(whole[0].at("ts").get<double>() == same_time(at(0)));
    CHECK(whole[0].at("dur").get<double>() == same_time(sc.at("duration_ms").get<double>() * 1000));

    // Every process: a named track and, once started, a lifetime slice from start to end.
    std::map<std::string, int> track_of;  // scenario process name -> tid
    for (const auto& p : sc.at("processes")) {
      const std::string pname = p.at("name");
      INFO("process " << pname);
      const std::string thread =
          p.at("pid").get<int>() > 0
              ? pname + " (pid " + std::to_string(p.at("pid").get<int>()) + ")"
              : pname;
      REQUIRE(tid_of.count(thread) == 1);
      track_of[pname] = tid_of[thread];
      if (!p.at("started").get<bool>()) continue;
      auto life = named("X", pname);
      REQUIRE(life.size() == 1);
      CHECK(life[0].at("tid") == tid_of[thread]);
      CHECK(life[0].at("ts").get<double>() == same_time(at(p.at("start_ms").get<double>())));
      CHECK(life[0].at("ts").get<double>() + life[0].at("dur").get<double>() ==
            same_time(at(p.at("end_ms").get<double>())));
      if (p.at("ready_ms").is_number()) {
        bool ready = false;
        for (const auto& e : named("i", "ready"))
          ready =
              ready || (e.at("tid") == tid_of[thread] &&
                        e.at("ts").get<double>() == same_time(at(p.at("ready_ms").get<double>())));
        CHECK(ready);
      }
    }

    // Every channel's provisioning.
    for (const auto& c : sc.at("channels")) {
      auto slice = named("X", "provision " + c.at("name").get<std::string>() + " (" +
                                  c.at("type").get<std::string>() + ")");
      REQUIRE(slice.size() == 1);
      CHECK(slice[0].at("ts").get<double>() == same_time(at(c.at("start_ms").get<double>())));
    }

    // Every fault event of the result is exactly one instant: same seq, call, errno, time.
    std::map<std::uint64_t, std::vector<json>> instants;  // by seq
    for (const auto& e : mine)
      if (e.at("ph") == "i" && e.value("cat", "") == "fault")
        instants[e.at("args").at("seq").get<std::uint64_t>()].push_back(e);
    CHECK(instants.size() == sc.at("events").size());
    for (const auto& ev : sc.at("events")) {
      const auto seq = ev.at("seq").get<std::uint64_t>();
      INFO("event " << ev.dump());
      REQUIRE(instants[seq].size() == 1);
      const json& t = instants[seq][0];
      CHECK(t.at("args").at("call") == ev.at("call"));
      CHECK(t.at("args").at("errno") == ev.at("errno"));
      CHECK(t.at("args").at("fd") == ev.at("fd"));
      CHECK(t.at("args").at("channel") == ev.at("channel"));
      CHECK(t.at("args").at("site") == ev.at("caller"));
      CHECK(t.at("args").at("rule") == ev.at("fault"));
      CHECK(t.at("ts").get<double>() == same_time(at(ev.at("time_ms").get<double>())));
      // On the track of the scenario process it belongs to (its descendants' too).
      CHECK(t.at("tid") == track_of.at(ev.at("process").get<std::string>()));
      CHECK(t.at("args").at("pid") == ev.at("pid"));
    }

    // A snapshot at the timeout for every one the result holds, with what /proc said.
    for (const auto& p : sc.at("processes")) {
      for (const auto& s : p.value("at_timeout", json::array())) {
        bool found = false;
        for (const auto& e : mine)
          found = found ||
                  (e.at("ph") == "i" && e.value("cat", "") == "snapshot" &&
                   e.at("args").at("pid") == s.at("pid") &&
                   e.at("args").at("syscall") == s.at("syscall") &&
                   e.at("args").at("wchan") == s.at("wchan") &&
                   e.at("ts").get<double>() == same_time(at(sc.at("timeout_ms").get<double>())));
        CHECK(found);
      }
    }
    // Every violation is an instant.
    std::size_t violations = 0;
    for (const auto& e : mine) violations += e.value("cat", "") == "violation" ? 1 : 0;
    CHECK(violations == sc.at("violations").size());
  }
}

}  // namespace

TEST_CASE("run --trace -j 2 over a showcase and a folder with a hung scenario matches the result",
          "[integration][trace]") {
  PrivateTmpdir tmpdir;
  NothingLeftBehind guard;
  TempDir out("fltrace");
  TempScenario hung(R"y(scenario: hung-reader
timeout: 1s
channels: { p: { type: pipe } }
processes:
  writer: { run: [sleep, "1000"], stdout: { channel: p } }
  reader: { run: [cat], stdin: { channel: p } }
)y");
  const fs::path trace_file = out.path() / "trace.json";
  const fs::path json_file = out.path() / "result.json";
  CommandResult r = faultline::test::run_faultline(
      {"run", (faultline::test::scenarios_dir() / "pipe/robust.yaml").string(), hung.dir().string(),
       "-j", "2", "--no-backtrace", "--trace", trace_file.string(), "--json", json_file.string()});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);  // the hung one fails
  const json result = read_json(json_file);
  const json& scenarios = result.at("scenarios");
  REQUIRE(scenarios.size() == 2);
  const json& showcase = scenarios[0];
  const json& timed_out = scenarios[1];
  REQUIRE(showcase.at("scenario") == "pipe-reader-reassembles-short-reads");
  REQUIRE(showcase.at("events").size() > 100);  // it fires faults; every one is checked
  REQUIRE(timed_out.at("timed_out") == true);
  REQUIRE_FALSE(timed_out.at("processes")[1].at("at_timeout").empty());
  REQUIRE(timed_out.at("channels").size() == 1);

  const json trace = read_json(trace_file);
  check_trace(trace, scenarios);
  python_accepts(trace_file);

  // Run side by side by -j 2, they overlap on the timeline as they did.
  auto span = [&](const json& sc) {
    for (const auto& e : trace.at("traceEvents"))
      if (e.at("ph") == "X" && e.at("name") == "scenario " + sc.at("scenario").get<std::string>())
        return std::pair{e.at("ts").get<double>(),
                         e.at("ts").get<double>() + e.at("dur").get<double>()};
    FAIL("no slice for " << sc.at("scenario"));
    return std::pair{0.0, 0.0};
  };
  auto [a0, a1] = span(showcase);
  auto [b0, b1] = span(timed_out);
  CHECK(a0 < b1);
  CHECK(b0 < a1);
}

TEST_CASE("exec --trace shows the program's lifetime and the fault it was given",
          "[integration][trace][exec]") {
  PrivateTmpdir tmpdir;
  NothingLeftBehind guard;
  TempDir out("fltrace");
  const fs::path trace_file = out.path() / "trace.json";
  const fs::path json_file = out.path() / "result.json";
  CommandResult r = faultline::test::run_faultline(
      {"exec", "--fault", "read:error=EIO", "--trace", trace_file.string(), "--json",
       json_file.string(), "--", "sh", "-c", "seq 3 | cat"},
      {"LC_ALL=C"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);  // cat failed
  const json result = read_json(json_file);
  const json& scenarios = result.at("scenarios");
  REQUIRE(scenarios.size() == 1);
  const json& sh = scenarios[0].at("processes").at(0);
  REQUIRE(sh.at("start_ms").is_number());  // exec's result has the process's times too
  REQUIRE(sh.at("end_ms").is_number());
  REQUIRE(scenarios[0].at("events").size() == 1);
  CHECK(scenarios[0].at("events")[0].at("errno") == "EIO");

  const json trace = read_json(trace_file);
  check_trace(trace, scenarios);
  python_accepts(trace_file);
  bool exit_instant = false;
  for (const auto& e : trace.at("traceEvents"))
    exit_instant = exit_instant || (e.at("ph") == "i" && e.at("name") == "exit 1");
  CHECK(exit_instant);
}

TEST_CASE("explore --trace shows the baseline runs and a run of each finding's repro",
          "[integration][trace][explore]") {
  PrivateTmpdir tmpdir;
  NothingLeftBehind guard;
  TempDir out("fltrace");
  const fs::path trace_file = out.path() / "trace.json";
  const fs::path json_file = out.path() / "explore.json";
  CommandResult r = faultline::test::run_faultline(
      {"explore",
       (faultline::test::build_dir() / "tests/explore/scenarios/shmat_unchecked.yaml").string(),
       "--no-backtrace", "--trace", trace_file.string(), "--json", json_file.string()},
      {"FAULTLINE_TWIN=naive", "NO_COLOR=1"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);  // the unchecked shmat crashes
  const json result = read_json(json_file);
  const json& findings = result.at("scenarios").at(0).at("findings");
  REQUIRE_FALSE(findings.empty());
  python_accepts(trace_file);

  const json trace = read_json(trace_file);
  std::map<int, std::string> scenario_of;  // trace pid -> its name
  for (const auto& e : trace.at("traceEvents"))
    if (e.at("ph") == "M" && e.at("name") == "process_name")
      scenario_of[e.at("pid")] = e.at("args").at("name");
  std::vector<int> baselines, finding_runs;
  for (const auto& [pid, name] : scenario_of) {
    if (name.find(" baseline ") != std::string::npos) baselines.push_back(pid);
    if (name.find(" finding ") != std::string::npos) finding_runs.push_back(pid);
  }
  CHECK(baselines.size() == 2);  // explore's default --baseline-runs
  REQUIRE(finding_runs.size() == findings.size());
  for (std::size_t k = 0; k < findings.size(); ++k) {
    const int pid = finding_runs[k];
    const std::string& name = scenario_of[pid];
    INFO(name);
    // Named after its class and the fault of its repro; the fault fired, and the run failed.
    CHECK(name.find(findings[k].at("class").get<std::string>()) != std::string::npos);
    const std::string repro = findings[k].at("repro");
    const auto quote = repro.find('\'');
    REQUIRE(quote != std::string::npos);
    const std::string spec = repro.substr(quote + 1, repro.find('\'', quote + 1) - quote - 1);
    CHECK(name.find(spec) != std::string::npos);
    std::size_t faults = 0, violations = 0;
    for (const auto& e : trace.at("traceEvents")) {
      if (e.at("pid") != pid || e.at("ph") != "i") continue;
      faults += e.value("cat", "") == "fault" ? 1 : 0;
      violations += e.value("cat", "") == "violation" ? 1 : 0;
    }
    CHECK(faults >= 1);
    CHECK(violations >= 1);
  }
}
