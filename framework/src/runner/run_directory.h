// RunDirectory: the private folder of one run (0700) and the manifest of the IPC objects
// created for it, so that `faultline gc` (and the next run) can remove what a killed
// runner left behind.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "channels/run_folder.h"
#include "runner/leftover_processes.h"
#include "util/unique_fd.h"

namespace faultline {

class RunDirectory final : public RunFolder {
 public:
  // Creates $TMPDIR/faultline-<label>-XXXXXX (default /tmp), mode 0700, and writes the
  // owner's pid and start time into it. Throws std::system_error when it cannot.
  explicit RunDirectory(std::string_view label);
  RunDirectory(const RunDirectory&) = delete;
  RunDirectory& operator=(const RunDirectory&) = delete;
  // Ends what is left in the run's cgroup, removes every recorded object that still exists,
  // then the folder and all it holds; after keep(), all but the folder and its files.
  ~RunDirectory();

  // --keep: the destructor leaves the folder and its files (control file, outputs, what the
  // processes wrote) and marks it with a file `kept` once its objects are removed, so that gc
  // and later runs leave it alone; a run killed before that is collected as any other.
  // Returns the folder's path.
  const std::filesystem::path& keep();

  [[nodiscard]] const std::filesystem::path& path() const override { return path_; }

  // See RunFolder.
  [[nodiscard]] std::filesystem::path make_key_file(std::string_view name) override;
  void record(std::string_view kind, std::string_view what) override;

  // Records a process group the run started ("pgroup PID START_TIME"), so that gc can end it
  // if the runner dies; the start time tells the group's leader from a later process that got
  // the same pid. Call it while the process is unreaped (its pid cannot be reused yet).
  void record_process_group(pid_t pgid);

  // The cgroup.procs of the run's cgroup v2 group, -1 when the machine gave us none.
  [[nodiscard]] int cgroup_procs_fd() const { return cgroup_ ? cgroup_->procs_fd() : -1; }
  // The group's folder, open (-1 when none): children are started in it (CLONE_INTO_CGROUP).
  [[nodiscard]] int cgroup_dir_fd() const { return cgroup_ ? cgroup_->dir_fd() : -1; }

 private:
  std::filesystem::path path_;
  std::optional<RunCgroup> cgroup_;
  UniqueFd manifest_;  // O_APPEND: each record is one write(), so lines never interleave
  pid_t creator_ = 0;  // a forked child that unwinds must not remove its parent's run
  bool keep_ = false;
};

// The marker of a kept run directory (RunDirectory::keep).
inline constexpr std::string_view kKeptMarker = "kept";

// Removes the run directories under $TMPDIR whose runner is no longer alive, with the
// objects their manifests list, after ending the processes the run started (its cgroup, its
// recorded process groups, and whatever carries its FAULTLINE_RUN_DIR). Kept directories
// (--keep) stay. Returns one line per thing removed or ended, each starting with what was done
// ("removed ...", "ended ...").
std::vector<std::string> collect_garbage();

// The kept run directories under $TMPDIR (RunDirectory::keep), of our own user.
std::vector<std::filesystem::path> kept_run_directories();
// Removes them (`faultline gc --kept`); one line per folder removed.
std::vector<std::string> remove_kept_run_directories();

}  // namespace faultline
