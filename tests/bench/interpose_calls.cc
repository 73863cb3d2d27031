// The IPC calls whose interposed cost matters: 1-byte ping-pongs between two processes and
// write() loops. Runs as is; bench_interpose runs it again under the interposer and strace.
// The *_paired benchmarks measure the wrapper in-process: the same zero-byte write() through
// the program's `write` (the interposer's, when preloaded) and through libc's own, in
// alternating batches, so that the system call's cost and the machine's drift cancel out.
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <barrier>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <utility>
#include <vector>

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

// ---- in-process paired measure of the wrapper ------------------------------------------------

using WriteFn = ssize_t (*)(int, const void*, size_t);

// libc's own write(), past any preloaded interposer: the same system call without a wrapper.
WriteFn libc_write() {
  static const WriteFn fn = [] {
    void* libc = dlopen("libc.so.6", RTLD_NOLOAD | RTLD_LAZY);
    void* p = libc ? dlsym(libc, "write") : nullptr;
    if (!p) die("dlsym(libc.so.6, write)");
    return reinterpret_cast<WriteFn>(p);
  }();
  return fn;
}

// The program's write(): the interposer's when it is preloaded, else libc's (then both sides
// of a pair are the same function and the measure shows its own noise).
WriteFn program_write() { return &::write; }

constexpr int kBatch = 32;  // zero-byte writes per timed batch

// ns per call of one batch of zero-byte writes through `fn`.
double batch_ns(WriteFn fn, int fd) {
  char c = 'x';
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < kBatch; ++i) {
    ssize_t n;
    while ((n = fn(fd, &c, 0)) != 0) {
      if (!retry(n)) die("write");
    }
  }
  auto t1 = std::chrono::steady_clock::now();
  return std::chrono::duration<double, std::nano>(t1 - t0).count() / kBatch;
}

// One pair: a batch through the program's write and one through libc's, in alternating order;
// returns the wrapper's ns per call (program - libc).
double pair_ns(int fd, bool wrapped_first) {
  double wrapped, direct;
  if (wrapped_first) {
    wrapped = batch_ns(program_write(), fd);
    direct = batch_ns(libc_write(), fd);
  } else {
    direct = batch_ns(libc_write(), fd);
    wrapped = batch_ns(program_write(), fd);
  }
  return wrapped - direct;
}

// The median of the pairs and the half-width of its 95 % confidence interval (distribution-
// free, from the order statistics n/2 -+ 0.98 sqrt(n)): the resolution of the figure.
void report_pairs(benchmark::State& state, std::vector<double> diffs) {
  if (diffs.empty()) return;
  std::sort(diffs.begin(), diffs.end());
  const double n = static_cast<double>(diffs.size());
  const double half = 0.98 * std::sqrt(n);
  const auto at = [&](double rank) {
    return diffs[static_cast<size_t>(std::clamp(rank, 0.0, n - 1))];
  };
  state.counters["paired_ns"] = at(n / 2);
  state.counters["paired_ci_ns"] = (at(std::ceil(n / 2 + half)) - at(std::floor(n / 2 - half))) / 2;
  state.counters["pairs"] = n;
}

// Zero-byte writes on `fd`, through the wrapper and around it, pair after pair.
void paired_loop(benchmark::State& state, int fd) {
  std::vector<double> diffs;
  bool wrapped_first = true;
  for (auto _ : state) {
    diffs.push_back(pair_ns(fd, wrapped_first));
    wrapped_first = !wrapped_first;
  }
  report_pairs(state, std::move(diffs));
  report(state, kBatch, nullptr);
}

void pipe_write_zero_paired(benchmark::State& state) {
  auto [r, w] = make_pipe();
  paired_loop(state, w.get());
}

// The same on fd 5000: fds of 1024 and above, which a server with many connections has.
void pipe_write_zero_fd5000_paired(benchmark::State& state) {
  constexpr int kHigh = 5000;
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) die("getrlimit");
  if (lim.rlim_cur <= kHigh) {
    if (lim.rlim_max <= kHigh) {
      state.SkipWithError("RLIMIT_NOFILE's hard limit is below 5001");
      return;
    }
    lim.rlim_cur = lim.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &lim) != 0) die("setrlimit");
  }
  auto [r, w] = make_pipe();
  if (dup3(w.get(), kHigh, O_CLOEXEC) != kHigh) die("dup3");
  UniqueFd high(kHigh);
  w.reset();
  paired_loop(state, high.get());
}

// ---- 4 processes x 4 threads on one CPU pair -------------------------------------------------

constexpr int kProcesses = 4;
constexpr int kThreads = 4;
constexpr int kPairsPerThread = 200;

// The fd thread `index` (0..15) writes to: FIFO `index` of $BENCH_FIFO_DIR (bench_interpose
// makes them, one channel each, so that each thread's calls can have a rule of their own), or
// a pipe of its own when the variable is not set.
UniqueFd thread_fd(int index, UniqueFd& keep_reader) {
  const char* dir = getenv("BENCH_FIFO_DIR");
  if (dir && *dir) {
    std::string path = std::string(dir) + "/fifo" + std::to_string(index);
    UniqueFd fd(open(path.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC));
    if (!fd) die(path.c_str());
    return fd;
  }
  auto [r, w] = make_pipe();
  keep_reader = std::move(r);
  return std::move(w);
}

// One process of four: four threads start together and each measures kPairsPerThread pairs on
// its own fd; the pairs go to `out` as doubles, with the process's CPU ns at the end.
void contention_process(int process, int start_fd, int out) {
  std::vector<std::vector<double>> diffs(kThreads);
  std::barrier go(kThreads);
  std::vector<std::thread> threads;
  char c;
  if (read(start_fd, &c, 1) < 0) die("read");  // end of file: all processes exist
  double cpu0 = process_cpu_ns();
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      UniqueFd reader;
      UniqueFd fd = thread_fd(process * kThreads + t, reader);
      go.arrive_and_wait();
      for (int k = 0; k < kPairsPerThread; ++k) diffs[t].push_back(pair_ns(fd.get(), k % 2 == 0));
    });
  }
  for (auto& th : threads) th.join();
  double cpu = process_cpu_ns() - cpu0;
  // Through libc's own write: the benchmark's results are no call under test (a rule that
  // fires on writes would fail them).
  for (const auto& d : diffs)
    if (libc_write()(out, d.data(), d.size() * sizeof(double)) !=
        static_cast<ssize_t>(d.size() * sizeof(double)))
      die("write");
  if (libc_write()(out, &cpu, sizeof cpu) != sizeof cpu) die("write");
}

// 4 processes x 4 threads, each thread zero-byte writes on its own FIFO: under bench_interpose's
// "same rule" block every call hits one rule (one shared counter), under "16 rules" each
// thread's calls hit a rule of their own (channel=). One iteration is one such run.
void pipe_write_zero_4x4_paired(benchmark::State& state) {
  std::vector<double> all;
  double cpu_per_call = 0;
  for (auto _ : state) {
    std::array<int, 2> start{};
    if (pipe2(start.data(), O_CLOEXEC) != 0) die("pipe2");
    std::vector<std::pair<pid_t, UniqueFd>> kids;
    for (int p = 0; p < kProcesses; ++p) {
      auto [r, w] = make_pipe();
      pid_t pid = fork();
      if (pid < 0) die("fork");
      if (pid == 0) {
        close(start[1]);
        r.reset();
        contention_process(p, start[0], w.get());
        std::_Exit(0);
      }
      kids.emplace_back(pid, std::move(r));
    }
    close(start[0]);
    close(start[1]);  // go
    double cpu = 0;
    for (auto& [pid, r] : kids) {
      std::vector<double> got(kThreads * kPairsPerThread + 1);
      size_t want = got.size() * sizeof(double), have = 0;
      auto* bytes = reinterpret_cast<char*>(got.data());
      while (have < want) {
        ssize_t n = read(r.get(), bytes + have, want - have);
        if (n <= 0 && !retry(n)) die("4x4 child");
        if (n > 0) have += static_cast<size_t>(n);
      }
      cpu += got.back();
      all.insert(all.end(), got.begin(), got.end() - 1);
      int status = 0;
      while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) die("4x4 child failed");
    }
    cpu_per_call = cpu / (kProcesses * kThreads * kPairsPerThread * 2.0 * kBatch);
  }
  report_pairs(state, std::move(all));
  state.counters["cpu_per_call_ns"] = cpu_per_call;
  report(state, kProcesses * kThreads * kPairsPerThread * kBatch, nullptr);
}

}  // namespace

BENCHMARK(pipe_ping_pong)->UseRealTime();
BENCHMARK(socketpair_ping_pong)->UseRealTime();
BENCHMARK(pipe_write_loop)->UseRealTime();
BENCHMARK(pipe_write_zero)->UseRealTime();
BENCHMARK(pipe_write_zero_paired)->UseRealTime();
BENCHMARK(pipe_write_zero_fd5000_paired)->UseRealTime();
BENCHMARK(pipe_write_zero_4x4_paired)->UseRealTime()->Iterations(3);

BENCHMARK_MAIN();
