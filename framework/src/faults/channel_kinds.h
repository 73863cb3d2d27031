// Kinds a channel's fds cannot produce (a short datagram, drop on a stream), known before a
// run from the channel's type: the loader and the --fault preflight refuse them (realism.h).
#pragma once

#include <optional>
#include <string>

#include "faultline/diagnostic.h"
#include "faultline/fault_spec.h"
#include "faultline/scenario.h"

namespace faultline {

// The problem (message, and a hint after "\n") when `spec` names `channel` with a kind no
// kernel produces on its fds and does not say force; nullopt when it is possible.
[[nodiscard]] std::optional<std::string> impossible_on_channel(const FaultSpec& spec,
                                                               const ChannelSpec& channel);

}  // namespace faultline
