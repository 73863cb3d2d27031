// provision_channel(): the one place that maps a channel type to its mechanism.
#include "channels/channel.h"

#include <system_error>

#include "channels/channel_failure.h"
#include "channels/mechanisms.h"

namespace faultline {
namespace {

std::unique_ptr<Channel> make_channel(const ChannelSpec& spec, RunDirectory& dir) {
  switch (spec.type) {
    case ChannelType::pipe:
      return make_pipe_channel(spec);
    case ChannelType::fifo:
      return make_fifo_channel(spec, dir);
    case ChannelType::msgqueue:
      return make_msgqueue_channel(spec, dir);
    case ChannelType::posix_mq:
      return make_posix_mq_channel(spec, dir);
    case ChannelType::shm:
      return make_shm_channel(spec, dir);
    case ChannelType::mmap:
      return make_mmap_channel(spec, dir);
    case ChannelType::semaphore:
      return make_semaphore_channel(spec, dir);
    case ChannelType::unix_stream:
      return make_unix_stream_channel(spec, dir);
    case ChannelType::unix_dgram:
      return make_unix_dgram_channel(spec, dir);
    case ChannelType::tcp:
      return make_tcp_channel(spec);
    case ChannelType::udp:
      return make_udp_channel(spec);
  }
  throw_channel_failure(spec, "unknown channel type");
}

}  // namespace

std::unique_ptr<Channel> provision_channel(const ChannelSpec& spec, RunDirectory& dir) {
  try {
    return make_channel(spec, dir);
  } catch (const ChannelError&) {
    throw;
  } catch (const std::system_error& e) {
    // The run directory's own failures (key file, manifest): name the channel they hit.
    throw ChannelError(channel_label(spec) + ": " + e.what());
  }
}

}  // namespace faultline
