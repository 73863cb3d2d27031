// Why a fault never fired, in words, from the interposer's counts: which of the rule's calls
// the process made and why they did not match, and which related calls it made instead
// ("redis-cli reads with recv, not read").
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "faultline/fault_spec.h"
#include "faults/control_block.h"

namespace faultline {

using ProcessCallCounts = std::vector<std::pair<std::string, std::vector<ControlBlock::CallCount>>>;

// `misses` is indexed by enum fl_miss; `counts` as ControlBlock::call_counts() returns them.
// E.g. "12 calls of read were made by server, none on an ipc fd (12 on a file fd); calls made
// by server: recv ×120, accept ×3".
[[nodiscard]] std::string explain_never_fired(const FaultSpec& fault,
                                              const std::vector<std::uint64_t>& misses,
                                              const ProcessCallCounts& counts);

}  // namespace faultline
