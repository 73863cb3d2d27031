// The small helpers declared next to the Scenario data types; see faultline/scenario.h.
#include "faultline/scenario.h"

#include <array>
#include <utility>

namespace faultline {
namespace {

constexpr std::array<std::pair<ChannelType, std::string_view>, 11> kChannelTypes{{
    {ChannelType::pipe, "pipe"},
    {ChannelType::fifo, "fifo"},
    {ChannelType::msgqueue, "msgqueue"},
    {ChannelType::posix_mq, "posix-mq"},
    {ChannelType::shm, "shm"},
    {ChannelType::mmap, "mmap"},
    {ChannelType::semaphore, "semaphore"},
    {ChannelType::unix_stream, "unix-stream"},
    {ChannelType::unix_dgram, "unix-dgram"},
    {ChannelType::tcp, "tcp"},
    {ChannelType::udp, "udp"},
}};

}  // namespace

std::string_view to_string(ChannelType t) {
  for (const auto& [type, name] : kChannelTypes) {
    if (type == t) return name;
  }
  return "?";
}

std::optional<ChannelType> channel_type_from_string(std::string_view s) {
  for (const auto& [type, name] : kChannelTypes) {
    if (name == s) return type;
  }
  return std::nullopt;
}

const ChannelSpec* Scenario::channel(std::string_view n) const {
  for (const auto& c : channels) {
    if (c.name == n) return &c;
  }
  return nullptr;
}

const ProcessSpec* Scenario::process(std::string_view n) const {
  for (const auto& p : processes) {
    if (p.name == n) return &p;
  }
  return nullptr;
}

}  // namespace faultline
