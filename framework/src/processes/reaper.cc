// See reaper.h.
#include "processes/reaper.h"

#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <set>

#include "processes/process_tree.h"

namespace faultline {

SubreaperScope::SubreaperScope() {
  int current = 0;
  if (::prctl(PR_GET_CHILD_SUBREAPER, &current) == 0 && current == 0) {
    set_here_ = ::prctl(PR_SET_CHILD_SUBREAPER, 1) == 0;
  }
}

SubreaperScope::~SubreaperScope() {
  if (set_here_) ::prctl(PR_SET_CHILD_SUBREAPER, 0);
}

void reap_exited_children(const std::function<void(const siginfo_t&)>& on_exit) {
  for (;;) {
    siginfo_t info{};
    if (::waitid(P_ALL, 0, &info, WEXITED | WNOHANG) != 0) {
      if (errno == EINTR) continue;
      return;  // ECHILD: no children at all
    }
    if (info.si_pid == 0) return;  // children left, none exited
    on_exit(info);
  }
}

std::vector<std::string> kill_and_reap_all_descendants(const std::vector<pid_t>& groups) {
  std::vector<std::string> killed;
  std::set<pid_t> reported;
  const pid_t self = ::getpid();
  for (;;) {
    // No child at all, not even an unreaped one: then no descendant is left either, since the
    // orphans of our tree are reparented to us (a subreaper). This spares the scan of /proc
    // below in the usual case, where every process has ended and was reaped.
    siginfo_t any{};
    if (::waitid(P_ALL, 0, &any, WEXITED | WNOHANG | WNOWAIT) != 0 && errno == ECHILD) break;
    auto live = live_descendants(self, list_processes());
    // A group id can be reused once its group is empty: signal only groups we still hold.
    for (pid_t g : groups) {
      bool ours =
          std::any_of(live.begin(), live.end(), [g](const ProcStat& p) { return p.pgid == g; });
      if (ours) ::kill(-g, SIGKILL);
    }
    for (const auto& p : live) {
      if (reported.insert(p.pid).second) killed.push_back(std::to_string(p.pid) + " " + p.comm);
      ::kill(p.pid, SIGKILL);
    }
    // Killed grandchildren come back to us as orphans: wait for one child, then look again.
    siginfo_t info{};
    int rc = ::waitid(P_ALL, 0, &info, WEXITED);
    if (rc != 0 && errno == ECHILD) break;
    reap_exited_children([](const siginfo_t&) {});
  }
  return killed;
}

}  // namespace faultline
