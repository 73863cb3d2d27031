// unix-stream and unix-dgram channels: a socket path the server binds; listening() follows
// what the kernel's socket table says about it.
#include <catch2/catch.hpp>
#include <filesystem>

#include "channel_test_support.h"
#include "channels/channel.h"
#include "runner/run_directory.h"
#include "support.h"

namespace faultline::test {
namespace {

// Binds argv[2] (a unix socket of type argv[1]), says "bound", waits for a line, listens
// (stream only), says "listening", then waits to be killed.
const char* const kUnixServer =
    "import socket, sys\n"
    "kind = socket.SOCK_STREAM if sys.argv[1] == 'stream' else socket.SOCK_DGRAM\n"
    "s = socket.socket(socket.AF_UNIX, kind)\n"
    "s.bind(sys.argv[2])\n"
    "print('bound', flush=True)\n"
    "sys.stdin.readline()\n"
    "if kind == socket.SOCK_STREAM: s.listen()\n"
    "print('listening', flush=True)\n"
    "sys.stdin.read()\n";

TEST_CASE("A unix-stream channel is a socket path in the run directory, not yet created") {
  ScopedTmpdir tmp;
  NothingLeftBehind guard;
  RunDirectory dir("unix");
  auto ch = provision_channel(spec_of("ctl", ChannelType::unix_stream), dir);
  std::filesystem::path path = ch->attributes().at("path");
  CHECK(path.parent_path() == dir.path());
  CHECK_FALSE(std::filesystem::exists(std::filesystem::symlink_status(path)));
}

TEST_CASE("A unix-stream channel is listening once a server listens on its path, not before") {
  ScopedTmpdir tmp;
  NothingLeftBehind guard;
  RunDirectory dir("unix");
  auto ch = provision_channel(spec_of("ctl", ChannelType::unix_stream), dir);
  CHECK(ch->listening() == false);
  LiveProcess server(python(kUnixServer, {"stream", ch->attributes().at("path")}));
  REQUIRE(server.read_line() == "bound");
  CHECK(ch->listening() == false);  // bound is not enough for a stream server
  server.write_line("go");
  REQUIRE(server.read_line() == "listening");
  CHECK(ch->listening() == true);
  server.stop();
  CHECK(ch->listening() == false);
}

TEST_CASE("A unix-dgram channel is listening once a server binds its path, not before") {
  ScopedTmpdir tmp;
  NothingLeftBehind guard;
  RunDirectory dir("unix");
  auto ch = provision_channel(spec_of("log", ChannelType::unix_dgram), dir);
  CHECK(ch->listening() == false);
  LiveProcess server(python(kUnixServer, {"dgram", ch->attributes().at("path")}));
  REQUIRE(server.read_line() == "bound");
  CHECK(ch->listening() == true);
}

TEST_CASE("A unix-stream channel does not count a datagram socket on its path") {
  ScopedTmpdir tmp;
  NothingLeftBehind guard;
  RunDirectory dir("unix");
  auto ch = provision_channel(spec_of("ctl", ChannelType::unix_stream), dir);
  LiveProcess server(python(kUnixServer, {"dgram", ch->attributes().at("path")}));
  REQUIRE(server.read_line() == "bound");
  server.write_line("go");
  REQUIRE(server.read_line() == "listening");
  CHECK(ch->listening() == false);
}

TEST_CASE("Removing a unix socket channel removes the socket file its server left") {
  ScopedTmpdir tmp;
  NothingLeftBehind guard;
  RunDirectory dir("unix");
  auto ch = provision_channel(spec_of("log", ChannelType::unix_dgram), dir);
  std::filesystem::path path = ch->attributes().at("path");
  {
    LiveProcess server(python(kUnixServer, {"dgram", path}));
    REQUIRE(server.read_line() == "bound");
  }
  REQUIRE(std::filesystem::is_socket(path));
  ch->remove();
  CHECK_FALSE(std::filesystem::exists(std::filesystem::symlink_status(path)));
  ch->remove();
}

TEST_CASE("A unix socket path too long for sun_path fails with a message that says what to do") {
  ScopedTmpdir tmp("fltest-ch-" + std::string(80, 'x'));
  NothingLeftBehind guard;
  RunDirectory dir("a-label-that-makes-the-path-longer");
  try {
    (void)provision_channel(spec_of("control-socket", ChannelType::unix_stream), dir);
    FAIL("no error for a path longer than sun_path");
  } catch (const ChannelError& e) {
    std::string message = e.what();
    CHECK(message.find("channel 'control-socket' (unix-stream)") != std::string::npos);
    CHECK(message.find("sun_path") != std::string::npos);
    CHECK(message.find("TMPDIR") != std::string::npos);
  }
}

}  // namespace
}  // namespace faultline::test
