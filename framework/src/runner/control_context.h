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

namespace faultline {

// The programs of the scenario's processes that exist now (for a `run:` string, its first
// word), each once: where site= is looked up.
[[nodiscard]] std::vector<std::filesystem::path> scenario_programs(const Scenario& scenario);

// Channels as provisioned (their ids, keys, ports, paths and file identities) and the
// programs of the scenario's processes (for a `run:` string, its first word).
[[nodiscard]] ControlContext make_control_context(
    const Scenario& scenario, const std::map<std::string, std::unique_ptr<Channel>>& channels);

}  // namespace faultline
