// Test helpers: run the faultline CLI as a user would, and check that nothing was left
// behind (SysV objects, run directories, POSIX shm/mq names, processes).
#pragma once

#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "util/temp_dir.h"

namespace faultline::test {

std::filesystem::path build_dir();
std::filesystem::path faultline_exe();      // build/bin/faultline
std::filesystem::path interposer_path();    // build/lib/libfaultline-interpose.so
std::filesystem::path scenarios_dir();      // build/scenarios (copies + built programs)
std::filesystem::path test_programs_dir();  // build/bin (test programs)

struct CommandResult {
  int exit_code = -1;  // -1 when killed by a signal
  int term_signal = 0;
  std::string out;
  std::string err;
};
// Runs argv (no shell), stdin from /dev/null, capturing stdout and stderr.
CommandResult run_command(const std::vector<std::string>& argv,
                          const std::vector<std::string>& extra_env = {});
CommandResult run_faultline(const std::vector<std::string>& args,
                            const std::vector<std::string>& extra_env = {});

// Everything on the machine that a faultline run could leave behind.
struct Leftovers {
  std::set<std::string> sysv;   // "shm 1234", "msg 5", "sem 7"
  std::set<std::string> files;  // /tmp/faultline-*, /dev/shm/faultline*, /dev/mqueue/faultline*,
                                // cgroup groups faultline-*
  bool operator==(const Leftovers&) const = default;
};
Leftovers snapshot_leftovers();
// The cgroup v2 group this test program runs in, its own (leak_guard.cc), or nullopt.
std::optional<std::filesystem::path> suite_cgroup();
// Set by leak_guard.cc when it has put the program in a group of its own. Kept here, not
// there, so that programs using these helpers without the guard (the benchmarks) do not
// link it, and so are not moved into namespaces of their own before main.
void set_suite_cgroup(std::optional<std::filesystem::path> group);
// "" when `after` has nothing that `before` did not; else a description of the difference.
std::string new_leftovers(const Leftovers& before, const Leftovers& after);

// Checks at the end of a scope that nothing new is left on the machine (Catch2 CHECK).
class NothingLeftBehind final {
 public:
  NothingLeftBehind();
  ~NothingLeftBehind();
  NothingLeftBehind(const NothingLeftBehind&) = delete;
  NothingLeftBehind& operator=(const NothingLeftBehind&) = delete;

 private:
  Leftovers before_;
};

// A fresh folder $TMPDIR/<prefix>-XXXXXX, removed with everything in it on destruction.
using faultline::TempDir;

// Points TMPDIR (where run directories go) at a fresh TempDir for the scope, and back after:
// the test then neither sees nor disturbs the runs of other tests, and a `faultline gc` run
// by anyone else does not collect its runs. Declare it before NothingLeftBehind so that the
// check sees the same TMPDIR.
class PrivateTmpdir final {
 public:
  explicit PrivateTmpdir(std::string_view prefix = "fltest-tmpdir");
  ~PrivateTmpdir();
  PrivateTmpdir(const PrivateTmpdir&) = delete;
  PrivateTmpdir& operator=(const PrivateTmpdir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return dir_.path(); }

 private:
  TempDir dir_;
  std::optional<std::string> previous_;
};

// Moves this process into IPC and mount namespaces of its own, with a fresh /dev/shm and
// /dev/mqueue: every System V object, POSIX shared-memory object and message queue it and
// its children see from then on is one of theirs, and theirs are invisible to the rest of
// the machine. Needs root (CAP_SYS_ADMIN) and a single thread. Returns "" when done, else why
// not (the process is then left as it was, or with only the IPC namespace changed).
std::string isolate_ipc_namespace();

// A cgroup v2 group of this process's own, made under the one it is in and joined for the
// scope, so that the groups runs make (docs/how-it-works.md, "When the runner dies") land
// under it; path() is nullopt when the machine gives us none (not root, no cgroup2). On
// destruction the process goes back to its old group and removes this one.
class OwnCgroup final {
 public:
  explicit OwnCgroup(std::string_view prefix);
  ~OwnCgroup();
  OwnCgroup(const OwnCgroup&) = delete;
  OwnCgroup& operator=(const OwnCgroup&) = delete;
  [[nodiscard]] const std::optional<std::filesystem::path>& path() const { return path_; }

 private:
  std::optional<std::filesystem::path> path_;
  std::filesystem::path previous_;
};

// A scenario file in a fresh temporary folder, removed on destruction.
class TempScenario final {
 public:
  explicit TempScenario(const std::string& yaml, const std::string& file_name = "s.yaml");
  ~TempScenario();
  TempScenario(const TempScenario&) = delete;
  TempScenario& operator=(const TempScenario&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  [[nodiscard]] std::filesystem::path dir() const { return dir_.path(); }

 private:
  TempDir dir_{"fltest"};
  std::filesystem::path path_;
};

}  // namespace faultline::test
