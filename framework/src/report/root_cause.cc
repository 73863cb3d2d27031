// Root-cause order of violations; see root_cause.h.
#include "report/root_cause.h"

#include <algorithm>
#include <csignal>
#include <limits>
#include <tuple>

namespace faultline {
namespace {

constexpr int kShellSigpipeStatus = 128 + SIGPIPE;

int cause_class(const Violation& v, const CauseContext& c) {
  if (v.kind == "interrupted" || v.kind == "setup") return 0;
  if (!v.process.empty() && c.faulted.count(v.process)) return 1;
  if (v.kind == "timeout" && std::any_of(c.hung.begin(), c.hung.end(), [&](const std::string& p) {
        return c.faulted.count(p) > 0;
      }))
    return 1;
  return 2;
}

}  // namespace

CauseContext cause_context(const ScenarioResult& result) {
  CauseContext c;
  for (const auto& e : result.events) c.faulted.insert(e.process);
  for (const auto& p : result.processes) {
    if (p.killed_at_timeout) c.hung.insert(p.name);
    if (p.term_signal == SIGPIPE || (p.exit_code && *p.exit_code == kShellSigpipeStatus))
      c.broken_pipe.insert(p.name);
  }
  return c;
}

CauseContext cause_context(const nlohmann::json& scenario) {
  CauseContext c;
  if (auto it = scenario.find("events"); it != scenario.end() && it->is_array())
    for (const auto& e : *it)
      if (e.contains("process") && e["process"].is_string())
        c.faulted.insert(e["process"].get<std::string>());
  if (auto it = scenario.find("processes"); it != scenario.end() && it->is_array()) {
    for (const auto& p : *it) {
      if (!p.contains("name") || !p["name"].is_string()) continue;
      const auto name = p["name"].get<std::string>();
      if (p.value("killed_at_timeout", false)) c.hung.insert(name);
      const bool sigpipe = p.contains("signal") && p["signal"] == "SIGPIPE";
      const bool status = p.contains("exit_code") && p["exit_code"] == kShellSigpipeStatus;
      if (sigpipe || status) c.broken_pipe.insert(name);
    }
  }
  return c;
}

void order_by_root_cause(std::vector<Violation>& violations, const CauseContext& context) {
  auto key = [&](const Violation& v) {
    const bool consequence = !v.process.empty() && context.broken_pipe.count(v.process) > 0;
    const double time = v.time_ms < 0 ? std::numeric_limits<double>::infinity() : v.time_ms;
    // What the run found once everything ended (leaks, faults that never fired) follows from
    // what happened during it, also in results written without times.
    const bool aftermath = v.kind == "leaks" || v.kind == "faults";
    return std::make_tuple(cause_class(v, context), aftermath, consequence, time);
  };
  std::stable_sort(violations.begin(), violations.end(),
                   [&](const Violation& a, const Violation& b) { return key(a) < key(b); });
}

}  // namespace faultline
