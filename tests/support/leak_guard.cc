// NothingLeftBehind: the Catch2 check that a test left nothing on the machine, and the
// isolation that makes "nothing" mean "nothing of this test program's".
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <optional>
#include <string>

#include "support.h"

namespace faultline::test {
namespace {

// Test programs of other suites (other worktrees, other builds, CI jobs) run beside this one
// on the same machine, and their runs come and go while a test's guard is watching: the guard
// must see this program's objects only, without looking away from any of them. So every
// program that uses the guard starts apart, before main (while it has one thread):
// - in IPC and mount namespaces of its own, with a fresh /dev/shm and /dev/mqueue (root
//   only): every System V object and POSIX name it sees was made by it or its children;
// - in a cgroup v2 group of its own, under which its runs make their groups;
// - with a TMPDIR of its own (mode 1777, as /tmp, for tests that hand folders to another
//   user), where its runs make their folders.
// Without root only the TMPDIR is its own, and the guard compares System V objects, POSIX
// names and cgroups machine-wide, as before.
class SuiteApart final {
 public:
  SuiteApart()
      : namespaces_(isolate_ipc_namespace()), cgroup_("fltest-suite"), tmpdir_("fltest-suite") {
    ::chmod(tmpdir_.path().c_str(), 01777);
    if (const char* old = std::getenv("TMPDIR")) previous_tmpdir_ = old;
    ::setenv("TMPDIR", tmpdir_.path().c_str(), 1);
  }
  ~SuiteApart() {
    if (previous_tmpdir_)
      ::setenv("TMPDIR", previous_tmpdir_->c_str(), 1);
    else
      ::unsetenv("TMPDIR");
  }
  SuiteApart(const SuiteApart&) = delete;
  SuiteApart& operator=(const SuiteApart&) = delete;

  [[nodiscard]] bool own_ipc() const { return namespaces_.empty(); }
  [[nodiscard]] const std::optional<std::filesystem::path>& cgroup() const {
    return cgroup_.path();
  }

 private:
  std::string namespaces_;  // "" when isolated, else why not
  OwnCgroup cgroup_;
  TempDir tmpdir_;
  std::optional<std::string> previous_tmpdir_;
};

SuiteApart& suite_apart() {
  static SuiteApart apart;
  return apart;
}

// Before main: unshare() refuses a process with threads.
[[maybe_unused]] const SuiteApart& kSuiteApartAtStart = suite_apart();

}  // namespace

std::optional<std::filesystem::path> suite_cgroup() { return suite_apart().cgroup(); }

NothingLeftBehind::NothingLeftBehind() : before_(snapshot_leftovers()) {}
NothingLeftBehind::~NothingLeftBehind() {
  std::string diff = new_leftovers(before_, snapshot_leftovers());
  INFO("left behind:\n" << diff);
  CHECK(diff.empty());
}

}  // namespace faultline::test
