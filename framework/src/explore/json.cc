// explore's JSON; see json.h.
#include "explore/json.h"

#include <fstream>
#include <map>
#include <stdexcept>

#include <fmt/format.h>

#include "faultline/fault_spec.h"
#include "util/json_numbers.h"

namespace faultline::explore {
namespace {

using nlohmann::json;

FaultClass class_from(const std::string& s) {
  return s == "transient" ? FaultClass::transient : FaultClass::hard;
}

Verdict verdict_from(const std::string& s) {
  auto v = verdict_from_string(s);
  if (!v) throw std::runtime_error("unknown verdict '" + s + "'");
  return *v;
}

json site_json(const Site& s) {
  const RecordedCall& c = s.call;
  json context = json::array();
  for (const RecordedCall::Frame& f : c.context)
    context.push_back({{"module", f.module},
                       {"offset", f.offset},
                       {"function", f.function},
                       {"location", f.location},
                       {"site", f.site}});
  return {{"process", c.process},
          {"call", c.call},
          {"module", c.module},
          {"offset", c.offset},
          {"function", c.function},
          {"location", c.location},
          {"site", c.site},
          {"reached", s.reached},
          {"unstable", s.unstable},
          {"shape", c.shape},
          {"eintr_realistic", c.eintr_realistic},
          {"eagain_realistic", c.eagain_realistic},
          {"eagain_nonblocking", c.eagain_nonblocking},
          {"short_realistic", c.short_realistic},
          {"seccomp", c.seccomp},
          {"context", std::move(context)}};
}

Site site_from(const json& j) {
  Site s;
  RecordedCall& c = s.call;
  c.process = j.at("process");
  c.call = j.at("call");
  c.module = j.at("module");
  c.offset = j.at("offset");
  c.function = j.at("function");
  c.location = j.at("location");
  c.site = j.at("site");
  s.reached = j.at("reached");
  c.count = s.reached;
  s.unstable = j.at("unstable");
  c.shape = j.at("shape");
  c.eintr_realistic = j.at("eintr_realistic");
  c.eagain_realistic = j.at("eagain_realistic");
  c.eagain_nonblocking = j.value("eagain_nonblocking", false);
  c.short_realistic = j.at("short_realistic");
  c.seccomp = j.at("seccomp");
  if (j.contains("context")) {
    for (const auto& fj : j.at("context")) {
      RecordedCall::Frame f;
      f.module = fj.at("module");
      f.offset = fj.at("offset");
      f.function = fj.at("function");
      f.location = fj.at("location");
      f.site = fj.at("site");
      c.context.push_back(std::move(f));
    }
  }
  return s;
}

}  // namespace

json to_json(const Exploration& e, bool with_timings) {
  const Plan& p = e.plan;
  json j;
  j["scenario"] = p.scenario;
  j["file"] = p.file.string();
  j["seed"] = p.seed;
  j["without_faults"] = p.without_faults;
  j["context"] = p.context;
  j["baseline"] = {{"runs", p.baseline_runs}};
  if (with_timings) j["baseline"]["duration_ms"] = p.baseline_ms;
  auto& sites = j["sites"] = json::array();
  for (const auto& s : p.sites) sites.push_back(site_json(s));
  auto& points = j["points"] = json::array();
  for (std::size_t i = 0; i < p.points.size(); ++i) {
    const Point& pt = p.points[i];
    json pj = {{"id", pt.id},
               {"site", pt.site},
               {"kind", pt.kind},
               {"action", pt.action},
               {"class", std::string(to_string(pt.cls))},
               {"nth", pt.nth},
               {"depth", pt.depth},
               {"spec", pt.spec}};
    if (i < e.results.size()) {
      const PointResult& r = e.results[i];
      if (r.outcome) {
        pj["verdict"] = std::string(to_string(r.outcome->verdict));
        pj["process"] = r.outcome->process;
        pj["detail"] = r.outcome->detail;
        if (with_timings) pj["duration_ms"] = r.outcome->duration_ms;
      }
      if (r.rerun) {
        pj["rerun"] = std::string(to_string(*r.rerun));
        pj["rerun_detail"] = r.rerun_detail;
      }
    }
    points.push_back(std::move(pj));
  }
  auto& findings = j["findings"] = json::array();
  for (const auto& f : e.findings) {
    json ids = json::array();
    for (auto i : f.points) ids.push_back(p.points[i].id);
    const Point& first = p.points[f.points.front()];
    json fj = {{"class", std::string(to_string(f.verdict))},
               {"site", f.site},
               {"where", p.sites[f.site].where()},
               {"process", f.process},
               {"detail", f.detail},
               {"points", ids},
               {"repro", repro_command(p, first)},
               {"fault", first.spec},
               {"flaky", f.flaky}};
    if (f.rerun) fj["rerun"] = std::string(to_string(*f.rerun));
    findings.push_back(std::move(fj));
  }
  j["shard"] = {{"index", e.shard.index}, {"total", e.shard.total}};
  j["points_run"] = e.points_run();
  j["runs"] = e.runs;
  if (with_timings) j["duration_ms"] = e.duration_ms;
  j["stopped_by_budget"] = e.stopped_by_budget;
  j["interrupted"] = e.interrupted_by != 0;
  j["notes"] = p.notes;
  for (const auto& n : e.notes) j["notes"].push_back(n);
  return j;
}

json to_json(const std::vector<Exploration>& all, bool plan_only) {
  json j;
  j["faultline_explore"] = kJsonVersion;
  j["kind"] = plan_only ? "plan" : "result";
  auto& list = j["scenarios"] = json::array();
  std::size_t points = 0, run = 0, findings = 0;
  std::map<std::string, std::size_t> verdicts;
  for (const auto& e : all) {
    list.push_back(to_json(e));
    points += e.plan.points.size();
    run += e.points_run();
    findings += e.findings.size();
    for (const auto& r : e.results)
      if (r.outcome) ++verdicts[std::string(to_string(r.outcome->verdict))];
  }
  j["summary"] = {
      {"points", points}, {"points_run", run}, {"findings", findings}, {"verdicts", verdicts}};
  return j;
}

std::vector<Exploration> explorations_from_json(const json& j) {
  if (!j.is_object() || !j.contains("faultline_explore"))
    throw std::runtime_error("not a result or plan of `faultline explore`");
  if (auto bad = json_float_out_of_range(j); !bad.empty())
    throw std::runtime_error("a number out of range: " + bad.substr(0, 40));
  if (j.at("faultline_explore") != kJsonVersion)
    throw std::runtime_error(
        fmt::format("written by another version of faultline explore "
                    "(format {}, this one reads {})",
                    j.at("faultline_explore").dump(), kJsonVersion));
  std::vector<Exploration> out;
  try {
    for (const auto& s : j.at("scenarios")) {
      Exploration e;
      Plan& p = e.plan;
      p.scenario = s.at("scenario");
      p.file = s.at("file").get<std::string>();
      p.seed = s.at("seed");
      p.without_faults = s.at("without_faults");
      p.context = s.value("context", 1u);
      if (p.context < 1 || p.context > kMaxContextFrames)
        throw std::runtime_error(fmt::format("scenario {}: context {} is not 1 to {} frames",
                                             p.scenario, p.context, kMaxContextFrames));
      p.baseline_runs = s.at("baseline").at("runs");
      p.baseline_ms = s.at("baseline").value("duration_ms", 0.0);
      for (const auto& sj : s.at("sites")) p.sites.push_back(site_from(sj));
      for (const auto& pj : s.at("points")) {
        Point pt;
        pt.id = pj.at("id");
        pt.site = pj.at("site");
        if (pt.site >= p.sites.size()) throw std::runtime_error("a point names no site");
        pt.kind = pj.at("kind");
        pt.action = pj.at("action");
        pt.cls = class_from(pj.at("class"));
        pt.nth = pj.at("nth");
        pt.depth = pj.at("depth");
        pt.spec = pj.at("spec");
        p.points.push_back(std::move(pt));
        PointResult r;
        if (pj.contains("verdict")) {
          Outcome o;
          o.verdict = verdict_from(pj.at("verdict"));
          o.process = pj.at("process");
          o.detail = pj.at("detail");
          o.duration_ms = pj.value("duration_ms", 0.0);
          r.outcome = std::move(o);
        }
        if (pj.contains("rerun")) {
          r.rerun = verdict_from(pj.at("rerun"));
          r.rerun_detail = pj.at("rerun_detail");
        }
        e.results.push_back(std::move(r));
      }
      e.shard.index = s.at("shard").at("index");
      e.shard.total = s.at("shard").at("total");
      e.runs = s.at("runs");
      e.duration_ms = s.value("duration_ms", 0.0);
      e.stopped_by_budget = s.at("stopped_by_budget");
      e.interrupted_by = s.at("interrupted").get<bool>() ? 2 : 0;
      // Notes are the plan's and the run's together; kept as the plan's.
      for (const auto& n : s.at("notes")) p.notes.push_back(n);
      e.findings = group_findings(p, e.results);
      out.push_back(std::move(e));
    }
  } catch (const json::exception& ex) {
    throw std::runtime_error(std::string("malformed explore JSON: ") + ex.what());
  }
  return out;
}

std::vector<Exploration> merge(const std::vector<std::vector<Exploration>>& parts) {
  if (parts.empty()) return {};
  std::vector<Exploration> out = parts.front();
  for (auto& e : out) {
    e.shard = {};
    e.duration_ms = 0;
  }
  auto same_plan = [](const Plan& a, const Plan& b) {
    if (a.file != b.file || a.seed != b.seed || a.points.size() != b.points.size()) return false;
    for (std::size_t i = 0; i < a.points.size(); ++i)
      if (a.points[i].id != b.points[i].id) return false;
    return true;
  };
  for (std::size_t k = 0; k < parts.size(); ++k) {
    if (parts[k].size() != out.size())
      throw std::runtime_error(
          fmt::format("result {} explored {} scenarios, the first {}: not shards of one plan",
                      k + 1, parts[k].size(), out.size()));
    for (std::size_t s = 0; s < out.size(); ++s) {
      const Exploration& part = parts[k][s];
      Exploration& into = out[s];
      if (part.plan.context != into.plan.context)
        throw std::runtime_error(fmt::format(
            "result {} explored scenario {} with --context {}, the first with --context {}: "
            "sites of different depths are different plans",
            k + 1, part.plan.scenario, part.plan.context, into.plan.context));
      if (!same_plan(part.plan, into.plan))
        throw std::runtime_error(fmt::format(
            "result {} planned scenario {} differently (other points or seed): shards must "
            "run one plan (`faultline explore --plan-only --json plan.json`, then `--plan "
            "plan.json --shard I/N`)",
            k + 1, part.plan.scenario));
      into.duration_ms = std::max(into.duration_ms, part.duration_ms);
      if (k == 0) continue;
      into.runs += part.runs;
      into.stopped_by_budget = into.stopped_by_budget || part.stopped_by_budget;
      into.interrupted_by = into.interrupted_by ? into.interrupted_by : part.interrupted_by;
      for (std::size_t i = 0; i < part.results.size(); ++i) {
        const PointResult& r = part.results[i];
        if (!r.outcome) continue;
        if (into.results[i].outcome)
          throw std::runtime_error(
              fmt::format("point {} was run by two shards", part.plan.points[i].id));
        into.results[i] = r;
      }
    }
  }
  // Shards of one plan say which of how many they are: a lost one (an artifact that did not
  // arrive) would make the whole look smaller and maybe clean.
  if (!parts.front().empty() && parts.front().front().shard.total > 1) {
    const unsigned total = parts.front().front().shard.total;
    std::vector<bool> seen(total, false);
    for (const auto& part : parts)
      for (const auto& e : part)
        if (e.shard.total == total && e.shard.index < total) seen[e.shard.index] = true;
    for (unsigned i = 0; i < total; ++i)
      if (!seen[i])
        throw std::runtime_error(fmt::format(
            "shard {}/{} is missing: its points were run nowhere (give every shard's result)",
            i + 1, total));
  }
  for (auto& e : out) {
    e.findings = group_findings(e.plan, e.results);
    // Each shard re-checked the first point of every finding it saw; an unsharded run
    // re-checks only the first of all the finding's points (which its shard re-checked
    // too). The other shards' re-checks are not part of the joined result.
    std::vector<bool> representative(e.results.size(), false);
    for (const auto& f : e.findings) representative[f.points.front()] = true;
    for (std::size_t i = 0; i < e.results.size(); ++i) {
      if (representative[i] || !e.results[i].rerun) continue;
      e.results[i].rerun.reset();
      e.results[i].rerun_detail.clear();
      if (e.runs > 0) --e.runs;
    }
  }
  return out;
}

void write_json_file(const std::filesystem::path& file, const json& j) {
  std::ofstream out(file);
  out << j.dump(2) << '\n';
  out.close();
  if (!out) throw std::runtime_error("cannot write " + file.string());
}

}  // namespace faultline::explore
