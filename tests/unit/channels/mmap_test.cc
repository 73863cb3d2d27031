// mmap channels: a POSIX shm object (default) or a file in the run directory, of `size` bytes.
#include <catch2/catch.hpp>
#include <filesystem>

#include "channel_test_support.h"
#include "channels/channel.h"
#include "runner/run_directory.h"
#include "support.h"

namespace faultline::test {
namespace {

std::string stat_size_and_mode(const std::string& path) {
  return run_command({"stat", "-c", "%s %a %F", path}).out;
}

TEST_CASE("An mmap channel is a 4096-byte POSIX shm object by default, mode 0600") {
  ScopedTmpdir tmp;
  NothingLeftBehind guard;
  RunDirectory dir("mmap");
  auto ch = provision_channel(spec_of("buf", ChannelType::mmap), dir);
  auto attrs = ch->attributes();
  CHECK(attrs.at("size") == "4096");
  CHECK(attrs.count("path") == 0);
  std::string name = attrs.at("name");
  REQUIRE(name.rfind("/faultline-", 0) == 0);
  CHECK(stat_size_and_mode("/dev/shm" + name) == "4096 600 regular file\n");
}

TEST_CASE("An mmap channel backed by a file is a file of the asked size in the run directory") {
  ScopedTmpdir tmp;
  NothingLeftBehind guard;
  RunDirectory dir("mmap");
  auto ch = provision_channel(spec_of("buf", ChannelType::mmap, 10000, 0, "file"), dir);
  auto attrs = ch->attributes();
  CHECK(attrs.at("size") == "10000");
  CHECK(attrs.count("name") == 0);
  std::filesystem::path path = attrs.at("path");
  CHECK(path.parent_path() == dir.path());
  CHECK(stat_size_and_mode(path) == "10000 600 regular file\n");
}

TEST_CASE("A removed mmap channel's shm object is gone") {
  ScopedTmpdir tmp;
  NothingLeftBehind guard;
  RunDirectory dir("mmap");
  auto ch = provision_channel(spec_of("buf", ChannelType::mmap, 8192), dir);
  std::filesystem::path object = "/dev/shm" + ch->attributes().at("name");
  REQUIRE(std::filesystem::exists(object));
  ch->remove();
  CHECK_FALSE(std::filesystem::exists(object));
}

TEST_CASE("A removed file-backed mmap channel's file is gone") {
  ScopedTmpdir tmp;
  NothingLeftBehind guard;
  RunDirectory dir("mmap");
  auto ch = provision_channel(spec_of("buf", ChannelType::mmap, 0, 0, "file"), dir);
  std::filesystem::path path = ch->attributes().at("path");
  REQUIRE(std::filesystem::exists(path));
  ch->remove();
  CHECK_FALSE(std::filesystem::exists(path));
}

}  // namespace
}  // namespace faultline::test
