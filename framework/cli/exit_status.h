// Exit statuses of the faultline command (DESIGN.md section 4); `faultline exec` passes
// the program's own status through instead, and uses 2 and 3 for its own problems.
#pragma once

namespace faultline::cli {

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitInput = 2;
// A scenario could not be set up (a limit, a permission, a port: no verdict on the program),
// or faultline itself failed.
constexpr int kExitInternal = 3;
constexpr int kExitSetup = kExitInternal;

}  // namespace faultline::cli
