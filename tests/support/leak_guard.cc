// NothingLeftBehind: the Catch2 check that a test left nothing on the machine.
#include <catch2/catch.hpp>

#include "support.h"

namespace faultline::test {

NothingLeftBehind::NothingLeftBehind() : before_(snapshot_leftovers()) {}
NothingLeftBehind::~NothingLeftBehind() {
  std::string diff = new_leftovers(before_, snapshot_leftovers());
  INFO("left behind:\n" << diff);
  CHECK(diff.empty());
}

}  // namespace faultline::test
