// LastWords renders the stop-signal summary only when the progress changed and the peer is
// about to wait, or when a change is 50 ms old: never once per frame.
#include "last_words.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

namespace faultline::peer {

TEST_CASE("Last words are rendered before a wait after a change, and at most every 50 ms") {
  int renders = 0;
  LastWords::set_progress([&] {
    ++renders;
    return std::string("{}\n");
  });
  LastWords::changed();  // the first change renders at once
  CHECK(renders == 1);
  for (int i = 0; i < 1000; ++i) LastWords::changed();  // a burst of frames: no render
  CHECK(renders == 1);
  LastWords::before_block();  // about to wait with changes pending: render
  CHECK(renders == 2);
  LastWords::before_block();  // nothing changed since
  CHECK(renders == 2);
  // The 50 ms rule itself is under test here: a peer busy inside slow calls.
  LastWords::changed();
  CHECK(renders == 2);
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  LastWords::changed();
  CHECK(renders == 3);
  LastWords::set_progress(nullptr);
}

}  // namespace faultline::peer
