// The runner as child subreaper: orphans of the processes it starts come back to it, so that
// it can reap them and make sure nothing it started outlives a run.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

namespace faultline {

// Makes this process a child subreaper for the scope (if it was not one already).
class SubreaperScope final {
 public:
  SubreaperScope();
  ~SubreaperScope();
  SubreaperScope(const SubreaperScope&) = delete;
  SubreaperScope& operator=(const SubreaperScope&) = delete;

 private:
  bool set_here_ = false;
};

// Reaps every child that has exited, without blocking, and tells `on_exit` about each.
void reap_exited_children(const std::function<void(const siginfo_t&)>& on_exit);

// SIGKILLs the given process groups (those still holding one of our descendants) and every
// descendant of this process, again until none is left, and reaps them all. Returns
// "PID COMM" of each process that was still alive when killed. This process must be the
// only owner of its children (a child subreaper cannot tell whose orphan it got), and a
// subreaper: without any child, it has no descendant left to look for in /proc.
[[nodiscard]] std::vector<std::string> kill_and_reap_all_descendants(
    const std::vector<pid_t>& groups);

}  // namespace faultline
