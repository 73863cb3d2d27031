// JSON result; see json.h.
#include "report/json.h"

#include <fstream>
#include <stdexcept>

#include <fmt/format.h>

#include "faults/call_table.h"

namespace faultline {
namespace {

double ms(Duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

nlohmann::json snapshot_json(const ProcessSnapshot& s) {
  return {{"pid", s.pid},         {"command", s.command}, {"state", s.state},
          {"syscall", s.syscall}, {"wchan", s.wchan},     {"backtrace", s.backtrace}};
}

}  // namespace

nlohmann::json to_json(const ScenarioResult& r) {
  nlohmann::json j;
  j["scenario"] = r.scenario;
  j["file"] = r.file.string();
  j["passed"] = r.passed;
  j["seed"] = r.seed;
  j["duration_ms"] = ms(r.duration);
  // Zero: no timeout (`faultline exec` without --timeout).
  j["timeout_ms"] =
      r.timeout > Duration::zero() ? nlohmann::json(ms(r.timeout)) : nlohmann::json(nullptr);
  j["timed_out"] = r.timed_out;
  j["interrupted"] = r.interrupted_by != 0;
  auto& procs = j["processes"] = nlohmann::json::array();
  for (const auto& p : r.processes) {
    nlohmann::json pj = {{"name", p.name},
                         {"pid", p.pid},
                         {"started", p.started},
                         {"lifetime", p.service ? "service" : "task"},
                         {"exit_code", nullptr},
                         {"signal", nullptr},
                         {"duration_ms", ms(p.duration)},
                         {"stopped_by_runner", p.stopped_by_runner},
                         {"killed_at_timeout", p.killed_at_timeout},
                         {"stdout", p.stdout_text},
                         {"stderr", p.stderr_text}};
    if (p.exit_code) pj["exit_code"] = *p.exit_code;
    if (p.peer_intact) {
      pj["peer"] = {{"intact", *p.peer_intact}, {"report", p.peer_report}};
    }
    if (p.term_signal) pj["signal"] = signal_name(p.term_signal);
    if (!p.started) pj["not_started_reason"] = p.not_started_reason;
    if (!p.at_timeout.empty()) {
      auto& snaps = pj["at_timeout"] = nlohmann::json::array();
      for (const auto& s : p.at_timeout) snaps.push_back(snapshot_json(s));
    }
    procs.push_back(std::move(pj));
  }
  auto& faults = j["faults"] = nlohmann::json::array();
  for (const auto& f : r.faults)
    faults.push_back({{"spec", f.spec}, {"hits", f.hits}, {"fired", f.fired}});
  auto& events = j["events"] = nlohmann::json::array();
  for (const auto& e : r.events) {
    events.push_back(
        {{"seq", e.seq},
         {"time_ms", e.time_ms},
         {"pid", e.pid},
         {"tid", e.tid},
         {"process", e.process},
         {"call", e.call},
         {"rule", e.rule},
         {"fault", e.fault},
         {"result", e.result},
         {"errno", e.error.empty() ? nlohmann::json(nullptr) : nlohmann::json(e.error)},
         {"bytes", e.bytes},
         {"fd", e.fd < 0 ? nlohmann::json(nullptr) : nlohmann::json(e.fd)},
         {"channel", e.channel.empty() ? nlohmann::json(nullptr) : nlohmann::json(e.channel)},
         {"caller", fmt::format("{:#x}", e.caller)}});
  }
  j["events_lost"] = r.events_lost;
  auto& violations = j["violations"] = nlohmann::json::array();
  for (const auto& v : r.violations)
    violations.push_back({{"kind", v.kind}, {"process", v.process}, {"message", v.message}});
  j["notes"] = r.notes;
  auto& leaks = j["leaks"] = nlohmann::json::array();
  for (const auto& l : r.leaks)
    leaks.push_back({{"process", l.process},
                     {"pid", l.pid},
                     {"call", l.call},
                     {"object", l.object},
                     {"removed", l.removed}});
  return j;
}

nlohmann::json to_json(const std::vector<ScenarioResult>& results) {
  nlohmann::json j;
  std::size_t passed = 0;
  auto& list = j["scenarios"] = nlohmann::json::array();
  for (const auto& r : results) {
    passed += r.passed ? 1 : 0;
    list.push_back(to_json(r));
  }
  j["summary"] = {
      {"scenarios", results.size()}, {"passed", passed}, {"failed", results.size() - passed}};
  return j;
}

void write_json(const std::filesystem::path& file, const std::vector<ScenarioResult>& results) {
  std::ofstream out(file);
  out << to_json(results).dump(2) << '\n';
  out.close();
  if (!out) throw std::runtime_error("cannot write " + file.string());
}

}  // namespace faultline
