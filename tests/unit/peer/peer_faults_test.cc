// faultline-peer under the interposer: short transfers and EINTR/EAGAIN are absorbed (still
// intact), dropped datagrams and messages are reported lost, corrupted stream bytes are
// reported corrupted, each exactly as often as the fault fired.
#include <catch2/catch.hpp>

#include "peer_run.h"
#include "support.h"

namespace faultline::test {
namespace {

const std::vector<std::string> kExchange{"--count", "100", "--size", "1..512", "--timeout", "20s"};

std::string describe(const PeerPair& p) {
  return "server: " + p.server.out + p.server.err + "\nclient: " + p.client.out + p.client.err;
}

std::uint64_t fires(PeerFaults& faults) {
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < faults.control().rule_count(); ++i) {
    total += faults.control().stats(i).fires;
  }
  return total;
}

void require_intact(const PeerPair& pair) {
  REQUIRE(pair.server.summary.is_object());
  REQUIRE(pair.client.summary.is_object());
  CHECK(pair.server.summary["received"] == 100);
  CHECK(pair.server.summary["lost"] == 0);
  CHECK(pair.server.summary["corrupted"] == 0);
  CHECK(pair.server.summary["duplicated"] == 0);
  CHECK(pair.server.summary["intact"] == true);
  CHECK(pair.server.exit_code == 0);
  CHECK(pair.client.exit_code == 0);
}

std::uint64_t errors_of(const PeerResult& r, const char* name) {
  const auto& errors = r.summary["errors"];
  return errors.contains(name) ? errors[name].get<std::uint64_t>() : 0;
}

}  // namespace

TEST_CASE("Short reads and writes on a unix stream are continued and the exchange stays intact") {
  NothingLeftBehind guard;
  PeerScratch dir;
  PeerFaults faults(dir, {"read:short=7", "write:short=5"});
  auto channel = make_peer_channel("unix-stream", dir);
  auto pair = run_peer_pair(*channel, "recv", "send", kExchange, &faults);
  INFO(describe(pair));
  require_intact(pair);
  CHECK(pair.server.summary["short_transfers"].get<std::uint64_t>() > 0);
  CHECK(pair.client.summary["short_transfers"].get<std::uint64_t>() > 0);
}

TEST_CASE("EINTR and EAGAIN on a TCP echo exchange are retried and every answer is intact") {
  NothingLeftBehind guard;
  PeerScratch dir;
  PeerFaults faults(dir, {"read:error=EINTR:every=3", "write:error=EAGAIN:every=4"});
  auto channel = make_peer_channel("tcp", dir);
  auto pair = run_peer_pair(*channel, "echo", "request", kExchange, &faults);
  INFO(describe(pair));
  require_intact(pair);
  CHECK(pair.client.summary["received"] == 100);
  CHECK(pair.client.summary["intact"] == true);
  CHECK(errors_of(pair.server, "EINTR") + errors_of(pair.client, "EINTR") > 0);
  CHECK(errors_of(pair.server, "EAGAIN") + errors_of(pair.client, "EAGAIN") > 0);
}

TEST_CASE("EINTR and EAGAIN on System V message calls are retried and nothing is lost") {
  NothingLeftBehind guard;
  PeerScratch dir;
  PeerFaults faults(dir, {"msgsnd:error=EAGAIN:every=3", "msgrcv:error=EINTR:every=3"});
  auto channel = make_peer_channel("msgqueue", dir);
  auto pair = run_peer_pair(*channel, "recv", "send", kExchange, &faults);
  INFO(describe(pair));
  require_intact(pair);
  CHECK(errors_of(pair.client, "EAGAIN") > 0);
  CHECK(errors_of(pair.server, "EINTR") > 0);
}

TEST_CASE("EINTR on the semaphores of a shared memory ring is retried and nothing is lost") {
  NothingLeftBehind guard;
  PeerScratch dir;
  PeerFaults faults(dir, {"semop:error=EINTR:every=2"});
  auto channel = make_peer_channel("shm+sem", dir);
  auto pair = run_peer_pair(*channel, "recv", "send", kExchange, &faults);
  INFO(describe(pair));
  require_intact(pair);
  CHECK(fires(faults) > 0);
}

TEST_CASE("Datagrams dropped on UDP are reported lost, exactly as many as were dropped") {
  NothingLeftBehind guard;
  PeerScratch dir;
  PeerFaults faults(dir, {"client/send:drop:every=10:times=5"});
  auto channel = make_peer_channel("udp", dir);
  auto exchange = kExchange;
  exchange.push_back("--allow-loss");
  auto pair = run_peer_pair(*channel, "recv", "send", exchange, &faults);
  INFO(describe(pair));
  REQUIRE(pair.server.summary.is_object());
  CHECK(fires(faults) == 5);
  CHECK(pair.server.summary["lost"] == 5);
  CHECK(pair.server.summary["received"] == 95);
  CHECK(pair.server.summary["corrupted"] == 0);
  CHECK(pair.server.summary["intact"] == false);
  CHECK(pair.server.exit_code == 0);  // loss was allowed
}

TEST_CASE("Datagrams dropped on a unix datagram socket fail the receiver unless loss is allowed") {
  NothingLeftBehind guard;
  PeerScratch dir;
  PeerFaults faults(dir, {"client/send:drop:nth=40"});
  auto channel = make_peer_channel("unix-dgram", dir);
  auto pair = run_peer_pair(*channel, "recv", "send", kExchange, &faults);
  INFO(describe(pair));
  REQUIRE(pair.server.summary.is_object());
  CHECK(pair.server.summary["lost"] == 1);
  CHECK(pair.server.summary["received"] == 99);
  CHECK(pair.server.exit_code == 1);
}

TEST_CASE("Messages dropped on a System V queue are reported lost in request and echo") {
  NothingLeftBehind guard;
  PeerScratch dir;
  PeerFaults faults(dir, {"client/msgsnd:drop:every=25:times=3"});
  auto channel = make_peer_channel("msgqueue", dir);
  auto exchange = kExchange;
  exchange.insert(exchange.end(), {"--allow-loss", "--idle", "300ms"});
  auto pair = run_peer_pair(*channel, "echo", "request", exchange, &faults);
  INFO(describe(pair));
  REQUIRE(pair.client.summary.is_object());
  CHECK(fires(faults) == 3);
  CHECK(pair.client.summary["lost"] == 3);
  CHECK(pair.client.summary["received"] == 97);
  CHECK(pair.server.summary["received"] == 97);
  CHECK(pair.client.exit_code == 0);
}

TEST_CASE("A bit flipped in a TCP stream is reported as one corrupted message, nothing else") {
  NothingLeftBehind guard;
  PeerScratch dir;
  PeerFaults faults(dir, {"server/read:corrupt:nth=60"});
  auto channel = make_peer_channel("tcp", dir);
  auto pair = run_peer_pair(*channel, "recv", "send", kExchange, &faults);
  INFO(describe(pair));
  REQUIRE(pair.server.summary.is_object());
  CHECK(fires(faults) == 1);
  CHECK(pair.server.summary["corrupted"] == 1);
  CHECK(pair.server.summary["received"] == 99);
  CHECK(pair.server.summary["lost"] == 0);
  CHECK(pair.server.summary["duplicated"] == 0);
  CHECK(pair.server.exit_code == 1);  // corruption not allowed
}

TEST_CASE("Corruption on a pipe is tolerated when the exchange allows it") {
  NothingLeftBehind guard;
  PeerScratch dir;
  PeerFaults faults(dir, {"server/read:corrupt=3:every=100:times=2"});
  auto channel = make_peer_channel("pipe", dir);
  auto exchange = kExchange;
  exchange.push_back("--allow-corrupt");
  auto pair = run_peer_pair(*channel, "recv", "send", exchange, &faults);
  INFO(describe(pair));
  REQUIRE(pair.server.summary.is_object());
  CHECK(fires(faults) == 2);
  CHECK(pair.server.summary["corrupted"] == 2);
  CHECK(pair.server.summary["lost"] == 0);
  CHECK(pair.server.exit_code == 0);
}

}  // namespace faultline::test
