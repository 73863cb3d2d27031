// group_findings() and repro_command(); see exploration.h.
#include "explore/exploration.h"

#include <algorithm>
#include <map>
#include <tuple>

#include <fmt/format.h>

namespace faultline::explore {

std::size_t Exploration::points_run() const {
  return static_cast<std::size_t>(std::count_if(
      results.begin(), results.end(), [](const auto& r) { return r.outcome.has_value(); }));
}

std::vector<Finding> group_findings(const Plan& plan, const std::vector<PointResult>& results) {
  std::map<std::tuple<Verdict, std::size_t>, std::size_t> index;
  std::vector<Finding> out;
  for (std::size_t i = 0; i < results.size() && i < plan.points.size(); ++i) {
    const auto& o = results[i].outcome;
    if (!o || !is_bug(o->verdict)) continue;
    const std::size_t site = plan.points[i].site;
    auto [it, added] = index.emplace(std::make_tuple(o->verdict, site), out.size());
    if (added) {
      Finding f;
      f.verdict = o->verdict;
      f.site = site;
      f.process = o->process;
      f.detail = o->detail;
      f.rerun = results[i].rerun;
      f.flaky = f.rerun && *f.rerun != f.verdict;
      out.push_back(std::move(f));
    }
    out[it->second].points.push_back(i);
  }
  std::stable_sort(out.begin(), out.end(), [](const Finding& a, const Finding& b) {
    return std::tie(a.verdict, a.points.front()) < std::tie(b.verdict, b.points.front());
  });
  return out;
}

std::string repro_command(const Plan& plan, const Point& point) {
  namespace fs = std::filesystem;
  fs::path file = plan.file;
  std::error_code ec;
  fs::path cwd = fs::current_path(ec);
  if (!ec) {
    fs::path rel = file.lexically_relative(cwd);
    if (!rel.empty() && *rel.begin() != "..") file = rel;
  }
  return fmt::format("faultline run {}{} --fault '{}' --seed {}", file.string(),
                     plan.without_faults ? " --without-faults" : "", point.spec, plan.seed);
}

}  // namespace faultline::explore
