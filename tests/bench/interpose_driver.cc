// Interposer overhead against native in one run: bench_interpose_calls native, preloaded,
// armed and under strace (interleaved rounds), then a fork+exec+wait spawn loop. Reports.
//   bench_interpose [--rounds N] [--min-time S] [--spawns N] [--cpu N] [--no-strace]
//                   [--no-seccomp] [--seccomp-only]
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <fmt/core.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "faultline/fault_spec.h"
#include "faults/control_block.h"
#include "processes/spawn_program.h"
#include "util/temp_dir.h"
#include "util/unique_fd.h"

extern char** environ;

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

using ScratchDir = faultline::TempDir;

// The FIFOs the 4x4 benchmark's 16 threads write to (one each), passed to every run of
// bench_interpose_calls as BENCH_FIFO_DIR; empty until run() makes them.
fs::path fifo_dir;
constexpr int kFifos = 16;

// The in-process measures run only where the interposer runs in the process (not under
// strace or the seccomp backend, whose every call stops: they would take minutes).
bool runs_under(const std::string& benchmark, const std::vector<std::string>& prefix) {
  return prefix.empty() || benchmark.find("_paired") == std::string::npos;
}

// One child process; killed and reaped on destruction unless waited for.
class Child final {
 public:
  // Runs argv with envp (no PATH search), stdout to `out`, stdin from /dev/null.
  Child(const std::vector<std::string>& argv, const std::vector<std::string>& envp,
        const fs::path& out) {
    faultline::UniqueFd null_in(open("/dev/null", O_RDONLY | O_CLOEXEC));
    faultline::UniqueFd to(open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!null_in || !to)
      throw std::system_error(errno, std::generic_category(), "cannot open " + out.string());
    faultline::ProgramSpec spec;
    spec.argv = argv;
    spec.env = envp;
    spec.fds = {{0, null_in.get()}, {1, to.get()}};
    faultline::StartOutcome started = faultline::spawn_program(spec);
    if (!started.child)
      throw std::system_error(started.error, std::generic_category(), "cannot run " + argv[0]);
    pid_ = started.child->pid;
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      (void)wait();
    }
  }
  // The wait status.
  [[nodiscard]] int wait() {
    const int status = faultline::wait_for_exit(pid_);
    pid_ = -1;
    return status;
  }

 private:
  pid_t pid_ = -1;
};

// How the benchmark binary is run for one column of the table.
struct Configuration {
  std::string name;
  std::vector<std::string> env;     // added to the clean environment
  std::vector<std::string> prefix;  // command put in front (strace)
  std::optional<double> goal;       // maximum ratio to native on the ping-pongs
};

// One measurement of one benchmark: ns per iteration, wall and CPU (parent plus child).
struct Sample {
  double wall = 0;
  double cpu = 0;
  // The *_paired benchmarks: the wrapper's ns per call measured in-process (the same write
  // through the program's symbol and through libc's, alternating batches), the half-width of
  // the 95 % confidence interval of that median, and (4x4) the CPU ns per call of the run.
  double paired = NAN;
  double paired_ci = NAN;
  double cpu_per_call = NAN;
};

// One benchmark of bench_interpose_calls: a sample per round per configuration.
struct Series {
  double calls = 1;
  std::map<std::string, std::vector<Sample>> samples;
};

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// The median and range of a per-round figure, paired with native's of the same round.
struct Summary {
  double value = 0, lo = 0, hi = 0;
};
template <typename F>
Summary summarize(const std::vector<Sample>& v, const std::vector<Sample>& native, F f) {
  std::vector<double> x;
  for (size_t i = 0; i < v.size() && i < native.size(); ++i) x.push_back(f(v[i], native[i]));
  if (x.empty()) return {};
  auto [lo, hi] = std::minmax_element(x.begin(), x.end());
  return {median(x), *lo, *hi};
}

// The environment without anything that would interpose on the children already.
std::vector<std::string> clean_environment() {
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) {
    std::string_view s(*e);
    if (s.starts_with("LD_PRELOAD=") || s.starts_with("FAULTLINE_")) continue;
    env.emplace_back(s);
  }
  return env;
}

std::optional<fs::path> find_in_path(const std::string& name) {
  const char* path = getenv("PATH");
  std::string_view rest = path ? path : "/usr/bin:/bin";
  while (!rest.empty()) {
    auto colon = rest.find(':');
    fs::path candidate = fs::path(rest.substr(0, colon)) / name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
    rest = colon == std::string_view::npos ? "" : rest.substr(colon + 1);
  }
  return std::nullopt;
}

std::vector<faultline::FaultSpec> specs(const std::vector<std::string>& texts) {
  std::vector<faultline::FaultSpec> out;
  for (const auto& t : texts) {
    faultline::Diagnostics diags;
    auto spec = faultline::parse_fault_spec(t, diags);
    if (!spec) {
      std::string msg = "bad fault spec " + t;
      for (const auto& d : diags) msg += "\n" + d.format();
      throw std::runtime_error(msg);
    }
    out.push_back(*spec);
  }
  return out;
}

// Runs the benchmark binary under `config` with extra arguments, stdout to `out`.
void run_bench(const fs::path& bench, const Configuration& config,
               const std::vector<std::string>& args, const fs::path& out) {
  std::vector<std::string> argv = config.prefix;
  argv.push_back(bench.string());
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<std::string> env = clean_environment();
  env.insert(env.end(), config.env.begin(), config.env.end());
  if (!fifo_dir.empty()) env.push_back("BENCH_FIFO_DIR=" + fifo_dir.string());
  Child child(argv, env, out);
  int status = child.wait();
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error(fmt::format("{} failed under configuration '{}' (wait status {})",
                                         bench.string(), config.name, status));
}

// The benchmarks the binary has, in its order ("pipe_ping_pong/real_time").
std::vector<std::string> list_benchmarks(const fs::path& bench, const ScratchDir& scratch) {
  fs::path out = scratch.path() / "list.txt";
  run_bench(bench, {"native", {}, {}, std::nullopt}, {"--benchmark_list_tests=true"}, out);
  std::ifstream in(out);
  std::vector<std::string> names;
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) names.push_back(line);
  return names;
}

double time_scale(const std::string& unit) {
  if (unit == "us") return 1e3;
  if (unit == "ms") return 1e6;
  if (unit == "s") return 1e9;
  return 1;
}

// Whether the configuration's prefix answers the benchmark's calls (the seccomp backend's
// runner, the bare notify loop): its CPU time is then part of each call's cost. strace's is
// left out, as before.
bool counts_parent_cpu(const Configuration& config) {
  return config.name.starts_with("seccomp") || config.name.starts_with("notify floor");
}

// Runs one benchmark once under `config`; adds its sample.
void run_one(const fs::path& bench, const std::string& name, const Configuration& config,
             double min_time, const ScratchDir& scratch, Series& series) {
  fs::path out = scratch.path() / "calls.json";
  run_bench(bench, config,
            {"--benchmark_format=json", "--benchmark_filter=^" + name + "$",
             fmt::format("--benchmark_min_time={}", min_time)},
            out);
  std::ifstream in(out);
  auto json = nlohmann::json::parse(in);
  for (const auto& b : json.at("benchmarks")) {
    double scale = time_scale(b.value("time_unit", "ns"));
    series.calls = b.value("interposed_calls", 1.0);
    series.samples[config.name].push_back(
        {b.at("real_time").get<double>() * scale,
         b.at("cpu_time").get<double>() * scale + b.value("child_cpu_ns", 0.0) +
             (counts_parent_cpu(config) ? b.value("parent_cpu_ns", 0.0) : 0.0),
         b.value("paired_ns", NAN), b.value("paired_ci_ns", NAN), b.value("cpu_per_call_ns", NAN)});
  }
}

// fork+execve+waitpid of /bin/true `n` times with `envp`: wall ms per spawn and the CPU ms
// the child used (exec and dynamic loading, where the interposer's cost is).
Sample spawn_loop(int n, const std::vector<std::string>& envp) {
  std::vector<char*> e;
  for (const auto& s : envp) e.push_back(const_cast<char*>(s.c_str()));
  e.push_back(nullptr);
  char true_path[] = "/bin/true";
  char* argv[] = {true_path, nullptr};
  double child_cpu_ms = 0;
  auto t0 = Clock::now();
  for (int i = 0; i < n; ++i) {
    pid_t pid = fork();
    if (pid < 0) throw std::system_error(errno, std::generic_category(), "fork");
    if (pid == 0) {
      execve(true_path, argv, e.data());
      _exit(127);
    }
    int status = 0;
    rusage usage{};
    while (wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
      throw std::runtime_error("/bin/true failed in the spawn loop (is the interposer loadable?)");
    child_cpu_ms += (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e3 +
                    (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e3;
  }
  double wall_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  return {wall_ms / n, child_cpu_ms / n};
}

template <typename T>
std::vector<T> rotated(const std::vector<T>& v, size_t by) {
  std::vector<T> r(v);
  std::rotate(r.begin(), r.begin() + static_cast<std::ptrdiff_t>(by % r.size()), r.end());
  return r;
}

// Whether this kernel has SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (the floor fails without it).
bool sync_wake_up_works(const fs::path& floor_bin) {
  try {
    run_bench("/bin/true", {"probe", {}, {floor_bin.string(), "--sync-wake-up", "--"}, {}}, {},
              "/dev/null");
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

struct Options {
  int rounds = 7;
  double min_time = 0.15;
  int spawns = 40;
  int cpu = -2;  // -2: the last CPU this process may use; -1: no pinning
  bool strace = true;
  bool seccomp = true;
  bool seccomp_only = false;  // native, the notify floors and the seccomp backend; no spawn loop
  std::string only;  // regex: the benchmarks to run ("" = all)
  bool no_spawn = false;
};

// Pins this process (and so every child) to one CPU: a ping-pong then costs the two
// processes' CPU time rather than cross-CPU wake-up latency, which varies far more.
int pin(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return -1;
  if (cpu == -2)
    for (int c = 0; c < CPU_SETSIZE; ++c)
      if (CPU_ISSET(c, &set)) cpu = c;
  if (cpu < 0) return -1;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof set, &set) != 0)
    throw std::system_error(errno, std::generic_category(),
                            fmt::format("cannot pin to CPU {} (see --cpu)", cpu));
  return cpu;
}

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string one, five;
  in >> one >> five;
  return one + " " + five;
}

// The seccomp backend against the bare notification loop of the same round: what the
// backend adds beyond the kernel's own round trip (goal: <= 1.3x the floor on the ping-pongs,
// against the floor with the same wake-up mode as the backend's).
void print_against_floor(const std::vector<std::string>& names,
                         const std::map<std::string, Series>& results,
                         const std::vector<Configuration>& configs) {
  auto has = [&](const char* name) {
    return std::any_of(configs.begin(), configs.end(),
                       [&](const Configuration& c) { return c.name == name; });
  };
  const char* backend = "seccomp, never fires";
  if (!has(backend) || !has("notify floor")) return;
  const char* goal_floor = has("notify floor, sync") ? "notify floor, sync" : "notify floor";
  fmt::print(
      "\nThe seccomp backend against the bare notify-continue loop (bench_notify_floor) of the "
      "same round:\nratio = median over rounds of seccomp/floor [min..max] (wall, cpu); +ns/call = "
      "median of (seccomp - floor) / notified calls;\nfloor/native = the floor's own wall ratio "
      "to native. Goal on the ping-pongs: <= 1.30 against '{}' (the backend uses the\nsame "
      "wake-up mode). cpu counts the answering process (runner or floor) too; on a loaded "
      "machine it is the steadier figure.\n\n",
      goal_floor);
  fmt::print("{:<21} {:<20} {:>12} {:>7} {:>13} {:>9} {:>7} {:>13} {:>9}  {}\n", "benchmark",
             "against", "floor/native", "wall", "range", "+ns/call", "cpu", "range", "+cpu/call",
             "goal (wall, cpu)");
  for (const auto& full_name : names) {
    const Series& s = results.at(full_name);
    // The *_paired benchmarks do not run under the seccomp backend (runs_under): no row.
    if (!s.samples.count(backend) || !s.samples.count("native")) continue;
    std::string name = full_name.substr(0, full_name.find('/'));
    bool ping_pong = name.find("ping_pong") != std::string::npos;
    const auto& mine = s.samples.at(backend);
    const auto& native = s.samples.at("native");
    bool first = true;
    for (const char* floor_name : {"notify floor", "notify floor, sync"}) {
      if (!has(floor_name)) continue;
      const auto& floor = s.samples.at(floor_name);
      Summary fr = summarize(floor, native,
                             [](const Sample& a, const Sample& n) { return a.wall / n.wall; });
      Summary r =
          summarize(mine, floor, [](const Sample& a, const Sample& f) { return a.wall / f.wall; });
      Summary c =
          summarize(mine, floor, [](const Sample& a, const Sample& f) { return a.cpu / f.cpu; });
      double calls = s.calls;
      Summary x = summarize(mine, floor, [calls](const Sample& a, const Sample& f) {
        return (a.wall - f.wall) / calls;
      });
      Summary cx = summarize(mine, floor, [calls](const Sample& a, const Sample& f) {
        return (a.cpu - f.cpu) / calls;
      });
      std::string goal;
      if (ping_pong && std::string_view(floor_name) == goal_floor)
        goal = fmt::format("<= 1.30: {}, {}", r.value <= 1.3 ? "met" : "MISSED",
                           c.value <= 1.3 ? "met" : "MISSED");
      auto range = [](const Summary& v) { return fmt::format("[{:.3f}..{:.3f}]", v.lo, v.hi); };
      fmt::print(
          "{:<21} {:<20} {:>12.3f} {:>7.3f} {:>13} {:>+9.1f} {:>7.3f} {:>13} {:>+9.1f}  {}\n",
          first ? name : "", floor_name, fr.value, r.value, range(r), x.value, c.value, range(c),
          cx.value, goal);
      first = false;
    }
  }
  fmt::print("\n");
}

// The in-process measures: per configuration, the median over rounds of each round's median
// pair difference (the wrapper's ns per call), the median of the rounds' 95 % confidence
// half-widths (the resolution), and the range of the round medians.
void print_paired(const std::vector<std::string>& names, const std::vector<Configuration>& configs,
                  std::map<std::string, Series>& results) {
  fmt::print(
      "\nIn-process wrapper cost (the *_paired benchmarks): zero-byte write()s through the "
      "program's write (the interposer's) and through\nlibc's own, alternating batches of 32 "
      "in one process; +ns/call = median over rounds of the round's median difference;\n"
      "+- = resolution: median over rounds of the 95 % confidence half-width of the round's "
      "median; native measures the measure (0 +- noise).\n4x4: 4 processes x 4 threads at once, "
      "one FIFO each; cpu/call = CPU of the 4 processes per write, both halves of each pair.\n\n");
  fmt::print("{:<30} {:<20} {:>10} {:>7} {:>17} {:>9} {:>9}\n", "benchmark", "configuration",
             "+ns/call", "+-", "round range", "cpu/call", "+cpu");
  for (const auto& full_name : names) {
    if (full_name.find("_paired") == std::string::npos) continue;
    Series& s = results[full_name];
    std::string name = full_name.substr(0, full_name.find('/'));
    double native_cpu = NAN;
    bool first = true;
    for (const auto& c : configs) {
      if (!s.samples.count(c.name)) continue;
      std::vector<double> paired, ci, cpu;
      for (const auto& x : s.samples.at(c.name)) {
        if (!std::isnan(x.paired)) paired.push_back(x.paired);
        if (!std::isnan(x.paired_ci)) ci.push_back(x.paired_ci);
        if (!std::isnan(x.cpu_per_call)) cpu.push_back(x.cpu_per_call);
      }
      if (paired.empty()) continue;
      auto [lo, hi] = std::minmax_element(paired.begin(), paired.end());
      double cpu_call = cpu.empty() ? NAN : median(cpu);
      if (c.name == "native") native_cpu = cpu_call;
      fmt::print("{:<30} {:<20} {:>+10.1f} {:>7.1f} {:>17} {:>9} {:>9}\n", first ? name : "",
                 c.name, median(paired), median(ci), fmt::format("[{:+.1f}..{:+.1f}]", *lo, *hi),
                 std::isnan(cpu_call) ? "" : fmt::format("{:.0f}", cpu_call),
                 std::isnan(cpu_call) || std::isnan(native_cpu)
                     ? ""
                     : fmt::format("{:+.1f}", cpu_call - native_cpu));
      first = false;
    }
  }
  fmt::print("\n");
}

int run(const Options& o) {
  fs::path bin = fs::canonical("/proc/self/exe").parent_path();
  fs::path bench = bin / "bench_interpose_calls";
  fs::path interposer = bin.parent_path() / "lib" / "libfaultline-interpose.so";
  for (const auto& p : {bench, interposer}) {
    if (!fs::exists(p)) {
      fmt::print(stderr, "bench_interpose: {} is missing; build it first (ninja bench_interpose)\n",
                 p.string());
      return 2;
    }
  }
  int cpu = pin(o.cpu);
  std::string load_before = load_average();

  // Not "faultline-...": the runners it starts would take a folder of that name without an
  // owner file for a dead run's and remove it (run_directory.cc).
  ScratchDir scratch("flbench-interpose");
  // (b): rules on calls the benchmarks never make; (c): a rule on the measured calls whose
  // trigger is never reached, so every call takes the rule engine's path and nothing fires.
  auto other = faultline::ControlBlock::create(
      scratch.path() / "other-calls.ctl",
      specs({"accept:error=ECONNABORTED", "shmat:error=ENOMEM", "msgsnd:error=EAGAIN"}), 1);
  const std::string never_spec = "read,write:error=EIO:nth=1000000000000";
  auto never =
      faultline::ControlBlock::create(scratch.path() / "never-fires.ctl", specs({never_spec}), 1);
  // (d): a rule that fires on every second write (the benchmarks retry a write failing with
  // EIO): what a fault costs over a call that only asks the rule engine.
  const std::string half_spec = "write:error=EIO:every=2";
  auto half =
      faultline::ControlBlock::create(scratch.path() / "fires-half.ctl", specs({half_spec}), 1);
  // (e): a recording run (`faultline explore`'s baseline): every call armed, no rule, each
  // call on an IPC object counted at its caller's site.
  auto recording = faultline::ControlBlock::create(scratch.path() / "recording.ctl", {}, 1);
  recording.start_recording();
  // (f): 16 never-firing rules, one per FIFO of the 4x4 benchmark (channel=): each thread's
  // calls hit a rule of their own, where under (c) all 16 threads hit the same one.
  fifo_dir = scratch.path() / "fifos";
  fs::create_directory(fifo_dir);
  faultline::ControlContext fifo_channels;
  std::vector<std::string> per_fifo_specs;
  for (int i = 0; i < kFifos; ++i) {
    fs::path fifo = fifo_dir / fmt::format("fifo{}", i);
    struct stat st {};
    if (mkfifo(fifo.c_str(), 0600) != 0 || stat(fifo.c_str(), &st) != 0)
      throw std::system_error(errno, std::generic_category(), "mkfifo " + fifo.string());
    fifo_channels.channels.push_back({fmt::format("c{}", i), -1, 0, 0,
                                      static_cast<std::uint64_t>(st.st_dev),
                                      static_cast<std::uint64_t>(st.st_ino), fifo.string()});
    per_fifo_specs.push_back(fmt::format("write:error=EIO:nth=1000000000000:channel=c{}", i));
  }
  auto per_fifo = faultline::ControlBlock::create(scratch.path() / "per-fifo.ctl",
                                                  specs(per_fifo_specs), 1, fifo_channels);
  const std::string preload = "LD_PRELOAD=" + interposer.string();
  const std::string process = "FAULTLINE_PROCESS=bench";

  std::vector<Configuration> configs = {
      {"native", {}, {}, std::nullopt},
      {"preload, no control", {preload, process}, {}, 1.02},
      {"armed, other calls",
       {preload, process, "FAULTLINE_CONTROL=" + other.path().string()},
       {},
       1.02},
      {"armed, never fires",
       {preload, process, "FAULTLINE_CONTROL=" + never.path().string()},
       {},
       1.05},
      {"armed, 16 rules",
       {preload, process, "FAULTLINE_CONTROL=" + per_fifo.path().string()},
       {},
       std::nullopt},
      {"armed, 1 in 2 fires",
       {preload, process, "FAULTLINE_CONTROL=" + half.path().string()},
       {},
       std::nullopt},
      {"recording",
       {preload, process, "FAULTLINE_CONTROL=" + recording.path().string()},
       {},
       std::nullopt},
  };
  // The seccomp backend with the same never-firing rule: every read and write of the
  // benchmark is a user notification answered by the runner (issue: seccomp overhead).
  const fs::path faultline_cli = bench.parent_path() / "faultline";
  if (o.seccomp && fs::exists(faultline_cli))
    configs.push_back({"seccomp, never fires",
                       {},
                       {faultline_cli.string(), "exec", "-q", "--backend", "seccomp", "--fault",
                        never_spec, "--"},
                       std::nullopt});
  // The kernel's floor for it: the same system calls notified to a bare libseccomp loop that
  // answers "continue" and does nothing else; with the synchronous wake-up where the kernel
  // has it (Linux 6.6), as the backend then uses it.
  const fs::path floor_bin = bin / "bench_notify_floor";
  if (o.seccomp && fs::exists(floor_bin)) {
    configs.push_back({"notify floor", {}, {floor_bin.string(), "--"}, std::nullopt});
    if (sync_wake_up_works(floor_bin))
      configs.push_back(
          {"notify floor, sync", {}, {floor_bin.string(), "--sync-wake-up", "--"}, std::nullopt});
  }
  if (o.seccomp_only)
    std::erase_if(configs, [](const Configuration& c) {
      return c.name != "native" && !c.name.starts_with("seccomp") &&
             !c.name.starts_with("notify floor");
    });
  std::optional<fs::path> strace =
      o.strace && !o.seccomp_only ? find_in_path("strace") : std::nullopt;
  if (o.strace && !o.seccomp_only && !strace)
    fmt::print(stderr, "bench_interpose: strace not found in PATH; its rows are left out\n");
  if (strace)
    configs.push_back({"strace inject",
                       {},
                       {strace->string(), "-f", "-o", "/dev/null", "-e", "trace=read,write", "-e",
                        "inject=read,write:error=EIO:when=65535"},
                       std::nullopt});

  std::vector<std::string> names = list_benchmarks(bench, scratch);
  if (!o.only.empty()) {
    const std::regex only(o.only);
    std::erase_if(names, [&](const std::string& n) { return !std::regex_search(n, only); });
    if (names.empty()) throw std::runtime_error("no benchmark matches --only " + o.only);
  }
  std::map<std::string, Series> results;
  // Warm-up (page cache, loader, CPU frequency); not counted.
  for (const auto& c : configs) {
    Series ignored;
    run_one(bench, names.front(), c, 0.02, scratch, ignored);
  }
  for (int r = 0; r < o.rounds; ++r) {
    // Each benchmark's configurations back to back, in a different order each round, so
    // that drift and order effects spread over all of them and each round pairs with native.
    for (const auto& name : names)
      for (const auto& c : rotated(configs, static_cast<size_t>(r)))
        if (runs_under(name, c.prefix)) run_one(bench, name, c, o.min_time, scratch, results[name]);
  }

  fmt::print(
      "Interposer per-call cost: bench_interpose_calls, {} rounds x {} configurations, "
      "interleaved, --benchmark_min_time={}, {}.\n",
      o.rounds, configs.size(), o.min_time,
      cpu >= 0 ? fmt::format("all processes on CPU {}", cpu) : std::string("not pinned"));
  fmt::print(
      "wall = real time per iteration; cpu = CPU time of both processes per iteration (under "
      "strace without strace's own, under seccomp and the floors with the answering "
      "process's);\nratio = median over rounds of config/native in the same "
      "round [min..max]; +ns/call = median of (config - native) / interposed calls per "
      "iteration;\nbest = fastest cpu round of config / fastest of native.\n\n");
  fmt::print("{:<21} {:<20} {:>5} {:>10} {:>7} {:>13} {:>10} {:>7} {:>13} {:>6} {:>9} {:>9}  {}\n",
             "benchmark", "configuration", "calls", "wall ns", "ratio", "range", "cpu ns", "ratio",
             "range", "best", "+ns/call", "+cpu/call", "goal (wall, cpu)");
  auto wall_ratio = [](const Sample& a, const Sample& n) { return a.wall / n.wall; };
  auto cpu_ratio = [](const Sample& a, const Sample& n) { return a.cpu / n.cpu; };
  auto range = [](const Summary& s) { return fmt::format("[{:.3f}..{:.3f}]", s.lo, s.hi); };
  for (const auto& full_name : names) {
    const Series& s = results[full_name];
    std::string name = full_name.substr(0, full_name.find('/'));
    const auto& native = s.samples.at("native");
    bool ping_pong = name.find("ping_pong") != std::string::npos;
    for (const auto& c : configs) {
      if (!s.samples.count(c.name)) continue;
      const auto& v = s.samples.at(c.name);
      std::vector<double> wall, cpu_ns;
      for (const auto& x : v) {
        wall.push_back(x.wall);
        cpu_ns.push_back(x.cpu);
      }
      Summary wr = summarize(v, native, wall_ratio), cr = summarize(v, native, cpu_ratio);
      double calls = s.calls;
      Summary wx = summarize(v, native, [calls](const Sample& a, const Sample& n) {
        return (a.wall - n.wall) / calls;
      });
      Summary cx = summarize(
          v, native, [calls](const Sample& a, const Sample& n) { return (a.cpu - n.cpu) / calls; });
      // Noise from other load only ever adds time: the fastest rounds compare best.
      double best =
          *std::min_element(cpu_ns.begin(), cpu_ns.end()) /
          std::min_element(native.begin(), native.end(), [](const Sample& a, const Sample& b) {
            return a.cpu < b.cpu;
          })->cpu;
      std::string goal;
      if (c.goal && ping_pong)
        goal = fmt::format("<= {:.2f}: {}, {}", *c.goal, wr.value <= *c.goal ? "met" : "MISSED",
                           cr.value <= *c.goal ? "met" : "MISSED");
      fmt::print(
          "{:<21} {:<20} {:>5.0f} {:>10.0f} {:>7.3f} {:>13} {:>10.0f} {:>7.3f} {:>13} {:>6.3f} "
          "{:>+9.1f} {:>+9.1f}  {}\n",
          &c == &configs.front() ? name : "", c.name, calls, median(wall), wr.value, range(wr),
          median(cpu_ns), cr.value, range(cr), best, wx.value, cx.value, goal);
    }
  }
  print_against_floor(names, results, configs);
  print_paired(names, configs, results);
  if (o.seccomp_only) {
    fmt::print("Load average (1, 5 min) before: {}, after: {}.\n", load_before, load_average());
    return 0;
  }
  auto stats = never.stats(0);
  fmt::print(
      "\nCheck: rule '{}' was consulted {} times and fired {} times; the rules on "
      "other calls were consulted {} times.\n\n",
      never_spec, stats.hits, stats.fires,
      other.stats(0).hits + other.stats(1).hits + other.stats(2).hits);
  fmt::print("Check: rule '{}' was consulted {} times and fired {} times.\n", half_spec,
             half.stats(0).hits, half.stats(0).fires);
  std::uint64_t per_fifo_hits = 0, per_fifo_fires = 0, per_fifo_hit_rules = 0;
  for (int i = 0; i < kFifos; ++i) {
    per_fifo_hits += per_fifo.stats(i).hits;
    per_fifo_fires += per_fifo.stats(i).fires;
    per_fifo_hit_rules += per_fifo.stats(i).hits > 0;
  }
  fmt::print(
      "Check: the 16 per-FIFO rules were consulted {} times ({} of 16 rules) and fired {} "
      "times.\n\n",
      per_fifo_hits, per_fifo_hit_rules, per_fifo_fires);

  if (o.no_spawn) {
    fmt::print("Load average (1, 5 min) before: {}, after: {}.\n", load_before, load_average());
    return 0;
  }
  // Spawn cost: what loading the interposer (and mapping the control block) adds to exec.
  std::vector<std::string> base = clean_environment();
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> e = base;
    e.insert(e.end(), extra.begin(), extra.end());
    return e;
  };
  std::vector<std::pair<std::string, std::vector<std::string>>> spawn_configs = {
      {"native", base},
      {"bare LD_PRELOAD shim",
       with({"LD_PRELOAD=" + (bench.parent_path() / "libbench_bare_shim.so").string()})},
      {"preload, no control", with({preload, process})},
      {"preload, armed", with({preload, process, "FAULTLINE_CONTROL=" + never.path().string()})},
  };
  std::map<std::string, std::vector<Sample>> spawn;
  for (const auto& [name, env] : spawn_configs) (void)spawn_loop(5, env);  // warm-up
  int spawn_rounds = o.rounds * 3;
  for (int r = 0; r < spawn_rounds; ++r)
    for (const auto& [name, env] : rotated(spawn_configs, static_cast<size_t>(r)))
      spawn[name].push_back(spawn_loop(o.spawns, env));
  fmt::print(
      "Spawn cost: fork+execve+waitpid of /bin/true, {} rounds x {} spawns per "
      "configuration, interleaved.\nwall = ms per spawn; child cpu = CPU ms the child "
      "used (exec, loader, constructor); extra = median over rounds of config - native; "
      "ratio = child cpu to native's.\n\n",
      spawn_rounds, o.spawns);
  fmt::print("{:<21} {:>9} {:>10} {:>10} {:>11} {:>7} {:>10}  {}\n", "configuration", "wall ms",
             "extra ms", "child cpu", "extra cpu", "ratio", "over shim",
             "goal: over shim < 0.15 ms (wall)");
  const auto& native_spawn = spawn["native"];
  const auto& shim_spawn = spawn["bare LD_PRELOAD shim"];
  for (const auto& [name, env] : spawn_configs) {
    const auto& v = spawn[name];
    std::vector<double> wall, cpu_ms;
    for (const auto& x : v) {
      wall.push_back(x.wall);
      cpu_ms.push_back(x.cpu);
    }
    Summary wx = summarize(v, native_spawn,
                           [](const Sample& a, const Sample& n) { return a.wall - n.wall; });
    Summary cx =
        summarize(v, native_spawn, [](const Sample& a, const Sample& n) { return a.cpu - n.cpu; });
    // Any preloaded library pays for being mapped and relocated (the bare shim's extra, which
    // depends on the machine's mmap and page-fault cost); the interposer's own share is what
    // it adds on top of that floor.
    Summary sx =
        summarize(v, shim_spawn, [](const Sample& a, const Sample& n) { return a.wall - n.wall; });
    bool ours = name.starts_with("preload");
    std::string goal = ours ? (sx.value < 0.15 ? "met" : "MISSED") : "";
    Summary cr =
        summarize(v, native_spawn, [](const Sample& a, const Sample& n) { return a.cpu / n.cpu; });
    fmt::print("{:<21} {:>9.3f} {:>+10.3f} {:>10.3f} {:>+11.3f} {:>7.3f} {:>10}  {}\n", name,
               median(wall), wx.value, median(cpu_ms), cx.value, cr.value,
               ours ? fmt::format("{:+.3f}", sx.value) : "", goal);
  }
  fmt::print("\nLoad average (1, 5 min) before: {}, after: {}.\n", load_before, load_average());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Interposer overhead against native: IPC calls and process spawn."};
  Options o;
  bool no_strace = false;
  bool no_seccomp = false;
  app.add_option("--rounds", o.rounds, "runs per benchmark and configuration, interleaved")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  app.add_option("--min-time", o.min_time, "seconds per benchmark run (Google Benchmark)")
      ->check(CLI::Range(0.01, 60.0))
      ->capture_default_str();
  app.add_option("--spawns", o.spawns, "spawns per configuration per spawn round")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  app.add_option("--cpu", o.cpu,
                 "CPU to pin every process to; -1: no pinning (default: the last one allowed)")
      ->check(CLI::Range(-1, CPU_SETSIZE - 1));
  app.add_flag("--no-strace", no_strace, "leave out the strace comparison");
  app.add_flag("--no-seccomp", no_seccomp, "leave out the seccomp backend");
  app.add_flag("--seccomp-only", o.seccomp_only,
               "only native, the bare notify floor and the seccomp backend; no spawn loop");
  app.add_option("--only", o.only, "run only the benchmarks matching this regex (e.g. paired)");
  app.add_flag("--no-spawn", o.no_spawn, "leave out the spawn loop");
  CLI11_PARSE(app, argc, argv);
  o.strace = !no_strace;
  o.seccomp = !no_seccomp;
  try {
    return run(o);
  } catch (const std::exception& e) {
    fmt::print(stderr, "bench_interpose: {}\n", e.what());
    return 1;
  }
}
