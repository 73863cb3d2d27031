// explore's console report and JUnit XML; see report.h.
#include "explore/report.h"

#include <fstream>
#include <map>
#include <stdexcept>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace faultline::explore {
namespace {

std::string paint(const ReportStyle& s, std::string_view code, std::string_view text) {
  if (!s.color) return std::string(text);
  return fmt::format("\033[{}m{}\033[0m", code, text);
}

std::string plural(std::size_t n, std::string_view word) {
  return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s");
}

// Valid XML text whatever the programs printed (the run report's JUnit does the same).
std::string xml_escape(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        if (c < 0x20 && c != '\n' && c != '\t')
          out += "\xEF\xBF\xBD";  // U+FFFD
        else if (c >= 0x80)
          out += "\xEF\xBF\xBD";  // keep the file ASCII: no broken UTF-8
        else
          out += static_cast<char>(c);
    }
  }
  return out;
}

// TAP: a description on one line with `#` escaped; a YAML double-quoted scalar (JSON
// string syntax), ASCII only. The run report's TAP (report/tap.cc) writes the same.
std::string tap_description(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\n' || c == '\r') {
      out += ' ';
    } else {
      if (c == '#' || c == '\\') out += '\\';
      out += c;
    }
  }
  return out;
}

std::string tap_yaml_string(std::string_view text) {
  return nlohmann::json(std::string(text))
      .dump(-1, ' ', /*ensure_ascii=*/true, nlohmann::json::error_handler_t::replace);
}

}  // namespace

void print_baseline_failure(std::ostream& out, const ScenarioResult& failed, unsigned run,
                            unsigned runs) {
  std::string why =
      failed.violations.empty() ? "it did not pass" : failed.violations.front().message;
  out << fmt::format(
      "explore {}: the baseline (the scenario without added faults) failed in run {} of {}: "
      "{}\n  explore needs a scenario that passes as it is; `faultline run {}` shows why\n",
      failed.scenario, run, runs, why, failed.file.string());
}

void print_exploration(std::ostream& out, const Exploration& e, const ReportStyle& style) {
  const Plan& p = e.plan;
  std::size_t unstable = 0;
  for (const auto& s : p.sites) unstable += s.unstable ? 1 : 0;
  out << paint(style, "1", fmt::format("explore {}", p.scenario)) << "  " << p.file.string()
      << '\n';
  out << fmt::format("  baseline  {} passed; {}{}; {}; seed {}\n", plural(p.baseline_runs, "run"),
                     plural(p.sites.size(), "call site"),
                     unstable ? fmt::format(" ({} unstable)", unstable) : "",
                     plural(p.points.size(), "fault point"), p.seed);
  if (e.shard.total > 1)
    out << fmt::format("  shard     {}/{} (points by a stable hash of their identity)\n",
                       e.shard.index + 1, e.shard.total);
  std::map<Verdict, std::size_t> counts;
  for (const auto& r : e.results)
    if (r.outcome) ++counts[r.outcome->verdict];
  std::string by;
  for (const auto& [v, n] : counts)
    by += fmt::format("{}{} {}", by.empty() ? "" : ", ", n, to_string(v));
  const double secs = e.duration_ms / 1000.0;
  out << fmt::format("  ran       {} in {:.1f} s ({:.1f} runs/s, -j{}){}{}\n",
                     plural(e.points_run(), "point"), secs,
                     secs > 0 ? static_cast<double>(e.runs) / secs : 0.0, style.jobs,
                     by.empty() ? "" : ": ", by);
  if (style.verbose) {
    for (std::size_t i = 0; i < p.points.size(); ++i) {
      const auto& r = e.results[i];
      if (!r.outcome) continue;
      out << fmt::format("    {:<20} {}  {}\n", to_string(r.outcome->verdict), p.points[i].spec,
                         r.outcome->detail);
    }
  }
  if (e.findings.empty()) {
    out << "  " << paint(style, "32", "no finding")
        << ": every fault point was absorbed or failed cleanly\n";
  } else {
    out << "  " << paint(style, "1;31", fmt::format("{}", plural(e.findings.size(), "finding")))
        << ", most severe first:\n";
    std::size_t n = 0;
    for (const auto& f : e.findings) {
      const Point& first = p.points[f.points.front()];
      const Site& site = p.sites[f.site];
      out << fmt::format("  {}. {} at {}{}\n", ++n, paint(style, "1;31", to_string(f.verdict)),
                         site.where(), site.unstable ? " (unstable site)" : "");
      out << fmt::format("     {}\n", f.detail);
      std::string faults;
      std::size_t shown = 0;
      for (auto i : f.points) {
        if (++shown > 6) break;
        const Point& pt = p.points[i];
        faults += fmt::format("{}{} nth={}", faults.empty() ? "" : ", ", pt.action, pt.nth);
      }
      if (f.points.size() > 6) faults += fmt::format(", and {} more", f.points.size() - 6);
      out << fmt::format("     revealed by {}: {}\n", plural(f.points.size(), "fault"), faults);
      out << fmt::format("     repro: {}\n", repro_command(p, first));
      if (f.flaky)
        out << fmt::format("     flaky: run again from the repro it gave {}\n",
                           to_string(*f.rerun));
    }
  }
  for (const auto& note : p.notes) out << "  note: " << note << '\n';
  for (const auto& note : e.notes) out << "  note: " << note << '\n';
  if (e.interrupted_by) out << "  interrupted: what finished is reported\n";
}

void print_explore_summary(std::ostream& out, const std::vector<Exploration>& all,
                           const ReportStyle& style) {
  std::size_t points = 0, findings = 0;
  for (const auto& e : all) {
    points += e.points_run();
    findings += e.findings.size();
  }
  std::string line = fmt::format("{} explored, {} run, {}", plural(all.size(), "scenario"),
                                 plural(points, "fault point"), plural(findings, "finding"));
  out << (findings ? paint(style, "1;31", line) : paint(style, "32", line)) << '\n';
}

std::string to_junit(const std::vector<Exploration>& all) {
  std::size_t tests = 0, failures = 0;
  std::string cases;
  for (const auto& e : all) {
    const Plan& p = e.plan;
    std::string classname = xml_escape("explore." + p.scenario);
    if (e.findings.empty()) {
      ++tests;
      cases += fmt::format(
          "  <testcase classname=\"{}\" name=\"{}\" time=\"{:.3f}\">\n"
          "    <system-out>{}</system-out>\n  </testcase>\n",
          classname, xml_escape(fmt::format("{} fault points, no finding", e.points_run())),
          e.duration_ms / 1000.0,
          xml_escape(fmt::format("{} fault points run, every one absorbed or failed cleanly",
                                 e.points_run())));
      continue;
    }
    for (const auto& f : e.findings) {
      ++tests;
      ++failures;
      const Point& first = p.points[f.points.front()];
      std::string name = fmt::format("{} at {}", to_string(f.verdict), p.sites[f.site].where());
      std::string text = fmt::format("{}\nrevealed by {} fault(s), first {}\nrepro: {}\n", f.detail,
                                     f.points.size(), first.spec, repro_command(p, first));
      cases += fmt::format(
          "  <testcase classname=\"{}\" name=\"{}\" time=\"{:.3f}\">\n"
          "    <failure message=\"{}\" type=\"{}\">{}</failure>\n  </testcase>\n",
          classname, xml_escape(name),
          e.results[f.points.front()].outcome
              ? e.results[f.points.front()].outcome->duration_ms / 1000.0
              : 0.0,
          xml_escape(f.detail), xml_escape(std::string(to_string(f.verdict))), xml_escape(text));
    }
  }
  return fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<testsuites name=\"faultline explore\" tests=\"{}\" failures=\"{}\">\n"
      "<testsuite name=\"faultline explore\" tests=\"{}\" failures=\"{}\">\n{}</testsuite>\n"
      "</testsuites>\n",
      tests, failures, tests, failures, cases);
}

void write_junit_file(const std::filesystem::path& file, const std::vector<Exploration>& all) {
  std::ofstream out(file);
  out << to_junit(all);
  out.close();
  if (!out) throw std::runtime_error("cannot write " + file.string());
}

}  // namespace faultline::explore

namespace faultline::explore {

std::string to_tap(const std::vector<Exploration>& all) {
  std::size_t n = 0;
  std::string points;
  for (const auto& e : all) {
    const Plan& p = e.plan;
    if (e.findings.empty()) {
      points += fmt::format("ok {} - {}: {}, no finding\n", ++n, tap_description(p.scenario),
                            plural(e.points_run(), "fault point"));
      continue;
    }
    for (const auto& f : e.findings) {
      const Point& first = p.points[f.points.front()];
      const Site& site = p.sites[f.site];
      points += fmt::format("not ok {} - {}: {} at {}\n", ++n, tap_description(p.scenario),
                            to_string(f.verdict), tap_description(site.where()));
      points += "  ---\n";
      points += fmt::format("  message: {}\n", tap_yaml_string(f.detail));
      points += "  severity: fail\n";
      points += fmt::format("  verdict: {}\n", tap_yaml_string(to_string(f.verdict)));
      if (!f.process.empty()) points += fmt::format("  process: {}\n", tap_yaml_string(f.process));
      points += fmt::format("  fault: {}\n", tap_yaml_string(first.spec));
      points += fmt::format("  revealed_by: {}\n", f.points.size());
      if (f.flaky) points += "  flaky: true\n";
      points += fmt::format("  seed: {}\n", p.seed);
      points += fmt::format("  file: {}\n", tap_yaml_string(p.file.string()));
      points += fmt::format("  repro: {}\n", tap_yaml_string(repro_command(p, first)));
      points += "  ...\n";
    }
  }
  return fmt::format("TAP version 13\n1..{}\n{}", n, points);
}

}  // namespace faultline::explore
