// tcp and udp: a loopback port that was free when provisioned (the kernel picked it for a
// bind to 127.0.0.1:0), claimed for the run among faultline's runs on the machine by an
// abstract unix socket named after it (see make_loopback_port_channel). The claim ends with
// the channel, or with the runner's death: there is nothing to remove.
#pragma once

#include <cstdint>
#include <memory>

#include "channels/channel.h"
#include "util/unique_fd.h"

namespace faultline {

class LoopbackPortChannel final : public Channel {
 public:
  // socket_type: SOCK_STREAM (tcp) or SOCK_DGRAM (udp).
  LoopbackPortChannel(ChannelSpec spec, std::uint16_t port, int socket_type, UniqueFd claim);

  [[nodiscard]] std::map<std::string, std::string> attributes() const override;
  // tcp: some socket listens on the port; udp: some socket is bound to it.
  [[nodiscard]] std::optional<bool> listening() const override;
  void remove() noexcept override {}

 private:
  std::uint16_t port_;
  int socket_type_;
  UniqueFd claim_;  // the abstract socket "faultline-port-tcp|udp-PORT", bound
};

[[nodiscard]] std::unique_ptr<Channel> make_loopback_port_channel(const ChannelSpec& spec,
                                                                  int socket_type);

}  // namespace faultline
