// What the control block needs to know of a run besides its faults: the channels that
// channel= names and the programs that site= is looked up in.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "channels/channel.h"
#include "faultline/scenario.h"
#include "faults/control_block.h"
#include "runner/substitution.h"

namespace faultline {

// The programs of the scenario's processes that exist now (for a `run:` string, its first
// word), each once: where site= is looked up. A program named with ${...} is expanded with
// `subs` (a run's), or before a run with ${scenario_dir} and ${env.VAR}; one that names a
// channel or the run directory is known only during the run.
[[nodiscard]] std::vector<std::filesystem::path> scenario_programs(
    const Scenario& scenario, const Substitutions* subs = nullptr);

// Channels as provisioned (their ids, keys, ports, paths and file identities) and the
// programs of the scenario's processes (for a `run:` string, its first word).
[[nodiscard]] ControlContext make_control_context(
    const Scenario& scenario, const std::map<std::string, std::unique_ptr<Channel>>& channels,
    const Substitutions& subs);

}  // namespace faultline
