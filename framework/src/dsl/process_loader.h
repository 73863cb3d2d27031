// One entry of a scenario's `processes:` map -> ProcessSpec, with its references to
// channels and other processes checked.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "dsl/yaml_reader.h"
#include "faultline/scenario.h"

namespace faultline {

// What a process may refer to: the scenario's channels and every process name.
struct ScenarioNames {
  const std::vector<ChannelSpec>& channels;
  std::vector<std::string_view> processes;
  // Channels declared with an error already reported: references to them stay quiet.
  std::vector<std::string_view> broken_channels;
  // The same names to look up (the lists keep the file's order for hints): a reference costs
  // the same in a file of 100,000 names as in a file of 3.
  std::unordered_set<std::string_view> process_set{};
  std::unordered_map<std::string_view, const ChannelSpec*> channel_by_name{};
  std::unordered_set<std::string_view> broken_set{};
  std::vector<std::string_view> channel_names{};  // for hints, in the file's order

  // Fills the sets from the lists; call once the lists are complete.
  void index();
  [[nodiscard]] bool has_process(std::string_view name) const {
    return process_set.count(name) > 0;
  }
};

struct LoadedProcess {
  ProcessSpec spec;
  // Each `after:` entry with where it was written, for reporting cycles.
  std::vector<std::pair<std::string, SourceLocation>> after_at;
};

[[nodiscard]] LoadedProcess load_process(YamlReader& r, const Field& entry,
                                         const ScenarioNames& names);

// A channel named by `f`'s value, or nullptr after reporting an unknown one.
[[nodiscard]] const ChannelSpec* channel_reference(YamlReader& r, const Field& f,
                                                   std::string_view name, std::string_view what,
                                                   const ScenarioNames& names);

}  // namespace faultline
