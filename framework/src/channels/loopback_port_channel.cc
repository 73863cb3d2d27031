// Loopback port channels; see loopback_port_channel.h.
#include "channels/loopback_port_channel.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "channels/channel_failure.h"
#include "channels/socket_table.h"

namespace faultline {

LoopbackPortChannel::LoopbackPortChannel(ChannelSpec spec, std::uint16_t port, int socket_type,
                                         UniqueFd claim)
    : Channel(std::move(spec)), port_(port), socket_type_(socket_type), claim_(std::move(claim)) {}

std::map<std::string, std::string> LoopbackPortChannel::attributes() const {
  return {{"host", "127.0.0.1"}, {"port", std::to_string(port_)}};
}

std::optional<bool> LoopbackPortChannel::listening() const {
  return socket_type_ == SOCK_STREAM ? tcp_port_listening(port_) : udp_port_bound(port_);
}

namespace {

// Claims `port` among faultline's runs: binds the abstract unix socket named after it, which
// only one socket on the machine (network namespace) can have, and which goes away with the
// last descriptor of it, however the runner ends. An invalid fd: another run has the port.
UniqueFd claim_port(std::uint16_t port, int socket_type) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd) return fd;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string name =
      fmt::format("faultline-port-{}-{}", socket_type == SOCK_STREAM ? "tcp" : "udp", port);
  std::memcpy(addr.sun_path + 1, name.data(), name.size());  // sun_path[0] = 0: abstract
  const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), len) != 0) fd.reset();
  return fd;
}

}  // namespace

std::unique_ptr<Channel> make_loopback_port_channel(const ChannelSpec& spec, int socket_type) {
  // The kernel's pick is free now, but the port is released before the scenario's program
  // binds it, and another run's bind(0) may be given the same one meanwhile (seen with eight
  // runs at once): each pick is claimed, and a port another run claimed is passed over. The
  // sockets of the passed-over picks stay open until a pick is claimed, so the kernel does
  // not give the same port again.
  std::vector<UniqueFd> passed_over;
  for (int attempt = 0;; ++attempt) {
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
    const std::uint16_t port = ntohs(addr.sin_port);
    UniqueFd claim = claim_port(port, socket_type);
    // Without a claim after many tries (unix sockets refused?), the pick as before.
    if (claim || attempt >= 64)
      return std::make_unique<LoopbackPortChannel>(spec, port, socket_type, std::move(claim));
    passed_over.push_back(std::move(fd));
  }
}

}  // namespace faultline
