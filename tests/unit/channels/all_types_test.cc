// What holds for every channel type: provisioning works, removal is idempotent and leaves
// nothing, and only socket types can be listened on.
#include <catch2/catch.hpp>

#include "channel_test_support.h"
#include "channels/channel.h"
#include "runner/run_directory.h"
#include "support.h"

namespace faultline::test {
namespace {

const ChannelType kAllTypes[] = {
    ChannelType::pipe,       ChannelType::fifo, ChannelType::msgqueue,  ChannelType::posix_mq,
    ChannelType::shm,        ChannelType::mmap, ChannelType::semaphore, ChannelType::unix_stream,
    ChannelType::unix_dgram, ChannelType::tcp,  ChannelType::udp};

TEST_CASE("Every channel type is removed by its destructor, even after an explicit remove") {
  auto type = GENERATE(from_range(std::begin(kAllTypes), std::end(kAllTypes)));
  ScopedTmpdir tmp;
  NothingLeftBehind guard;
  RunDirectory dir("all");
  auto removed_early = provision_channel(spec_of("a", type), dir);
  auto removed_late = provision_channel(spec_of("b", type), dir);
  removed_early->remove();
  removed_early->remove();
  removed_early.reset();
  removed_late.reset();
  // Nothing of the channels is left in the run directory: only its own bookkeeping (and key
  // files, which carry no object).
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    std::string name = e.path().filename();
    INFO(name);
    CHECK((name == "owner" || name == "manifest" || name.rfind("key-", 0) == 0));
  }
}

TEST_CASE("Only socket channel types can be listened on") {
  auto type = GENERATE(from_range(std::begin(kAllTypes), std::end(kAllTypes)));
  ScopedTmpdir tmp;
  NothingLeftBehind guard;
  RunDirectory dir("all");
  auto ch = provision_channel(spec_of("c", type), dir);
  bool socket_type = type == ChannelType::unix_stream || type == ChannelType::unix_dgram ||
                     type == ChannelType::tcp || type == ChannelType::udp;
  CHECK(ch->listening().has_value() == socket_type);
}

}  // namespace
}  // namespace faultline::test

namespace faultline::test {
namespace {

TEST_CASE("The attribute names known before provisioning are those a channel gets") {
  auto type = GENERATE(from_range(std::begin(kAllTypes), std::end(kAllTypes)));
  auto backing = GENERATE(std::string("shm"), std::string("file"));
  ScopedTmpdir tmp;
  NothingLeftBehind guard;
  RunDirectory dir("all");
  ChannelSpec spec = spec_of("a", type);
  if (type == ChannelType::mmap) spec.backing = backing;
  auto ch = provision_channel(spec, dir);
  std::vector<std::string> provisioned;
  for (const auto& [name, value] : ch->attributes()) provisioned.push_back(name);
  CHECK(provisioned == channel_attribute_names(spec));
}

}  // namespace
}  // namespace faultline::test
