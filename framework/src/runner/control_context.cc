// make_control_context(); see control_context.h.
#include "runner/control_context.h"

#include <algorithm>
#include <charconv>

#include "runner/program_path.h"

namespace faultline {
namespace {

int attribute_number(const std::map<std::string, std::string>& attrs, const char* name,
                     int fallback) {
  auto it = attrs.find(name);
  if (it == attrs.end()) return fallback;
  long long v = fallback;
  const char* begin = it->second.data();
  const char* end = begin + it->second.size();
  // Keys are shown in decimal ("key") and hex ("key_hex"); decimal may be negative.
  if (std::from_chars(begin, end, v).ec != std::errc()) return fallback;
  return static_cast<int>(v);
}

}  // namespace

std::vector<std::filesystem::path> scenario_programs(const Scenario& scenario,
                                                     const Substitutions* subs) {
  // Before a run, what does not depend on it: ${scenario_dir} and ${env.VAR}.
  Substitutions static_subs;
  static_subs.set("scenario_dir", scenario.dir.string());
  if (!subs) subs = &static_subs;
  std::vector<std::filesystem::path> programs;
  for (const auto& p : scenario.processes) {
    if (p.argv.empty()) continue;
    std::string program = p.argv.front();
    if (program.find("${") != std::string::npos) {
      std::string expanded, error;
      if (!subs->expand(program, expanded, error)) continue;  // a channel's or run_dir's
      program = std::move(expanded);
    }
    if (p.shell && p.argv.size() >= 3) {
      const std::string& cmd = p.argv[2];
      auto start = cmd.find_first_not_of(" \t");
      if (start == std::string::npos) continue;
      program = cmd.substr(start, cmd.find_first_of(" \t;|&", start) - start);
    }
    auto path = resolve_program(program, scenario.dir);
    if (path && std::find(programs.begin(), programs.end(), *path) == programs.end())
      programs.push_back(*path);
  }
  return programs;
}

ControlContext make_control_context(
    const Scenario& scenario, const std::map<std::string, std::unique_ptr<Channel>>& channels,
    const Substitutions& subs) {
  ControlContext context;
  // In the scenario's order, so that channel indices are stable from run to run.
  for (const auto& spec : scenario.channels) {
    auto found = channels.find(spec.name);
    if (found == channels.end()) continue;
    const Channel& ch = *found->second;
    const auto attrs = ch.attributes();
    ControlContext::Channel entry;
    entry.name = spec.name;
    entry.sysv_id = attribute_number(attrs, "id", -1);
    entry.key = attribute_number(attrs, "key", 0);
    entry.port = attribute_number(attrs, "port", 0);
    if (auto it = attrs.find("name"); it != attrs.end())
      entry.path = it->second;
    else if (auto p = attrs.find("path"); p != attrs.end())
      entry.path = p->second;
    if (auto id = ch.identity()) {
      entry.dev = id->dev;
      entry.ino = id->ino;
    }
    context.channels.push_back(std::move(entry));
  }
  context.programs = scenario_programs(scenario, &subs);
  return context;
}

}  // namespace faultline
