// run_in_parallel(); see parallel_run.h. The workers are forked from this process, not
// exec'd: they hold the scenarios and options already, and from one run to the next they keep
// a warm heap and no program to load (a fresh `faultline run` per scenario cost more CPU than
// the run itself: docs/performance.md). Each result comes back as the JSON of `--json` in a
// file of the scratch folder, read back whole, so reports do not depend on -j.
#include "parallel_run.h"

#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <deque>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <stdexcept>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "report/json.h"
#include "runner/run_directory.h"
#include "util/unique_fd.h"

namespace faultline::cli {
namespace {

namespace fs = std::filesystem;

// Blocks SIGCHLD, SIGINT and SIGTERM, which a signalfd then reports; restores the mask when
// done. The workers inherit the mask: their supervisors read SIGINT/SIGTERM the same way.
class ParentSignals final {
 public:
  ParentSignals() {
    ::sigemptyset(&set_);
    for (int s : {SIGCHLD, SIGINT, SIGTERM}) ::sigaddset(&set_, s);
    ::sigprocmask(SIG_BLOCK, &set_, &old_);
    fd_.reset(::signalfd(-1, &set_, SFD_NONBLOCK | SFD_CLOEXEC));
    if (!fd_) {
      ::sigprocmask(SIG_SETMASK, &old_, nullptr);
      throw std::runtime_error(fmt::format("signalfd failed: {}", std::strerror(errno)));
    }
  }
  ~ParentSignals() { ::sigprocmask(SIG_SETMASK, &old_, nullptr); }
  ParentSignals(const ParentSignals&) = delete;
  ParentSignals& operator=(const ParentSignals&) = delete;
  [[nodiscard]] int fd() const { return fd_.get(); }

 private:
  sigset_t set_{}, old_{};
  UniqueFd fd_;
};

// One message each way: "run scenario `index` (attempt `attempt`)", and the same back once its
// result is in its file.
struct Task {
  std::uint32_t index = 0;
  std::uint32_t attempt = 0;
};

fs::path result_file(const fs::path& scratch, const Task& t) {
  return scratch / fmt::format("{}-{}.json", t.index, t.attempt);
}

// The JSON of `--json`, without its indentation: only the parent reads it.
void write_result(const fs::path& file, const std::vector<ScenarioResult>& result) {
  std::ofstream out(file);
  out << to_json(result).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  out.close();
  if (!out) throw std::runtime_error("cannot write " + file.string());
}

// The worker's whole life: runs what it is sent until the parent closes its end or the run
// was interrupted, then _exit()s (the parent's objects are not its to destroy).
[[noreturn]] void worker_main(const std::vector<Scenario>& scenarios, const RunOptions& options,
                              const fs::path& scratch, int channel, pid_t parent) {
  // A parent SIGKILLed takes its workers with it, as one runner would die: their run folders
  // are then a dead run's, which `faultline gc` and the next run collect (a worker left alone
  // would finish its scenario and keep its folder "alive" meanwhile). Checked after the
  // prctl: a parent that died before it would not send the signal.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(3);
  // Own process group: a terminal's Ctrl-C reaches the parent only, which passes it on once
  // (a runner that gets a second SIGINT kills at once, without the grace).
  ::setpgid(0, 0);
  int status = 0;
  try {
    Runner runner(options);
    Task t;
    while (::recv(channel, &t, sizeof t, 0) == static_cast<ssize_t>(sizeof t)) {
      if (t.index >= scenarios.size()) break;
      std::vector<ScenarioResult> result{runner.run(scenarios[t.index])};
      const bool interrupted = result[0].interrupted_by != 0;
      write_result(result_file(scratch, t), result);
      if (::send(channel, &t, sizeof t, MSG_NOSIGNAL) != static_cast<ssize_t>(sizeof t)) break;
      if (interrupted) break;
    }
  } catch (const std::exception& e) {
    std::cerr << "faultline: " << e.what() << '\n';
    status = 3;
  }
  ::_exit(status);
}

struct Job {
  Task task;
  bool alone = true;  // no other runner ran beside it
};

struct Worker {
  pid_t pid = -1;
  UniqueFd channel;        // SOCK_SEQPACKET, one Task per message; closed: the worker ended
  std::optional<Job> job;  // what it runs now
};

// The worker's result; a failed one naming the worker's own trouble when it left none.
ScenarioResult collect(const Scenario& scenario, const fs::path& file,
                       std::optional<int> wait_status) {
  std::ifstream in(file);
  if (in) {
    // Parsed from memory: from the stream itself, nlohmann reads one character at a time.
    const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (!j.is_discarded() && j.contains("scenarios") && j["scenarios"].size() == 1) {
      return scenario_from_json(j["scenarios"][0]);
    }
  }
  ScenarioResult r;
  r.scenario = scenario.name;
  r.file = scenario.file;
  std::string how = !wait_status ? "stopped"
                    : WIFEXITED(*wait_status)
                        ? fmt::format("exited with status {}", WEXITSTATUS(*wait_status))
                        : fmt::format("was killed by signal {}", WTERMSIG(*wait_status));
  r.violations.push_back(
      {"setup", "",
       fmt::format("the runner of {} {} and left no result", scenario.file.string(), how)});
  return r;
}

}  // namespace

std::vector<ScenarioResult> run_in_parallel(
    const std::vector<Scenario>& scenarios, const RunOptions& options, int jobs,
    const std::function<void(std::size_t, ScenarioResult&)>& done, int* interrupted,
    const std::function<bool(std::size_t)>& wanted) {
  RunDirectory scratch("jobs");  // owned like a run's folder, so gc leaves it alone
  ParentSignals signals;
  std::vector<std::optional<ScenarioResult>> results(scenarios.size());
  std::vector<Worker> workers;
  // Scenarios still to start, in order; one that met a shared limit goes back to the front.
  std::deque<std::size_t> queue;
  for (std::size_t i = 0; i < scenarios.size(); ++i) queue.push_back(i);
  std::vector<unsigned> attempts(scenarios.size(), 0);
  // Lowered when a scenario could not be provisioned within a per-user or system limit
  // (RLIMIT_MSGQUEUE, msgmni ...) while others ran: as many run at once as fitted.
  std::size_t width = static_cast<std::size_t>(std::max(1, jobs));
  *interrupted = 0;

  auto busy = [&] {
    return static_cast<std::size_t>(std::count_if(
        workers.begin(), workers.end(), [](const Worker& w) { return w.job.has_value(); }));
  };
  auto start_worker = [&]() -> Worker& {
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0)
      throw std::runtime_error(fmt::format("cannot start a runner: {}", std::strerror(errno)));
    UniqueFd mine(pair[0]), theirs(pair[1]);
    std::cout.flush();
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0)
      throw std::runtime_error(fmt::format("cannot start a runner: {}", std::strerror(errno)));
    if (pid == 0) {
      // Only its own end: another worker's channel held here would never see its end.
      for (const auto& w : workers) ::close(w.channel.get());
      ::close(mine.get());
      ::close(signals.fd());
      worker_main(scenarios, options, scratch.path(), theirs.get(), parent);
    }
    workers.push_back({pid, std::move(mine), std::nullopt});
    return workers.back();
  };
  // A finished job: its result, or back to the queue when a shared limit stopped it.
  auto finish = [&](const Job& job, std::optional<int> wait_status) {
    const std::size_t index = job.task.index;
    ScenarioResult r =
        collect(scenarios[index], result_file(scratch.path(), job.task), wait_status);
    if (r.setup_limit && !job.alone && !*interrupted) {
      // The limit is shared with the runs beside it: wait for them rather than fail at
      // random. Started alone, it would have failed for good.
      width = std::max<std::size_t>(1, busy());
      queue.push_front(index);
      return;
    }
    if (attempts[index] > 1)
      r.notes.push_back(
          fmt::format("set up at attempt {}: a per-user or system limit was reached while other "
                      "scenarios ran, so it waited for them (-j ran {} at once from then on)",
                      attempts[index], width));
    done(index, r);
    results[index] = std::move(r);
  };
  // Results a worker has sent; false once its channel is closed.
  auto receive = [&](Worker& w) {
    Task t;
    ssize_t n;
    while ((n = ::recv(w.channel.get(), &t, sizeof t, MSG_DONTWAIT)) ==
           static_cast<ssize_t>(sizeof t)) {
      if (!w.job || w.job->task.index != t.index || w.job->task.attempt != t.attempt) continue;
      Job job = *w.job;
      w.job.reset();
      finish(job, std::nullopt);
    }
    return n != 0;
  };
  auto dispatch = [&] {
    while (!*interrupted && !queue.empty() && busy() < width) {
      if (wanted && !wanted(queue.front())) {
        queue.pop_front();
        continue;
      }
      auto idle = std::find_if(workers.begin(), workers.end(),
                               [](const Worker& w) { return !w.job && w.channel; });
      Worker& w = idle != workers.end() ? *idle : start_worker();
      const std::size_t index = queue.front();
      Task t{static_cast<std::uint32_t>(index), attempts[index]};
      if (::send(w.channel.get(), &t, sizeof t, MSG_NOSIGNAL) != static_cast<ssize_t>(sizeof t)) {
        w.channel.reset();  // it has ended (reaped below); another worker takes the scenario
        continue;
      }
      queue.pop_front();
      ++attempts[index];
      w.job = Job{t, true};
    }
    if (busy() > 1)
      for (auto& w : workers)
        if (w.job) w.job->alone = false;
  };
  auto reap = [&] {
    int status = 0;
    pid_t pid;
    while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
      auto it = std::find_if(workers.begin(), workers.end(),
                             [pid](const Worker& w) { return w.pid == pid; });
      if (it == workers.end()) continue;
      if (it->channel) (void)receive(*it);  // a result sent before it ended
      std::optional<Job> lost = it->job;    // it ended in the middle of a run
      workers.erase(it);
      if (lost) finish(*lost, status);
    }
  };

  // Every worker is waited for, and idle ones end when their channel closes.
  auto end_workers = [&] {
    for (auto& w : workers) w.channel.reset();
    for (const auto& w : workers) {
      int status = 0;
      while (::waitpid(w.pid, &status, 0) < 0 && errno == EINTR) {
      }
    }
    workers.clear();
  };
  try {
    dispatch();
    while (busy() > 0 || (!*interrupted && !queue.empty())) {
      std::vector<pollfd> fds{{signals.fd(), POLLIN, 0}};
      std::vector<Worker*> polled;
      for (auto& w : workers) {
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
      if (fds[0].revents != 0) {
        signalfd_siginfo info;
        bool child = false;
        while (::read(signals.fd(), &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
          const int sig = static_cast<int>(info.ssi_signo);
          if (sig == SIGCHLD) {
            child = true;
            continue;
          }
          if (!*interrupted) *interrupted = sig;
          for (const auto& w : workers)
            if (w.job) ::kill(w.pid, sig);
        }
        if (child) reap();
      }
      dispatch();
    }
  } catch (...) {
    // No runner may outlive this one: stop them and let them clean up after themselves.
    for (const auto& w : workers)
      if (w.job) ::kill(w.pid, SIGTERM);
    end_workers();
    throw;
  }
  end_workers();
  std::vector<ScenarioResult> out;
  for (auto& r : results) {
    if (r) out.push_back(std::move(*r));
  }
  return out;
}

}  // namespace faultline::cli
