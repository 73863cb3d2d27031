// FaultPauses: the runner's PauseSource for --pause-on-fault. Reads the control block's pause
// slots (interpose/faultline_control.h, struct fl_pause) and describes each stopped process
// with its fault's event and its caller, symbolized while the process is there to be read.
#pragma once

#include <chrono>
#include <cstddef>
#include <set>
#include <string>
#include <vector>

#include "faults/control_block.h"
#include "faults/site_resolver.h"
#include "processes/pause_source.h"

namespace faultline {

class FaultPauses final : public PauseSource {
 public:
  // `specs`: the run's faults as the report names them, by rule index; `started`: when the
  // run started, which event times count from.
  FaultPauses(ControlBlock& block, std::vector<std::string> specs,
              std::chrono::steady_clock::time_point started);
  [[nodiscard]] std::vector<Stopped> take_stopped() override;
  void release_all() override;

 private:
  ControlBlock& block_;
  std::vector<std::string> specs_;
  std::chrono::steady_clock::time_point started_;
  std::set<std::size_t> taken_;  // slots announced, freed by release_all
  Symbolizer symbolizer_;
};

// The rules a --pause-on-fault RULE names among the run's faults (their to_string() texts, in
// rule order): "" every rule; a number N the Nth (1-based, as the report lists them); else the
// fault whose text equals RULE once both are normalised; "*" as "". Empty with `error` set
// when none.
[[nodiscard]] std::vector<std::size_t> rules_to_pause(const std::string& rule,
                                                      const std::vector<std::string>& specs,
                                                      std::string& error);

}  // namespace faultline
