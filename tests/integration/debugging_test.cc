// Debugging at the fault: `faultline run --pause-on-fault` stops the process at its fault (a
// debugger sees the caller), stops the others, holds the timeout and resumes to the verdict a
// run without pausing has; `faultline run --keep` leaves the run directory for inspection.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/msg.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "processes/spawn_program.h"
#include "support.h"
#include "util/unique_fd.h"

namespace fs = std::filesystem;
using faultline::UniqueFd;
using faultline::test::NothingLeftBehind;
using faultline::test::PrivateTmpdir;
using faultline::test::run_faultline;
using faultline::test::TempScenario;
using Clock = std::chrono::steady_clock;

namespace {

// The Unix datagram showcase (scenarios/unix-dgram/robust.yaml): the server's third sendto
// fails with ENOBUFS; the built-in peer (its own 3 s timeout) sends 20 requests. The
// scenario's timeout (1 s) is shorter than the pause the tests hold (1.5 s).
std::string dgram_scenario(std::string_view backend = "preload") {
  return fmt::format(
      R"(scenario: pause-dgram
timeout: 1s
channels:
  d: {{ type: unix-dgram }}
processes:
  server:
    run: [{}, "${{d.path}}"]
    backend: {}
    lifetime: service
    ready: {{ listening: d }}
  client:
    after: [server]
    peer: {{ mode: request, channel: d, count: 20, size: 1..512, timeout: 3s, allow_loss: true }}
faults:
  - {{ process: server, call: sendto, error: ENOBUFS, nth: 3 }}
expect:
  faults: fired
  peers: intact
)",
      (faultline::test::scenarios_dir() / "programs" / "udgram_echo_server").string(), backend);
}

char process_state(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return '?';
  auto close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() ? line[close + 2] : '?';
}

// The processes whose parent is `parent` (the runner: it starts every process of the run).
std::vector<pid_t> children_of(pid_t parent) {
  std::vector<pid_t> out;
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(e.path() / "stat");
    std::string line;
    if (!std::getline(in, line)) continue;
    auto close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 2));
    char state = 0;
    pid_t ppid = 0;
    rest >> state >> ppid;
    if (ppid == parent) out.push_back(static_cast<pid_t>(std::stol(name)));
  }
  return out;
}

// A `faultline run` whose stderr the test reads as it comes and whose stdin it holds.
class LiveRunner final {
 public:
  explicit LiveRunner(const std::vector<std::string>& args, bool stdin_pipe = true) {
    int in[2], err[2];
    REQUIRE(pipe2(in, O_CLOEXEC) == 0);
    REQUIRE(pipe2(err, O_CLOEXEC) == 0);
    UniqueFd in_read(in[0]), err_write(err[1]);
    stdin_.reset(in[1]);
    stderr_.reset(err[0]);
    UniqueFd devnull(::open("/dev/null", O_RDWR | O_CLOEXEC));
    faultline::ProgramSpec spec;
    spec.argv = {faultline::test::faultline_exe().string()};
    spec.argv.insert(spec.argv.end(), args.begin(), args.end());
    spec.fds = {
        {0, stdin_pipe ? in_read.get() : devnull.get()}, {1, devnull.get()}, {2, err_write.get()}};
    spec.default_signals = true;
    auto started = faultline::spawn_program(spec);
    REQUIRE(started.child);
    pid_ = started.child->pid;
  }
  ~LiveRunner() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      (void)faultline::wait_for_exit(pid_);
      (void)run_faultline({"gc"});
    }
  }
  LiveRunner(const LiveRunner&) = delete;
  LiveRunner& operator=(const LiveRunner&) = delete;

  [[nodiscard]] pid_t pid() const { return pid_; }
  [[nodiscard]] const std::string& err() const { return text_; }

  // Reads stderr until a line matches `re` (true) or it ends / 30 s pass (false).
  bool wait_for_line(const std::regex& re) {
    const auto deadline = Clock::now() + std::chrono::seconds(30);
    for (;;) {
      std::size_t start = scanned_;
      while (true) {
        auto nl = text_.find('\n', start);
        if (nl == std::string::npos) break;
        if (std::regex_search(text_.substr(start, nl - start), re)) {
          scanned_ = nl + 1;
          return true;
        }
        start = nl + 1;
      }
      scanned_ = start;
      if (!read_some(deadline)) return false;
    }
  }
  void press_enter() { REQUIRE(::write(stdin_.get(), "\n", 1) == 1); }
  // Waits for the runner to end; its exit status (128+N for signal N).
  int finish() {
    while (read_some(Clock::now() + std::chrono::seconds(30))) {
    }
    int status = faultline::wait_for_exit(pid_);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

 private:
  bool read_some(Clock::time_point deadline) {
    if (!stderr_) return false;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    pollfd p{stderr_.get(), POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char buf[4096];
    ssize_t n = ::read(stderr_.get(), buf, sizeof buf);
    if (n <= 0) {
      stderr_.reset();
      return false;
    }
    text_.append(buf, static_cast<std::size_t>(n));
    return true;
  }

  pid_t pid_ = -1;
  UniqueFd stdin_;
  UniqueFd stderr_;
  std::string text_;
  std::size_t scanned_ = 0;
};

pid_t paused_pid(const std::string& err) {
  std::smatch m;
  REQUIRE(std::regex_search(err, m, std::regex("gdb -p ([0-9]+)")));
  return static_cast<pid_t>(std::stol(m[1]));
}

nlohmann::json read_json(const fs::path& file) {
  std::ifstream in(file);
  REQUIRE(in);
  return nlohmann::json::parse(in)["scenarios"][0];
}

std::vector<std::string> violation_messages(const nlohmann::json& scenario) {
  std::vector<std::string> out;
  for (const auto& v : scenario["violations"]) out.push_back(v["message"].get<std::string>());
  return out;
}

const std::regex kResumeLine("^  resume: ");

}  // namespace

TEST_CASE("run --pause-on-fault stops the process at its fault and resumes to the same verdict",
          "[integration][debugging]") {
  PrivateTmpdir tmpdir;
  NothingLeftBehind guard;
  TempScenario s(dgram_scenario());
  const fs::path plain_json = s.dir() / "plain.json", paused_json = s.dir() / "paused.json";
  auto plain = run_faultline(
      {"run", s.path().string(), "--seed", "7", "--no-backtrace", "--json", plain_json.string()});
  INFO("plain run:\n" << plain.out << plain.err);

  LiveRunner runner({"run", s.path().string(), "--seed", "7", "--no-backtrace", "--json",
                     paused_json.string(), "--pause-on-fault"});
  runner.press_enter();  // typed before the pause: not a resume of it
  REQUIRE(runner.wait_for_line(kResumeLine));
  const auto paused_at = Clock::now();
  INFO("runner stderr:\n" << runner.err());
  CHECK(runner.err().find("faultline: paused: server") != std::string::npos);
  CHECK(runner.err().find("sendto(fd ") != std::string::npos);
  CHECK(runner.err().find("on d) -> -1 ENOBUFS") != std::string::npos);
  // send_answer is inlined into main: the symbolizer names the function it lies in.
  CHECK(
      std::regex_search(runner.err(), std::regex("caller: \\w+ at udgram_echo_server\\.c:[0-9]+")));
  const pid_t server = paused_pid(runner.err());

  // The process at the fault and every other one (the peer client) are stopped.
  CHECK(process_state(server) == 'T');
  const auto processes = children_of(runner.pid());
  CHECK(processes.size() == 2);
  for (pid_t p : processes) {
    INFO("pid " << p);
    CHECK(process_state(p) == 'T');
  }
  // A debugger finds the program's function that made the call on the stack.
  auto bt =
      faultline::test::run_command({"gdb", "-p", std::to_string(server), "-batch", "-ex", "bt"});
  INFO("gdb:\n" << bt.out << bt.err);
  CHECK(bt.out.find("send_answer") != std::string::npos);
  CHECK(bt.out.find("udgram_echo_server.c") != std::string::npos);

  // Paused longer than the scenario's 1 s timeout: a real wait, the point of the test.
  std::this_thread::sleep_until(paused_at + std::chrono::milliseconds(1500));
  CHECK(process_state(server) == 'T');
  for (pid_t p : processes) CHECK(process_state(p) == 'T');
  runner.press_enter();
  REQUIRE(runner.wait_for_line(std::regex("^faultline: resumed on Enter after")));
  const int status = runner.finish();

  CHECK(status == plain.exit_code);
  const auto a = read_json(plain_json), b = read_json(paused_json);
  CHECK(b["passed"] == a["passed"]);
  CHECK(b["timed_out"] == a["timed_out"]);
  CHECK_FALSE(b["timed_out"].get<bool>());
  CHECK(violation_messages(b) == violation_messages(a));
  CHECK(b["faults"][0]["fired"] == a["faults"][0]["fired"]);
}

TEST_CASE("a paused run resumes on SIGUSR1 when its stdin is /dev/null, as in CI",
          "[integration][debugging]") {
  PrivateTmpdir tmpdir;
  NothingLeftBehind guard;
  TempScenario s(dgram_scenario());
  LiveRunner runner(
      {"run", s.path().string(), "--seed", "7", "--no-backtrace", "--pause-on-fault=1"},
      /*stdin_pipe=*/false);
  REQUIRE(runner.wait_for_line(kResumeLine));
  INFO("runner stderr:\n" << runner.err());
  CHECK(runner.err().find(fmt::format("kill -USR1 {}", runner.pid())) != std::string::npos);
  // The end of stdin is not a resume.
  const pid_t server = paused_pid(runner.err());
  CHECK(process_state(server) == 'T');
  REQUIRE(::kill(runner.pid(), SIGUSR1) == 0);
  REQUIRE(runner.wait_for_line(std::regex("^faultline: resumed on SIGUSR1")));
  CHECK(runner.finish() == 0);
}

TEST_CASE("exec --pause-on-fault stops the program at its fault until SIGUSR1",
          "[integration][debugging][exec]") {
  PrivateTmpdir tmpdir;
  NothingLeftBehind guard;
  // cat reads the runner's stdin (a pipe: class ipc); its first read fails with EIO. The
  // program has stdin, so a line there is the program's: SIGUSR1 resumes (or Enter on
  // /dev/tty when the test runs at a terminal).
  LiveRunner runner({"exec", "--fault", "read:error=EIO:nth=1", "--pause-on-fault", "--",
                     "cat"});
  runner.press_enter();
  REQUIRE(runner.wait_for_line(kResumeLine));
  INFO("runner stderr:\n" << runner.err());
  CHECK(runner.err().find("faultline: paused: cat (pid ") != std::string::npos);
  CHECK(runner.err().find(fmt::format("kill -USR1 {}", runner.pid())) != std::string::npos);
  CHECK(runner.err().find("timeout waits") == std::string::npos);  // exec has none
  CHECK(process_state(paused_pid(runner.err())) == 'T');
  REQUIRE(::kill(runner.pid(), SIGUSR1) == 0);
  CHECK(runner.finish() == 1);  // cat: read error
  CHECK(runner.err().find("faultline: resumed on SIGUSR1") != std::string::npos);
}

TEST_CASE("Ctrl-C while paused ends every process and leaves nothing behind",
          "[integration][debugging][signals]") {
  PrivateTmpdir tmpdir;
  NothingLeftBehind guard;
  TempScenario s(dgram_scenario());
  LiveRunner runner(
      {"run", s.path().string(), "--seed", "7", "--no-backtrace", "--pause-on-fault"});
  REQUIRE(runner.wait_for_line(kResumeLine));
  INFO("runner stderr:\n" << runner.err());
  const auto processes = children_of(runner.pid());
  REQUIRE(processes.size() == 2);
  REQUIRE(::kill(runner.pid(), SIGINT) == 0);
  CHECK(runner.finish() == 128 + SIGINT);
  for (pid_t p : processes) CHECK(process_state(p) == '?');
}

TEST_CASE("pause-on-fault refuses what it cannot pause, saying why", "[integration][debugging]") {
  PrivateTmpdir tmpdir;
  NothingLeftBehind guard;
  TempScenario s(dgram_scenario());
  SECTION("a rule the run does not have") {
    auto r = run_faultline({"run", s.path().string(), "--pause-on-fault=2"});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("--pause-on-fault=2: no fault 2; its faults: 1 `server/sendto:") !=
          std::string::npos);
  }
  SECTION("a rule named by its text is accepted, one it does not have is not") {
    auto r = run_faultline({"run", s.path().string(), "--pause-on-fault=server/read:error=EIO"});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("no such fault") != std::string::npos);
  }
  SECTION("several scenarios, or -j") {
    TempScenario other(dgram_scenario());
    auto r = run_faultline({"run", s.path().string(), other.path().string(), "--pause-on-fault"});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("--pause-on-fault runs one scenario, but 2 were given") != std::string::npos);
    r = run_faultline({"run", s.path().string(), "-j", "2", "--pause-on-fault"});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("leave out -j") != std::string::npos);
  }
  SECTION("the seccomp backend") {
    TempScenario sc(dgram_scenario("seccomp"));
    auto r = run_faultline({"run", sc.path().string(), "--pause-on-fault"});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("runs under the seccomp backend, which cannot stop a process") !=
          std::string::npos);
  }
}

TEST_CASE("run --keep leaves the run directory, marked, and gc leaves it until --kept",
          "[integration][debugging][gc]") {
  PrivateTmpdir tmpdir;
  NothingLeftBehind guard;
  // A System V queue and a POSIX queue: IPC objects that must go even though the folder stays.
  TempScenario s(R"(scenario: keep-me
timeout: 10s
channels:
  q: { type: msgqueue }
  m: { type: posix-mq }
processes:
  probe:
    run: [sh, -c, "echo hello > ${run_dir}/note.txt; echo out"]
)");
  auto r = run_faultline({"run", s.path().string(), "--keep"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  std::smatch m;
  REQUIRE(std::regex_search(r.err, m, std::regex("kept the run directory (\\S+)")));
  const fs::path kept = m[1].str();
  REQUIRE(fs::is_directory(kept));
  CHECK(kept.parent_path() == tmpdir.path());
  CHECK(fs::is_regular_file(kept / "kept"));
  CHECK(fs::is_regular_file(kept / "control"));
  CHECK(fs::is_regular_file(kept / "note.txt"));  // what the process wrote there
  std::ifstream probe_out(kept / "probe.stdout");
  std::string line;
  CHECK((std::getline(probe_out, line) && line == "out"));
  // Only the folder stays: the objects its manifest lists are gone, and no process is left.
  std::ifstream manifest(kept / "manifest");
  int objects = 0;
  for (std::string kind, what; manifest >> kind && std::getline(manifest >> std::ws, what);) {
    INFO(kind << " " << what);
    if (kind == "msg") {
      ++objects;
      msqid_ds ds{};
      CHECK(::msgctl(std::stoi(what), IPC_STAT, &ds) == -1);
    } else if (kind == "posix-mq") {
      ++objects;
      CHECK_FALSE(fs::exists("/dev/mqueue" + what));
    } else if (kind == "pgroup") {
      CHECK(process_state(std::stoi(what)) == '?');
    }
  }
  CHECK(objects == 2);
  std::vector<fs::path> in_tmpdir;
  for (const auto& e : fs::directory_iterator(tmpdir.path()))
    if (e.path().filename().string().rfind("faultline-", 0) == 0) in_tmpdir.push_back(e.path());
  CHECK(in_tmpdir == std::vector<fs::path>{kept});

  // A later run and gc leave it; gc says it is there and how to remove it.
  CHECK(run_faultline({"run", s.path().string()}).exit_code == 0);
  CHECK(fs::is_directory(kept));
  auto gc = run_faultline({"gc"});
  CHECK(fs::is_directory(kept));
  CHECK(gc.out.find("1 kept run directory left alone") != std::string::npos);
  CHECK(gc.out.find("faultline gc --kept") != std::string::npos);
  CHECK(gc.out.find(kept.string()) != std::string::npos);
  CHECK(gc.out.find("removed removed") == std::string::npos);

  auto removed = run_faultline({"gc", "--kept"});
  CHECK(removed.out.find("removed " + kept.string()) != std::string::npos);
  CHECK_FALSE(fs::exists(kept));
  std::error_code ec;
  fs::remove_all(kept, ec);  // whatever happened above, the test leaves nothing
}
