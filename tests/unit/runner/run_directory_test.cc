// RunDirectory (the private folder of a run and its manifest) and collect_garbage()
// (`faultline gc`): what a dead runner left is removed, a live runner's run is not touched.
#include "runner/run_directory.h"

#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "channel_test_support.h"
#include "channels/channel.h"
#include "support.h"
#include "util/unique_fd.h"

namespace faultline::test {
namespace {
namespace fs = std::filesystem;

std::string read_file(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool contains(const std::vector<std::string>& lines, const std::string& part) {
  for (const auto& l : lines)
    if (l.find(part) != std::string::npos) return true;
  return false;
}

TEST_CASE("A run directory is a 0700 folder under TMPDIR named after its label") {
  ScopedTmpdir tmp;
  NothingLeftBehind guard;
  RunDirectory dir("echo server");
  CHECK(dir.path().parent_path() == tmp.path());
  std::string name = dir.path().filename();
  CHECK(name.rfind("faultline-echo_server-", 0) == 0);
  CHECK(name.size() == std::string("faultline-echo_server-").size() + 6);
  struct stat st {};
  REQUIRE(stat(dir.path().c_str(), &st) == 0);
  CHECK(S_ISDIR(st.st_mode));
  CHECK((st.st_mode & 0777) == 0700);
}

TEST_CASE("A run directory's label is cut to 40 characters of [A-Za-z0-9_-]") {
  ScopedTmpdir tmp;
  NothingLeftBehind guard;
  RunDirectory dir("../" + std::string(60, 'a'));
  std::string name = dir.path().filename();
  CHECK(name == "faultline-___" + std::string(37, 'a') + "-" + name.substr(name.size() - 6));
  CHECK(dir.path().parent_path() == tmp.path());
}

TEST_CASE("A run directory names its runner by pid and start time") {
  ScopedTmpdir tmp;
  NothingLeftBehind guard;
  RunDirectory dir("owner");
  std::string stat_line = read_file("/proc/self/stat");
  std::istringstream after_name(stat_line.substr(stat_line.rfind(')') + 2));
  std::string field;
  for (int n = 3; n <= 22; ++n) after_name >> field;  // field 22: start time
  CHECK(read_file(dir.path() / "owner") == std::to_string(getpid()) + " " + field + "\n");
}

TEST_CASE("A recorded object is in the manifest at once") {
  ScopedTmpdir tmp;
  NothingLeftBehind guard;
  RunDirectory dir("manifest");
  // The run's cgroup comes first where the machine gives one (how-it-works.md).
  const std::string head = dir.cgroup_procs_fd() >= 0 ? read_file(dir.path() / "manifest") : "";
  CHECK((head.empty() || head.rfind("cgroup /", 0) == 0));
  dir.record("posix-mq", "/faultline-1-2-q");
  CHECK(read_file(dir.path() / "manifest") == head + "posix-mq /faultline-1-2-q\n");
  dir.record("shm", "12 34");
  CHECK(read_file(dir.path() / "manifest") == head + "posix-mq /faultline-1-2-q\nshm 12 34\n");
}

TEST_CASE("A recorded process group carries its leader's start time") {
  ScopedTmpdir tmp;
  NothingLeftBehind guard;
  RunDirectory dir("pgroup");
  std::string stat_line = read_file("/proc/self/stat");
  std::istringstream after_name(stat_line.substr(stat_line.rfind(')') + 2));
  std::string field;
  for (int n = 3; n <= 22; ++n) after_name >> field;  // field 22: start time
  dir.record_process_group(getpid());
  CHECK_THAT(read_file(dir.path() / "manifest"),
             Catch::EndsWith(fmt::format("pgroup {} {}\n", getpid(), field)));
}

TEST_CASE("Key files are new 0600 files, a different one on every call") {
  ScopedTmpdir tmp;
  NothingLeftBehind guard;
  RunDirectory dir("keys");
  fs::path a = dir.make_key_file("q");
  fs::path b = dir.make_key_file("q");
  CHECK(a != b);
  CHECK(a.parent_path() == dir.path());
  struct stat st {};
  REQUIRE(stat(b.c_str(), &st) == 0);
  CHECK(S_ISREG(st.st_mode));
  CHECK((st.st_mode & 0777) == 0600);
}

TEST_CASE("Destroying a run directory removes the objects it recorded and the folder") {
  ScopedTmpdir tmp;
  NothingLeftBehind guard;
  int queue = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
  REQUIRE(queue >= 0);
  std::string shm_name = "/faultline-test-" + std::to_string(getpid()) + "-rundir";
  int shm_fd = shm_open(shm_name.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600);
  REQUIRE(shm_fd >= 0);
  close(shm_fd);
  fs::path outside = tmp.path() / "outside-file";
  std::ofstream(outside) << "x";
  fs::path folder;
  {
    RunDirectory dir("cleanup");
    folder = dir.path();
    dir.record("msg", std::to_string(queue));
    dir.record("posix-shm", shm_name);
    dir.record("path", outside.string());
    std::ofstream(dir.path() / "some-output") << "y";
  }
  CHECK_FALSE(ipcs_knows("q", std::to_string(queue)));
  CHECK_FALSE(fs::exists("/dev/shm" + shm_name));
  CHECK_FALSE(fs::exists(outside));
  CHECK_FALSE(fs::exists(folder));
}

TEST_CASE("A recorded System V id whose key is no longer ours is not removed") {
  ScopedTmpdir tmp;
  NothingLeftBehind guard;
  int queue = msgget(IPC_PRIVATE, IPC_CREAT | 0600);  // key 0
  REQUIRE(queue >= 0);
  CHECK_FALSE(remove_recorded_object("msg", std::to_string(queue) + " 1174405121"));
  CHECK(ipcs_knows("q", std::to_string(queue)));
  CHECK(remove_recorded_object("msg", std::to_string(queue) + " 0"));
  CHECK_FALSE(ipcs_knows("q", std::to_string(queue)));
  CHECK_FALSE(remove_recorded_object("msg", std::to_string(queue) + " 0"));
}

// What a runner that died without cleaning up left: its folder and the objects it made.
struct DeadRun {
  fs::path folder;
  std::string queue_id, segment_id, semaphore_id, mq_name, shm_name;
};

DeadRun run_and_die() {
  int report[2];
  REQUIRE(pipe(report) == 0);
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    close(report[0]);
    try {
      // Leaked on purpose: the runner is "killed" before any destructor runs.
      auto* dir = new RunDirectory("dead");
      auto attr = [&](ChannelType type, const char* a) {
        return provision_channel(spec_of("c", type), *dir).release()->attributes().at(a);
      };
      std::string text = dir->path().string() + "\n" + attr(ChannelType::msgqueue, "id") + "\n" +
                         attr(ChannelType::shm, "id") + "\n" + attr(ChannelType::semaphore, "id") +
                         "\n" + attr(ChannelType::posix_mq, "name") + "\n" +
                         attr(ChannelType::mmap, "name") + "\n";
      if (write(report[1], text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
        _exit(1);
      }
      _exit(0);
    } catch (...) {
      _exit(1);
    }
  }
  close(report[1]);
  std::string text;
  char buf[512];
  ssize_t n;
  while ((n = read(report[0], buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
  close(report[0]);
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  std::istringstream lines(text);
  DeadRun run;
  std::string folder;
  lines >> folder >> run.queue_id >> run.segment_id >> run.semaphore_id >> run.mq_name >>
      run.shm_name;
  run.folder = folder;
  return run;
}

TEST_CASE("gc removes the folder and the objects of a runner that died") {
  ScopedTmpdir tmp;
  NothingLeftBehind guard;
  DeadRun dead = run_and_die();
  REQUIRE(fs::exists(dead.folder));
  REQUIRE(ipcs_knows("q", dead.queue_id));
  REQUIRE(ipcs_knows("m", dead.segment_id));
  REQUIRE(ipcs_knows("s", dead.semaphore_id));
  REQUIRE(fs::exists("/dev/shm" + dead.shm_name));

  auto removed = collect_garbage();

  CHECK_FALSE(fs::exists(dead.folder));
  CHECK_FALSE(ipcs_knows("q", dead.queue_id));
  CHECK_FALSE(ipcs_knows("m", dead.segment_id));
  CHECK_FALSE(ipcs_knows("s", dead.semaphore_id));
  CHECK_FALSE(fs::exists("/dev/shm" + dead.shm_name));
  CHECK(contains(removed, "posix-mq " + dead.mq_name));
  CHECK(contains(removed, "msg " + dead.queue_id + " "));
  CHECK(contains(removed, dead.folder.string() + " (runner pid"));
}

TEST_CASE("gc leaves the run of a live runner alone") {
  ScopedTmpdir tmp;
  NothingLeftBehind guard;
  RunDirectory dir("alive");
  auto ch = provision_channel(spec_of("q", ChannelType::msgqueue), dir);
  auto removed = collect_garbage();
  CHECK(removed.empty());
  CHECK(fs::exists(dir.path() / "manifest"));
  CHECK(ipcs_knows("q", ch->attributes().at("id")));
}

TEST_CASE("gc takes a runner whose pid now belongs to another process for dead") {
  ScopedTmpdir tmp;
  NothingLeftBehind guard;
  RunDirectory dir("reused");
  auto ch = provision_channel(spec_of("q", ChannelType::msgqueue), dir);
  std::string id = ch->attributes().at("id");
  // Our pid, but a start time that is not ours: the runner that wrote it is gone.
  std::ofstream(dir.path() / "owner", std::ios::trunc) << getpid() << " 1\n";
  auto removed = collect_garbage();
  CHECK_FALSE(fs::exists(dir.path()));
  CHECK_FALSE(ipcs_knows("q", id));
  CHECK(contains(removed, "reused"));
}

TEST_CASE("gc removes a run folder without owner only once it is old") {
  ScopedTmpdir tmp;
  NothingLeftBehind guard;
  std::string templ = (tmp.path() / "faultline-ownerless-XXXXXX").string();
  REQUIRE(mkdtemp(templ.data()) != nullptr);
  fs::path folder = templ;
  (void)collect_garbage();
  CHECK(fs::exists(folder));  // it may be a run being created right now
  fs::last_write_time(folder, fs::file_time_type::clock::now() - std::chrono::minutes(5));
  auto removed = collect_garbage();
  CHECK_FALSE(fs::exists(folder));
  CHECK(contains(removed, "no owner recorded"));
}

TEST_CASE("gc leaves an old folder without owner that holds what no runner writes") {
  ScopedTmpdir tmp;
  NothingLeftBehind guard;
  std::string templ = (tmp.path() / "faultline-notes-XXXXXX").string();
  REQUIRE(mkdtemp(templ.data()) != nullptr);
  fs::path folder = templ;
  std::ofstream(folder / "owner.new") << "";  // what a runner killed early leaves: removable
  std::ofstream(folder / "notes.txt") << "mine\n";
  fs::last_write_time(folder, fs::file_time_type::clock::now() - std::chrono::minutes(5));
  auto removed = collect_garbage();
  CHECK(fs::exists(folder / "notes.txt"));
  CHECK(removed.empty());
  fs::remove(folder / "notes.txt");
  fs::last_write_time(folder, fs::file_time_type::clock::now() - std::chrono::minutes(5));
  removed = collect_garbage();
  CHECK_FALSE(fs::exists(folder));
  CHECK(contains(removed, "no owner recorded"));
}

// This process's start time (field 22 of /proc/self/stat).
std::string own_start_time() {
  std::string stat_line = read_file("/proc/self/stat");
  std::istringstream after_name(stat_line.substr(stat_line.rfind(')') + 2));
  std::string field;
  for (int n = 3; n <= 22; ++n) after_name >> field;
  return field;
}

TEST_CASE("gc removes at once a folder whose maker died before it wrote its owner") {
  ScopedTmpdir tmp;
  NothingLeftBehind guard;
  // A runner killed between mkdtemp() and its owner file: its pid and start time are in the
  // folder's name. Our pid with another start time: that runner is gone.
  std::string dead = (tmp.path() / fmt::format("faultline-new.{}.1.XXXXXX", getpid())).string();
  std::string alive =
      (tmp.path() / fmt::format("faultline-new.{}.{}.XXXXXX", getpid(), own_start_time())).string();
  REQUIRE(mkdtemp(dead.data()) != nullptr);
  REQUIRE(mkdtemp(alive.data()) != nullptr);
  auto removed = collect_garbage();
  CHECK_FALSE(fs::exists(dead));
  CHECK(contains(removed, "died before it was named"));
  CHECK(fs::exists(alive));  // its maker (we) still runs
  fs::remove(alive);
}

TEST_CASE("gc removes at once a folder whose remover died half-way") {
  ScopedTmpdir tmp;
  NothingLeftBehind guard;
  // A runner killed while it removed its folder (its objects gone already) leaves it under its
  // removal name, with some files still in it. Our pid with another start time: that remover
  // is gone; with ours: it is still at work.
  const fs::path dead =
      tmp.path() / fmt::format("faultline-gone.{}.1.faultline-a-abcdef", getpid());
  const fs::path busy = tmp.path() / fmt::format("faultline-gone.{}.{}.faultline-b-abcdef",
                                                 getpid(), own_start_time());
  for (const auto& dir : {dead, busy}) {
    REQUIRE(fs::create_directory(dir));
    std::ofstream(dir / "control") << "x";
  }
  auto removed = collect_garbage();
  CHECK_FALSE(fs::exists(dead));
  CHECK(contains(removed, "died while removing it"));
  CHECK(fs::exists(busy / "control"));
  fs::remove_all(busy);
}

TEST_CASE("A run directory is renamed under its remover's name before its files are removed") {
  ScopedTmpdir tmp;
  NothingLeftBehind guard;
  fs::path folder;
  UniqueFd watch(inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
  REQUIRE(watch);
  {
    RunDirectory dir("removal");
    folder = dir.path();
    std::ofstream(dir.path() / "some-output") << "y";
    REQUIRE(inotify_add_watch(watch.get(), tmp.path().c_str(), IN_MOVED_TO) >= 0);
  }
  CHECK_FALSE(fs::exists(folder));
  // Killed at any moment of the removal, it leaves either its folder with owner and manifest,
  // or this name, which tells gc who removed it (tested above).
  std::vector<std::string> moved_to;
  alignas(inotify_event) char buf[4096];
  for (ssize_t n; (n = read(watch.get(), buf, sizeof buf)) > 0;) {
    for (char* p = buf; p < buf + n;) {
      auto* e = reinterpret_cast<inotify_event*>(p);
      if (e->len > 0) moved_to.emplace_back(e->name);
      p += sizeof(inotify_event) + e->len;
    }
  }
  std::string seen;
  for (const auto& name : moved_to) seen += name + " ";
  INFO("renamed to: " << seen);
  CHECK(moved_to ==
        std::vector<std::string>{fmt::format("faultline-gone.{}.{}.{}", getpid(), own_start_time(),
                                             folder.filename().string())});
}

TEST_CASE("A run directory is made under its maker's name and renamed when its owner is written") {
  ScopedTmpdir tmp;
  NothingLeftBehind guard;
  RunDirectory dir("staged");
  CHECK(fs::exists(dir.path() / "owner"));
  CHECK(dir.path().filename().string().rfind("faultline-staged-", 0) == 0);
  for (const auto& e : fs::directory_iterator(tmp.path()))
    CHECK(e.path().filename().string().rfind("faultline-new.", 0) != 0);
}

TEST_CASE("gc removes a System V object whose key was recorded but whose id was not") {
  ScopedTmpdir tmp;
  NothingLeftBehind guard;
  RunDirectory dir("key-only");
  // What a runner killed between msgget() and recording the id leaves: the key alone.
  key_t key = ftok(dir.make_key_file("q").c_str(), 'F');
  dir.record("msg-key", std::to_string(key));
  int id = msgget(key, IPC_CREAT | IPC_EXCL | 0600);
  REQUIRE(id >= 0);
  std::ofstream(dir.path() / "owner", std::ios::trunc) << getpid() << " 1\n";
  auto removed = collect_garbage();
  CHECK_FALSE(ipcs_knows("q", std::to_string(id)));
  CHECK(contains(removed, fmt::format("removed msg {} {}", id, key)));
  if (ipcs_knows("q", std::to_string(id))) msgctl(id, IPC_RMID, nullptr);
}

TEST_CASE("gc leaves alone the object of a key a run found taken") {
  ScopedTmpdir tmp;
  NothingLeftBehind guard;
  TempDir other("fltest-other");
  key_t key = ftok(other.path().c_str(), 'F');
  int theirs = msgget(key, IPC_CREAT | IPC_EXCL | 0600);
  REQUIRE(theirs >= 0);
  {
    RunDirectory dir("key-taken");
    dir.record("msg-key", std::to_string(key));  // tried, EEXIST: someone else's
    dir.record("msg-taken", std::to_string(key));
    std::ofstream(dir.path() / "owner", std::ios::trunc) << getpid() << " 1\n";
    (void)collect_garbage();
  }
  CHECK(ipcs_knows("q", std::to_string(theirs)));
  msgctl(theirs, IPC_RMID, nullptr);
}

TEST_CASE("A kept run directory loses its objects, keeps its files, and gc leaves it until --kept") {
  ScopedTmpdir tmp;
  NothingLeftBehind guard;
  fs::path folder;
  std::string id;
  {
    RunDirectory dir("kept");
    folder = dir.keep();
    auto ch = provision_channel(spec_of("q", ChannelType::msgqueue), dir);
    id = ch->attributes().at("id");
    std::ofstream(folder / "note.txt") << "mine\n";
    CHECK_FALSE(fs::exists(folder / "kept"));  // marked only once its objects are gone
  }
  CHECK(fs::exists(folder / "kept"));
  CHECK(read_file(folder / "note.txt") == "mine\n");
  CHECK_FALSE(ipcs_knows("q", id));
  // Its runner is dead (this process's pid with another start time), yet gc leaves it.
  std::ofstream(folder / "owner", std::ios::trunc) << getpid() << " 1\n";
  CHECK(collect_garbage().empty());
  CHECK(fs::exists(folder));
  CHECK(kept_run_directories() == std::vector<fs::path>{folder});
  auto removed = remove_kept_run_directories();
  CHECK_FALSE(fs::exists(folder));
  CHECK(contains(removed, "removed " + folder.string()));
}

TEST_CASE("A --keep run that died before its end is collected like any other") {
  ScopedTmpdir tmp;
  NothingLeftBehind guard;
  RunDirectory dir("kept-dead");
  (void)dir.keep();
  auto ch = provision_channel(spec_of("q", ChannelType::msgqueue), dir);
  std::string id = ch->attributes().at("id");
  std::ofstream(dir.path() / "owner", std::ios::trunc) << getpid() << " 1\n";
  (void)collect_garbage();
  CHECK_FALSE(fs::exists(dir.path()));
  CHECK_FALSE(ipcs_knows("q", id));
}

}  // namespace
}  // namespace faultline::test
