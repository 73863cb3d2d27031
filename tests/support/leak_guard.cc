// NothingLeftBehind: the Catch2 check that a test left nothing on the machine, and the
// isolation that makes "nothing" mean "nothing of this test program's".
#include <sys/mount.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

#include "support.h"

namespace faultline::test {
namespace {

// Test programs of other suites (other worktrees, other builds, CI jobs) run beside this one
// on the same machine, and their runs come and go while a test's guard is watching: the guard
// must see this program's objects only, without looking away from any of them. So every
// program that uses the guard starts apart, before main (while it has one thread), as root:
// - in IPC and mount namespaces of its own, with a fresh /dev/shm and /dev/mqueue: every
//   System V object and POSIX name it sees was made by it or its children;
// - with a fresh tmpfs (mode 1777, as /tmp) on $TMPDIR (or /tmp), where its runs make their
//   folders (a mount, not a folder of its own: paths stay as short, and unix socket paths
//   have 107 bytes);
// - in a cgroup v2 group of its own, under which its runs make theirs.
// Without root nothing changes, and the guard compares what it sees machine-wide, as before.
class SuiteApart final {
 public:
  SuiteApart() : namespaces_(isolate()), cgroup_("fltest-suite") {
    set_suite_cgroup(cgroup_.path());
  }
  SuiteApart(const SuiteApart&) = delete;
  SuiteApart& operator=(const SuiteApart&) = delete;

 private:
  static std::string isolate() {
    std::string why_not = isolate_ipc_namespace();
    if (!why_not.empty()) return why_not;
    const char* tmp = std::getenv("TMPDIR");
    const char* where = tmp && *tmp ? tmp : "/tmp";
    // A tmpfs there would hide the build tree (this program, the others it runs, the
    // scenarios) when that lies below it, as in a clone under /tmp: then only the IPC and
    // cgroup isolation, and the guard lists the run folders there machine-wide.
    if (holds_build_tree(where)) return "";
    // Without nosuid: tests make set-user-ID programs there (AT_SECURE).
    if (::mount("tmpfs", where, "tmpfs", 0, "mode=1777") != 0)
      return std::string("mount tmpfs on ") + where;
    return "";
  }

  static bool holds_build_tree(const char* where) {
    std::error_code ec;
    const std::filesystem::path top = std::filesystem::weakly_canonical(where, ec);
    if (ec) return false;
    for (const std::filesystem::path& p :
         {std::filesystem::path("/proc/self/exe"), std::filesystem::path(FAULTLINE_BUILD_DIR),
          std::filesystem::current_path(ec)}) {
      const std::filesystem::path real = std::filesystem::weakly_canonical(p, ec);
      if (ec) continue;
      auto [end, rest] = std::mismatch(top.begin(), top.end(), real.begin(), real.end());
      if (end == top.end()) return true;
    }
    return false;
  }

  std::string namespaces_;  // "" when isolated, else why not
  OwnCgroup cgroup_;
};

SuiteApart& suite_apart() {
  static SuiteApart apart;
  return apart;
}

// Before main: unshare() refuses a process with threads.
[[maybe_unused]] const SuiteApart& kSuiteApartAtStart = suite_apart();

}  // namespace

NothingLeftBehind::NothingLeftBehind() : before_(snapshot_leftovers()) {}
NothingLeftBehind::~NothingLeftBehind() {
  std::string diff = new_leftovers(before_, snapshot_leftovers());
  INFO("left behind:\n" << diff);
  CHECK(diff.empty());
}

}  // namespace faultline::test
