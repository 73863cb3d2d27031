// udp: a free loopback UDP port; ready when a server has bound it.
#include <sys/socket.h>

#include "channels/loopback_port_channel.h"
#include "channels/mechanisms.h"

namespace faultline {

std::unique_ptr<Channel> make_udp_channel(const ChannelSpec& spec) {
  return make_loopback_port_channel(spec, SOCK_DGRAM);
}

}  // namespace faultline
