// How supervise() starts a process: fd wiring, what is not inherited, signal state, cwd.
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "process_test_support.h"
#include "processes/supervisor.h"
#include "support.h"
#include "util/unique_fd.h"

namespace faultline::test {
namespace {

using namespace std::chrono_literals;

// Moves the plans in: a copy left in the test would keep its fds open.
SupervisionResult run(LaunchPlan a, std::optional<LaunchPlan> b = std::nullopt) {
  std::vector<LaunchPlan> plans;
  plans.push_back(std::move(a));
  if (b) plans.push_back(std::move(*b));
  SupervisorOptions o;
  o.timeout = 20s;
  o.backtraces = false;
  return supervise(std::move(plans), o);
}

SupervisorOptions quick_options() {
  SupervisorOptions o;
  o.timeout = 20s;
  o.backtraces = false;
  return o;
}

struct TestPipe {
  std::shared_ptr<UniqueFd> read;
  std::shared_ptr<UniqueFd> write;
};

TestPipe make_pipe() {
  int p[2];
  REQUIRE(pipe2(p, O_CLOEXEC) == 0);
  return {std::make_shared<UniqueFd>(p[0]), std::make_shared<UniqueFd>(p[1])};
}

std::string read_all(int fd) {
  std::string out;
  char buf[256];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
  return out;
}

TEST_CASE("A pipe end wired at fd 3 is what the process writes to", "[processes]") {
  NothingLeftBehind guard;
  RunnerSignalMask mask;
  TestPipe p = make_pipe();
  auto writer = shell("writer", "echo hello >&3");
  writer.fds[3] = p.write;
  p.write.reset();  // the supervisor holds the last reference and drops it once started
  auto r = run(std::move(writer));
  CHECK(r.processes[0].exit_code == 0);
  CHECK(read_all(p.read->get()) == "hello\n");  // EOF: no copy of the write end is left
}

TEST_CASE("Wired fds whose numbers are each other's targets are swapped correctly", "[processes]") {
  NothingLeftBehind guard;
  RunnerSignalMask mask;
  TestPipe a = make_pipe();
  TestPipe b = make_pipe();
  // The sources sit at 40 and 41 and are wired crosswise onto 41 and 40.
  REQUIRE(dup3(a.write->get(), 40, O_CLOEXEC) == 40);
  REQUIRE(dup3(b.write->get(), 41, O_CLOEXEC) == 41);
  a.write = std::make_shared<UniqueFd>(40);
  b.write = std::make_shared<UniqueFd>(41);
  auto writer = plan("writer", {"/usr/bin/python3", "-c",
                                "import os; os.write(41, b'to41\\n'); os.write(40, b'to40\\n')"});
  writer.fds[41] = a.write;
  writer.fds[40] = b.write;
  a.write.reset();
  b.write.reset();
  auto r = run(std::move(writer));
  CHECK(r.processes[0].exit_code == 0);
  CHECK(read_all(a.read->get()) == "to41\n");
  CHECK(read_all(b.read->get()) == "to40\n");
}

TEST_CASE("A process inherits only the fds it is given", "[processes]") {
  NothingLeftBehind guard;
  RunnerSignalMask mask;
  TestPipe p = make_pipe();
  // Not close-on-exec on purpose, and between two wired targets.
  UniqueFd leak(fcntl(p.read->get(), F_DUPFD, 50));
  REQUIRE(leak.get() >= 50);
  REQUIRE(leak.get() < 60);
  auto probe = shell("probe", "for fd in 3 " + std::to_string(leak.get()) +
                                  " 60; do if [ -e /proc/$$/fd/$fd ]; then echo $fd; fi; done");
  probe.fds[3] = p.write;
  probe.fds[60] = p.write;
  auto r = run(std::move(probe));
  CHECK(r.processes[0].stdout_text == "3\n60\n");
}

TEST_CASE("stdin comes from fd 0's wiring, else from /dev/null", "[processes]") {
  NothingLeftBehind guard;
  RunnerSignalMask mask;
  TestPipe p = make_pipe();
  REQUIRE(write(p.write->get(), "input\n", 6) == 6);
  p.write.reset();
  auto fed = plan("fed", {"/bin/cat"});
  fed.fds[0] = p.read;
  p.read.reset();
  auto unfed = plan("unfed", {"/bin/cat"});
  auto r = run(std::move(fed), std::move(unfed));
  CHECK(r.processes[0].stdout_text == "input\n");
  CHECK(r.processes[1].exit_code == 0);
  CHECK(r.processes[1].stdout_text.empty());
}

TEST_CASE("stdout wired to a pipe goes there while stderr is still captured", "[processes]") {
  NothingLeftBehind guard;
  RunnerSignalMask mask;
  TestPipe p = make_pipe();
  auto writer = shell("writer", "echo out; echo err >&2");
  writer.fds[1] = p.write;
  p.write.reset();
  auto r = run(std::move(writer));
  CHECK(read_all(p.read->get()) == "out\n");
  CHECK(r.processes[0].stdout_text.empty());
  CHECK(r.processes[0].stderr_text == "err\n");
}

TEST_CASE("A process starts with no blocked and no ignored signals", "[processes]") {
  NothingLeftBehind guard;
  RunnerSignalMask mask;
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  struct sigaction previous {};
  sigaction(SIGUSR2, &ignore, &previous);
  // grep reads its own status: the shell's, read while dash waits for its child, may show
  // the all-blocked mask dash sets around sigsuspend().
  auto r = supervise({shell("status", "exec grep -E '^Sig(Blk|Ign)' /proc/self/status")},
                     quick_options());
  sigaction(SIGUSR2, &previous, nullptr);
  CHECK(r.processes[0].stdout_text.find("SigBlk:\t0000000000000000\n") != std::string::npos);
  // SIGUSR2 is ignored in the runner, yet not in its child.
  CHECK(r.processes[0].stdout_text.find("SigIgn:\t0000000000000000\n") != std::string::npos);
}

TEST_CASE("A process runs in its own process group and in its cwd", "[processes]") {
  NothingLeftBehind guard;
  RunnerSignalMask mask;
  auto p = shell("p", "echo $$; cut -d' ' -f5 /proc/$$/stat; pwd");
  p.cwd = "/usr";
  auto r = run(std::move(p));
  std::string expected = std::to_string(r.processes[0].pid);
  CHECK(r.processes[0].stdout_text == expected + "\n" + expected + "\n/usr\n");
}

TEST_CASE("A cwd that does not exist is reported as the reason the process did not start",
          "[processes]") {
  NothingLeftBehind guard;
  RunnerSignalMask mask;
  auto p = shell("p", "true");
  p.cwd = "/nonexistent/folder";
  auto r = run(std::move(p));
  CHECK_FALSE(r.processes[0].started);
  CHECK(r.processes[0].not_started_reason.find("/nonexistent/folder") != std::string::npos);
}

TEST_CASE("Starting a process does not copy the runner's memory", "[processes]") {
  NothingLeftBehind guard;
  RunnerSignalMask mask;
  // fork() would write-protect every page of the runner for copy-on-write: the runner's next
  // write to each one is then a page fault (and a copy while the child has not exec'd).
  // Spawned without a copy, writing memory the runner already wrote costs no fault.
  constexpr std::size_t kPages = 8192;
  const std::size_t page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  void* mem =
      mmap(nullptr, kPages * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  REQUIRE(mem != MAP_FAILED);
  (void)madvise(mem, kPages * page, MADV_NOHUGEPAGE);  // one fault per page, not per 2 MiB
  auto* bytes = static_cast<volatile char*>(mem);
  for (std::size_t i = 0; i < kPages; ++i) bytes[i * page] = 1;
  auto r = run(shell("p", "true"));
  REQUIRE(r.processes[0].exit_code == 0);
  auto faults = [] {
    rusage u{};
    getrusage(RUSAGE_THREAD, &u);
    return u.ru_minflt;
  };
  const long before = faults();
  for (std::size_t i = 0; i < kPages; ++i) bytes[i * page] = 2;
  const long after = faults();
  munmap(mem, kPages * page);
  INFO("page faults writing " << kPages << " pages after the spawn: " << after - before);
  CHECK(after - before < static_cast<long>(kPages / 10));
}

}  // namespace
}  // namespace faultline::test
