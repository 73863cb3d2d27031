// Error messages of channel provisioning; see channel_failure.h.
#include "channels/channel_failure.h"

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "faults/call_table.h"

namespace faultline {

std::string channel_label(const ChannelSpec& spec) {
  return fmt::format("channel '{}' ({})", spec.name, to_string(spec.type));
}

void throw_channel_failure(const ChannelSpec& spec, std::string_view message,
                           std::string_view hint) {
  std::string text = fmt::format("{}: {}", channel_label(spec), message);
  if (!hint.empty()) text += fmt::format("; {}", hint);
  throw ChannelError(text);
}

void throw_call_failure(const ChannelSpec& spec, std::string_view call, int err,
                        std::string_view hint) {
  // Errors that say a limit is reached: of the user (RLIMIT_MSGQUEUE), of the system (msgmni,
  // shmmni, semmni, queues_max, ports) or of memory; other runs of the same user share them.
  const bool shared_limit =
      err == ENOSPC || err == EMFILE || err == ENFILE || err == ENOMEM || err == EADDRINUSE;
  std::string text = fmt::format("{}: {} failed: {} ({})", channel_label(spec), call,
                                 std::strerror(err), errno_name(err));
  if (!hint.empty()) text += fmt::format("; {}", hint);
  throw ChannelError(text, shared_limit);
}

}  // namespace faultline
