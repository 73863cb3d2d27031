// faultline as an ordinary user (CTest label nonroot): no second user, no cgroup of its own,
// no capability. Run as root, each test drops to nobody (setpriv) with a HOME and TMPDIR of
// nobody's, and the showcase's verdicts must equal root's; run as anyone else, it runs as is
// and the verdicts must be the showcase's own (naive caught, robust passing).
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support.h"

namespace fs = std::filesystem;
using faultline::test::CommandResult;
using faultline::test::NothingLeftBehind;
using faultline::test::PrivateTmpdir;
using faultline::test::run_command;
using nlohmann::json;

namespace {

constexpr uid_t kNobody = 65534;

bool is_root() { return ::geteuid() == 0; }

// The environment of an ordinary user whose HOME and TMPDIR are `home` (owned by that user).
class OrdinaryUser final {
 public:
  explicit OrdinaryUser(const fs::path& home) : home_(home) {
    if (is_root()) REQUIRE(::chown(home.c_str(), kNobody, kNobody) == 0);
  }

  // argv as that user: through setpriv when we are root, as is otherwise.
  [[nodiscard]] CommandResult run(const std::vector<std::string>& command) const {
    std::vector<std::string> argv;
    if (is_root()) {
      argv = {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"};
    }
    argv.insert(argv.end(), command.begin(), command.end());
    return run_command(argv, {"HOME=" + home_.string(), "TMPDIR=" + home_.string(), "NO_COLOR=1",
                              "USER=nobody", "LOGNAME=nobody"});
  }
  [[nodiscard]] CommandResult faultline(std::vector<std::string> args) const {
    args.insert(args.begin(), faultline::test::faultline_exe().string());
    return run(args);
  }

 private:
  fs::path home_;
};

// scenario file (relative to the showcase folder) -> outcome, from a JSON result.
std::map<std::string, std::string> outcomes(const fs::path& result) {
  std::ifstream in(result);
  REQUIRE(in.good());
  std::map<std::string, std::string> out;
  const json all = json::parse(in);
  for (const auto& sc : all.at("scenarios")) {
    fs::path file = sc.at("file").get<std::string>();
    out[fs::relative(file, faultline::test::scenarios_dir()).string()] = sc.at("outcome");
  }
  return out;
}

}  // namespace

TEST_CASE("The showcase gives an ordinary user the verdicts it gives root") {
  PrivateTmpdir tmp;
  NothingLeftBehind guard;
  OrdinaryUser user(tmp.path());
  if (is_root()) CHECK(user.run({"id", "-u"}).out == "65534\n");
  const fs::path showcase = faultline::test::scenarios_dir();
  const fs::path result = tmp.path() / "user.json";
  CommandResult r = user.faultline(
      {"run", showcase.string(), "-j", "2", "--json", result.string(), "--no-backtrace"});
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  CHECK(r.exit_code == 1);  // the naive programs are caught
  const auto seen = outcomes(result);
  REQUIRE(seen.size() >= 20);
  for (const auto& [file, outcome] : seen) {
    INFO(file);
    CHECK(outcome == (file.find("naive") != std::string::npos ? "fail" : "pass"));
  }
  if (is_root()) {
    const fs::path root_result = tmp.path() / "root.json";
    CommandResult root = faultline::test::run_faultline(
        {"run", showcase.string(), "-j", "2", "--json", root_result.string(), "--no-backtrace"});
    INFO("root's stdout:\n" << root.out);
    CHECK(outcomes(root_result) == seen);
  } else {
    WARN("not root: the showcase ran as this user only (no root run to compare with)");
  }
}

TEST_CASE("faultline exec injects for an ordinary user under both backends") {
  PrivateTmpdir tmp;
  NothingLeftBehind guard;
  OrdinaryUser user(tmp.path());
  const std::string backend = GENERATE(std::string("preload"), std::string("seccomp"));
  INFO("backend " << backend);
  CommandResult r = user.faultline({"exec", "--backend", backend, "--fault", "read:error=EIO", "--",
                                    "sh", "-c", "echo hello | cat"});
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("Input/output error"));
  CHECK_THAT(r.err, Catch::Contains("fired 1 of"));
}

TEST_CASE("An ordinary user's gc ends what a killed run left running, without a cgroup") {
  PrivateTmpdir tmp;
  NothingLeftBehind guard;
  OrdinaryUser user(tmp.path());
  // The runner is SIGKILLed while its program runs; the program wrote its pid first.
  const std::string script = R"SH(
"$0" exec -- sh -c 'echo $$ > "$TMPDIR/started.new"; mv "$TMPDIR/started.new" "$TMPDIR/started"; exec sleep 300' &
runner=$!
while [ ! -e "$TMPDIR/started" ]; do sleep 0.05; done
kill -KILL "$runner"; wait "$runner"
program=$(cat "$TMPDIR/started"); rm "$TMPDIR/started"
"$0" gc
# Ended: gone, or a zombie its new parent has not reaped yet.
state=$(sed 's/.*) //' "/proc/$program/stat" 2>/dev/null | cut -c1)
if [ -n "$state" ] && [ "$state" != Z ]; then echo "pid $program still runs"; kill -KILL "$program"; exit 1; fi
echo "pid $program ended"
)SH";
  CommandResult r = user.run({"sh", "-c", script, faultline::test::faultline_exe().string()});
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("ended pid") && Catch::Contains("(sleep)"));
  CHECK_THAT(r.out, Catch::Contains("removed " + tmp.path().string() + "/faultline-"));
}

TEST_CASE("A fault on a POSIX queue channel fires where /dev/mqueue is not mounted") {
  if (!is_root()) {
    WARN("not root: cannot take /dev/mqueue away (unshare -m, umount) to test without it");
    return;
  }
  PrivateTmpdir tmp;
  NothingLeftBehind guard;
  // Ordinary users often have no mqueue mount and cannot make one: the runner must learn the
  // queue's identity from the queue itself to tell its descriptors from others'.
  const std::string relay = (faultline::test::scenarios_dir() / "programs/pmq_relay").string();
  faultline::test::TempScenario s(
      "scenario: mq-without-mount\ntimeout: 20s\n"
      "channels: { in: { type: posix-mq }, out: { type: posix-mq } }\n"
      "processes:\n"
      "  source: { peer: { mode: send, channel: in, count: 100, size: 1..512, rate: 200 } }\n"
      "  relay:\n"
      "    run: [" +
      relay +
      ", '${in.name}', '${out.name}']\n"
      "    expect: { exit: 0 }\n"
      "  sink: { peer: { mode: recv, channel: out, count: 100, timeout: 5s } }\n"
      "faults:\n"
      "  - { process: relay, call: mq_send, channel: out, error: EAGAIN, nth: 3 }\n"
      "expect: { faults: fired }\n");
  CommandResult r =
      run_command({"unshare", "-m", "--propagation", "private", "sh", "-c",
                   // Every mount there: the suite's own (leak_guard.cc) lies over the machine's.
                   "while mountpoint -q /dev/mqueue && umount /dev/mqueue 2>/dev/null; do :; done; "
                   "if mountpoint -q /dev/mqueue; then exit 99; fi; "
                   "exec \"$@\"",
                   "sh", faultline::test::faultline_exe().string(), "run", s.path().string()},
                  {"NO_COLOR=1"});
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  REQUIRE(r.exit_code != 99);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("1 fault injected"));
}
