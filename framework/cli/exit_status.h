// Exit statuses of the faultline command (DESIGN.md section 4); `faultline exec` passes
// the program's own status through instead, and uses 2 and 3 for its own problems.
#pragma once

namespace faultline::cli {

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitInput = 2;
constexpr int kExitInternal = 3;

}  // namespace faultline::cli
