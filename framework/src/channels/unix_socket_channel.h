// unix-stream and unix-dgram: a socket path in the run directory that the server binds.
// Nothing exists until then; removal unlinks the socket file the server left.
#pragma once

#include <filesystem>
#include <memory>

#include "channels/channel.h"

namespace faultline {

class UnixSocketChannel final : public Channel {
 public:
  // socket_type: SOCK_STREAM or SOCK_DGRAM.
  UnixSocketChannel(ChannelSpec spec, std::filesystem::path path, int socket_type);
  ~UnixSocketChannel() override { remove(); }

  [[nodiscard]] std::map<std::string, std::string> attributes() const override;
  // stream: a socket listens on the path; dgram: a socket is bound to it.
  [[nodiscard]] std::optional<bool> listening() const override;
  void remove() noexcept override;

 private:
  std::filesystem::path path_;
  int socket_type_;
};

// Picks the path (checked against the 108 bytes of sun_path) for a channel of `socket_type`.
[[nodiscard]] std::unique_ptr<Channel> make_unix_socket_channel(const ChannelSpec& spec,
                                                                RunFolder& dir, int socket_type);

}  // namespace faultline
