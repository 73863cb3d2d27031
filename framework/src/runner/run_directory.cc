// RunDirectory, its manifest, and `faultline gc`: see run_directory.h.
#include "runner/run_directory.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <system_error>
#include <utility>

#include <fmt/format.h>

namespace faultline {
namespace fs = std::filesystem;
namespace {

constexpr std::string_view kPrefix = "faultline-";
constexpr std::size_t kMaxLabel = 40;
// A folder without an owner file is either being created right now or was left by a runner
// killed between mkdtemp() and writing the file; only the second kind is this old.
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

// Removes what the manifest of `dir` lists, then `dir`; one line per removed thing.
std::vector<std::string> remove_run_directory(const fs::path& dir) {
  std::vector<std::string> removed;
  for (const auto& e : read_manifest(dir)) {
    if (e.kind == "cgroup" || e.kind == "pgroup") continue;  // processes, ended before
    if (remove_recorded_object(e.kind, e.what)) removed.push_back(e.kind + " " + e.what);
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
  return removed;
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
  return {Owner::alive, ""};
}

void write_file(const fs::path& path, std::string_view content) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!fd) throw std::system_error(errno, std::generic_category(), "create " + path.string());
  if (::write(fd.get(), content.data(), content.size()) != static_cast<ssize_t>(content.size())) {
    throw std::system_error(errno, std::generic_category(), "write " + path.string());
  }
}

}  // namespace

RunDirectory::RunDirectory(std::string_view label) {
  std::string templ =
      (temp_root() / (std::string(kPrefix) + sanitise(label, kMaxLabel) + "-XXXXXX")).string();
  if (::mkdtemp(templ.data()) == nullptr) {
    throw std::system_error(
        errno, std::generic_category(),
        "cannot create the run directory " + templ + " (set TMPDIR to a writable folder)");
  }
  path_ = templ;
  creator_ = ::getpid();
  try {
    auto self = read_identity("self");
    if (!self) throw std::system_error(EIO, std::generic_category(), "read /proc/self/stat");
    // Written under another name and renamed, so gc never reads half an owner file.
    write_file(path_ / "owner.new", fmt::format("{} {}\n", ::getpid(), self->start_time));
    fs::rename(path_ / "owner.new", path_ / "owner");
    manifest_.reset(
        ::open((path_ / "manifest").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
    if (!manifest_) {
      throw std::system_error(errno, std::generic_category(),
                              "create " + path_.string() + "/manifest");
    }
    // Named like the folder: unique, and recorded before any process can join it.
    if (auto group = RunCgroup::create(path_.filename().string()))
      cgroup_.emplace(std::move(*group));
    if (cgroup_) record("cgroup", cgroup_->path().string());
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
  for (const auto& e : read_manifest(path_)) {
    if (e.kind != "cgroup" && e.kind != "pgroup") (void)remove_recorded_object(e.kind, e.what);
  }
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
    // A kept folder holds no object and no process any more: its files are the user's.
    if (is_kept(dir)) continue;
    auto [owner, why] = owner_of(dir, st);
    if (owner != Owner::dead) continue;
    // Processes first: a live one could still create objects, or use the ones removed.
    for (const auto& what : end_processes_of(dir, read_manifest(dir))) {
      lines.push_back(fmt::format("{}, left running by {}", what, dir.string()));
    }
    for (const auto& what : remove_run_directory(dir)) {
      lines.push_back(fmt::format("removed {} (left in {})", what, dir.string()));
    }
    lines.push_back(fmt::format("removed {} ({})", dir.string(), why));
  }
  return lines;
}

}  // namespace faultline
