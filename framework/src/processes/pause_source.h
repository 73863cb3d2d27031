// --pause-on-fault (docs/cli.md, "Debugging a fault"): how the supervisor learns that a process
// stopped itself at a fault, and what to tell the user about it. The runner's implementation
// reads the control block's pause slots (runner/fault_pauses.h).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace faultline {

class PauseSource {
 public:
  virtual ~PauseSource() = default;
  struct Stopped {
    pid_t pid = 0;
    std::string description;  // lines for the user: process, fault, call, caller
  };
  // The processes that stopped themselves at a fault since the last call, each returned once
  // it is stopped (so that a debugger attached now finds it at the fault).
  [[nodiscard]] virtual std::vector<Stopped> take_stopped() = 0;
  // Forgets every process take_stopped returned, before the supervisor continues them: the
  // next fault they stop at is a new pause.
  virtual void release_all() = 0;
};

}  // namespace faultline
