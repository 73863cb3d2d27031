// HTML report of a run; see html.h. Every text that comes from a result goes through
// html_escape(): process output, messages and names can hold anything.
#include "report/html.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>

#include "report/event_line.h"
#include "util/html.h"
#include "util/signal_names.h"

namespace faultline {
namespace {

std::string esc(std::string_view text) { return html_escape(text); }

double ms(Duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

std::string ms_text(double t) {
  return t >= 1000 ? fmt::format("{:.2f} s", t / 1000) : fmt::format("{:.1f} ms", t);
}

std::string_view outcome_of(const ScenarioResult& r) {
  return r.passed ? "pass" : r.setup_failed() ? "setup" : "fail";
}

// How a process ended, as a data-outcome value and in words.
struct ProcessOutcome {
  std::string_view key;  // not-started, killed-at-timeout, stopped, signal, exited, unknown
  std::string words;
};

ProcessOutcome process_outcome(const ProcessResult& p) {
  if (!p.started)
    return {"not-started",
            p.not_started_reason.empty() ? "not started" : "not started: " + p.not_started_reason};
  if (p.killed_at_timeout) return {"killed-at-timeout", "killed at the timeout"};
  if (p.stopped_by_runner)
    return {"stopped", p.killed_after_grace ? "stopped by the runner, killed after the grace period"
                                            : "stopped by the runner"};
  if (p.term_signal != 0) return {"signal", "killed by " + signal_in_words(p.term_signal)};
  if (p.exit_code) return {"exited", fmt::format("exited with status {}", *p.exit_code)};
  return {"unknown", "ended, status unknown"};
}

std::string rerun_command(const ScenarioResult& r, const HtmlReportOptions& options) {
  if (!options.rerun.empty()) return options.rerun;
  if (r.file.empty()) return "";
  std::string faults;
  for (const auto& f : r.command_faults) faults += " --fault " + shell_word(f);
  return fmt::format("faultline run {}{}{} --seed {}", shell_word(r.file.string()),
                     r.without_faults ? " --without-faults" : "", faults, r.seed);
}

// A command with its copy button; `id` names the <code> element.
std::string command_block(std::string_view id, std::string_view label, const std::string& command) {
  return fmt::format(
      "<div class=\"command\"><span class=\"meta\">{}</span><code id=\"{}\">{}</code>"
      "<button type=\"button\" class=\"copy\" data-copy=\"{}\" hidden>copy</button></div>\n",
      esc(label), id, esc(command), id);
}

// Tick spacing of the time axis: 1, 2 or 5 times a power of ten, at most ~8 ticks.
double tick_step(double total) {
  const double raw = total / 8;
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * power >= raw) return m * power;
  return 10 * power;
}

// The processes as bars on a time axis from the scenario's start, a mark where each became
// ready, a diamond per injected fault on the row of its process, a dashed line per violation
// with a time.
std::string timeline(const ScenarioResult& r) {
  constexpr double kWidth = 1000, kLabel = 160, kRight = 20, kRow = 26, kTop = 8, kAxis = 24;
  double total = ms(r.duration);
  for (const auto& p : r.processes)
    for (const auto& t : {p.start_ms, p.ready_ms, p.end_ms})
      if (t) total = std::max(total, *t);
  for (const auto& e : r.events) total = std::max(total, e.time_ms);
  for (const auto& v : r.violations) total = std::max(total, v.time_ms);
  total = std::max(total, 1.0);
  const double plot = kWidth - kLabel - kRight;
  auto x = [&](double t) { return kLabel + std::clamp(t, 0.0, total) / total * plot; };

  std::map<std::string, std::size_t> row_of;
  for (std::size_t i = 0; i < r.processes.size(); ++i) row_of.emplace(r.processes[i].name, i);
  bool other_row = false;
  for (const auto& e : r.events) other_row |= row_of.count(e.process) == 0;
  const std::size_t rows = r.processes.size() + (other_row ? 1 : 0);
  const double height = kTop + static_cast<double>(rows) * kRow + kAxis;
  auto row_y = [&](std::size_t row) { return kTop + static_cast<double>(row) * kRow; };

  std::string svg = fmt::format(
      "<svg class=\"timeline\" viewBox=\"0 0 {} {}\" width=\"{}\" height=\"{}\" role=\"img\" "
      "data-total-ms=\"{:.3f}\" xmlns=\"http://www.w3.org/2000/svg\">\n"
      "<title>Timeline of the processes, 0 to {}</title>\n",
      kWidth, height, kWidth, height, total, esc(ms_text(total)));
  // The axis and its ticks.
  const double axis_y = kTop + static_cast<double>(rows) * kRow + 4;
  svg += fmt::format("<line class=\"axis\" x1=\"{}\" y1=\"{:.1f}\" x2=\"{}\" y2=\"{:.1f}\"/>\n",
                     kLabel, axis_y, kLabel + plot, axis_y);
  const double step = tick_step(total);
  for (double t = 0; t <= total + step / 1000; t += step) {
    svg += fmt::format(
        "<line class=\"axis\" x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\"/>"
        "<text class=\"tick\" x=\"{0:.1f}\" y=\"{3:.1f}\" text-anchor=\"middle\">{4}</text>\n",
        x(t), kTop, axis_y + 3, axis_y + 15,
        step >= 1000 ? fmt::format("{:g} s", t / 1000) : fmt::format("{:g} ms", t));
  }
  std::map<std::string, bool> failed;
  for (const auto& v : r.violations)
    if (!v.process.empty()) failed[v.process] = true;
  for (std::size_t i = 0; i < r.processes.size(); ++i) {
    const auto& p = r.processes[i];
    const double y = row_y(i);
    svg += fmt::format("<text x=\"4\" y=\"{:.1f}\">{}</text>\n", y + kRow / 2 + 4, esc(p.name));
    if (!p.start_ms) continue;
    const double end = p.end_ms.value_or(total);
    const std::string modifier = p.killed_at_timeout    ? " hung"
                                 : failed.count(p.name) ? " fail"
                                 : p.service            ? " service"
                                                        : "";
    const ProcessOutcome outcome = process_outcome(p);
    svg += fmt::format(
        "<rect class=\"bar{}\" data-process=\"{}\" x=\"{:.2f}\" y=\"{:.1f}\" width=\"{:.2f}\" "
        "height=\"{:.1f}\" rx=\"3\"><title>{}: {} to {}, {}</title></rect>\n",
        modifier, esc(p.name), x(*p.start_ms), y + 4, std::max(1.5, x(end) - x(*p.start_ms)),
        kRow - 8, esc(p.name), esc(ms_text(*p.start_ms)),
        p.end_ms ? esc(ms_text(*p.end_ms)) : std::string("the end"), esc(outcome.words));
    if (p.ready_ms)
      svg += fmt::format(
          "<line class=\"ready\" data-process=\"{}\" x1=\"{:.2f}\" y1=\"{:.1f}\" x2=\"{:.2f}\" "
          "y2=\"{:.1f}\"><title>{} ready at {}</title></line>\n",
          esc(p.name), x(*p.ready_ms), y + 2, x(*p.ready_ms), y + kRow - 2, esc(p.name),
          esc(ms_text(*p.ready_ms)));
  }
  if (other_row)
    svg += fmt::format("<text x=\"4\" y=\"{:.1f}\">other</text>\n",
                       row_y(r.processes.size()) + kRow / 2 + 4);
  for (const auto& e : r.events) {
    auto it = row_of.find(e.process);
    const double cy = row_y(it == row_of.end() ? r.processes.size() : it->second) + kRow / 2;
    const double cx = x(e.time_ms);
    std::string fault = e.fault.empty() ? "" : "\nfault " + e.fault;
    svg += fmt::format(
        "<g class=\"fault-marker\" data-seq=\"{}\" data-process=\"{}\" data-call=\"{}\" "
        "data-time-ms=\"{:.3f}\"><path d=\"M{:.2f} {:.1f}l6 7l-6 7l-6 -7z\"/>"
        "<title>{}{}</title></g>\n",
        e.seq, esc(e.process), esc(e.call), e.time_ms, cx, cy - 7, esc(format_event(e)),
        esc(fault));
  }
  for (const auto& v : r.violations) {
    if (v.time_ms < 0) continue;
    svg += fmt::format(
        "<g class=\"violation-marker\" data-kind=\"{}\"><line x1=\"{:.2f}\" y1=\"{:.1f}\" "
        "x2=\"{:.2f}\" y2=\"{:.1f}\"/><title>{} at {}</title></g>\n",
        esc(v.kind), x(v.time_ms), kTop, x(v.time_ms), axis_y, esc(v.message),
        esc(ms_text(v.time_ms)));
  }
  svg += "</svg>\n";
  return svg;
}

std::string output_details(std::string_view stream, const std::string& text) {
  if (text.empty())
    return fmt::format("<div class=\"output empty\" data-stream=\"{}\">no {}</div>", stream,
                       stream);
  return fmt::format(
      "<details class=\"output\" data-stream=\"{}\" data-bytes=\"{}\"><summary>{} ({} "
      "byte{})</summary><pre>{}</pre></details>",
      stream, text.size(), stream, text.size(), text.size() == 1 ? "" : "s", esc(text));
}

std::string time_cell(const std::optional<double>& t) {
  return t ? fmt::format("<td class=\"num\">{}</td>", esc(ms_text(*t)))
           : std::string("<td class=\"num\">-</td>");
}

// exec's badge: how the program ended, not a verdict.
std::string exec_tag(const ScenarioResult& r) {
  if (r.processes.empty()) return "NOT RUN";
  const ProcessResult& p = r.processes.front();
  const ProcessOutcome o = process_outcome(p);
  if (o.key == "exited") return fmt::format("EXIT {}", *p.exit_code);
  if (o.key == "signal") return signal_name(p.term_signal);
  if (o.key == "killed-at-timeout") return "TIMED OUT";
  if (o.key == "not-started") return "NOT STARTED";
  return "ENDED";
}

std::string processes_table(const ScenarioResult& r, bool captured) {
  std::string out =
      "<h3>Processes</h3>\n<table class=\"processes\">\n<tr><th>process</th><th>pid</th>"
      "<th>outcome</th><th class=\"num\">start</th><th class=\"num\">ready</th>"
      "<th class=\"num\">end</th><th class=\"num\">duration</th><th>output</th></tr>\n";
  for (const auto& p : r.processes) {
    const ProcessOutcome o = process_outcome(p);
    std::string attributes =
        fmt::format(" data-name=\"{}\" data-outcome=\"{}\" data-lifetime=\"{}\"", esc(p.name),
                    o.key, p.service ? "service" : "task");
    if (p.exit_code) attributes += fmt::format(" data-exit-code=\"{}\"", *p.exit_code);
    if (p.term_signal)
      attributes += fmt::format(" data-signal=\"{}\"", esc(signal_name(p.term_signal)));
    std::string extra;
    if (p.peer_intact)
      extra += fmt::format("<div class=\"peer\" data-intact=\"{}\">peer: {}</div>",
                           *p.peer_intact ? "true" : "false", esc(p.peer_report));
    for (const auto& b : p.blind_spots)
      extra += fmt::format("<div class=\"blind-spot\" data-kind=\"{}\">not seen: {}</div>",
                           esc(b.kind), esc(b.message));
    out += fmt::format(
        "<tr class=\"process\"{}><td>{}{}</td><td class=\"num\">{}</td><td>{}{}</td>{}{}{}"
        "<td class=\"num\">{}</td><td>{}{}</td></tr>\n",
        attributes, esc(p.name), p.service ? " <span class=\"meta\">(service)</span>" : "", p.pid,
        esc(o.words), extra, time_cell(p.start_ms), time_cell(p.ready_ms), time_cell(p.end_ms),
        esc(ms_text(ms(p.duration))),
        captured
            ? output_details("stdout", p.stdout_text)
            : std::string("<div class=\"output terminal\">on the terminal, not captured</div>"),
        captured ? output_details("stderr", p.stderr_text) : std::string());
  }
  return out + "</table>\n";
}

std::string faults_table(const ScenarioResult& r) {
  if (r.faults.empty()) return "<h3>Faults</h3>\n<p class=\"meta\">no fault declared</p>\n";
  std::string out =
      "<h3>Faults</h3>\n<table class=\"faults\">\n<tr><th>fault</th><th class=\"num\">hits</th>"
      "<th class=\"num\">fired</th><th>notes</th></tr>\n";
  for (const auto& f : r.faults) {
    std::string notes;
    auto add = [&](const std::string& line) { notes += (notes.empty() ? "" : "<br>") + esc(line); };
    if (f.optional) add("optional");
    if (f.refused)
      add(fmt::format("refused on {} call{} ({})", f.refused, f.refused == 1 ? "" : "s",
                      f.refused_why));
    if (f.unrealistic)
      add(fmt::format("{} unrealistic here ({})", f.unrealistic, f.unrealistic_why));
    if (!f.missed.empty()) add("missed: " + f.missed);
    out += fmt::format(
        "<tr class=\"fault\" data-hits=\"{}\" data-fired=\"{}\"{}><td><code>{}</code></td>"
        "<td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>\n",
        f.hits, f.fired, f.missed.empty() ? "" : " data-missed=\"true\"", esc(f.spec), f.hits,
        f.fired, notes);
  }
  out += "</table>\n";
  if (!r.events.empty()) {
    out += fmt::format(
        "<details class=\"events\"><summary>{} fault event{} injected</summary>\n"
        "<table class=\"events\">\n<tr><th class=\"num\">#</th><th class=\"num\">time</th>"
        "<th>process</th><th>call</th><th>fd / channel</th><th>result</th><th>caller</th>"
        "<th>fault</th></tr>\n",
        r.events.size(), r.events.size() == 1 ? "" : "s");
    for (const auto& e : r.events) {
      std::string target = e.fd >= 0 ? fmt::format("{}", e.fd) : "";
      if (!e.channel.empty()) target += (target.empty() ? "" : " on ") + e.channel;
      std::string result = fmt::format("{}{}{}", e.result, e.error.empty() ? "" : " ", e.error);
      if (!e.unrealistic.empty()) result += " (unrealistic: " + e.unrealistic + ")";
      out += fmt::format(
          "<tr class=\"event\" data-seq=\"{}\"><td class=\"num\">{}</td><td class=\"num\">{}</td>"
          "<td>{} <span class=\"meta\">pid {}</span></td><td>{}</td><td>{}</td><td>{}</td>"
          "<td class=\"mono\">{:#x}</td><td><code>{}</code></td></tr>\n",
          e.seq, e.seq, esc(ms_text(e.time_ms)), esc(e.process), e.pid, esc(e.call), esc(target),
          esc(result), e.caller, esc(e.fault));
    }
    out += "</table></details>\n";
  }
  if (r.events_lost)
    out += fmt::format("<p class=\"meta\">{} fault events were not recorded (ring full)</p>\n",
                       r.events_lost);
  return out;
}

std::string hang_section(const ScenarioResult& r) {
  std::string out;
  for (const auto& p : r.processes) {
    for (const auto& s : p.at_timeout) {
      out += fmt::format(
          "<div class=\"snapshot\" data-process=\"{}\" data-pid=\"{}\"><p><b>{}</b> [pid {}, {}]: "
          "{}, in <code>{}</code>, wchan <code>{}</code></p>{}</div>\n",
          esc(p.name), s.pid, esc(p.name), s.pid, esc(s.command), esc(s.state),
          esc(s.syscall.empty() ? "?" : s.syscall), esc(s.wchan.empty() ? "-" : s.wchan),
          s.backtrace.empty() ? std::string()
                              : "<details open><summary>backtrace</summary><pre>" +
                                    esc(s.backtrace) + "</pre></details>");
    }
  }
  if (out.empty()) return out;
  return "<section class=\"hang\">\n<h3>At the timeout</h3>\n" + out + "</section>\n";
}

std::string scenario_section(const ScenarioResult& r, std::size_t index,
                             const HtmlReportOptions& options) {
  std::uint64_t fired = 0;
  for (const auto& f : r.faults) fired += f.fired;
  const std::string_view outcome = outcome_of(r);
  const bool verdict = !options.exec || outcome == "setup";
  const std::string tag = !verdict             ? exec_tag(r)
                          : outcome == "pass"  ? "PASS"
                          : outcome == "setup" ? "SETUP"
                                               : "FAIL";
  std::string out = fmt::format(
      "<section class=\"scenario{}\" id=\"scenario-{}\" data-scenario=\"{}\" data-outcome=\"{}\" "
      "data-seed=\"{}\" data-duration-ms=\"{:.3f}\" data-processes=\"{}\" data-events=\"{}\" "
      "data-violations=\"{}\">\n",
      options.exec ? " exec" : "", index, esc(r.scenario), outcome, r.seed, ms(r.duration),
      r.processes.size(), r.events.size(), r.violations.size());
  out += fmt::format("<h2><span class=\"badge {}\">{}</span>{}</h2>\n", verdict ? outcome : "",
                     esc(tag), esc(r.scenario));
  out += fmt::format(
      "<p class=\"meta\">{}seed {} · {} · {} fault{} injected{}{}</p>\n",
      r.file.empty() ? "" : esc(r.file.string()) + " · ", r.seed, esc(ms_text(ms(r.duration))),
      fired, fired == 1 ? "" : "s", r.timed_out ? " · timed out" : "",
      r.interrupted_by ? " · interrupted by " + esc(signal_in_words(r.interrupted_by)) : "");
  const std::string rerun = rerun_command(r, options);
  if (!rerun.empty()) out += command_block(fmt::format("rerun-{}", index), "run again:", rerun);
  if (!r.violations.empty()) {
    out += "<h3>Violations</h3>\n<ol class=\"violations\">\n";
    for (std::size_t i = 0; i < r.violations.size(); ++i) {
      const auto& v = r.violations[i];
      out += fmt::format(
          "<li class=\"violation{}\" data-kind=\"{}\" data-process=\"{}\"{}>{}</li>\n",
          i == 0 ? " root-cause" : "", esc(v.kind), esc(v.process),
          v.time_ms >= 0 ? fmt::format(" data-time-ms=\"{:.3f}\"", v.time_ms) : "", esc(v.message));
    }
    out += "</ol>\n";
  }
  out += "<h3>Timeline</h3>\n" + timeline(r);
  out += processes_table(r, !options.exec);
  out += faults_table(r);
  out += hang_section(r);
  if (!r.leaks.empty()) {
    out += "<h3>Left behind</h3>\n<ul class=\"leaks\">\n";
    for (const auto& l : r.leaks)
      out += fmt::format("<li class=\"leak\">{} (pid {}) {} {}{}</li>\n", esc(l.process), l.pid,
                         esc(l.call), esc(l.object), l.removed ? " (removed since)" : "");
    out += "</ul>\n";
  }
  if (!r.notes.empty()) {
    out += "<ul class=\"notes\">\n";
    for (const auto& n : r.notes) out += "<li class=\"note\">note: " + esc(n) + "</li>\n";
    out += "</ul>\n";
  }
  return out + "</section>\n";
}

}  // namespace

std::string shell_word(std::string_view text) {
  const bool plain = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           std::string_view("_-./:=+,@%").find(c) != std::string_view::npos;
  });
  if (plain) return std::string(text);
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string to_html(const std::vector<ScenarioResult>& results, const HtmlReportOptions& options) {
  std::size_t passed = 0, setup = 0;
  Duration total{0};
  for (const auto& r : results) {
    passed += r.passed ? 1 : 0;
    setup += !r.passed && r.setup_failed() ? 1 : 0;
    total += r.duration;
  }
  const std::size_t failed = results.size() - passed - setup;
  std::string body = fmt::format("<h1>{}</h1>\n", esc(options.title));
  std::string counts = fmt::format("{} passed, {} failed", passed, failed);
  if (setup) counts += fmt::format(", {} could not be set up", setup);
  const std::string attributes = fmt::format(
      "id=\"summary\" data-scenarios=\"{}\" data-passed=\"{}\" data-failed=\"{}\" "
      "data-setup=\"{}\" data-outcome=\"{}\"",
      results.size(), passed, failed, setup,
      failed  ? "fail"
      : setup ? "setup"
              : "pass");
  if (options.exec && results.size() == 1 && !results.front().setup_failed()) {
    // No verdict of its own: the program's status is passed through.
    const ScenarioResult& r = results.front();
    std::uint64_t fired = 0;
    for (const auto& f : r.faults) fired += f.fired;
    body += fmt::format(
        "<section {}>\n<p><span class=\"badge\">{}</span>{} {} · {} fault{} injected · {}</p>\n",
        attributes, esc(exec_tag(r)), esc(r.scenario),
        r.processes.empty() ? std::string("did not run")
                            : esc(process_outcome(r.processes.front()).words),
        fired, fired == 1 ? "" : "s", esc(ms_text(ms(total))));
  } else {
    const std::string_view overall = failed ? "fail" : setup ? "setup" : "pass";
    body += fmt::format(
        "<section {}>\n<p><span class=\"badge {}\">{}</span>{} scenario{}: {} · {} in all</p>\n",
        attributes, overall,
        failed  ? "FAIL"
        : setup ? "SETUP"
                : "PASS",
        results.size(), results.size() == 1 ? "" : "s", esc(counts), esc(ms_text(ms(total))));
    body +=
        "<table class=\"scenarios\">\n<tr><th>scenario</th><th>verdict</th><th class=\"num\">"
        "seed</th><th class=\"num\">duration</th><th>first violation</th></tr>\n";
    for (std::size_t i = 0; i < results.size(); ++i) {
      const auto& r = results[i];
      body += fmt::format(
          "<tr data-outcome=\"{}\"><td><a href=\"#scenario-{}\">{}</a></td><td>{}</td>"
          "<td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>\n",
          outcome_of(r), i + 1, esc(r.scenario), outcome_of(r), r.seed,
          esc(ms_text(ms(r.duration))),
          r.violations.empty() ? std::string() : esc(r.violations.front().message));
    }
    body += "</table>\n";
    if (failed)
      body +=
          "<p class=\"meta\">Each failed scenario below says how to run it again with the "
          "same seed and faults.</p>\n";
  }
  body += "</section>\n";
  for (std::size_t i = 0; i < results.size(); ++i)
    body += scenario_section(results[i], i + 1, options);
  return html_page(options.title, body);
}

void write_html(const std::filesystem::path& file, const std::vector<ScenarioResult>& results,
                const HtmlReportOptions& options) {
  write_html_file(file, to_html(results, options));
}

}  // namespace faultline
