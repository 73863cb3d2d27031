// The channel-type table; see channel_type.h.
#include "model/channel_type.h"

#include <array>

namespace faultline {
namespace {

using A = ChannelAddress;
using T = ChannelType;

// One row per type, in enum order (info() indexes by the enum).
//                                                          one_way stream dgram  ring
constexpr std::array<ChannelTypeInfo, 11> kTypes{{
    {T::pipe, "pipe", A::fds, true, false, false, false},
    {T::fifo, "fifo", A::path, true, false, false, false},
    {T::msgqueue, "msgqueue", A::sysv, false, false, false, false},
    {T::posix_mq, "posix-mq", A::name, true, false, false, false},
    {T::shm, "shm", A::sysv, false, false, false, true},
    {T::mmap, "mmap", A::path_or_name, false, false, false, true},
    {T::semaphore, "semaphore", A::none, false, false, false, false},
    {T::unix_stream, "unix-stream", A::path, false, true, false, false},
    {T::unix_dgram, "unix-dgram", A::path, false, false, true, false},
    {T::tcp, "tcp", A::port, false, true, false, false},
    {T::udp, "udp", A::port, false, false, true, false},
}};

constexpr bool in_enum_order() {
  for (std::size_t i = 0; i < kTypes.size(); ++i) {
    if (static_cast<std::size_t>(kTypes[i].type) != i) return false;
  }
  return true;
}
static_assert(in_enum_order(), "kTypes must list the types in the order of enum ChannelType");

}  // namespace

const ChannelTypeInfo& channel_type_info(ChannelType t) {
  return kTypes.at(static_cast<std::size_t>(t));
}

std::string_view to_string(ChannelType t) {
  auto i = static_cast<std::size_t>(t);
  return i < kTypes.size() ? kTypes[i].name : "?";
}

std::optional<ChannelType> channel_type_from_string(std::string_view s) {
  for (const auto& row : kTypes) {
    if (row.name == s) return row.type;
  }
  return std::nullopt;
}

const std::vector<std::string_view>& channel_type_names() {
  static const std::vector<std::string_view> names = [] {
    std::vector<std::string_view> out;
    for (const auto& row : kTypes) out.push_back(row.name);
    return out;
  }();
  return names;
}

const std::vector<std::string_view>& peer_channel_type_names() {
  static const std::vector<std::string_view> names = [] {
    std::vector<std::string_view> out;
    for (const auto& row : kTypes) {
      if (row.peer_speaks()) out.push_back(row.name);
    }
    return out;
  }();
  return names;
}

}  // namespace faultline
