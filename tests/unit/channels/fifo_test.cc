// fifo channels: a named pipe in the run directory.
#include <catch2/catch.hpp>
#include <filesystem>

#include "channel_test_support.h"
#include "channels/channel.h"
#include "runner/run_directory.h"
#include "support.h"

namespace faultline::test {
namespace {

TEST_CASE("A fifo channel is a named pipe of mode 0600 in the run directory") {
  ScopedTmpdir tmp;
  NothingLeftBehind guard;
  RunDirectory dir("fifo");
  auto ch = provision_channel(spec_of("f", ChannelType::fifo), dir);
  std::filesystem::path path = ch->attributes().at("path");
  CHECK(path.parent_path() == dir.path());
  CHECK(run_command({"/bin/sh", "-c", "test -p \"$1\"", "sh", path}).exit_code == 0);
  CHECK(run_command({"stat", "-c", "%a", path}).out == "600\n");
}

TEST_CASE("Two fifo channels get two different paths") {
  ScopedTmpdir tmp;
  NothingLeftBehind guard;
  RunDirectory dir("fifo");
  auto a = provision_channel(spec_of("f", ChannelType::fifo), dir);
  auto b = provision_channel(spec_of("f", ChannelType::fifo), dir);
  CHECK(a->attributes().at("path") != b->attributes().at("path"));
}

TEST_CASE("A removed fifo channel's named pipe is gone") {
  ScopedTmpdir tmp;
  NothingLeftBehind guard;
  RunDirectory dir("fifo");
  auto ch = provision_channel(spec_of("f", ChannelType::fifo), dir);
  std::string path = ch->attributes().at("path");
  REQUIRE(std::filesystem::exists(path));
  ch->remove();
  CHECK(run_command({"/bin/sh", "-c", "test -e \"$1\"", "sh", path}).exit_code == 1);
}

}  // namespace
}  // namespace faultline::test
