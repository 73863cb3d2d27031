// Finding and ending the processes of a run whose runner died (SIGKILL, a crash): its cgroup
// v2 group where the machine lets us make one, else the process groups recorded in its
// manifest (guarded by start time against pid reuse) and the FAULTLINE_RUN_DIR every process
// of the run inherits.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/unique_fd.h"

namespace faultline {

// A cgroup v2 group for the processes of one run: `cgroup.kill` ends them all at once, even
// daemons that left their process group with setsid() and cleared their environment.
// The cgroup2 folder this process is in: the cgroup2 mount point joined with the "0::" line of
// /proc/self/cgroup; nullopt without cgroup2.
[[nodiscard]] std::optional<std::filesystem::path> own_cgroup2();

class RunCgroup final {
 public:
  // Where the group named `name` goes: <cgroup2 mount><the runner's own group>/<name>, or
  // nullopt when there is no cgroup2 hierarchy or we may not write to it (not root).
  [[nodiscard]] static std::optional<std::filesystem::path> path_for(std::string_view name);
  // The group at `path` (from path_for), or nullopt when we may not create it (not root, a
  // read-only mount).
  [[nodiscard]] static std::optional<RunCgroup> create(std::filesystem::path path);
  RunCgroup(RunCgroup&& other) noexcept;
  RunCgroup& operator=(RunCgroup&&) = delete;
  RunCgroup(const RunCgroup&) = delete;
  RunCgroup& operator=(const RunCgroup&) = delete;
  // Ends whatever is still in the group and removes it.
  ~RunCgroup();

  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  // Its cgroup.procs, open for writing: a child writes "0" to it before exec to join.
  [[nodiscard]] int procs_fd() const { return procs_.get(); }
  // The group's folder, open: clone3(CLONE_INTO_CGROUP) starts a child in the group, without
  // the cost of moving it there (docs/performance.md, "Joining the run's cgroup").
  [[nodiscard]] int dir_fd() const { return dir_.get(); }
  // Leaves the group alone on destruction (a forked copy of the runner that unwinds).
  void forget() { path_.clear(); }

 private:
  RunCgroup(std::filesystem::path path, UniqueFd procs, UniqueFd dir);
  std::filesystem::path path_;
  UniqueFd procs_;
  UniqueFd dir_;
};

// Ends every process in the cgroup at `path` and removes the group; one line per process.
std::vector<std::string> end_cgroup(const std::filesystem::path& path);

// A process group the run started: its leader's pid (= the group id) and start time.
struct RecordedGroup {
  pid_t pgid = 0;
  unsigned long long start_time = 0;
};

// Ends, with SIGKILL, and waits for: the members of each recorded group whose leader still is
// the recorded process (same start time; a leader that is gone or whose pid now belongs to
// another process vouches for nobody), every process whose environment says
// FAULTLINE_RUN_DIR=run_dir, and every process of ours that holds run_dir/manifest open for
// appending (forked from the run's owner, not exec'd since: a worker forked and not yet
// recorded). One line per process ended.
std::vector<std::string> end_run_processes(const std::filesystem::path& run_dir,
                                           const std::vector<RecordedGroup>& groups);

}  // namespace faultline
