// The frame format and the integrity tally, without processes.
#include <catch2/catch.hpp>

#include "frame.h"
#include "support.h"
#include "tally.h"

namespace faultline::test {

using namespace faultline::peer;

TEST_CASE("An encoded frame passes its check and keeps its sequence number") {
  NothingLeftBehind guard;
  auto payload = make_payload(7, 42, 1, 512);
  auto frame = encode_frame(FrameHeader{42, 0, 0}, payload);
  auto header = check_frame(frame);
  REQUIRE(header);
  CHECK(header->seq == 42);
  CHECK(header->length == payload.size());
}

TEST_CASE("Any single flipped bit of a frame fails its check") {
  NothingLeftBehind guard;
  auto frame = encode_frame(FrameHeader{3, 0, 0}, make_payload(1, 3, 40, 40));
  for (std::size_t bit = 0; bit < frame.size() * 8; ++bit) {
    auto damaged = frame;
    damaged[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
    INFO("bit " << bit);
    CHECK_FALSE(check_frame(damaged));
  }
}

TEST_CASE("The tally counts duplicates, reorders and losses, and a corruption is not a loss") {
  NothingLeftBehind guard;
  Tally t(6);
  t.intact(0);
  t.intact(2);
  t.intact(1);  // late
  t.intact(2);  // again
  t.corrupt();  // stands for one of 3, 4, 5
  CHECK(t.received() == 3);
  CHECK(t.reordered() == 1);
  CHECK(t.duplicated() == 1);
  CHECK(t.corrupted() == 1);
  CHECK(t.lost() == 2);
}

}  // namespace faultline::test
