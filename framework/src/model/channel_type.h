// The channel types of DESIGN.md section 1: the one table of their names (as scenario files
// and faultline-peer's --type spell them) and of the traits the loader, the channels and the
// peer decide by. Shared model: below both the DSL and the peer.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

namespace faultline {

enum class ChannelType {
  pipe,
  fifo,
  msgqueue,
  posix_mq,
  shm,
  mmap,
  semaphore,
  unix_stream,
  unix_dgram,
  tcp,
  udp
};

// How a channel is found by a process that did not create it: the attribute flags the
// peer needs (docs/peer.md).
enum class ChannelAddress {
  fds,           // pipe: inherited file descriptors
  path,          // fifo, unix-stream, unix-dgram: --path
  name,          // posix-mq: --name
  path_or_name,  // mmap: --path (file backing) or --name (POSIX shm backing)
  sysv,          // msgqueue, shm: --id or --key
  port,          // tcp, udp: --host and --port
  none,          // semaphore: a signal for another channel, not a channel of its own
};

struct ChannelTypeInfo {
  ChannelType type;
  std::string_view name;  // "posix-mq", as written in scenario files
  ChannelAddress address;
  bool one_way;          // carries one direction: echo/request need a second channel (reply:)
  bool stream_socket;    // unix-stream, tcp: connections, so a peer can reconnect
  bool datagram_socket;  // unix-dgram, udp
  bool ring;             // shm, mmap: the peer's ring in a segment (futex or semaphore signal)

  [[nodiscard]] bool socket() const { return stream_socket || datagram_socket; }
  // faultline-peer exchanges frames over it: every type but semaphore.
  [[nodiscard]] bool peer_speaks() const { return address != ChannelAddress::none; }
};

[[nodiscard]] const ChannelTypeInfo& channel_type_info(ChannelType t);
// "pipe", "posix-mq", "unix-stream", ... as written in scenario files.
[[nodiscard]] std::string_view to_string(ChannelType t);
[[nodiscard]] std::optional<ChannelType> channel_type_from_string(std::string_view s);
// Every type's name, in the order of DESIGN.md section 1 (for "the types are: ..." hints).
[[nodiscard]] const std::vector<std::string_view>& channel_type_names();
// The names of the types the peer speaks (every type but semaphore).
[[nodiscard]] const std::vector<std::string_view>& peer_channel_type_names();

}  // namespace faultline
