// unix-stream: a SOCK_STREAM unix socket path; ready when a server listens on it.
#include <sys/socket.h>

#include "channels/mechanisms.h"
#include "channels/unix_socket_channel.h"

namespace faultline {

std::unique_ptr<Channel> make_unix_stream_channel(const ChannelSpec& spec, RunFolder& dir) {
  return make_unix_socket_channel(spec, dir, SOCK_STREAM);
}

}  // namespace faultline
