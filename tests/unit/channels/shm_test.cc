// shm channels: a System V segment of the asked size under an ftok key.
#include <catch2/catch.hpp>

#include "channel_test_support.h"
#include "channels/channel.h"
#include "runner/run_directory.h"
#include "support.h"

namespace faultline::test {
namespace {

TEST_CASE("An shm channel is a 4096-byte System V segment by default, mode 0600") {
  ScopedTmpdir tmp;
  NothingLeftBehind guard;
  RunDirectory dir("shm");
  auto ch = provision_channel(spec_of("seg", ChannelType::shm), dir);
  auto attrs = ch->attributes();
  CHECK(attrs.at("size") == "4096");
  CHECK(attrs.count("key") == 1);
  CHECK(attrs.count("key_hex") == 1);
  std::string details = ipcs_details("m", attrs.at("id"));
  CHECK(details.find("shmid=" + attrs.at("id") + "\n") != std::string::npos);
  CHECK(details.find("bytes=4096") != std::string::npos);
  CHECK(details.find("mode=0600") != std::string::npos);
}

TEST_CASE("An shm channel has the size its spec asks for") {
  ScopedTmpdir tmp;
  NothingLeftBehind guard;
  RunDirectory dir("shm");
  auto ch = provision_channel(spec_of("seg", ChannelType::shm, 65536), dir);
  auto attrs = ch->attributes();
  CHECK(attrs.at("size") == "65536");
  CHECK(ipcs_details("m", attrs.at("id")).find("bytes=65536") != std::string::npos);
}

TEST_CASE("A removed shm channel's segment is gone") {
  ScopedTmpdir tmp;
  NothingLeftBehind guard;
  RunDirectory dir("shm");
  auto ch = provision_channel(spec_of("seg", ChannelType::shm), dir);
  std::string id = ch->attributes().at("id");
  REQUIRE(ipcs_knows("m", id));
  ch->remove();
  CHECK_FALSE(ipcs_knows("m", id));
}

}  // namespace
}  // namespace faultline::test
