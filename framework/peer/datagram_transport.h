// DatagramTransport: one frame per datagram (unix-dgram, udp). A server answers whoever
// sent the last datagram; a client's socket is connected.
#pragma once

#include <sys/socket.h>

#include "transport.h"
#include "util/unique_fd.h"

namespace faultline::peer {

class DatagramTransport final : public Transport {
 public:
  // `fd`: a bound (server) or connected (client) non-blocking datagram socket.
  DatagramTransport(UniqueFd fd, bool connected, std::uint32_t max_payload);

  [[nodiscard]] IoStatus send(std::span<const std::uint8_t> frame, Deadline deadline) override;
  [[nodiscard]] Message receive(Deadline deadline) override;

 private:
  UniqueFd fd_;
  bool connected_;
  std::size_t max_frame_;
  sockaddr_storage last_sender_{};
  socklen_t last_sender_len_ = 0;
};

}  // namespace faultline::peer
