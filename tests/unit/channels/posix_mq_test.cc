// posix-mq channels: a POSIX message queue under a unique "/faultline-..." name.
#include <catch2/catch.hpp>

#include "channel_test_support.h"
#include "channels/channel.h"
#include "runner/run_directory.h"
#include "support.h"

namespace faultline::test {
namespace {

// Opens the queue by name from another program and prints "maxmsg msgsize", or "errno N".
const char* const kOpenQueue =
    "import ctypes, sys\n"
    "l = ctypes.CDLL(None, use_errno=True)\n"
    "q = l.mq_open(sys.argv[1].encode(), 0)\n"
    "if q < 0:\n"
    "    print('errno', ctypes.get_errno()); sys.exit(1)\n"
    "a = (ctypes.c_long * 8)()\n"
    "l.mq_getattr(q, a)\n"
    "print(a[1], a[2])\n";

TEST_CASE("A posix-mq channel is a queue another program opens by its name") {
  ScopedTmpdir tmp;
  NothingLeftBehind guard;
  RunDirectory dir("mq");
  auto ch = provision_channel(spec_of("jobs", ChannelType::posix_mq), dir);
  auto attrs = ch->attributes();
  std::string name = attrs.at("name");
  CHECK(name.rfind("/faultline-", 0) == 0);
  CHECK(name.size() > 5);
  CHECK(name.substr(name.size() - 5) == "-jobs");
  auto r = run_command(python(kOpenQueue, {name}));
  CHECK(r.exit_code == 0);
  CHECK(r.out == attrs.at("count") + " " + attrs.at("size") + "\n");
}

TEST_CASE("A posix-mq channel has 10 messages of 8192 bytes by default") {
  ScopedTmpdir tmp;
  NothingLeftBehind guard;
  RunDirectory dir("mq");
  auto ch = provision_channel(spec_of("jobs", ChannelType::posix_mq), dir);
  auto r = run_command(python(kOpenQueue, {ch->attributes().at("name")}));
  CHECK(r.out == "10 8192\n");
}

TEST_CASE("A posix-mq channel has the message count and size its spec asks for") {
  ScopedTmpdir tmp;
  NothingLeftBehind guard;
  RunDirectory dir("mq");
  auto ch = provision_channel(spec_of("jobs", ChannelType::posix_mq, 128, 4), dir);
  auto r = run_command(python(kOpenQueue, {ch->attributes().at("name")}));
  CHECK(r.out == "4 128\n");
}

TEST_CASE("A removed posix-mq channel's queue no longer opens") {
  ScopedTmpdir tmp;
  NothingLeftBehind guard;
  RunDirectory dir("mq");
  auto ch = provision_channel(spec_of("jobs", ChannelType::posix_mq), dir);
  std::string name = ch->attributes().at("name");
  REQUIRE(run_command(python(kOpenQueue, {name})).exit_code == 0);
  ch->remove();
  auto r = run_command(python(kOpenQueue, {name}));
  CHECK(r.exit_code == 1);
  CHECK(r.out == "errno 2\n");  // ENOENT
}

}  // namespace
}  // namespace faultline::test
