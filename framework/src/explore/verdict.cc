// classify(); see verdict.h. The scenario's expectations are the oracle: what broke, in
// whom, and whether the faulted process itself gave up and said why.
#include "explore/verdict.h"

#include <signal.h>

#include <algorithm>
#include <array>
#include <utility>

#include <fmt/format.h>

#include "faultline/fault_spec.h"

namespace faultline::explore {
namespace {

constexpr std::array<std::pair<Verdict, std::string_view>, 13> kNames{{
    {Verdict::crash, "crash"},
    {Verdict::hang, "hang"},
    {Verdict::silent_wrong_result, "silent wrong result"},
    {Verdict::leak, "leak"},
    {Verdict::propagated, "propagated"},
    {Verdict::not_absorbed, "not absorbed"},
    {Verdict::unexplained_failure, "unexplained failure"},
    {Verdict::clean_failure, "clean failure"},
    {Verdict::stranded, "stranded"},
    {Verdict::absorbed, "absorbed"},
    {Verdict::unreached, "unreached"},
    {Verdict::unrealistic, "unrealistic"},
    {Verdict::setup, "setup"},
}};

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

const ProcessResult* find_process(const ScenarioResult& r, const std::string& name) {
  for (const auto& p : r.processes)
    if (p.name == name) return &p;
  return nullptr;
}

// The canonical text the runner reports the point's fault under: `:optional` in explore's
// own runs, without it in the repro command.
std::string canonical(const Point& point, bool optional) {
  Diagnostics diags;
  auto spec = parse_fault_spec(point.spec + (optional ? ":optional" : ""), diags);
  return spec ? spec->to_string() : point.spec;
}

int injected_signal(const Point& point) {
  if (point.kind != "crash") return 0;
  Diagnostics diags;
  auto spec = parse_fault_spec(point.spec, diags);
  return spec ? spec->signal : 0;
}

// Who waited where at the timeout: the tasks first (the ones that could not finish), then
// the services (which wait by design).
const ProcessResult* hung_process(const ScenarioResult& r) {
  for (bool services : {false, true})
    for (const auto& p : r.processes)
      if (!p.at_timeout.empty() && p.service == services) return &p;
  return nullptr;
}

std::string hang_detail(const ScenarioResult& r) {
  std::string out;
  for (bool services : {false, true}) {
    for (const auto& p : r.processes) {
      if (p.at_timeout.empty() || p.service != services) continue;
      const ProcessSnapshot& s = p.at_timeout.front();
      std::string in = s.syscall.empty() ? s.state : s.syscall;
      if (!s.wchan.empty() && s.wchan != "0") in += fmt::format(" ({})", s.wchan);
      out += fmt::format("{}{} (pid {}) was blocked in {}", out.empty() ? "timed out; " : "; ",
                         p.name, s.pid, in);
    }
  }
  if (!out.empty()) return out;
  for (const auto& v : r.violations)
    if (v.kind == "timeout") return v.message;
  return "timed out";
}

// Blocked where no kernel tells a process that its peer is gone: a System V queue or
// semaphore (no owner), a futex in shared memory, a POSIX queue, a FIFO's open (it waits for
// the other end to be opened, by anyone). A pipe or socket would give EOF or EPIPE instead.
bool waits_without_notice(const ProcessSnapshot& s) {
  static const std::string_view kCalls[] = {
      "msgsnd", "msgrcv", "semop", "semtimedop", "futex", "mq_timedsend", "mq_timedreceive"};
  std::string_view call = std::string_view(s.syscall).substr(0, s.syscall.find('('));
  for (auto c : kCalls)
    if (call == c) return true;
  return s.wchan == "fifo_open";
}

// A hard fault ended the faulted process (it exited or was killed at the call) and every
// process still waiting waits where nothing can tell it so.
bool stranded_peers(const ScenarioResult& r, const std::string& faulted) {
  bool any = false;
  for (const auto& p : r.processes) {
    if (p.at_timeout.empty()) continue;
    if (p.name == faulted) return false;
    for (const auto& s : p.at_timeout) {
      if (!waits_without_notice(s)) return false;
      any = true;
    }
  }
  return any;
}

}  // namespace

std::string_view to_string(Verdict v) {
  for (const auto& [verdict, name] : kNames)
    if (verdict == v) return name;
  return "?";
}

std::optional<Verdict> verdict_from_string(std::string_view s) {
  for (const auto& [verdict, name] : kNames)
    if (name == s) return verdict;
  return std::nullopt;
}

bool is_bug(Verdict v) { return v < Verdict::clean_failure; }

Outcome classify(const Plan& plan, const Point& point, const ScenarioResult& result,
                 const ClassifyOptions& options) {
  Outcome out;
  out.duration_ms = std::chrono::duration<double, std::milli>(result.duration).count();
  const std::string& faulted = plan.sites.at(point.site).call.process;
  out.process = faulted;
  if (result.setup_failed() || result.interrupted_by != 0) {
    out.verdict = Verdict::setup;
    out.setup_limit = result.setup_limit;
    for (const auto& v : result.violations)
      if (v.kind == "setup" || v.kind == "interrupted") out.detail = v.message;
    return out;
  }
  const std::string mine = canonical(point, true), repro = canonical(point, false);
  const FaultResult* fault = nullptr;
  for (const auto& f : result.faults)
    if (f.spec == mine || f.spec == repro) fault = &f;
  if (!fault || fault->fired == 0) {
    out.verdict = Verdict::unreached;
    out.detail = fault && !fault->missed.empty() ? fault->missed : "the fault never fired";
    return out;
  }
  if (fault->unrealistic > 0) {
    out.verdict = Verdict::unrealistic;
    out.detail = "the kernel would not fail this way here: " + fault->unrealistic_why;
    return out;
  }

  const int injected = injected_signal(point);
  // The faulted process dying of the signal the point injected is the fault, not a finding.
  auto is_injected_death = [&](const Violation& v) {
    // A task reports it as `signal`, a service killed before the tasks ended as `service`.
    if (injected == 0 || v.process != faulted || (v.kind != "signal" && v.kind != "service"))
      return false;
    const ProcessResult* p = find_process(result, faulted);
    return p && p->term_signal == injected;
  };

  bool faulted_killed = false;
  for (const auto& v : result.violations) faulted_killed = faulted_killed || is_injected_death(v);

  // 1. A process killed by a signal nobody sent it. SIGPIPE is not one: it is how the kernel
  // ends a writer whose reader went away (EPIPE), the default a pipeline relies on.
  for (const auto& v : result.violations) {
    if (v.kind != "signal" || (faulted_killed && v.process == faulted)) continue;
    const ProcessResult* p = find_process(result, v.process);
    if (p && p->term_signal != 0 && p->term_signal != SIGPIPE && !p->stopped_by_runner &&
        !p->killed_at_timeout && !p->killed_after_grace) {
      out.verdict = Verdict::crash;
      out.process = v.process;
      out.detail = v.message;
      return out;
    }
  }
  // 2. Something waits forever.
  if (result.timed_out) {
    out.verdict = point.cls == FaultClass::hard && stranded_peers(result, faulted)
                      ? Verdict::stranded
                      : Verdict::hang;
    out.detail = hang_detail(result);
    if (const ProcessResult* p = hung_process(result)) out.process = p->name;
    return out;
  }
  // 3. An object left behind. Not by a process killed at the call: nothing cleans up after
  // SIGKILL, which is why the runner removes what a run leaves.
  const bool only_the_killed_leaked =
      faulted_killed && !result.leaks.empty() &&
      std::all_of(result.leaks.begin(), result.leaks.end(),
                  [&](const Leak& l) { return l.process == faulted; });
  for (const auto& v : result.violations) {
    if (v.kind != "leaks" || only_the_killed_leaked) continue;
    out.verdict = Verdict::leak;
    out.detail = v.message;
    if (!result.leaks.empty()) out.process = result.leaks.front().process;
    return out;
  }

  // Who failed how. Scenario faults that no longer fired are a consequence, not a verdict.
  std::vector<std::string> failed, wrong_output;
  std::string first_failed_message, first_wrong_message;
  for (const auto& v : result.violations) {
    if (v.kind == "faults" || (v.kind == "leaks" && only_the_killed_leaked)) continue;
    // What a process killed at the call did not do afterwards is the fault, not a verdict.
    if (faulted_killed && v.process == faulted) continue;
    if (v.kind == "stdout" || v.kind == "stderr" || v.kind == "peers") {
      if (!contains(wrong_output, v.process)) wrong_output.push_back(v.process);
      if (first_wrong_message.empty()) first_wrong_message = v.message;
    } else {
      if (!contains(failed, v.process)) failed.push_back(v.process);
      if (first_failed_message.empty()) first_failed_message = v.message;
    }
  }
  auto exited_silently_wrong = [&]() {
    for (const auto& p : wrong_output)
      if (!contains(failed, p)) return p;
    return std::string();
  };

  if (failed.empty() && wrong_output.empty()) {
    if (options.compare_baseline && options.baseline) {
      for (const auto& p : result.processes) {
        const ProcessResult* b = find_process(*options.baseline, p.name);
        if (!b) continue;
        if (b->exit_code != p.exit_code || b->term_signal != p.term_signal) {
          out.verdict = Verdict::silent_wrong_result;
          out.process = p.name;
          out.detail = fmt::format("{}: exit status {} differs from the baseline's {}", p.name,
                                   p.exit_code ? std::to_string(*p.exit_code) : "none",
                                   b->exit_code ? std::to_string(*b->exit_code) : "none");
          return out;
        }
        if (b->stdout_text != p.stdout_text) {
          out.verdict = Verdict::silent_wrong_result;
          out.process = p.name;
          out.detail = fmt::format("{}: standard output differs from the baseline's", p.name);
          return out;
        }
      }
    }
    out.verdict = faulted_killed ? Verdict::clean_failure : Verdict::absorbed;
    out.detail = faulted_killed ? fmt::format("{} died at the call; the others coped", faulted)
                                : "every expectation held";
    return out;
  }
  // 4. Everyone exited as expected, yet an output or a peer's data was wrong.
  if (failed.empty()) {
    out.verdict = Verdict::silent_wrong_result;
    out.process = wrong_output.front();
    out.detail = first_wrong_message;
    return out;
  }
  const bool faulted_failed = contains(failed, faulted) || contains(wrong_output, faulted);
  // A hard fault may end what the faulted process was doing for another one (a reset breaks
  // the connection for both ends; a server drops the connection a hard error hit): the
  // other process failing, and saying why, is what correct code does with it.
  auto failed_cleanly = [&](const std::string& name) {
    const ProcessResult* p = find_process(result, name);
    const ProcessResult* b = options.baseline ? find_process(*options.baseline, name) : nullptr;
    return p && p->term_signal == 0 && p->exit_code && *p->exit_code != 0 &&
           !p->stderr_text.empty() && (!b || b->stderr_text != p->stderr_text);
  };
  if (point.cls == FaultClass::hard && !faulted_failed && exited_silently_wrong().empty() &&
      std::all_of(failed.begin(), failed.end(), failed_cleanly)) {
    out.verdict = Verdict::clean_failure;
    out.process = failed.front();
    out.detail = first_failed_message + "; it said why on stderr";
    return out;
  }
  // 5. The faulted process carried on as if nothing happened; another one paid for it.
  if (!faulted_failed && !faulted_killed) {
    out.verdict = Verdict::propagated;
    out.process = failed.front();
    out.detail = first_failed_message;
    return out;
  }
  const std::string& who = contains(failed, faulted) ? faulted : failed.front();
  std::string message = first_failed_message;
  for (const auto& v : result.violations)
    if (v.process == who && v.kind != "faults") {
      message = v.message;
      break;
    }
  if (point.cls == FaultClass::transient) {
    out.verdict = Verdict::not_absorbed;
    out.process = who;
    out.detail = message;
    return out;
  }
  // 6. A hard fault: giving up is fine if it is clean.
  if (auto p = exited_silently_wrong(); !p.empty()) {
    out.verdict = Verdict::silent_wrong_result;
    out.process = p;
    out.detail = first_wrong_message;
    return out;
  }
  const ProcessResult* f = find_process(result, faulted);
  const ProcessResult* base = options.baseline ? find_process(*options.baseline, faulted) : nullptr;
  // The kernel says why for a process it ended with SIGPIPE (EPIPE on a write).
  bool said_why = faulted_killed || (f && f->term_signal == SIGPIPE) ||
                  (f && !f->stderr_text.empty() && (!base || base->stderr_text != f->stderr_text));
  out.process = faulted;
  if (said_why) {
    out.verdict = Verdict::clean_failure;
    out.detail = message;
  } else {
    out.verdict = Verdict::unexplained_failure;
    out.detail = message + "; it said nothing on stderr";
  }
  return out;
}

}  // namespace faultline::explore
