// RunDirectory, its manifest, and `faultline gc`: see run_directory.h.
#include "runner/run_directory.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <system_error>
#include <utility>

#include <fmt/format.h>

#include "faults/control_block.h"
#include "runner/leak_check.h"

namespace faultline {
namespace fs = std::filesystem;
namespace {

constexpr std::string_view kPrefix = "faultline-";
// A run folder is made as faultline-new.PID.START.XXXXXX (a '.' is never in a label), gets its
// owner file, and is renamed to its name: so a folder without an owner file names its maker.
constexpr std::string_view kStagingPrefix = "faultline-new.";
// And a run folder whose objects are gone is renamed faultline-gone.PID.START.NAME before its
// files are removed: a remover killed half-way leaves a folder that names it, which gc
// removes once that process is gone (else: files without an owner, which gc cannot tell from
// someone else's and keeps, or an empty folder it keeps for kOwnerlessGrace).
constexpr std::string_view kRemovalPrefix = "faultline-gone.";
constexpr std::size_t kMaxLabel = 40;
// A folder without an owner file nor a maker in its name (made by an older faultline) is
// either being created right now or was left by a runner killed before it wrote the file;
// only the second kind is this old.
constexpr auto kOwnerlessGrace = std::chrono::seconds(60);

fs::path temp_root() {
  const char* tmp = std::getenv("TMPDIR");
  return tmp && *tmp ? fs::path(tmp) : fs::path("/tmp");
}

std::string sanitise(std::string_view s, std::size_t max) {
  std::string out;
  for (char c : s) {
    if (out.size() == max) break;
    bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '_' || c == '-';
    out += keep ? c : '_';
  }
  return out.empty() ? std::string("run") : out;
}

struct ProcessIdentity {
  char state = '?';
  unsigned long long start_time = 0;  // clock ticks after boot: tells a reused pid apart
};

// Field 3 (state) and 22 (starttime) of /proc/PID/stat. The command name (field 2) may hold
// spaces and parentheses, so fields are counted from the last ')'.
std::optional<ProcessIdentity> read_identity(const std::string& pid) {
  std::ifstream in("/proc/" + pid + "/stat");
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  auto close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(line.substr(close + 1));
  ProcessIdentity id;
  std::string skip;
  fields >> id.state;
  for (int field = 4; field < 22; ++field) fields >> skip;
  if (!(fields >> id.start_time)) return std::nullopt;
  return id;
}

template <typename T>
bool parse_number(std::string_view s, T& out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

struct ManifestEntry {
  std::string kind;
  std::string what;
};

std::vector<ManifestEntry> read_manifest(const fs::path& dir) {
  std::vector<ManifestEntry> entries;
  std::ifstream in(dir / "manifest");
  std::string line;
  while (std::getline(in, line)) {
    auto space = line.find(' ');
    if (space == std::string::npos) continue;
    entries.push_back({line.substr(0, space), line.substr(space + 1)});
  }
  return entries;
}

// Ends the processes a dead run left running: its cgroup first (everything in it, at once),
// then its recorded process groups and whatever carries its FAULTLINE_RUN_DIR.
std::vector<std::string> end_processes_of(const fs::path& dir,
                                          const std::vector<ManifestEntry>& manifest) {
  std::vector<std::string> ended;
  std::vector<RecordedGroup> groups;
  for (const auto& e : manifest) {
    if (e.kind == "cgroup") {
      auto lines = end_cgroup(e.what);
      ended.insert(ended.end(), lines.begin(), lines.end());
    } else if (e.kind == "pgroup") {
      std::istringstream fields(e.what);
      RecordedGroup g;
      if (fields >> g.pgid >> g.start_time && g.pgid > 1) groups.push_back(g);
    }
  }
  auto lines = end_run_processes(dir, groups);
  ended.insert(ended.end(), lines.begin(), lines.end());
  return ended;
}

bool ends_with(std::string_view s, std::string_view tail) {
  return s.size() >= tail.size() && s.substr(s.size() - tail.size()) == tail;
}

// Removes the objects a manifest lists (not its processes: those are ended before); one line
// per removed object. A System V key recorded before its object was made ("msg-key KEY")
// counts only when no id was recorded for it ("msg ID KEY") and it was not found to be
// someone else's ("msg-taken KEY"): its runner was killed between making and recording.
std::vector<std::string> remove_manifest_objects(const std::vector<ManifestEntry>& manifest) {
  std::set<std::string> settled;  // "msg KEY": the key's object is recorded, or not ours
  for (const auto& e : manifest) {
    if (e.kind == "msg" || e.kind == "shm" || e.kind == "sem") {
      settled.insert(e.kind + " " + e.what.substr(e.what.find(' ') + 1));
    } else if (ends_with(e.kind, "-taken")) {
      settled.insert(e.kind.substr(0, e.kind.size() - 6) + " " + e.what);
    }
  }
  std::vector<std::string> removed;
  for (const auto& e : manifest) {
    if (e.kind == "cgroup" || e.kind == "cgroup-failed" || e.kind == "pgroup" ||
        ends_with(e.kind, "-taken"))
      continue;
    if (ends_with(e.kind, "-key")) {
      const std::string kind = e.kind.substr(0, e.kind.size() - 4);
      if (settled.count(kind + " " + e.what)) continue;
      if (auto what = remove_sysv_object_by_key(kind, e.what); !what.empty())
        removed.push_back(kind + " " + what);
      continue;
    }
    if (remove_recorded_object(e.kind, e.what)) removed.push_back(e.kind + " " + e.what);
  }
  return removed;
}

// Removes a run folder whose objects are gone, under its removal name (kRemovalPrefix).
void remove_folder(const fs::path& dir) {
  fs::path doomed = dir;
  if (auto self = read_identity("self")) {
    fs::path to = dir.parent_path() / fmt::format("{}{}.{}.{}", kRemovalPrefix, ::getpid(),
                                                  self->start_time, dir.filename().string());
    if (::rename(dir.c_str(), to.c_str()) == 0) doomed = std::move(to);
  }
  std::error_code ec;
  fs::remove_all(doomed, ec);
}

// Removes what the manifest of `dir` lists, then `dir`; one line per removed thing.
std::vector<std::string> remove_run_directory(const fs::path& dir) {
  std::vector<std::string> removed = remove_manifest_objects(read_manifest(dir));
  remove_folder(dir);
  return removed;
}

// "PID.START." at the start of `rest` (what follows kStagingPrefix or kRemovalPrefix).
std::optional<std::pair<pid_t, unsigned long long>> maker_in_name(std::string_view rest) {
  auto dot = rest.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  auto dot2 = rest.find('.', dot + 1);
  if (dot2 == std::string_view::npos) return std::nullopt;
  pid_t pid = 0;
  unsigned long long start_time = 0;
  if (!parse_number(rest.substr(0, dot), pid) || pid <= 0 ||
      !parse_number(rest.substr(dot + 1, dot2 - dot - 1), start_time))
    return std::nullopt;
  return std::pair{pid, start_time};
}

// Whether the process is on its way out: SIGKILL pending (SigPnd, ShdPnd of
// /proc/PID/status), or already exiting (PF_EXITING in the flags of /proc/PID/stat).
bool dying(pid_t pid) {
  constexpr unsigned long long kSigkillBit = 1ULL << (SIGKILL - 1);
  constexpr unsigned long kPfExiting = 0x4;
  std::ifstream status(fmt::format("/proc/{}/status", pid));
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("SigPnd:", 0) != 0 && line.rfind("ShdPnd:", 0) != 0) continue;
    unsigned long long mask = 0;
    auto text = std::string_view(line).substr(7);
    while (!text.empty() && text.front() == '\t') text.remove_prefix(1);
    if (std::from_chars(text.data(), text.data() + text.size(), mask, 16).ec == std::errc() &&
        (mask & kSigkillBit))
      return true;
  }
  std::ifstream stat(fmt::format("/proc/{}/stat", pid));
  if (!std::getline(stat, line)) return false;
  auto close = line.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream fields(line.substr(close + 1));
  std::string skip;
  for (int field = 3; field < 9; ++field) fields >> skip;  // state .. tpgid
  unsigned long flags = 0;
  return (fields >> flags) && (flags & kPfExiting);
}

// Waits (a few seconds at most) until the process has exited; true when it has.
bool wait_until_gone(pid_t pid) {
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  if (!pidfd) return errno == ESRCH;
  pollfd p{pidfd.get(), POLLIN, 0};
  return ::poll(&p, 1, 5000) == 1;
}

// Whether the process `pid` that started at `start_time` still runs; one being killed is
// waited for, and then does not.
bool still_runs(pid_t pid, unsigned long long start_time) {
  auto id = read_identity(std::to_string(pid));
  if (!id || id->start_time != start_time || id->state == 'Z' || id->state == 'X') return false;
  return !(dying(pid) && wait_until_gone(pid));
}

enum class Owner { alive, dead, unknown };

// Whether `dir` holds nothing, or only the owner file being written (RunDirectory writes
// "owner.new" first and renames it): all a runner killed before it wrote its owner leaves.
bool holds_at_most_unfinished_owner(const fs::path& dir) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().filename() != "owner.new") return false;
  }
  return !ec;
}

// Whether the runner that made `dir` still runs. "unknown" keeps the folder: better to leave
// a folder for the next gc than to pull one from under a live run.
std::pair<Owner, std::string> owner_of(const fs::path& dir, const struct stat& dir_stat) {
  std::ifstream in(dir / "owner");
  std::string pid;
  unsigned long long start_time = 0;
  if (!(in >> pid >> start_time)) {
    // A runner writes nothing else before its owner file: a folder holding more was made by
    // someone else under our name pattern, and is not ours to remove.
    if (!holds_at_most_unfinished_owner(dir)) return {Owner::unknown, ""};
    // A folder being made: its maker's pid and start time are in its name.
    std::string name = dir.filename().string();
    if (name.rfind(kStagingPrefix, 0) == 0) {
      if (auto maker = maker_in_name(std::string_view(name).substr(kStagingPrefix.size()))) {
        auto id = read_identity(std::to_string(maker->first));
        const bool alive =
            id && id->start_time == maker->second && id->state != 'Z' && id->state != 'X';
        return {alive ? Owner::alive : Owner::dead,
                fmt::format("its maker, pid {}, died before it was named", maker->first)};
      }
    }
    auto age = std::chrono::system_clock::now() -
               std::chrono::system_clock::from_time_t(dir_stat.st_mtime);
    return {age > kOwnerlessGrace ? Owner::dead : Owner::unknown, "no owner recorded"};
  }
  pid_t number = 0;
  if (!parse_number(pid, number) || number <= 0) return {Owner::unknown, ""};
  auto identity = read_identity(pid);
  if (!identity) return {Owner::dead, fmt::format("runner pid {} is gone", pid)};
  if (identity->start_time != start_time) {
    return {Owner::dead, fmt::format("runner pid {} is gone (reused by another process)", pid)};
  }
  // A killed runner whose parent has not reaped it yet is a zombie: as dead as it gets.
  if (identity->state == 'Z' || identity->state == 'X') {
    return {Owner::dead, fmt::format("runner pid {} has exited", pid)};
  }
  // A runner being killed (a worker of `run -j` whose parent was SIGKILLed gets SIGKILL as
  // its death signal) cannot clean up any more: wait for it to be gone, then collect.
  if (dying(number) && wait_until_gone(number)) {
    return {Owner::dead, fmt::format("runner pid {} was killed", pid)};
  }
  return {Owner::alive, ""};
}

void write_file(const fs::path& path, std::string_view content) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!fd) throw std::system_error(errno, std::generic_category(), "create " + path.string());
  if (::write(fd.get(), content.data(), content.size()) != static_cast<ssize_t>(content.size())) {
    throw std::system_error(errno, std::generic_category(), "write " + path.string());
  }
}

// Renames `from` to <its folder>/<stem>XXXXXX with six random letters or digits, never over
// an existing folder (RENAME_NOREPLACE), as mkdtemp would have named it.
fs::path rename_to_free_name(const fs::path& from, const std::string& stem) {
  static constexpr std::string_view kLetters =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::random_device random;
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::string name = stem;
    for (int i = 0; i < 6; ++i) name += kLetters[random() % kLetters.size()];
    fs::path to = from.parent_path() / name;
    if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return to;
    if (errno != EEXIST) {
      throw std::system_error(errno, std::generic_category(),
                              "rename " + from.string() + " to " + to.string());
    }
  }
  throw std::system_error(EEXIST, std::generic_category(), "no free name for " + from.string());
}

}  // namespace

RunDirectory::RunDirectory(std::string_view label) {
  auto self = read_identity("self");
  if (!self) throw std::system_error(EIO, std::generic_category(), "read /proc/self/stat");
  // Made under a name that says who makes it, so that a runner killed before its owner file
  // is written leaves a folder gc can tell dead (see kStagingPrefix).
  std::string staging =
      (temp_root() / fmt::format("{}{}.{}.XXXXXX", kStagingPrefix, ::getpid(), self->start_time))
          .string();
  if (::mkdtemp(staging.data()) == nullptr) {
    throw std::system_error(
        errno, std::generic_category(),
        "cannot create the run directory " + staging + " (set TMPDIR to a writable folder)");
  }
  path_ = staging;
  creator_ = ::getpid();
  try {
    // Written under another name and renamed, so gc never reads half an owner file.
    write_file(path_ / "owner.new", fmt::format("{} {}\n", ::getpid(), self->start_time));
    fs::rename(path_ / "owner.new", path_ / "owner");
    path_ = rename_to_free_name(path_, std::string(kPrefix) + sanitise(label, kMaxLabel) + "-");
    manifest_.reset(
        ::open((path_ / "manifest").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
    if (!manifest_) {
      throw std::system_error(errno, std::generic_category(),
                              "create " + path_.string() + "/manifest");
    }
    // Named like the folder: unique, and recorded before it is made (a runner killed in
    // between leaves a record of nothing, never a group without a record).
    if (auto where = RunCgroup::path_for(path_.filename().string())) {
      record("cgroup", where->string());
      if (auto group = RunCgroup::create(*where))
        cgroup_.emplace(std::move(*group));
      else
        record("cgroup-failed", where->string());  // none made: nothing for gc to end there
    }
  } catch (...) {
    std::error_code ec;
    fs::remove_all(path_, ec);
    throw;
  }
}

RunDirectory::~RunDirectory() {
  manifest_.reset();
  if (::getpid() != creator_) {
    if (cgroup_) cgroup_->forget();
    return;
  }
  cgroup_.reset();  // ends what is left in it (nothing, after a supervised run) and removes it
  if (!keep_) {
    (void)remove_run_directory(path_);
    return;
  }
  (void)remove_manifest_objects(read_manifest(path_));
  // Last: only a folder whose objects are gone is marked kept (gc removes it with plain rm).
  try {
    write_file(path_ / kKeptMarker,
               "kept by `faultline run --keep`; its IPC objects and processes are gone, "
               "`faultline gc --kept` or rm -r removes it\n");
  } catch (const std::system_error&) {
    // Not marked: gc removes it as a dead run's, which is safe.
  }
}

const fs::path& RunDirectory::keep() {
  keep_ = true;
  return path_;
}

void RunDirectory::record_process_group(pid_t pgid) {
  auto identity = read_identity(std::to_string(pgid));
  if (!identity) return;  // gone already: nothing to end
  record("pgroup", fmt::format("{} {}", pgid, identity->start_time));
}

fs::path RunDirectory::make_key_file(std::string_view name) {
  std::string base = "key-" + sanitise(name, kMaxLabel);
  for (int n = 1;; ++n) {
    fs::path p = path_ / (n == 1 ? base : fmt::format("{}-{}", base, n));
    UniqueFd fd(::open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (fd) return p;
    if (errno != EEXIST) {
      throw std::system_error(errno, std::generic_category(), "create key file " + p.string());
    }
  }
}

void RunDirectory::record(std::string_view kind, std::string_view what) {
  std::string line = fmt::format("{} {}\n", kind, what);
  // One write() per line: a runner killed mid-run leaves whole lines only.
  if (::write(manifest_.get(), line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
    throw std::system_error(errno, std::generic_category(),
                            "record " + std::string(kind) + " in " + path_.string() + "/manifest");
  }
}

namespace {

struct FoundRunDirectory {
  fs::path path;
  struct stat st;
};

// The folders under $TMPDIR that look like run directories: real folders of our own user
// (never follow a link planted in a shared /tmp).
std::vector<FoundRunDirectory> run_directories() {
  std::vector<FoundRunDirectory> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(temp_root(), ec)) {
    const fs::path& dir = entry.path();
    if (dir.filename().string().rfind(kPrefix, 0) != 0) continue;
    struct stat st {};
    if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::geteuid()) {
      continue;
    }
    out.push_back({dir, st});
  }
  return out;
}

bool is_kept(const fs::path& dir) {
  struct stat st {};
  return ::lstat((dir / kKeptMarker).c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

}  // namespace

std::vector<fs::path> kept_run_directories() {
  std::vector<fs::path> out;
  for (auto& [dir, st] : run_directories()) {
    if (is_kept(dir)) out.push_back(std::move(dir));
  }
  return out;
}

std::vector<std::string> remove_kept_run_directories() {
  std::vector<std::string> lines;
  for (const auto& dir : kept_run_directories()) {
    // Its objects were removed before it was marked: the files are all there is.
    std::error_code ec;
    fs::remove_all(dir, ec);
    if (ec)
      lines.push_back(fmt::format("could not remove {}: {}", dir.string(), ec.message()));
    else
      lines.push_back(fmt::format("removed {} (kept by `faultline run --keep`)", dir.string()));
  }
  return lines;
}

std::vector<std::string> collect_garbage() {
  std::vector<std::string> lines;
  for (const auto& [dir, st] : run_directories()) {
    const std::string name = dir.filename().string();
    if (name.rfind(kRemovalPrefix, 0) == 0) {
      // Its objects were removed before it was renamed: its files are all there is.
      auto remover = maker_in_name(std::string_view(name).substr(kRemovalPrefix.size()));
      if (!remover || still_runs(remover->first, remover->second)) continue;
      std::error_code ec;
      fs::remove_all(dir, ec);
      lines.push_back(fmt::format("removed {} (its remover, pid {}, died while removing it)",
                                  dir.string(), remover->first));
      continue;
    }
    // A kept folder holds no object and no process any more: its files are the user's.
    if (is_kept(dir)) continue;
    auto [owner, why] = owner_of(dir, st);
    if (owner != Owner::dead) continue;
    // Processes first: a live one could still create objects, or use the ones removed.
    for (const auto& what : end_processes_of(dir, read_manifest(dir))) {
      lines.push_back(fmt::format("{}, left running by {}", what, dir.string()));
    }
    // What its processes created themselves is recorded in its control file, which the
    // runner would have read for its leak check: mapped before the folder goes, and looked at
    // after its channels went (so that a channel a program bound is not counted twice).
    auto control = ControlBlock::open_left_behind(dir / "control");
    for (const auto& what : remove_run_directory(dir)) {
      lines.push_back(fmt::format("removed {} (left in {})", what, dir.string()));
    }
    if (control) {
      for (const Leak& leak : collect_leaks(*control, ControlContext{}, /*late=*/true)) {
        lines.push_back(fmt::format("{} {}, created by {} (pid {}) of {}",
                                    leak.removed ? "removed" : "could not remove", leak.object,
                                    leak.process, leak.pid, dir.string()));
      }
    }
    lines.push_back(fmt::format("removed {} ({})", dir.string(), why));
  }
  return lines;
}

}  // namespace faultline
