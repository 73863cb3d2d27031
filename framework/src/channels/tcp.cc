// tcp: a free loopback TCP port; ready when a server listens on it.
#include <sys/socket.h>

#include "channels/loopback_port_channel.h"
#include "channels/mechanisms.h"

namespace faultline {

std::unique_ptr<Channel> make_tcp_channel(const ChannelSpec& spec) {
  return make_loopback_port_channel(spec, SOCK_STREAM);
}

}  // namespace faultline
