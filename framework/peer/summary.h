// Summary: the one-line JSON the peer prints last, which the runner reads.
#pragma once

#include <cstdint>
#include <string>

#include "options.h"
#include "robust_io.h"

namespace faultline::peer {

struct Summary {
  Mode mode = Mode::send;
  ChannelType type = ChannelType::pipe;
  std::uint64_t sent = 0;      // frames sent (echo: answers sent), end markers not counted
  std::uint64_t received = 0;  // distinct intact frames received
  std::uint64_t lost = 0;
  std::uint64_t duplicated = 0;
  std::uint64_t reordered = 0;
  std::uint64_t corrupted = 0;
  bool intact = false;            // everything expected went through, nothing lost or damaged
  std::uint64_t connections = 0;  // with --reconnect: connections used (0: not reconnecting)
  IoStats stats;
  std::string error;  // why the exchange stopped early, "" when it did not
};

// {"peer":"recv","type":"udp","sent":0,"received":98,...,"errors":{"EINTR":3},...} and "\n".
[[nodiscard]] std::string to_json_line(const Summary& summary);

}  // namespace faultline::peer
