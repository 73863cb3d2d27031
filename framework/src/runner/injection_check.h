// What a run could not see in its processes, and the verdict on it: a process that had
// faults to get and ran without fault injection fails the scenario (docs/limits.md, "What a
// run could not see").
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

#include "faultline/fault_spec.h"
#include "faultline/run_result.h"
#include "faultline/scenario.h"
#include "faults/control_block.h"
#include "runner/attach_status.h"

namespace faultline {

struct InjectionInputs {
  const Scenario& scenario;
  const std::vector<FaultSpec>& faults;                // the scenario's and --fault's
  const std::vector<Backend>& backends;                // chosen, per scenario process
  const std::vector<std::filesystem::path>& programs;  // what each process ran, "" unknown
};

// Fills result.processes[i].blind_spots from the interposers' facts and the failures to
// attach; a note for what cannot be placed or did not fit.
void add_blind_spots(const InjectionInputs& in, const std::vector<ControlBlock::Fact>& facts,
                     std::uint64_t facts_lost, const std::vector<AttachFailure>& failures,
                     ScenarioResult& result);

// One "uninjected" violation per blind spot that let a process with faults for it run
// without injection.
[[nodiscard]] std::vector<Violation> check_injection(const Scenario& scenario,
                                                     const std::vector<FaultSpec>& faults,
                                                     const ScenarioResult& result);

}  // namespace faultline
