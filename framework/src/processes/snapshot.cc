// See snapshot.h.
#include "processes/snapshot.h"

#include <fcntl.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <regex>
#include <fstream>
#include <iterator>
#include <sstream>
#include <vector>

#include <fmt/format.h>

#include "processes/process_tree.h"
#include "processes/spawn_program.h"
#include "util/unique_fd.h"

namespace faultline {
namespace {

std::string read_small_file(const std::string& path) {
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!text.empty() && (text.back() == '\n' || text.back() == '\0')) text.pop_back();
  return text;
}

// gdb attaches, prints every thread's stack and detaches; killed when it takes too long
// (a process in uninterruptible sleep can hold it forever).
std::string run_gdb(pid_t pid, Duration limit) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return {};
  UniqueFd read_end(p[0]), write_end(p[1]);
  UniqueFd devnull(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (!devnull) return {};
  ProgramSpec spec;
  spec.argv = {"gdb", "-p", std::to_string(pid), "-batch", "-nx", "-ex", "thread apply all bt"};
  spec.search_path = true;
  spec.fds = {{0, devnull.get()}, {1, write_end.get()}, {2, write_end.get()}};
  // Its own group (killed as one when it takes too long), a clean signal state.
  spec.own_process_group = true;
  spec.default_signals = true;
  StartOutcome started = spawn_program(spec);
  write_end.reset();
  if (!started.child) return {};  // gdb is not installed
  const pid_t gdb = started.child->pid;

  std::string output;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      ::kill(-gdb, SIGKILL);
      output += "\n(gdb gave no answer in time and was stopped)\n";
      break;
    }
    pollfd pfd{read_end.get(), POLLIN, 0};
    int n = ::poll(&pfd, 1, static_cast<int>(left.count()));
    if (n < 0 && errno != EINTR) break;
    if (n <= 0) continue;
    char buf[4096];
    ssize_t got = ::read(read_end.get(), buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;  // gdb closed its output: done
    output.append(buf, static_cast<std::size_t>(got));
  }
  (void)wait_for_exit(gdb);
  return without_gdb_chatter(output);
}

}  // namespace

// gdb's lines about itself, not about the process (see snapshot.h): the thread library it loaded, a source file
// it could not open ("26\t../sysdeps/unix/sysv/linux/read.c: No such file or directory."),
// its detaching. A report keeps the frames and what went wrong (ptrace: ...).
std::string without_gdb_chatter(const std::string& output) {
  static const std::regex chatter(
      R"(^(\[Thread debugging using libthread_db.*|Using host libthread_db library.*|\[Inferior \d+ \(process \d+\) detached\]|\d+\t.*: No such file or directory\.)$)");
  std::string kept;
  std::size_t at = 0;
  while (at < output.size()) {
    std::size_t end = output.find('\n', at);
    if (end == std::string::npos) end = output.size();
    const std::string line = output.substr(at, end - at);
    if (!std::regex_match(line, chatter)) {
      kept += line;
      if (end < output.size()) kept += '\n';
    }
    at = end + 1;
  }
  return kept;
}

std::string describe_state(char state) {
  const char* name = "unknown";
  switch (state) {
    case 'R':
      name = "running";
      break;
    case 'S':
      name = "sleeping";
      break;
    case 'D':
      name = "disk sleep";
      break;
    case 'T':
      name = "stopped";
      break;
    case 't':
      name = "tracing stop";
      break;
    case 'Z':
      name = "zombie";
      break;
    case 'X':
      name = "dead";
      break;
    case 'I':
      name = "idle";
      break;
    case 'P':
      name = "parked";
      break;
    default:
      break;
  }
  return fmt::format("{} ({})", state, name);
}

std::string describe_syscall(std::string_view proc_syscall) {
  std::istringstream in{std::string(proc_syscall)};
  std::string first;
  if (!(in >> first)) return {};
  if (first == "running") return "running";
  long nr = 0;
  try {
    nr = std::stol(first);
  } catch (const std::exception&) {
    return std::string(proc_syscall);
  }
  // "-1 SP PC": blocked, but not inside a system call (e.g. a page fault).
  if (nr < 0) return "not in a system call";
  std::string name;
  if (char* resolved = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, static_cast<int>(nr))) {
    name = resolved;
    std::free(resolved);
  } else {
    name = fmt::format("syscall_{}", nr);
  }
  // Six arguments follow, then the stack and instruction pointers: show the first three.
  std::vector<std::string> args;
  std::string arg;
  while (args.size() < 3 && in >> arg) args.push_back(arg);
  return fmt::format("{}({})", name, fmt::join(args, ", "));
}

ProcessSnapshot snapshot_process(pid_t pid, Duration gdb_limit) {
  ProcessSnapshot snap;
  snap.pid = pid;
  const std::string dir = "/proc/" + std::to_string(pid);
  snap.command = read_small_file(dir + "/comm");
  if (auto st = read_proc_stat(pid)) snap.state = describe_state(st->state);
  snap.syscall = describe_syscall(read_small_file(dir + "/syscall"));
  snap.wchan = read_small_file(dir + "/wchan");
  if (snap.wchan == "0") snap.wchan.clear();
  // After /proc: gdb's attach interrupts the syscall the process is waiting in.
  if (gdb_limit > Duration::zero()) snap.backtrace = run_gdb(pid, gdb_limit);
  return snap;
}

}  // namespace faultline
