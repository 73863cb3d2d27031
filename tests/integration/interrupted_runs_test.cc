// Interrupted runs: `faultline run` (serially and with -j 2) on the showcase, whose scenarios
// use every channel type, `faultline explore` (serially and with -j 2) of one robust showcase
// scenario drawn at random, and `faultline exec`, each killed with SIGINT, SIGTERM or SIGKILL
// at a random moment (seeded; the seed is printed). After SIGINT/SIGTERM the runner must exit
// 128+N with nothing left; after SIGKILL, `faultline gc` or the next run must leave no IPC
// object, no /dev/shm or /dev/mqueue entry, no run folder and no process of the killed run.
//
// What belongs to "the run" is decided without asking faultline: this test is a child
// subreaper, so every process the runner started, however it detached itself, stays a
// descendant of ours; it runs in IPC and mount namespaces of its own (as root), so every
// System V object and every /dev/shm, /dev/mqueue entry it sees was made by its own runs.
//
// FAULTLINE_KILLS (default 100) and FAULTLINE_KILL_SEED choose how many kills and which;
// ci/soak runs 1,000.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "processes/spawn_program.h"
#include "support.h"
#include "util/unique_fd.h"

namespace fs = std::filesystem;
using faultline::test::PrivateTmpdir;
using faultline::test::run_faultline;
using faultline::test::TempScenario;
using Clock = std::chrono::steady_clock;
using Micros = std::chrono::microseconds;

extern char** environ;

namespace {

enum class Mode { run, run_j2, explore, explore_j2, exec };
constexpr std::array<Mode, 5> kModes{Mode::run, Mode::run_j2, Mode::explore, Mode::explore_j2,
                                     Mode::exec};
constexpr std::array<int, 3> kSignals{SIGINT, SIGTERM, SIGKILL};

const char* mode_name(Mode m) {
  switch (m) {
    case Mode::run:
      return "run";
    case Mode::run_j2:
      return "run -j 2";
    case Mode::explore:
      return "explore";
    case Mode::explore_j2:
      return "explore -j 2";
    case Mode::exec:
      return "exec";
  }
  return "?";
}
const char* signal_short(int sig) {
  return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "SIGKILL";
}

// Moments, as time since the runner was started: its loader and set-up, provisioning and the
// first processes, the scenarios' runs.
constexpr std::array<Micros, 5> kBucketEnds{Micros(2'000), Micros(10'000), Micros(50'000),
                                            Micros(250'000), Micros(1'000'000)};
std::size_t bucket_of(Micros delay) {
  std::size_t b = 0;
  while (b < kBucketEnds.size() && delay >= kBucketEnds[b]) ++b;
  return b;
}
std::string bucket_name(std::size_t b) {
  auto ms = [](Micros d) { return fmt::format("{}ms", d.count() / 1000); };
  if (b == 0) return "<" + ms(kBucketEnds[0]);
  if (b == kBucketEnds.size()) return ">=" + ms(kBucketEnds.back());
  return ms(kBucketEnds[b - 1]) + "-" + ms(kBucketEnds[b]);
}

std::uint64_t env_number(const char* name, std::uint64_t fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::strtoull(v, nullptr, 10) : fallback;
}

// "" when it cannot be read: a /proc file of a process that ends while it is read fails with
// ESRCH, which libstdc++'s filebuf throws as an exception.
std::string read_text(const fs::path& p) {
  try {
    std::ifstream in(p);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  } catch (const std::exception&) {
    return "";
  }
}

struct ProcEntry {
  pid_t pid = 0;
  pid_t ppid = 0;
  char state = '?';
  std::string comm;
};

std::vector<ProcEntry> all_processes() {
  std::vector<ProcEntry> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/proc", ec)) {
    const std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string stat = read_text(e.path() / "stat");
    auto open = stat.find('('), close = stat.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    ProcEntry p;
    p.pid = std::stoi(name);
    p.comm = stat.substr(open + 1, close - open - 1);
    std::istringstream rest(stat.substr(close + 1));
    rest >> p.state >> p.ppid;
    out.push_back(p);
  }
  return out;
}

// Every exited child of ours (the runner's orphans come to us, as to their subreaper).
void reap_zombies() {
  while (::waitpid(-1, nullptr, WNOHANG) > 0) {
  }
}

// Live descendants of this process: what a killed runner left running.
std::vector<ProcEntry> live_descendants() {
  const auto all = all_processes();
  std::map<pid_t, pid_t> parent;
  for (const auto& p : all) parent[p.pid] = p.ppid;
  const pid_t self = ::getpid();
  std::vector<ProcEntry> out;
  for (const auto& p : all) {
    if (p.state == 'Z' || p.state == 'X' || p.pid == self) continue;
    pid_t up = p.ppid;
    for (int depth = 0; depth < 64 && up > 1; ++depth) {
      if (up == self) {
        out.push_back(p);
        break;
      }
      auto it = parent.find(up);
      if (it == parent.end()) break;
      up = it->second;
    }
  }
  return out;
}

// A leftover process with what tells a dying one (SIGKILL pending, PF_EXITING) or one between
// clone and exec (comm still "faultline") from a program left running.
std::string describe_process(const ProcEntry& p) {
  std::string pending, flags;
  std::istringstream status(read_text(fmt::format("/proc/{}/status", p.pid)));
  for (std::string line; std::getline(status, line);)
    if (line.rfind("SigPnd:", 0) == 0 || line.rfind("ShdPnd:", 0) == 0) pending += line + " ";
  std::string stat = read_text(fmt::format("/proc/{}/stat", p.pid));
  std::istringstream rest(stat.substr(stat.rfind(')') + 1));
  std::string field;
  for (int i = 3; i <= 9 && rest >> field; ++i) flags = field;  // field 9: flags
  std::string cmdline = read_text(fmt::format("/proc/{}/cmdline", p.pid));
  for (char& c : cmdline)
    if (c == '\0') c = ' ';
  return fmt::format("pid {} ({}) state {} ppid {} flags {} {}cmdline: {}", p.pid, p.comm, p.state,
                     p.ppid, flags, pending, cmdline);
}

// What a run can leave on the machine, seen from here.
struct Leftovers {
  std::vector<std::string> processes, sysv, shm, mqueue, folders, cgroups;
  [[nodiscard]] std::size_t total() const {
    return processes.size() + sysv.size() + shm.size() + mqueue.size() + folders.size() +
           cgroups.size();
  }
  [[nodiscard]] std::string describe() const {
    std::string s;
    auto add = [&](const char* what, const std::vector<std::string>& v) {
      for (const auto& x : v) s += fmt::format("  {} {}\n", what, x);
    };
    add("process", processes);
    add("System V", sysv);
    add("/dev/shm", shm);
    add("/dev/mqueue", mqueue);
    add("run folder", folders);
    add("cgroup", cgroups);
    return s;
  }
};

void list_sysv(const char* file, const char* kind, const std::set<std::string>& baseline,
               std::vector<std::string>& out) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    std::istringstream f(line);
    long key = 0, id = 0;
    if (!(f >> key >> id)) continue;
    std::string what = fmt::format("{} id {} key {:#x}", kind, id, static_cast<unsigned>(key));
    if (!baseline.count(what)) out.push_back(what);
  }
}

void list_named(const fs::path& dir, std::string_view prefix, std::vector<std::string>& out) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.path().filename().string().rfind(prefix, 0) == 0) out.push_back(e.path().string());
  }
}

class LeftoverWatch final {
 public:
  LeftoverWatch(fs::path tmpdir, std::optional<fs::path> cgroup, bool own_ipc)
      : tmpdir_(std::move(tmpdir)),
        cgroup_(std::move(cgroup)),
        // In namespaces of our own every POSIX object is one of our runs': also those their
        // programs made (the naive showcase programs leak theirs), which gc must remove.
        // Without, only faultline's own names can be told from the machine's.
        posix_prefix_(own_ipc ? "" : "faultline") {
    // Without namespaces of our own the machine's other objects are there already.
    if (!own_ipc) {
      Leftovers now = look();
      baseline_.insert(now.sysv.begin(), now.sysv.end());
      baseline_.insert(now.shm.begin(), now.shm.end());
      baseline_.insert(now.mqueue.begin(), now.mqueue.end());
    }
  }
  [[nodiscard]] Leftovers look() const {
    reap_zombies();
    Leftovers l;
    for (const auto& p : live_descendants()) l.processes.push_back(describe_process(p));
    list_sysv("/proc/sysvipc/shm", "shm", baseline_, l.sysv);
    list_sysv("/proc/sysvipc/msg", "msg", baseline_, l.sysv);
    list_sysv("/proc/sysvipc/sem", "sem", baseline_, l.sysv);
    std::vector<std::string> shm, mq;
    list_named("/dev/shm", posix_prefix_, shm);
    list_named("/dev/mqueue", posix_prefix_, mq);
    for (auto& s : shm)
      if (!baseline_.count(s)) l.shm.push_back(s);
    for (auto& s : mq)
      if (!baseline_.count(s)) l.mqueue.push_back(s);
    list_named(tmpdir_, "faultline-", l.folders);
    if (cgroup_) list_named(*cgroup_, "faultline-", l.cgroups);
    return l;
  }

 private:
  fs::path tmpdir_;
  std::optional<fs::path> cgroup_;
  std::string posix_prefix_;
  std::set<std::string> baseline_;
};

// Whether the runner had SIGINT and SIGTERM blocked (from .preinit_array on): a stop signal
// then goes through its clean-up; before that, the kernel's default action kills it.
bool stop_signals_blocked(pid_t pid) {
  std::istringstream status(read_text(fmt::format("/proc/{}/status", pid)));
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("SigBlk:", 0) != 0) continue;
    unsigned long long mask = std::stoull(line.substr(7), nullptr, 16);
    const auto bit = [](int sig) { return 1ULL << (sig - 1); };
    return (mask & bit(SIGINT)) && (mask & bit(SIGTERM));
  }
  return false;
}

// Waits up to `limit` for the child to end; its wait status, or nullopt when it did not.
std::optional<int> wait_child(pid_t pid, int pidfd, std::chrono::seconds limit) {
  pollfd p{pidfd, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(limit.count() * 1000)) <= 0) return std::nullopt;
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid) return std::nullopt;
  return status;
}

// Counts printed at the end: kills per signal and moment, and what they left.
struct Tally {
  std::map<std::pair<int, std::size_t>, int> kills;       // (signal, bucket)
  std::map<std::pair<int, std::size_t>, int> leftovers;   // leftovers found where none may be
  std::map<std::size_t, int> left_until_gc;               // SIGKILL: things there before gc
  std::map<std::size_t, int> sigkill_processes_until_gc;  // ... of which processes
  int ended_before_kill = 0;
  int killed_outright = 0;  // SIGINT/SIGTERM before .preinit_array blocked them
  Micros latest_outright{0};
  int gc_cleaned = 0, next_run_cleaned = 0;
  std::map<Mode, int> per_mode;
};

// The showcase's robust scenarios, in a fixed order: explore takes one of them. They pass as
// they are (explore needs a baseline that passes; the naive ones fail by design), and there
// is one for every channel type.
std::vector<fs::path> robust_scenarios(const fs::path& scenarios) {
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(scenarios)) {
    const std::string name = e.path().filename().string();
    if (e.path().extension() == ".yaml" && name.find("robust") != std::string::npos)
      files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// The runner's command line for one mode; `one` is the scenario explore explores.
std::vector<std::string> command_for(Mode mode, const fs::path& scenarios, const fs::path& one) {
  const std::string fl = faultline::test::faultline_exe().string();
  switch (mode) {
    case Mode::run:
      return {fl, "run", scenarios.string(), "--no-backtrace"};
    case Mode::run_j2:
      return {fl, "run", "-j", "2", scenarios.string(), "--no-backtrace"};
    case Mode::explore:
    case Mode::explore_j2:
      // The baseline runs in the explorer itself, then the fault points in its workers.
      return {
          fl,  "explore",        "-j",        mode == Mode::explore ? "1" : "2", "--baseline-runs",
          "1", "--no-backtrace", one.string()};
    case Mode::exec:
      // A program with a child, a daemon that left its group and a loop of short-lived
      // processes: what a killed runner must not leave running.
      return {fl,
              "exec",
              "--no-backtrace",
              "--fault",
              "read:error=EINTR:nth=3",
              "--",
              "sh",
              "-c",
              "(setsid sleep 60 &); sleep 60 & while :; do head -c 100 /dev/zero | cat "
              ">/dev/null; done"};
  }
  return {};
}

}  // namespace

TEST_CASE("Runners killed at random moments by SIGINT, SIGTERM or SIGKILL leave nothing behind",
          "[integration][signals][gc][interrupted]") {
  // Isolation first, while this process has one thread (unshare refuses a shared fs).
  const std::string isolation = faultline::test::isolate_ipc_namespace();
  const bool own_ipc = isolation.empty();
  if (!own_ipc)
    std::cout << "note: System V and POSIX objects are compared with the machine's before the "
                 "test ("
              << isolation << ")\n";
  faultline::test::OwnCgroup cgroup("fltest-interrupted");
  REQUIRE(::prctl(PR_SET_CHILD_SUBREAPER, 1) == 0);
  // However this test ends (a failed REQUIRE, an exception), no process it started outlives
  // it: all are its descendants, since it is their subreaper. A few rounds, for what a dying
  // shell still forked. (Once, an exception here left an exec'd shell looping for good.)
  struct KillDescendants {
    KillDescendants() = default;
    KillDescendants(const KillDescendants&) = delete;
    KillDescendants& operator=(const KillDescendants&) = delete;
    ~KillDescendants() {
      for (int round = 0; round < 5; ++round) {
        auto alive = live_descendants();
        if (alive.empty()) break;
        // Through pidfds, which say when each one has ended.
        std::vector<pollfd> ends;
        for (const auto& p : alive) {
          int fd = static_cast<int>(::syscall(SYS_pidfd_open, p.pid, 0));
          if (fd < 0) continue;
          ::syscall(SYS_pidfd_send_signal, fd, SIGKILL, nullptr, 0);
          ends.push_back({fd, POLLIN, 0});
        }
        for (auto& end : ends) {
          (void)::poll(&end, 1, 1000);
          ::close(end.fd);
        }
        reap_zombies();
      }
    }
  } kill_descendants;
  PrivateTmpdir tmpdir;
  LeftoverWatch watch(tmpdir.path(), cgroup.path(), own_ipc);

  const std::uint64_t kills = env_number("FAULTLINE_KILLS", 100);
  const std::uint64_t seed = env_number("FAULTLINE_KILL_SEED", std::random_device{}());
  std::cout << fmt::format(
      "interrupted runs: {} kills, seed {} (FAULTLINE_KILL_SEED={} repeats "
      "them)\n",
      kills, seed, seed);
  std::mt19937_64 random(seed);
  // Moments spread evenly on a log scale, so the runner's first milliseconds (loading,
  // provisioning, the first spawns) get as many kills as the seconds of its scenarios.
  const double low = std::log(100.0), high = std::log(3'000'000.0);  // 0.1 ms .. 3 s
  std::uniform_real_distribution<double> log_delay(low, high);
  TempScenario next_run("scenario: next-run\nprocesses:\n  t: { run: [\"true\"] }\n");
  const std::vector<fs::path> showcase = robust_scenarios(faultline::test::scenarios_dir());
  REQUIRE(!showcase.empty());

  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) env.emplace_back(*e);
  env.emplace_back("NO_COLOR=1");
  faultline::UniqueFd null_in(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  faultline::UniqueFd null_out(::open("/dev/null", O_WRONLY | O_CLOEXEC));
  REQUIRE(null_in);
  REQUIRE(null_out);

  Tally tally;
  const auto started = Clock::now();
  for (std::uint64_t k = 0; k < kills; ++k) {
    const Mode mode = kModes[random() % kModes.size()];
    const int sig = kSignals[random() % kSignals.size()];
    const Micros delay(static_cast<long long>(std::exp(log_delay(random))));
    const std::size_t bucket = bucket_of(delay);
    const fs::path& one = showcase[random() % showcase.size()];
    const bool explores = mode == Mode::explore || mode == Mode::explore_j2;
    INFO(fmt::format("kill {}: {}{} by {} after {} us (seed {})", k, mode_name(mode),
                     explores ? " " + one.string() : "", signal_short(sig), delay.count(), seed));

    faultline::ProgramSpec spec;
    spec.argv = command_for(mode, faultline::test::scenarios_dir(), one);
    spec.env = env;
    spec.fds = {{0, null_in.get()}, {1, null_out.get()}, {2, null_out.get()}};
    spec.own_process_group = true;
    spec.default_signals = true;
    const auto spawned_at = Clock::now();
    faultline::StartOutcome runner = faultline::spawn_program(spec);
    REQUIRE(runner.child);
    const pid_t pid = runner.child->pid;
    std::this_thread::sleep_until(spawned_at + delay);  // the random moment, not a wait

    siginfo_t info{};
    if (::waitid(P_PID, pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid) {
      // It finished before its moment came: no kill to count.
      ++tally.ended_before_kill;
      (void)faultline::wait_for_exit(pid);
      continue;
    }
    const bool blocked = stop_signals_blocked(pid);
    REQUIRE(::kill(pid, sig) == 0);
    ++tally.kills[{sig, bucket}];
    ++tally.per_mode[mode];
    const auto status = wait_child(pid, runner.child->pidfd.get(), std::chrono::seconds(60));
    if (!status) {
      ::kill(pid, SIGKILL);
      (void)faultline::wait_for_exit(pid);
      FAIL("the runner did not end within 60 s of " << signal_short(sig));
    }

    if (sig != SIGKILL) {
      if (WIFSIGNALED(*status) && WTERMSIG(*status) == sig) {
        // Killed by the kernel's default action: only before the signals were blocked.
        CHECK(!blocked);
        ++tally.killed_outright;
        tally.latest_outright = std::max(tally.latest_outright, delay);
      } else {
        CHECK(WIFEXITED(*status));
        CHECK(WEXITSTATUS(*status) == 128 + sig);
      }
      // Nothing left, at once: no gc.
      Leftovers left = watch.look();
      INFO("left behind after " << signal_short(sig) << ":\n" << left.describe());
      CHECK(left.total() == 0);
      tally.leftovers[{sig, bucket}] += static_cast<int>(left.total());
      if (left.total() != 0) (void)run_faultline({"gc"});
      continue;
    }

    CHECK(WIFSIGNALED(*status));
    Leftovers before_gc = watch.look();
    tally.left_until_gc[bucket] += static_cast<int>(before_gc.total());
    tally.sigkill_processes_until_gc[bucket] += static_cast<int>(before_gc.processes.size());
    // Every other SIGKILL is cleaned up by the next run, which collects dead runs first.
    const bool by_next_run = (k % 2) == 1;
    auto cleaner =
        by_next_run ? run_faultline({"run", next_run.path().string()}) : run_faultline({"gc"});
    INFO(cleaner.out << cleaner.err);
    CHECK(cleaner.exit_code == 0);
    (by_next_run ? tally.next_run_cleaned : tally.gc_cleaned) += 1;
    Leftovers left = watch.look();
    INFO("left behind after SIGKILL and " << (by_next_run ? "the next run" : "faultline gc")
                                          << ":\n"
                                          << left.describe());
    CHECK(left.total() == 0);
    tally.leftovers[{sig, bucket}] += static_cast<int>(left.total());
    if (left.total() != 0) {
      // Still there a second later? (A dying process would not be.)
      std::this_thread::sleep_for(std::chrono::seconds(1));
      std::cout << "after SIGKILL, left by gc, and a second later:\n"
                << left.describe() << watch.look().describe();
      for (const auto& p : live_descendants()) ::kill(p.pid, SIGKILL);
      (void)run_faultline({"gc"});
    }
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();

  std::cout << fmt::format("{} kills in {:.1f} s ({} ended before their moment); per mode:",
                           kills - tally.ended_before_kill, seconds, tally.ended_before_kill);
  for (Mode m : kModes) std::cout << fmt::format(" {} {}", mode_name(m), tally.per_mode[m]);
  std::cout << "\nkills per signal and moment (time since start), leftovers found where none "
               "may be:\n";
  std::cout << fmt::format("  {:<9}", "");
  for (std::size_t b = 0; b <= kBucketEnds.size(); ++b)
    std::cout << fmt::format("{:>13}", bucket_name(b));
  std::cout << '\n';
  for (int sig : kSignals) {
    std::cout << fmt::format("  {:<9}", signal_short(sig));
    for (std::size_t b = 0; b <= kBucketEnds.size(); ++b)
      std::cout << fmt::format(
          "{:>13}", fmt::format("{} ({})", tally.kills[{sig, b}], tally.leftovers[{sig, b}]));
    std::cout << '\n';
  }
  std::cout << fmt::format("  {:<9}", "SIGKILL:");
  for (std::size_t b = 0; b <= kBucketEnds.size(); ++b)
    std::cout << fmt::format("{:>13}", fmt::format("{}/{}", tally.left_until_gc[b],
                                                   tally.sigkill_processes_until_gc[b]));
  std::cout << "  <- things / processes left until gc or the next run\n";
  std::cout << fmt::format(
      "SIGKILL cleaned up by faultline gc {} times, by the next run {} times\n"
      "SIGINT/SIGTERM that killed the runner outright (before .preinit_array): {}, the latest "
      "{} us after start\n",
      tally.gc_cleaned, tally.next_run_cleaned, tally.killed_outright,
      tally.latest_outright.count());
  std::cout.flush();
}
