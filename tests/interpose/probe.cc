// Helpers of the interposer tests; see probe.h.
#include "probe.h"

#include "rule_engine.h"

#include <stdlib.h>

#include <sstream>
#include <stdexcept>

namespace faultline::test {

int decide_call(fl_control* c, int call, const char* process, unsigned fd_class, std::uint64_t* hit,
                int channel, std::uint64_t size) {
  fl_subject s{};
  s.size = size;
  s.call = call;
  s.process = process;
  s.known = FL_NEED_CLASS | FL_NEED_CHANNEL | FL_NEED_STREAM;
  s.fd_class = fd_class;
  s.channel = channel;
  s.stream = 1;
  return fl_rules_decide(c, &s, hit);
}
namespace fs = std::filesystem;

FaultSpec make_fault(std::vector<std::string> calls, FaultAction action, int arg) {
  FaultSpec f;
  f.calls = std::move(calls);
  f.action = action;
  switch (action) {
    case FaultAction::error:
      f.error = arg;
      break;
    case FaultAction::short_transfer:
      f.short_bytes = static_cast<std::uint64_t>(arg);
      break;
    case FaultAction::signal:
      f.signal = arg;
      break;
    default:
      break;
  }
  return f;
}

ProbeRun::ProbeRun(const std::vector<FaultSpec>& faults, std::uint64_t seed)
    : control_(ControlBlock::create(dir_.path() / "control", faults, seed)) {}

CommandResult ProbeRun::probe(const std::vector<std::string>& args,
                              const std::string& process) const {
  return run_probe(
      args, {"FAULTLINE_CONTROL=" + control_.path().string(), "FAULTLINE_PROCESS=" + process});
}

CommandResult run_probe(const std::vector<std::string>& args, const std::vector<std::string>& env) {
  std::vector<std::string> argv{(test_programs_dir() / "fl_probe").string()};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<std::string> full_env{"LD_PRELOAD=" + interposer_path().string()};
  full_env.insert(full_env.end(), env.begin(), env.end());
  return run_command(argv, full_env);
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

}  // namespace faultline::test
