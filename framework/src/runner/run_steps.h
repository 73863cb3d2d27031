// The steps of one run, in the order Runner::run takes them (docs/how-it-works.md, "The
// runner"): provision → compile the control block → plan the launch → supervise → collect
// results → judge. Each step takes what the one before made and hands on what it makes.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "channels/channel.h"
#include "faultline/fault_spec.h"
#include "faultline/run_result.h"
#include "faultline/runner.h"
#include "faultline/scenario.h"
#include "faults/control_block.h"
#include "processes/capture_stream.h"
#include "processes/supervisor.h"
#include "runner/attach_status.h"
#include "runner/injection_backend.h"
#include "runner/run_directory.h"
#include "runner/substitution.h"

namespace faultline {

// The capture streams of one process for the fds 1 and 2 that nothing else wires.
struct ProcessCaptures {
  std::shared_ptr<CaptureStream> stdout_capture;
  std::shared_ptr<CaptureStream> stderr_capture;
};

// 1. Provision: the run directory, the channels, what ${...} expands to, the environment every
// process starts from (the runner's own and FAULTLINE_CH_*), and the capture streams, whose
// files the control block lists (no `ipc` rule may fire on a program's own logging).
struct ProvisionedRun final {
  ProvisionedRun(const Scenario& scenario, bool inherit_stdio);
  ProvisionedRun(const ProvisionedRun&) = delete;
  ProvisionedRun& operator=(const ProvisionedRun&) = delete;

  RunDirectory dir;  // first, so destroyed last: channels are removed before their folder
  std::map<std::string, std::unique_ptr<Channel>> channels;
  Substitutions subs;
  Environment env;
  ControlContext context;                 // channels and programs, for the control block
  std::vector<ProcessCaptures> captures;  // per process, in scenario order
  // When each channel's provisioning began and ended, in scenario order (the timeline).
  struct ChannelStamp {
    std::string name;
    std::string type;
    std::chrono::steady_clock::time_point begin, end;
  };
  std::vector<ChannelStamp> provisioned;
};

// 2. Compile the control block: the rules in the run directory, and the control file opened
// for the processes to inherit on `fd_number`; the status socket that processes which
// cannot attach report to.
struct CompiledControl final {
  // `checked`: the faults as preflight checked them, used when they were checked for this
  // run's faults, channels and programs; else they are checked here.
  CompiledControl(const ProvisionedRun& run, const std::vector<FaultSpec>& faults,
                  const CheckedFaults* checked, std::uint64_t seed, bool record,
                  unsigned context = 1);
  CompiledControl(const CompiledControl&) = delete;
  CompiledControl& operator=(const CompiledControl&) = delete;

  ControlBlock block;
  int fd_number;
  std::shared_ptr<UniqueFd> file;  // the runner's reference goes once the plans own it
  AttachStatus status;
};

// 3. Plan the launch: one LaunchPlan per process (argv expanded and resolved, environment,
// backend, fds, readiness), in scenario order.
struct LaunchSet {
  std::vector<LaunchPlan> plans;
  std::vector<Backend> backends;                // as chosen, per process
  std::vector<std::filesystem::path> programs;  // what each process runs
  std::vector<std::string> notices;             // for the report: a backend chosen for the user
  std::string setup_error;  // set: the scenario cannot start (the plans are incomplete)
};
class LaunchPlanner final {
 public:
  LaunchPlanner(const Scenario& scenario, const RunOptions& options,
                const std::vector<FaultSpec>& faults, std::uint64_t seed);
  // Takes the pipe ends of `run`'s channels and the runner's reference to `control.file`.
  [[nodiscard]] LaunchSet plan(ProvisionedRun& run, CompiledControl& control) const;

 private:
  const Scenario& scenario_;
  const RunOptions& options_;
  const std::vector<FaultSpec>& faults_;
  std::uint64_t seed_;
};

// 4. Supervise: start the processes in order, follow them to the end.
// `pauses`: --pause-on-fault's source, nullptr without it.
[[nodiscard]] SupervisionResult supervise_run(std::vector<LaunchPlan> plans,
                                              const Scenario& scenario, const RunOptions& options,
                                              RunDirectory& dir, PauseSource* pauses = nullptr);

// 5. Collect results: processes, fault counters, events, recording, blind spots and leaks
// into `result` (whose faults list the run's rules). Returns when each process ended, in ms
// since `started` (-1: never), which orders the violations.
[[nodiscard]] std::vector<double> collect_results(
    const Scenario& scenario, const std::vector<FaultSpec>& faults, const RunOptions& options,
    const LaunchSet& launch, ProvisionedRun& run, CompiledControl& control,
    SupervisionResult supervision, std::chrono::steady_clock::time_point started,
    ScenarioResult& result);

// A control block's event as the result holds it: its time in ms since `started`, why it was
// unrealistic, and its rule's spec when `faults` (the result's, by rule index) has it.
[[nodiscard]] FaultEvent to_fault_event(ControlBlock::Event&& e,
                                        std::chrono::steady_clock::time_point started,
                                        const std::vector<FaultResult>& faults = {});

// 6. Judge: the violations of the expectations, the root cause first, and the verdict.
void judge(const Scenario& scenario, const std::vector<FaultSpec>& faults,
           const std::vector<double>& ended_ms, ScenarioResult& result);

}  // namespace faultline
