// provision_channel(): the one place that maps a channel type to its mechanism.
#include "channels/channel.h"

#include <fcntl.h>
#include <mqueue.h>
#include <sys/stat.h>

#include <system_error>

#include "channels/channel_failure.h"
#include "channels/mechanisms.h"

namespace faultline {
namespace {

std::unique_ptr<Channel> make_channel(const ChannelSpec& spec, RunFolder& dir) {
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

std::optional<FileIdentity> Channel::identity() const {
  const auto attrs = attributes();
  std::string file;
  struct stat st;
  if (auto name = attrs.find("name"); name != attrs.end() && spec_.type == ChannelType::posix_mq) {
    // Through the queue's own descriptor (an mqd_t is one): /dev/mqueue is often not mounted
    // where the runner is not root, and mounting it needs root.
    mqd_t q = ::mq_open(name->second.c_str(), O_RDONLY | O_CLOEXEC);
    if (q == static_cast<mqd_t>(-1)) return std::nullopt;
    const int r = ::fstat(q, &st);
    ::mq_close(q);
    if (r != 0) return std::nullopt;
    return FileIdentity{static_cast<std::uint64_t>(st.st_dev),
                        static_cast<std::uint64_t>(st.st_ino)};
  } else if (name != attrs.end()) {
    file = "/dev/shm" + name->second;  // POSIX shared memory lives there
  } else if (auto path = attrs.find("path"); path != attrs.end() &&
                                             spec_.type != ChannelType::unix_stream &&
                                             spec_.type != ChannelType::unix_dgram) {
    file = path->second;
  }
  if (file.empty() || ::stat(file.c_str(), &st) != 0) return std::nullopt;
  return FileIdentity{static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino)};
}

std::unique_ptr<Channel> provision_channel(const ChannelSpec& spec, RunFolder& dir) {
  try {
    return make_channel(spec, dir);
  } catch (const ChannelError&) {
    throw;
  } catch (const std::system_error& e) {
    // The run directory's own failures (key file, manifest): name the channel they hit.
    throw ChannelError(channel_label(spec) + ": " + e.what());
  }
}

std::vector<std::string> channel_attribute_names(const ChannelSpec& spec) {
  switch (spec.type) {
    case ChannelType::pipe:
      return {};
    case ChannelType::fifo:
    case ChannelType::unix_stream:
    case ChannelType::unix_dgram:
      return {"path"};
    case ChannelType::msgqueue:
      return {"id", "key", "key_hex"};
    case ChannelType::posix_mq:
      return {"count", "name", "size"};
    case ChannelType::shm:
      return {"id", "key", "key_hex", "size"};
    case ChannelType::mmap:
      if (spec.backing == "file") return {"path", "size"};
      return {"name", "size"};
    case ChannelType::semaphore:
      return {"count", "id", "key", "key_hex"};
    case ChannelType::tcp:
    case ChannelType::udp:
      return {"host", "port"};
  }
  return {};
}

}  // namespace faultline
