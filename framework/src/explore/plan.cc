// make_plan() and the plan's small rules; see plan.h.
#include "explore/plan.h"

#include <algorithm>
#include <map>
#include <stdexcept>
#include <tuple>

#include <fmt/format.h>

#include "faultline/fault_spec.h"
#include "faults/call_table.h"
#include "faults/site_resolver.h"
#include "runner/control_context.h"

namespace faultline::explore {
namespace {

bool wanted(const std::vector<std::string>& filter, std::string_view value) {
  return filter.empty() || std::find(filter.begin(), filter.end(), value) != filter.end();
}

// The key under which baseline records count as one site. A call the recording could not
// place (seccomp backend, unknown module) is one site per (process, call): its points carry
// no site= and count every such call.
std::string site_key(const RecordedCall& c) {
  return fmt::format("{}/{}@{}", c.process, c.call, c.site);
}

}  // namespace

std::string Site::where() const {
  // The innermost frame here; a calling context's outer frames follow.
  const std::string inner(site_context(call.site).front());
  std::string at = call.function.empty() ? inner : call.function;
  if (at.empty()) at = "any caller";
  if (!call.location.empty())
    at += fmt::format(" ({})", call.location);
  else if (!call.function.empty() && !inner.empty())
    at += fmt::format(" ({})", inner);
  for (const RecordedCall::Frame& f : call.context) {
    at += " < " + (f.function.empty() ? f.site : f.function);
    if (!f.location.empty())
      at += fmt::format(" ({})", f.location);
    else if (!f.function.empty())
      at += fmt::format(" ({})", f.site);
  }
  return fmt::format("{} {} at {}", call.process, call.call, at);
}

std::vector<std::uint64_t> occurrences(std::uint64_t reached, std::optional<std::uint64_t> limit) {
  std::vector<std::uint64_t> out;
  if (reached == 0) return out;
  if (limit) {
    std::uint64_t last = *limit == 0 ? reached : std::min(reached, *limit);
    for (std::uint64_t n = 1; n <= last; ++n) out.push_back(n);
    return out;
  }
  for (std::uint64_t n = 1; n <= std::min<std::uint64_t>(3, reached); ++n) out.push_back(n);
  for (std::uint64_t n = 4; n < reached; n *= 2) out.push_back(n);
  if (reached > 3) out.push_back(reached);
  return out;
}

bool has_output_oracle(const Scenario& scenario) {
  for (const auto& p : scenario.processes) {
    if (p.peer) return true;
    if (!p.expect.stdout_text.empty() || !p.expect.stderr_text.empty()) return true;
  }
  return false;
}

std::uint64_t stable_hash(std::string_view text) {
  std::uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a, then a final mix for the low bits
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return h;
}

bool in_shard(const Point& point, Shard shard) {
  if (shard.total <= 1) return true;
  return stable_hash(point.id) % shard.total == shard.index;
}

Plan make_plan(const Scenario& scenario, const std::vector<ScenarioResult>& baselines,
               const PlanOptions& options) {
  Plan plan;
  plan.scenario = scenario.name;
  plan.file = scenario.file;
  plan.baseline_runs = static_cast<unsigned>(baselines.size());
  plan.context = options.context;
  if (!baselines.empty()) plan.seed = baselines.front().seed;
  for (const auto& b : baselines)
    plan.baseline_ms =
        std::max(plan.baseline_ms, std::chrono::duration<double, std::milli>(b.duration).count());

  // Sites over the baselines: counts per run, merged.
  std::map<std::string, std::size_t> index;
  std::vector<std::vector<std::uint64_t>> counts;  // per site, per baseline run
  for (std::size_t run = 0; run < baselines.size(); ++run) {
    for (const auto& c : baselines[run].recorded) {
      auto key = site_key(c);
      auto [it, added] = index.emplace(key, plan.sites.size());
      if (added) {
        Site s;
        s.call = c;
        s.call.count = 0;
        plan.sites.push_back(std::move(s));
        counts.emplace_back(baselines.size(), 0);
      }
      Site& s = plan.sites[it->second];
      counts[it->second][run] += c.count;
      // What was realistic at one call of one run is realistic at the site.
      s.call.eintr_realistic = s.call.eintr_realistic || c.eintr_realistic;
      s.call.eagain_realistic = s.call.eagain_realistic || c.eagain_realistic;
      s.call.eagain_nonblocking = s.call.eagain_nonblocking || c.eagain_nonblocking;
      s.call.short_realistic = s.call.short_realistic || c.short_realistic;
      if (s.call.function.empty()) s.call.function = c.function;
      if (s.call.location.empty()) s.call.location = c.location;
    }
  }
  for (std::size_t i = 0; i < plan.sites.size(); ++i) {
    auto [lo, hi] = std::minmax_element(counts[i].begin(), counts[i].end());
    plan.sites[i].reached = *hi;
    plan.sites[i].call.count = *hi;
    plan.sites[i].unstable = *lo != *hi;
  }
  // Deterministic order: the scenario's process order, then call, then site.
  auto process_rank = [&](const std::string& name) {
    for (std::size_t i = 0; i < scenario.processes.size(); ++i)
      if (scenario.processes[i].name == name) return i;
    return scenario.processes.size();
  };
  std::stable_sort(plan.sites.begin(), plan.sites.end(), [&](const Site& a, const Site& b) {
    return std::make_tuple(process_rank(a.call.process), a.call.call, a.call.site, a.call.offset) <
           std::make_tuple(process_rank(b.call.process), b.call.call, b.call.site, b.call.offset);
  });

  // A site named by a program's basename must resolve the way a repro command resolves it,
  // before any run (a program named through a channel is known only during one): else the
  // module's absolute path names it, which resolves everywhere.
  const auto programs = scenario_programs(scenario);
  auto resolvable = [&](std::string& text, const std::string& module, std::uint64_t offset) {
    if (text.empty() || text.front() == '/' || module.empty()) return;
    if (!resolve_site(text, programs).ok()) text = fmt::format("{}+{:#x}", module, offset);
  };
  for (auto& site : plan.sites) {
    RecordedCall& c = site.call;
    if (c.context.empty()) {
      resolvable(c.site, c.module, c.offset);
      continue;
    }
    // A calling context: each frame on its own, then the whole again.
    if (c.site.empty()) continue;
    std::string inner(site_context(c.site).front());
    resolvable(inner, c.module, c.offset);
    c.site = inner;
    for (auto& f : c.context) {
      resolvable(f.site, f.module, f.offset);
      c.site += "<" + f.site;
    }
  }

  struct Pending {
    Point point;
    std::size_t fault_order;
  };
  std::vector<Pending> pending;
  for (std::size_t si = 0; si < plan.sites.size(); ++si) {
    const Site& site = plan.sites[si];
    if (!wanted(options.processes, site.call.process)) continue;
    // A `peer:` process is faultline's own program playing the other side: its error
    // handling is not what the scenario tests.
    if (const ProcessSpec* p = scenario.process(site.call.process); p && p->peer) continue;
    if (!options.calls.empty()) {
      bool match = wanted(options.calls, site.call.call);
      for (const CallInfo* c : resolve_call(site.call.call))
        match = match || wanted(options.calls, c->base);
      if (!match) continue;
    }
    auto faults = candidate_faults(site.call, options.errnos);
    auto nths = occurrences(site.reached, options.occurrences);
    for (std::size_t fi = 0; fi < faults.size(); ++fi) {
      const auto& f = faults[fi];
      if (!wanted(options.kinds, f.kind)) continue;
      for (std::size_t depth = 0; depth < nths.size(); ++depth) {
        Point p;
        p.site = si;
        p.kind = f.kind;
        p.action = f.action;
        p.cls = f.cls;
        p.nth = nths[depth];
        p.depth = depth;
        std::string where = site.call.site.empty() ? "" : ":site=" + site.call.site;
        p.spec = fmt::format("{}/{}:{}{}:nth={}", site.call.process, site.call.call, f.action,
                             where, p.nth);
        p.id = fmt::format("{}/{}@{}/{}#{}", site.call.process, site.call.call, site.call.site,
                           f.action, p.nth);
        Diagnostics diags;
        if (!parse_fault_spec(p.spec, diags))
          throw std::runtime_error(fmt::format("explore planned a fault the parser refuses: {}: {}",
                                               p.spec, diags.empty() ? "" : diags[0].format()));
        pending.push_back({std::move(p), fi});
      }
    }
  }
  std::stable_sort(pending.begin(), pending.end(), [](const Pending& a, const Pending& b) {
    return std::tie(a.point.depth, a.point.site, a.fault_order) <
           std::tie(b.point.depth, b.point.site, b.fault_order);
  });
  for (auto& p : pending) plan.points.push_back(std::move(p.point));
  if (plan.sites.empty())
    plan.notes.push_back(
        "the baseline made no interposed call on an IPC object: nothing to explore (are the "
        "programs dynamically linked, and do they talk over the scenario's channels?)");
  if (!has_output_oracle(scenario))
    plan.notes.push_back(
        "a silent wrong result cannot be seen here: no process expects an output "
        "(`expect: { stdout: ... }`) and no peer checks the data; add one, or use "
        "--compare-baseline for a program whose output is deterministic");
  return plan;
}

}  // namespace faultline::explore
