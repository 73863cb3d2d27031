// The IPC calls whose interposed cost matters: 1-byte ping-pongs between two processes and
// write() loops. Runs as is; bench_interpose runs it again under the interposer and strace.
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include <benchmark/benchmark.h>

#include "util/unique_fd.h"

namespace {

using faultline::UniqueFd;

[[noreturn]] void die(const char* what) {
  std::perror(what);
  std::_Exit(3);
}

// A retried call is one that did not run: EINTR, or the single EIO that strace's comparison
// run injects into each process at the 65535th read and write.
bool retry(ssize_t n) { return n < 0 && (errno == EINTR || errno == EIO); }

void put(int fd, char c) {
  ssize_t n;
  while ((n = write(fd, &c, 1)) != 1) {
    if (!retry(n)) die("write");
  }
}

// False at end of file.
bool get(int fd, char* c) {
  ssize_t n;
  while ((n = read(fd, c, 1)) != 1) {
    if (n == 0) return false;
    if (!retry(n)) die("read");
  }
  return true;
}

double process_cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

// The forked peer of one benchmark run. It reports the CPU time it used over a pipe of its
// own, so that the driver can add it to the parent's: pinned to one CPU, that sum is what the
// wall time would be on an otherwise idle machine.
class Child final {
 public:
  template <typename Body>
  explicit Child(Body&& body) {
    std::array<int, 2> fds{};
    if (pipe2(fds.data(), O_CLOEXEC) != 0) die("pipe2");
    report_ = UniqueFd(fds[0]);
    UniqueFd report_w(fds[1]);
    pid_ = fork();
    if (pid_ < 0) die("fork");
    if (pid_ == 0) {
      report_.reset();
      double start = process_cpu_ns();
      body();
      double used = process_cpu_ns() - start;
      ssize_t n;
      while ((n = write(report_w.get(), &used, sizeof used)) != sizeof used) {
        if (!retry(n)) die("write");
      }
      std::_Exit(0);
    }
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  // Only reached without finish() when the benchmark is failing.
  ~Child() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    while (waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
  }

  // Waits for the child (which ends at end of file on its input: close that first) and
  // returns the CPU time it used, in ns.
  [[nodiscard]] double finish() {
    if (pid_ <= 0) return 0;
    double used = 0;
    ssize_t n;
    while ((n = read(report_.get(), &used, sizeof used)) < 0 && retry(n)) {
    }
    report_.reset();
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    if (n != sizeof used || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
      die("benchmark child failed");
    return used;
  }

 private:
  pid_t pid_ = -1;
  UniqueFd report_;
};

std::pair<UniqueFd, UniqueFd> make_pipe() {
  std::array<int, 2> fds{};
  if (pipe2(fds.data(), O_CLOEXEC) != 0) die("pipe2");
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

std::pair<UniqueFd, UniqueFd> make_socketpair() {
  std::array<int, 2> fds{};
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds.data()) != 0) die("socketpair");
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

// Echoes every byte from `in` to `out` until end of file.
void echo(int in, int out) {
  char c;
  while (get(in, &c)) put(out, c);
}

// The CPU time this process's parent has used: under the seccomp configurations it is what
// answers the notifications (faultline's runner, the bare notify loop), whose work is on
// every notified call's path; elsewhere it is the driver, which waits.
double parent_cpu_ns() {
  clockid_t clock;
  timespec ts{};
  if (clock_getcpuclockid(getppid(), &clock) != 0 || clock_gettime(clock, &ts) != 0) return 0;
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

// Interposed calls on the critical path of one iteration (the driver divides by it), the
// child's CPU time per iteration (the parent's own is Google Benchmark's cpu_time) and, given
// parent_cpu_ns() at the start, the parent process's.
void report(benchmark::State& state, double calls, Child* child, double parent_start = -1) {
  state.counters["interposed_calls"] = calls;
  state.counters["child_cpu_ns"] =
      benchmark::Counter(child ? child->finish() : 0, benchmark::Counter::kAvgIterations);
  if (parent_start >= 0)
    state.counters["parent_cpu_ns"] =
        benchmark::Counter(parent_cpu_ns() - parent_start, benchmark::Counter::kAvgIterations);
}

void pipe_ping_pong(benchmark::State& state) {
  const double parent_start = parent_cpu_ns();
  auto [down_r, down_w] = make_pipe();
  auto [up_r, up_w] = make_pipe();
  Child child([&, &down_r = down_r, &down_w = down_w, &up_r = up_r, &up_w = up_w] {
    down_w.reset();
    up_r.reset();
    echo(down_r.get(), up_w.get());
  });
  down_r.reset();
  up_w.reset();
  char c = 'x';
  for (auto _ : state) {
    put(down_w.get(), c);
    if (!get(up_r.get(), &c)) die("child ended early");
  }
  down_w.reset();  // the child sees end of file and exits
  report(state, 4, &child, parent_start);
}

void socketpair_ping_pong(benchmark::State& state) {
  const double parent_start = parent_cpu_ns();
  auto [mine, theirs] = make_socketpair();
  Child child([&, &mine = mine, &theirs = theirs] {
    mine.reset();
    echo(theirs.get(), theirs.get());
  });
  theirs.reset();
  char c = 'x';
  for (auto _ : state) {
    put(mine.get(), c);
    if (!get(mine.get(), &c)) die("child ended early");
  }
  mine.reset();
  report(state, 4, &child, parent_start);
}

// 1-byte writes into a pipe that a child drains in large reads: an iteration is one write();
// the child's reads, however many, count in its CPU time.
void pipe_write_loop(benchmark::State& state) {
  const double parent_start = parent_cpu_ns();
  auto [r, w] = make_pipe();
  Child child([&, &r = r, &w = w] {
    w.reset();
    static char buf[1 << 16];
    for (;;) {
      ssize_t n = read(r.get(), buf, sizeof buf);
      if (n == 0) return;
      if (n < 0 && !retry(n)) die("read");
    }
  });
  r.reset();
  for (auto _ : state) put(w.get(), 'x');
  w.reset();
  report(state, 1, &child, parent_start);
}

// Zero-byte writes into a pipe: one process, no wake-up, the cheapest real call on an IPC fd,
// so the interposer's own nanoseconds per call stand out of the noise.
void pipe_write_zero(benchmark::State& state) {
  const double parent_start = parent_cpu_ns();
  auto [r, w] = make_pipe();
  char c = 'x';
  for (auto _ : state) {
    ssize_t n;
    while ((n = write(w.get(), &c, 0)) != 0) {
      if (!retry(n)) die("write");
    }
  }
  report(state, 1, nullptr, parent_start);
}

}  // namespace

BENCHMARK(pipe_ping_pong)->UseRealTime();
BENCHMARK(socketpair_ping_pong)->UseRealTime();
BENCHMARK(pipe_write_loop)->UseRealTime();
BENCHMARK(pipe_write_zero)->UseRealTime();

BENCHMARK_MAIN();
