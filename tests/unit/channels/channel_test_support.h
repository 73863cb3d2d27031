// Helpers of the channel tests: specs, a private TMPDIR, and long-lived helper processes
// (python3) that bind and listen on what a channel provides.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "faultline/scenario.h"
#include "support.h"

namespace faultline::test {

[[nodiscard]] ChannelSpec spec_of(std::string name, ChannelType type, std::uint64_t size = 0,
                                  std::uint32_t count = 0, std::string backing = "");

// A private TMPDIR for the scope (support.h), so these tests neither see nor disturb the run
// directories of other test programs running at the same time.
using ScopedTmpdir = PrivateTmpdir;

// A child process with a pipe to its stdin and one from its stdout; killed (SIGKILL) and
// reaped on destruction.
class LiveProcess final {
 public:
  explicit LiveProcess(const std::vector<std::string>& argv);
  ~LiveProcess();
  LiveProcess(const LiveProcess&) = delete;
  LiveProcess& operator=(const LiveProcess&) = delete;

  // The next line of its stdout (without '\n'); throws after `timeout` or at EOF.
  [[nodiscard]] std::string read_line(std::chrono::seconds timeout = std::chrono::seconds(20));
  void write_line(const std::string& line);
  // Kills and reaps it now.
  void stop();

 private:
  pid_t pid_ = -1;
  int to_child_ = -1;
  int from_child_ = -1;
  std::string buffered_;
};

// `python3 -c SCRIPT ARGS...`: scripts that print one line per step and wait for a line on
// stdin before the next step.
[[nodiscard]] std::vector<std::string> python(const std::string& script,
                                              const std::vector<std::string>& args);

// Whether `ipcs` (util-linux, a real process) knows the System V object: kind "q", "m", "s".
[[nodiscard]] bool ipcs_knows(const std::string& kind, const std::string& id);
// `ipcs -KIND -i ID` output.
[[nodiscard]] std::string ipcs_details(const std::string& kind, const std::string& id);

}  // namespace faultline::test
