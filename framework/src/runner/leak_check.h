// The leak check: IPC objects the processes created themselves (recorded by the
// interposer) that still exist when the run is over are reported and removed.
#pragma once

#include <vector>

#include "faultline/run_result.h"
#include "faults/control_block.h"

namespace faultline {

// Every object of `control.created()` still on the machine, except the run's own channels
// (the runner provisioned and removes those). Each one is removed; Leak::removed says
// whether that worked. Never throws for the objects' sake.
[[nodiscard]] std::vector<Leak> collect_leaks(const ControlBlock& control,
                                              const ControlContext& context);

}  // namespace faultline
