// run_in_parallel(); see parallel_run.h. The workers are this very program (`faultline run
// FILE --json TMP`); their JSON result is read back whole, so reports do not depend on -j.
#include "parallel_run.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "report/json.h"
#include "runner/run_directory.h"

extern char** environ;

namespace faultline::cli {
namespace {

namespace fs = std::filesystem;

// Blocks SIGCHLD, SIGINT and SIGTERM for sigwaitinfo(); restores the mask when done.
class WaitableSignals final {
 public:
  WaitableSignals() {
    ::sigemptyset(&set_);
    for (int s : {SIGCHLD, SIGINT, SIGTERM}) ::sigaddset(&set_, s);
    ::sigprocmask(SIG_BLOCK, &set_, &old_);
  }
  ~WaitableSignals() { ::sigprocmask(SIG_SETMASK, &old_, nullptr); }
  WaitableSignals(const WaitableSignals&) = delete;
  WaitableSignals& operator=(const WaitableSignals&) = delete;
  [[nodiscard]] int wait() const {
    for (;;) {
      int sig = ::sigwaitinfo(&set_, nullptr);
      if (sig > 0) return sig;
      if (errno != EINTR) throw std::runtime_error("sigwaitinfo failed");
    }
  }

 private:
  sigset_t set_{}, old_{};
};

struct Job {
  std::size_t index = 0;
  fs::path json, output;
  bool alone = true;  // no other runner ran beside it
};

pid_t spawn_worker(const fs::path& file, const Job& job, const WorkerArgs& args) {
  std::vector<std::string> argv{"faultline", "run", file.string(), "--json", job.json.string()};
  for (const auto& f : args.faults) argv.insert(argv.end(), {"--fault", f});
  if (args.seed) argv.insert(argv.end(), {"--seed", std::to_string(*args.seed)});
  if (args.verbose) argv.emplace_back("-v");
  if (args.no_backtrace) argv.emplace_back("--no-backtrace");
  if (args.without_faults) argv.emplace_back("--without-faults");
  std::vector<char*> cargv;
  for (auto& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);

  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  ::posix_spawn_file_actions_init(&fa);
  ::posix_spawnattr_init(&attr);
  // The worker's console report is replaced by ours; kept for when it has no result.
  ::posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, job.output.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
  sigset_t none, defaults;
  ::sigemptyset(&none);
  ::sigemptyset(&defaults);
  for (int s : {SIGCHLD, SIGINT, SIGTERM}) ::sigaddset(&defaults, s);
  ::posix_spawnattr_setsigmask(&attr, &none);
  ::posix_spawnattr_setsigdefault(&attr, &defaults);
  // A process group of its own: a terminal's Ctrl-C reaches this process only, which passes
  // it on once (a runner that gets a second SIGINT kills at once, without the grace).
  ::posix_spawnattr_setpgroup(&attr, 0);
  ::posix_spawnattr_setflags(
      &attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
  pid_t pid = 0;
  int rc = ::posix_spawn(&pid, "/proc/self/exe", &fa, &attr, cargv.data(), environ);
  ::posix_spawn_file_actions_destroy(&fa);
  ::posix_spawnattr_destroy(&attr);
  if (rc != 0)
    throw std::runtime_error(
        fmt::format("cannot start a runner for {}: {}", file.string(), std::strerror(rc)));
  return pid;
}

std::string read_all(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The worker's result; a failed one naming the worker's own trouble when it left none.
ScenarioResult collect(const fs::path& file, const Job& job, int status) {
  std::ifstream in(job.json);
  if (in) {
    auto j = nlohmann::json::parse(in, nullptr, false);
    if (!j.is_discarded() && j.contains("scenarios") && j["scenarios"].size() == 1) {
      return scenario_from_json(j["scenarios"][0]);
    }
  }
  ScenarioResult r;
  r.scenario = file.stem().string();
  r.file = file;
  std::string how = WIFEXITED(status) ? fmt::format("exited with status {}", WEXITSTATUS(status))
                                      : fmt::format("was killed by signal {}", WTERMSIG(status));
  r.violations.push_back(
      {"setup", "", fmt::format("the run of {} {} and left no result", file.string(), how)});
  r.notes.push_back("its output: " + read_all(job.output));
  return r;
}

}  // namespace

std::vector<ScenarioResult> run_in_parallel(const std::vector<fs::path>& files,
                                            const WorkerArgs& args, int jobs,
                                            const std::function<void(const ScenarioResult&)>& done,
                                            int* interrupted) {
  RunDirectory scratch("jobs");  // owned like a run's folder, so gc leaves it alone
  WaitableSignals signals;
  std::vector<std::optional<ScenarioResult>> results(files.size());
  std::map<pid_t, Job> running;
  // Scenarios still to start, in order; one that met a shared limit goes back to the front.
  std::deque<std::size_t> queue;
  for (std::size_t i = 0; i < files.size(); ++i) queue.push_back(i);
  std::vector<unsigned> attempts(files.size(), 0);
  // Lowered when a scenario could not be provisioned within a per-user or system limit
  // (RLIMIT_MSGQUEUE, msgmni ...) while others ran: as many run at once as fitted.
  std::size_t width = static_cast<std::size_t>(jobs);
  *interrupted = 0;
  try {
    while (!queue.empty() || !running.empty()) {
      while (!*interrupted && !queue.empty() && running.size() < width) {
        const std::size_t index = queue.front();
        queue.pop_front();
        const unsigned attempt = attempts[index]++;
        Job job{index, scratch.path() / fmt::format("{}-{}.json", index, attempt),
                scratch.path() / fmt::format("{}-{}.out", index, attempt)};
        running.emplace(spawn_worker(files[index], job, args), job);
      }
      if (running.size() > 1)
        for (auto& [pid, job] : running) job.alone = false;
      if (*interrupted && running.empty()) break;
      int sig = signals.wait();
      if (sig == SIGINT || sig == SIGTERM) {
        if (!*interrupted) *interrupted = sig;
        for (const auto& [pid, job] : running) ::kill(pid, sig);
        continue;
      }
      int status = 0;
      pid_t pid;
      while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
        auto it = running.find(pid);
        if (it == running.end()) continue;
        Job job = it->second;
        running.erase(it);
        ScenarioResult r = collect(files[job.index], job, status);
        if (r.setup_limit && !job.alone && !*interrupted) {
          // The limit is shared with the runs beside it: wait for them rather than fail at
          // random. Started alone, it would have failed for good.
          width = std::max<std::size_t>(1, running.size());
          queue.push_front(job.index);
          continue;
        }
        if (attempts[job.index] > 1)
          r.notes.push_back(fmt::format(
              "set up at attempt {}: a per-user or system limit was reached while other "
              "scenarios ran, so it waited for them (-j ran {} at once from then on)",
              attempts[job.index], width));
        done(r);
        results[job.index] = std::move(r);
      }
    }
  } catch (...) {
    // No runner may outlive this one: stop them and let them clean up after themselves.
    for (const auto& [pid, job] : running) ::kill(pid, SIGTERM);
    for (const auto& [pid, job] : running) {
      int status = 0;
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
    }
    throw;
  }
  std::vector<ScenarioResult> out;
  for (auto& r : results) {
    if (r) out.push_back(std::move(*r));
  }
  return out;
}

}  // namespace faultline::cli
