// tcp and udp channels: a free loopback port; listening() follows the kernel's socket tables.
#include <catch2/catch.hpp>

#include "channel_test_support.h"
#include "channels/channel.h"
#include "runner/run_directory.h"
#include "support.h"

namespace faultline::test {
namespace {

// Binds 127.0.0.1:argv[2] (tcp or udp per argv[1]), says "bound", waits for a line, listens
// (tcp only), says "listening", then waits to be killed.
const char* const kInetServer =
    "import socket, sys\n"
    "kind = socket.SOCK_STREAM if sys.argv[1] == 'tcp' else socket.SOCK_DGRAM\n"
    "s = socket.socket(socket.AF_INET, kind)\n"
    "s.bind(('127.0.0.1', int(sys.argv[2])))\n"
    "print('bound', flush=True)\n"
    "sys.stdin.readline()\n"
    "if kind == socket.SOCK_STREAM: s.listen()\n"
    "print('listening', flush=True)\n"
    "sys.stdin.read()\n";

TEST_CASE("A tcp channel is a loopback port a server can bind") {
  ScopedTmpdir tmp;
  NothingLeftBehind guard;
  RunDirectory dir("tcp");
  auto ch = provision_channel(spec_of("web", ChannelType::tcp), dir);
  auto attrs = ch->attributes();
  CHECK(attrs.at("host") == "127.0.0.1");
  int port = std::stoi(attrs.at("port"));
  CHECK(port > 0);
  CHECK(port < 65536);
  LiveProcess server(python(kInetServer, {"tcp", attrs.at("port")}));
  CHECK(server.read_line() == "bound");
}

TEST_CASE("A tcp channel is listening once a server listens on its port, not before") {
  ScopedTmpdir tmp;
  NothingLeftBehind guard;
  RunDirectory dir("tcp");
  auto ch = provision_channel(spec_of("web", ChannelType::tcp), dir);
  CHECK(ch->listening() == false);
  LiveProcess server(python(kInetServer, {"tcp", ch->attributes().at("port")}));
  REQUIRE(server.read_line() == "bound");
  CHECK(ch->listening() == false);  // bound is not enough for a tcp server
  server.write_line("go");
  REQUIRE(server.read_line() == "listening");
  CHECK(ch->listening() == true);
  server.stop();
  CHECK(ch->listening() == false);
}

TEST_CASE("A udp channel is listening once a server binds its port, not before") {
  ScopedTmpdir tmp;
  NothingLeftBehind guard;
  RunDirectory dir("udp");
  auto ch = provision_channel(spec_of("dns", ChannelType::udp), dir);
  auto attrs = ch->attributes();
  CHECK(attrs.at("host") == "127.0.0.1");
  CHECK(ch->listening() == false);
  LiveProcess server(python(kInetServer, {"udp", attrs.at("port")}));
  REQUIRE(server.read_line() == "bound");
  CHECK(ch->listening() == true);
}

}  // namespace
}  // namespace faultline::test
