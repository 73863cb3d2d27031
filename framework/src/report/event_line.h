// One injected fault event as a line of text, shared by the console report of `faultline
// run` and the summary of `faultline exec`.
#pragma once

#include <string>

#include "faultline/run_result.h"

namespace faultline {

// "#1 +12.3ms pid 4242 cat read(fd 0) -> -1 EIO at 0x55d0c3a1b2c4"; the channel follows
// the fd when the event names one ("fd 5 on ctl"), the thread when it is not the main one.
[[nodiscard]] std::string format_event(const FaultEvent& e);

}  // namespace faultline
