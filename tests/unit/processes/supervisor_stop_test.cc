// supervise(): stopping services, the timeout and its diagnostics, interruption, and
// reaping of daemons that escaped their parent.
#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <string>

#include "process_test_support.h"
#include "processes/supervisor.h"
#include "support.h"

namespace faultline::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

SupervisorOptions quick_options() {
  SupervisorOptions o;
  o.timeout = 20s;
  o.backtraces = false;
  return o;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST_CASE("A service gets its stop signal once every task has ended", "[processes]") {
  NothingLeftBehind guard;
  RunnerSignalMask mask;
  auto service = plan("service", {"/bin/sleep", "100"}, Lifetime::service);
  service.stop_signal = SIGUSR1;
  auto task = shell("task", "true");
  task.after = {"service"};
  auto r = supervise({service, task}, quick_options());
  CHECK(r.processes[0].stopped_by_runner);
  CHECK_FALSE(r.processes[0].killed_after_grace);
  CHECK(r.processes[0].term_signal == SIGUSR1);
  check_no_children_left();
}

TEST_CASE("A service that traps its stop signal exits on its own terms", "[processes]") {
  NothingLeftBehind guard;
  RunnerSignalMask mask;
  auto service = shell("service", "trap 'echo stopping; exit 7' TERM; echo armed; sleep 100 & wait",
                       Lifetime::service);
  service.ready = {Readiness::Kind::stdout_regex, "armed", {}};
  auto task = shell("task", "true");
  task.after = {"service"};
  auto r = supervise({service, task}, quick_options());
  CHECK(r.processes[0].stopped_by_runner);
  CHECK(r.processes[0].exited);
  CHECK(r.processes[0].exit_code == 7);
  CHECK(r.processes[0].stdout_text == "armed\nstopping\n");
  check_no_children_left();
}

TEST_CASE("A service that ignores its stop signal is killed after the grace", "[processes]") {
  NothingLeftBehind guard;
  RunnerSignalMask mask;
  auto service = shell("service", "trap '' TERM; echo armed; exec sleep 100", Lifetime::service);
  service.ready = {Readiness::Kind::stdout_regex, "armed", {}};
  service.grace = 200ms;
  auto task = shell("task", "true");
  task.after = {"service"};
  auto begin = Clock::now();
  auto r = supervise({service, task}, quick_options());
  CHECK(r.processes[0].stopped_by_runner);
  CHECK(r.processes[0].killed_after_grace);
  CHECK(r.processes[0].term_signal == SIGKILL);
  CHECK(Clock::now() - begin >= 200ms);
  CHECK(Clock::now() - begin < 10s);
  check_no_children_left();
}

TEST_CASE("A service that exits on its own before the tasks end is only recorded", "[processes]") {
  NothingLeftBehind guard;
  RunnerSignalMask mask;
  auto service = shell("service", "exit 5", Lifetime::service);
  auto task = shell("task", "sleep 0.2");
  auto r = supervise({service, task}, quick_options());
  CHECK(r.processes[0].exit_code == 5);
  CHECK_FALSE(r.processes[0].stopped_by_runner);
  CHECK(r.processes[1].exit_code == 0);
}

TEST_CASE("At the timeout every process is snapshotted, then killed", "[processes]") {
  NothingLeftBehind guard;
  RunnerSignalMask mask;
  SupervisorOptions options = quick_options();
  // Long enough for the shell to have forked its sleep even on a loaded machine.
  options.timeout = 1s;
  auto sleeper = plan("sleeper", {"/bin/sleep", "100"});
  auto waiter = shell("waiter", "sleep 100; true");
  auto late = shell("late", "true");
  late.after = {"sleeper"};
  auto r = supervise({sleeper, waiter, late}, options);
  CHECK(r.timed_out);

  const ProcessOutcome& s = r.processes[0];
  CHECK(s.killed_at_timeout);
  CHECK(s.term_signal == SIGKILL);
  REQUIRE(s.at_timeout.size() == 1);
  CHECK(s.at_timeout[0].pid == s.pid);
  CHECK(s.at_timeout[0].command == "sleep");
  CHECK(s.at_timeout[0].state == "S (sleeping)");
  CHECK(contains(s.at_timeout[0].syscall, "nanosleep("));
  CHECK_FALSE(s.at_timeout[0].wchan.empty());
  CHECK(s.at_timeout[0].backtrace.empty());

  // The shell waits for its sleep child: both are shown.
  const ProcessOutcome& w = r.processes[1];
  CHECK(w.killed_at_timeout);
  REQUIRE(w.at_timeout.size() == 2);
  CHECK(w.at_timeout[0].command == "sh");
  CHECK(contains(w.at_timeout[0].syscall, "wait4("));
  CHECK(w.at_timeout[1].command == "sleep");

  CHECK_FALSE(r.processes[2].started);
  CHECK(r.processes[2].not_started_reason ==
        "the scenario timed out while it waited for sleeper to be ready");
  check_no_children_left();
}

TEST_CASE("At the timeout a process with a timeout signal gets it and may leave last words",
          "[processes]") {
  NothingLeftBehind guard;
  RunnerSignalMask mask;
  SupervisorOptions options = quick_options();
  options.timeout = 1s;
  auto p = shell("talker", "trap 'echo last words; exit 3' TERM; echo armed; sleep 100 & wait");
  p.timeout_signal = SIGTERM;
  auto r = supervise({p}, options);
  CHECK(r.timed_out);
  const ProcessOutcome& o = r.processes[0];
  CHECK(o.killed_at_timeout);
  CHECK_FALSE(o.killed_after_grace);
  CHECK(o.exited);
  CHECK(o.exit_code == 3);
  CHECK(o.stdout_text == "armed\nlast words\n");
  check_no_children_left();
}

TEST_CASE("At the timeout a process that ignores its timeout signal is killed soon after",
          "[processes]") {
  NothingLeftBehind guard;
  RunnerSignalMask mask;
  SupervisorOptions options = quick_options();
  options.timeout = 1s;
  auto p = shell("deaf", "trap '' TERM; exec sleep 100");
  p.timeout_signal = SIGTERM;
  auto begin = Clock::now();
  auto r = supervise({p}, options);
  CHECK(Clock::now() - begin < 5s);
  CHECK(r.processes[0].killed_at_timeout);
  CHECK(r.processes[0].term_signal == SIGKILL);
  check_no_children_left();
}

TEST_CASE("With gdb installed, the timeout snapshot has a backtrace", "[processes]") {
  if (system("command -v gdb >/dev/null 2>&1") != 0) {
    WARN("gdb is not installed: backtraces cannot be tested");
    return;
  }
  NothingLeftBehind guard;
  RunnerSignalMask mask;
  SupervisorOptions options = quick_options();
  options.timeout = 200ms;
  options.backtraces = true;
  auto r = supervise({plan("sleeper", {"/bin/sleep", "100"})}, options);
  REQUIRE(r.processes[0].at_timeout.size() == 1);
  CHECK(contains(r.processes[0].at_timeout[0].backtrace, "#0"));
  check_no_children_left();
}

TEST_CASE("A daemon started with setsid does not survive the run", "[processes]") {
  NothingLeftBehind guard;
  RunnerSignalMask mask;
  auto r = supervise({shell("starter", "setsid sleep 1000 & echo $!; exit 0")}, quick_options());
  REQUIRE(r.processes[0].exit_code == 0);
  pid_t daemon = std::stoi(r.processes[0].stdout_text);
  CHECK_FALSE(process_exists(daemon));
  // "PID setsid" or "PID sleep": it may not have reached its exec yet.
  REQUIRE(r.reaped_orphans.size() == 1);
  CHECK(r.reaped_orphans[0].rfind(std::to_string(daemon) + " ", 0) == 0);
  check_no_children_left();
}

TEST_CASE("A double-forked daemon does not survive the run", "[processes]") {
  NothingLeftBehind guard;
  RunnerSignalMask mask;
  // The starter waits until the grandchild has become sleep, so the orphan's name is
  // certain (the forked subshell is still "sh" until its exec).
  auto r = supervise({shell("starter",
                            "( sleep 1000 & p=$!; "
                            "until [ \"$(cat /proc/$p/comm)\" = sleep ]; do :; done; "
                            "echo $p ); exit 0")},
                     quick_options());
  REQUIRE(r.processes[0].exit_code == 0);
  pid_t daemon = std::stoi(r.processes[0].stdout_text);
  CHECK_FALSE(process_exists(daemon));
  CHECK(r.reaped_orphans == std::vector<std::string>{std::to_string(daemon) + " sleep"});
  check_no_children_left();
}

TEST_CASE("SIGTERM to the runner stops everything at once", "[processes]") {
  NothingLeftBehind guard;
  RunnerSignalMask mask;
  auto service = shell("service", "trap '' TERM; echo armed; exec sleep 100", Lifetime::service);
  service.ready = {Readiness::Kind::stdout_regex, "armed", {}};
  service.grace = 30s;  // an interrupt does not wait that long
  // $PPID of the shell is the supervising process.
  auto task = shell("task", "kill -TERM $PPID; exec sleep 100");
  task.after = {"service"};
  auto waiting = shell("waiting", "true");
  waiting.after = {"task"};
  auto begin = Clock::now();
  auto r = supervise({service, task, waiting}, quick_options());
  CHECK(r.interrupted_by == SIGTERM);
  CHECK(Clock::now() - begin < 5s);
  CHECK(r.processes[0].term_signal == SIGKILL);
  CHECK(r.processes[1].term_signal == SIGTERM);
  CHECK_FALSE(r.processes[2].started);
  CHECK(r.processes[2].not_started_reason == "the runner was interrupted by SIGTERM first");
  check_no_children_left();
}

}  // namespace
}  // namespace faultline::test
