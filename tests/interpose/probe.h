// Helpers of the interposer tests: a scratch folder holding a control block, and fl_probe
// run under it with the interposer preloaded.
#pragma once

#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "faultline/fault_spec.h"
#include "faults/control_block.h"
#include "support.h"

namespace faultline::test {

// A fault spec as the parser would produce it, for tests that must not depend on the parser.
[[nodiscard]] FaultSpec make_fault(std::vector<std::string> calls, FaultAction action, int arg = 0);

// A fresh folder for a control block and probe files (support.h).
using ScratchDir = TempDir;

// One run's control block and the probe runs against it.
class ProbeRun final {
 public:
  explicit ProbeRun(const std::vector<FaultSpec>& faults, std::uint64_t seed = 1);
  // fl_probe ARGS with LD_PRELOAD, FAULTLINE_CONTROL and FAULTLINE_PROCESS=process.
  [[nodiscard]] CommandResult probe(const std::vector<std::string>& args,
                                    const std::string& process = "proc") const;
  [[nodiscard]] ControlBlock& control() { return control_; }
  [[nodiscard]] const ScratchDir& dir() const { return dir_; }

 private:
  ScratchDir dir_;
  ControlBlock control_;
};

// fl_probe ARGS with the interposer preloaded and the given extra environment only.
[[nodiscard]] CommandResult run_probe(const std::vector<std::string>& args,
                                      const std::vector<std::string>& env);

// fl_rules_decide for a call whose object has the given class and channel, as the
// interposer would present it.
[[nodiscard]] int decide_call(fl_control* c, int call, const char* process, unsigned fd_class,
                              std::uint64_t* hit, int channel = -1,
                              std::uint64_t size = UINT64_MAX);

// A probe's stdout, checking that it exited 0 (its output and errors shown when not).
inline std::string out_of(const CommandResult& r) {
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  CHECK(r.exit_code == 0);
  return r.out;
}

// The lines of a probe's stdout.
[[nodiscard]] std::vector<std::string> lines(const std::string& text);

}  // namespace faultline::test
