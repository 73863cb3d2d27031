// Who can read, write or remove what a run creates: the run folder is its user's only
// (0700), the control file and every channel object 0600, another user reaches the control
// block only through the descriptor a process inherited; the run folder is made safely in a
// TMPDIR where others planted links and folders, and `faultline gc` removes only run folders
// of its own user and never follows a link out of them. The parts that need a second user
// run as root (as nobody through setpriv) and are skipped, with a message, otherwise.
#include <fcntl.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "faultline_control.h"
#include "run_json.h"
#include "support.h"

namespace fs = std::filesystem;
using faultline::test::CommandResult;
using faultline::test::NothingLeftBehind;
using faultline::test::PrivateTmpdir;
using faultline::test::run_command;
using faultline::test::run_faultline;
using faultline::test::run_json;
using faultline::test::TempDir;
using faultline::test::TempScenario;
using nlohmann::json;

namespace {

constexpr uid_t kNobody = 65534;

bool is_root() { return ::geteuid() == 0; }

// argv run as nobody:nogroup without supplementary groups (util-linux setpriv).
std::vector<std::string> as_nobody(std::vector<std::string> argv) {
  std::vector<std::string> out{"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"};
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// "what mode" lines, as the probe script prints them, into what -> modes seen.
std::multimap<std::string, std::string> parse_modes(const std::string& text) {
  std::multimap<std::string, std::string> out;
  std::istringstream lines(text);
  std::string what, mode;
  while (lines >> what >> mode) out.emplace(what, mode);
  return out;
}

// A System V queue of our own (IPC_PRIVATE, 0600), removed on destruction: the object a
// forged manifest in another user's folder names.
class OwnQueue final {
 public:
  OwnQueue() : id_(::msgget(IPC_PRIVATE, IPC_CREAT | 0600)) { REQUIRE(id_ >= 0); }
  ~OwnQueue() { ::msgctl(id_, IPC_RMID, nullptr); }
  OwnQueue(const OwnQueue&) = delete;
  OwnQueue& operator=(const OwnQueue&) = delete;
  [[nodiscard]] int id() const { return id_; }
  [[nodiscard]] bool exists() const {
    msqid_ds ds{};
    return ::msgctl(id_, IPC_STAT, &ds) == 0;
  }

 private:
  int id_;
};

// Sets a folder's modification time `age` in the past (gc leaves ownerless folders alone
// while they are young: a runner may be creating one).
void age_folder(const fs::path& dir, std::chrono::seconds age) {
  timespec times[2];
  ::clock_gettime(CLOCK_REALTIME, &times[0]);
  times[0].tv_sec -= age.count();
  times[1] = times[0];
  REQUIRE(::utimensat(AT_FDCWD, dir.c_str(), times, AT_SYMLINK_NOFOLLOW) == 0);
}

// A pid above the largest pid_max Linux allows (2^22): no process has it, so a run folder
// naming it as its owner is a dead run's.
constexpr const char* kDeadOwner = "4194305 1\n";

// The manifest line of a System V queue made with IPC_PRIVATE (key 0).
std::string fmt_msg_entry(int id) { return "msg " + std::to_string(id) + " 0\n"; }

}  // namespace

TEST_CASE("Every object of a run is its user's only, even under umask 000") {
  PrivateTmpdir tmp;
  NothingLeftBehind guard;
  TempScenario s(
      "scenario: modes\ntimeout: 20s\n"
      "channels:\n"
      "  f: { type: fifo }\n"
      "  q: { type: msgqueue }\n"
      "  pq: { type: posix-mq }\n"
      "  sh: { type: shm }\n"
      "  m: { type: mmap }\n"
      "  mf: { type: mmap, backing: file }\n"
      "  sem: { type: semaphore }\n"
      "  u: { type: unix-stream }\n"
      "  d: { type: unix-dgram }\n"
      "processes:\n"
      "  probe:\n"
      "    run: [sh, '${scenario_dir}/probe.sh', '${f.path}', '${q.id}', '${pq.name}', "
      "'${sh.id}', '${m.name}', '${mf.path}', '${sem.id}', '${u.path}', '${d.path}']\n"
      "    expect: { exit: 0 }\n");
  // Prints "WHAT MODE" per object (octal permission bits); the folder of each socket path
  // (the program binds it, with its own umask: the folder is what keeps others out).
  std::ofstream(s.dir() / "probe.sh") << R"SH(set -e
mode() { printf '%s %s\n' "$1" "$(stat -c %a "$2")"; }
sysv() { awk -v id="$2" -v what="$1" '$2 == id { print what, $3 }' "/proc/sysvipc/$1"; }
mode run-folder "$FAULTLINE_RUN_DIR"
printf 'run-folder-path %s\n' "$FAULTLINE_RUN_DIR"
mode control-file "$FAULTLINE_CONTROL"
for f in "$FAULTLINE_RUN_DIR"/*; do mode run-folder-file "$f"; done
mode fifo "$1"
sysv msg "$2"
if [ -d /dev/mqueue ] && [ -e "/dev/mqueue$3" ]; then mode posix-mq "/dev/mqueue$3"; fi
sysv shm "$4"
mode posix-shm "/dev/shm$5"
mode mmap-file "$6"
sysv sem "$7"
printf 'socket-folder %s\n' "$(dirname "$8")" "$(dirname "$9")"
)SH";
  const fs::path out = s.dir() / "result.json";
  // umask 000: the modes must come from faultline, not from a careful caller.
  CommandResult r = run_command(
      {"sh", "-c", "umask 000; exec \"$@\"", "sh", faultline::test::faultline_exe().string(), "run",
       s.path().string(), "--json", out.string()},
      {"NO_COLOR=1"});
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  REQUIRE(r.exit_code == 0);
  std::ifstream in(out);
  const json sc = json::parse(in)["scenarios"][0];
  const std::string printed = sc["processes"][0]["stdout"];
  INFO("the probe printed:\n" << printed);
  const auto modes = parse_modes(printed);
  const auto only = [&](const std::string& what) {
    auto [from, to] = modes.equal_range(what);
    REQUIRE(from != to);
    std::string seen;
    for (auto it = from; it != to; ++it) seen += it->second + " ";
    return seen;
  };
  CHECK(only("run-folder") == "700 ");
  CHECK(only("control-file") == "600 ");
  // Every file of faultline's own in the folder: owner, manifest, control file, ftok keys,
  // the FIFO and the mmap file.
  const std::string files = only("run-folder-file");
  CHECK(files.find_first_not_of("600 ") == std::string::npos);
  CHECK(only("fifo") == "600 ");
  CHECK(only("msg") == "600 ");
  CHECK(only("shm") == "600 ");
  CHECK(only("sem") == "600 ");
  CHECK(only("posix-shm") == "600 ");
  CHECK(only("mmap-file") == "600 ");
  if (modes.count("posix-mq") == 0) {
    WARN("/dev/mqueue is not mounted: the POSIX queue's mode is not checked");
  } else {
    CHECK(only("posix-mq") == "600 ");
  }
  auto [from, to] = modes.equal_range("socket-folder");
  REQUIRE(std::distance(from, to) == 2);
  const std::string run_dir = only("run-folder-path");
  CHECK(fs::path(run_dir.substr(0, run_dir.size() - 1)).parent_path() == tmp.path());
  for (auto it = from; it != to; ++it) CHECK(it->second + " " == run_dir);
}

TEST_CASE("Another user reaches the control block only through the descriptor it inherited") {
  if (!is_root()) {
    WARN("not root: no second user to run a process as (setpriv needs CAP_SETUID)");
    return;
  }
  PrivateTmpdir tmp;
  NothingLeftBehind guard;
  // The reader drops to nobody: the control file's path is refused to it (0600 in a 0700
  // folder), yet its cat attaches through the inherited descriptor and gets its fault.
  TempScenario s(
      "scenario: control-access\ntimeout: 20s\n"
      "channels: { p: { type: pipe } }\n"
      "processes:\n"
      "  writer:\n"
      "    run: [sh, -c, \"trap '' PIPE; echo hello 2>/dev/null || true\"]\n"
      "    stdout: { channel: p }\n"
      "  reader:\n"
      "    run: [setpriv, --reuid=65534, --regid=65534, --clear-groups, sh, -c,\n"
      "          'if head -c 4 \"$$FAULTLINE_CONTROL\" >/dev/null 2>&1; then echo path-readable;\n"
      "           else echo path-refused; fi; if ls \"$$FAULTLINE_RUN_DIR\" >/dev/null 2>&1;\n"
      "           then echo folder-listable; else echo folder-refused; fi; exec cat']\n"
      "    stdin: { channel: p }\n"
      "    expect: { exit: 1 }\n"
      "faults:\n"
      "  - { process: reader, call: read, error: EIO, nth: 1 }\n");
  CommandResult r;
  json sc = run_json(s, r);
  CHECK(r.exit_code == 0);
  const json& reader = sc["processes"][1];
  REQUIRE(reader["name"] == "reader");
  const std::string out = reader["stdout"];
  CHECK_THAT(out, Catch::Contains("path-refused"));
  CHECK_THAT(out, Catch::Contains("folder-refused"));
  CHECK_THAT(reader["stderr"].get<std::string>(), Catch::Contains("Input/output error"));
  CHECK(sc["faults"][0]["fired"] == 1);
}

TEST_CASE("gc and the next run remove only their user's dead run folders, through no link") {
  PrivateTmpdir tmp;
  NothingLeftBehind guard;
  OwnQueue queue;  // removed before the guard looks
  TempDir outside("flsec-outside");
  const fs::path precious = outside.path() / "precious";
  std::ofstream(precious) << "keep me\n";

  // A dead run of ours whose folder holds links out of it: gc removes the folder and the
  // links, not what they point to.
  const fs::path stale = tmp.path() / "faultline-stale-Ab3dE6";
  fs::create_directory(stale);
  std::ofstream(stale / "owner") << kDeadOwner;
  std::ofstream(stale / "manifest") << "";
  fs::create_directory_symlink(outside.path(), stale / "to-folder");
  fs::create_symlink(precious, stale / "to-file");

  // A link at a run folder's name, to a folder that looks like a dead run's: not followed.
  const fs::path decoy = outside.path() / "decoy";
  fs::create_directory(decoy);
  std::ofstream(decoy / "owner") << kDeadOwner;
  std::ofstream(decoy / "manifest") << fmt_msg_entry(queue.id());
  const fs::path planted_link = tmp.path() / "faultline-link-Zz9Yy8";
  fs::create_directory_symlink(decoy, planted_link);

  // A folder of ours named like a run folder that no runner made (no owner file, older than
  // the grace a runner has to write one, and holding files of someone's): not gc's to remove.
  const fs::path notes = tmp.path() / "faultline-notes-Qw3rTy";
  fs::create_directory(notes);
  std::ofstream(notes / "notes.txt") << "mine\n";
  age_folder(notes, std::chrono::minutes(5));

  // Another user's dead run whose manifest names our queue: the folder is not ours, and
  // neither gc nor the run may act on its manifest (run as root, that would remove the
  // queue of root that it names).
  const fs::path foreign = tmp.path() / "faultline-foreign-Mn0pQr";
  if (is_root()) {
    REQUIRE(::chmod(tmp.path().c_str(), 01777) == 0);  // a shared TMPDIR, as /tmp is
    CommandResult planted = run_command(
        as_nobody({"sh", "-c",
                   "mkdir \"$1\" && printf '%s' \"$2\" > \"$1/owner\" && printf '%s' \"$3\" > "
                   "\"$1/manifest\"",
                   "sh", foreign.string(), kDeadOwner, fmt_msg_entry(queue.id())}));
    INFO(planted.err);
    REQUIRE(planted.exit_code == 0);
  } else {
    WARN(
        "not root: no second user to plant a run folder as (setpriv needs CAP_SETUID); "
        "the other user's folder is not checked");
  }

  CommandResult gc = run_faultline({"gc"});
  INFO("gc stdout:\n" << gc.out << "\ngc stderr:\n" << gc.err);
  CHECK(gc.exit_code == 0);
  CHECK(!fs::exists(fs::symlink_status(stale)));
  CHECK_THAT(gc.out, Catch::Contains(stale.string()));
  CHECK(read_file(precious) == "keep me\n");
  CHECK(fs::is_directory(outside.path()));
  CHECK(fs::is_symlink(planted_link));
  CHECK(fs::exists(decoy / "manifest"));
  CHECK(fs::exists(notes / "notes.txt"));
  CHECK(queue.exists());
  if (is_root()) {
    CHECK(fs::exists(foreign / "manifest"));
    struct stat st {};
    CHECK((::lstat(foreign.c_str(), &st) == 0 && st.st_uid == kNobody));
  }
  CHECK_THAT(gc.out, !Catch::Contains(planted_link.string()) && !Catch::Contains(notes.string()) &&
                         !Catch::Contains(foreign.string()));

  // The next run collects garbage first too: it leaves the same things alone, and runs.
  TempScenario s(
      "scenario: planted\ntimeout: 20s\n"
      "channels: { q: { type: msgqueue }, f: { type: fifo } }\n"
      "processes:\n  p: { run: [true], expect: { exit: 0 } }\n");
  CommandResult r;
  json sc = run_json(s, r);
  CHECK(r.exit_code == 0);
  CHECK(sc["outcome"] == "pass");
  CHECK(fs::is_symlink(planted_link));
  CHECK(fs::exists(notes / "notes.txt"));
  CHECK(queue.exists());
  if (is_root()) CHECK(fs::exists(foreign / "manifest"));

  // What the test planted is removed by the test, not left to the leak guard.
  fs::remove(planted_link);
  fs::remove_all(notes);
  fs::remove_all(foreign);
}

TEST_CASE("A run makes its folder in a TMPDIR full of planted names, and follows none") {
  PrivateTmpdir tmp;
  NothingLeftBehind guard;
  TempDir outside("flsec-outside");
  // Links and folders at names a run folder could have: run folders are made by mkdtemp
  // (mkdir never follows a link nor reuses an existing name; six random characters).
  for (int i = 0; i < 20; ++i) {
    fs::create_directory_symlink(outside.path(),
                                 tmp.path() / ("faultline-planted-lnk" + std::to_string(100 + i)));
  }
  TempScenario s(
      "scenario: planted\ntimeout: 20s\n"
      "channels: { u: { type: unix-stream }, f: { type: fifo } }\n"
      "processes:\n  p: { run: [sh, -c, 'echo \"$$FAULTLINE_RUN_DIR\"'], expect: { exit: 0 } }\n");
  CommandResult r;
  json sc = run_json(s, r);
  CHECK(r.exit_code == 0);
  const std::string printed = sc["processes"][0]["stdout"];
  const fs::path run_dir = printed.substr(0, printed.find('\n'));
  CHECK(run_dir.parent_path() == tmp.path());
  CHECK(fs::is_empty(outside.path()));  // nothing was made through a link
  for (int i = 0; i < 20; ++i)
    fs::remove(tmp.path() / ("faultline-planted-lnk" + std::to_string(100 + i)));
}

TEST_CASE("A datagram forged without the run's token is not taken as a process's attach failure") {
  PrivateTmpdir tmp;
  NothingLeftBehind guard;
  // The status socket is abstract (no file permission keeps anyone out) and its name is
  // public (/proc/net/unix lists it): any local process, of any user, can send to it. It
  // sends what a process that could not attach would send, to the name alone (the part of
  // FAULTLINE_STATUS anyone can read in /proc/net/unix; taken from the environment here only
  // so as to reach this run's socket and no other run's on the machine).
  fl_attach_failure forged{};
  forged.magic = FL_STATUS_MAGIC;
  forged.pid = 1;
  forged.ppid = 0;
  forged.fd = -1;
  forged.path_errno = EACCES;
  forged.reason = FL_ATTACH_NO_ACCESS;
  std::strcpy(forged.process, "victim");
  std::strcpy(forged.comm, "victim");
  TempScenario s(
      "scenario: forged-status\ntimeout: 20s\n"
      "processes:\n"
      "  victim:\n"
      "    run: [python3, -c, \"import os, socket, sys\\n"
      "name = os.environ['FAULTLINE_STATUS'].split('#')[0]\\n"
      "s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\\n"
      "s.sendto(open(sys.argv[1], 'rb').read(), '\\\\0' + name[1:])\\n"
      "print('sent to', name)\", '${scenario_dir}/forged']\n"
      "    expect: { exit: 0, stdout: { contains: sent } }\n");
  std::ofstream(s.dir() / "forged", std::ios::binary)
      .write(reinterpret_cast<const char*>(&forged), sizeof forged);
  CommandResult r;
  json sc = run_json(s, r);
  CHECK(r.exit_code == 0);
  CHECK(sc["outcome"] == "pass");
  CHECK(sc["violations"].empty());
  CHECK_THAT(r.out, !Catch::Contains("could not attach"));
}
