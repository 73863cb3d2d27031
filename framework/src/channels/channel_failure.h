// How channel code reports failure: a ChannelError that names the channel, the call that
// failed and why, and says how to fix it where there is something to say.
#pragma once

#include <string>
#include <string_view>

#include "channels/channel.h"

namespace faultline {

// "channel 'NAME' (TYPE)", TYPE as in scenario files (model/channel_type.h)
[[nodiscard]] std::string channel_label(const ChannelSpec& spec);

// "channel 'q' (msgqueue): msgget failed: No space left on device; HINT"
[[noreturn]] void throw_call_failure(const ChannelSpec& spec, std::string_view call, int err,
                                     std::string_view hint = {});
[[noreturn]] void throw_channel_failure(const ChannelSpec& spec, std::string_view message,
                                        std::string_view hint = {});

}  // namespace faultline
