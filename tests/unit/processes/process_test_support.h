// Helpers for the supervisor tests: plans running /bin/sh, the signal mask the runner sets,
// and a check that the test process has no child left.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "processes/process_tree.h"
#include "processes/supervisor.h"
#include "support.h"

namespace faultline::test {

inline std::vector<std::string> current_environment() {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) env.emplace_back(*e);
  return env;
}

inline LaunchPlan plan(std::string name, std::vector<std::string> argv,
                       Lifetime lifetime = Lifetime::task) {
  LaunchPlan p;
  p.name = std::move(name);
  p.argv = std::move(argv);
  p.env = current_environment();
  p.lifetime = lifetime;
  return p;
}

inline LaunchPlan shell(std::string name, std::string script, Lifetime lifetime = Lifetime::task) {
  return plan(std::move(name), {"/bin/sh", "-c", std::move(script)}, lifetime);
}

// The runner blocks SIGINT, SIGTERM and SIGCHLD before it supervises; so does each test.
class RunnerSignalMask final {
 public:
  RunnerSignalMask() {
    sigset_t set = runner_signals();
    pthread_sigmask(SIG_BLOCK, &set, &previous_);
  }
  ~RunnerSignalMask() {
    // A signal the supervisor failed to consume must not kill the test binary.
    sigset_t set = runner_signals();
    timespec zero{};
    while (sigtimedwait(&set, nullptr, &zero) > 0) {
    }
    pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
  }
  RunnerSignalMask(const RunnerSignalMask&) = delete;
  RunnerSignalMask& operator=(const RunnerSignalMask&) = delete;

 private:
  static sigset_t runner_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGCHLD);
    return set;
  }
  sigset_t previous_;
};

// No child (live or zombie) and no descendant of the test process is left.
inline void check_no_children_left() {
  siginfo_t info{};
  int rc = waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT);
  CHECK(rc == -1);
  CHECK(errno == ECHILD);
  CHECK(live_descendants(getpid(), list_processes()).empty());
}

inline bool process_exists(pid_t pid) { return kill(pid, 0) == 0 || errno != ESRCH; }

}  // namespace faultline::test
