// A runner killed by SIGKILL cannot stop what it started: `faultline gc` (and the next run)
// must end those processes, and only those.
#include <fcntl.h>
#include <mqueue.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <poll.h>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "faultline_control.h"
#include "processes/spawn_program.h"
#include "runner/leak_check.h"
#include "support.h"
#include "util/unique_fd.h"

namespace fs = std::filesystem;
using faultline::test::NothingLeftBehind;
using faultline::test::PrivateTmpdir;
using faultline::test::run_faultline;
using faultline::test::TempDir;
using faultline::test::TempScenario;

extern char** environ;

namespace {

bool alive(long pid) {
  // A zombie is not alive: it has run its course and only waits for a reaper.
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  auto close = line.rfind(')');
  return close != std::string::npos && line.size() > close + 2 && line[close + 2] != 'Z';
}

unsigned long long start_time(long pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  std::istringstream rest(line.substr(line.rfind(')') + 2));
  std::string field;
  for (int i = 3; i < 22; ++i) rest >> field;
  unsigned long long t = 0;
  rest >> t;
  return t;
}

long read_pid(const fs::path& file) {
  std::ifstream in(file);
  long pid = -1;
  in >> pid;
  return pid;
}

// Waits, with inotify, until `name` appears in `dir` (written elsewhere and renamed in).
bool wait_for_file(const fs::path& dir, const std::string& name, std::chrono::seconds limit) {
  int fd = inotify_init1(IN_CLOEXEC);
  inotify_add_watch(fd, dir.c_str(), IN_MOVED_TO | IN_CREATE);
  const auto deadline = std::chrono::steady_clock::now() + limit;
  bool found = false;
  while (!(found = fs::exists(dir / name))) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) > 0) {
      char buf[4096];
      (void)!read(fd, buf, sizeof buf);
    }
  }
  close(fd);
  return found;
}

pid_t spawn(const std::vector<std::string>& argv, bool own_group) {
  faultline::UniqueFd null_in(open("/dev/null", O_RDONLY | O_CLOEXEC));
  faultline::UniqueFd null_out(open("/dev/null", O_WRONLY | O_CLOEXEC));
  if (!null_in || !null_out) return -1;
  faultline::ProgramSpec spec;
  spec.argv = argv;
  spec.search_path = true;
  spec.fds = {{0, null_in.get()}, {1, null_out.get()}, {2, null_out.get()}};
  spec.own_process_group = own_group;
  faultline::StartOutcome started = faultline::spawn_program(spec);
  return started.child ? started.child->pid : -1;
}

void reap(pid_t pid) { (void)faultline::wait_for_exit(pid); }

std::string run_directory_of_live_run(const std::string& label) {
  for (const auto& e : fs::directory_iterator(fs::temp_directory_path())) {
    if (e.path().filename().string().rfind("faultline-" + label + "-", 0) == 0)
      return e.path().string();
  }
  return "";
}

// Runs `faultline gc` at the end of the scope, so that a failed REQUIRE leaves nothing running.
struct GcOnExit {
  GcOnExit() = default;
  GcOnExit(const GcOnExit&) = delete;
  GcOnExit& operator=(const GcOnExit&) = delete;
  ~GcOnExit() { (void)run_faultline({"gc"}); }
};

// Starts `faultline ARGS...` (output to /dev/null) and, once each of `marks` is in
// `marks_dir` (renamed in there by the run's programs once they are up) and `while_up` has
// looked at the live run, kills it with SIGKILL and reaps it. However `while_up` or a wait
// ends (a failed REQUIRE), the runner is killed and reaped.
void kill_runner_once_up(const std::vector<std::string>& args, const fs::path& marks_dir,
                         const std::vector<std::string>& marks,
                         const std::function<void()>& while_up = {}) {
  std::vector<std::string> argv{faultline::test::faultline_exe().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  const pid_t runner = spawn(argv, false);
  REQUIRE(runner > 0);
  struct KillOnExit {
    explicit KillOnExit(pid_t p) : pid(p) {}
    pid_t pid;
    KillOnExit(const KillOnExit&) = delete;
    KillOnExit& operator=(const KillOnExit&) = delete;
    ~KillOnExit() {
      kill(pid, SIGKILL);
      reap(pid);
    }
  } kill_on_exit{runner};
  for (const auto& mark : marks) REQUIRE(wait_for_file(marks_dir, mark, std::chrono::seconds(30)));
  if (while_up) while_up();
}

std::string read_whole(const fs::path& file) {
  std::ifstream in(file);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

}  // namespace

TEST_CASE("faultline gc ends every process of a SIGKILLed run, daemons included",
          "[integration][signals][gc]") {
  PrivateTmpdir tmpdir;
  NothingLeftBehind guard;
  GcOnExit gc_on_exit;
  TempDir marks("fltest-marks");
  TempScenario s(fmt::format(R"y(scenario: gc-kills-leftovers
timeout: 60s
processes:
  service:
    run: 'echo $$$$ > {0}/service.tmp && mv {0}/service.tmp {0}/service && exec sleep 1000'
    lifetime: service
    ready: {{ file: {0}/service }}
  task:
    after: [service]
    run: |
      setsid sh -c 'echo $$$$ > {0}/daemon.tmp; mv {0}/daemon.tmp {0}/daemon; exec sleep 1000' &
      setsid env -i sh -c 'echo $$$$ > {0}/bare.tmp; mv {0}/bare.tmp {0}/bare; exec sleep 1000' &
      sleep 999 &
      echo $! > {0}/child
      while [ ! -e {0}/daemon ] || [ ! -e {0}/bare ]; do sleep 0.01; done
      echo $$$$ > {0}/task.tmp && mv {0}/task.tmp {0}/task
      exec sleep 1000
)y",
                             marks.path().string()));
  // (`$$$$` is the shell's `$$`: faultline reads `$$` as a literal `$`.)
  // The task renames its file in only once every process of the run is up.
  std::string run_dir;
  bool has_cgroup = false;
  kill_runner_once_up({"run", s.path().string(), "--no-backtrace"}, marks.path(), {"task"}, [&] {
    run_dir = run_directory_of_live_run("gc-kills-leftovers");
    REQUIRE(!run_dir.empty());
    const std::string manifest = read_whole(run_dir + "/manifest");
    has_cgroup = manifest.find("cgroup ") != std::string::npos &&
                 manifest.find("cgroup-failed ") == std::string::npos;
    CHECK(manifest.find("pgroup ") != std::string::npos);
  });

  std::vector<long> pids;
  for (const char* name : {"service", "task", "child", "daemon", "bare"})
    pids.push_back(read_pid(marks.path() / name));
  for (long pid : pids) REQUIRE(pid > 0);
  // Without the runner, its processes live on ...
  for (long pid : pids) CHECK(alive(pid));

  auto gc = run_faultline({"gc"});
  INFO(gc.out << gc.err);
  CHECK(gc.exit_code == 0);
  CHECK(gc.out.find("removed removed") == std::string::npos);
  CHECK(gc.out.find("ended pid") != std::string::npos);
  // ... until gc: every one of them is gone. The daemon that left its group and cleared its
  // environment can only be found through the run's cgroup.
  for (std::size_t i = 0; i < pids.size(); ++i) {
    INFO("process " << i << " pid " << pids[i]);
    if (i == 4 && !has_cgroup) continue;
    CHECK(!alive(pids[i]));
  }
  CHECK(!fs::exists(run_dir));
  if (!has_cgroup && alive(pids[4])) kill(static_cast<pid_t>(pids[4]), SIGKILL);
}

TEST_CASE("faultline gc removes the IPC objects the programs of a SIGKILLed run created",
          "[integration][signals][gc][leaks]") {
  PrivateTmpdir tmpdir;
  NothingLeftBehind guard;
  GcOnExit gc_on_exit;
  TempDir marks("fltest-marks");
  // Names of this test's own, so that a leftover of another test cannot pass for ours.
  const std::string shm_name = fmt::format("/fltest-gc-shm-{}", getpid());
  const std::string mq_name = fmt::format("/fltest-gc-mq-{}", getpid());
  const std::string leaker = (faultline::test::test_programs_dir() / "leaker").string();
  TempScenario s(fmt::format(R"y(scenario: gc-removes-created-objects
timeout: 60s
processes:
  task:
    run: |
      {1} posix-shm {2} && {1} posix-mq {3} && {1} fifo {0} || exit 1
      touch {0}/made.tmp && mv {0}/made.tmp {0}/made
      exec sleep 1000
)y",
                             marks.path().string(), leaker, shm_name, mq_name));
  kill_runner_once_up({"run", s.path().string(), "--no-backtrace"}, marks.path(), {"made"});
  // Left by the program, not by the runner: only the control file's records tell them.
  const fs::path shm_file = "/dev/shm" + shm_name;
  const fs::path fifo = marks.path() / "leaked.fifo";
  REQUIRE(fs::exists(shm_file));
  REQUIRE(fs::exists(fifo));
  const bool mq_visible = fs::is_directory("/dev/mqueue") && fs::exists("/dev/mqueue" + mq_name);

  auto gc = run_faultline({"gc"});
  INFO(gc.out << gc.err);
  CHECK(gc.exit_code == 0);
  CHECK(!fs::exists(shm_file));
  CHECK(!fs::exists(fifo));
  CHECK(gc.out.find("removed POSIX shared memory " + shm_name + ", created by task") !=
        std::string::npos);
  CHECK(gc.out.find("removed POSIX message queue " + mq_name) != std::string::npos);
  CHECK(gc.out.find("removed FIFO " + fifo.string()) != std::string::npos);
  if (mq_visible) CHECK(!fs::exists("/dev/mqueue" + mq_name));
  // Whatever the checks above found, nothing of this test stays.
  (void)shm_unlink(shm_name.c_str());
  (void)mq_unlink(mq_name.c_str());
}

TEST_CASE("faultline gc leaves alone a process whose pid a dead run recorded for another",
          "[integration][signals][gc]") {
  PrivateTmpdir tmpdir;
  NothingLeftBehind guard;
  GcOnExit gc_on_exit;
  // An unrelated process that leads its own group, as a recycled pid would.
  pid_t bystander = spawn({"sleep", "1000"}, true);
  REQUIRE(bystander > 0);
  REQUIRE(alive(bystander));
  // A dead run's folder whose manifest names that pid with another start time.
  std::string templ = (fs::temp_directory_path() / "faultline-recycled-XXXXXX").string();
  REQUIRE(mkdtemp(templ.data()) != nullptr);
  const fs::path dir = templ;
  std::ofstream(dir / "owner") << "2147483646 1\n";  // no such pid: the runner is gone
  std::ofstream(dir / "manifest") << fmt::format("pgroup {} {}\n", bystander,
                                                 start_time(bystander) - 1);
  auto gc = run_faultline({"gc"});
  INFO(gc.out << gc.err);
  CHECK(gc.exit_code == 0);
  CHECK(!fs::exists(dir));
  CHECK(alive(bystander));
  CHECK(gc.out.find(fmt::format("ended pid {} ", bystander)) == std::string::npos);
  kill(bystander, SIGKILL);
  reap(bystander);
}

TEST_CASE("the next faultline run ends what a SIGKILLed run left running",
          "[integration][signals][gc]") {
  PrivateTmpdir tmpdir;
  NothingLeftBehind guard;
  GcOnExit gc_on_exit;
  TempDir marks("fltest-marks");
  TempScenario s(fmt::format(R"y(scenario: next-run-cleans
processes:
  task: {{ run: 'echo $$$$ > {0}/task.tmp && mv {0}/task.tmp {0}/task && exec sleep 1000' }}
)y",
                             marks.path().string()));
  kill_runner_once_up({"run", s.path().string(), "--no-backtrace"}, marks.path(), {"task"});
  long task = read_pid(marks.path() / "task");
  REQUIRE(alive(task));
  TempScenario next("scenario: next\nprocesses:\n  t: { run: [\"true\"] }\n");
  auto r = run_faultline({"run", next.path().string()});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.err.find(fmt::format("ended pid {} ", task)) != std::string::npos);
  CHECK(!alive(task));
}

long parent_of(long pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  std::istringstream rest(line.substr(line.rfind(')') + 2));
  char state = '?';
  long ppid = -1;
  rest >> state >> ppid;
  return ppid;
}

// The workers of a parallel runner, from the pid files its programs wrote: each program is a
// child of the worker that runs it. Distinct, else the check below proves nothing.
std::vector<long> workers_of(const fs::path& marks, const std::vector<std::string>& names) {
  std::vector<long> workers;
  for (const auto& name : names) workers.push_back(parent_of(read_pid(marks / name)));
  for (std::size_t i = 1; i < workers.size(); ++i) REQUIRE(workers[i] != workers[i - 1]);
  return workers;
}

// The live runner's scratch folder records each worker's process group (the worker leads
// it) with its start time.
void check_workers_recorded(const std::string& scratch, const std::vector<long>& workers) {
  REQUIRE(!scratch.empty());
  const std::string manifest = read_whole(scratch + "/manifest");
  INFO(manifest);
  for (long w : workers) {
    CHECK(alive(w));
    CHECK(manifest.find(fmt::format("pgroup {} {}\n", w, start_time(w))) != std::string::npos);
  }
}

// After the runner's SIGKILL: gc ends the workers and their programs, and removes the folder.
void check_gc_ends_workers(const std::string& scratch, const std::vector<long>& workers,
                           const fs::path& marks, const std::vector<std::string>& names) {
  auto gc = run_faultline({"gc"});
  INFO(gc.out << gc.err);
  CHECK(gc.exit_code == 0);
  for (long w : workers) CHECK(!alive(w));
  for (const auto& name : names) CHECK(!alive(read_pid(marks / name)));
  CHECK(!fs::exists(scratch));
}

TEST_CASE("faultline gc waits for the workers of a SIGKILLed run -j, recorded by their parent",
          "[integration][signals][gc]") {
  PrivateTmpdir tmpdir;
  NothingLeftBehind guard;
  GcOnExit gc_on_exit;
  TempDir marks("fltest-marks");
  TempDir scenarios("fltest-jobs");
  for (const char* name : {"a", "b"})
    std::ofstream(scenarios.path() / fmt::format("{}.yaml", name)) << fmt::format(
        "scenario: worker-{1}\ntimeout: 60s\nprocesses:\n  t: {{ run: 'echo $$$$ > {0}/{1}.tmp "
        "&& mv {0}/{1}.tmp {0}/{1} && exec sleep 1000' }}\n",
        marks.path().string(), name);
  std::vector<long> workers;
  std::string jobs;
  kill_runner_once_up({"run", "-j", "2", scenarios.path().string(), "--no-backtrace"}, marks.path(),
                      {"a", "b"}, [&] {
                        workers = workers_of(marks.path(), {"a", "b"});
                        // The parent's scratch folder records each worker's process group (the
                        // worker leads it) with its start time: what gc kills and waits for when it
                        // collects that folder. Before, gc waited only for a worker that owned a
                        // run folder of its own (one killed just after its fork, or between two
                        // scenarios, could still be exiting when gc returned).
                        jobs = run_directory_of_live_run("jobs");
                        check_workers_recorded(jobs, workers);
                      });
  check_gc_ends_workers(jobs, workers, marks.path(), {"a", "b"});
}

TEST_CASE("faultline gc waits for the workers of a SIGKILLed explore, recorded by their parent",
          "[integration][signals][gc][explore]") {
  // Serially (one worker) and with -j 2: explore runs its points in workers forked as
  // `run -j` does, and records them the same way, in a scratch folder of its own.
  for (const std::string jobs_option : {"1", "2"}) {
    DYNAMIC_SECTION("explore -j " << jobs_option) {
      PrivateTmpdir tmpdir;
      NothingLeftBehind guard;
      GcOnExit gc_on_exit;
      TempDir marks("fltest-marks");
      // The baseline (in the explorer itself) passes; every fault point's run then holds its
      // worker: its reader takes a slot, says so and sleeps, as a program that hangs would.
      TempScenario s(fmt::format(R"y(scenario: points-held
timeout: 60s
channels: {{ p: {{ type: pipe }} }}
processes:
  writer: {{ run: [sh, -c, 'echo hello; echo world'], stdout: {{ channel: p }} }}
  reader:
    stdin: {{ channel: p }}
    run:
      - sh
      - -c
      - |
        cat >/dev/null
        if [ ! -e {0}/baseline ]; then touch {0}/baseline; exit 0; fi
        for n in 1 2; do
          if mkdir {0}/slot$n 2>/dev/null; then
            echo $$$$ > {0}/point$n.tmp && mv {0}/point$n.tmp {0}/point$n
            break
          fi
        done
        exec sleep 1000
)y",
                                 marks.path().string()));
      std::vector<std::string> points{"point1"};
      if (jobs_option == "2") points.push_back("point2");
      std::vector<long> workers;
      std::string scratch;
      kill_runner_once_up({"explore", "-j", jobs_option, "--baseline-runs", "1", "--no-backtrace",
                           s.path().string()},
                          marks.path(), points, [&] {
                            workers = workers_of(marks.path(), points);
                            scratch = run_directory_of_live_run("explore");
                            check_workers_recorded(scratch, workers);
                          });
      check_gc_ends_workers(scratch, workers, marks.path(), points);
    }
  }
}

TEST_CASE("faultline gc ends a process forked from a dead run's owner before it was recorded",
          "[integration][signals][gc]") {
  // A worker of `run -j` or `explore` is recorded by its parent after fork() returns: a parent
  // SIGKILLed in between leaves a worker that no record names. It dies of its death signal
  // (or of its parent check, if the parent died before its prctl), but gc would not wait for
  // it. What names it from the fork on: the descriptor of its parent's manifest (opened for
  // appending and kept open) that every forked process holds until it execs.
  PrivateTmpdir tmpdir;
  NothingLeftBehind guard;
  GcOnExit gc_on_exit;
  std::string templ = (fs::temp_directory_path() / "faultline-unrecorded-XXXXXX").string();
  REQUIRE(mkdtemp(templ.data()) != nullptr);
  const fs::path dir = templ;
  std::ofstream(dir / "owner") << "2147483646 1\n";  // no such pid: the runner is gone
  std::ofstream(dir / "manifest") << "";             // and it recorded nothing
  // One process holding the manifest as a worker does (O_APPEND, writable), in a group of
  // its own, without FAULTLINE_RUN_DIR; and a bystander that only reads it (a user's `tail`).
  auto hold = [&](int flags) {
    faultline::UniqueFd manifest(open((dir / "manifest").c_str(), flags | O_CLOEXEC));
    faultline::UniqueFd null_fd(open("/dev/null", O_RDWR | O_CLOEXEC));
    faultline::ProgramSpec spec;
    spec.argv = {"sleep", "1000"};
    spec.search_path = true;
    spec.fds = {{0, null_fd.get()}, {1, null_fd.get()}, {2, null_fd.get()}, {3, manifest.get()}};
    spec.own_process_group = true;
    faultline::StartOutcome started = faultline::spawn_program(spec);
    return started.child ? started.child->pid : -1;
  };
  const pid_t worker = hold(O_WRONLY | O_APPEND);
  const pid_t reader = hold(O_RDONLY);
  REQUIRE(worker > 0);
  REQUIRE(reader > 0);
  REQUIRE(fs::exists(fmt::format("/proc/{}/fd/3", worker)));
  auto gc = run_faultline({"gc"});
  INFO(gc.out << gc.err);
  CHECK(gc.exit_code == 0);
  CHECK(!alive(worker));
  CHECK(gc.out.find(fmt::format("ended pid {} ", worker)) != std::string::npos);
  CHECK(alive(reader));
  CHECK(!fs::exists(dir));
  for (pid_t p : {worker, reader}) {
    kill(p, SIGKILL);
    reap(p);
  }
}

TEST_CASE("The runner blocks SIGINT and SIGTERM before any library's constructor runs") {
  // A SIGTERM in the runner's first milliseconds must end it through its own clean-up
  // (exit 143), not kill it outright: the signals are blocked from .preinit_array, before
  // the constructors of every library (a preloaded one's included) and of the program.
  const fs::path probe = faultline::test::test_programs_dir() / "libmask_probe.so";
  REQUIRE(fs::exists(probe));
  auto r = run_faultline({"--version"}, {"LD_PRELOAD=" + probe.string()});
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.err, Catch::Contains("mask_probe: stop signals blocked"));
}

namespace {

// Whether this program runs in an IPC namespace of its own, not its parent's (leak_guard.cc
// moves it there as root): then every System V object it sees is one of its own runs', and
// its /proc/sys/kernel/*_next_id are its own.
bool own_ipc_namespace() {
  struct stat mine {};
  struct stat parent {};
  return stat("/proc/self/ns/ipc", &mine) == 0 &&
         stat(fmt::format("/proc/{}/ns/ipc", getppid()).c_str(), &parent) == 0 &&
         mine.st_ino != parent.st_ino;
}

// The ids in /proc/sysvipc/{shm,msg,sem} (after the header, the second column).
std::vector<int> sysv_ids(const char* file) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  std::vector<int> ids;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    long key = 0;
    int id = -1;
    if (fields >> key >> id) ids.push_back(id);
  }
  return ids;
}

}  // namespace

TEST_CASE(
    "gc's check of a recorded IPC_PRIVATE id, on the IPC_STAT of a segment made by "
    "another process",
    "[gc][leaks]") {
  // A child makes the segment and exits: the kernel keeps the child's pid as its creator.
  int ids[2];
  REQUIRE(pipe(ids) == 0);
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    const int id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
    _exit(write(ids[1], &id, sizeof id) == sizeof id && id >= 0 ? 0 : 1);
  }
  close(ids[1]);
  int id = -1;
  const bool got = read(ids[0], &id, sizeof id) == sizeof id;
  close(ids[0]);
  int status = 0;
  waitpid(child, &status, 0);
  REQUIRE(got);
  REQUIRE(id >= 0);
  shmid_ds ds{};
  REQUIRE(shmctl(id, IPC_STAT, &ds) == 0);
  (void)shmctl(id, IPC_RMID, nullptr);
  const faultline::SysvObjectNow now{ds.shm_perm.__key, ds.shm_perm.uid, ds.shm_perm.cuid,
                                     ds.shm_cpid};
  CHECK(now.cpid == child);
  faultline::ControlBlock::Created record;
  record.kind = FL_OBJECT_SHM;
  record.id = id;
  record.key = IPC_PRIVATE;
  record.pid = child;
  const uid_t user = geteuid();
  // Recorded by its creator: the segment is the recorded one, at the end of a run and later.
  CHECK(faultline::sysv_record_holds(record, now, false, user));
  CHECK(faultline::sysv_record_holds(record, now, true, user));
  // Recorded by another process: the id was given again, to a segment made by someone else.
  // At the end of a run the id is trusted; gc, later, checks the creator.
  record.pid = getpid();
  CHECK(faultline::sysv_record_holds(record, now, false, user));
  CHECK(!faultline::sysv_record_holds(record, now, true, user));
  record.pid = child;
  // gc removes nothing of another user's.
  CHECK(!faultline::sysv_record_holds(record, now, true, user + 1));
  // A keyed record holds only where the key is the same.
  record.key = 0x464c;
  CHECK(!faultline::sysv_record_holds(record, now, false, user));
  CHECK(!faultline::sysv_record_holds(record, now, true, user));
}

TEST_CASE(
    "faultline gc leaves alone the System V objects a dead run recorded that are not its "
    "own any more",
    "[integration][signals][gc][leaks]") {
  if (!own_ipc_namespace() || geteuid() != 0) {
    WARN(
        "needs root and an IPC namespace of this test's own (to choose the next id and give "
        "an object to another user); the check itself is tested above");
    return;
  }
  PrivateTmpdir tmpdir;
  NothingLeftBehind guard;
  GcOnExit gc_on_exit;
  TempDir marks("fltest-marks");
  const std::string leaker = (faultline::test::test_programs_dir() / "leaker").string();
  TempScenario s(fmt::format(R"y(scenario: gc-sysv-not-ours
timeout: 60s
processes:
  task:
    run: |
      {1} shm - && {1} msgqueue - || exit 1
      touch {0}/made.tmp && mv {0}/made.tmp {0}/made
      exec sleep 1000
)y",
                             marks.path().string(), leaker));
  kill_runner_once_up({"run", s.path().string(), "--no-backtrace"}, marks.path(), {"made"});
  // The leaker's IPC_PRIVATE segment and queue: the only System V objects of this namespace.
  const std::vector<int> shm = sysv_ids("/proc/sysvipc/shm");
  const std::vector<int> msg = sysv_ids("/proc/sysvipc/msg");
  REQUIRE(shm.size() == 1);
  REQUIRE(msg.size() == 1);
  // The segment goes, and the kernel gives its id to a segment of this process's, as it gives
  // an id again once its counter comes round (here at once: the next id is chosen, as
  // checkpoint/restore does).
  REQUIRE(shmctl(shm[0], IPC_RMID, nullptr) == 0);
  std::ofstream("/proc/sys/kernel/shm_next_id") << shm[0] << '\n';
  const int bystander = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
  std::ofstream("/proc/sys/kernel/shm_next_id") << -1 << '\n';
  REQUIRE(bystander == shm[0]);
  // The queue is given to another user.
  msqid_ds q{};
  REQUIRE(msgctl(msg[0], IPC_STAT, &q) == 0);
  q.msg_perm.uid = 65534;
  REQUIRE(msgctl(msg[0], IPC_SET, &q) == 0);

  auto gc = run_faultline({"gc"});
  INFO(gc.out << gc.err);
  CHECK(gc.exit_code == 0);
  shmid_ds ds{};
  CHECK(shmctl(bystander, IPC_STAT, &ds) == 0);
  CHECK(msgctl(msg[0], IPC_STAT, &q) == 0);
  CHECK(gc.out.find(fmt::format("System V shared memory segment id {} ", bystander)) ==
        std::string::npos);
  CHECK(gc.out.find(fmt::format("System V message queue id {} ", msg[0])) == std::string::npos);
  // gc still collected the run: its process and folder.
  CHECK(gc.out.find("ended pid") != std::string::npos);
  (void)shmctl(bystander, IPC_RMID, nullptr);
  (void)msgctl(msg[0], IPC_RMID, nullptr);
}
