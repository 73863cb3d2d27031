// Faults no kernel would produce, on real Debian programs under `faultline exec`: python3's
// eventfd is not an IPC fd, a short datagram is refused, and an EINTR that cat could not get
// (it installs no signal handler) is injected but reported as unrealistic.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support.h"

using faultline::test::CommandResult;
using faultline::test::NothingLeftBehind;

namespace {

CommandResult exec(const std::vector<std::string>& args) {
  std::vector<std::string> all{"exec"};
  all.insert(all.end(), args.begin(), args.end());
  return faultline::test::run_faultline(all, {"LC_ALL=C"});
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// os.read() of an eventfd holding 5, as CPython makes it: one read(2) of 8 bytes.
const std::string kEventfd =
    "import os\nfd = os.eventfd(5)\nprint(int.from_bytes(os.read(fd, 8), 'little'))\n";

// One 8-byte datagram over loopback UDP, received with socket.recv (recv(2)).
const std::string kUdp =
    "import socket\n"
    "a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); a.bind(('127.0.0.1', 0))\n"
    "b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
    "b.sendto(b'abcdefgh', a.getsockname())\n"
    "print(len(a.recv(64)))\n";

}  // namespace

TEST_CASE("python3's eventfd is no IPC fd: read:short=3 does not touch its read",
          "[integration][realism]") {
  NothingLeftBehind guard;
  auto r = exec({"--fault", "read:short=3", "--", "python3", "-c", kEventfd});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out == "5\n");
}

TEST_CASE("fd=anon reaches python3's eventfd, where a short read is refused unless forced",
          "[integration][realism]") {
  NothingLeftBehind guard;
  auto refused = exec({"--fault", "read:short=3:fd=anon", "--", "python3", "-c", kEventfd});
  INFO(refused.err);
  CHECK(refused.exit_code == 0);
  CHECK(refused.out == "5\n");
  CHECK(has(refused.err, "refused on 1 call"));
  CHECK(has(refused.err, "an eventfd, signalfd, timerfd or inotify record is transferred whole"));
  auto forced = exec({"--fault", "read:short=3:fd=anon:force", "--", "python3", "-c", kEventfd});
  INFO(forced.err);
  CHECK(forced.exit_code == 1);
  CHECK(has(forced.err, "Invalid argument"));  // what the kernel says to a 3-byte eventfd read
}

TEST_CASE("A short receive of a UDP datagram is refused on python3's socket",
          "[integration][realism]") {
  NothingLeftBehind guard;
  auto r = exec({"--fault", "recv:short=3", "--", "python3", "-c", kUdp});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out == "8\n");
  CHECK(has(r.err, "refused on 1 call"));
  CHECK(has(r.err, "a datagram or SOCK_SEQPACKET message travels whole or not at all"));
}

TEST_CASE("EINTR on cat's read is injected, and reported unrealistic: cat has no handler",
          "[integration][realism]") {
  NothingLeftBehind guard;
  faultline::test::TempDir dir;
  auto json = (dir.path() / "r.json").string();
  // cat reads the pipe on its stdin.
  auto r = faultline::test::run_command(
      {"/bin/sh", "-c",
       "printf 'x\\n' | '" + faultline::test::faultline_exe().string() + "' exec --json " + json +
           " --fault read:error=EINTR:nth=1 -- cat"},
      {"LC_ALL=C"});
  INFO(r.err);
  // The user's rule still applies (GNU cat reads again after EINTR, so it still copies x).
  CHECK(r.exit_code == 0);
  CHECK(r.out == "x\n");
  CHECK(has(r.err, "fired 1 of"));
  CHECK(has(r.err, "unrealistic here: no signal handler is installed"));
  std::ifstream in(json);
  auto j = nlohmann::json::parse(in);
  const auto& scenario = j.at("scenarios").at(0);
  REQUIRE(scenario.at("events").size() == 1);
  CHECK(scenario.at("events").at(0).at("unrealistic") == "eintr-no-handler");
  CHECK(scenario.at("faults").at(0).at("unrealistic") == 1);
}

TEST_CASE("run refuses a short --fault on a UDP channel before anything runs (exit 2)",
          "[integration][realism]") {
  NothingLeftBehind guard;
  const std::string scenario = std::string(FAULTLINE_BUILD_DIR) + "/scenarios/udp/robust.yaml";
  auto r = faultline::test::run_faultline(
      {"run", scenario, "--fault", "client/recvfrom:short=3:channel=u"}, {"LC_ALL=C"});
  INFO(r.err);
  CHECK(r.exit_code == 2);
  CHECK(has(r.err, "on a udp channel: impossible: a datagram or SOCK_SEQPACKET message"));
  CHECK(has(r.err, "add force"));
}
