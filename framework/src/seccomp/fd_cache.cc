// The supervisor's fd cache; see fd_cache.h.
#include "seccomp/fd_cache.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <string>

#include "util/unique_fd.h"

namespace faultline::seccomp {

const std::vector<int>& fd_table_syscalls() {
  static const std::vector<int> nrs = {
      SYS_close,    SYS_close_range, SYS_dup2,  SYS_dup3,  SYS_execve,
      SYS_execveat, SYS_fork,        SYS_vfork, SYS_clone, SYS_clone3,
  };
  return nrs;
}

bool changes_fd_table(int nr) {
  const auto& nrs = fd_table_syscalls();
  return std::find(nrs.begin(), nrs.end(), nr) != nrs.end();
}

void FdCache::seen(pid_t tid, int nr, std::uint64_t arg0, std::uint64_t arg1) {
  if (!pending_.empty()) pending_.erase(tid);
  if (!changes_fd_table(nr)) return;
  pending_[tid] = nr;
  // The fds a call closes or replaces; the fd numbers are ints, whatever the upper bits.
  auto fd = [&](int i) { return static_cast<std::uint32_t>(i == 0 ? arg0 : arg1); };
  std::uint32_t lo = 1, hi = 0;  // none
  if (nr == SYS_close) lo = hi = fd(0);
  if (nr == SYS_dup2 || nr == SYS_dup3) lo = hi = fd(1);
  if (nr == SYS_close_range) {
    lo = fd(0);
    hi = fd(1);
  }
  if (lo > hi) {
    facts_.clear();
    return;
  }
  std::erase_if(facts_, [&](const auto& kv) {
    const auto n = static_cast<std::uint32_t>(kv.first);
    return n >= lo && n <= hi;
  });
}

void FdCache::disable() {
  enabled_ = false;
  facts_.clear();
}

const FdFacts* FdCache::find(pid_t tid, int fd) const {
  if (facts_.empty()) return nullptr;
  auto it = facts_.find(key(tid, fd));
  return it == facts_.end() ? nullptr : &it->second;
}

bool FdCache::may_store() {
  if (!enabled_) return false;
  // A task's fd-table change has completed once it is in another system call or in none
  // (-1: in user space), or gone. While it is still in that call, nothing is remembered.
  for (auto it = pending_.begin(); it != pending_.end();) {
    UniqueFd f(
        ::open(("/proc/" + std::to_string(it->first) + "/syscall").c_str(), O_RDONLY | O_CLOEXEC));
    // Gone: its call is over. Not allowed to look (no ptrace access): it may still be in it.
    bool done = !f && (errno == ENOENT || errno == ESRCH);
    if (f) {
      char buf[32] = {};
      ssize_t n = ::read(f.get(), buf, sizeof buf - 1);
      // "running": on a CPU right now, in the call or not; looked at again next time.
      done = n > 0 && buf[0] != 'r' && std::atoi(buf) != it->second;
    }
    it = done ? pending_.erase(it) : std::next(it);
  }
  return pending_.empty();
}

void FdCache::store(pid_t tid, int fd, const FdFacts& facts) { facts_[key(tid, fd)] = facts; }

}  // namespace faultline::seccomp
