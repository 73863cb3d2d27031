// Test helpers; see support.h.
#include "support.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

#include "processes/spawn_program.h"
#include "runner/leftover_processes.h"
#include "util/unique_fd.h"

extern char** environ;

namespace faultline::test {
namespace fs = std::filesystem;

fs::path build_dir() { return FAULTLINE_BUILD_DIR; }
fs::path faultline_exe() { return build_dir() / "bin" / "faultline"; }
fs::path interposer_path() { return build_dir() / "lib" / "libfaultline-interpose.so"; }
fs::path scenarios_dir() { return build_dir() / "scenarios"; }
fs::path test_programs_dir() { return build_dir() / "bin"; }

CommandResult run_command(const std::vector<std::string>& argv,
                          const std::vector<std::string>& extra_env) {
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
  UniqueFd devnull(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (!devnull) throw std::runtime_error("open /dev/null");
  // extra_env overrides: an inherited variable it names is left out (getenv takes the first).
  auto overridden = [&](std::string_view entry) {
    auto name = entry.substr(0, entry.find('=') + 1);
    return std::any_of(extra_env.begin(), extra_env.end(),
                       [&](const std::string& e) { return e.rfind(name, 0) == 0; });
  };
  std::vector<std::string> env_store;
  for (char** e = environ; *e; ++e) {
    if (!overridden(*e)) env_store.emplace_back(*e);
  }
  for (const auto& e : extra_env) env_store.push_back(e);
  ProgramSpec spec;
  spec.argv = argv;
  spec.search_path = true;
  spec.env = std::move(env_store);
  spec.fds = {{0, devnull.get()}, {1, out[1]}, {2, err[1]}};
  StartOutcome started = spawn_program(spec);
  close(out[1]);
  close(err[1]);
  CommandResult r;
  if (!started.child) {
    close(out[0]);
    close(err[0]);
    r.err = "spawn failed: " + std::string(strerror(started.error));
    return r;
  }
  const pid_t pid = started.child->pid;
  pollfd p[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  int open_count = 2;
  char buf[4096];
  while (open_count > 0) {
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = read(p[i].fd, buf, sizeof buf);
      if (n > 0) {
        (i == 0 ? r.out : r.err).append(buf, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        close(p[i].fd);
        p[i].fd = -1;
        --open_count;
      }
    }
  }
  const int status = wait_for_exit(pid);
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) r.term_signal = WTERMSIG(status);
  return r;
}

CommandResult run_faultline(const std::vector<std::string>& args,
                            const std::vector<std::string>& extra_env) {
  std::vector<std::string> argv{faultline_exe().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<std::string> env = extra_env;
  env.emplace_back("NO_COLOR=1");
  return run_command(argv, env);
}

namespace {
void read_sysv(const char* file, const char* kind, std::set<std::string>& out) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    long key = 0, id = 0;
    if (fields >> key >> id) out.insert(std::string(kind) + " " + std::to_string(id));
  }
}
void list_prefixed(const fs::path& dir, const std::string& prefix, std::set<std::string>& out) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.path().filename().string().rfind(prefix, 0) == 0) out.insert(e.path().string());
  }
}
}  // namespace

namespace {
std::optional<fs::path>& suite_cgroup_slot() {
  static std::optional<fs::path> group;
  return group;
}
}  // namespace

std::optional<fs::path> suite_cgroup() { return suite_cgroup_slot(); }
void set_suite_cgroup(std::optional<fs::path> group) { suite_cgroup_slot() = std::move(group); }

Leftovers snapshot_leftovers() {
  Leftovers l;
  read_sysv("/proc/sysvipc/shm", "shm", l.sysv);
  read_sysv("/proc/sysvipc/msg", "msg", l.sysv);
  read_sysv("/proc/sysvipc/sem", "sem", l.sysv);
  const char* tmp = std::getenv("TMPDIR");
  list_prefixed(tmp && *tmp ? tmp : "/tmp", "faultline-", l.files);
  list_prefixed("/dev/shm", "faultline", l.files);
  list_prefixed("/dev/mqueue", "faultline", l.files);
  // A run's cgroup v2 group (docs/how-it-works.md, "When the runner dies"): under this test
  // program's own group where it has one (leak_guard.cc), else the machine's.
  if (auto own = suite_cgroup()) {
    list_prefixed(*own, "faultline-", l.files);
  } else {
    list_prefixed("/sys/fs/cgroup", "faultline-", l.files);
    list_prefixed("/sys/fs/cgroup/unified", "faultline-", l.files);
  }
  return l;
}

std::string new_leftovers(const Leftovers& before, const Leftovers& after) {
  std::string diff;
  for (const auto& s : after.sysv)
    if (!before.sysv.count(s)) diff += "  SysV " + s + "\n";
  for (const auto& f : after.files)
    if (!before.files.count(f)) diff += "  file " + f + "\n";
  return diff;
}

TempScenario::TempScenario(const std::string& yaml, const std::string& file_name)
    : path_(dir_.path() / file_name) {
  std::ofstream(path_) << yaml;
}
TempScenario::~TempScenario() = default;

PrivateTmpdir::PrivateTmpdir(std::string_view prefix) : dir_(prefix) {
  if (const char* old = std::getenv("TMPDIR")) previous_ = old;
  ::setenv("TMPDIR", dir_.path().c_str(), 1);
}

PrivateTmpdir::~PrivateTmpdir() {
  if (previous_) {
    ::setenv("TMPDIR", previous_->c_str(), 1);
  } else {
    ::unsetenv("TMPDIR");
  }
}

std::string isolate_ipc_namespace() {
  auto failed = [](const char* what) { return fmt::format("{}: {}", what, std::strerror(errno)); };
  if (::unshare(CLONE_NEWIPC | CLONE_NEWNS) != 0) return failed("unshare(IPC, mount)");
  // Our mounts stay ours: nothing propagates back to the machine's namespace.
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
    return failed("mount --make-rprivate /");
  if (::mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") != 0)
    return failed("mount tmpfs on /dev/shm");
  // A message-queue file system shows the queues of the IPC namespace that mounts it.
  if (::mount("mqueue", "/dev/mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0)
    return failed("mount mqueue on /dev/mqueue");
  return "";
}

namespace {
bool write_pid(const fs::path& group) {
  std::ofstream procs(group / "cgroup.procs");
  procs << ::getpid() << '\n';
  procs.flush();
  return static_cast<bool>(procs);
}
}  // namespace

OwnCgroup::OwnCgroup(std::string_view prefix) {
  auto current = own_cgroup2();
  if (!current) return;
  fs::path mine = *current / fmt::format("{}-{}", prefix, ::getpid());
  if (::mkdir(mine.c_str(), 0755) != 0) return;
  if (!write_pid(mine)) {
    ::rmdir(mine.c_str());
    return;
  }
  previous_ = *current;
  path_ = mine;
}

OwnCgroup::~OwnCgroup() {
  if (!path_) return;
  (void)write_pid(previous_);
  ::rmdir(path_->c_str());
}

}  // namespace faultline::test
