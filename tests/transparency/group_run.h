// Runs one command in its own process group with a deadline, capturing its output, and makes
// sure that nothing it started (servers, pool workers, forked children) outlives it.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "support.h"

namespace faultline::test {

struct GroupRunResult {
  CommandResult result;
  bool timed_out = false;              // killed with its whole group at the deadline
  std::vector<std::string> survivors;  // "PID COMM" of each process alive once it was over
};

// Runs argv (argv[0] an absolute path) with exactly `env`, in `cwd`, stdin from /dev/null and
// default signal dispositions. Returns once the command has exited and its output is closed,
// or at the deadline; then gives what it left `orphan_grace` to exit on its own, and kills and
// reaps every process still there, listing them as survivors.
[[nodiscard]] GroupRunResult run_in_own_group(
    const std::vector<std::string>& argv, const std::vector<std::string>& env,
    const std::filesystem::path& cwd, std::chrono::seconds timeout,
    std::chrono::seconds orphan_grace = std::chrono::seconds(5));

}  // namespace faultline::test
