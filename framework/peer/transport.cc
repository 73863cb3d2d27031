// Shared part of the transports; see transport.h.
#include "transport.h"

namespace faultline::peer {

Message Transport::classify(std::vector<std::uint8_t> bytes) {
  Message m;
  if (auto header = check_frame(bytes)) {
    m.kind = Message::Kind::frame;
    m.header = *header;
    m.bytes = std::move(bytes);
  } else {
    m.kind = Message::Kind::corrupt;
  }
  return m;
}

}  // namespace faultline::peer
