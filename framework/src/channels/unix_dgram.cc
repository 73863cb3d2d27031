// unix-dgram: a SOCK_DGRAM unix socket path; ready when a server has bound it.
#include <sys/socket.h>

#include "channels/mechanisms.h"
#include "channels/unix_socket_channel.h"

namespace faultline {

std::unique_ptr<Channel> make_unix_dgram_channel(const ChannelSpec& spec, RunFolder& dir) {
  return make_unix_socket_channel(spec, dir, SOCK_DGRAM);
}

}  // namespace faultline
