// semaphore channels: a System V semaphore set, every value 0 at the start.
#include <catch2/catch.hpp>

#include "channel_test_support.h"
#include "channels/channel.h"
#include "runner/run_directory.h"
#include "support.h"

namespace faultline::test {
namespace {

TEST_CASE("A semaphore channel is a System V set of one semaphore by default") {
  ScopedTmpdir tmp;
  NothingLeftBehind guard;
  RunDirectory dir("sem");
  auto ch = provision_channel(spec_of("s", ChannelType::semaphore), dir);
  auto attrs = ch->attributes();
  CHECK(attrs.at("count") == "1");
  CHECK(attrs.count("key") == 1);
  std::string details = ipcs_details("s", attrs.at("id"));
  CHECK(details.find("semid=" + attrs.at("id") + "\n") != std::string::npos);
  CHECK(details.find("nsems = 1") != std::string::npos);
  CHECK(details.find("mode=0600") != std::string::npos);
}

TEST_CASE("A semaphore channel has the count its spec asks for, all values 0") {
  ScopedTmpdir tmp;
  NothingLeftBehind guard;
  RunDirectory dir("sem");
  auto ch = provision_channel(spec_of("s", ChannelType::semaphore, 0, 3), dir);
  auto attrs = ch->attributes();
  CHECK(attrs.at("count") == "3");
  // A C program sees the values the runner set: GETVAL of each is 0.
  auto r =
      run_command(python("import ctypes, sys\n"
                         "l = ctypes.CDLL(None)\n"
                         "print([l.semctl(int(sys.argv[1]), n, 12) for n in range(3)])",
                         {attrs.at("id")}));  // 12: GETVAL
  CHECK(r.out == "[0, 0, 0]\n");
  CHECK(ipcs_details("s", attrs.at("id")).find("nsems = 3") != std::string::npos);
}

TEST_CASE("A removed semaphore channel's set is gone") {
  ScopedTmpdir tmp;
  NothingLeftBehind guard;
  RunDirectory dir("sem");
  auto ch = provision_channel(spec_of("s", ChannelType::semaphore), dir);
  std::string id = ch->attributes().at("id");
  REQUIRE(ipcs_knows("s", id));
  ch->remove();
  CHECK_FALSE(ipcs_knows("s", id));
}

}  // namespace
}  // namespace faultline::test
