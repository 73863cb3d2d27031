// The four modes: send and request produce frames, recv and echo check them; each ends
// with a Summary and the exit status (0 done, 1 integrity violated).
#pragma once

#include "options.h"
#include "summary.h"
#include "transport.h"

namespace faultline::peer {

struct Outcome {
  Summary summary;
  int exit_status = 0;
};

[[nodiscard]] Outcome run_exchange(const PeerOptions& options, Transport& transport,
                                   Deadline deadline);

}  // namespace faultline::peer
