// See leftover_processes.h.
#include "runner/leftover_processes.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <utility>

#include <fmt/format.h>

#include "processes/process_tree.h"

namespace faultline {
namespace fs = std::filesystem;
namespace {

using Clock = std::chrono::steady_clock;

constexpr unsigned long kCgroup2Magic = 0x63677270;  // CGROUP2_SUPER_MAGIC
// How long a SIGKILLed process may take to be gone (it may be in uninterruptible sleep).
constexpr auto kKillWait = std::chrono::seconds(5);
// Rounds of looking for processes: one that forked while we killed its parent is found in
// the next round (it inherited the group and the environment).
constexpr int kRounds = 10;

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

bool is_cgroup2(const fs::path& path) {
  struct statfs fs {};
  return ::statfs(path.c_str(), &fs) == 0 && static_cast<unsigned long>(fs.f_type) == kCgroup2Magic;
}

// Waits until the group has no process left (cgroup.events says "populated 0"); the kernel
// signals each change of that file with POLLPRI.
void wait_until_empty(const fs::path& group) {
  UniqueFd events(::open((group / "cgroup.events").c_str(), O_RDONLY | O_CLOEXEC));
  const auto deadline = Clock::now() + kKillWait;
  while (events) {
    char buf[256];
    ssize_t n = ::pread(events.get(), buf, sizeof buf - 1, 0);
    if (n < 0) return;
    buf[n] = '\0';
    if (std::string_view(buf).find("populated 0") != std::string_view::npos) return;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return;
    pollfd p{events.get(), POLLPRI, 0};
    ::poll(&p, 1, static_cast<int>(left.count()));
  }
}

// rmdir() of the group and of the groups under it, children first: a faultline run inside
// one of the run's processes made its own group below ours (cgroup.kill ended its processes).
void remove_groups(const fs::path& group) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(group, ec)) {
    if (e.is_directory(ec) && !e.is_symlink(ec)) remove_groups(e.path());
  }
  ::rmdir(group.c_str());
}

bool environment_has(pid_t pid, std::string_view entry) {
  std::string env = read_text("/proc/" + std::to_string(pid) + "/environ");
  for (std::size_t at = 0; at < env.size();) {
    std::size_t end = env.find('\0', at);
    if (end == std::string::npos) end = env.size();
    if (std::string_view(env).substr(at, end - at) == entry) return true;
    at = end + 1;
  }
  return false;
}

// Whether the process (one of our user's) holds `file` open for appending. A run folder's
// manifest is opened so by its RunDirectory and kept open (O_CLOEXEC: only an exec closes
// it), so every process forked from the folder's owner holds it from the fork() on: a worker
// of `run -j` or `explore` whose parent was SIGKILLed before it recorded the worker's group,
// or a program's process between its fork and its exec.
bool holds_for_appending(pid_t pid, const std::string& file) {
  struct stat proc {};
  if (::stat(fmt::format("/proc/{}", pid).c_str(), &proc) != 0 || proc.st_uid != ::geteuid())
    return false;
  const fs::path fds = fmt::format("/proc/{}/fd", pid);
  std::error_code ec;
  for (const auto& fd : fs::directory_iterator(fds, ec)) {
    char target[4096];
    const ssize_t n = ::readlink(fd.path().c_str(), target, sizeof target);
    if (n <= 0 || std::string_view(target, static_cast<std::size_t>(n)) != file) continue;
    // "flags:\t0102001": octal, as open() took them.
    std::istringstream info(
        read_text(fs::path(fmt::format("/proc/{}/fdinfo", pid)) / fd.path().filename()));
    for (std::string line; std::getline(info, line);) {
      if (line.rfind("flags:", 0) != 0) continue;
      const unsigned long flags = std::strtoul(line.c_str() + 6, nullptr, 8);
      if ((flags & O_APPEND) && (flags & O_ACCMODE) != O_RDONLY) return true;
    }
  }
  return false;
}

// SIGKILL through a pidfd, after checking that the pid still is the process we looked at:
// once the pidfd is open, the pid cannot be reused under us.
std::optional<UniqueFd> kill_exactly(const ProcStat& p) {
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, p.pid, 0)));
  if (!pidfd) return std::nullopt;
  auto now = read_proc_stat(p.pid);
  if (!now || now->start_time != p.start_time) return std::nullopt;
  if (::syscall(SYS_pidfd_send_signal, pidfd.get(), SIGKILL, nullptr, 0) != 0) return std::nullopt;
  return pidfd;
}

// A pidfd turns readable when its process has exited.
void wait_for_exits(std::vector<UniqueFd>& pidfds) {
  const auto deadline = Clock::now() + kKillWait;
  for (auto& fd : pidfds) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    pollfd p{fd.get(), POLLIN, 0};
    ::poll(&p, 1, static_cast<int>(std::max<long long>(0, left.count())));
  }
}

}  // namespace

std::optional<fs::path> own_cgroup2() {
  std::ifstream mounts("/proc/self/mountinfo");
  std::string line;
  std::optional<fs::path> mount;
  while (std::getline(mounts, line)) {
    // ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS
    auto dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    std::istringstream tail(line.substr(dash + 3));
    std::string type;
    if (!(tail >> type) || type != "cgroup2") continue;
    std::istringstream head(line.substr(0, dash));
    std::string id, parent, dev, root, point;
    if (!(head >> id >> parent >> dev >> root >> point) || root != "/") continue;
    mount = point;
    break;
  }
  if (!mount) return std::nullopt;
  std::ifstream groups("/proc/self/cgroup");
  while (std::getline(groups, line)) {
    if (line.rfind("0::", 0) != 0) continue;
    fs::path own = line.substr(3);
    fs::path dir = *mount / own.relative_path();
    std::error_code ec;
    if (fs::is_directory(dir, ec)) return dir;
  }
  return std::nullopt;
}

std::optional<fs::path> RunCgroup::path_for(std::string_view name) {
  auto parent = own_cgroup2();
  if (!parent || ::access(parent->c_str(), W_OK) != 0) return std::nullopt;
  return *parent / std::string(name);
}

std::optional<RunCgroup> RunCgroup::create(fs::path path) {
  if (::mkdir(path.c_str(), 0755) != 0) return std::nullopt;
  UniqueFd procs(::open((path / "cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC));
  if (!procs) {
    ::rmdir(path.c_str());
    return std::nullopt;
  }
  // Without it, children join through cgroup.procs as before.
  UniqueFd dir(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  return RunCgroup(std::move(path), std::move(procs), std::move(dir));
}

RunCgroup::RunCgroup(fs::path path, UniqueFd procs, UniqueFd dir)
    : path_(std::move(path)), procs_(std::move(procs)), dir_(std::move(dir)) {}

RunCgroup::RunCgroup(RunCgroup&& other) noexcept
    : path_(std::exchange(other.path_, {})),
      procs_(std::move(other.procs_)),
      dir_(std::move(other.dir_)) {}

RunCgroup::~RunCgroup() {
  procs_.reset();
  dir_.reset();
  if (!path_.empty()) (void)end_cgroup(path_);
}

std::vector<std::string> end_cgroup(const fs::path& path) {
  std::vector<std::string> lines;
  // Only a group of ours in a cgroup2 hierarchy: a manifest names nothing else.
  if (path.filename().string().rfind("faultline-", 0) != 0 || !is_cgroup2(path)) return lines;
  for (int round = 0; round < kRounds; ++round) {
    std::istringstream procs(read_text(path / "cgroup.procs"));
    std::vector<ProcStat> members;
    for (pid_t pid = 0; procs >> pid;) {
      if (auto st = read_proc_stat(pid)) members.push_back(std::move(*st));
    }
    if (members.empty()) break;
    for (const auto& m : members) lines.push_back(fmt::format("ended pid {} ({})", m.pid, m.comm));
    // cgroup.kill (Linux 5.14) ends the whole group at once, forks included; without it, one
    // by one and another round for what was forked meanwhile.
    UniqueFd kill_file(::open((path / "cgroup.kill").c_str(), O_WRONLY | O_CLOEXEC));
    if (kill_file && ::write(kill_file.get(), "1", 1) == 1) {
      wait_until_empty(path);
      break;
    }
    std::vector<UniqueFd> pidfds;
    for (const auto& m : members) {
      if (auto fd = kill_exactly(m)) pidfds.push_back(std::move(*fd));
    }
    wait_for_exits(pidfds);
  }
  wait_until_empty(path);
  remove_groups(path);
  return lines;
}

std::vector<std::string> end_run_processes(const fs::path& run_dir,
                                           const std::vector<RecordedGroup>& groups) {
  std::vector<std::string> lines;
  const std::string marker = "FAULTLINE_RUN_DIR=" + run_dir.string();
  const std::string manifest = (run_dir / "manifest").string();
  const pid_t self = ::getpid();
  for (int round = 0; round < kRounds; ++round) {
    const auto all = list_processes();
    auto group_is_ours = [&](pid_t pgid) {
      for (const auto& g : groups) {
        if (g.pgid != pgid) continue;
        auto leader =
            std::find_if(all.begin(), all.end(), [&](const ProcStat& p) { return p.pid == pgid; });
        if (leader != all.end() && leader->start_time == g.start_time) return true;
      }
      return false;
    };
    std::vector<UniqueFd> pidfds;
    for (const auto& p : all) {
      if (p.pid == self || p.state == 'Z' || p.state == 'X') continue;
      if (!group_is_ours(p.pgid) && !environment_has(p.pid, marker) &&
          !holds_for_appending(p.pid, manifest))
        continue;
      if (auto fd = kill_exactly(p)) {
        pidfds.push_back(std::move(*fd));
        lines.push_back(fmt::format("ended pid {} ({})", p.pid, p.comm));
      }
    }
    if (pidfds.empty()) break;
    wait_for_exits(pidfds);
  }
  return lines;
}

}  // namespace faultline
