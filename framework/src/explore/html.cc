// explore's HTML report; see html.h. Every text from a result (details, names, paths) goes
// through html_escape().
#include "explore/html.h"

#include <algorithm>
#include <map>
#include <utility>

#include <fmt/format.h>

#include "util/html.h"

namespace faultline::explore {
namespace {

std::string esc(std::string_view text) { return html_escape(text); }

std::string plural(std::size_t n, std::string_view word) {
  return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s");
}

// Columns in the order of the kinds in docs/explore.md, then by action.
int kind_rank(std::string_view kind) {
  static constexpr std::string_view kKinds[] = {"error", "short",    "eof",  "reset",
                                                "drop",  "spurious", "crash"};
  for (std::size_t i = 0; i < std::size(kKinds); ++i)
    if (kKinds[i] == kind) return static_cast<int>(i);
  return static_cast<int>(std::size(kKinds));
}

std::string_view verdict_key(const PointResult& r) {
  return r.outcome ? to_string(r.outcome->verdict) : std::string_view("not-run");
}

constexpr Verdict kAllVerdicts[] = {Verdict::crash,
                                    Verdict::hang,
                                    Verdict::silent_wrong_result,
                                    Verdict::leak,
                                    Verdict::propagated,
                                    Verdict::not_absorbed,
                                    Verdict::unexplained_failure,
                                    Verdict::clean_failure,
                                    Verdict::stranded,
                                    Verdict::absorbed,
                                    Verdict::unreached,
                                    Verdict::unrealistic,
                                    Verdict::setup};

std::string legend(const Exploration& e) {
  std::map<std::string_view, std::size_t> counts;
  for (std::size_t i = 0; i < e.plan.points.size(); ++i)
    ++counts[i < e.results.size() ? verdict_key(e.results[i]) : "not-run"];
  std::string out = "<p class=\"legend\">";
  auto entry = [&](std::string_view key) {
    auto it = counts.find(key);
    if (it == counts.end()) return;
    out += fmt::format(
        "<span class=\"count\" data-verdict=\"{0}\" data-count=\"{1}\"><span class=\"swatch\" "
        "data-verdict=\"{0}\"></span>{0}: {1}</span>",
        key, it->second);
  };
  for (Verdict v : kAllVerdicts) entry(to_string(v));
  entry("not-run");
  return out + "</p>\n";
}

std::string matrix(const Exploration& e) {
  const Plan& p = e.plan;
  // Columns: the distinct actions; rows: the sites; a cell: the points of both, by nth.
  std::vector<std::pair<int, std::string>> columns;
  for (const auto& pt : p.points) {
    std::pair<int, std::string> key{kind_rank(pt.kind), pt.action};
    if (std::find(columns.begin(), columns.end(), key) == columns.end()) columns.push_back(key);
  }
  std::sort(columns.begin(), columns.end());
  std::map<std::pair<std::size_t, std::string>, std::vector<std::size_t>> cells;
  for (std::size_t i = 0; i < p.points.size(); ++i)
    cells[{p.points[i].site, p.points[i].action}].push_back(i);
  for (auto& [key, points] : cells)
    std::stable_sort(points.begin(), points.end(), [&](std::size_t a, std::size_t b) {
      return p.points[a].nth < p.points[b].nth;
    });

  std::string out = fmt::format(
      "<table class=\"matrix\" data-sites=\"{}\" data-columns=\"{}\" data-points=\"{}\">\n"
      "<tr><th>call site</th>",
      p.sites.size(), columns.size(), p.points.size());
  for (const auto& [rank, action] : columns)
    out += fmt::format("<th class=\"fault-column\" data-action=\"{0}\"><code>{0}</code></th>",
                       esc(action));
  out += "</tr>\n";
  for (std::size_t s = 0; s < p.sites.size(); ++s) {
    const Site& site = p.sites[s];
    out += fmt::format(
        "<tr class=\"site\" data-site=\"{}\" data-process=\"{}\" data-call=\"{}\">"
        "<th class=\"site\">{}{}</th>",
        s, esc(site.call.process), esc(site.call.call), esc(site.where()),
        site.unstable ? " <span class=\"meta\">(unstable)</span>" : "");
    for (const auto& [rank, action] : columns) {
      auto it = cells.find({s, action});
      if (it == cells.end()) {
        out += "<td class=\"cell empty\"></td>";
        continue;
      }
      out += "<td class=\"cell\">";
      for (std::size_t i : it->second) {
        const Point& pt = p.points[i];
        const PointResult* r = i < e.results.size() ? &e.results[i] : nullptr;
        const std::string_view verdict = r ? verdict_key(*r) : "not-run";
        std::string title = fmt::format("{} nth={}: {}", pt.action, pt.nth, verdict);
        if (r && r->outcome && !r->outcome->detail.empty())
          title += " \u2014 " + r->outcome->detail;
        title += "\n" + pt.spec;
        out += fmt::format(
            "<span class=\"point\" data-verdict=\"{}\" data-id=\"{}\" data-nth=\"{}\" "
            "title=\"{}\"></span>",
            verdict, esc(pt.id), pt.nth, esc(title));
      }
      out += "</td>";
    }
    out += "</tr>\n";
  }
  return out + "</table>\n";
}

std::string findings(const Exploration& e, std::size_t index) {
  const Plan& p = e.plan;
  if (e.findings.empty())
    return "<p class=\"no-finding\">No finding: every fault point was absorbed or failed "
           "cleanly.</p>\n";
  std::string out = fmt::format("<h3>{}, most severe first</h3>\n<ol class=\"findings\">\n",
                                plural(e.findings.size(), "finding"));
  for (std::size_t k = 0; k < e.findings.size(); ++k) {
    const Finding& f = e.findings[k];
    const Point& first = p.points[f.points.front()];
    std::string revealed;
    for (std::size_t n = 0; n < f.points.size() && n < 6; ++n) {
      const Point& pt = p.points[f.points[n]];
      revealed += fmt::format("{}{} nth={}", revealed.empty() ? "" : ", ", pt.action, pt.nth);
    }
    if (f.points.size() > 6) revealed += fmt::format(", and {} more", f.points.size() - 6);
    const std::string id = fmt::format("repro-{}-{}", index, k + 1);
    const std::string repro = repro_command(p, first);
    out += fmt::format(
        "<li class=\"finding\" data-verdict=\"{}\" data-site=\"{}\" data-points=\"{}\" "
        "data-flaky=\"{}\"><span class=\"swatch\" data-verdict=\"{}\"></span>"
        "<span class=\"verdict\">{}</span> at {}{}<br>{}<br><span class=\"meta\">revealed by "
        "{}: {}</span>\n<div class=\"command\"><span class=\"meta\">repro:</span><code "
        "id=\"{}\">{}</code><button type=\"button\" class=\"copy\" data-copy=\"{}\" hidden>copy"
        "</button></div>{}</li>\n",
        to_string(f.verdict), f.site, f.points.size(), f.flaky ? "true" : "false",
        to_string(f.verdict), to_string(f.verdict), esc(p.sites[f.site].where()),
        p.sites[f.site].unstable ? " (unstable site)" : "", esc(f.detail),
        plural(f.points.size(), "fault"), esc(revealed), id, esc(repro), id,
        f.flaky && f.rerun
            ? fmt::format("<div class=\"meta\">flaky: run again from the repro it gave {}</div>",
                          to_string(*f.rerun))
            : std::string());
  }
  return out + "</ol>\n";
}

std::string exploration_section(const Exploration& e, std::size_t index) {
  const Plan& p = e.plan;
  std::size_t unstable = 0;
  for (const auto& s : p.sites) unstable += s.unstable ? 1 : 0;
  const double secs = e.duration_ms / 1000.0;
  std::string out = fmt::format(
      "<section class=\"exploration\" id=\"exploration-{}\" data-scenario=\"{}\" "
      "data-outcome=\"{}\" data-seed=\"{}\" data-sites=\"{}\" data-points=\"{}\" "
      "data-points-run=\"{}\" data-findings=\"{}\">\n",
      index, esc(p.scenario), e.findings.empty() ? "pass" : "fail", p.seed, p.sites.size(),
      p.points.size(), e.points_run(), e.findings.size());
  out += fmt::format("<h2><span class=\"badge {}\">{}</span>explore {}</h2>\n",
                     e.findings.empty() ? "pass" : "fail",
                     e.findings.empty() ? "NO FINDING" : "FINDINGS", esc(p.scenario));
  out += fmt::format(
      "<p class=\"meta\">{} · baseline: {} passed · {}{} · {} · seed {}{}</p>\n",
      esc(p.file.string()), plural(p.baseline_runs, "run"), plural(p.sites.size(), "call site"),
      unstable ? fmt::format(" ({} unstable)", unstable) : "",
      plural(p.points.size(), "fault point"), p.seed,
      e.shard.total > 1 ? fmt::format(" · shard {}/{}", e.shard.index + 1, e.shard.total) : "");
  out += fmt::format("<p class=\"meta\">ran {} in {:.1f} s ({:.1f} runs/s){}{}</p>\n",
                     plural(e.points_run(), "point"), secs,
                     secs > 0 ? static_cast<double>(e.runs) / secs : 0.0,
                     e.stopped_by_budget ? " · stopped by the budget" : "",
                     e.interrupted_by ? " · interrupted: what finished is reported" : "");
  out += findings(e, index);
  out +=
      "<h3>Fault points</h3>\n<p class=\"meta\">A row per call site, a column per fault; "
      "in a cell one square per occurrence explored (nth=1, 2, ...), coloured by its "
      "verdict. Hover a square for its verdict, why, and the fault that runs it.</p>\n" +
      legend(e) + matrix(e);
  std::vector<std::string> notes = p.notes;
  notes.insert(notes.end(), e.notes.begin(), e.notes.end());
  if (!notes.empty()) {
    out += "<ul class=\"notes\">\n";
    for (const auto& n : notes) out += "<li class=\"note\">note: " + esc(n) + "</li>\n";
    out += "</ul>\n";
  }
  return out + "</section>\n";
}

}  // namespace

std::string to_html(const std::vector<Exploration>& all) {
  std::size_t points = 0, run = 0, found = 0;
  for (const auto& e : all) {
    points += e.plan.points.size();
    run += e.points_run();
    found += e.findings.size();
  }
  std::string body = "<h1>faultline explore</h1>\n";
  body += fmt::format(
      "<section id=\"summary\" data-scenarios=\"{}\" data-points=\"{}\" data-points-run=\"{}\" "
      "data-findings=\"{}\" data-outcome=\"{}\">\n<p><span class=\"badge {}\">{}</span>{} "
      "explored, {} run, {}</p>\n</section>\n",
      all.size(), points, run, found, found ? "fail" : "pass", found ? "fail" : "pass",
      found ? "FINDINGS" : "NO FINDING", plural(all.size(), "scenario"), plural(run, "fault point"),
      plural(found, "finding"));
  for (std::size_t i = 0; i < all.size(); ++i) body += exploration_section(all[i], i + 1);
  return html_page("faultline explore", body);
}

void write_html(const std::filesystem::path& file, const std::vector<Exploration>& all) {
  write_html_file(file, to_html(all));
}

}  // namespace faultline::explore
