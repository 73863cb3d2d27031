// One factory per mechanism, each in the .cc named after it; provision_channel() picks one.
#pragma once

#include <memory>

#include "channels/channel.h"

namespace faultline {

[[nodiscard]] std::unique_ptr<Channel> make_pipe_channel(const ChannelSpec& spec);
[[nodiscard]] std::unique_ptr<Channel> make_fifo_channel(const ChannelSpec& spec, RunFolder& dir);
[[nodiscard]] std::unique_ptr<Channel> make_msgqueue_channel(const ChannelSpec& spec,
                                                             RunFolder& dir);
[[nodiscard]] std::unique_ptr<Channel> make_posix_mq_channel(const ChannelSpec& spec,
                                                             RunFolder& dir);
[[nodiscard]] std::unique_ptr<Channel> make_shm_channel(const ChannelSpec& spec, RunFolder& dir);
[[nodiscard]] std::unique_ptr<Channel> make_mmap_channel(const ChannelSpec& spec, RunFolder& dir);
[[nodiscard]] std::unique_ptr<Channel> make_semaphore_channel(const ChannelSpec& spec,
                                                              RunFolder& dir);
[[nodiscard]] std::unique_ptr<Channel> make_unix_stream_channel(const ChannelSpec& spec,
                                                                RunFolder& dir);
[[nodiscard]] std::unique_ptr<Channel> make_unix_dgram_channel(const ChannelSpec& spec,
                                                               RunFolder& dir);
[[nodiscard]] std::unique_ptr<Channel> make_tcp_channel(const ChannelSpec& spec);
[[nodiscard]] std::unique_ptr<Channel> make_udp_channel(const ChannelSpec& spec);

}  // namespace faultline
