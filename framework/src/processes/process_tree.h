// The process tree as /proc shows it. Parents are read from every /proc/PID/stat because
// /proc/PID/task/TID/children needs CONFIG_PROC_CHILDREN, which many kernels lack.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace faultline {

struct ProcStat {
  pid_t pid = 0;
  pid_t ppid = 0;
  pid_t pgid = 0;
  char state = '?';  // R, S, D, T, Z, ...
  std::string comm;  // as in /proc/PID/comm
  unsigned long long start_time = 0;  // field 22, clock ticks after boot: tells a reused pid apart
};

[[nodiscard]] std::optional<ProcStat> read_proc_stat(pid_t pid);
// Every process of the system (thread group leaders), in no particular order.
[[nodiscard]] std::vector<ProcStat> list_processes();
// The descendants of `root` in `all` that are not zombies, parents before their children.
[[nodiscard]] std::vector<ProcStat> live_descendants(pid_t root, const std::vector<ProcStat>& all);

}  // namespace faultline
