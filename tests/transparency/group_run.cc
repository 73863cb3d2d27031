// See group_run.h.
#include "group_run.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ios>
#include <set>
#include <stdexcept>

#include "processes/process_tree.h"
#include "processes/reaper.h"
#include "processes/spawn_program.h"
#include "util/unique_fd.h"

namespace faultline::test {
namespace {

struct Pipe {
  UniqueFd read, write;
};

Pipe make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    throw std::runtime_error(std::string("pipe2 for a corpus run: ") + std::strerror(errno));
  }
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

// list_processes() can throw std::ios_base::failure when a process exits between the open and
// the read of its /proc/PID/stat (ESRCH from read). Listing again is the remedy: the process is
// then simply gone.
template <typename F>
auto retrying_vanished(F f) {
  for (int attempt = 1;; ++attempt) {
    try {
      return f();
    } catch (const std::ios_base::failure&) {
      if (attempt == 20) throw;
    }
  }
}

// Waits until no descendant of this process is alive, or the deadline. A program may exit
// before a child it did not wait for (socat's SYSTEM helper finishes after socat): such a
// process is on its way out, not a survivor. Each exit is seen through its pidfd.
void let_orphans_finish(std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    reap_exited_children([](const siginfo_t&) {});
    auto live = retrying_vanished([] { return live_descendants(::getpid(), list_processes()); });
    if (live.empty()) return;
    std::vector<UniqueFd> fds;
    std::vector<pollfd> p;
    for (const auto& proc : live) {
      UniqueFd fd(static_cast<int>(::syscall(SYS_pidfd_open, proc.pid, 0)));
      if (!fd) continue;  // gone already
      p.push_back({fd.get(), POLLIN, 0});
      fds.push_back(std::move(fd));
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return;
    if (p.empty()) continue;
    if (::poll(p.data(), p.size(), static_cast<int>(left.count())) == 0) return;
  }
}

}  // namespace

GroupRunResult run_in_own_group(const std::vector<std::string>& argv,
                                const std::vector<std::string>& env,
                                const std::filesystem::path& cwd, std::chrono::seconds timeout,
                                std::chrono::seconds orphan_grace) {
  // Orphans of the command (a background server whose shell died) come back to this process,
  // so that kill_and_reap_all_descendants finds them even outside the group.
  SubreaperScope subreaper;
  Pipe out = make_pipe(), err = make_pipe();

  UniqueFd devnull(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (!devnull) throw std::runtime_error(std::string("open /dev/null: ") + std::strerror(errno));
  ProgramSpec spec;
  spec.argv = argv;
  spec.env = env;
  spec.fds = {{0, devnull.get()}, {1, out.write.get()}, {2, err.write.get()}};
  spec.cwd = cwd.string();
  spec.own_process_group = true;
  // The test runner may ignore or block signals (SIGPIPE above all) that the corpus programs
  // must see with their defaults, as they would from a shell.
  spec.default_signals = true;

  GroupRunResult r;
  StartOutcome started = spawn_program(spec);
  out.write.reset();
  err.write.reset();
  if (!started.child) {
    r.result.err = "spawn of " + argv[0] + " failed: " + std::strerror(started.error);
    return r;
  }
  const pid_t pid = started.child->pid;
  UniqueFd pidfd = std::move(started.child->pidfd);

  const auto deadline = std::chrono::steady_clock::now() + timeout;
  pollfd p[3] = {
      {out.read.get(), POLLIN, 0}, {err.read.get(), POLLIN, 0}, {pidfd.get(), POLLIN, 0}};
  char buf[65536];
  for (;;) {
    if (p[0].fd < 0 && p[1].fd < 0 && p[2].fd < 0) break;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      r.timed_out = true;
      ::kill(-pid, SIGKILL);
      break;
    }
    int n = ::poll(p, 3, static_cast<int>(left.count()));
    if (n < 0 && errno != EINTR) break;
    if (n <= 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t got = ::read(p[i].fd, buf, sizeof buf);
      if (got > 0) {
        (i == 0 ? r.result.out : r.result.err).append(buf, static_cast<size_t>(got));
      } else if (got == 0 || errno != EINTR) {
        p[i].fd = -1;
      }
    }
    if (p[2].fd >= 0 && (p[2].revents & POLLIN)) p[2].fd = -1;  // the command has exited
  }

  const int status = wait_for_exit(pid);
  if (WIFEXITED(status)) r.result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) r.result.term_signal = WTERMSIG(status);
  if (!r.timed_out) let_orphans_finish(std::chrono::steady_clock::now() + orphan_grace);
  // Listed before the kill, so that none goes unreported if the kill has to be retried.
  std::set<std::string> survivors;
  for (const auto& proc :
       retrying_vanished([] { return live_descendants(::getpid(), list_processes()); }))
    survivors.insert(std::to_string(proc.pid) + " " + proc.comm);
  for (auto& s : retrying_vanished([pid] { return kill_and_reap_all_descendants({pid}); }))
    survivors.insert(std::move(s));
  r.survivors.assign(survivors.begin(), survivors.end());
  return r;
}

}  // namespace faultline::test
