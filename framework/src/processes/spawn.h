// Starts one LaunchPlan as a child in its own process group, with its fds wired, its output
// captured and a clean signal state (the runner blocks signals its children must not).
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>

#include "processes/supervisor.h"
#include "util/unique_fd.h"

namespace faultline {

struct SpawnedProcess {
  pid_t pid = -1;  // also its process group id
  UniqueFd pidfd;
  UniqueFd stdout_read;  // invalid when the plan wires fd 1 itself
  UniqueFd stderr_read;  // invalid when the plan wires fd 2 itself
  // Answers the process's seccomp notifications (plan.seccomp); keep it until the process
  // and its descendants are reaped.
  std::shared_ptr<seccomp::NotifySupervisor> seccomp;
};

struct SpawnResult {
  std::optional<SpawnedProcess> process;
  std::string error;  // why it did not start, when process is empty
};

// Never throws for a program that cannot run: the reason is in SpawnResult::error. The caller
// owns the child from then on (it is not waited for by anyone else).
[[nodiscard]] SpawnResult spawn_process(const LaunchPlan& plan);

}  // namespace faultline
