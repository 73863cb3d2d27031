// The RULE of --pause-on-fault (runner/fault_pauses.h): which of the run's faults it names.
#include "runner/fault_pauses.h"

#include <catch2/catch.hpp>

namespace faultline {
namespace {

const std::vector<std::string> kSpecs{"server/sendto:error=ENOBUFS:nth=3",
                                      "client/read:short=7", "read:error=EIO"};

TEST_CASE("pause-on-fault without RULE, or with *, pauses at every fault") {
  std::string error;
  CHECK(rules_to_pause("", kSpecs, error) == std::vector<std::size_t>{0, 1, 2});
  CHECK(rules_to_pause("*", kSpecs, error) == std::vector<std::size_t>{0, 1, 2});
  CHECK(error.empty());
}

TEST_CASE("pause-on-fault=N names the Nth fault as the report lists them") {
  std::string error;
  CHECK(rules_to_pause("2", kSpecs, error) == std::vector<std::size_t>{1});
  CHECK(error.empty());
  CHECK(rules_to_pause("4", kSpecs, error).empty());
  CHECK(error ==
        "--pause-on-fault=4: no fault 4; its faults: 1 `server/sendto:error=ENOBUFS:nth=3`, 2 "
        "`client/read:short=7`, 3 `read:error=EIO`");
  error.clear();
  CHECK(rules_to_pause("0", kSpecs, error).empty());
  CHECK_FALSE(error.empty());
}

TEST_CASE("pause-on-fault=TEXT names a fault by its text, written in any key order") {
  std::string error;
  CHECK(rules_to_pause("client/read:short=7", kSpecs, error) == std::vector<std::size_t>{1});
  CHECK(rules_to_pause("server/sendto:nth=3:error=ENOBUFS", kSpecs, error) ==
        std::vector<std::size_t>{0});
  CHECK(error.empty());
  CHECK(rules_to_pause("client/write:error=EIO", kSpecs, error).empty());
  CHECK(error.find("no such fault") != std::string::npos);
}

TEST_CASE("pause-on-fault on a run without faults says so") {
  std::string error;
  CHECK(rules_to_pause("", {}, error).empty());
  CHECK(error == "--pause-on-fault: the run has no faults to pause at");
}

}  // namespace
}  // namespace faultline
