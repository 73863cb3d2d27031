// Expectation checks; see expectations.h.
#include "runner/expectations.h"

#include <fmt/format.h>

#include <algorithm>
#include <regex>

#include "util/signal_names.h"

namespace faultline {
namespace {

std::string describe_status(const ProcessResult& r) {
  if (r.term_signal != 0) return "killed by " + signal_name(r.term_signal);
  if (r.exit_code) return fmt::format("exited with status {}", *r.exit_code);
  return "did not finish";
}

std::string describe_exit(const ExitExpectation& e) {
  switch (e.kind) {
    case ExitExpectation::Kind::any:
      return "any exit";
    case ExitExpectation::Kind::nonzero:
      return "a non-zero exit status";
    case ExitExpectation::Kind::codes:
      if (e.codes.size() == 1) return fmt::format("exit {}", e.codes[0]);
      return fmt::format("exit {}", fmt::join(e.codes, " or "));
  }
  return "";
}

bool exit_matches(const ExitExpectation& e, int code) {
  switch (e.kind) {
    case ExitExpectation::Kind::any:
      return true;
    case ExitExpectation::Kind::nonzero:
      return code != 0;
    case ExitExpectation::Kind::codes:
      return std::find(e.codes.begin(), e.codes.end(), code) != e.codes.end();
  }
  return false;
}

std::string quote(const std::string& s) {
  std::string q = "\"";
  for (char c : s) {
    if (c == '\n')
      q += "\\n";
    else if (c == '"')
      q += "\\\"";
    else
      q += c;
  }
  return q + "\"";
}

void check_text(const std::string& process, const char* stream, const std::string& text,
                const std::vector<TextExpectation>& expects, std::vector<Violation>& out) {
  for (const auto& e : expects) {
    switch (e.op) {
      case TextExpectation::Op::contains:
        if (text.find(e.value) == std::string::npos)
          out.push_back(
              {stream, process,
               fmt::format("{}: {} does not contain {}", process, stream, quote(e.value))});
        break;
      case TextExpectation::Op::matches:
        if (!std::regex_search(text, std::regex(e.value, std::regex::ECMAScript)))
          out.push_back({stream, process,
                         fmt::format("{}: {} does not match /{}/", process, stream, e.value)});
        break;
      case TextExpectation::Op::equals:
        if (text != e.value)
          out.push_back(
              {stream, process,
               fmt::format("{}: {} is not equal to {}", process, stream, quote(e.value))});
        break;
    }
  }
}

}  // namespace

std::vector<Violation> check_process(const ProcessSpec& spec, const ProcessResult& r) {
  std::vector<Violation> out;
  const std::string& name = spec.name;
  if (!r.started) {
    out.push_back(
        {"not-started", name, fmt::format("{}: not started: {}", name, r.not_started_reason)});
    return out;
  }
  if (r.killed_at_timeout) return out;  // the timeout violation says it all

  const ProcessExpect& x = spec.expect;
  const bool service = spec.lifetime == Lifetime::service;
  if (x.signal) {
    if (r.term_signal != *x.signal)
      out.push_back(
          {"signal", name,
           fmt::format("{}: {}, expected {}", name, describe_status(r), signal_name(*x.signal))});
  } else if (x.exit) {
    // A service stopped by the runner that dies of its own stop signal ended as asked: `any`
    // accepts that as it accepts every exit status (a default service accepts it too).
    const bool stopped_as_asked =
        service && r.stopped_by_runner && r.term_signal != 0 && r.term_signal == spec.stop_signal;
    if (x.exit->kind == ExitExpectation::Kind::any && stopped_as_asked) {
      // ended as asked
    } else if (r.term_signal != 0 || !r.exit_code || !exit_matches(*x.exit, *r.exit_code)) {
      std::string status = describe_status(r);
      if (r.term_signal != 0 && r.stopped_by_runner && r.term_signal == spec.stop_signal)
        status += " (its stop signal)";
      out.push_back({r.term_signal != 0 ? "signal" : "exit", name,
                     fmt::format("{}: {}, expected {}", name, status, describe_exit(*x.exit))});
    }
  } else if (service) {
    // Default for a service: exit 0 at any time (a server that ends when its client says
    // goodbye is fine; whatever harm an early end does shows in its clients' verdicts), or die
    // of the stop signal the runner sent it. Whether the service or the last task ends first
    // is a race, so the verdict must not depend on it.
    // A program that catches its stop signal N and then exits 128+N (socat, a shell's trap,
    // the JVM) reports "ended by that signal" the way a shell would: as clean as dying of it.
    const bool exited_zero = r.term_signal == 0 && r.exit_code && *r.exit_code == 0;
    const bool exited_as_signalled =
        r.term_signal == 0 && r.exit_code && *r.exit_code == 128 + spec.stop_signal;
    const bool clean = exited_zero || r.term_signal == spec.stop_signal || exited_as_signalled;
    if (exited_zero) {
      // fine whenever it happened
    } else if (!r.stopped_by_runner) {
      out.push_back(
          {"service", name,
           fmt::format("{}: service {} before the tasks finished", name, describe_status(r))});
    } else if (!clean) {
      out.push_back(
          {r.term_signal ? "signal" : "exit", name,
           fmt::format("{}: {} when stopped, expected exit 0, {} or exit {}", name,
                       describe_status(r), signal_name(spec.stop_signal), 128 + spec.stop_signal)});
    }
  } else if (r.term_signal != 0 || !r.exit_code || *r.exit_code != 0) {
    out.push_back({r.term_signal != 0 ? "signal" : "exit", name,
                   fmt::format("{}: {}, expected exit 0", name, describe_status(r))});
  }
  if (r.killed_after_grace)
    out.push_back({"service", name,
                   fmt::format("{}: ignored {} and was killed after {}", name,
                               signal_name(spec.stop_signal), format_duration(spec.grace))});

  check_text(name, "stdout", r.stdout_text, x.stdout_text, out);
  check_text(name, "stderr", r.stderr_text, x.stderr_text, out);
  if (x.within && r.duration > *x.within)
    out.push_back(
        {"within", name,
         fmt::format(
             "{}: took {}, expected within {}", name,
             format_duration(std::chrono::duration_cast<std::chrono::milliseconds>(r.duration)),
             format_duration(*x.within))});
  return out;
}

std::vector<Violation> check_scenario(const Scenario& scenario, const ScenarioResult& r) {
  std::vector<Violation> out;
  if (r.interrupted_by != 0)
    out.push_back(
        {"interrupted", "", fmt::format("run interrupted by {}", signal_name(r.interrupted_by))});
  if (r.timed_out) {
    std::string live;
    for (const auto& p : r.processes) {
      if (!p.killed_at_timeout) continue;
      if (!live.empty()) live += ", ";
      live += p.name;
    }
    out.push_back({"timeout", "",
                   fmt::format("scenario timed out after {}{}", format_duration(scenario.timeout),
                               live.empty() ? "" : " (still running: " + live + ")")});
  }
  // A fault that never fired tested nothing: by default that fails the scenario, unless the
  // fault is optional or the scenario says `faults: any`. An interrupted run did not get the
  // chance to reach every fault.
  if (scenario.faults_expect == Scenario::FaultsExpect::fired && r.interrupted_by == 0) {
    for (const auto& f : r.faults) {
      if (f.fired > 0 || f.optional) continue;
      std::string why;
      if (f.hits > 0)
        why = fmt::format("{} matching calls, trigger not reached", f.hits);
      else if (!f.missed.empty())
        why = f.missed;
      else
        why = "no matching call was made";
      out.push_back({"faults", "", fmt::format("fault {} never fired: {}", f.spec, why)});
    }
  }
  if (scenario.peers_expect == Scenario::PeersExpect::intact) {
    for (std::size_t i = 0; i < r.processes.size() && i < scenario.processes.size(); ++i) {
      const ProcessResult& p = r.processes[i];
      if (!scenario.processes[i].peer || !p.started) continue;
      if (!p.peer_intact)
        out.push_back({"peers", p.name, fmt::format("{}: the peer printed no summary", p.name)});
      else if (!*p.peer_intact)
        out.push_back({"peers", p.name,
                       fmt::format("{}: peer exchange not intact: {}", p.name, p.peer_report)});
    }
  }
  if (scenario.leaks_expect == Scenario::LeaksExpect::none) {
    for (const auto& l : r.leaks)
      out.push_back(
          {"leaks", l.process,
           fmt::format("{} left {} behind (made by {}, pid {}){}", l.process, l.object, l.call,
                       l.pid, l.removed ? "; removed" : "; could not remove it")});
  }
  return out;
}

}  // namespace faultline
