// PosixMqTransport: one frame per POSIX message (one way: send or recv).
#pragma once

#include <mqueue.h>

#include "transport.h"

namespace faultline::peer {

class PosixMqTransport final : public Transport {
 public:
  // Opens `name` (which must exist: the runner provisions it). Throws ChannelFailure.
  explicit PosixMqTransport(const std::string& name);
  ~PosixMqTransport() override;

  [[nodiscard]] IoStatus send(std::span<const std::uint8_t> frame, Deadline deadline) override;
  [[nodiscard]] Message receive(Deadline deadline) override;
  // The largest frame a message holds.
  [[nodiscard]] std::size_t message_size() const { return message_size_; }

 private:
  mqd_t q_;
  std::size_t message_size_ = 0;
};

}  // namespace faultline::peer
