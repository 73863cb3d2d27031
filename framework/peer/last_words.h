// LastWords: the summary a peer leaves when a stop signal (SIGTERM, SIGINT, SIGHUP) ends it
// mid-exchange: the runner stops a service at the end of a run and every process at the
// scenario's timeout, and the report should still say how far the exchange got.
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace faultline::peer {

class LastWords final {
 public:
  // Installs the handlers; the summary line goes to `fd`. Call once, before the exchange.
  static void arm(int fd);
  // The line to leave if stopped now. Not from a signal handler; one thread only.
  static void publish(std::string_view line);
  // Progress kept up to date cheaply: `render` makes the line, and is called only when the
  // progress changed (changed()) and the peer is about to wait (before_block()), or at the
  // latest 50 ms after a change: a stopped peer is most often a waiting one, whose last words
  // are then exact, and one busy inside slow calls is at most 50 ms behind.
  static void set_progress(std::function<std::string()> render);
  static void changed();
  static void before_block();
  // Back to the default actions, before the real summary is written.
  static void disarm();
};

}  // namespace faultline::peer
