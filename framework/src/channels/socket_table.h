// What the kernel's socket tables (/proc/net/unix, tcp, tcp6, udp, udp6) say about a path or
// a port: how `ready: { listening: NAME }` learns that a server is up without connecting
// to it (a probe connection would be a client the server never expected).
#pragma once

#include <cstdint>
#include <filesystem>

namespace faultline {

// A socket of `type` (SOCK_STREAM or SOCK_DGRAM) is bound to `path`; with
// `require_listening`, it also listens (__SO_ACCEPTCON).
[[nodiscard]] bool unix_socket_bound(const std::filesystem::path& path, int type,
                                     bool require_listening);

// Some TCP socket listens on `port`, on any local address, IPv4 or IPv6.
[[nodiscard]] bool tcp_port_listening(std::uint16_t port);

// Some UDP socket is bound to `port`, on any local address, IPv4 or IPv6.
[[nodiscard]] bool udp_port_bound(std::uint16_t port);

}  // namespace faultline
