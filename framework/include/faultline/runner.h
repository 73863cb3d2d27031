// Runner: runs one scenario end to end (run directory, channels, control block, processes,
// expectations, clean-up) and returns its ScenarioResult.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <ostream>
#include <vector>

#include "faultline/diagnostic.h"
#include "faultline/fault_spec.h"
#include "faultline/run_result.h"
#include "faultline/scenario.h"

namespace faultline {

struct RunOptions {
  std::vector<FaultSpec> extra_faults;  // --fault: added to every scenario
  std::optional<std::uint64_t> seed;    // --seed: overrides the scenario's
  std::ostream* live_output = nullptr;  // -v: process output as it arrives
  std::filesystem::path interposer;     // empty: default_interposer_path()
  bool backtraces = true;               // gdb backtraces of hung processes
  // stdin, stdout and stderr of every process are the runner's own (`faultline exec`)
  // instead of /dev/null and capture pipes, unless the scenario wires them to a channel.
  bool inherit_stdio = false;
  // Record every interposed call on an IPC object per (process, call, caller) into
  // ScenarioResult::recorded (`faultline explore`'s baseline).
  bool record = false;
  // Frames a recorded site is (`faultline explore --context K`): 1, the caller; K > 1, the
  // calling context of K innermost frames (the interposer walks the stack with libunwind).
  unsigned context = 1;
  // The scenario's own faults were left out (`--without-faults`); only reported.
  bool without_faults = false;
  // --pause-on-fault[=RULE] (docs/cli.md, "Debugging a fault"): a process stops at each fault
  // of the RULE ("": every fault) and the run pauses until resumed. Announced on
  // `pause_output` (default std::cerr); resumed by a line on `resume_input` (-1: none) or
  // SIGUSR1, which the caller must block in every thread before the run.
  std::optional<std::string> pause_on_fault;
  std::ostream* pause_output = nullptr;
  int resume_input = -1;
  // --keep: the run directory stays for inspection (marked `kept`; gc and later runs leave
  // it); its IPC objects and processes go as always. Where it is goes to `pause_output`.
  bool keep = false;
};

// FAULTLINE_INTERPOSE when set, else libfaultline-interpose.so in <exe dir>/../lib or
// <exe dir>. Empty when none exists.
[[nodiscard]] std::filesystem::path default_interposer_path();

class CheckedFaults;  // faults/control_block.h

// What preflight found, and what it looked up for the run: its faults with their channel=
// and site= checked, which Runner::run reuses instead of looking them up again.
struct PreflightResult {
  Diagnostics problems;
  std::shared_ptr<const CheckedFaults> faults;
};

// Problems that make a scenario impossible to start (exit status 2): programs that cannot
// be found, faults naming unknown processes. Checked before anything is provisioned.
[[nodiscard]] PreflightResult check_before_run(const Scenario& scenario, const RunOptions& options);
// check_before_run's problems alone.
[[nodiscard]] Diagnostics preflight(const Scenario& scenario, const RunOptions& options);

class Runner final {
 public:
  explicit Runner(RunOptions options);
  // Never throws for problems of the scenario or its processes: they become violations.
  // `checked`: check_before_run's for this scenario and these options, whose look-ups the
  // run reuses (it looks up again what the run knows otherwise, e.g. a program under
  // ${run_dir}).
  [[nodiscard]] ScenarioResult run(const Scenario& scenario,
                                   const PreflightResult* checked = nullptr);

 private:
  RunOptions options_;
};

}  // namespace faultline
