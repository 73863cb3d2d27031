// MsgqueueTransport: one frame per System V message. Message type 1 carries the client's
// (send/request) frames, type 2 the server's (echo) answers, so one queue serves both ways.
#pragma once

#include "transport.h"

namespace faultline::peer {

class MsgqueueTransport final : public Transport {
 public:
  MsgqueueTransport(int id, bool client, std::uint32_t max_payload);

  [[nodiscard]] IoStatus send(std::span<const std::uint8_t> frame, Deadline deadline) override;
  [[nodiscard]] Message receive(Deadline deadline) override;

 private:
  int id_;
  long send_type_;
  long receive_type_;
  std::size_t max_frame_;
};

}  // namespace faultline::peer
