// Console report; see console.h.
#include "report/console.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <sstream>
#include <utility>

#include "faults/call_table.h"
#include "report/event_line.h"

namespace faultline {
namespace {

constexpr int kOutputTailLines = 8;

std::string paint(const ConsoleStyle& s, const char* code, std::string_view text) {
  if (!s.color) return std::string(text);
  return fmt::format("\033[{}m{}\033[0m", code, text);
}

std::string seconds(Duration d) {
  return fmt::format("{:.2f}s", std::chrono::duration<double>(d).count());
}

std::vector<std::string> tail_lines(const std::string& text, int n) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  if (static_cast<int>(lines.size()) > n) lines.erase(lines.begin(), lines.end() - n);
  return lines;
}

// Under each fault, the events it injected (the first few: the JSON result has them all).
constexpr std::size_t kEventLinesPerFault = 5;

void print_faults(std::ostream& out, const ScenarioResult& r) {
  for (std::size_t i = 0; i < r.faults.size(); ++i) {
    const auto& f = r.faults[i];
    out << fmt::format("      fault {}: fired {} of {} matching calls{}{}\n", f.spec, f.fired,
                       f.hits, f.refused ? fmt::format(", refused on {}", f.refused) : "",
                       f.unrealistic ? fmt::format(", {} unrealistic here", f.unrealistic) : "");
    std::size_t recorded = 0;
    for (const auto& e : r.events) {
      if (e.rule != static_cast<int>(i)) continue;
      if (++recorded <= kEventLinesPerFault) out << "        " << format_event(e) << '\n';
    }
    if (recorded > kEventLinesPerFault)
      out << fmt::format("        ... and {} more (--json FILE lists every event)\n",
                         recorded - kEventLinesPerFault);
  }
}

}  // namespace

void print_timings(std::ostream& out, const ScenarioResult& r, std::string_view indent) {
  using Ms = std::chrono::duration<double, std::milli>;
  const RunTimings& t = r.timings;
  const std::pair<const char*, Duration> phases[] = {
      {"provision", t.provision}, {"control block", t.control}, {"spawn", t.spawn},
      {"readiness", t.readiness}, {"run", t.supervise},         {"reap", t.reap},
      {"verdict", t.verdict},     {"clean-up", t.cleanup}};
  std::string line;
  Duration sum{0};
  for (const auto& [name, d] : phases) {
    line += fmt::format("{}{} {:.2f}", line.empty() ? "" : ", ", name, Ms(d).count());
    sum += d;
  }
  out << fmt::format("{}timings (ms): {}; {:.2f} of the run's {:.2f}\n", indent, line,
                     Ms(sum).count(), Ms(r.duration).count());
}

void print_scenario(std::ostream& out, const ScenarioResult& r, const ConsoleStyle& style) {
  std::uint64_t fired = 0;
  for (const auto& f : r.faults) fired += f.fired;
  std::string tag = r.passed           ? paint(style, "32", "PASS")
                    : r.setup_failed() ? paint(style, "1;33", "SETUP")
                                       : paint(style, "1;31", "FAIL");
  std::string headline =
      r.passed || r.violations.empty() ? "" : "  " + r.violations.front().message;
  std::string repetition =
      r.repetitions ? fmt::format("run {}/{}, ", r.repetition, r.repetitions) : "";
  out << fmt::format("{}  {}  ({}{}, seed {}, {} fault{} injected){}\n", tag, r.scenario,
                     repetition, seconds(r.duration), r.seed, fired, fired == 1 ? "" : "s",
                     headline);
  // Shown on a pass too: "no bug found" must not hide "this was never tested".
  print_blind_spots(out, r, "      ");
  if ((style.timings || style.verbose) && !r.setup_failed()) print_timings(out, r, "      ");
  if (r.passed && !style.verbose) return;

  for (std::size_t i = r.passed ? 0 : 1; i < r.violations.size(); ++i)
    out << "      " << r.violations[i].message << '\n';
  if (!r.setup_failed()) print_faults(out, r);  // nothing ran: no fault could fire
  if (r.events_lost)
    out << fmt::format("      ({} fault events were not recorded: ring full)\n", r.events_lost);
  print_timeout_snapshots(out, r, "      ");
  if (!r.passed) {
    for (const auto& p : r.processes) {
      bool involved = false;
      for (const auto& v : r.violations) involved |= v.process == p.name || v.process.empty();
      if (!involved) continue;
      for (const auto& [name, text] :
           {std::pair{"stdout", &p.stdout_text}, {"stderr", &p.stderr_text}}) {
        auto lines = tail_lines(*text, kOutputTailLines);
        if (lines.empty()) continue;
        out << fmt::format("      {} {} (last lines):\n", p.name, name);
        for (const auto& line : lines) out << "        | " << line << '\n';
      }
    }
  }
  for (const auto& n : r.notes) out << "      note: " << n << '\n';
  if (!r.passed && !r.file.empty()) out << "      rerun: " << rerun_command(r) << '\n';
}

std::string rerun_command(const ScenarioResult& r) {
  std::string faults;
  for (const auto& f : r.command_faults) faults += fmt::format(" --fault '{}'", f);
  return fmt::format("faultline run {}{}{} --seed {}", r.file.string(),
                     r.without_faults ? " --without-faults" : "", faults, r.seed);
}

void print_blind_spots(std::ostream& out, const ScenarioResult& r, std::string_view prefix) {
  for (const auto& p : r.processes) {
    for (const auto& s : p.blind_spots) {
      // One that failed the run is among the violations already.
      const bool failed =
          std::any_of(r.violations.begin(), r.violations.end(), [&](const Violation& v) {
            return v.kind == "uninjected" && v.process == p.name &&
                   v.message.find(s.message) != std::string::npos;
          });
      if (!failed) out << fmt::format("{}not seen: {}: {}\n", prefix, p.name, s.message);
    }
  }
}

void print_timeout_snapshots(std::ostream& out, const ScenarioResult& r, std::string_view prefix) {
  for (const auto& p : r.processes) {
    for (const auto& s : p.at_timeout) {
      out << fmt::format("{}{} [pid {}, {}]: {}, in {}, wchan {}\n", prefix, p.name, s.pid,
                         s.command, s.state, s.syscall.empty() ? "?" : s.syscall,
                         s.wchan.empty() ? "-" : s.wchan);
      for (const auto& line : tail_lines(s.backtrace, 12))
        if (!line.empty()) out << prefix << "  " << line << '\n';
    }
  }
}

void print_summary(std::ostream& out, const std::vector<ScenarioResult>& results,
                   const ConsoleStyle& style) {
  std::size_t passed = 0, setup = 0;
  for (const auto& r : results) {
    passed += r.passed ? 1 : 0;
    setup += !r.passed && r.setup_failed() ? 1 : 0;
  }
  std::size_t failed = results.size() - passed - setup;
  std::string line = fmt::format("{} passed, {} failed", passed, failed);
  // Not a verdict on any program: told apart so that it is never read as one.
  if (setup) line += fmt::format(", {} could not be set up", setup);
  out << '\n' << (failed || setup ? paint(style, "1;31", line) : paint(style, "32", line)) << '\n';
}

}  // namespace faultline
