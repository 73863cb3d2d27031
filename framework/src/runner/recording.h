// A recording run's table (RunOptions::record) as ScenarioResult::recorded: merged per
// (process, call, caller), symbolized, with the site= text that targets each caller.
#pragma once

#include <filesystem>
#include <vector>

#include "faultline/run_result.h"
#include "faults/control_block.h"

namespace faultline {

// `programs`: the files the scenario's processes run; a caller in one of them is written
// PROGRAM+0xOFFSET (its basename, as site= resolves it), one in a library /path/lib.so+0xOFFSET.
[[nodiscard]] std::vector<RecordedCall> read_recording(
    const ControlBlock& control, const std::vector<std::filesystem::path>& programs);

}  // namespace faultline
