// faultline-peer against faultline-peer over every channel type, without faults: every
// message arrives intact, the counts are exact, and nothing is reported that did not happen.
#include <catch2/catch.hpp>

#include "peer_run.h"
#include "support.h"

namespace faultline::test {
namespace {

const std::vector<std::string> kExchange{"--count", "100", "--size", "1..512", "--timeout", "20s"};

std::string describe(const PeerPair& p) {
  return "server: " + p.server.out + p.server.err + "\nclient: " + p.client.out + p.client.err;
}

void require_intact_receiver(const PeerResult& r, const std::string& mode,
                             const std::string& type) {
  REQUIRE(r.summary.is_object());
  CHECK(r.summary["peer"] == mode);
  CHECK(r.summary["type"] == type);
  CHECK(r.summary["received"] == 100);
  CHECK(r.summary["lost"] == 0);
  CHECK(r.summary["duplicated"] == 0);
  CHECK(r.summary["reordered"] == 0);
  CHECK(r.summary["corrupted"] == 0);
  CHECK(r.summary["intact"] == true);
  CHECK(r.exit_code == 0);
}

void send_and_receive(const std::string& type) {
  NothingLeftBehind guard;
  PeerScratch dir;
  auto channel = make_peer_channel(type, dir);
  auto pair = run_peer_pair(*channel, "recv", "send", kExchange);
  INFO(describe(pair));
  std::string plain_type = type.substr(0, type.find('+'));
  require_intact_receiver(pair.server, "recv", plain_type);
  REQUIRE(pair.client.summary.is_object());
  CHECK(pair.client.summary["sent"] == 100);
  CHECK(pair.client.summary["intact"] == true);
  CHECK(pair.client.exit_code == 0);
}

void request_and_echo(const std::string& type) {
  NothingLeftBehind guard;
  PeerScratch dir;
  auto channel = make_peer_channel(type, dir, /*two_way=*/true);
  auto pair = run_peer_pair(*channel, "echo", "request", kExchange);
  INFO(describe(pair));
  std::string plain_type = type.substr(0, type.find('+'));
  require_intact_receiver(pair.client, "request", plain_type);
  CHECK(pair.client.summary["sent"] == 100);
  require_intact_receiver(pair.server, "echo", plain_type);
  CHECK(pair.server.summary["sent"] == 100);
}

}  // namespace

TEST_CASE("Send and recv over a pipe deliver every message intact") { send_and_receive("pipe"); }
TEST_CASE("Send and recv over a FIFO deliver every message intact") { send_and_receive("fifo"); }
TEST_CASE("Send and recv over a System V message queue deliver every message intact") {
  send_and_receive("msgqueue");
}
TEST_CASE("Send and recv over a POSIX message queue deliver every message intact") {
  send_and_receive("posix-mq");
}
TEST_CASE("Send and recv over System V shared memory signalled by a futex deliver every message") {
  send_and_receive("shm");
}
TEST_CASE(
    "Send and recv over System V shared memory signalled by semaphores deliver every message") {
  send_and_receive("shm+sem");
}
TEST_CASE("Send and recv over a POSIX shm mapping deliver every message intact") {
  send_and_receive("mmap");
}
TEST_CASE("Send and recv over a mapped file signalled by semaphores deliver every message") {
  send_and_receive("mmap+sem");
}
TEST_CASE("Send and recv over a unix stream socket deliver every message intact") {
  send_and_receive("unix-stream");
}
TEST_CASE("Send and recv over a unix datagram socket deliver every message intact") {
  send_and_receive("unix-dgram");
}
TEST_CASE("Send and recv over TCP deliver every message intact") { send_and_receive("tcp"); }
TEST_CASE("Send and recv over UDP deliver every message intact") { send_and_receive("udp"); }

TEST_CASE("Request and echo over a pair of pipes answer every message intact") {
  request_and_echo("pipe");
}
TEST_CASE("Request and echo over a pair of FIFOs answer every message intact") {
  request_and_echo("fifo");
}
TEST_CASE("Request and echo over a pair of POSIX message queues answer every message intact") {
  request_and_echo("posix-mq");
}
TEST_CASE("Request and echo over a System V message queue answer every message intact") {
  request_and_echo("msgqueue");
}
TEST_CASE("Request and echo over System V shared memory answer every message intact") {
  request_and_echo("shm");
}
TEST_CASE("Request and echo over a mapped file signalled by semaphores answer every message") {
  request_and_echo("mmap+sem");
}
TEST_CASE("Request and echo over a unix stream socket answer every message intact") {
  request_and_echo("unix-stream");
}
TEST_CASE("Request and echo over a unix datagram socket answer every message intact") {
  request_and_echo("unix-dgram");
}
TEST_CASE("Request and echo over TCP answer every message intact") { request_and_echo("tcp"); }
TEST_CASE("Request and echo over UDP answer every message intact") { request_and_echo("udp"); }

TEST_CASE("A peer given a bad size exits 2 and says what a size looks like") {
  NothingLeftBehind guard;
  auto r = run_peer({"--mode", "recv", "--type", "tcp", "--port", "1", "--size", "9..3"});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("MIN is above MAX"));
}

TEST_CASE("Echo over a single FIFO exits 2 and names the flag of the answers' FIFO") {
  NothingLeftBehind guard;
  auto r = run_peer({"--mode", "echo", "--type", "fifo", "--path", "/nonexistent/ch.fifo"});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("--reply-path"));
}

TEST_CASE("A peer whose channel does not exist exits 3 with a summary naming the failed call") {
  NothingLeftBehind guard;
  PeerScratch dir;
  auto r = run_peer({"--mode", "send", "--type", "fifo", "--path", (dir.path() / "none").string(),
                     "--timeout", "1s"});
  CHECK(r.exit_code == 3);
  REQUIRE(r.summary.is_object());
  CHECK_THAT(r.summary["error"].get<std::string>(), Catch::Contains("open("));
}

}  // namespace faultline::test
