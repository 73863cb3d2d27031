// Opens the channel the options name, as the side the mode plays: servers (recv, echo) bind
// and accept, clients (send, request) connect, retrying while the server is not there yet.
#pragma once

#include <memory>

#include "options.h"
#include "transport.h"

namespace faultline::peer {

// Throws ChannelFailure when the channel cannot be used before `deadline`.
[[nodiscard]] std::unique_ptr<Transport> open_transport(const PeerOptions& options,
                                                        Deadline deadline);

}  // namespace faultline::peer
