// The helpers next to the Scenario data types.
#include <catch2/catch.hpp>

#include "faultline/scenario.h"

using faultline::ChannelType;

TEST_CASE("Channel types convert to and from their scenario-file names") {
  for (auto t :
       {ChannelType::pipe, ChannelType::fifo, ChannelType::msgqueue, ChannelType::posix_mq,
        ChannelType::shm, ChannelType::mmap, ChannelType::semaphore, ChannelType::unix_stream,
        ChannelType::unix_dgram, ChannelType::tcp, ChannelType::udp}) {
    CAPTURE(faultline::to_string(t));
    CHECK(faultline::channel_type_from_string(faultline::to_string(t)) == t);
  }
  CHECK(faultline::to_string(ChannelType::posix_mq) == "posix-mq");
  CHECK(faultline::to_string(ChannelType::unix_stream) == "unix-stream");
  CHECK_FALSE(faultline::channel_type_from_string("unix_stream"));
}

TEST_CASE("A scenario finds its channels and processes by name") {
  faultline::Scenario s;
  faultline::ChannelSpec ctl;
  ctl.name = "ctl";
  ctl.type = ChannelType::tcp;
  s.channels.push_back(ctl);
  faultline::ProcessSpec server;
  server.name = "server";
  s.processes.push_back(server);
  REQUIRE(s.channel("ctl"));
  CHECK(s.channel("ctl")->type == ChannelType::tcp);
  CHECK(s.channel("nope") == nullptr);
  REQUIRE(s.process("server"));
  CHECK(s.process("server")->name == "server");
  CHECK(s.process("client") == nullptr);
}
