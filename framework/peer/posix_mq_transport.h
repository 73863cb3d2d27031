// PosixMqTransport: one frame per POSIX message; a queue carries one direction, so echo and
// request use two (frames in one, answers in the other).
#pragma once

#include <mqueue.h>

#include "transport.h"

namespace faultline::peer {

class PosixMqTransport final : public Transport {
 public:
  // Opens the queue received from and the one sent to (either may be empty, both must exist:
  // the runner provisions them). Throws ChannelFailure.
  PosixMqTransport(const std::string& in, const std::string& out);
  ~PosixMqTransport() override;

  [[nodiscard]] IoStatus send(std::span<const std::uint8_t> frame, Deadline deadline) override;
  [[nodiscard]] Message receive(Deadline deadline) override;
  // The largest frame a message holds (of the smaller queue).
  [[nodiscard]] std::size_t message_size() const { return message_size_; }

 private:
  static constexpr mqd_t kNone = static_cast<mqd_t>(-1);
  mqd_t open_queue(const std::string& name);

  mqd_t in_ = kNone, out_ = kNone;
  std::size_t in_size_ = 0;  // the receive buffer: the queue's own message size
  std::size_t message_size_ = SIZE_MAX;
};

}  // namespace faultline::peer
