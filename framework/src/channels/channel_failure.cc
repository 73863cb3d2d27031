// Error messages of channel provisioning; see channel_failure.h.
#include "channels/channel_failure.h"

#include <cstring>

#include <fmt/format.h>

namespace faultline {

std::string_view channel_type_name(ChannelType type) {
  switch (type) {
    case ChannelType::pipe:
      return "pipe";
    case ChannelType::fifo:
      return "fifo";
    case ChannelType::msgqueue:
      return "msgqueue";
    case ChannelType::posix_mq:
      return "posix-mq";
    case ChannelType::shm:
      return "shm";
    case ChannelType::mmap:
      return "mmap";
    case ChannelType::semaphore:
      return "semaphore";
    case ChannelType::unix_stream:
      return "unix-stream";
    case ChannelType::unix_dgram:
      return "unix-dgram";
    case ChannelType::tcp:
      return "tcp";
    case ChannelType::udp:
      return "udp";
  }
  return "unknown";
}

std::string channel_label(const ChannelSpec& spec) {
  return fmt::format("channel '{}' ({})", spec.name, channel_type_name(spec.type));
}

void throw_channel_failure(const ChannelSpec& spec, std::string_view message,
                           std::string_view hint) {
  std::string text = fmt::format("{}: {}", channel_label(spec), message);
  if (!hint.empty()) text += fmt::format("; {}", hint);
  throw ChannelError(text);
}

void throw_call_failure(const ChannelSpec& spec, std::string_view call, int err,
                        std::string_view hint) {
  throw_channel_failure(spec, fmt::format("{} failed: {}", call, std::strerror(err)), hint);
}

}  // namespace faultline
