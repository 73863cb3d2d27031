// `faultline exec` summary; see exec_summary.h.
#include "report/exec_summary.h"

#include <fmt/format.h>

#include <cstdint>

#include "util/signal_names.h"
#include "report/console.h"
#include "report/event_line.h"

namespace faultline {
namespace {

// A fault that fires on every call could print thousands of lines; the JSON has them all.
constexpr std::size_t kEventLinesPerFault = 10;

std::string plural(std::uint64_t n, std::string_view word) {
  return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s");
}

void print_faults(std::ostream& out, const ScenarioResult& r) {
  std::uint64_t fired = 0, hits = 0, refused = 0;
  for (std::size_t i = 0; i < r.faults.size(); ++i) {
    const auto& f = r.faults[i];
    fired += f.fired;
    hits += f.hits;
    refused += f.refused;
    std::string why;
    if (f.fired == 0 && r.faults.size() > 1)
      why = f.hits == 0 ? "; no call matched it" : "; its trigger was not reached";
    // The reasons follow as notes.
    if (f.refused > 0) why += fmt::format("; refused on {}", plural(f.refused, "call"));
    if (f.unrealistic > 0) why += fmt::format("; {} unrealistic here", f.unrealistic);
    out << fmt::format("faultline: {} fired {} of {}{}\n", f.spec, f.fired, plural(f.hits, "call"),
                       why);
    if (f.fired == 0 && !f.missed.empty()) out << "faultline:   " << f.missed << '\n';
    std::size_t shown = 0, recorded = 0;
    for (const auto& e : r.events) {
      if (e.rule != static_cast<int>(i)) continue;
      ++recorded;
      if (shown < kEventLinesPerFault) {
        out << "faultline:   " << format_event(e) << '\n';
        ++shown;
      }
    }
    if (recorded > shown)
      out << fmt::format("faultline:   ... and {} more (--json FILE lists every event)\n",
                         recorded - shown);
  }
  if (r.faults.empty()) {
    out << "faultline: no --fault given: the program ran without injection\n";
  } else if (fired == 0 && hits == 0 && refused > 0) {
    out << fmt::format(
        "faultline: no fault fired: {} matched, but no kernel could do there what the fault "
        "asks (the note says why)\n",
        plural(refused, "call"));
  } else if (fired == 0 && hits == 0) {
    out << "faultline: no fault fired: 0 calls matched; check the call name, process and fd class\n"
        << "faultline:   hint: data calls (read, write, ...) match pipes, FIFOs, sockets and "
           "queues "
           "only unless the fault says fd=any; calls made inside libc (stdio) are not seen\n";
  } else if (fired == 0) {
    out << fmt::format(
        "faultline: no fault fired: {} matched, but no trigger was reached (nth, after, every, "
        "probability)\n",
        plural(hits, "call"));
  }
  if (r.events_lost)
    out << fmt::format("faultline: {} were not recorded (the event ring was full)\n",
                       plural(r.events_lost, "fault event"));
}

std::string describe_end(const ScenarioResult& r, const ProcessResult& p) {
  if (!p.started) return fmt::format("{} did not start: {}", p.name, p.not_started_reason);
  if (p.killed_at_timeout)
    return fmt::format("{} timed out after {} and was killed", p.name, format_duration(r.timeout));
  if (p.term_signal != 0) {
    std::string how = r.interrupted_by
                          ? fmt::format(" after faultline got {}", signal_name(r.interrupted_by))
                          : "";
    return fmt::format("{} was killed by {}{}", p.name, signal_name(p.term_signal), how);
  }
  if (p.exit_code) return fmt::format("{} exited with status {}", p.name, *p.exit_code);
  return fmt::format("{} did not finish", p.name);
}

}  // namespace

void print_exec_summary(std::ostream& out, const ScenarioResult& r, bool quiet) {
  if (!quiet) print_faults(out, r);
  if (r.timed_out) {
    out << fmt::format("faultline: timed out after {}; what was still running:\n",
                       format_duration(r.timeout));
    print_timeout_snapshots(out, r, "faultline:   ");
  }
  for (const auto& v : r.violations)
    if (v.kind == "setup" || v.kind == "uninjected") out << "faultline: " << v.message << '\n';
  print_blind_spots(out, r, "faultline: ");
  if (!quiet)
    for (const auto& n : r.notes) out << "faultline: note: " << n << '\n';
  for (const auto& p : r.processes)
    if (!quiet || !p.started || p.killed_at_timeout)
      out << "faultline: " << describe_end(r, p) << '\n';
}

}  // namespace faultline
