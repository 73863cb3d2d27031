// Loopback port channels; see loopback_port_channel.h.
#include "channels/loopback_port_channel.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>

#include "channels/channel_failure.h"
#include "channels/socket_table.h"

namespace faultline {

LoopbackPortChannel::LoopbackPortChannel(ChannelSpec spec, std::uint16_t port, int socket_type)
    : Channel(std::move(spec)), port_(port), socket_type_(socket_type) {}

std::map<std::string, std::string> LoopbackPortChannel::attributes() const {
  return {{"host", "127.0.0.1"}, {"port", std::to_string(port_)}};
}

std::optional<bool> LoopbackPortChannel::listening() const {
  return socket_type_ == SOCK_STREAM ? tcp_port_listening(port_) : udp_port_bound(port_);
}

std::unique_ptr<Channel> make_loopback_port_channel(const ChannelSpec& spec, int socket_type) {
  UniqueFd fd(::socket(AF_INET, socket_type | SOCK_CLOEXEC, 0));
  if (!fd) throw_call_failure(spec, "socket(AF_INET)", errno);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    int err = errno;
    throw_call_failure(spec, "bind(127.0.0.1:0)", err,
                       err == EADDRNOTAVAIL ? "the loopback interface is down (ip link set lo up)"
                       : err == EADDRINUSE  ? "no free port is left in "
                                              "/proc/sys/net/ipv4/ip_local_port_range"
                                            : "");
  }
  socklen_t len = sizeof addr;
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw_call_failure(spec, "getsockname", errno);
  }
  return std::make_unique<LoopbackPortChannel>(spec, ntohs(addr.sin_port), socket_type);
}

}  // namespace faultline
