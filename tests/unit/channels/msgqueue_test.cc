// msgqueue channels: a System V queue under an ftok key, seen by ipcs and by C code.
#include <sys/msg.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>
#include <string>

#include <fmt/format.h>

#include "channel_test_support.h"
#include "channels/channel.h"
#include "channels/sysv_channel.h"
#include "runner/run_directory.h"
#include "support.h"

namespace faultline::test {
namespace {

TEST_CASE("A msgqueue channel is a System V queue that ipcs knows by its id, mode 0600") {
  ScopedTmpdir tmp;
  NothingLeftBehind guard;
  RunDirectory dir("msgqueue");
  auto ch = provision_channel(spec_of("q", ChannelType::msgqueue), dir);
  auto attrs = ch->attributes();
  REQUIRE(attrs.count("id"));
  std::string details = ipcs_details("q", attrs["id"]);
  CHECK(details.find("msqid=" + attrs["id"] + "\n") != std::string::npos);
  CHECK(details.find("mode=0600") != std::string::npos);
}

TEST_CASE("A msgqueue channel's key, in decimal and hex, finds the queue from another program") {
  ScopedTmpdir tmp;
  NothingLeftBehind guard;
  RunDirectory dir("msgqueue");
  auto ch = provision_channel(spec_of("q", ChannelType::msgqueue), dir);
  auto attrs = ch->attributes();
  CHECK(std::stol(attrs.at("key")) == std::stol(attrs.at("key_hex"), nullptr, 16));
  CHECK(attrs.at("key_hex").rfind("0x", 0) == 0);
  auto r =
      run_command(python("import ctypes, sys\n"
                         "print(ctypes.CDLL(None).msgget(int(sys.argv[1]), 0))",
                         {attrs.at("key")}));
  CHECK(r.out == attrs.at("id") + "\n");
}

TEST_CASE("A removed msgqueue channel's queue is gone, and removing again is harmless") {
  ScopedTmpdir tmp;
  NothingLeftBehind guard;
  RunDirectory dir("msgqueue");
  auto ch = provision_channel(spec_of("q", ChannelType::msgqueue), dir);
  std::string id = ch->attributes().at("id");
  REQUIRE(ipcs_knows("q", id));
  ch->remove();
  CHECK_FALSE(ipcs_knows("q", id));
  ch->remove();
  ch.reset();
  CHECK_FALSE(ipcs_knows("q", id));
}

TEST_CASE("A SysV key another program already uses is retried with a different key") {
  ScopedTmpdir tmp;
  NothingLeftBehind guard;
  RunDirectory dir("keys");
  std::vector<key_t> tried;
  int squatter = -1;
  auto spec = spec_of("q", ChannelType::msgqueue);
  auto object = create_sysv_object(
      spec, dir, "msg", "msgget",
      [&](key_t key) {
        tried.push_back(key);
        // The first key is taken by someone else before we get to it.
        if (tried.size() == 1) squatter = msgget(key, IPC_CREAT | IPC_EXCL | 0600);
        return msgget(key, IPC_CREAT | IPC_EXCL | 0600);
      },
      [](int) { return std::string(); });
  auto ours = adopt_sysv_object(spec, dir, "msg", object);
  REQUIRE(squatter >= 0);
  msgctl(squatter, IPC_RMID, nullptr);
  REQUIRE(tried.size() == 2);
  CHECK(tried[0] != tried[1]);
  CHECK(object.key == tried[1]);
  CHECK(ipcs_knows("q", std::to_string(object.id)));
  // Each key is recorded before its object is made, and the one found taken says so, so that
  // gc never removes the squatter's object, and finds ours even before its id was recorded.
  std::ifstream in(dir.path() / "manifest");
  std::string manifest((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK_THAT(manifest, Catch::Contains(fmt::format("msg-key {0}\nmsg-taken {0}\nmsg-key {1}\n"
                                                   "msg {2} {1}\n",
                                                   tried[0], tried[1], object.id)));
}

}  // namespace
}  // namespace faultline::test
