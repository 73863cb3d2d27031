// NothingLeftBehind: the Catch2 check that a test left nothing on the machine, and the
// isolation that makes "nothing" mean "nothing of this test program's".
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

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
//   have 107 bytes), with the folders of the build and source trees carried into it when
//   they lie below;
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
    const std::filesystem::path where = tmp && *tmp ? tmp : "/tmp";
    // A tmpfs there would hide the build tree (this program, the others it runs, the
    // scenarios) when that lies below it, as in a clone under /tmp. The folders below it that
    // hold them are carried into the new tmpfs at their own paths: each is copied as a
    // detached mount first (open_tree), then attached on a folder of the same name in the
    // tmpfs (move_mount). Nothing is made on the machine's file systems, so nothing is left.
    std::vector<std::pair<std::string, int>> carried;
    auto close_all = [&] {
      for (auto& [name, fd] : carried) ::close(fd);
    };
    for (const std::string& name : folders_holding_build_tree(where)) {
      const std::string path = (where / name).string();
      const int fd = ::open_tree(AT_FDCWD, path.c_str(),
                                 OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
      if (fd < 0) {
        const std::string why = "open_tree " + path + ": " + std::strerror(errno);
        close_all();
        return why;
      }
      carried.emplace_back(name, fd);
    }
    // Without nosuid: tests make set-user-ID programs there (AT_SECURE).
    if (::mount("tmpfs", where.c_str(), "tmpfs", 0, "mode=1777") != 0) {
      close_all();
      return "mount tmpfs on " + where.string();
    }
    std::string why;
    for (const auto& [name, fd] : carried) {
      const std::string target = (where / name).string();
      if (why.empty() && (::mkdir(target.c_str(), 0755) != 0 ||
                          ::move_mount(fd, "", AT_FDCWD, target.c_str(),
                                       MOVE_MOUNT_F_EMPTY_PATH) != 0))
        why = "carry " + target + " into the tmpfs: " + std::strerror(errno);
    }
    close_all();
    return why;
  }

  // The names of the folders right below `where` that hold this program, the build tree, the
  // source tree or the current folder.
  static std::set<std::string> folders_holding_build_tree(const std::filesystem::path& where) {
    std::set<std::string> names;
    std::error_code ec;
    const std::filesystem::path top = std::filesystem::weakly_canonical(where, ec);
    if (ec) return names;
    for (const std::filesystem::path& p :
         {std::filesystem::path("/proc/self/exe"), std::filesystem::path(FAULTLINE_BUILD_DIR),
          std::filesystem::path(FAULTLINE_SOURCE_DIR), std::filesystem::current_path(ec)}) {
      const std::filesystem::path real = std::filesystem::weakly_canonical(p, ec);
      if (ec) continue;
      auto [end, rest] = std::mismatch(top.begin(), top.end(), real.begin(), real.end());
      if (end == top.end() && rest != real.end()) names.insert(rest->string());
    }
    return names;
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
