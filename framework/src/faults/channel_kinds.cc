// Kinds impossible on a channel's fds; see channel_kinds.h.
#include "faults/channel_kinds.h"

#include <fmt/format.h>

#include "faultline_control.h"
#include "faults/call_table.h"
#include "realism.h"

namespace faultline {
namespace {

// What the fds of a channel type are, as far as the kinds possible on them go.
unsigned channel_shape(ChannelType t) {
  switch (t) {
    case ChannelType::pipe:
    case ChannelType::fifo:
      return FL_SHAPE_PIPE;
    case ChannelType::unix_stream:
    case ChannelType::tcp:
      return FL_SHAPE_STREAM;
    case ChannelType::unix_dgram:
    case ChannelType::udp:
      return FL_SHAPE_MESSAGE;
    default:
      return FL_SHAPE_UNKNOWN;
  }
}

}  // namespace

std::optional<std::string> impossible_on_channel(const FaultSpec& spec,
                                                 const ChannelSpec& channel) {
  if (spec.channel != channel.name) return std::nullopt;
  unsigned shape = channel_shape(channel.type);
  for (const auto& name : spec.calls) {
    for (const CallInfo* call : resolve_call(name)) {
      unsigned why = fl_impossible(call->id, action_code(spec.action), shape);
      if (why == FL_WHY_NONE || (spec.force && spec.action != FaultAction::reset)) continue;
      return fmt::format(
          "fault {} on a {} channel: {}\nfault the channel with a kind its fds can produce{} "
          "(`faultline calls {}` lists the kinds per fd type)",
          spec.to_string(), to_string(channel.type), fl_why_text(why),
          spec.action == FaultAction::reset ? "" : ", or add force to inject it anyway",
          call->symbol);
    }
  }
  return std::nullopt;
}

}  // namespace faultline
