// spawn_program: the one way faultline, its snapshot and its tests start a program (stdio
// wiring, environment, exit status, failures, process group, signal state, fds kept).
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "processes/spawn_program.h"
#include "runner/leftover_processes.h"
#include "support.h"
#include "util/unique_fd.h"

namespace faultline::test {
namespace {

struct Pipe {
  UniqueFd read;
  UniqueFd write;
};

Pipe make_pipe() {
  int p[2];
  REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
  return {UniqueFd(p[0]), UniqueFd(p[1])};
}

std::string read_all(int fd) {
  std::string out;
  char buf[256];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
  return out;
}

// Runs `sh -c script` with stdout (and, given, stdin and stderr) wired; returns its stdout and
// sets `status` to its wait status.
std::string run_shell(const std::string& script, int& status, ProgramSpec spec = {}) {
  Pipe out = make_pipe();
  spec.argv = {"/bin/sh", "-c", script};
  spec.fds.emplace_back(1, out.write.get());
  StartOutcome started = spawn_program(spec);
  INFO(started.message);
  REQUIRE(started.child);
  out.write.reset();
  std::string text = read_all(out.read.get());
  status = wait_for_exit(started.child->pid);
  return text;
}

TEST_CASE("A spawned program writes to the fds it was given and reads from its stdin") {
  Pipe in = make_pipe(), out = make_pipe(), err = make_pipe();
  ProgramSpec spec;
  spec.argv = {"/bin/sh", "-c", "read line; echo \"out:$line\"; echo \"err:$line\" >&2"};
  spec.fds = {{0, in.read.get()}, {1, out.write.get()}, {2, err.write.get()}};
  StartOutcome started = spawn_program(spec);
  REQUIRE(started.child);
  CHECK(started.child->pidfd.valid());
  in.read.reset();
  out.write.reset();
  err.write.reset();
  REQUIRE(::write(in.write.get(), "hello\n", 6) == 6);
  in.write.reset();
  CHECK(read_all(out.read.get()) == "out:hello\n");
  CHECK(read_all(err.read.get()) == "err:hello\n");
  const int status = wait_for_exit(started.child->pid);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("A spawned program's exit code and killing signal come back through its status") {
  int status = 0;
  (void)run_shell("exit 7", status);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 7);
  (void)run_shell("kill -USR1 $$", status);
  REQUIRE(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGUSR1);
}

TEST_CASE("A spawned program gets exactly the environment it is given") {
  ::setenv("FLTEST_SPAWN_OURS", "ours", 1);
  int status = 0;
  ProgramSpec spec;
  spec.env = std::vector<std::string>{"ONLY=this", "PATH=/usr/bin:/bin"};
  std::string env = run_shell("echo \"[$ONLY][$FLTEST_SPAWN_OURS]\"; env", status, spec);
  ::unsetenv("FLTEST_SPAWN_OURS");
  CHECK(env.rfind("[this][]\n", 0) == 0);
  CHECK(env.find("ONLY=this\n") != std::string::npos);
  CHECK(env.find("FLTEST_SPAWN_OURS") == std::string::npos);
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("Without an environment a spawned program inherits ours") {
  ::setenv("FLTEST_SPAWN_INHERITED", "yes", 1);
  int status = 0;
  CHECK(run_shell("echo \"$FLTEST_SPAWN_INHERITED\"", status) == "yes\n");
  ::unsetenv("FLTEST_SPAWN_INHERITED");
}

TEST_CASE("A program that cannot be executed is reported with the reason, and leaves no child") {
  ProgramSpec spec;
  spec.argv = {"/nonexistent/fltest-no-such-program", "x"};
  StartOutcome missing = spawn_program(spec);
  CHECK_FALSE(missing.child);
  CHECK(missing.error == ENOENT);
  CHECK(missing.message ==
        "cannot execute /nonexistent/fltest-no-such-program: No such file or directory");

  spec.argv = {"/etc/passwd"};
  StartOutcome not_executable = spawn_program(spec);
  CHECK_FALSE(not_executable.child);
  CHECK(not_executable.error == EACCES);

  spec.argv = {"fltest-no-such-program-on-path"};
  spec.search_path = true;
  StartOutcome not_on_path = spawn_program(spec);
  CHECK_FALSE(not_on_path.child);
  CHECK(not_on_path.error == ENOENT);

  spec = {};
  spec.argv = {"/bin/true"};
  spec.cwd = "/nonexistent/fltest-folder";
  StartOutcome bad_folder = spawn_program(spec);
  CHECK_FALSE(bad_folder.child);
  CHECK(bad_folder.error == ENOENT);

  CHECK_FALSE(spawn_program(ProgramSpec{}).child);
  // Each failed child was reaped by spawn_program: nothing is left to wait for.
  CHECK(::waitpid(-1, nullptr, WNOHANG) == -1);
  CHECK(errno == ECHILD);
}

TEST_CASE("A bare program name is looked up on PATH only when asked") {
  Pipe out = make_pipe();
  ProgramSpec spec;
  spec.argv = {"echo", "found"};
  spec.fds = {{1, out.write.get()}};
  StartOutcome without_search = spawn_program(spec);
  CHECK_FALSE(without_search.child);  // no "./echo" here
  spec.search_path = true;
  StartOutcome with_search = spawn_program(spec);
  REQUIRE(with_search.child);
  out.write.reset();
  CHECK(read_all(out.read.get()) == "found\n");
  CHECK(WEXITSTATUS(wait_for_exit(with_search.child->pid)) == 0);
}

TEST_CASE("A spawned program starts in the folder it is given") {
  TempDir dir("fltest-spawn-cwd");
  int status = 0;
  ProgramSpec spec;
  spec.cwd = dir.path().string();
  CHECK(run_shell("pwd -P", status, spec) ==
        std::filesystem::canonical(dir.path()).string() + "\n");
}

TEST_CASE("Fds may be wired crosswise: a source that is another pair's target is not lost") {
  Pipe a = make_pipe(), b = make_pipe();
  // The child's 5 is our a, its 6 our b; then 5 and 6 swap: 5 <- b, 6 <- a.
  UniqueFd a5(::fcntl(a.write.get(), F_DUPFD_CLOEXEC, 5));
  REQUIRE(a5.get() >= 5);
  ProgramSpec spec;
  spec.argv = {"/bin/sh", "-c", "echo to-a >&3; echo to-b >&4"};
  spec.fds = {{3, a5.get()}, {4, b.write.get()}, {a5.get(), b.write.get()}};
  StartOutcome started = spawn_program(spec);
  REQUIRE(started.child);
  a.write.reset();
  a5.reset();
  b.write.reset();
  CHECK(read_all(a.read.get()) == "to-a\n");
  CHECK(read_all(b.read.get()) == "to-b\n");
  CHECK(WEXITSTATUS(wait_for_exit(started.child->pid)) == 0);
}

TEST_CASE("close_other_fds keeps only the wired fds, and without it inheritable fds stay open") {
  UniqueFd inheritable(::open("/dev/null", O_RDONLY));  // no O_CLOEXEC
  REQUIRE(inheritable);
  const std::string probe = "if [ -e /proc/self/fd/" + std::to_string(inheritable.get()) +
                            " ]; then echo open; " + "else echo closed; fi";
  int status = 0;
  CHECK(run_shell(probe, status) == "open\n");
  ProgramSpec spec;
  spec.close_other_fds = true;
  CHECK(run_shell(probe, status, spec) == "closed\n");
}

TEST_CASE("A spawned program leads its own process group only when asked") {
  // "PGID PID" of the shell, from /proc/$$/stat (its comm, sh, has no space).
  const std::string script = "set -- $(cat /proc/$$/stat); echo \"$5 $1\"";
  int status = 0;
  std::string shared = run_shell(script, status);
  CHECK(shared.substr(0, shared.find(' ')) == std::to_string(::getpgrp()));
  ProgramSpec spec;
  spec.own_process_group = true;
  std::string own = run_shell(script, status, spec);
  const auto space = own.find(' ');
  REQUIRE(space != std::string::npos);
  CHECK(own.substr(0, space) + "\n" == own.substr(space + 1));
}

TEST_CASE("default_signals undoes an ignored signal, which the program inherits without it") {
  struct sigaction ignore {
  }, previous{};
  ignore.sa_handler = SIG_IGN;
  REQUIRE(::sigaction(SIGUSR2, &ignore, &previous) == 0);
  int inherited = 0, reset = 0;
  std::string survived = run_shell("kill -USR2 $$; echo survived", inherited);
  ProgramSpec spec;
  spec.default_signals = true;
  std::string killed = run_shell("kill -USR2 $$; echo survived", reset, spec);
  ::sigaction(SIGUSR2, &previous, nullptr);
  CHECK(survived == "survived\n");
  CHECK(killed.empty());
  REQUIRE(WIFSIGNALED(reset));
  CHECK(WTERMSIG(reset) == SIGUSR2);
}

TEST_CASE("A spawned program gets our signal mask back, or an empty one with default_signals") {
  sigset_t usr1, previous;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  REQUIRE(::pthread_sigmask(SIG_BLOCK, &usr1, &previous) == 0);
  // SigBlk of grep's own /proc/self/status, as hex; bit SIGUSR1-1 is SIGUSR1. Not through
  // sh: dash clears its mask when it starts.
  auto sig_blk = [](bool default_signals) {
    Pipe out = make_pipe();
    ProgramSpec spec;
    spec.argv = {"grep", "SigBlk", "/proc/self/status"};
    spec.search_path = true;
    spec.default_signals = default_signals;
    spec.fds = {{1, out.write.get()}};
    StartOutcome started = spawn_program(spec);
    REQUIRE(started.child);
    out.write.reset();
    std::string line = read_all(out.read.get());
    CHECK(WEXITSTATUS(wait_for_exit(started.child->pid)) == 0);
    return line;
  };
  std::string kept = sig_blk(false);
  std::string cleared = sig_blk(true);
  ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  auto mask_of = [](const std::string& line) {
    return std::stoull(line.substr(line.find(':') + 1), nullptr, 16);
  };
  CHECK((mask_of(kept) & (1ULL << (SIGUSR1 - 1))) != 0);
  CHECK(mask_of(cleared) == 0);
}

// The child is created in the run's cgroup (clone3 CLONE_INTO_CGROUP) rather than moved there
// by a write to cgroup.procs, which waits for an RCU grace period (3-15 ms per spawn here).
TEST_CASE("A spawned program is created in the cgroup it is given, without writing cgroup.procs") {
  auto group = RunCgroup::create("faultline-spawn-test-" + std::to_string(::getpid()));
  if (!group || group->dir_fd() < 0) {
    WARN("no cgroup v2 group can be made here (not root?): not checked");
    return;
  }
  const std::string leaf = "/" + group->path().filename().string() + "\n";
  auto in_group = [&](const std::string& cgroups) {
    return cgroups.find("0::") != std::string::npos && cgroups.size() >= leaf.size() &&
           cgroups.compare(cgroups.size() - leaf.size(), leaf.size(), leaf) == 0;
  };
  // A pipe stands for cgroup.procs: whatever the child writes there shows.
  Pipe procs = make_pipe();
  ProgramSpec spec;
  spec.cgroup_procs = procs.write.get();
  spec.cgroup_dir = group->dir_fd();
  int status = 0;
  std::string created = run_shell("grep '^0::' /proc/self/cgroup", status, spec);
  procs.write.reset();
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(read_all(procs.read.get()).empty());
  CHECK(in_group(created));
  // Without the folder, the child joins through cgroup.procs.
  ProgramSpec joining;
  joining.cgroup_procs = group->procs_fd();
  std::string joined = run_shell("grep '^0::' /proc/self/cgroup", status, joining);
  CHECK(in_group(joined));
}

}  // namespace
}  // namespace faultline::test
