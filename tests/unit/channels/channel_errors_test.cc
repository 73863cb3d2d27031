// Provisioning errors name the channel, the failed call and the reason, and say what to do.
#include <catch2/catch.hpp>

#include "channel_test_support.h"
#include "channels/channel.h"
#include "runner/run_directory.h"
#include "support.h"

namespace faultline::test {
namespace {

std::string provisioning_error(const ChannelSpec& spec) {
  RunDirectory dir("errors");
  try {
    (void)provision_channel(spec, dir);
  } catch (const ChannelError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST_CASE("A semaphore set above the system's per-set limit fails naming semget and the limit") {
  ScopedTmpdir tmp;
  NothingLeftBehind guard;
  // SEMMSL is at most 65536 on Linux.
  std::string message = provisioning_error(spec_of("big", ChannelType::semaphore, 0, 100000));
  CHECK(message.find("channel 'big' (semaphore)") != std::string::npos);
  CHECK(message.find("semget") != std::string::npos);
  CHECK(message.find("Invalid argument") != std::string::npos);
  CHECK(message.find("/proc/sys/kernel/sem") != std::string::npos);
}

TEST_CASE("A posix-mq above the system's limits fails naming mq_open and the limits") {
  ScopedTmpdir tmp;
  NothingLeftBehind guard;
  // 100000 messages is above msg_max for users and above the hard limit (65536) for root.
  std::string message = provisioning_error(spec_of("big", ChannelType::posix_mq, 64, 100000));
  CHECK(message.find("channel 'big' (posix-mq)") != std::string::npos);
  CHECK(message.find("mq_open") != std::string::npos);
  CHECK(message.find("/proc/sys/fs/mqueue/msg_max") != std::string::npos);
}

TEST_CASE("An mmap channel with an unknown backing fails naming the backings there are") {
  ScopedTmpdir tmp;
  NothingLeftBehind guard;
  std::string message = provisioning_error(spec_of("m", ChannelType::mmap, 0, 0, "disk"));
  CHECK(message.find("channel 'm' (mmap)") != std::string::npos);
  CHECK(message.find("'disk'") != std::string::npos);
  CHECK(message.find("backing: file") != std::string::npos);
}

}  // namespace
}  // namespace faultline::test
