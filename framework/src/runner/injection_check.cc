// add_blind_spots() and check_injection(); see injection_check.h.
#include "runner/injection_check.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <set>
#include <utility>

#include <fmt/format.h>

#include "faultline_control.h"
#include "seccomp/backend.h"

namespace faultline {
namespace {

bool faults_apply_to(const std::vector<FaultSpec>& faults, const std::string& process) {
  return std::any_of(faults.begin(), faults.end(),
                     [&](const FaultSpec& f) { return f.process.empty() || f.process == process; });
}

// Why a program the runner started would never load the interposer.
std::string why_not_loaded(const std::filesystem::path& program) {
  struct stat st;
  if (!program.empty() && ::stat(program.c_str(), &st) == 0) {
    const bool setuid = (st.st_mode & S_ISUID) && st.st_uid != ::getuid();
    const bool setgid = (st.st_mode & S_ISGID) && (st.st_mode & S_IXGRP) && st.st_gid != ::getgid();
    if (setuid || setgid)
      return fmt::format(
          "{} is set-{}-ID, so the loader runs it in secure mode (AT_SECURE) and ignores "
          "LD_PRELOAD",
          program.string(), setuid ? "user" : "group");
  }
  return "the loader did not load it (its stderr may say why: an interposer it cannot read, a "
         "32-bit program)";
}

struct Spotted {
  std::string kind;
  std::string message;
  bool escaped;
};

Spotted from_fact(const ControlBlock::Fact& f, Backend backend) {
  const std::string who = fmt::format("pid {} (uid {})", f.pid, f.uid);
  switch (f.kind) {
    case FL_FACT_EXEC_NO_PRELOAD:
      return {"exec-without-preload",
              fmt::format("{} exec'd {} with LD_PRELOAD cleared of the interposer; it ran "
                          "without fault injection",
                          who, f.detail),
              true};
    case FL_FACT_EXEC_NO_CONTROL:
      return {"exec-without-control",
              fmt::format("{} exec'd {} without FAULTLINE_CONTROL in its environment; it ran "
                          "without fault injection",
                          who, f.detail),
              true};
    case FL_FACT_EXEC_SECURE:
      return {"setuid",
              fmt::format("{} exec'd {}, a set-user-ID, set-group-ID or file-capability program: "
                          "the loader ignores LD_PRELOAD there (AT_SECURE); it ran without "
                          "fault injection",
                          who, f.detail),
              true};
    case FL_FACT_EXEC_STATIC:
      if (backend == Backend::both)
        return {"static",
                fmt::format("{} exec'd {}, a statically linked program: the seccomp backend "
                            "injects there (error, delay and signal only)",
                            who, f.detail),
                false};
      return {"static",
              fmt::format("{} exec'd {}, a statically linked program: LD_PRELOAD cannot reach "
                          "it (give the process backend: both); it ran without fault injection",
                          who, f.detail),
              true};
    case FL_FACT_IO_URING:
      return {"io_uring",
              fmt::format("{} set up an io_uring ({}): what it submits through the ring "
                          "bypasses both backends and is never faulted",
                          who, f.detail),
              false};
    case FL_FACT_FOREIGN_ABI:
      return {"foreign-abi",
              fmt::format("{} made {}: the seccomp backend judges only the 64-bit system "
                          "calls; it ran without fault injection there",
                          who, f.detail),
              true};
    default:
      return {"", "", false};
  }
}

}  // namespace

void add_blind_spots(const InjectionInputs& in, const std::vector<ControlBlock::Fact>& facts,
                     std::uint64_t facts_lost, const std::vector<AttachFailure>& failures,
                     ScenarioResult& result) {
  auto index_of = [&](const std::string& name) -> int {
    for (std::size_t i = 0; i < result.processes.size() && i < in.scenario.processes.size(); ++i)
      if (result.processes[i].name == name) return static_cast<int>(i);
    return -1;
  };
  std::set<std::pair<std::string, pid_t>> seen;
  auto add = [&](int i, BlindSpot spot) {
    if (!seen.insert(
                 {spot.kind + "/" + result.processes[static_cast<std::size_t>(i)].name, spot.pid})
             .second)
      return;
    // Under backend: both the seccomp filter, inherited by every descendant, still injects
    // where the interposer is missing.
    if (spot.escaped && in.backends[static_cast<std::size_t>(i)] == Backend::both &&
        spot.kind != "static" && spot.kind != "foreign-abi") {
      spot.escaped = false;
      const std::string tail = "; it ran without fault injection";
      if (spot.message.size() >= tail.size() &&
          spot.message.compare(spot.message.size() - tail.size(), tail.size(), tail) == 0)
        spot.message.resize(spot.message.size() - tail.size());
      spot.message +=
          "; the seccomp backend (backend: both) injects there: error, delay and "
          "signal faults only";
    }
    result.processes[static_cast<std::size_t>(i)].blind_spots.push_back(std::move(spot));
  };

  for (const auto& f : failures) {
    const int i = index_of(f.process);
    const std::string message = describe(f) + "; it ran without fault injection";
    if (i < 0) {
      result.notes.push_back(fmt::format("a process of no scenario process: {}", message));
      result.violations.push_back({"uninjected", "", message});
      continue;
    }
    add(i, {"not-attached", f.pid, message, true});
  }

  std::set<pid_t> attached;
  for (const auto& f : facts) {
    if (f.kind == FL_FACT_ATTACHED) {
      attached.insert(f.pid);
      continue;
    }
    const int i = index_of(f.process);
    if (i < 0) continue;
    Spotted s = from_fact(f, in.backends[static_cast<std::size_t>(i)]);
    if (!s.kind.empty()) add(i, {s.kind, f.pid, s.message, s.escaped});
  }
  if (facts_lost > 0)
    result.notes.push_back(fmt::format(
        "{} facts about processes (execs without the interposer, io_uring) were not recorded "
        "(more than {}): the report may not name every process that ran without injection",
        facts_lost, FL_MAX_FACTS));

  for (std::size_t i = 0; i < result.processes.size() && i < in.scenario.processes.size(); ++i) {
    ProcessResult& p = result.processes[i];
    const Backend backend = in.backends[i];
    if (backend == Backend::seccomp) {
      if (faults_apply_to(in.faults, p.name)) {
        std::string site;
        for (const auto& f : in.faults)
          if ((f.process.empty() || f.process == p.name) && !f.site.empty())
            site = fmt::format("; site= never matches there (fault {})", f.to_string());
        add(static_cast<int>(i),
            {"seccomp", p.pid,
             "runs under the seccomp backend: only error, delay and signal faults apply to it; "
             "short, eof, corrupt, reset, drop and spurious cannot" +
                 site,
             false});
      }
      continue;
    }
    // Every process the runner started under the interposer records that it attached; one
    // that did not, and did not say why, was never loaded.
    if (!p.started || p.pid <= 0 || attached.count(p.pid) != 0) continue;
    if (backend == Backend::both && seccomp::is_static_program(in.programs[i])) continue;
    bool said = std::any_of(failures.begin(), failures.end(),
                            [&](const AttachFailure& f) { return f.pid == p.pid; });
    if (said) continue;
    add(static_cast<int>(i),
        {"not-loaded", p.pid,
         fmt::format("pid {}: the interposer was not loaded: {}; it ran without fault injection",
                     p.pid, why_not_loaded(in.programs[i])),
         true});
  }
}

std::vector<Violation> check_injection(const Scenario& scenario,
                                       const std::vector<FaultSpec>& faults,
                                       const ScenarioResult& result) {
  std::vector<Violation> out;
  for (std::size_t i = 0; i < result.processes.size() && i < scenario.processes.size(); ++i) {
    const ProcessResult& p = result.processes[i];
    if (!faults_apply_to(faults, p.name)) continue;
    for (const auto& spot : p.blind_spots) {
      if (!spot.escaped) continue;
      out.push_back(
          {"uninjected", p.name,
           fmt::format("{}: {} (its faults could not apply there)", p.name, spot.message)});
    }
  }
  return out;
}

}  // namespace faultline
