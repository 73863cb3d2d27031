// run_in_workers(); see worker_pool.h. One SOCK_SEQPACKET socketpair per worker: the job's
// number one way; the other way, one message: a ReplyHead, then the reply.
#include "util/worker_pool.h"

#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <exception>
#include <iostream>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>

#include "util/unique_fd.h"

namespace faultline {
namespace {

using Clock = std::chrono::steady_clock;

// Blocks SIGCHLD, SIGINT and SIGTERM, which a signalfd then reports; restores the mask when
// done. The workers start with the mask from before.
class PoolSignals final {
 public:
  PoolSignals() {
    ::sigemptyset(&set_);
    for (int s : {SIGCHLD, SIGINT, SIGTERM}) ::sigaddset(&set_, s);
    ::sigprocmask(SIG_BLOCK, &set_, &old_);
    fd_.reset(::signalfd(-1, &set_, SFD_NONBLOCK | SFD_CLOEXEC));
    if (!fd_) {
      ::sigprocmask(SIG_SETMASK, &old_, nullptr);
      throw std::runtime_error(fmt::format("signalfd failed: {}", std::strerror(errno)));
    }
  }
  ~PoolSignals() { ::sigprocmask(SIG_SETMASK, &old_, nullptr); }
  PoolSignals(const PoolSignals&) = delete;
  PoolSignals& operator=(const PoolSignals&) = delete;
  [[nodiscard]] int fd() const { return fd_.get(); }
  [[nodiscard]] const sigset_t& before() const { return old_; }

 private:
  sigset_t set_{}, old_{};
  UniqueFd fd_;
};

struct ReplyHead {
  std::uint32_t id = 0;    // the job's
  std::uint32_t ends = 0;  // 1: the worker ends now, send it nothing more
};

struct Job {
  std::uint32_t id = 0;
  bool alone = true;  // no other job ran beside it
};

struct Worker {
  pid_t pid = -1;
  UniqueFd channel;        // closed: the worker has ended (or is ending)
  std::optional<Job> job;  // what it runs now
};

// The worker's whole life: runs what it is sent until the parent closes its end or a job
// says stop, then _exit()s (the parent's objects are not its to destroy).
[[noreturn]] void worker_main(const WorkerPoolJobs& jobs, int channel, const sigset_t& mask,
                              pid_t parent) {
  // A parent SIGKILLed takes its workers with it, as one runner would die: their run folders
  // are then a dead run's, which `faultline gc` and the next run collect (a worker left alone
  // would finish its job and keep its folder "alive" meanwhile). Checked after the prctl: a
  // parent that died before it would not send the signal.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(3);
  // Its own process group: a terminal's Ctrl-C reaches the parent only, which passes it on.
  ::setpgid(0, 0);
  ::sigprocmask(SIG_SETMASK, &mask, nullptr);
  int status = 0;
  try {
    if (jobs.on_fork) jobs.on_fork();
    std::uint32_t id = 0;
    std::string message;
    while (::recv(channel, &id, sizeof id, 0) == static_cast<ssize_t>(sizeof id)) {
      std::string reply;
      const bool go_on = jobs.work(id, reply);
      if (reply.size() > jobs.max_reply) reply.resize(jobs.max_reply);
      const ReplyHead head{id, go_on ? 0u : 1u};
      message.assign(reinterpret_cast<const char*>(&head), sizeof head);
      message.append(reply);
      if (::send(channel, message.data(), message.size(), MSG_NOSIGNAL) !=
          static_cast<ssize_t>(message.size()))
        break;
      if (!go_on) break;
    }
  } catch (const std::exception& e) {
    std::cerr << "faultline: " << e.what() << '\n';
    status = 3;
  } catch (...) {
    status = 3;
  }
  std::cerr.flush();
  ::_exit(status);
}

class Pool final {
 public:
  Pool(const WorkerPoolJobs& jobs, int* interrupted) : jobs_(jobs), interrupted_(interrupted) {}
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  void run() {
    *interrupted_ = 0;
    try {
      dispatch();
      while (busy() > 0) {
        std::vector<pollfd> fds{{signals_.fd(), POLLIN, 0}};
        std::vector<Worker*> polled;
        for (auto& w : workers_) {
          if (!w.job || !w.channel) continue;
          fds.push_back({w.channel.get(), POLLIN, 0});
          polled.push_back(&w);
        }
        if (::poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR)
          throw std::runtime_error(fmt::format("poll failed: {}", std::strerror(errno)));
        for (std::size_t k = 0; k < polled.size(); ++k) {
          // A closed channel: the worker has ended; reap() tells how.
          if (fds[k + 1].revents != 0 && !receive(*polled[k])) polled[k]->channel.reset();
        }
        if (fds[0].revents != 0) read_signals();
        dispatch();
      }
    } catch (...) {
      // No runner may outlive this one: stop them and let them clean up after themselves.
      for (const auto& w : workers_)
        if (w.job) ::kill(w.pid, SIGTERM);
      end_workers();
      throw;
    }
    end_workers();
  }

 private:
  [[nodiscard]] std::size_t busy() const {
    return static_cast<std::size_t>(std::count_if(
        workers_.begin(), workers_.end(), [](const Worker& w) { return w.job.has_value(); }));
  }

  Worker& start_worker() {
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0)
      throw std::runtime_error(fmt::format("cannot start a worker: {}", std::strerror(errno)));
    UniqueFd mine(pair[0]), theirs(pair[1]);
    std::cout.flush();
    std::cerr.flush();
    const pid_t parent = ::getpid();
    const auto fork_start = Clock::now();
    const pid_t pid = ::fork();
    if (pid < 0)
      throw std::runtime_error(fmt::format("cannot start a worker: {}", std::strerror(errno)));
    if (pid == 0) {
      // Only its own end: another worker's channel held here would never see its end.
      for (const auto& w : workers_) ::close(w.channel.get());
      ::close(mine.get());
      ::close(signals_.fd());
      worker_main(jobs_, theirs.get(), signals_.before(), parent);
    }
    if (jobs_.forked)
      jobs_.forked(std::chrono::duration<double, std::milli>(Clock::now() - fork_start).count());
    ::setpgid(pid, pid);  // also here: no race with a signal passed on at once
    workers_.push_back({pid, std::move(mine), std::nullopt});
    if (jobs_.started) jobs_.started(pid);
    return workers_.back();
  }

  void dispatch() {
    while (!*interrupted_ && busy() < std::max<std::size_t>(1, jobs_.width())) {
      if (!pending_) pending_ = jobs_.next();
      if (!pending_) break;
      auto idle = std::find_if(workers_.begin(), workers_.end(),
                               [](const Worker& w) { return !w.job && w.channel; });
      Worker& w = idle != workers_.end() ? *idle : start_worker();
      const std::uint32_t id = *pending_;
      if (::send(w.channel.get(), &id, sizeof id, MSG_NOSIGNAL) !=
          static_cast<ssize_t>(sizeof id)) {
        w.channel.reset();  // it has ended (reaped later); another worker takes the job
        continue;
      }
      pending_.reset();
      w.job = Job{id, true};
    }
    if (busy() > 1)
      for (auto& w : workers_)
        if (w.job) w.job->alone = false;
  }

  // Replies a worker has sent; false once its channel is closed.
  bool receive(Worker& w) {
    buffer_.resize(sizeof(ReplyHead) + jobs_.max_reply);
    ssize_t n;
    while ((n = ::recv(w.channel.get(), buffer_.data(), buffer_.size(), MSG_DONTWAIT)) >=
           static_cast<ssize_t>(sizeof(ReplyHead))) {
      ReplyHead head;
      std::memcpy(&head, buffer_.data(), sizeof head);
      if (!w.job || w.job->id != head.id) continue;
      const Job job = *w.job;
      w.job.reset();
      jobs_.done(
          job.id,
          std::string_view(buffer_.data() + sizeof head, static_cast<std::size_t>(n) - sizeof head),
          job.alone);
      if (head.ends != 0) return false;  // ending: reaped later, never sent another job
    }
    return n != 0;
  }

  void read_signals() {
    signalfd_siginfo info;
    bool child = false;
    while (::read(signals_.fd(), &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
      const int sig = static_cast<int>(info.ssi_signo);
      if (sig == SIGCHLD) {
        child = true;
        continue;
      }
      if (*interrupted_ && !jobs_.pass_every_signal) continue;
      if (!*interrupted_) *interrupted_ = sig;
      for (const auto& w : workers_)
        if (w.job) ::kill(w.pid, sig);
    }
    if (child) reap();
  }

  void reap() {
    int status = 0;
    pid_t pid;
    while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
      auto it = std::find_if(workers_.begin(), workers_.end(),
                             [pid](const Worker& w) { return w.pid == pid; });
      if (it == workers_.end()) continue;
      if (it->channel) (void)receive(*it);  // a reply sent before it ended
      std::optional<Job> lost = it->job;    // it ended in the middle of a job
      workers_.erase(it);
      if (lost) jobs_.lost(lost->id, status, lost->alone);
    }
  }

  // Idle workers end when their channel closes; every worker is waited for.
  void end_workers() {
    for (auto& w : workers_) w.channel.reset();
    for (const auto& w : workers_) {
      int status = 0;
      while (::waitpid(w.pid, &status, 0) < 0 && errno == EINTR) {
      }
    }
    workers_.clear();
  }

  const WorkerPoolJobs& jobs_;
  int* interrupted_;
  PoolSignals signals_;
  std::vector<Worker> workers_;
  std::optional<std::uint32_t> pending_;  // taken from next(), not yet sent to a worker
  std::string buffer_;
};

}  // namespace

void run_in_workers(const WorkerPoolJobs& jobs, int* interrupted) {
  Pool pool(jobs, interrupted);
  pool.run();
}

}  // namespace faultline
